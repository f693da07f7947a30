// A quick cgroup run on the real kernel: its results match the sweep, its
// files carry provenance, and the host keeps no isocost cgroup or journal.
#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "primitives/cgroup.h"
#include "primitives/fs.h"

namespace isocost::test {
namespace {

const char* kQuick = R"(experiment: cgroup
name: quick
sweep:
  cgroup_version: [v1, v2]
  pattern: [create, reuse]
  threads: [1, 2]
repetitions: 2
budget: {iterations: 20}
)";

using Row = std::map<std::string, std::string>;

std::vector<Row> Rows(const std::string& csv) {
  std::vector<std::vector<std::string>> raw = ReadCsv(csv);
  std::vector<Row> rows;
  for (size_t i = 1; i < raw.size(); ++i) {
    Row r;
    for (size_t c = 0; c < raw[0].size() && c < raw[i].size(); ++c)
      r[raw[0][c]] = raw[i][c];
    rows.push_back(r);
  }
  return rows;
}

bool HostHasV1(const std::vector<std::string>& controllers) {
  CgroupMounts m = DiscoverCgroupMounts();
  return std::all_of(controllers.begin(), controllers.end(),
                     [&](const std::string& c) { return m.FindV1(c) != nullptr; });
}

TEST(CgroupRun, QuickRunMatchesTheSweepAndLeavesNothing) {
  REQUIRE_ROOT();
  TempDir tmp;
  std::string config = tmp.Write("quick.yaml", kQuick);
  std::string out = tmp.path() + "/out";

  pid_t pid = StartCli({"run", "--out", out, config}, tmp.path());
  int status = WaitCli(pid);
  ASSERT_EQ(status, 0) << ReadText(tmp.path() + "/stderr");
  EXPECT_EQ(Trim(ReadText(tmp.path() + "/stdout")), out);
  EXPECT_TRUE(CgroupsOf(pid).empty());
  EXPECT_TRUE(JournalsOf(pid).empty());

  std::vector<Row> rows = Rows(out + "/results.csv");
  std::map<std::string, int> per_point;
  bool v1_expected = HostHasV1({"cpu", "memory", "pids"});
  for (const Row& r : rows) {
    if (r.at("experiment") != "cgroup") continue;
    per_point[r.at("cgroup_version") + "/" + r.at("pattern") + "/" + r.at("threads")]++;
    bool ok = r.at("cgroup_version") == "v2" || v1_expected;
    EXPECT_EQ(r.at("status"), ok ? "ok" : "unsupported") << r.at("note");
    if (!ok) continue;
    EXPECT_EQ(r.at("n"), "2");
    EXPECT_EQ(std::count(r.at("repetition_values").begin(), r.at("repetition_values").end(), ';'),
              1);
    if (r.at("metric") == "ops_per_s") {
      EXPECT_EQ(r.at("unit"), "ops/s");
      EXPECT_GT(std::stod(r.at("value")), 0.0);
    }
  }
  ASSERT_EQ(per_point.size(), 8u);  // 2 versions x 2 patterns x 2 thread counts
  for (const auto& [point, metrics] : per_point)
    EXPECT_EQ(metrics, 7) << point;

  auto run = nlohmann::json::parse(ReadText(out + "/run.json"));
  struct utsname u {};
  uname(&u);
  EXPECT_EQ(run["schema_version"], 1);
  EXPECT_EQ(run["status"], "complete");
  EXPECT_EQ(run["host"]["kernel_release"], u.release);
  EXPECT_EQ(run["configs"][0]["text"], kQuick);
  EXPECT_EQ(run["configs"][0]["sha256"].get<std::string>().size(), 64u);
  EXPECT_GT(run["harness_overhead"]["empty_op_ns"].get<double>(), 0.0);

  auto gbench = nlohmann::json::parse(ReadText(out + "/benchmark.json"));
  EXPECT_TRUE(gbench.contains("context"));
  EXPECT_GE(gbench["benchmarks"].size(), 8u * 2);  // every repetition of every point
}

TEST(CgroupRun, LatencyPercentilesAreOrdered) {
  REQUIRE_ROOT();
  TempDir tmp;
  std::string config = tmp.Write("lat.yaml",
                                 "experiment: cgroup\nparams: {pattern: create}\nrepetitions: 2\n"
                                 "budget: {iterations: 50}\n");
  ASSERT_EQ(RunCli({"run", "--out", tmp.path() + "/out", config}).status, 0);

  std::map<std::string, double> v;
  for (const Row& r : Rows(tmp.path() + "/out/results.csv")) {
    if (r.at("experiment") == "cgroup") v[r.at("metric")] = std::stod(r.at("value"));
  }
  EXPECT_GT(v.at("latency_p50_ns"), 0);
  EXPECT_LE(v.at("latency_p50_ns"), v.at("latency_p90_ns"));
  EXPECT_LE(v.at("latency_p90_ns"), v.at("latency_p99_ns"));
  EXPECT_LE(v.at("latency_p99_ns"), v.at("latency_max_ns"));
}

TEST(CgroupRun, MissingV2ControllerIsReportedAsUnsupported) {
  REQUIRE_ROOT();
  CgroupMounts m = DiscoverCgroupMounts();
  ASSERT_TRUE(m.v2.has_value()) << "this test expects a cgroup2 mount";
  std::vector<std::string> available = ReadCgroupList(*m.v2 + "/cgroup.controllers");
  bool has_pids = std::find(available.begin(), available.end(), "pids") != available.end();

  TempDir tmp;
  std::string config =
      tmp.Write("pids.yaml",
                "experiment: cgroup\nparams: {v2_controllers: [pids]}\nrepetitions: 1\n"
                "budget: {iterations: 10}\n");
  CliResult r = RunCli({"run", "--out", tmp.path() + "/out", config});
  std::vector<Row> rows = Rows(tmp.path() + "/out/results.csv");
  auto row = std::find_if(rows.begin(), rows.end(),
                          [](const Row& x) { return x.at("experiment") == "cgroup"; });
  ASSERT_NE(row, rows.end());
  if (has_pids) {
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(row->at("status"), "ok");
  } else {
    EXPECT_EQ(r.status, 3) << r.err;  // nothing this host can run
    EXPECT_EQ(row->at("status"), "unsupported");
    EXPECT_NE(row->at("note").find("'pids'"), std::string::npos);
  }
}

TEST(CgroupRun, RootControllerEnabledForARunIsDisabledAfter) {
  REQUIRE_ROOT();
  CgroupMounts m = DiscoverCgroupMounts();
  ASSERT_TRUE(m.v2.has_value()) << "this test expects a cgroup2 mount";
  std::string control = *m.v2 + "/cgroup.subtree_control";
  std::vector<std::string> enabled = ReadCgroupList(control);
  std::string chosen;
  for (const std::string& c : ReadCgroupList(*m.v2 + "/cgroup.controllers")) {
    if (std::find(enabled.begin(), enabled.end(), c) == enabled.end()) chosen = c;
  }
  if (chosen.empty()) {
    GTEST_SKIP() << "every cgroup2 controller is already enabled at the root: nothing to enable";
  }

  TempDir tmp;
  std::string config =
      tmp.Write("c.yaml", "experiment: cgroup\nparams: {v2_controllers: [" + chosen +
                              "]}\nsweep:\n  pattern: [create, reuse]\nrepetitions: 2\n"
                              "budget: {iterations: 20}\n");
  CliResult r = RunCli({"run", "--out", tmp.path() + "/out", config});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(ReadCgroupList(control), enabled) << "the root's subtree_control was not restored";
}

TEST(CgroupRun, Clone3IntoCgroupJoins) {
  REQUIRE_ROOT();
  TempDir tmp;
  std::string config =
      tmp.Write("c3.yaml",
                "experiment: cgroup\nparams: {join: clone3}\nsweep:\n  pattern: [create, reuse]\n"
                "repetitions: 1\nbudget: {iterations: 20}\n");
  pid_t pid = StartCli({"run", "--out", tmp.path() + "/out", config}, tmp.path());
  ASSERT_EQ(WaitCli(pid), 0) << ReadText(tmp.path() + "/stderr");
  EXPECT_TRUE(CgroupsOf(pid).empty());
}

TEST(CgroupRun, MicrobenchWritesGoogleBenchmarkJson) {
  REQUIRE_ROOT();
  TempDir tmp;
  std::string json = tmp.path() + "/gb.json";
  std::string cmd = std::string(ISOCOST_MICROBENCH_BIN) +
                    " --benchmark_filter='cgroup/pattern:reuse/cgroup_version:v2/.*threads:2$'"
                    " --benchmark_min_time=0.01 --benchmark_out=" +
                    json + " --benchmark_out_format=json > /dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto doc = nlohmann::json::parse(ReadText(json));
  ASSERT_EQ(doc["benchmarks"].size(), 1u);
  EXPECT_GT(doc["benchmarks"][0]["items_per_second"].get<double>(), 0.0);
}

}  // namespace
}  // namespace isocost::test
