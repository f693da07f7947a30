// Switching a task's root: chroot, against a new mount namespace plus
// pivot_root, against a new mount namespace alone. The target is SOCK's
// root (four bind mounts over the base image), assembled once per point.
//
// Each operation switches the calling thread and brings it back, so the
// process stays where it was:
// - chroot:     chroot(root); back: fchdir(old root) and chroot(".");
// - mntns:      unshare(CLONE_NEWNS); back: setns to the old namespace,
//               which drops the new one (its teardown is in "back");
// - pivot_root: unshare(CLONE_NEWNS), make every mount private, chdir to
//               the root, pivot_root(".", "."), detach the old root; back
//               as for mntns.
// Every operation first unshares the thread's file system context
// (CLONE_FS; a no-op once it is unshared), so that chroot and setns move
// only that thread, also when Google Benchmark has just started a thread
// that shares it; mount namespaces are per thread once unshared. The
// switch alone and the way back are timed apart (switch_latency_*,
// back_latency_*); the harness's latency is both.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "microbench/experiments.h"
#include "microbench/storage_tree.h"
#include "primitives/error.h"
#include "primitives/mount.h"

namespace isocost {
namespace {

using Clock = std::chrono::steady_clock;

int64_t Ns(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

// Where a thread was before it switched: its root, cwd and namespace.
struct ThreadHome {
  pid_t tid = 0;  // the thread it belongs to: Google Benchmark starts new
                  // threads for each of its runs of a point
  int root_fd = -1, cwd_fd = -1, mntns_fd = -1;
};

int OpenPath(const char* path) {
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) ThrowErrno(std::string("opening ") + path);
  return fd;
}

// A thread that cannot get back to the host's root would write the run's
// results into the container root: the run stops here, and `isocost
// cleanup` undoes its changes.
[[noreturn]] void CannotReturn(const char* what) {
  std::fprintf(stderr, "isocost: fatal: %s: %s; stopping (run `isocost cleanup`)\n", what,
               std::strerror(errno));
  std::abort();
}

class SwitchRootWorkload : public Workload {
 public:
  SwitchRootWorkload(const Point& p, HostGuard& guard)
      : guard_(guard),
        method_(p.String("method")),
        base_files_(static_cast<int>(p.Int("base_files"))) {}

  void Prepare(int threads) override {
    tree_ = &StorageTree::For(guard_);
    std::string base = tree_->Base(base_files_);
    dir_ = tree_->MakePointDir();
    root_ = dir_ + "/root";
    for (const std::string& d : {root_, dir_ + "/code", dir_ + "/scratch"})
      MakeDir(d);
    BindMount(base, root_, true);
    BindMount(tree_->packages(), root_ + "/packages", true);
    BindMount(dir_ + "/code", root_ + "/handler", true);
    BindMount(dir_ + "/scratch", root_ + "/host", false);
    homes_.assign(static_cast<size_t>(threads), {});
    switch_ns_.assign(static_cast<size_t>(threads), {});
    back_ns_.assign(static_cast<size_t>(threads), {});
  }

  void Operation(int thread, uint64_t*) override {
    ThreadHome& home = homes_[static_cast<size_t>(thread)];
    // Before every operation: a thread started meanwhile shares this
    // thread's root until one of the two unshares (a no-op when unshared).
    if (unshare(CLONE_FS) != 0) ThrowErrno("unshare(CLONE_FS)");
    if (home.tid != gettid()) Settle(home);

    auto t0 = Clock::now();
    if (method_ == "chroot") {
      if (chroot(root_.c_str()) != 0) ThrowErrno("chroot " + root_);
    } else {
      if (unshare(CLONE_NEWNS) != 0) ThrowErrno("unshare(CLONE_NEWNS)");
      if (method_ == "pivot_root") PivotInto(home);
    }
    auto t1 = Clock::now();
    GoBack(home);
    auto t2 = Clock::now();
    switch_ns_[static_cast<size_t>(thread)].push_back(Ns(t0, t1));
    back_ns_[static_cast<size_t>(thread)].push_back(Ns(t1, t2));
  }

