// Runs validated experiment configs: one Google Benchmark run per sweep
// point, the host prepared before it and restored after it through the
// host-state guard, results written after every point.
#pragma once

#include <string>
#include <vector>

#include "harness/config.h"

namespace isocost {

struct RunOptions {
  std::string out_dir;  // "" for <results_dir>/<UTC time>-<name>
  std::string results_dir = "results";
  std::string name;    // the run's name, for its directory
  bool quick = false;  // budgets scaled by each config's quick_scale
  std::vector<std::string> command_line;
};

// Returns the exit status. Throws Error when the run cannot start (no
// root, output directory in the way); once it has started, failures are
// recorded in the results and in the status.
int RunExperiments(const std::vector<ExperimentConfig>& configs, const RunOptions& options);

}  // namespace isocost
