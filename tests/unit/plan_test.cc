// The planning model on made-up runs: step costs add up per container, the
// largest names the limiting step, what the runs lack is named, and the
// measurement of the same recipe is set beside the prediction.
#include "harness/plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "primitives/error.h"

namespace isocost {
namespace {

CsvRow Row(const std::string& experiment, std::map<std::string, std::string> params,
           const std::string& metric, const std::string& repetitions, const std::string& median) {
  CsvRow row = std::move(params);
  row["experiment"] = experiment;
  row["metric"] = metric;
  row["status"] = "ok";
  row["repetition_values"] = repetitions;
  row["median"] = median;
  return row;
}

std::map<std::string, std::string> Container(const std::string& recipe, const std::string& root,
                                             const std::string& namespaces,
                                             const std::string& cgroup, const std::string& sw) {
  return {{"recipe", recipe},         {"root", root},           {"root_switch", sw},
          {"namespaces", namespaces}, {"cgroup", cgroup},       {"loopback", "false"},
          {"mount_proc", "false"},    {"cgroup_version", "v2"}, {"threads", "1"}};
}

RunData Runs() {
  RunData run;
  run.dir = "/tmp/run";
  // A bare process serving a request: 400/s, 2.5 ms each.
  run.rows.push_back(Row("container_e2e",
                         Container("recipes/bare.yaml", "none", "none", "none", "none"),
                         "ops_per_s", "400;400;400", "400"));
  // SOCK's root: 2000 mounts+unmounts/s, 0.5 ms each; chroot: 1e5/s.
  run.rows.push_back(
      Row("storage", {{"backend", "bind"}, {"layers", "3"}, {"unmount", "each"}, {"threads", "1"}},
          "ops_per_s", "2000;2000;2000", "2000"));
  run.rows.push_back(Row("switch_root", {{"method", "chroot"}, {"threads", "1"}}, "ops_per_s",
                         "100000;100000;100000", "100000"));
  // The lean recipe measured end to end: 200/s, well below the 332/s predicted.
  run.rows.push_back(Row("container_e2e",
                         Container("recipes/lean.yaml", "bind", "none", "pool", "chroot"),
                         "ops_per_s", "200;200;200", "200"));
  return run;
}

TEST(Plan, StepCostsAddUpPerContainer) {
  std::vector<RunData> runs = {Runs()};
  Recipe lean = RecipeOfRow(runs[0], runs[0].rows.back());
  Prediction p = Predict(runs, lean, 1);

  double expected = 1 / (1 / 400.0 + 1 / 2000.0 + 1 / 100000.0);
  EXPECT_NEAR(p.rate, expected, 1e-9 * expected);
  EXPECT_NEAR(p.latency_s, 1 / expected, 1e-12);
  EXPECT_EQ(p.limiting_step, "process and request");
  EXPECT_NEAR(p.limiting_share, (1 / 400.0) * expected, 1e-9);
  // Identical repetitions: the interval collapses onto the prediction.
  EXPECT_NEAR(p.rate_low, p.rate, 1e-6);
  EXPECT_NEAR(p.rate_high, p.rate, 1e-6);
  ASSERT_TRUE(p.measured_rate.has_value());
  EXPECT_DOUBLE_EQ(*p.measured_rate, 200);
}

TEST(Plan, WhatTheRunsLackIsNamedNotGuessed) {
  std::vector<RunData> runs = {Runs()};
  Recipe r = RecipeOfRow(runs[0], runs[0].rows.back());
  r.root = "overlay";
  r.cgroup = "create";
  Prediction p = Predict(runs, r, 1);

  EXPECT_NE(std::find(p.missing.begin(), p.missing.end(), "root"), p.missing.end());
  EXPECT_NE(std::find(p.missing.begin(), p.missing.end(), "cgroup: create and remove"),
            p.missing.end());
  EXPECT_FALSE(p.measured_rate.has_value());  // no run measured this mix
}

TEST(Plan, WithoutRecipesEveryMeasuredRecipeButTheBareOneIsChecked) {
  std::vector<RunData> runs = {Runs()};
  std::vector<Prediction> plan = Plan(runs, PlanOptions{});

  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].recipe.name, "lean");
  std::string text = PlanText(plan, PlanOptions{});
  EXPECT_NE(text.find("OUTSIDE"), std::string::npos) << text;  // 332/s predicted, 200 measured
}

