// Holding namespaces without a process per namespace: holder processes that
// make namespaces and keep each by an open nsfs file descriptor, and pin
// directories whose files are bind mounts of namespace files (as
// `ip netns add` pins network namespaces).
#pragma once

#include <sys/types.h>

#include <string>

namespace isocost {

// A child that makes namespaces of one type and holds each by an fd. It
// starts idle, so that it can be journaled before it changes anything;
// Go() lets it make them, Wait() waits until it has.
struct NsHolder {
  pid_t pid = -1;
  unsigned long long start_ticks = 0;  // with pid, identifies it for the journal
  int command_fd = -1;                 // closing it lets the holder exit
  int status_fd = -1;                  // the holder writes its result here
  int count = 0;
};

// ns_type: CLONE_NEWNS or CLONE_NEWNET. count must not exceed
// NsPerHolder(). The child is named isocost-holder.
NsHolder SpawnNsHolder(int ns_type, int count);
// Tells the holder to make its namespaces.
void GoNsHolder(const NsHolder& holder);
// Waits until the holder holds all its namespaces (polling Interrupted()).
void WaitNsHolder(const NsHolder& holder);
// The path of the holder's i-th namespace fd, i in [0, count).
std::string NsHolderFdPath(const NsHolder& holder, int i);
// Closes the holder's pipes and reaps it (killed first): its namespaces go
// when their last reference does.
void EndNsHolder(NsHolder& holder);

// How many namespaces one holder process can keep open: the hard limit on
// open files less a few it needs for itself.
int NsPerHolder();

// Starts a helper child the way holders are started: stop signals blocked,
// killed when its parent thread ends (PR_SET_PDEATHSIG), named `name`
// (which must carry "isocost"), command_fd as its fd 0 and status_fd as
// its fd 1, every other fd above 2 closed. Returns 0 in the child, which
// may then make only async-signal-safe calls, and the pid in the parent.
pid_t ForkHelper(const char* name, int command_fd, int status_fd);

// Kills an isocost helper process identified by pid and start time (field
// 22 of /proc/<pid>/stat) if it is still that process; refuses one whose
// name does not start with "isocost-" (isocost itself is "isocost"). For the
// journal's undo table.
void KillOwnedProcess(pid_t pid, unsigned long long start_ticks);

// A pin directory: created, bind-mounted onto itself and made private, so
// that pins made inside do not propagate into other mount namespaces. Its
// name must carry "isocost".
void MakePinDirectory(const std::string& path);
// Bind-mounts the namespace file `source` (/proc/<pid>/fd/<n> or
// /proc/<pid>/ns/<type>) onto a new file `name` in the pin directory.
void PinNamespace(const std::string& source, const std::string& dir, const std::string& name);
// Lazily unmounts the pin directory with every pin in it, then removes it.
void RemovePinDirectory(const std::string& path);

// Kernel memory from /proc/meminfo, in bytes: Slab and SUnreclaim.
struct KernelMemory {
  long long slab_bytes = 0;
  long long unreclaimable_bytes = 0;
};
KernelMemory ReadKernelMemory();
// A /proc/<pid>/status field in bytes ("VmRSS", "VmHWM"); 0 if absent.
long long ProcessMemoryBytes(const std::string& pid, const std::string& field);

}  // namespace isocost
