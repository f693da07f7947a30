// umount cost against the number of mounts: N tmpfs instances are mounted
// side by side, then unmounted one by one, last first, normally or lazily
// (MNT_DETACH). One operation is one umount. Prepare mounts the first N;
// the operation that finds none left mounts all N again (the harness's
// latency includes those mounts, so read umount_latency_*, which times the
// umount alone).
// Each umount is measured on its own: wall time, the thread's CPU time,
// and whether it slept (a voluntary context switch). A umount that waits
// for an RCU grace period (namespace_unlock calling synchronize_rcu*)
// sleeps: its wall time exceeds its CPU time and it switches out
// voluntarily. Those waits show as umount_offcpu_fraction and
// umount_sleeps_per_umount.
// The mounts sit below the run's guarded scratch tmpfs, whose undo takes
// them all down after a failure or a SIGKILL.
#include <fmt/format.h>
#include <sys/resource.h>
#include <time.h>

#include <chrono>

#include "microbench/experiments.h"
#include "microbench/storage_tree.h"
#include "primitives/error.h"
#include "primitives/mount.h"

namespace isocost {
namespace {

using Clock = std::chrono::steady_clock;

int64_t ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

long VoluntarySwitches() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_nvcsw;
}

// One umount, measured.
struct UmountSample {
  int64_t wall_ns = 0, cpu_ns = 0;
  long switches = 0;
};

struct ThreadState {
  std::vector<std::string> dirs;
  size_t mounted = 0;  // dirs[0..mounted) carry a mount
  std::vector<int64_t> mount_ns;
  std::vector<UmountSample> umounts;
  size_t cycle_start = 0;                // umounts of the current cycle start here
  std::vector<UmountSample> last_cycle;  // the last complete cycle, first umount first
};

class UmountWorkload : public Workload {
 public:
  UmountWorkload(const Point& p, HostGuard& guard)
      : guard_(guard),
        mounts_(static_cast<int>(p.Int("mounts"))),
        lazy_(p.String("umount") == "lazy") {}

  void Prepare(int threads) override {
    tree_ = &StorageTree::For(guard_);
    dir_ = tree_->MakePointDir();
    threads_.resize(static_cast<size_t>(threads));
    for (int t = 0; t < threads; ++t) {
      std::string dir = dir_ + "/t" + std::to_string(t);
      MakeDir(dir);
      for (int m = 0; m < mounts_; ++m) {
        threads_[static_cast<size_t>(t)].dirs.push_back(dir + "/m" + std::to_string(m));
        MakeDir(threads_[static_cast<size_t>(t)].dirs.back());
      }
      MountAll(threads_[static_cast<size_t>(t)]);  // the first round's mounts, untimed
    }
  }

  void Operation(int thread, uint64_t*) override {
    ThreadState& s = threads_[static_cast<size_t>(thread)];
    if (s.mounted == 0) MountAll(s);
    s.umounts.push_back(TimedUmount(s.dirs[s.mounted - 1]));
    if (--s.mounted == 0) {
      s.last_cycle.assign(s.umounts.begin() + static_cast<long>(s.cycle_start), s.umounts.end());
    }
  }

  void Release() override {
    for (ThreadState& s : threads_) {
      for (const std::string& d : s.dirs)
        DetachAll(d);  // what a failed operation left
    }
    if (!dir_.empty()) tree_->RemovePointDir(dir_);
    dir_.clear();
  }

  Findings TakeFindings() override {
    Findings f;
    std::vector<int64_t> wall, mount;
    double cpu_sum = 0, wall_sum = 0, slept = 0;
    for (const ThreadState& s : threads_) {
      mount.insert(mount.end(), s.mount_ns.begin(), s.mount_ns.end());
      for (const UmountSample& u : s.umounts) {
        wall.push_back(u.wall_ns);
        wall_sum += static_cast<double>(u.wall_ns);
        cpu_sum += static_cast<double>(std::min(u.cpu_ns, u.wall_ns));
        slept += u.switches > 0 ? 1 : 0;
      }
    }
    SampleSummary w = SummarizeSamples(wall);
    AddLatencyMetrics("umount", w, f);
    f.metrics["umount_cpu_mean_ns"] = w.count ? cpu_sum / static_cast<double>(w.count) : 0;
    f.metrics["umount_offcpu_fraction"] = wall_sum > 0 ? 1 - cpu_sum / wall_sum : 0;
    f.metrics["umount_sleeps_per_umount"] = w.count ? slept / static_cast<double>(w.count) : 0;
    f.metrics["mount_latency_mean_ns"] = SummarizeSamples(mount).mean;
    if (w.count == 0) f.untrustworthy.push_back("no umount was measured");
    f.artifacts.push_back({"umount-series.csv", Series()});
    return f;
  }

