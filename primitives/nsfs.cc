#include "nsfs.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "error.h"
#include "fs.h"
#include "guard.h"
#include "interrupt.h"
#include "process.h"

namespace isocost {
namespace {

// Fds 0 to 2 of a helper: its command pipe, its status pipe, stderr.
inline constexpr int kFirstHeldFd = 3;
inline constexpr int kHolderSpareFds = 8;
inline constexpr int kWaitSliceMs = 100;

// What a holder reports: 0 and 0 when it holds everything, else the step
// that failed (1 unshare, 2 open) and its errno.
struct HolderStatus {
  int step = 0;
  int err = 0;
};

void WriteAll(int fd, const void* data, size_t size) {
  (void)!write(fd, data, size);
}

[[noreturn]] void HolderMain(int ns_type, int count) {
  const char* path = ns_type == CLONE_NEWNET ? "/proc/self/ns/net" : "/proc/self/ns/mnt";
  rlimit lim{};
  char go = 0;
  HolderStatus status;

  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  if (read(0, &go, 1) != 1) _exit(0);

  for (int i = 0; i < count && status.step == 0; ++i) {
    if (unshare(ns_type) != 0) {
      status = {1, errno};
    } else if (open(path, O_RDONLY) < 0) {
      status = {2, errno};
    }
  }
  WriteAll(1, &status, sizeof(status));
  for (;;) {  // parked until the command pipe closes
    ssize_t n = read(0, &go, 1);
    if (n == 0 || (n < 0 && errno != EINTR)) _exit(0);
  }
}

void ClosePair(int fds[2]) {
  close(fds[0]);
  close(fds[1]);
}

}  // namespace

pid_t ForkHelper(const char* name, int command_fd, int status_fd) {
  sigset_t stop, old;
  pid_t parent = getpid();

  sigemptyset(&stop);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT})
    sigaddset(&stop, sig);
  pthread_sigmask(SIG_BLOCK, &stop, &old);
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    prctl(PR_SET_NAME, name);
    if (dup2(command_fd, 0) < 0 || dup2(status_fd, 1) < 0) _exit(1);
    close_range(kFirstHeldFd, ~0U, 0);
    return 0;
  }
  int err = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) throw SysError(err, std::string("starting helper process ") + name);
  return pid;
}

int NsPerHolder() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) ThrowErrno("reading RLIMIT_NOFILE");
  rlim_t hard = lim.rlim_max == RLIM_INFINITY ? (1 << 20) : lim.rlim_max;
  return static_cast<int>(hard) - kFirstHeldFd - kHolderSpareFds;
}

NsHolder SpawnNsHolder(int ns_type, int count) {
  int command[2], status[2];
  if (pipe2(command, O_CLOEXEC) != 0) ThrowErrno("creating a holder's command pipe");
  if (pipe2(status, O_CLOEXEC) != 0) {
    ClosePair(command);
    ThrowErrno("creating a holder's status pipe");
  }

  pid_t pid;
  try {
    pid = ForkHelper("isocost-holder", command[0], status[1]);
  } catch (...) {
    ClosePair(command);
    ClosePair(status);
    throw;
  }
  if (pid == 0) HolderMain(ns_type, count);
  close(command[0]);
  close(status[1]);
  return {pid, ProcessStartTicks(pid), command[1], status[0], count};
}

void GoNsHolder(const NsHolder& holder) {
  char go = 1;
  if (write(holder.command_fd, &go, 1) != 1) {
    ThrowErrno("starting holder " + std::to_string(holder.pid));
  }
}