  void Release() override {
    for (ThreadHome& h : homes_)
      CloseFds(h);
    homes_.clear();
    if (dir_.empty()) return;
    DetachAll(root_);
    tree_->RemovePointDir(dir_);
    dir_.clear();
  }

  Findings TakeFindings() override {
    Findings f;
    AddLatencyMetrics("switch", SummarizeSamples(JoinSamples(switch_ns_)), f);
    AddLatencyMetrics("back", SummarizeSamples(JoinSamples(back_ns_)), f);
    return f;
  }

 private:
  // Remembers where the thread (its file system context unshared) is.
  static void Settle(ThreadHome& home) {
    CloseFds(home);
    home.root_fd = OpenPath("/");
    home.cwd_fd = OpenPath(".");
    home.mntns_fd = open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
    if (home.mntns_fd < 0) ThrowErrno("opening /proc/thread-self/ns/mnt");
    home.tid = gettid();
  }

  static void CloseFds(ThreadHome& home) {
    for (int* fd : {&home.root_fd, &home.cwd_fd, &home.mntns_fd}) {
      if (*fd >= 0) close(*fd);
      *fd = -1;
    }
  }

  // In the thread's new namespace: the root becomes root_; the old root is
  // detached. Its failure leaves the thread in the new namespace, which
  // GoBack leaves.
  void PivotInto(ThreadHome& home) {
    try {
      if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        ThrowErrno("making the new namespace's mounts private");
      }
      if (chdir(root_.c_str()) != 0) ThrowErrno("chdir " + root_);
      if (syscall(SYS_pivot_root, ".", ".") != 0) ThrowErrno("pivot_root to " + root_);
      if (umount2(".", MNT_DETACH) != 0) ThrowErrno("detaching the old root");
      if (chdir("/") != 0) ThrowErrno("chdir / in the new root");
    } catch (...) {
      GoBack(home);
      throw;
    }
  }

  void GoBack(const ThreadHome& home) {
    if (method_ == "chroot") {
      if (fchdir(home.root_fd) != 0) CannotReturn("returning to the old root");
      if (chroot(".") != 0) CannotReturn("chroot back to the old root");
    } else if (setns(home.mntns_fd, CLONE_NEWNS) != 0) {
      CannotReturn("returning to the old mount namespace");
    }
    if (fchdir(home.cwd_fd) != 0) CannotReturn("returning to the old working directory");
  }

  HostGuard& guard_;
  std::string method_;
  int base_files_;

  StorageTree* tree_ = nullptr;
  std::string dir_, root_;
  std::vector<ThreadHome> homes_;
  std::vector<std::vector<int64_t>> switch_ns_, back_ns_;
};

}  // namespace

ExperimentSpec SwitchRootExperiment() {
  ExperimentSpec e;
  e.name = "switch_root";
  e.figure = "2";
  e.summary =
      "switching a thread's root to a container root and back: chroot, against a new mount "
      "namespace plus pivot_root, against a new mount namespace alone";
  e.params = {
      {"method",
       ParamType::kString,
       std::string("chroot"),
       "chroot; mntns: unshare(CLONE_NEWNS) alone; pivot_root: a new mount namespace and "
       "pivot_root",
       {"chroot", "mntns", "pivot_root"}},
      {"threads", ParamType::kInt, int64_t{1}, "threads switching at once", {}, 1, 1024},
      {"base_files", ParamType::kInt, int64_t{5000}, "files in the base image", {}, 100, 200000},
  };
  e.workload_metrics = LatencyMetricSpecs("switch", "the switch alone");
  for (CounterSpec& s : LatencyMetricSpecs("back", "the way back (setns drops a new namespace)"))
    e.workload_metrics.push_back(s);
  e.check = [](const Point&) { return std::string(); };
  e.unsupported = [](const Point&) {
    return geteuid() == 0 ? std::string()
                          : std::string("needs root (CAP_SYS_ADMIN and CAP_SYS_CHROOT)");
  };
  e.make = [](const Point& p, HostGuard& guard) -> std::unique_ptr<Workload> {
    return std::make_unique<SwitchRootWorkload>(p, guard);
  };
  e.microbench_sweep = {
      {"method", {std::string("chroot"), std::string("mntns"), std::string("pivot_root")}},
  };
  return e;
}

}  // namespace isocost
