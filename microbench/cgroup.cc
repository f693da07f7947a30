// Figure 5: cgroup create-and-delete against reuse from a pool.
//
// create: make a cgroup, start a process in it, let it exit, remove it.
// reuse:  take a cgroup from a pool made beforehand, start a process in it,
//         let it exit, give the cgroup back.
// A "cgroup" is one directory in each chosen v1 hierarchy, or one cgroup2
// directory. The process joins by writing its pid to cgroup.procs after it
// was started, or is born inside with clone3(CLONE_INTO_CGROUP) (v2 only).
// Pooled cgroups keep their cgroup.procs and directory open, as a pool
// manager would; create opens them anew each time.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <exception>
#include <set>

#include "microbench/experiments.h"
#include "primitives/cgroup_set.h"
#include "primitives/error.h"
#include "primitives/fs.h"
#include "primitives/guard.h"
#include "primitives/process.h"

namespace isocost {
namespace {

const std::vector<std::string> kV1Controllers = {
    "blkio", "cpu",     "cpuacct",  "cpuset",     "devices", "freezer", "hugetlb",     "memory",
    "misc",  "net_cls", "net_prio", "perf_event", "pids",    "rdma",    "name=systemd"};
const std::vector<std::string> kV2Controllers = {"cpu",    "cpuset", "hugetlb", "io",
                                                 "memory", "misc",   "pids",    "rdma"};

enum Counter { kRmdirRetries = 0 };

// Kills and reaps a child whose operation failed.
void Discard(ParkedChild& child) {
  kill(child.pid, SIGKILL);
  if (child.release_fd >= 0) close(child.release_fd);
  child.release_fd = -1;
  Reap(child.pid);
}

void CheckExit(pid_t pid, int status) {
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw Error(ErrorKind::kFailure, "child " + std::to_string(pid) +
                                         " did not exit cleanly (wait status " +
                                         std::to_string(status) + ")");
  }
}

class CgroupWorkload : public Workload {
 public:
  CgroupWorkload(const Point& point, HostGuard& guard)
      : guard_(guard),
        reuse_(point.String("pattern") == "reuse"),
        v2_(point.String("cgroup_version") == "v2"),
        clone3_(point.String("join") == "clone3"),
        v1_hierarchies_(point.List("v1_hierarchies")),
        v2_controllers_(point.List("v2_controllers")),
        pool_size_(static_cast<int>(point.Int("pool_size"))) {}

  void Prepare(int threads) override {
    CgroupMounts mounts = DiscoverCgroupMounts();
    std::string name = "isocost-" + std::to_string(getpid()) + "-" + std::to_string(++serial_);

    if (v2_) {
      EnableRootControllers(*mounts.v2);
      tops_.push_back(MakeCgroupTop(guard_, *mounts.v2, name, undo_));
      for (const std::string& c : v2_controllers_) {
        WriteExistingFile(tops_.back() + "/cgroup.subtree_control", "+" + c);
      }
    } else {
      for (const std::string& root : V1Roots(mounts, v1_hierarchies_))
        tops_.push_back(MakeCgroupTop(guard_, root, name, undo_));
    }
    next_op_.assign(static_cast<size_t>(threads), 0);
    if (reuse_) MakePool();
  }

  void Operation(int thread, uint64_t* counters) override {
    if (!reuse_) {
      CgroupDirs cg = Create(thread);
      RunChildIn(cg);
      Remove(cg, counters);
      return;
    }
    size_t slot = pool_.Take();
    try {
      RunChildIn(pool_.at(slot));
    } catch (...) {
      pool_.Give(slot);
      throw;
    }
    pool_.Give(slot);
  }

  void Release() override {
    pool_.Clear();
    tops_.clear();
    guard_.UndoEach(undo_);  // every undo tried; the first problem thrown
  }

