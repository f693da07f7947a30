// Child processes for experiments. isocost is a child subreaper, and each
// child it starts dies with the thread that started it (PR_SET_PDEATHSIG),
// so nothing it starts outlives it or escapes its accounting.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>

namespace isocost {

// Blocks, in the calling thread, the signals that stop a run, so that a
// child started meanwhile inherits them blocked: a terminal's Ctrl-C goes
// to the whole process group, and it is isocost's to handle, not the
// helpers'. Every Spawn* below does this; so must other code that forks.
class StopSignalsBlocked {
 public:
  StopSignalsBlocked();
  ~StopSignalsBlocked();
  StopSignalsBlocked(const StopSignalsBlocked&) = delete;
  StopSignalsBlocked& operator=(const StopSignalsBlocked&) = delete;

 private:
  sigset_t old_;
};

// A child that waits, parked on a pipe, until released; then it exits.
struct ParkedChild {
  pid_t pid = -1;
  int release_fd = -1;
};

// Starts a parked child with clone3 (fork where clone3 is missing).
ParkedChild SpawnParked();
// Lets a parked child exit.
void Release(ParkedChild& child);
// Starts a child directly inside the cgroup v2 directory open at cgroup_fd
// (clone3 with CLONE_INTO_CGROUP); the child exits at once.
pid_t SpawnIntoCgroup(int cgroup_fd);
// Starts a child with clone3 and the given CLONE_* flags (new namespaces;
// CLONE_INTO_CGROUP is added when cgroup_fd >= 0). The child runs
// child_main(arg), which may only make async-signal-safe calls and must
// exec or _exit (it must not allocate: the parent is multithreaded); it dies
// with the calling thread (PR_SET_PDEATHSIG). Throws SysError keeping errno
// (ENOSPC when a namespace limit is reached).
using ChildMain = void (*)(void* arg);
pid_t SpawnChild(unsigned long long flags, int cgroup_fd, ChildMain child_main, void* arg);
// Waits for a child to exit and returns its wait status.
int Reap(pid_t pid);

// Makes this process the reaper of its orphaned descendants.
void BecomeSubreaper();
// Reaps descendants that have exited; true when one is still running.
bool AnyChildAlive();
// Kills and reaps every child of this process (all threads' children, from
// /proc/self/task/*/children); returns how many there were.
int KillChildren();

}  // namespace isocost