 private:
  void MountAll(ThreadState& s) {
    for (; s.mounted < s.dirs.size(); ++s.mounted) {
      auto t0 = Clock::now();
      MountTmpfs(s.dirs[s.mounted], "size=64k");
      s.mount_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
    }
    s.cycle_start = s.umounts.size();
  }

  UmountSample TimedUmount(const std::string& dir) {
    UmountSample u;
    long sw0 = VoluntarySwitches();
    int64_t cpu0 = ThreadCpuNs();
    auto t0 = Clock::now();
    Unmount(dir, lazy_);
    auto t1 = Clock::now();
    u.cpu_ns = ThreadCpuNs() - cpu0;
    u.switches = VoluntarySwitches() - sw0;
    u.wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
    return u;
  }

  // Thread 0's last complete round from N mounts to none, one line per
  // umount: how many mounts it had before, wall and CPU time, voluntary
  // switches. Empty (a header) when no round completed.
  std::string Series() const {
    std::string csv = "mounts_before,wall_ns,cpu_ns,voluntary_switches\n";
    const std::vector<UmountSample>& u = threads_.front().last_cycle;
    for (size_t i = 0; i < u.size(); ++i) {
      csv += std::to_string(u.size() - i) + "," + std::to_string(u[i].wall_ns) + "," +
             std::to_string(u[i].cpu_ns) + "," + std::to_string(u[i].switches) + "\n";
    }
    return csv;
  }

  HostGuard& guard_;
  int mounts_;
  bool lazy_;

  StorageTree* tree_ = nullptr;
  std::string dir_;
  std::vector<ThreadState> threads_;
};

}  // namespace

ExperimentSpec UmountExperiment() {
  ExperimentSpec e;
  e.name = "umount";
  e.figure = "";
  e.summary =
      "umount cost against the number of mounts: mount N tmpfs, unmount them one by one "
      "(normal or lazy), one umount an operation; per-umount latency, CPU time and sleeps "
      "(RCU grace-period waits)";
  e.params = {
      {"mounts",
       ParamType::kInt,
       int64_t{100},
       "tmpfs mounts made side by side, then unmounted one per operation",
       {},
       1,
       100000},
      {"umount",
       ParamType::kString,
       std::string("normal"),
       "normal: umount2(0); lazy: umount2(MNT_DETACH)",
       {"normal", "lazy"}},
      {"threads", ParamType::kInt, int64_t{1}, "threads, each with its own N mounts", {}, 1, 64},
  };
  e.workload_metrics = LatencyMetricSpecs("umount", "one umount (wall time)");
  e.workload_metrics.push_back(
      {"umount_cpu_mean_ns", "ns", "mean CPU time of the umounting thread per umount"});
  e.workload_metrics.push_back(
      {"umount_offcpu_fraction", "fraction",
       "share of umount wall time spent off the CPU (sleeping, e.g. in an RCU grace period)"});
  e.workload_metrics.push_back({"umount_sleeps_per_umount", "fraction",
                                "share of umounts during which the thread switched out "
                                "voluntarily (slept)"});
  e.workload_metrics.push_back({"mount_latency_mean_ns", "ns", "mean time of one tmpfs mount"});
  e.check = [](const Point&) { return std::string(); };
  e.unsupported = [](const Point& p) {
    if (geteuid() != 0) return std::string("mounting needs root (CAP_SYS_ADMIN)");
    // Filling the mount table would make every other mount on the host fail.
    int64_t needed = MountsInThisNamespace() + p.Int("mounts") * p.Int("threads") + 64;
    if (MountMax() >= 0 && needed > MountMax()) {
      return fmt::format(
          "fs.mount-max is {}: {} threads of {} mounts would need about {} "
          "mounts in this namespace",
          MountMax(), p.Int("threads"), p.Int("mounts"), needed);
    }
    return std::string();
  };
  e.make = [](const Point& p, HostGuard& guard) -> std::unique_ptr<Workload> {
    return std::make_unique<UmountWorkload>(p, guard);
  };
  e.microbench_sweep = {
      {"mounts", {int64_t{1}, int64_t{100}, int64_t{1000}}},
      {"umount", {std::string("normal"), std::string("lazy")}},
  };
  return e;
}

}  // namespace isocost
