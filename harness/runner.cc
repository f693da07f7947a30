#include "harness/runner.h"

#include <benchmark/benchmark.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <linux/magic.h>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <sstream>

#include "harness/results.h"
#include "harness/stats.h"
#include "isocost/version.h"
#include "microbench/experiments.h"
#include "microbench/loop.h"
#include "primitives/fs.h"
#include "primitives/guard.h"
#include "primitives/host.h"
#include "primitives/interrupt.h"
#include "primitives/process.h"

namespace isocost {
namespace {

using Clock = std::chrono::steady_clock;

inline constexpr double kOverheadLimit = 0.02;  // of the cheapest operation
inline constexpr int64_t kOverheadIterations = 1000000;
inline constexpr double kBusyLimit = 0.25;     // of all CPUs' time, by other work
inline constexpr int64_t kMinOperations = 10;  // per repetition, to be trusted

std::string UtcNow(const char* format) {
  return fmt::format(fmt::runtime(format), fmt::gmtime(std::time(nullptr)));
}

// Google Benchmark's JSON reporter, writing into memory and keeping the
// iteration runs (one per repetition) for the harness.
class CapturingReporter : public benchmark::JSONReporter {
 public:
  CapturingReporter() {
    SetOutputStream(&json_);
    SetErrorStream(&errors_);
  }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.run_type == Run::RT_Iteration) runs_.push_back(r);
    }
    JSONReporter::ReportRuns(runs);
  }
  const std::vector<Run>& runs() const { return runs_; }
  nlohmann::json Json() const { return nlohmann::json::parse(json_.str(), nullptr, false); }

 private:
  std::ostringstream json_, errors_;
  std::vector<Run> runs_;
};

// Refuses an output directory that is a symbolic link (root would write
// wherever it points) or lies on a kernel file system (proc, sysfs,
// cgroupfs, tracefs), where creating a directory changes the host.
void CheckOutputPlace(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_symlink(dir, ec)) {
    throw Error(ErrorKind::kUsage, "output directory " + dir + " is a symbolic link");
  }
  fs::path probe = fs::absolute(dir, ec);
  while (!probe.empty() && !fs::exists(probe, ec))
    probe = probe.parent_path();
  struct statfs st {};
  if (statfs(probe.c_str(), &st) != 0) return;
  for (long magic : {PROC_SUPER_MAGIC, SYSFS_MAGIC, CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC,
                     TRACEFS_MAGIC, DEBUGFS_MAGIC}) {
    if (st.f_type == magic) {
      throw Error(ErrorKind::kUsage,
                  "output directory " + dir + " is on a kernel file system; choose another");
    }
  }
}

// A benchmark name without the budget Google Benchmark writes into it
// (min_time, iterations, repeats), which differs between rounds.
std::string StableName(const std::string& name) {
  static const std::regex kBudget("/(min_time:[^/]*|iterations:[0-9]+|repeats:[0-9]+)");
  return std::regex_replace(name, kBudget, "");
}

// Runs one registered point through Google Benchmark. Its JSON joins the
// run's; a single repetition is labelled as repetition `index` of `total`,
// the way Google Benchmark labels its own repetitions.
std::vector<benchmark::BenchmarkReporter::Run> RunOnePoint(const std::string& name, PointRun& point,
                                                           const Budget& budget,
                                                           nlohmann::json& gbench, int index = 0,
                                                           int total = 0) {
  benchmark::ClearRegisteredBenchmarks();
  RegisterPoint(name, &point, budget);
  CapturingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::ClearRegisteredBenchmarks();

  nlohmann::json doc = reporter.Json();
  if (!doc.is_object()) return reporter.runs();
  if (!gbench.contains("context")) gbench["context"] = doc["context"];
  for (auto& b : doc["benchmarks"]) {
    if (total > 0) {
      b["repetition_index"] = index;
      b["repetitions"] = total;
      b["name"] = StableName(b.value("name", ""));
      b["run_name"] = StableName(b.value("run_name", ""));
    }
    gbench["benchmarks"].push_back(b);
  }
  return reporter.runs();
}

