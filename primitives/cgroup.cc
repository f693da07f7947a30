#include "cgroup.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "error.h"
#include "fs.h"
#include "mountinfo.h"

namespace isocost {
namespace {

// Mount options that are not controllers in a v1 super-options field.
bool IsMountOption(const std::string& opt) {
  static const char* const kOptions[] = {"rw",
                                         "ro",
                                         "noprefix",
                                         "clone_children",
                                         "xattr",
                                         "nsdelegate",
                                         "favordynmods",
                                         "memory_recursiveprot",
                                         "memory_localevents",
                                         "memory_hugetlb_accounting"};
  for (const char* o : kOptions) {
    if (opt == o) return true;
  }
  return opt.rfind("release_agent=", 0) == 0;
}

void KillProcsIn(const std::string& dir) {
  auto procs = TryReadFile(dir + "/cgroup.procs");
  if (!procs) return;
  for (const std::string& word : SplitWords(*procs)) {
    pid_t pid = static_cast<pid_t>(std::stol(word));
    if (pid > 0) kill(pid, SIGKILL);
  }
}

void RemoveTreeBottomUp(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec) && !entry.is_symlink(ec)) RemoveTreeBottomUp(entry.path());
  }
  KillProcsIn(dir.string());
  uint64_t retries = 0;
  RemoveCgroup(dir.string(), &retries);
}

}  // namespace

bool OnCgroupFs(const std::string& path) {
  struct statfs st {};
  if (statfs(path.c_str(), &st) != 0) return false;
  return st.f_type == CGROUP_SUPER_MAGIC || st.f_type == CGROUP2_SUPER_MAGIC;
}

bool CgroupHierarchy::Has(std::string_view controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

std::string CgroupMounts::Layout() const {
  if (v2 && !v1.empty()) return "hybrid";
  if (v2) return "v2";
  if (!v1.empty()) return "v1";
  return "none";
}

const CgroupHierarchy* CgroupMounts::FindV1(std::string_view controller) const {
  for (const CgroupHierarchy& h : v1) {
    if (h.Has(controller)) return &h;
  }
  return nullptr;
}

CgroupMounts ParseCgroupMounts(std::string_view mountinfo) {
  CgroupMounts mounts;

  for (const MountEntry& m : ParseMountinfo(mountinfo)) {
    if (m.fstype == "cgroup2" && !mounts.v2) {
      mounts.v2 = m.mount_point;
    } else if (m.fstype == "cgroup") {
      CgroupHierarchy h{m.mount_point, {}};
      for (const std::string& opt : m.super_options) {
        if (!IsMountOption(opt)) h.controllers.push_back(opt);
      }
      bool seen = std::any_of(mounts.v1.begin(), mounts.v1.end(), [&](const auto& other) {
        return other.controllers == h.controllers;
      });
      if (!seen && !h.controllers.empty()) mounts.v1.push_back(std::move(h));
    }
  }
  return mounts;
}

CgroupMounts DiscoverCgroupMounts() {
  return ParseCgroupMounts(ReadFile("/proc/self/mountinfo"));
}

std::vector<std::string> ReadCgroupList(const std::string& path) {
  return SplitWords(ReadFile(path));
}

void MakeCgroup(const std::string& path) {
  if (mkdir(path.c_str(), 0755) != 0) ThrowErrno("creating cgroup " + path);
}

void RemoveCgroup(const std::string& path, uint64_t* retries, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);

  while (rmdir(path.c_str()) != 0) {
    if (errno == ENOENT) return;
    if (errno != EBUSY || std::chrono::steady_clock::now() > deadline) {
      ThrowErrno("removing cgroup " + path);
    }
    ++*retries;
    std::this_thread::yield();
  }
}

void AttachToCgroup(int procs_fd, pid_t pid, const std::string& procs_path) {
  char buf[24];
  int len = snprintf(buf, sizeof buf, "%d", pid);

  if (write(procs_fd, buf, static_cast<size_t>(len)) != len) {
    ThrowErrno("moving process " + std::string(buf) + " into " + procs_path);
  }
}

int OpenCgroupDir(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) ThrowErrno("opening cgroup " + path);
  return fd;
}

int OpenCgroupProcs(const std::string& path) {
  std::string procs = path + "/cgroup.procs";
  int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) ThrowErrno("opening " + procs);
  return fd;
}

void RemoveOwnedCgroupTree(const std::string& path) {
  std::filesystem::path p(path);
  if (!OwnedName(path)) {
    throw Error(ErrorKind::kFailure,
                "refusing to remove cgroup " + path + ": its name does not contain 'isocost'");
  }
  std::error_code ec;
  if (!std::filesystem::exists(p, ec)) return;
  if (std::filesystem::is_symlink(p, ec) || !OnCgroupFs(path)) {
    throw Error(ErrorKind::kFailure,
                "refusing to remove " + path + ": it is not a directory on a cgroup file system");
  }
  InContext("removing cgroup tree " + path, [&] { RemoveTreeBottomUp(p); });
}

}  // namespace isocost
