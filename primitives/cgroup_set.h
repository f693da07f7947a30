// The cgroups an experiment point makes: one journaled top directory per
// hierarchy, cgroups below them spanning every top, and a pool of them
// kept open for reuse. Shared by figure 5 and the end-to-end containers.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "primitives/cgroup.h"
#include "primitives/guard.h"

namespace isocost {

// One cgroup: a directory in each hierarchy; a pooled one keeps its
// cgroup.procs files and (cgroup2) its directory open.
struct CgroupDirs {
  std::vector<std::string> dirs;
  std::vector<int> procs_fds;
  int dir_fd = -1;

  void CloseFds();
};

// The mount points of the v1 hierarchies carrying these controllers, each
// once; throws kUnsupported naming a controller no hierarchy carries.
std::vector<std::string> V1Roots(const CgroupMounts& mounts,
                                 const std::vector<std::string>& controllers);

// Makes root/name, journaled (its undo removes the whole tree), ready for
// children: a v1 cpuset top gets its parent's cpus and mems. Returns it.
std::string MakeCgroupTop(HostGuard& guard, const std::string& root, const std::string& name,
                          std::vector<HostGuard::Id>& undo);

// Makes <top>/<leaf> in every top.
CgroupDirs MakeCgroupIn(const std::vector<std::string>& tops, const std::string& leaf);
// Opens what reusing cg needs: its cgroup.procs files, and for cgroup2 its
// directory (for clone3(CLONE_INTO_CGROUP)).
void KeepOpen(CgroupDirs& cg, bool v2);
// Writes pid to the cgroup.procs of each of cg's directories.
void AttachAll(const CgroupDirs& cg, pid_t pid);

// Pooled cgroups, taken and given back by threads.
class CgroupPool {
 public:
  void Add(CgroupDirs cg);
  // A free slot; throws when every one is taken.
  size_t Take();
  void Give(size_t slot);
  const CgroupDirs& at(size_t slot) const { return all_[slot]; }
  // Closes every pooled cgroup's files; the directories stay for the undo.
  void Clear();

 private:
  std::deque<CgroupDirs> all_;
  std::vector<size_t> free_;
  std::mutex mu_;
};

}  // namespace isocost