double SecondsPerIteration(const benchmark::BenchmarkReporter::Run& r) {
  return r.iterations > 0 ? r.real_accumulated_time / static_cast<double>(r.iterations) : 0;
}

std::string SweptDescription(const ExperimentConfig& cfg, const Point& p) {
  std::string out;
  for (const auto& [param, values] : cfg.sweep) {
    out += fmt::format("{}{}={}", out.empty() ? "" : " ", param, FormatValue(p.Get(param)));
  }
  return out.empty() ? "(no sweep)" : out;
}

nlohmann::json PresetsJson(const ExperimentConfig& c) {
  nlohmann::json presets = nlohmann::json::array();
  for (const auto& p : c.presets)
    presets.push_back({{"file", p.file}, {"sha256", Sha256Hex(p.text)}, {"text", p.text}});
  return presets;
}

// Turns the repetitions of a point into metric values.
void FillMetrics(const ExperimentSpec& e, const std::vector<RunSamples>& reps,
                 const std::vector<benchmark::BenchmarkReporter::Run>& gb,
                 const std::vector<Findings>& findings, PointResult& out) {
  out.metrics.clear();
  for (const MetricSpec& m : MetricsOf(e))
    out.metrics.push_back({m.name, m.unit, m.better, {}});

  for (size_t i = 0; i < reps.size(); ++i) {
    RunSamples s = reps[i];
    LatencyQuantiles q = LatencySummary(s.latencies_ns);
    double ops = static_cast<double>(s.operations);
    double rate = gb[i].counters.count("items_per_second")
                      ? gb[i].counters.at("items_per_second").value
                      : 0.0;
    std::vector<double> values = {rate, q.p50, q.p90, q.p99, q.max, q.mean};
    for (size_t c = 0; c < e.counters.size(); ++c) {
      values.push_back(ops > 0 ? static_cast<double>(s.counters[c]) / ops : 0.0);
    }
    for (const CounterSpec& m : e.workload_metrics) {
      auto found = findings[i].metrics.find(m.name);
      if (found == findings[i].metrics.end()) {
        throw Error(ErrorKind::kFailure,
                    fmt::format("the {} workload did not report its metric {}", e.name, m.name));
      }
      values.push_back(found->second);
    }
    for (size_t k = 0; k < values.size(); ++k)
      out.metrics[k].per_repetition.push_back(values[k]);
    if (s.truncated && out.note.find("truncated") == std::string::npos) {
      out.trustworthy = false;
      out.note += "latency samples truncated; ";
    }
    // A note already there (a run-wide taint) may lack the separator.
    auto add = [&](const std::string& text) {
      if (out.note.find(text) != std::string::npos) return;
      if (!out.note.empty() && !out.note.ends_with("; ")) out.note += "; ";
      out.note += text + "; ";
    };
    for (const std::string& why : findings[i].untrustworthy) {
      out.trustworthy = false;
      add(why);
    }
    for (const std::string& note : findings[i].notes)
      add(note);
  }
}

class Run {
 public:
  Run(const std::vector<ExperimentConfig>& configs, const RunOptions& options)
      : configs_(configs), options_(options) {}

  int Execute();

 private:
  void Start();
  void WarnAboutHost();
  void MeasureOverhead();
  // A point being measured, one repetition per round.
  struct Pending {
    const ExperimentConfig* cfg = nullptr;
    size_t result = 0;  // its index in results_
    std::vector<RunSamples> samples;
    std::vector<benchmark::BenchmarkReporter::Run> gb;
    std::vector<Findings> findings;                  // the workload's own, one per repetition
    int64_t iterations_per_thread = 0;               // fixed by the first round
    std::vector<CpuSnapshot> cpu_before, cpu_after;  // around each repetition
  };

  Budget BudgetOf(const ExperimentConfig& cfg) const;
  void AddPoints();
  void RunRounds();
  void MeasureOnce(Pending& p, int round);
  struct Fresh {
    std::vector<benchmark::BenchmarkReporter::Run> gb;
    std::unique_ptr<PointRun> point;  // finished; holds the samples
    Findings findings;
  };
  Fresh RunFresh(const ExperimentConfig& cfg, const Point& p, const Budget& budget,
                 nlohmann::json& gbench, int round, int total);
  void FlagDisturbed(const Pending& p, PointResult& result);
  void KeepArtifacts(const PointResult& result, int round, const Findings& findings);
  void Progress(const ExperimentConfig& cfg, const Point& p, int round);
  void CheckOverhead();
  void Write(const std::string& status);
  nlohmann::json RunJson(const std::string& status) const;
  void Warn(const std::string& message, bool taints);

