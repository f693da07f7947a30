// The study's storage figure: mount-and-unmount throughput against
// concurrency, bind mounts against union file systems.
//
// One operation assembles a container root and takes it down again:
// - bind: SOCK's root, four bind mounts: the base image read-only on the
//   root, the package directory read-only on /packages, the handler's code
//   read-only on /handler, a writable scratch directory on /host;
// - overlay, aufs, fuse-overlayfs: one union mount whose lower layers are,
//   top first, the code, `layers - 3` small extra layers, the packages and
//   the base (fewer layers drop code, then packages), over a writable
//   upper directory.
// Unmounting is one umount per mount, last first, or one lazy (MNT_DETACH)
// umount of the root. Each thread has its own root, code and scratch.
// The timed mounts are not journaled one by one: they sit below the run's
// guarded scratch tmpfs (microbench/storage_tree.h), whose undo takes them
// all down.
#include <unistd.h>

#include <chrono>

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

// One thread's root and the directories mounted on it.
struct ThreadRoot {
  std::string root, code, scratch;
  OverlaySpec union_spec;
};

class StorageWorkload : public Workload {
 public:
  StorageWorkload(const Point& p, HostGuard& guard)
      : guard_(guard),
        backend_(p.String("backend")),
        layers_(static_cast<int>(p.Int("layers"))),
        base_files_(static_cast<int>(p.Int("base_files"))),
        lazy_(p.String("unmount") == "lazy") {}

  void Prepare(int threads) override {
    tree_ = &StorageTree::For(guard_);
    base_ = tree_->Base(base_files_);
    dir_ = tree_->MakePointDir();
    for (int t = 0; t < threads; ++t)
      roots_.push_back(MakeThreadRoot(t));
    mount_ns_.assign(static_cast<size_t>(threads), {});
    umount_ns_.assign(static_cast<size_t>(threads), {});
  }

  void Operation(int thread, uint64_t*) override {
    const ThreadRoot& r = roots_[static_cast<size_t>(thread)];
    auto t0 = Clock::now();
    pid_t fuse = -1;

    if (backend_ == "bind") {
      BindMount(base_, r.root, true);
      BindMount(tree_->packages(), r.root + "/packages", true);
      BindMount(r.code, r.root + "/handler", true);
      BindMount(r.scratch, r.root + "/host", false);
    } else if (backend_ == "overlay") {
      MountOverlay(r.union_spec, r.root);
    } else if (backend_ == "aufs") {
      MountAufs(r.union_spec, r.root);
    } else {
      fuse = StartFuseOverlayfs(r.union_spec, r.root);
    }
    auto t1 = Clock::now();
    if (fuse >= 0) {
      StopFuseOverlayfs(fuse, r.root);
    } else {
      UnmountRoot(r);
    }
    auto t2 = Clock::now();
    mount_ns_[static_cast<size_t>(thread)].push_back(Ns(t0, t1));
    umount_ns_[static_cast<size_t>(thread)].push_back(Ns(t1, t2));
  }

  void Release() override {
    for (const ThreadRoot& r : roots_)
      DetachAll(r.root);  // what a failed operation left
    roots_.clear();
    if (!dir_.empty()) tree_->RemovePointDir(dir_);
    dir_.clear();
  }

  Findings TakeFindings() override {
    Findings f;
    AddLatencyMetrics("mount", SummarizeSamples(JoinSamples(mount_ns_)), f);
    AddLatencyMetrics("umount", SummarizeSamples(JoinSamples(umount_ns_)), f);
    return f;
  }