TEST(Plan, NamespacesArePricedFromTheirOwnExperiments) {
  RunData run = Runs();
  // Figure 4: a network namespace takes the rate from 500/s to 250/s.
  std::map<std::string, std::string> fig4 = {
      {"namespaces", "pid+uts+ipc+mnt"}, {"held_netns", "0"}, {"threads", "2"}};
  fig4["network"] = "none";
  run.rows.push_back(Row("container", fig4, "ops_per_s", "500;500", "500"));
  fig4["network"] = "netns";
  run.rows.push_back(Row("container", fig4, "ops_per_s", "250;250", "250"));
  // Figure 3 at 2 released together: pid teardown is synchronous, ipc's deferred.
  std::map<std::string, std::string> pid = {
      {"op", "pid"}, {"calls_per_task", "1"}, {"concurrency", "2"}};
  std::map<std::string, std::string> ipc = {
      {"op", "ipc"}, {"calls_per_task", "1"}, {"concurrency", "2"}};
  run.rows.push_back(Row("ns_latency", pid, "create_latency_mean_ns", "40000;40000", "40000"));
  run.rows.push_back(Row("ns_latency", pid, "cleanup_latency_mean_ns", "20000;20000", "20000"));
  run.rows.push_back(Row("ns_latency", pid, "cleanup_batch_mean", "0;0", "0"));
  run.rows.push_back(Row("ns_latency", ipc, "create_latency_mean_ns", "10000;10000", "10000"));
  run.rows.push_back(Row("ns_latency", ipc, "cleanup_latency_mean_ns", "9e6;9e6", "9e6"));
  run.rows.push_back(Row("ns_latency", ipc, "cleanup_batch_mean", "3;3", "3"));
  // The same children with no namespace: what a process's life costs alone.
  std::map<std::string, std::string> base = {
      {"op", "getppid"}, {"calls_per_task", "1"}, {"concurrency", "2"}};
  run.rows.push_back(Row("ns_latency", base, "create_latency_mean_ns", "5000;5000", "5000"));
  run.rows.push_back(Row("ns_latency", base, "cleanup_latency_mean_ns", "15000;15000", "15000"));

  Recipe r;
  r.root = "none";
  r.root_switch = "none";
  r.cgroup = "none";
  r.namespaces = {"ipc", "net", "pid"};
  Prediction p = Predict({run}, r, 2);

  std::map<std::string, double> cost;
  for (const StepCost& s : p.steps)
    cost[s.step] = s.median;
  EXPECT_NEAR(cost["namespace: net"], 1 / 250.0 - 1 / 500.0, 1e-12);
  EXPECT_NEAR(cost["namespace: pid"], (40000 - 5000 + 20000 - 15000) * 1e-9 / 2, 1e-12);
  EXPECT_NEAR(cost["namespace: ipc"], (10000 - 5000) * 1e-9 / 2, 1e-12);  // deferred teardown out
  EXPECT_NE(std::find(p.missing.begin(), p.missing.end(), "process and request"),
            p.missing.end());  // the bare recipe was measured at 1 thread, not 2
}

TEST(Plan, NoVerdictOnAnIncompletePrediction) {
  std::vector<RunData> runs = {Runs()};
  Recipe r = RecipeOfRow(runs[0], runs[0].rows.back());
  r.mount_proc = true;  // no experiment measures it
  std::vector<Prediction> plan = {Predict(runs, r, 1)};
  plan[0].measured_rate = 200;

  std::string text = PlanText(plan, PlanOptions{});
  EXPECT_NE(text.find("incomplete"), std::string::npos) << text;
  EXPECT_EQ(text.find("OUTSIDE"), std::string::npos) << text;
  EXPECT_NE(text.find("mount /proc"), std::string::npos) << text;
}

TEST(Plan, NoContainerRunsAndNoRecipeIsAUsageError) {
  RunData run;
  EXPECT_THROW(Plan({run}, PlanOptions{}), Error);
}

}  // namespace
}  // namespace isocost