  const std::vector<ExperimentConfig>& configs_;
  const RunOptions& options_;
  std::string dir_;
  std::string run_id_;
  std::string started_;
  HostFacts host_;
  std::unique_ptr<RunLock> lock_;  // held for the whole run
  std::unique_ptr<HostGuard> guard_;
  Clock::time_point t0_;
  size_t total_points_ = 0;  // repetitions to measure, over all points
  size_t done_points_ = 0;
  std::vector<std::string> warnings_;
  std::vector<std::string> taints_;  // what makes every result untrustworthy
  std::vector<PointResult> results_;
  std::vector<Pending> pending_;
  nlohmann::json gbench_ = {{"benchmarks", nlohmann::json::array()}};
  double empty_op_ns_ = 0;
  double cheapest_op_ns_ = 0;  // smallest median mean latency of a point
  bool failed_ = false;
};

void Run::Warn(const std::string& message, bool taints) {
  spdlog::warn("{}", message);
  warnings_.push_back(message);
  if (taints) taints_.push_back(message);
}

void Run::Start() {
  if (geteuid() != 0) {
    throw Error(ErrorKind::kUnsupported,
                "isocost run needs root: it creates cgroups, mounts and namespaces "
                "(run it with sudo)");
  }
  if (!HaveCapability("cap_sys_admin")) {
    throw Error(ErrorKind::kUnsupported,
                "isocost run needs CAP_SYS_ADMIN, which this root process lacks (a container "
                "or a dropped capability set?)");
  }
  lock_ = std::make_unique<RunLock>();
  if (options_.results_dir.empty() && options_.out_dir.empty()) {
    throw Error(ErrorKind::kUsage, "--results-dir is empty");
  }
  started_ = UtcNow("{:%Y-%m-%dT%H:%M:%SZ}");
  run_id_ = fmt::format("isocost-{}-{}", UtcNow("{:%Y%m%dT%H%M%SZ}"), getpid());
  dir_ = options_.out_dir.empty() ? fmt::format("{}/{}-{}", options_.results_dir,
                                                UtcNow("{:%Y%m%dT%H%M%SZ}"), options_.name)
                                  : options_.out_dir;
  std::error_code ec;
  CheckOutputPlace(dir_);
  if (std::filesystem::exists(dir_, ec) && !std::filesystem::is_directory(dir_, ec)) {
    throw Error(ErrorKind::kUsage, "output path " + dir_ + " exists and is not a directory");
  }
  if (std::filesystem::exists(dir_, ec) && !std::filesystem::is_empty(dir_, ec)) {
    throw Error(ErrorKind::kUsage,
                "output directory " + dir_ + " exists and is not empty; choose another with --out");
  }
  try {
    MakeDirectories(dir_);
  } catch (const Error& e) {
    throw Error(ErrorKind::kUsage, std::string(e.what()) + "; choose another with --out");
  }
  dir_ = std::filesystem::canonical(dir_).string();
  if (access(dir_.c_str(), W_OK) != 0) {
    throw Error(ErrorKind::kUsage, "output directory " + dir_ + " is not writable");
  }

  host_ = CollectHostFacts();
  InstallInterruptHandlers();
  BecomeSubreaper();
  guard_ = std::make_unique<HostGuard>(run_id_);
  t0_ = Clock::now();
}