void WaitNsHolder(const NsHolder& holder) {
  HolderStatus status;
  std::string what = "holder " + std::to_string(holder.pid) + " making " +
                     std::to_string(holder.count) + " namespaces";
  pollfd p{holder.status_fd, POLLIN, 0};

  for (;;) {
    if (Interrupted()) throw Error(ErrorKind::kInterrupted, "interrupted");
    int n = poll(&p, 1, kWaitSliceMs);
    if (n < 0 && errno != EINTR) ThrowErrno("waiting for " + what);
    if (n > 0) break;
  }
  ssize_t got = read(holder.status_fd, &status, sizeof(status));
  if (got != static_cast<ssize_t>(sizeof(status))) {
    throw Error(ErrorKind::kFailure, what + ": it ended without saying why");
  }
  if (status.step == 1 && status.err == ENOSPC) {
    throw SysError(status.err, what +
                                   ": unshare failed: the user.max_mnt_namespaces or "
                                   "user.max_net_namespaces limit was reached");
  }
  if (status.step != 0) {
    throw SysError(status.err, what + ": " + (status.step == 1 ? "unshare" : "open") + " failed");
  }
}

std::string NsHolderFdPath(const NsHolder& holder, int i) {
  return "/proc/" + std::to_string(holder.pid) + "/fd/" + std::to_string(kFirstHeldFd + i);
}

void EndNsHolder(NsHolder& holder) {
  if (holder.pid <= 0) return;
  kill(holder.pid, SIGKILL);
  close(holder.command_fd);
  close(holder.status_fd);
  Reap(holder.pid);
  holder = NsHolder{};
}

void KillOwnedProcess(pid_t pid, unsigned long long start_ticks) {
  if (!ProcessAlive(pid, start_ticks)) return;  // gone, or the pid was reused
  std::string comm = Trim(TryReadFile("/proc/" + std::to_string(pid) + "/comm").value_or(""));
  if (comm.rfind("isocost-", 0) != 0) {
    throw Error(ErrorKind::kFailure, "refusing to kill process " + std::to_string(pid) + " ('" +
                                         comm + "'): not an isocost-* helper");
  }
  if (kill(pid, SIGKILL) != 0 && errno != ESRCH) {
    ThrowErrno("killing helper process " + std::to_string(pid));
  }
}

void MakePinDirectory(const std::string& path) {
  if (!OwnedName(path)) {
    throw Error(ErrorKind::kFailure, "pin directory " + path + ": name lacks 'isocost'");
  }
  if (mkdir(path.c_str(), 0755) != 0) ThrowErrno("creating pin directory " + path);
  if (mount(path.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    ThrowErrno("bind-mounting pin directory " + path + " onto itself");
  }
  if (mount(nullptr, path.c_str(), nullptr, MS_PRIVATE, nullptr) != 0) {
    ThrowErrno("making pin directory " + path + " private");
  }
}

void PinNamespace(const std::string& source, const std::string& dir, const std::string& name) {
  std::string target = dir + "/" + name;
  int fd = open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
  if (fd < 0) ThrowErrno("creating pin file " + target);
  close(fd);
  if (mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    ThrowErrno("pinning " + source + " at " + target);
  }
}

void RemovePinDirectory(const std::string& path) {
  if (!OwnedName(path)) {
    throw Error(ErrorKind::kFailure,
                "refusing to remove pin directory " + path + ": its name lacks 'isocost'");
  }
  // Each detach takes the mount on top with everything below it; the loop
  // ends at the directory's own file system (EINVAL) or when it is gone.
  for (int i = 0; i < 16; ++i) {
    if (umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) continue;
    if (errno == EINVAL || errno == ENOENT) break;
    ThrowErrno("unmounting pin directory " + path);
  }
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0 && errno == ENOENT) return;
  RemoveOwnedTree(path);
}

KernelMemory ReadKernelMemory() {
  KernelMemory m;
  std::istringstream in(ReadFile("/proc/meminfo"));
  std::string key;
  long long kib = 0;
  std::string unit;
  while (in >> key >> kib) {
    if (key == "Slab:") m.slab_bytes = kib * 1024;
    if (key == "SUnreclaim:") m.unreclaimable_bytes = kib * 1024;
    std::getline(in, unit);
  }
  return m;
}

long long ProcessMemoryBytes(const std::string& pid, const std::string& field) {
  std::istringstream in(TryReadFile("/proc/" + pid + "/status").value_or(""));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) != 0) continue;
    return std::stoll(line.substr(field.size() + 1)) * 1024;  // "VmRSS:   1234 kB"
  }
  return 0;
}

}  // namespace isocost
