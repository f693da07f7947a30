#include "primitives/mount.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "primitives/error.h"
#include "primitives/fs.h"
#include "primitives/process.h"

namespace isocost {
namespace {

constexpr long kFuseSuperMagic = 0x65735546;
constexpr size_t kMountDataMax = 4095;  // mount(2) copies one page, NUL included

std::string Join(const std::vector<std::string>& parts, char sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

void CheckFits(const std::string& data, const std::string& what) {
  if (data.size() > kMountDataMax) {
    throw Error(ErrorKind::kUsage, what + " options take " + std::to_string(data.size()) +
                                       " bytes; mount(2) accepts at most " +
                                       std::to_string(kMountDataMax) +
                                       " (use fewer layers or shorter paths)");
  }
}

// Mounts the tmpfs of a scratch tree and makes it private; a mount that
// cannot be made private is taken down again, so that a failed change
// leaves nothing.
void MountPrivateTmpfs(const std::string& path) {
  MountTmpfs(path, "mode=0700");
  if (mount(nullptr, path.c_str(), nullptr, MS_PRIVATE, nullptr) != 0) {
    int err = errno;
    umount2(path.c_str(), MNT_DETACH);
    throw SysError(err, "making the scratch mount " + path + " private");
  }
}

std::string ReadMemfd(int fd) {
  std::string text;
  char buf[4096];
  lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<size_t>(n));
  return Trim(text);
}

// Starts argv[0] with stdout and stderr going to out_fd; the child dies
// with the calling thread, and SIGINT and friends stay blocked in it (a
// terminal's Ctrl-C is isocost's to handle).
pid_t SpawnProgram(const std::vector<std::string>& args, int out_fd) {
  std::vector<char*> argv;
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  sigset_t blocked, old;
  sigemptyset(&blocked);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT})
    sigaddset(&blocked, sig);
  pthread_sigmask(SIG_BLOCK, &blocked, &old);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int err = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) throw SysError(err, "starting " + args[0]);
  return pid;
}

// Waits until target is a FUSE mount, or the program has exited.
void AwaitFuseMount(pid_t pid, const std::string& target, int out_fd) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    struct statfs fs {};
    if (statfs(target.c_str(), &fs) == 0 && fs.f_type == kFuseSuperMagic) return;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      throw Error(ErrorKind::kFailure, "fuse-overlayfs exited (wait status " +
                                           std::to_string(status) + ") before mounting " + target +
                                           ": " + ReadMemfd(out_fd));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      Reap(pid);
      throw Error(ErrorKind::kFailure, "fuse-overlayfs did not mount " + target + " within 10 s");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

}  // namespace

Scratch MakeScratch(HostGuard& guard, const std::string& path) {
  Scratch s;
  s.path = path;
  if (!OwnedName(path)) {
    throw Error(ErrorKind::kFailure, "scratch directory " + path + " must carry 'isocost'");
  }
  s.directory = guard.Apply("directory", {{"path", path}}, [&] {
    if (mkdir(path.c_str(), 0700) == 0) return;
    if (errno == EEXIST) {
      throw Error(ErrorKind::kFailure, "scratch directory " + path +
                                           " exists: left by an earlier run that was killed? "
                                           "`isocost cleanup` removes it");
    }
    ThrowErrno("creating scratch directory " + path);
  });
  s.mount = guard.Apply("mount", {{"target", path}}, [&] { MountPrivateTmpfs(path); });
  return s;
}

void RemoveScratch(HostGuard& guard, const Scratch& scratch) {
  guard.Undo(scratch.mount);
  guard.Undo(scratch.directory);
}

void Mount(const std::string& source, const std::string& target, const char* fstype,
           unsigned long flags, const std::string& data) {
  if (mount(source.c_str(), target.c_str(), fstype, flags, data.empty() ? nullptr : data.c_str()) !=
      0) {
    ThrowErrno(std::string("mounting ") + (fstype ? fstype : "") + " " + source + " on " + target);
  }
}