void Run::WarnAboutHost() {
  if (std::string(ISOCOST_BUILD_TYPE) != "Release") {
    Warn(fmt::format("isocost was built as {}, not Release: timings are slower than they "
                     "should be",
                     ISOCOST_BUILD_TYPE),
         true);
  }
  double busy = CpuBusyFraction(500);
  if (busy > kBusyLimit) {
    Warn(fmt::format("the machine is busy: {:.0f}% of its CPU time went to other work in the "
                     "half second before the run, which competes with the measurements",
                     100 * busy),
         true);
  }
  if (host_.cpu_governor && *host_.cpu_governor != "performance") {
    Warn(fmt::format("CPU frequency scaling is on (governor '{}'): rates vary with the clock",
                     *host_.cpu_governor),
         true);
  }
}

// The harness's own cost: an empty operation through the same timing path.
void Run::MeasureOverhead() {
  PointRun empty(MakeEmptyWorkload(), 1);
  Budget budget{0, kOverheadIterations, 3};
  auto runs = RunOnePoint("harness/empty_op", empty, budget, gbench_);

  std::vector<double> ns;
  for (const auto& r : runs)
    ns.push_back(SecondsPerIteration(r) * 1e9);
  empty_op_ns_ = Summarize(ns).median;

  PointResult r;
  r.experiment = "harness";
  r.config = "(built in)";
  r.index = results_.size();
  r.metrics.push_back({"empty_op_ns", "ns", "lower", ns});
  results_.push_back(std::move(r));

  std::string lib = gbench_["context"].value("library_build_type", "");
  if (lib == "debug") {
    Warn(
        "the Google Benchmark library reports a debug build (Debian's package); its cost "
        "per iteration is included in the measured harness overhead (run.json)",
        false);
  }
  spdlog::info("harness overhead: {:.1f} ns per operation (empty operation, same path)",
               empty_op_ns_);
}

void Run::Progress(const ExperimentConfig& cfg, const Point& p, int round) {
  auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - t0_);
  std::string eta = "estimating";
  if (done_points_ > 0) {
    auto left =
        elapsed * static_cast<long>(total_points_ - done_points_) / static_cast<long>(done_points_);
    eta = fmt::format("about {:%H:%M:%S} left", left);
  }
  spdlog::info("[{}/{}] {} {}: {}, repetition {}/{} (elapsed {:%H:%M:%S}, {})", done_points_ + 1,
               total_points_, cfg.name, cfg.experiment->name, SweptDescription(cfg, p), round + 1,
               BudgetOf(cfg).repetitions, elapsed, eta);
}

Budget Run::BudgetOf(const ExperimentConfig& cfg) const {
  return options_.quick ? cfg.QuickBudget() : cfg.budget;
}

// Every point gets a result row; those this host cannot run are marked so
// now, the others wait for their repetitions.
void Run::AddPoints() {
  for (const ExperimentConfig& cfg : configs_) {
    for (const Point& p : cfg.points) {
      PointResult r;
      r.experiment = cfg.experiment->name;
      r.config = cfg.name;
      r.index = results_.size();
      r.point = p;
      for (const MetricSpec& m : MetricsOf(*cfg.experiment)) {
        r.metrics.push_back({m.name, m.unit, m.better, {}});
      }
      if (std::string why = cfg.experiment->unsupported(p); !why.empty()) {
        r.status = "unsupported";
        r.note = why;
        spdlog::warn("not measured on this host: {}: {}", p.Describe(), why);
      } else {
        Pending pending;
        pending.cfg = &cfg;
        pending.result = results_.size();
        pending_.push_back(std::move(pending));
        total_points_ += static_cast<size_t>(BudgetOf(cfg).repetitions);
      }
      results_.push_back(std::move(r));
    }
  }
}

// One repetition of one point: the host prepared, one Google Benchmark run
// (the first round also finds the iteration count), the host restored.
// Gives the memory the last point freed back to the kernel. A process
// holding a large heap (a decoded trace, millions of latency samples) makes
// every later fork slower, as fork copies its page tables, so experiments
// that start processes would measure what ran before them.
void ReturnFreedMemory() {
  malloc_trim(0);
}

