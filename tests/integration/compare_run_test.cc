// isocost compare on real runs of this kernel: runs that really differ
// (creating a cgroup each time against reusing one from a pool) are told
// apart in both directions; a run compared with itself shows no change.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "primitives/cgroup.h"

namespace isocost::test {
namespace {

// A cgroup spanning six v1 hierarchies: create makes and removes six
// directories per operation, reuse none, and measured twice as slow on the
// development machine (1,550 against 778 operations/s, ranges apart). A
// cgroup2-only host uses one cgroup2 directory instead (50-60% apart).
std::string Config(const std::string& pattern) {
  CgroupMounts m = DiscoverCgroupMounts();
  bool v1 = true;
  for (const char* c : {"cpu", "memory", "pids", "blkio", "devices", "freezer"}) {
    v1 = v1 && m.FindV1(c) != nullptr;
  }
  std::string params =
      v1 ? "cgroup_version: v1, v1_hierarchies: [cpu, memory, pids, blkio, devices, freezer]"
         : "cgroup_version: v2";
  return "experiment: cgroup\nname: " + pattern + "\nparams: {" + params +
         ", threads: 2, pattern: " + pattern + "}\nrepetitions: 8\nbudget: {iterations: 200}\n";
}

// Makes the two runs once for all tests; a test whose runs could not be
// made fails (a failure in SetUpTestSuite would only mark them skipped).
class CompareRuns : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: creates cgroups on the real kernel";
    static TempDir* tmp = nullptr;
    static std::string error;
    if (tmp == nullptr) {
      tmp = new TempDir;  // kept for the whole test program
      for (const char* pattern : {"create", "reuse"}) {
        std::string config = tmp->Write(std::string(pattern) + ".yaml", Config(pattern));
        CliResult r = RunCli({"run", "--out", tmp->path() + "/" + pattern, config});
        if (r.status != 0) error += std::string(pattern) + " run failed: " + r.err;
      }
    }
    ASSERT_TRUE(error.empty()) << error;
    dir_ = tmp->path();
  }
  std::string Dir(const std::string& pattern) const { return dir_ + "/" + pattern; }

  std::string dir_;
};

nlohmann::json Verdicts(const CliResult& r) {
  auto doc = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << r.out << r.err;
  return doc;
}

TEST_F(CompareRuns, ReuseAgainstCreateIsAnImprovement) {
  CliResult r = RunCli({"compare", Dir("create"), Dir("reuse"), "--ignore-param", "pattern",
                        "--metric", "ops_per_s", "--json"});
  EXPECT_EQ(r.status, 0) << r.err;
  nlohmann::json doc = Verdicts(r);
  ASSERT_EQ(doc["comparisons"].size(), 1u);
  EXPECT_EQ(doc["comparisons"][0]["verdict"], "improvement") << doc["comparisons"][0].dump(2);
  EXPECT_GT(doc["comparisons"][0]["change_fraction"].get<double>(), 0.1);
}

TEST_F(CompareRuns, CreateAgainstReuseIsARegression) {
  CliResult r = RunCli({"compare", Dir("reuse"), Dir("create"), "--ignore-param", "pattern",
                        "--metric", "ops_per_s", "--json"});
  EXPECT_EQ(r.status, 4) << r.err;  // the exit status CI bots read
  nlohmann::json doc = Verdicts(r);
  ASSERT_EQ(doc["comparisons"].size(), 1u);
  EXPECT_EQ(doc["comparisons"][0]["verdict"], "regression") << doc["comparisons"][0].dump(2);
  EXPECT_EQ(doc["regressions"], 1);
  EXPECT_NE(std::string(doc["flags"].dump()).find("different configs"), std::string::npos);
}

TEST_F(CompareRuns, ARunAgainstItselfShowsNoChange) {
  CliResult r = RunCli({"compare", Dir("create"), Dir("create") + "/results.csv", "--json"});
  EXPECT_EQ(r.status, 0) << r.err;
  nlohmann::json doc = Verdicts(r);
  EXPECT_EQ(doc["comparisons"].size(), 7u);  // every metric of the one point
  for (const auto& c : doc["comparisons"])
    EXPECT_EQ(c["verdict"], "no significant change");
  // Same config, version and machine: nothing to warn about but, on a busy
  // machine, untrustworthy rows.
  EXPECT_EQ(doc["flags"].dump().find("different"), std::string::npos) << doc["flags"].dump();
}

TEST_F(CompareRuns, MarkdownAndTextPutTheRegressionFirst) {
  CliResult md =
      RunCli({"compare", Dir("reuse"), Dir("create"), "--ignore-param", "pattern", "--markdown"});
  EXPECT_EQ(md.status, 4);
  EXPECT_NE(md.out.find("| **regression** |"), std::string::npos) << md.out;
  CliResult text = RunCli({"compare", Dir("reuse"), Dir("create"), "--ignore-param", "pattern"});
  size_t table = text.out.find("\nverdict");
  ASSERT_NE(table, std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("regression", table + 8), text.out.find('\n', table + 1) + 1) << text.out;
}

TEST_F(CompareRuns, TrendListsBothRunsInOrder) {
  CliResult r = RunCli(
      {"trend", Dir("create"), Dir("reuse"), "--metric", "ops_per_s", "--order", "date", "--json"});
  EXPECT_EQ(r.status, 0) << r.err;
  nlohmann::json doc = Verdicts(r);
  ASSERT_EQ(doc["runs"].size(), 2u);
  EXPECT_LE(doc["runs"][0]["start_time"].get<std::string>(),
            doc["runs"][1]["start_time"].get<std::string>());
  EXPECT_EQ(doc["series"].size(), 2u);  // the points differ in pattern
}

TEST(CompareInput, MissingRunIsAUsageError) {
  CliResult r = RunCli({"compare", "/nonexistent/isocost-a", "/nonexistent/isocost-b"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("no such run: /nonexistent/isocost-a"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace isocost::test
