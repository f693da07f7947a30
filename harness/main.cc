// isocost: measures what Linux isolation primitives cost on this kernel.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "harness/commands.h"
#include "harness/runner.h"
#include "isocost/version.h"
#include "primitives/error.h"

namespace {

constexpr const char* kExitStatuses =
    "Exit status:\n"
    "  0    success\n"
    "  1    a failure while measuring or restoring the host (see the messages and run.json)\n"
    "  2    a usage or config error; nothing was run and the host is unchanged\n"
    "  3    this host cannot run it: a missing privilege (root) or kernel feature\n"
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
      "and controllers, tracefs, union file systems, namespace limits. Reads only.");
  doctor->add_flag("--json", json, "print JSON");

  bool dry_run = false;
  auto* cleanup =
      app.add_subcommand("cleanup",
                         "Undo the journaled host changes of isocost runs whose process is gone "
                         "(killed, crashed). A live run's changes are left alone.");
  cleanup->add_flag("--dry-run", dry_run, "only list what would be undone");
  cleanup->footer(kExitStatuses);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int status = app.exit(e);
    return status == 0 ? kExitOk : kExitUsage;
  }
  SetUpLogging(log_level);
  for (int i = 0; i < argc; ++i)
    run_options.command_line.push_back(argv[i]);

  try {
    if (*run) return RunCommand(configs, run_options);
    if (*validate) return ValidateCommand(configs);
    if (*list) return ListCommand(json);
    if (*doctor) return DoctorCommand(json);
    if (*cleanup) return CleanupCommand(dry_run);
  } catch (const Error& e) {
    spdlog::error("{}", e.what());
    return ExitStatusFor(e.kind());
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitFailure;
  }
  return kExitUsage;
}