// One Google Benchmark run of a point on freshly prepared host state, the
// state removed again and no helper left behind.
Run::Fresh Run::RunFresh(const ExperimentConfig& cfg, const Point& p, const Budget& budget,
                         nlohmann::json& gbench, int round, int total) {
  auto point = std::make_unique<PointRun>(cfg.experiment->make(p, *guard_),
                                          static_cast<int>(p.Int("threads")));
  std::vector<benchmark::BenchmarkReporter::Run> gb;
  Findings findings;
  std::exception_ptr failure;
  try {
    gb = RunOnePoint(BenchmarkName(*cfg.experiment, p), *point, budget, gbench, round, total);
    point->Finish();
    if (!point->error()) findings = point->workload()->TakeFindings();
  } catch (...) {
    failure = std::current_exception();
  }
  int strays = KillChildren();
  ReturnFreedMemory();
  if (failure) std::rethrow_exception(failure);
  if (point->error()) throw Error(ErrorKind::kFailure, *point->error());
  if (Interrupted()) throw Error(ErrorKind::kInterrupted, "interrupted");
  if (strays > 0) {
    throw Error(ErrorKind::kFailure, "helper processes outlived the point (killed now)");
  }
  return {std::move(gb), std::move(point), std::move(findings)};
}

// One repetition of one point. Before the first, a throwaway run finds the
// iteration count that fills the time budget (Google Benchmark's own
// estimate), so that every reported repetition starts on fresh state.
void Run::MeasureOnce(Pending& pending, int round) {
  const ExperimentConfig& cfg = *pending.cfg;
  const Point& p = results_[pending.result].point;
  int threads = static_cast<int>(p.Int("threads"));
  Budget budget = BudgetOf(cfg);
  int total = budget.repetitions;
  budget.repetitions = 1;

  if (budget.iterations == 0 && pending.iterations_per_thread == 0) {
    nlohmann::json discarded = {{"benchmarks", nlohmann::json::array()}};
    Fresh estimate = RunFresh(cfg, p, budget, discarded, 0, 0);
    if (estimate.gb.size() != 1) throw Error(ErrorKind::kFailure, "estimating the iteration count");
    pending.iterations_per_thread = std::max<int64_t>(1, estimate.gb.front().iterations / threads);
  }
  if (pending.iterations_per_thread > 0) budget.iterations = pending.iterations_per_thread;

  CpuSnapshot before = TakeCpuSnapshot();
  auto [gb, point, findings] = RunFresh(cfg, p, budget, gbench_, round, total);
  CpuSnapshot after = TakeCpuSnapshot();
  if (point->runs().empty() || gb.size() != 1) {
    throw Error(ErrorKind::kFailure, fmt::format("expected one repetition, got {} runs and {} "
                                                 "reports",
                                                 point->runs().size(), gb.size()));
  }
  pending.samples.push_back(point->runs().back());
  pending.gb.push_back(gb.front());
  KeepArtifacts(results_[pending.result], round, findings);
  for (const std::string& w : findings.warnings) {
    if (std::find(warnings_.begin(), warnings_.end(), w) == warnings_.end()) Warn(w, false);
  }
  pending.findings.push_back(std::move(findings));
  // Summed over the repetitions: CPU time is counted in clock ticks (10 ms),
  // too coarse to judge one short repetition alone.
  pending.cpu_before.push_back(before);
  pending.cpu_after.push_back(after);
}

// Writes the files a repetition's workload asked to keep into the run
// directory, as artifacts/point-<index>-rep-<round>-<name>.
void Run::KeepArtifacts(const PointResult& result, int round, const Findings& findings) {
  if (findings.artifacts.empty()) return;
  MakeDirectories(dir_ + "/artifacts");
  for (const auto& [name, contents] : findings.artifacts) {
    if (name.empty() || name.find('/') != std::string::npos || name[0] == '.') {
      throw Error(ErrorKind::kFailure, fmt::format("bad artifact name '{}'", name));
    }
    std::string path =
        fmt::format("{}/artifacts/point-{}-rep-{}-{}", dir_, result.index, round, name);
    WriteFileAtomically(path, contents);
  }
}

