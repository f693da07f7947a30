#include "process.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "error.h"
#include "fs.h"

namespace isocost {
namespace {

// clone3 without a new stack behaves like fork for the calling thread. The
// child runs only async-signal-safe system calls before it exits.
pid_t Clone3(clone_args* args) {
  return static_cast<pid_t>(syscall(SYS_clone3, args, sizeof(*args)));
}

[[noreturn]] void ChildParked(int read_fd, int write_fd, pid_t parent) {
  char byte;
  close(write_fd);  // so that the parent's closing it alone means EOF
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1);
  while (read(read_fd, &byte, 1) < 0 && errno == EINTR) {
  }
  _exit(0);
}

}  // namespace

StopSignalsBlocked::StopSignalsBlocked() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT})
    sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, &old_);
}

StopSignalsBlocked::~StopSignalsBlocked() {
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

ParkedChild SpawnParked() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) ThrowErrno("creating a pipe for a parked child");

  pid_t parent = getpid();
  clone_args args{};
  args.exit_signal = SIGCHLD;
  pid_t pid;
  {
    StopSignalsBlocked blocked;
    pid = Clone3(&args);
    if (pid < 0 && errno == ENOSYS) pid = fork();
    if (pid == 0) ChildParked(fds[0], fds[1], parent);
  }

  int err = errno;
  close(fds[0]);
  if (pid < 0) {
    close(fds[1]);
    throw SysError(err, "starting a child process");
  }
  return {pid, fds[1]};
}

void Release(ParkedChild& child) {
  char byte = 0;
  ssize_t n = write(child.release_fd, &byte, 1);
  int err = errno;
  close(child.release_fd);
  child.release_fd = -1;
  if (n != 1) throw SysError(err, "releasing child " + std::to_string(child.pid));
}

pid_t SpawnChild(unsigned long long flags, int cgroup_fd, ChildMain child_main, void* arg) {
  clone_args args{};
  args.flags = flags | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0) args.cgroup = static_cast<__u64>(cgroup_fd);

  pid_t parent = getpid();
  pid_t pid;
  {
    StopSignalsBlocked blocked;
    pid = Clone3(&args);
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      // In a new PID namespace the parent is invisible (getppid() is 0).
      if ((flags & CLONE_NEWPID) == 0 && getppid() != parent) _exit(1);
      child_main(arg);
      _exit(127);
    }
  }
  if (pid < 0) ThrowErrno("starting a child with clone3");
  return pid;
}

pid_t SpawnIntoCgroup(int cgroup_fd) {
  clone_args args{};
  args.flags = CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<__u64>(cgroup_fd);

  pid_t pid;
  {
    StopSignalsBlocked blocked;
    pid = Clone3(&args);
    if (pid == 0) _exit(0);
  }
  if (pid < 0) ThrowErrno("starting a child with clone3(CLONE_INTO_CGROUP)");
  return pid;
}

int Reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) ThrowErrno("waiting for child " + std::to_string(pid));
  }
  return status;
}

void BecomeSubreaper() {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) ThrowErrno("becoming a child subreaper");
}

bool AnyChildAlive() {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG | __WALL);
    if (pid > 0) continue;  // an exited stray, now reaped
    return pid == 0;        // 0: one is still running; -1 (ECHILD): none
  }
}

int KillChildren() {
  int killed = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    auto children = TryReadFile(task.path().string() + "/children");
    for (const std::string& word : SplitWords(children.value_or(""))) {
      if (kill(static_cast<pid_t>(std::stol(word)), SIGKILL) == 0) ++killed;
    }
  }
  for (int i = 0; i < 2000 && AnyChildAlive(); ++i)
    usleep(1000);
  return killed;
}

}  // namespace isocost
