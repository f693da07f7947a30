// cgroup primitives for both layouts: v1 hierarchies (one mount per set of
// controllers) and the cgroup2 unified hierarchy, found in mountinfo.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace isocost {

// One mounted v1 hierarchy, with its controllers ("cpu", "cpuacct") or its
// name for a named hierarchy ("name=systemd").
struct CgroupHierarchy {
  std::string mount_point;
  std::vector<std::string> controllers;

  bool Has(std::string_view controller) const;
};

struct CgroupMounts {
  std::vector<CgroupHierarchy> v1;
  std::optional<std::string> v2;  // where cgroup2 is mounted

  // "v1", "v2", "hybrid" or "none".
  std::string Layout() const;
  // The v1 hierarchy that carries a controller ("memory", "name=systemd").
  const CgroupHierarchy* FindV1(std::string_view controller) const;
};

// Parses /proc/self/mountinfo text.
CgroupMounts ParseCgroupMounts(std::string_view mountinfo);
CgroupMounts DiscoverCgroupMounts();

// Words of a cgroup2 list file (cgroup.controllers, cgroup.subtree_control).
std::vector<std::string> ReadCgroupList(const std::string& path);

// Whether path is on a cgroup (v1) or cgroup2 file system.
bool OnCgroupFs(const std::string& path);

// Creates one cgroup directory; throws SysError naming it.
void MakeCgroup(const std::string& path);
// Removes an empty cgroup directory. rmdir returns EBUSY while an exited
// task is still being released; it is retried (counted in *retries) for up
// to timeout_ms, then the error is thrown.
void RemoveCgroup(const std::string& path, uint64_t* retries, int timeout_ms = 10000);
// Moves a process into a cgroup by writing its pid to cgroup.procs, given
// as an open file descriptor (kept open by the caller) or a path.
void AttachToCgroup(int procs_fd, pid_t pid, const std::string& procs_path);
// Opens a cgroup directory for clone3(CLONE_INTO_CGROUP).
int OpenCgroupDir(const std::string& path);
int OpenCgroupProcs(const std::string& path);

// Removes a cgroup subtree that isocost made: kills the processes left in
// it, then removes directories bottom-up. Refuses a path that is not on a
// cgroup file system or whose name does not contain "isocost". A missing
// path is not an error.
void RemoveOwnedCgroupTree(const std::string& path);

}  // namespace isocost