// Marks a point whose repetitions other work disturbed, or that measured
// too few operations to mean much.
void Run::FlagDisturbed(const Pending& p, PointResult& result) {
  auto flag = [&](const std::string& why) {
    if (result.note.find(why.substr(0, 20)) != std::string::npos) return;
    result.trustworthy = false;
    result.note += (result.note.empty() ? "" : "; ") + why;
  };
  CpuSnapshot before, after;
  for (size_t i = 0; i < p.cpu_before.size(); ++i) {
    before.machine_busy += p.cpu_before[i].machine_busy;
    before.machine_total += p.cpu_before[i].machine_total;
    before.self += p.cpu_before[i].self;
    before.kernel_threads += p.cpu_before[i].kernel_threads;
    after.machine_busy += p.cpu_after[i].machine_busy;
    after.machine_total += p.cpu_after[i].machine_total;
    after.self += p.cpu_after[i].self;
    after.kernel_threads += p.cpu_after[i].kernel_threads;
  }
  double others = OtherWorkFraction(before, after);
  if (others > kBusyLimit) {
    flag(
        fmt::format("other programs took {:.0f}% of the CPUs while it was measured", 100 * others));
  }
  for (const RunSamples& s : p.samples) {
    if (s.operations < kMinOperations) {
      flag(fmt::format("fewer than {} operations in a repetition: raise the budget",
                       kMinOperations));
    }
  }
}

// Repetitions are interleaved: round r measures repetition r of every
// point, so that slow drifts of the machine spread over each point's
// repetitions instead of shifting whole points.
void Run::RunRounds() {
  int rounds = 0;
  for (const Pending& p : pending_)
    rounds = std::max(rounds, BudgetOf(*p.cfg).repetitions);

  for (int round = 0; round < rounds; ++round) {
    for (Pending& pending : pending_) {
      PointResult& result = results_[pending.result];
      if (result.status != "ok" || round >= BudgetOf(*pending.cfg).repetitions) continue;
      if (Interrupted()) throw Error(ErrorKind::kInterrupted, "interrupted");
      Progress(*pending.cfg, result.point, round);
      try {
        MeasureOnce(pending, round);
        FillMetrics(*pending.cfg->experiment, pending.samples, pending.gb, pending.findings,
                    result);
        if (static_cast<int>(pending.samples.size()) == BudgetOf(*pending.cfg).repetitions) {
          FlagDisturbed(pending, result);  // judged over all its repetitions
        }
      } catch (const std::exception& e) {
        auto* error = dynamic_cast<const Error*>(&e);
        if ((error && error->kind() == ErrorKind::kInterrupted) || Interrupted()) {
          throw Error(ErrorKind::kInterrupted, "interrupted");
        }
        result.status = "failed";
        result.note = e.what();
        for (MetricValues& m : result.metrics)
          m.per_repetition.clear();
        failed_ = true;
        spdlog::error("point {} failed: {}", result.index, e.what());
      }
      ++done_points_;
      Write("running");
    }
  }
}

// Flags every result when the harness's overhead is not negligible.
void Run::CheckOverhead() {
  double cheapest = 0;
  for (const PointResult& r : results_) {
    if (r.status != "ok" || r.experiment == "harness") continue;
    for (const MetricValues& m : r.metrics) {
      if (m.name != "latency_mean_ns" || m.per_repetition.empty()) continue;
      double v = Summarize(m.per_repetition).median;
      if (cheapest == 0 || v < cheapest) cheapest = v;
    }
  }
  cheapest_op_ns_ = cheapest;
  if (cheapest > 0 && empty_op_ns_ / cheapest > kOverheadLimit) {
    Warn(fmt::format("the harness overhead ({:.0f} ns) is {:.1f}% of the cheapest operation "
                     "({:.0f} ns), above the {:.0f}% limit",
                     empty_op_ns_, 100 * empty_op_ns_ / cheapest, cheapest, 100 * kOverheadLimit),
         true);
  }
  results_.front().metrics.push_back({"overhead_fraction_of_cheapest_op",
                                      "fraction",
                                      "lower",
                                      {cheapest > 0 ? empty_op_ns_ / cheapest : 0.0}});
}

