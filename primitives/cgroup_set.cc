#include "primitives/cgroup_set.h"

#include <unistd.h>

#include <algorithm>
#include <optional>

#include "primitives/error.h"
#include "primitives/fs.h"

namespace isocost {

void CgroupDirs::CloseFds() {
  for (int fd : procs_fds)
    close(fd);
  procs_fds.clear();
  if (dir_fd >= 0) close(dir_fd);
  dir_fd = -1;
}

std::vector<std::string> V1Roots(const CgroupMounts& mounts,
                                 const std::vector<std::string>& controllers) {
  std::vector<std::string> roots;
  for (const std::string& c : controllers) {
    const CgroupHierarchy* h = mounts.FindV1(c);
    if (h == nullptr) {
      throw Error(ErrorKind::kUnsupported, "no cgroup v1 hierarchy carries '" + c + "'");
    }
    if (std::find(roots.begin(), roots.end(), h->mount_point) == roots.end()) {
      roots.push_back(h->mount_point);
    }
  }
  return roots;
}

std::string MakeCgroupTop(HostGuard& guard, const std::string& root, const std::string& name,
                          std::vector<HostGuard::Id>& undo) {
  std::string top = root + "/" + name;
  undo.push_back(guard.Apply("cgroup_tree", {{"path", top}}, [&] { MakeCgroup(top); }));

  // v1 cpuset (cgroup.clone_children is v1's): children need cpus and mems
  // before a task may join.
  if (TryReadFile(top + "/cgroup.clone_children") && TryReadFile(top + "/cpuset.cpus")) {
    WriteExistingFile(top + "/cpuset.cpus", Trim(ReadFile(root + "/cpuset.cpus")));
    WriteExistingFile(top + "/cpuset.mems", Trim(ReadFile(root + "/cpuset.mems")));
    WriteExistingFile(top + "/cgroup.clone_children", "1");
  }
  return top;
}

CgroupDirs MakeCgroupIn(const std::vector<std::string>& tops, const std::string& leaf) {
  CgroupDirs cg;
  for (const std::string& top : tops) {
    cg.dirs.push_back(top + "/" + leaf);
    MakeCgroup(cg.dirs.back());
  }
  return cg;
}

void KeepOpen(CgroupDirs& cg, bool v2) {
  for (const std::string& dir : cg.dirs)
    cg.procs_fds.push_back(OpenCgroupProcs(dir));
  if (v2) cg.dir_fd = OpenCgroupDir(cg.dirs.front());
}

void AttachAll(const CgroupDirs& cg, pid_t pid) {
  for (size_t i = 0; i < cg.dirs.size(); ++i) {
    std::string procs = cg.dirs[i] + "/cgroup.procs";
    if (i < cg.procs_fds.size()) {
      AttachToCgroup(cg.procs_fds[i], pid, procs);
      continue;
    }
    int fd = OpenCgroupProcs(cg.dirs[i]);
    try {
      AttachToCgroup(fd, pid, procs);
    } catch (...) {
      close(fd);
      throw;
    }
    close(fd);
  }
}

void CgroupPool::Add(CgroupDirs cg) {
  std::lock_guard lock(mu_);
  all_.push_back(std::move(cg));
  free_.push_back(all_.size() - 1);
}

size_t CgroupPool::Take() {
  std::lock_guard lock(mu_);
  if (free_.empty()) throw Error(ErrorKind::kFailure, "the cgroup pool is empty");
  size_t slot = free_.back();
  free_.pop_back();
  return slot;
}

void CgroupPool::Give(size_t slot) {
  std::lock_guard lock(mu_);
  free_.push_back(slot);
}

void CgroupPool::Clear() {
  std::lock_guard lock(mu_);
  for (CgroupDirs& cg : all_)
    cg.CloseFds();
  all_.clear();
  free_.clear();
}

}  // namespace isocost
