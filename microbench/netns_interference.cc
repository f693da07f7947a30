// Interference between network namespaces: the latency of creating one
// namespace (a child started with clone3 into it, which exits at once)
// while K background processes create and destroy network namespaces in a
// loop (unshare(CLONE_NEWNET) again and again: each call drops the previous
// namespace). A mount namespace is the control: it shares no lock with
// network namespace setup and teardown but the CPUs.
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "microbench/experiments.h"
#include "primitives/error.h"
#include "primitives/guard.h"
#include "primitives/netns.h"
#include "primitives/process.h"

namespace isocost {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Churn(pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_NAME, "isocost-churn");
  if (getppid() != parent) _exit(1);
  for (;;) {
    if (unshare(CLONE_NEWNET) != 0) _exit(2);
  }
}

void ExitAtOnce(void*) {
  _exit(0);
}

class InterferenceWorkload : public Workload {
 public:
  InterferenceWorkload(const Point& p, HostGuard& guard)
      : guard_(guard),
        flags_(NamespaceFlags({p.String("probe")})),
        background_(static_cast<int>(p.Int("background"))) {}

  // Runs on the benchmark's only thread, which outlives the churners
  // (they die with the thread that started them).
  void Prepare(int) override {
    census_ = std::make_unique<NetnsCensus>(guard_, std::to_string(getpid()) + "-churn");
    pid_t self = getpid();
    for (int i = 0; i < background_; ++i) {
      pid_t pid = fork();
      if (pid == 0) Churn(self);
      if (pid < 0) ThrowErrno("starting a background namespace churner");
      churners_.push_back(pid);
    }
    start_ = Clock::now();
    allocated0_ = census_->Allocated();
  }

  void Operation(int, uint64_t*) override {
    pid_t pid = SpawnChild(flags_, -1, ExitAtOnce, nullptr);
    int status = Reap(pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      throw Error(ErrorKind::kFailure, fmt::format("child {} failed (status {})", pid, status));
    }
    ++ops_;
  }

  void Release() override {
    if (census_) {
      double s = std::chrono::duration<double>(Clock::now() - start_).count();
      uint64_t made = census_->Allocated() - allocated0_;
      uint64_t own = (flags_ & CLONE_NEWNET) ? ops_ : 0;
      churn_per_s_ = s > 0 ? static_cast<double>(made - std::min(made, own)) / s : 0;
    }
    for (pid_t pid : churners_)
      kill(pid, SIGKILL);
    for (pid_t pid : churners_) {
      int status = Reap(pid);
      if (WIFEXITED(status)) failed_churners_++;  // exited by itself: unshare failed
    }
    churners_.clear();
    census_.reset();
  }

  Findings TakeFindings() override {
    Findings f;
    f.metrics["background_netns_per_s"] = churn_per_s_;
    if (failed_churners_ > 0) {
      f.untrustworthy.push_back(
          fmt::format("{} background churner(s) stopped early: unshare failed", failed_churners_));
    }
    return f;
  }

 private:
  HostGuard& guard_;
  uint64_t flags_;
  int background_;
  std::unique_ptr<NetnsCensus> census_;
  std::vector<pid_t> churners_;
  Clock::time_point start_;
  uint64_t allocated0_ = 0, ops_ = 0;
  double churn_per_s_ = 0;
  int failed_churners_ = 0;
};

std::string CheckPoint(const Point& p) {
  if (p.Int("threads") != 1) {
    return "threads: the latency of one creation is measured from one thread (threads: 1); "
           "raise background for more load";
  }
  return "";
}

std::string Unsupported(const Point&) {
  if (access("/proc/self/ns/net", R_OK) != 0) return "this kernel has no network namespaces";
  return "";
}

}  // namespace

ExperimentSpec NetnsInterferenceExperiment() {
  ExperimentSpec e;
  e.name = "netns_interference";
  e.figure = "";
  e.summary =
      "latency of creating one namespace (net, or mnt as the control) while background "
      "processes create and destroy network namespaces in a loop";
  e.params = {
      {"probe",
       ParamType::kString,
       std::string("net"),
       "the namespace created and timed: net, or mnt as the control",
       {"net", "mnt"}},
      {"background",
       ParamType::kInt,
       int64_t{0},
       "processes creating and destroying network namespaces meanwhile",
       {},
       0,
       256},
      {"threads", ParamType::kInt, int64_t{1}, "must be 1", {}, 1, 1},
  };
  e.workload_metrics = {
      {"background_netns_per_s", "netns/s",
       "network namespaces the background processes created per second", "higher"},
  };
  e.check = CheckPoint;
  e.unsupported = Unsupported;
  e.make = [](const Point& p, HostGuard& guard) -> std::unique_ptr<Workload> {
    return std::make_unique<InterferenceWorkload>(p, guard);
  };
  e.microbench_sweep = {
      {"probe", {std::string("net"), std::string("mnt")}},
      {"background", {int64_t{0}, int64_t{2}}},
  };
  return e;
}

}  // namespace isocost
