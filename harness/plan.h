// `isocost plan`: capacity planning for containers built from a recipe.
//
// The model composes a container from its steps. Each step's cost per
// container at concurrency c is taken from the primitive experiment that
// measures that step alone at c threads: a bare process serving one request
// (the container experiment with no isolation), the root's mounts, the root
// switch, each namespace type, the cgroup. A primitive measured at c threads
// with throughput R(c) keeps the machine busy 1/R(c) seconds per operation,
// so a container that runs the steps one after another is predicted to
// reach X(c) = 1 / sum(1/R_i(c)) containers per second, and (Little's law,
// c containers always in flight) a latency of c / X(c). The limiting step is
// the one with the largest 1/R_i(c). How sure: a bootstrap over each step's
// repetitions gives a 90% interval; steps without a measurement in the runs
// given are named and left out.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/runs.h"

namespace isocost {

// The choices of a recipe, as the container experiment's parameters.
struct Recipe {
  std::string name;
  std::string root = "bind";
  std::string root_switch = "chroot";
  std::vector<std::string> namespaces;
  bool loopback = false;
  bool mount_proc = false;
  std::string cgroup = "pool";
  std::string cgroup_version = "v2";
};

// One step's measured cost per container: seconds per operation, one value
// per repetition of the primitive's point.
struct StepCost {
  std::string step;    // "process and request", "root: bind", "namespace: net"
  std::string source;  // which experiment point in which run
  std::vector<double> seconds;
  double median = 0;
};

struct Prediction {
  Recipe recipe;
  int threads = 1;
  double rate = 0;                     // containers per second
  double rate_low = 0, rate_high = 0;  // 90% bootstrap interval
  double latency_s = 0;                // c / rate
  std::string limiting_step;
  double limiting_share = 0;  // of the summed cost
  std::vector<StepCost> steps;
  std::vector<std::string> missing;  // steps the runs do not measure
  std::vector<std::string> notes;
  // From a container run of the same recipe and threads, when given.
  std::optional<double> measured_rate, measured_latency_s;
};

struct PlanOptions {
  std::vector<std::string> recipes;  // recipe files; none: every recipe the runs measured
  std::vector<int> threads;          // none: those the runs measured for the recipe
  double tolerance = 0.25;           // prediction against measurement
};

// Reads a recipe file (a container preset); throws a usage error naming the
// file, line and key of any problem.
Recipe LoadRecipe(const std::string& path);
// The recipe a container point of a run was measured with.
Recipe RecipeOfRow(const RunData& run, const CsvRow& row);

Prediction Predict(const std::vector<RunData>& runs, const Recipe& recipe, int threads);
// Every prediction the options ask for, with the measurement beside it when
// a run measured the same recipe.
std::vector<Prediction> Plan(const std::vector<RunData>& runs, const PlanOptions& options);

nlohmann::json PlanJson(const std::vector<Prediction>& plan, const PlanOptions& options);
std::string PlanText(const std::vector<Prediction>& plan, const PlanOptions& options);
std::string PlanMarkdown(const std::vector<Prediction>& plan, const PlanOptions& options);

}  // namespace isocost