 private:
  // Enables the chosen controllers at the cgroup2 root if they are not yet;
  // journaled, so that they are disabled again afterwards.
  void EnableRootControllers(const std::string& root) {
    std::vector<std::string> enabled = ReadCgroupList(root + "/cgroup.subtree_control");
    for (const std::string& c : v2_controllers_) {
      if (std::find(enabled.begin(), enabled.end(), c) != enabled.end()) continue;
      undo_.push_back(guard_.Apply("cgroup_controller", {{"path", root}, {"controller", c}}, [&] {
        WriteExistingFile(root + "/cgroup.subtree_control", "+" + c);
      }));
    }
  }

  CgroupDirs Create(int thread) {
    uint64_t n = next_op_[static_cast<size_t>(thread)]++;
    return MakeCgroupIn(tops_, "op-" + std::to_string(thread) + "-" + std::to_string(n));
  }

  void Remove(const CgroupDirs& cg, uint64_t* counters) {
    for (const std::string& dir : cg.dirs)
      RemoveCgroup(dir, &counters[kRmdirRetries]);
  }

  void MakePool() {
    for (int i = 0; i < pool_size_; ++i) {
      CgroupDirs cg = MakeCgroupIn(tops_, "pool-" + std::to_string(i));
      KeepOpen(cg, v2_);  // closed by Release
      pool_.Add(std::move(cg));
    }
  }

  // Starts a process in cg and waits until it has exited and been reaped.
  void RunChildIn(const CgroupDirs& cg) {
    if (clone3_) {
      int fd = cg.dir_fd >= 0 ? cg.dir_fd : OpenCgroupDir(cg.dirs.front());
      pid_t pid = -1;
      try {
        pid = SpawnIntoCgroup(fd);
      } catch (...) {
        if (fd != cg.dir_fd) close(fd);
        throw;
      }
      if (fd != cg.dir_fd) close(fd);
      CheckExit(pid, Reap(pid));
      return;
    }

    ParkedChild child = SpawnParked();
    try {
      AttachAll(cg, child.pid);
      isocost::Release(child);
    } catch (...) {
      Discard(child);
      throw;
    }
    CheckExit(child.pid, Reap(child.pid));
  }

  static inline std::atomic<int> serial_{0};

  HostGuard& guard_;
  bool reuse_, v2_, clone3_;
  std::vector<std::string> v1_hierarchies_, v2_controllers_;
  int pool_size_;

  std::vector<HostGuard::Id> undo_;
  std::vector<std::string> tops_;
  std::vector<uint64_t> next_op_;
  CgroupPool pool_;
};

std::string CheckPoint(const Point& p) {
  bool v1 = p.String("cgroup_version") == "v1";
  if (v1 && p.String("join") == "clone3") {
    return "join: clone3 starts the child with CLONE_INTO_CGROUP, which takes a cgroup2 "
           "directory; it cannot be combined with cgroup_version v1 (use join: procs)";
  }
  if (v1 && p.List("v1_hierarchies").empty()) {
    return "v1_hierarchies: cgroup_version v1 needs at least one hierarchy";
  }
  if (p.String("pattern") == "reuse" && p.Int("pool_size") < p.Int("threads")) {
    return "pool_size " + std::to_string(p.Int("pool_size")) + " is smaller than threads " +
           std::to_string(p.Int("threads")) +
           ": each thread holds one pooled cgroup at a time, so the pool needs at least one "
           "per thread";
  }
  return "";
}

// Starts a child into this process's own cgroup2 cgroup: a probe of
// clone3(CLONE_INTO_CGROUP) that changes nothing.
std::string ProbeClone3(const std::string& v2_root) {
  std::string own;
  for (const std::string& line : SplitWords(ReadFile("/proc/self/cgroup"))) {
    if (line.rfind("0::", 0) == 0) own = line.substr(3);
  }
  try {
    int fd = OpenCgroupDir(v2_root + own);
    pid_t pid = -1;
    try {
      pid = SpawnIntoCgroup(fd);
    } catch (...) {
      close(fd);
      throw;
    }
    close(fd);
    Reap(pid);
  } catch (const Error& e) {
    return std::string("clone3(CLONE_INTO_CGROUP) does not work here (it needs Linux 5.7): ") +
           e.what();
  }
  return "";
}

std::string Unsupported(const Point& p) {
  CgroupMounts mounts = DiscoverCgroupMounts();

  if (p.String("cgroup_version") == "v1") {
    if (mounts.v1.empty()) {
      return "this host has no cgroup v1 hierarchies (cgroup layout: " + mounts.Layout() + ")";
    }
    for (const std::string& c : p.List("v1_hierarchies")) {
      if (!mounts.FindV1(c)) return "no cgroup v1 hierarchy carries '" + c + "' on this host";
    }
    return "";
  }
  if (!mounts.v2) return "cgroup2 is not mounted on this host";
  std::vector<std::string> available = ReadCgroupList(*mounts.v2 + "/cgroup.controllers");
  for (const std::string& c : p.List("v2_controllers")) {
    if (std::find(available.begin(), available.end(), c) == available.end()) {
      return "cgroup2 controller '" + c + "' is not available at " + *mounts.v2 +
             " (its cgroup.controllers lists: " +
             (available.empty() ? "none" : FormatValue(available)) +
             "); on a hybrid host it is usually bound to a v1 hierarchy";
    }
  }
  if (p.String("join") == "clone3") return ProbeClone3(*mounts.v2);
  return "";
}

}  // namespace