 private:
  ThreadRoot MakeThreadRoot(int t) {
    ThreadRoot r;
    std::string dir = dir_ + "/t" + std::to_string(t);
    MakeDir(dir);
    r.root = dir + "/root";
    r.code = dir + "/code";
    r.scratch = dir + "/scratch";
    for (const std::string& d : {r.root, r.code, r.scratch})
      MakeDir(d);
    MakeFile(r.code + "/handler.py", 2048);
    if (backend_ == "bind") return r;

    OverlaySpec& u = r.union_spec;
    if (layers_ >= 3) u.lowers.push_back(r.code);
    for (int k = 1; k <= layers_ - 3; ++k)
      u.lowers.push_back(tree_->Layer(k));
    if (layers_ >= 2) u.lowers.push_back(tree_->packages());
    u.lowers.push_back(base_);
    u.upper = r.scratch;
    u.work = dir + "/work";
    MakeDir(u.work);
    if (backend_ == "overlay") OverlayOptions(u);  // fails now if it cannot fit
    return r;
  }

  void UnmountRoot(const ThreadRoot& r) {
    if (lazy_ || backend_ != "bind") {
      Unmount(r.root, lazy_);
      return;
    }
    Unmount(r.root + "/host");
    Unmount(r.root + "/handler");
    Unmount(r.root + "/packages");
    Unmount(r.root);
  }

  HostGuard& guard_;
  std::string backend_;
  int layers_, base_files_;
  bool lazy_;

  StorageTree* tree_ = nullptr;
  std::string base_, dir_;
  std::vector<ThreadRoot> roots_;
  std::vector<std::vector<int64_t>> mount_ns_, umount_ns_;
};

std::string CheckPoint(const Point& p) {
  if (p.String("backend") == "bind" && p.Int("layers") != 3) {
    return "layers applies to the union backends (overlay, aufs, fuse-overlayfs); bind always "
           "assembles SOCK's root of base, packages, code and scratch (leave layers at 3)";
  }
  return "";
}

}  // namespace

// Shared by the storage experiments: what keeps a backend from this host.
std::string StorageBackendMissing(const std::string& backend) {
  if (geteuid() != 0) return "mounting needs root (CAP_SYS_ADMIN)";
  if (backend == "overlay") return FilesystemMissing("overlay");
  if (backend == "aufs") {
    std::string why = FilesystemMissing("aufs");
    return why.empty() ? "" : why + " (AUFS was never merged into mainline Linux)";
  }
  if (backend == "fuse-overlayfs") return FuseOverlayfsMissing();
  return "";
}

ExperimentSpec StorageExperiment() {
  ExperimentSpec e;
  e.name = "storage";
  e.figure = "storage";
  e.summary =
      "mount-and-unmount throughput of a container root: SOCK's four bind mounts against one "
      "union mount (overlay, aufs, fuse-overlayfs) over a base image of thousands of files";
  e.params = {
      {"backend",
       ParamType::kString,
       std::string("bind"),
       "bind: four bind mounts; overlay, aufs, fuse-overlayfs: one union mount",
       {"bind", "overlay", "aufs", "fuse-overlayfs"}},
      {"threads", ParamType::kInt, int64_t{1}, "threads mounting at once", {}, 1, 1024},
      {"layers",
       ParamType::kInt,
       int64_t{3},
       "lower layers of a union mount (code, extra layers, packages, base); bind: 3",
       {},
       1,
       64},
      {"base_files", ParamType::kInt, int64_t{5000}, "files in the base image", {}, 100, 200000},
      {"unmount",
       ParamType::kString,
       std::string("each"),
       "each: one umount per mount, last first; lazy: one umount2(MNT_DETACH) of the root",
       {"each", "lazy"}},
  };
  e.workload_metrics = LatencyMetricSpecs("mount", "assembling the root (all its mounts)");
  for (CounterSpec& s : LatencyMetricSpecs("umount", "taking the root down (all its umounts)"))
    e.workload_metrics.push_back(s);
  e.check = CheckPoint;
  e.unsupported = [](const Point& p) { return StorageBackendMissing(p.String("backend")); };
  e.make = [](const Point& p, HostGuard& guard) -> std::unique_ptr<Workload> {
    return std::make_unique<StorageWorkload>(p, guard);
  };
  e.microbench_sweep = {
      {"backend", {std::string("bind"), std::string("overlay"), std::string("fuse-overlayfs")}},
      {"threads", {int64_t{1}, int64_t{2}, int64_t{4}}},
  };
  return e;
}

}  // namespace isocost