nlohmann::json Run::RunJson(const std::string& status) const {
  nlohmann::json configs = nlohmann::json::array();
  for (const ExperimentConfig& c : configs_) {
    Budget b = options_.quick ? c.QuickBudget() : c.budget;
    configs.push_back({{"file", c.file},
                       {"name", c.name},
                       {"experiment", c.experiment->name},
                       {"sha256", c.sha256},
                       {"text", c.text},
                       {"presets", PresetsJson(c)},
                       {"points", c.points.size()},
                       {"budget",
                        {{"min_time_s", b.min_time_s},
                         {"iterations_per_thread", b.iterations},
                         {"repetitions", b.repetitions}}}});
  }
  nlohmann::json points = nlohmann::json::array();
  for (const PointResult& r : results_)
    points.push_back(PointJson(r));
  return {
      {"schema_version", kResultsSchemaVersion},
      {"isocost",
       {{"version", ISOCOST_VERSION},
        {"git_revision", ISOCOST_GIT_REVISION},
        {"build_type", ISOCOST_BUILD_TYPE}}},
      {"run_id", run_id_},
      {"name", options_.name},
      {"status", status},
      {"command_line", options_.command_line},
      {"quick", options_.quick},
      {"start_time", started_},
      {"end_time", status == "running" ? "" : UtcNow("{:%Y-%m-%dT%H:%M:%SZ}")},
      {"host", ToJson(host_)},
      {"benchmark_context", gbench_.value("context", nlohmann::json::object())},
      {"harness_overhead",
       {{"empty_op_ns", empty_op_ns_},
        {"cheapest_op_ns", cheapest_op_ns_},
        {"fraction_of_cheapest_op", cheapest_op_ns_ > 0 ? empty_op_ns_ / cheapest_op_ns_ : 0.0},
        {"limit_fraction", kOverheadLimit}}},
      {"warnings", warnings_},
      {"configs", configs},
      {"points", points},
      {"files", {{"results", "results.csv"}, {"google_benchmark", "benchmark.json"}}},
  };
}

void Run::Write(const std::string& status) {
  for (PointResult& r : results_) {
    if (taints_.empty() || !r.trustworthy) continue;
    r.trustworthy = false;
    r.note += fmt::format("{}{}", r.note.empty() ? "" : "; ", fmt::join(taints_, "; "));
  }
  WriteFileAtomically(dir_ + "/results.csv", ResultsCsv(results_));
  WriteFileAtomically(dir_ + "/benchmark.json", gbench_.dump(2) + "\n");
  WriteFileAtomically(dir_ + "/run.json", RunJson(status).dump(2) + "\n");
}

int Run::Execute() {
  Start();
  size_t points = 0;
  for (const ExperimentConfig& cfg : configs_)
    points += cfg.points.size();
  spdlog::info("run {}: {} point{}; results in {}", run_id_, points, points == 1 ? "" : "s", dir_);
  WarnAboutHost();
  Write("running");  // a run killed from here on keeps "running" in its run.json
  std::string status = "complete";
  try {
    MeasureOverhead();
    AddPoints();
    RunRounds();
    CheckOverhead();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kInterrupted) throw;
    status = "interrupted";
    spdlog::warn("interrupted by signal {}; undoing the changes made so far", InterruptSignal());
  }
  if (failed_ && status != "interrupted") status = "failed";
  for (size_t i = 1; i < results_.size(); ++i) {
    PointResult& r = results_[i];
    bool measured = !r.metrics.empty() && !r.metrics.front().per_repetition.empty();
    if (r.status == "ok" && !measured) {
      r.status = "not measured";
      r.note = "the run was " + status + " before this point was measured";
    }
  }
  Write(status);

  std::vector<std::string> problems = guard_->UndoAll();
  for (const std::string& p : problems)
    spdlog::error("restoring the host: {}", p);
  std::printf("%s\n", dir_.c_str());
  if (!problems.empty()) return kExitFailure;  // the host is not fully restored
  if (status == "interrupted") return kExitInterrupted;
  if (failed_) return kExitFailure;
  bool any_ok = false;
  for (const PointResult& r : results_)
    any_ok |= r.experiment != "harness" && r.status == "ok";
  return any_ok ? kExitOk : kExitUnsupported;
}

}  // namespace

int RunExperiments(const std::vector<ExperimentConfig>& configs, const RunOptions& options) {
  Run run(configs, options);
  return run.Execute();
}

}  // namespace isocost
