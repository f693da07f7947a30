// isocost: measures what Linux isolation primitives cost on this kernel.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>
#include <utility>
#include <vector>

#include "harness/commands.h"
#include "harness/compare.h"
#include "harness/plan.h"
#include "harness/runner.h"
#include "harness/trend.h"
#include "isocost/version.h"
#include "primitives/error.h"

namespace {

constexpr const char* kExitStatuses =
    "Exit status:\n"
    "  0    success\n"
    "  1    a failure while measuring or restoring the host (see the messages and run.json)\n"
    "  2    a usage or config error; nothing was run and the host is unchanged\n"
    "  3    this host cannot run it: a missing privilege (root) or kernel feature\n"
    "  4    isocost compare: at least one regression\n"
    "  130  interrupted by SIGINT or SIGTERM; the host was restored\n";

void SetUpLogging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("isocost");
  logger->set_pattern("isocost: %l: %v");
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace isocost;
  CLI::App app{
      "isocost: measures what Linux isolation primitives (cgroups, namespaces, mounts, "
      "union file systems) cost on the kernel it runs on, from YAML experiment configs"};
  app.footer(kExitStatuses);
  app.set_version_flag("--version", std::string(ISOCOST_VERSION) + " (" + ISOCOST_GIT_REVISION +
                                        ", " + ISOCOST_BUILD_TYPE + ")");
  app.require_subcommand(1);
  app.fallthrough();  // --log-level after the subcommand too
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "stderr verbosity: debug, info, warning, error")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}));

  std::vector<std::string> configs;
  RunOptions run_options;
  auto* run = app.add_subcommand(
      "run",
      "Validate configs, then measure every point of their sweeps. Needs root. Changes "
      "to the host are journaled under /run/isocost and undone at the end, on failure "
      "and on Ctrl-C. Prints the results directory on stdout; progress goes to stderr.");
  run->add_option("config", configs, "experiment configs or suites (YAML)")->required();
  run->add_option("--out", run_options.out_dir,
                  "results directory (default <results-dir>/<UTC time>-<name>); must be empty");
  run->add_option("--results-dir", run_options.results_dir,
                  "where default-named results directories go")
      ->capture_default_str();
  run->add_flag("--quick", run_options.quick,
                "scale every time or iteration budget by the config's quick_scale; the sweep's "
                "points stay the same");
  run->footer(kExitStatuses);

  auto* validate =
      app.add_subcommand("validate",
                         "Check configs (keys, types, ranges, sweeps) without touching the host. "
                         "Errors name file:line:column and the key.");
  validate->add_option("config", configs, "experiment configs or suites (YAML)")->required();
  validate->footer(kExitStatuses);

  bool json = false;
  auto* list = app.add_subcommand(
      "list",
      "List the experiments with their parameters (type, default, allowed values, "
      "meaning) and metrics.");
  list->add_flag("--json", json, "print JSON");

  auto* doctor = app.add_subcommand(
      "doctor",
      "Report what this host supports and lacks: privileges, kernel, cgroup layout "
      "and controllers, tracefs, union file systems, namespace limits. Changes nothing on the "
      "host (an unmounted tracefs is looked at in a child's private mount namespace).");
  doctor->add_flag("--json", json, "print JSON");

  bool dry_run = false;
  auto* cleanup =
      app.add_subcommand("cleanup",
                         "Undo the journaled host changes of isocost runs whose process is gone "
                         "(killed, crashed). A live run's changes are left alone.");
  cleanup->add_flag("--dry-run", dry_run, "only list what would be undone");
  cleanup->footer(kExitStatuses);

  CompareOptions compare_options;
  auto* compare = app.add_subcommand(
      "compare",
      "Compare two runs (directories, or their results.csv or run.json). Points are matched by "
      "experiment, metric and parameters; each pair gets a two-sided Mann-Whitney U test on its "
      "repetitions, a correction for the number of points compared, and a verdict: "
      "regression, improvement, no significant change, too few repetitions (no verdict) or not "
      "comparable (a side unmeasured). Exits 4 when there is a regression.");
  std::string base_run, new_run;
  compare
      ->add_option("BASE", base_run,
                   "the run compared against (a run directory, or its "
                   "results.csv or run.json)")
      ->required();
  compare->add_option("NEW", new_run, "the run judged")->required();
  compare
      ->add_option("--threshold", compare_options.threshold,
                   "smallest relative change of the median that counts, as a fraction (0.1 is 10%)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10.0));
  compare->add_option("--alpha", compare_options.alpha, "significance level after correction")
      ->capture_default_str()
      ->check(CLI::Range(0.0001, 0.5));
  compare
      ->add_option("--correction", compare_options.correction,
                   "multiple comparisons: bh (Benjamini-Hochberg), holm, none")
      ->capture_default_str()
      ->check(CLI::IsMember({"bh", "holm", "none"}));
  compare->add_option("--ignore-param", compare_options.ignore_params,
                      "leave a parameter out of the matching (compare pattern=create in BASE "
                      "with pattern=reuse in NEW, say)");
  compare->add_option("--metric", compare_options.metrics, "compare only these metrics");
  bool compare_json = false, compare_markdown = false;
  auto* as_json = compare->add_flag("--json", compare_json, "print JSON");
  compare->add_flag("--markdown", compare_markdown, "print a Markdown table")->excludes(as_json);
  compare->footer(kExitStatuses);

  std::vector<std::string> trend_runs;
  TrendOptions trend_options;
  auto* trend = app.add_subcommand(
      "trend",
      "One metric (or every metric of one experiment) across runs, ordered by kernel "
      "version or date, with median and min-max of each point. Give run directories "
      "or directories that hold runs.");
  trend->add_option("runs", trend_runs, "runs, or directories of runs")->required();
  trend->add_option("--metric", trend_options.metric, "the metric, e.g. ops_per_s");
  trend->add_option("--experiment", trend_options.experiment, "the experiment, e.g. cgroup");
  trend->add_option("--order", trend_options.order, "kernel or date")
      ->capture_default_str()
      ->check(CLI::IsMember({"kernel", "date"}));
  trend->add_flag("--json", json, "print JSON (what plots/trend_plot.py reads)");
  trend->footer(kExitStatuses);

  std::vector<std::string> plan_runs;
  PlanOptions plan_options;
  bool plan_json = false, plan_markdown = false;
  auto* plan = app.add_subcommand(
      "plan",
      "Capacity planning: predict how many containers per second a recipe provisions at a "
      "concurrency, from the primitive costs measured in the runs given (a bare process "
      "serving one request, the root's mounts, the root switch, namespaces, cgroups); name "
      "the limiting step and give a 90% interval. Without --recipe, every recipe the runs' "
      "container experiment measured is predicted and checked against its measurement.");
  plan->add_option("runs", plan_runs, "runs, or directories of runs")->required();
  plan->add_option("--recipe", plan_options.recipes, "a recipe file (configs/recipes/*.yaml)")
      ->check(CLI::ExistingFile);
  plan->add_option("--threads", plan_options.threads, "target concurrency (repeatable)")
      ->check(CLI::Range(1, 4096));
  plan->add_option("--tolerance", plan_options.tolerance,
                   "how far a prediction may be from the measurement, as a fraction")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10.0));
  auto* plan_as_json =
      plan->add_flag("--json", plan_json, "print JSON (what plots/plan_plot.py reads)");
  plan->add_flag("--markdown", plan_markdown, "print a Markdown table")->excludes(plan_as_json);
  plan->footer(kExitStatuses);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int status = app.exit(e);
    return status == 0 ? kExitOk : kExitUsage;
  }
  SetUpLogging(log_level);
  for (int i = 0; i < argc; ++i)
    run_options.command_line.push_back(argv[i]);

  // Each command's function, by its subcommand.
  const std::vector<std::pair<CLI::App*, std::function<int()>>> commands = {
      {run, [&] { return RunCommand(configs, run_options); }},
      {validate, [&] { return ValidateCommand(configs); }},
      {list, [&] { return ListCommand(json); }},
      {doctor, [&] { return DoctorCommand(json); }},
      {cleanup, [&] { return CleanupCommand(dry_run); }},
      {compare,
       [&] {
         std::string format = compare_json ? "json" : compare_markdown ? "markdown" : "text";
         return CompareCommand(base_run, new_run, compare_options, format);
       }},
      {trend, [&] { return TrendCommand(trend_runs, trend_options, json); }},
      {plan,
       [&] {
         std::string format = plan_json ? "json" : plan_markdown ? "markdown" : "text";
         return PlanCommand(plan_runs, plan_options, format);
       }},
  };
  auto dispatch = [&]() -> int {
    for (const auto& [command, function] : commands) {
      if (*command) return function();
    }
    return kExitUsage;
  };

  // Only main decides to exit; a result that could not be written is a failure.
  int status = kExitUsage;
  try {
    status = dispatch();
  } catch (const Error& e) {
    spdlog::error("{}", e.what());
    return ExitStatusFor(e.kind());
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitFailure;
  }
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    spdlog::error("writing to standard output failed");
    return kExitFailure;
  }
  return status;
}
