#include "harness/commands.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>

#include "harness/compare.h"
#include "harness/config.h"
#include "harness/doctor.h"
#include "harness/plan.h"
#include "harness/results.h"
#include "harness/runner.h"
#include "harness/trend.h"
#include "primitives/guard.h"
#include "primitives/host.h"

namespace isocost {
namespace {

void ReportProblems(const ConfigError& e) {
  for (const ConfigProblem& p : e.problems())
    fmt::print(stderr, "{}\n", p.Format());
  fmt::print(stderr, "isocost: {} problem{} found; nothing was run\n", e.problems().size(),
             e.problems().size() == 1 ? "" : "s");
}

nlohmann::json ParamJson(const ParamSpec& p) {
  return {{"name", p.name},
          {"type", TypeName(p.type)},
          {"default", FormatValue(p.default_value)},
          {"allowed", p.Allowed()},
          {"meaning", p.meaning}};
}

nlohmann::json ExperimentJson(const ExperimentSpec& e) {
  nlohmann::json params = nlohmann::json::array(), metrics = nlohmann::json::array();
  for (const ParamSpec& p : e.params)
    params.push_back(ParamJson(p));
  for (const MetricSpec& m : MetricsOf(e))
    metrics.push_back({{"name", m.name}, {"unit", m.unit}});
  return {{"name", e.name},
          {"figure", e.figure},
          {"summary", e.summary},
          {"params", params},
          {"metrics", metrics}};
}

void PrintExperiment(const ExperimentSpec& e) {
  fmt::print("{}{}\n  {}\n  parameters:\n", e.name,
             e.figure.empty() ? "" : fmt::format(" (figure {})", e.figure), e.summary);
  for (const ParamSpec& p : e.params) {
    fmt::print("    {:<16} {:<16} default {}\n", p.name, TypeName(p.type),
               FormatValue(p.default_value));
    fmt::print("      {}\n      allowed: {}\n", p.meaning, p.Allowed());
  }
  fmt::print("  metrics:\n");
  for (const MetricSpec& m : MetricsOf(e))
    fmt::print("    {:<28} {}\n", m.name, m.unit);
  for (const CounterSpec& c : e.counters)
    fmt::print("    ({}_per_op: {})\n", c.name, c.meaning);
}

}  // namespace

int RunCommand(const std::vector<std::string>& configs, RunOptions options) {
  std::vector<ExperimentConfig> loaded;
  std::string name;
  try {
    loaded = LoadConfigs(configs, &name);
  } catch (const ConfigError& e) {
    ReportProblems(e);
    return kExitUsage;
  }
  if (options.name.empty()) options.name = name;
  return RunExperiments(loaded, options);
}

int ValidateCommand(const std::vector<std::string>& configs) {
  try {
    for (const ExperimentConfig& c : LoadConfigs(configs)) {
      fmt::print("{}: ok: experiment {}, {} points, {} repetitions, sha256 {}\n", c.file,
                 c.experiment->name, c.points.size(), c.budget.repetitions, c.sha256.substr(0, 12));
    }
  } catch (const ConfigError& e) {
    ReportProblems(e);
    return kExitUsage;
  }
  return kExitOk;
}

int ListCommand(bool json) {
  if (json) {
    nlohmann::json all = nlohmann::json::array();
    for (const ExperimentSpec& e : Experiments())
      all.push_back(ExperimentJson(e));
    fmt::print("{}\n", all.dump(2));
    return kExitOk;
  }
  for (const ExperimentSpec& e : Experiments())
    PrintExperiment(e);
  return kExitOk;
}

int DoctorCommand(bool json) {
  nlohmann::json report = CollectDoctorReport();
  if (json) {
    fmt::print("{}\n", report.dump(2));
  } else {
    PrintDoctorReport(report, std::cout);
  }
  return kExitOk;
}

int CleanupCommand(bool dry_run) {
  if (geteuid() != 0) {
    throw Error(ErrorKind::kUnsupported,
                "isocost cleanup needs root: the journals and the changes they list are root's");
  }
  if (!HaveCapability("cap_sys_admin") || !HaveCapability("cap_dac_override")) {
    throw Error(ErrorKind::kUnsupported,
                "isocost cleanup needs CAP_SYS_ADMIN and CAP_DAC_OVERRIDE to undo host changes");
  }
  std::vector<JournalInfo> journals = ListJournals();
  if (journals.empty()) {
    fmt::print("nothing to clean up: no journals in {}\n", kJournalDir);
    return kExitOk;
  }
  // Undoing while a run is starting could undo what it relies on (a cgroup2
  // controller it found enabled): undo only while holding the run lock.
  std::unique_ptr<RunLock> lock;
  try {
    if (!dry_run) lock = std::make_unique<RunLock>();
  } catch (const Error& e) {
    fmt::print("{}: nothing is undone now; run isocost cleanup again after it\n", e.what());
    dry_run = true;
  }
  int status = kExitOk;
  for (const JournalInfo& j : journals) {
    if (!j.error.empty()) {
      spdlog::error("{}: {}; left alone", j.path, j.error);
      status = kExitFailure;
      continue;
    }
    fmt::print("{}: pid {} {}, {} change{} to undo\n", j.run_id, j.pid,
               j.owner_alive ? "still running" : "gone", j.pending.size(),
               j.pending.size() == 1 ? "" : "s");
    for (const auto& [action, args] : j.pending)
      fmt::print("  {} {}\n", action, args.dump());
    for (const auto& [action, args] : j.unconfirmed) {
      fmt::print(
          "  left alone: {} {}: the run died while making this change, so it may not "
          "be isocost's; remove it by hand if it is\n",
          action, args.dump());
    }
    if (j.owner_alive) {
      fmt::print("  left alone: the run is still in progress\n");
      continue;
    }
    if (dry_run) continue;
    std::vector<std::string> problems = ReplayJournal(j);
    for (const std::string& p : problems)
      spdlog::error("{}: {}", j.run_id, p);
    fmt::print("  {}\n", problems.empty() ? "undone; journal removed" : "NOT fully undone");
    if (!problems.empty()) status = kExitFailure;
  }
  return status;
}

int CompareCommand(const std::string& base, const std::string& next, const CompareOptions& options,
                   const std::string& format) {
  if (!std::isfinite(options.threshold) || !std::isfinite(options.alpha)) {
    throw Error(ErrorKind::kUsage, "--threshold and --alpha must be numbers");
  }
  RunData base_run = LoadRun(base);
  RunData next_run = LoadRun(next);
  CompareReport report = Compare(base_run, next_run, options);
  if (format == "json") {
    fmt::print("{}\n", ReportJson(report).dump(2));
  } else if (format == "markdown") {
    fmt::print("{}", ReportMarkdown(report));
  } else {
    fmt::print("{}", ReportText(report));
  }
  if (report.rows.empty()) {
    throw Error(ErrorKind::kUsage, "no point of " + base + " matches a point of " + next);
  }
  return report.regressions > 0 ? kExitRegression : kExitOk;
}

int PlanCommand(const std::vector<std::string>& paths, const PlanOptions& options,
                const std::string& format) {
  std::vector<RunData> runs;
  for (const std::string& path : paths) {
    for (const std::string& run : FindRuns(path))
      runs.push_back(LoadRun(run));
  }
  if (runs.empty()) throw Error(ErrorKind::kUsage, "no runs found in the paths given");
  std::vector<Prediction> plan = Plan(runs, options);
  if (format == "json") {
    fmt::print("{}\n", PlanJson(plan, options).dump(2));
  } else {
    fmt::print("{}", format == "markdown" ? PlanMarkdown(plan, options) : PlanText(plan, options));
  }
  return kExitOk;
}

int TrendCommand(const std::vector<std::string>& runs, const TrendOptions& options, bool json) {
  nlohmann::json trend = Trend(runs, options);
  fmt::print("{}", json ? trend.dump(2) + "\n" : TrendText(trend));
  return kExitOk;
}

}  // namespace isocost
