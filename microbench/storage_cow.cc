// Copy-on-write and whiteout: what a union file system costs when a task
// changes a file of a lower layer, against the same change through a bind
// mount.
// - write: open a lower-layer file for writing, write one byte, close it.
//   Through overlay (or fuse-overlayfs, aufs) the open copies the whole
//   file up to the upper layer first; through a bind mount it writes in
//   place.
// - delete: unlink a lower-layer file. A union mount records a whiteout in
//   the upper layer; a bind mount removes the name.
// Each thread has its own mount over its own lower directory. Every
// operation takes a name not touched before: for bind and overlay, hard
// links to one file of file_size_kib (overlay, mounted with index=off,
// copies each name up on its own); for fuse-overlayfs, which keeps hard
// links together when it copies one up, and aufs, a file of its own per
// name. There are 1,024 names, fewer for big files (at least 4, and
// 128 MiB of copies at most, unless 4 files take more). When they run out,
// the thread recycles inside the operation: union mounts are remounted
// over an empty upper directory, deleted names are linked again. The write
// or delete alone is timed as op_latency_*; the harness's latency includes
// the recycling (recycles_per_op says how often).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "microbench/experiments.h"
#include "microbench/storage_tree.h"
#include "primitives/error.h"
#include "primitives/mount.h"

namespace isocost {

std::string StorageBackendMissing(const std::string& backend);  // microbench/storage.cc

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kUpperBudget = int64_t{128} << 20;
enum Counter { kRecycles = 0 };

struct ThreadFiles {
  std::string lower, upper, work, mnt;
  pid_t fuse = -1;
  pid_t fuse_owner = 0;  // the thread fuse-overlayfs dies with
  int next = 0;          // the next name not yet touched
  std::vector<int64_t> op_ns;
};

class CowWorkload : public Workload {
 public:
  CowWorkload(const Point& p, HostGuard& guard)
      : guard_(guard),
        backend_(p.String("backend")),
        delete_(p.String("operation") == "delete"),
        bytes_(p.Int("file_size_kib") * 1024),
        names_(static_cast<int>(std::clamp<int64_t>(kUpperBudget / bytes_, 4, 1024))) {}

  void Prepare(int threads) override {
    tree_ = &StorageTree::For(guard_);
    dir_ = tree_->MakePointDir();
    for (int t = 0; t < threads; ++t)
      threads_.push_back(MakeThreadFiles(dir_ + "/t" + std::to_string(t)));
    for (ThreadFiles& f : threads_)
      MountOver(f);
  }

  void Operation(int thread, uint64_t* counters) override {
    ThreadFiles& f = threads_[static_cast<size_t>(thread)];
    if (f.fuse >= 0 && f.fuse_owner != gettid()) {
      // Google Benchmark starts new threads for each of its runs; the
      // process dies with the thread that started it, so each thread
      // restarts its own.
      Remount(f);
      ++counters[kRecycles];
    }
    if (f.next == names_) {
      Recycle(f);
      ++counters[kRecycles];
    }
    std::string path = f.mnt + "/f" + std::to_string(f.next++);

    auto t0 = Clock::now();
    if (delete_) {
      if (unlink(path.c_str()) != 0) ThrowErrno("deleting " + path);
    } else {
      WriteOneByte(path);
    }
    f.op_ns.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
  }

  void Release() override {
    for (ThreadFiles& f : threads_) {
      if (f.fuse >= 0) StopFuseOverlayfs(f.fuse, f.mnt);
      f.fuse = -1;
      DetachAll(f.mnt);
    }
    if (!dir_.empty()) tree_->RemovePointDir(dir_);
    dir_.clear();
  }

  Findings TakeFindings() override {
    Findings f;
    std::vector<int64_t> all;
    for (const ThreadFiles& t : threads_)
      all.insert(all.end(), t.op_ns.begin(), t.op_ns.end());
    AddLatencyMetrics("op", SummarizeSamples(all), f);
    return f;
  }

 private:
  ThreadFiles MakeThreadFiles(const std::string& dir) {
    ThreadFiles f;
    MakeDir(dir);
    f.lower = dir + "/lower";
    f.upper = dir + "/upper";
    f.work = dir + "/work";
    f.mnt = dir + "/mnt";
    for (const std::string& d : {f.lower, f.upper, f.work, f.mnt})
      MakeDir(d);
    if (backend_ == "bind" || backend_ == "overlay") {
      MakeFile(f.lower + "/src", bytes_);
      Link(f);
      return f;
    }
    for (int i = 0; i < names_; ++i)
      MakeFile(f.lower + "/f" + std::to_string(i), bytes_);
    return f;
  }