void BindMount(const std::string& source, const std::string& target, bool read_only) {
  if (mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    ThrowErrno("bind-mounting " + source + " on " + target);
  }
  if (!read_only) return;
  if (mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
    int err = errno;
    umount2(target.c_str(), MNT_DETACH);
    throw SysError(err, "making the bind mount " + target + " read-only");
  }
}

void MountTmpfs(const std::string& target, const std::string& data) {
  Mount("isocost", target, "tmpfs", 0, data);
}

std::string OverlayOptions(const OverlaySpec& spec) {
  if (spec.lowers.empty()) throw Error(ErrorKind::kUsage, "an overlay needs a lower layer");
  std::string data = "lowerdir=" + Join(spec.lowers, ':') + ",upperdir=" + spec.upper +
                     ",workdir=" + spec.work + ",index=off,metacopy=off";
  CheckFits(data, "overlay");
  return data;
}

void MountOverlay(const OverlaySpec& spec, const std::string& target) {
  Mount("overlay", target, "overlay", 0, OverlayOptions(spec));
}

std::string AufsOptions(const OverlaySpec& spec) {
  std::string data = "br:" + spec.upper + "=rw";
  for (const std::string& lower : spec.lowers)
    data += ":" + lower + "=ro";
  CheckFits(data, "aufs");
  return data;
}

void MountAufs(const OverlaySpec& spec, const std::string& target) {
  Mount("none", target, "aufs", 0, AufsOptions(spec));
}

pid_t StartFuseOverlayfs(const OverlaySpec& spec, const std::string& target) {
  std::string program = FindFuseOverlayfs();
  if (program.empty()) throw Error(ErrorKind::kUnsupported, "fuse-overlayfs is not installed");
  std::string options =
      "lowerdir=" + Join(spec.lowers, ':') + ",upperdir=" + spec.upper + ",workdir=" + spec.work;
  int out_fd = memfd_create("isocost-fuse-overlayfs", MFD_CLOEXEC);
  if (out_fd < 0) ThrowErrno("creating a buffer for fuse-overlayfs's messages");

  pid_t pid = -1;
  try {
    pid = SpawnProgram({program, "-f", "-o", options, target}, out_fd);
    AwaitFuseMount(pid, target, out_fd);
  } catch (...) {
    close(out_fd);
    throw;
  }
  close(out_fd);
  return pid;
}

void StopFuseOverlayfs(pid_t pid, const std::string& target) {
  try {
    Unmount(target);
  } catch (...) {
    kill(pid, SIGKILL);
    Reap(pid);
    throw;
  }
  Reap(pid);  // it exits once its mount is gone
}

void Unmount(const std::string& target, bool lazy) {
  int flags = UMOUNT_NOFOLLOW | (lazy ? MNT_DETACH : 0);
  if (umount2(target.c_str(), flags) != 0) ThrowErrno("unmounting " + target);
}

int DetachAll(const std::string& target) {
  int n = 0;
  while (umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
    ++n;
  return n;
}

std::string FilesystemMissing(const std::string& fstype) {
  std::string text = ReadFile("/proc/filesystems");
  for (const std::string& word : SplitWords(text)) {
    if (word == fstype) return "";
  }
  return "/proc/filesystems does not list '" + fstype +
         "': this kernel has no such file system built in or loaded";
}

std::string FindFuseOverlayfs() {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/bin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string candidate = path.substr(start, end - start) + "/fuse-overlayfs";
    if (end > start && access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

std::string FuseOverlayfsMissing() {
  if (FindFuseOverlayfs().empty()) {
    return "fuse-overlayfs is not installed (Debian package fuse-overlayfs; scripts/deps "
           "installs it)";
  }
  if (std::string why = FilesystemMissing("fuse"); !why.empty()) return why;
  if (access("/dev/fuse", R_OK | W_OK) != 0) {
    return "/dev/fuse cannot be opened for reading and writing, which fuse-overlayfs needs";
  }
  return "";
}

int64_t MountsInThisNamespace() {
  auto text = TryReadFile("/proc/self/mountinfo");
  return text ? std::count(text->begin(), text->end(), '\n') : 0;
}

int64_t MountMax() {
  auto text = TryReadFile("/proc/sys/fs/mount-max");
  try {
    return text ? std::stoll(Trim(*text)) : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace isocost