ExperimentSpec CgroupExperiment() {
  ExperimentSpec e;
  e.name = "cgroup";
  e.figure = "5";
  e.summary =
      "cgroup create-and-delete against reuse from a pre-created pool: a process is started "
      "in the cgroup, exits and is reaped each operation";
  e.params = {
      {"pattern",
       ParamType::kString,
       std::string("create"),
       "create: mkdir, join, exit, rmdir each time; reuse: take from a pool, join, exit, give "
       "back",
       {"create", "reuse"}},
      {"threads", ParamType::kInt, int64_t{1}, "threads doing operations at once", {}, 1, 1024},
      {"cgroup_version",
       ParamType::kString,
       std::string("v2"),
       "v1: one directory per chosen v1 hierarchy; v2: one cgroup2 directory",
       {"v1", "v2"}},
      {"v1_hierarchies", ParamType::kStringList, std::vector<std::string>{"cpu", "memory", "pids"},
       "v1 hierarchies (by controller) a cgroup spans; comounted ones count once", kV1Controllers},
      {"v2_controllers", ParamType::kStringList, std::vector<std::string>{},
       "controllers enabled in the parent's cgroup.subtree_control ([] for none)", kV2Controllers},
      {"join",
       ParamType::kString,
       std::string("procs"),
       "procs: write the pid to cgroup.procs after starting it; clone3: start it inside "
       "with CLONE_INTO_CGROUP (v2 only)",
       {"procs", "clone3"}},
      {"pool_size",
       ParamType::kInt,
       int64_t{16},
       "cgroups made beforehand for reuse (at least threads)",
       {},
       1,
       4096},
  };
  e.counters = {{"rmdir_retries", "retries/op",
                 "rmdir attempts that returned EBUSY while the exited process was released"}};
  e.check = CheckPoint;
  e.unsupported = Unsupported;
  e.make = [](const Point& p, HostGuard& guard) -> std::unique_ptr<Workload> {
    return std::make_unique<CgroupWorkload>(p, guard);
  };
  e.microbench_sweep = {
      {"cgroup_version", {std::string("v2"), std::string("v1")}},
      {"pattern", {std::string("create"), std::string("reuse")}},
      {"threads", {int64_t{1}, int64_t{2}, int64_t{4}, int64_t{8}, int64_t{16}}},
  };
  return e;
}

}  // namespace isocost