  // The names: hard links f0..f<names_-1> to src.
  void Link(const ThreadFiles& f) {
    std::string first = f.lower + "/src";
    for (int i = 0; i < names_; ++i) {
      std::string name = f.lower + "/f" + std::to_string(i);
      if (link(first.c_str(), name.c_str()) != 0) ThrowErrno("linking " + name);
    }
  }

  void MountOver(ThreadFiles& f) {
    OverlaySpec spec{{f.lower}, f.upper, f.work};
    if (backend_ == "bind") {
      BindMount(f.lower, f.mnt, false);
    } else if (backend_ == "overlay") {
      MountOverlay(spec, f.mnt);
    } else if (backend_ == "aufs") {
      MountAufs(spec, f.mnt);
    } else {
      f.fuse = StartFuseOverlayfs(spec, f.mnt);
      f.fuse_owner = gettid();
    }
  }

  void Remount(ThreadFiles& f) {
    if (f.fuse >= 0) {
      StopFuseOverlayfs(f.fuse, f.mnt);
      f.fuse = -1;
    } else {
      Unmount(f.mnt);
    }
    MountOver(f);
  }

  // Every name has been used: start over with untouched lower files.
  void Recycle(ThreadFiles& f) {
    f.next = 0;
    if (backend_ == "bind") {
      if (delete_) Link(f);  // writes in place leave nothing to undo
      return;
    }
    if (f.fuse >= 0) {
      StopFuseOverlayfs(f.fuse, f.mnt);
      f.fuse = -1;
    } else {
      Unmount(f.mnt);
    }
    for (const std::string& d : {f.upper, f.work}) {
      std::filesystem::remove_all(d);
      MakeDir(d);
    }
    MountOver(f);
  }

  static void WriteOneByte(const std::string& path) {
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) ThrowErrno("opening " + path + " for writing");
    ssize_t n = pwrite(fd, "x", 1, 0);
    int err = errno;
    close(fd);
    if (n != 1) throw SysError(err, "writing to " + path);
  }

  HostGuard& guard_;
  std::string backend_;
  bool delete_;
  int64_t bytes_;
  int names_;

  StorageTree* tree_ = nullptr;
  std::string dir_;
  std::vector<ThreadFiles> threads_;
};

}  // namespace

ExperimentSpec StorageCowExperiment() {
  ExperimentSpec e;
  e.name = "storage_cow";
  e.figure = "storage";
  e.summary =
      "first write to a lower-layer file (copy-up) and deleting one (whiteout) through a "
      "union mount, against the same through a bind mount";
  e.params = {
      {"backend",
       ParamType::kString,
       std::string("overlay"),
       "bind, overlay, aufs or fuse-overlayfs",
       {"bind", "overlay", "aufs", "fuse-overlayfs"}},
      {"operation",
       ParamType::kString,
       std::string("write"),
       "write: open, write a byte, close (copy-up); delete: unlink (whiteout)",
       {"write", "delete"}},
      {"file_size_kib", ParamType::kInt, int64_t{4}, "size of the lower file", {}, 1, 1 << 20},
      {"threads", ParamType::kInt, int64_t{1}, "threads, each with its own mount", {}, 1, 64},
  };
  e.counters = {{"recycles", "recycles/op",
                 "remounts over an empty upper layer (or relinks) because every lower name "
                 "had been used, and fuse-overlayfs restarts for a new thread"}};
  e.workload_metrics = LatencyMetricSpecs("op", "the write or delete alone");
  e.check = [](const Point&) { return std::string(); };
  e.unsupported = [](const Point& p) { return StorageBackendMissing(p.String("backend")); };
  e.make = [](const Point& p, HostGuard& guard) -> std::unique_ptr<Workload> {
    return std::make_unique<CowWorkload>(p, guard);
  };
  e.microbench_sweep = {
      {"backend", {std::string("bind"), std::string("overlay")}},
      {"operation", {std::string("write"), std::string("delete")}},
      {"file_size_kib", {int64_t{4}, int64_t{1024}}},
  };
  return e;
}

}  // namespace isocost
