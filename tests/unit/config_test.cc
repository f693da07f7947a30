// Config parsing and validation: every kind of bad input is rejected with
// its file, line, column and key; good input expands to the right points.
#include "harness/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace isocost {
namespace {

const char* kGood = R"(experiment: cgroup
name: t
params:
  join: procs
sweep:
  pattern: [create, reuse]
  threads: {pow2: {from: 1, to: 16}}
repetitions: 3
budget: {min_time_s: 0.2}
)";

// Parses text and returns the problems it raised (none when it parsed).
std::vector<ConfigProblem> Problems(const std::string& text) {
  try {
    ParseExperimentConfig(text, "t.yaml");
  } catch (const ConfigError& e) {
    return e.problems();
  }
  return {};
}

ConfigProblem OnlyProblem(const std::string& text) {
  auto problems = Problems(text);
  EXPECT_EQ(problems.size(), 1u) << (problems.empty() ? "none" : problems[0].Format());
  return problems.empty() ? ConfigProblem{} : problems[0];
}

TEST(Config, GoodConfigExpandsTheCartesianProduct) {
  ExperimentConfig cfg = ParseExperimentConfig(kGood, "t.yaml");
  EXPECT_EQ(cfg.name, "t");
  EXPECT_EQ(cfg.experiment->name, "cgroup");
  ASSERT_EQ(cfg.points.size(), 10u);  // 2 patterns x 5 thread counts
  EXPECT_EQ(cfg.points[0].String("pattern"), "create");
  EXPECT_EQ(cfg.points[0].Int("threads"), 1);
  EXPECT_EQ(cfg.points[4].Int("threads"), 16);
  EXPECT_EQ(cfg.points[5].String("pattern"), "reuse");
  EXPECT_EQ(cfg.points[9].String("join"), "procs");
  EXPECT_EQ(cfg.points[9].String("cgroup_version"), "v2");  // the default
  EXPECT_EQ(cfg.budget.repetitions, 3);
  EXPECT_DOUBLE_EQ(cfg.budget.min_time_s, 0.2);
  EXPECT_EQ(cfg.sha256.size(), 64u);
}

TEST(Config, QuickScalesTheBudgetNotThePoints) {
  ExperimentConfig cfg = ParseExperimentConfig(std::string(kGood) + "quick_scale: 0.25\n", "t");
  Budget quick = cfg.QuickBudget();
  EXPECT_DOUBLE_EQ(quick.min_time_s, 0.05);
  EXPECT_EQ(quick.repetitions, 3);
}

TEST(Config, RangeGeneratorWithStep) {
  ExperimentConfig cfg = ParseExperimentConfig(
      "experiment: cgroup\nsweep:\n  threads: {range: {from: 2, to: 9, step: 3}}\n", "t");
  ASSERT_EQ(cfg.points.size(), 3u);
  EXPECT_EQ(cfg.points[2].Int("threads"), 8);
}

TEST(Config, UnknownTopLevelKeyNamesLineAndColumn) {
  ConfigProblem p = OnlyProblem("experiment: cgroup\nrepetitons: 3\n");
  EXPECT_EQ(p.file, "t.yaml");
  EXPECT_EQ(p.line, 2);
  EXPECT_EQ(p.column, 1);
  EXPECT_EQ(p.key, "repetitons");
  EXPECT_NE(p.message.find("allowed here"), std::string::npos);
  EXPECT_NE(p.Format().find("t.yaml:2:1: repetitons:"), std::string::npos);
}

TEST(Config, UnknownParameter) {
  ConfigProblem p = OnlyProblem("experiment: cgroup\nparams:\n  treads: 4\n");
  EXPECT_EQ(p.line, 3);
  EXPECT_EQ(p.key, "params.treads");
  EXPECT_NE(p.message.find("threads"), std::string::npos);  // lists what is allowed
}

TEST(Config, WrongType) {
  ConfigProblem p = OnlyProblem("experiment: cgroup\nparams:\n  threads: many\n");
  EXPECT_EQ(p.line, 3);
  EXPECT_EQ(p.column, 12);
  EXPECT_EQ(p.key, "params.threads");
  EXPECT_NE(p.message.find("integer"), std::string::npos);
}

TEST(Config, OutOfRange) {
  ConfigProblem p = OnlyProblem("experiment: cgroup\nsweep:\n  threads: [1, 0]\n");
  EXPECT_EQ(p.line, 3);
  EXPECT_EQ(p.column, 16);
  EXPECT_NE(p.message.find("out of range"), std::string::npos);
}

TEST(Config, ChoiceNotAllowed) {
  ConfigProblem p = OnlyProblem("experiment: cgroup\nsweep:\n  pattern: [create, recycle]\n");
  EXPECT_EQ(p.key, "sweep.pattern");
  EXPECT_NE(p.message.find("create, reuse"), std::string::npos);
}

TEST(Config, EmptySweep) {
  ConfigProblem p = OnlyProblem("experiment: cgroup\nsweep:\n  threads: []\n");
  EXPECT_NE(p.message.find("empty sweep"), std::string::npos);
}

TEST(Config, EmptyGeneratedSweep) {
  ConfigProblem p =
      OnlyProblem("experiment: cgroup\nsweep:\n  threads: {pow2: {from: 16, to: 4}}\n");
  EXPECT_NE(p.message.find("empty"), std::string::npos);
  EXPECT_EQ(p.line, 3);
}

TEST(Config, IntegersArePlainDecimal) {
  // 010 is ten, not YAML's octal eight.
  EXPECT_EQ(ParseExperimentConfig("experiment: cgroup\nparams: {threads: 010}\n", "t")
                .points[0]
                .Int("threads"),
            10);
  EXPECT_EQ(OnlyProblem("experiment: cgroup\nparams: {threads: 0x10}\n").key, "params.threads");
  EXPECT_EQ(OnlyProblem("experiment: cgroup\nparams: {threads: \"4\"}\n").key, "params.threads");
  EXPECT_EQ(ParseExperimentConfig("experiment: cgroup\nparams: {threads: 16}\n", "t")
                .points[0]
                .Int("threads"),
            16);
}

TEST(Config, NameIsUsableInAPath) {
  EXPECT_EQ(OnlyProblem("experiment: cgroup\nname: ../x\n").key, "name");
  EXPECT_EQ(OnlyProblem("experiment: cgroup\nname: ..\n").key, "name");
  EXPECT_EQ(OnlyProblem("experiment: cgroup\nname: " + std::string(100000, 'a') + "\n").key,
            "name");
}

TEST(Config, UnknownExperiment) {
  ConfigProblem p = OnlyProblem("experiment: cgroups\n");
  EXPECT_EQ(p.key, "experiment");
  EXPECT_NE(p.message.find("known: cgroup"), std::string::npos);
}

TEST(Config, MalformedYaml) {
  ConfigProblem p = OnlyProblem("experiment: cgroup\nsweep: [1, 2\n");
  EXPECT_GT(p.line, 0);
  EXPECT_NE(p.message.find("malformed YAML"), std::string::npos);
}

TEST(Config, DuplicateKey) {
  ConfigProblem p = OnlyProblem("experiment: cgroup\nrepetitions: 2\nrepetitions: 3\n");
  EXPECT_EQ(p.line, 3);
  EXPECT_NE(p.message.find("duplicate"), std::string::npos);
}

TEST(Config, FixedAndSweptAtOnce) {
  ConfigProblem p =
      OnlyProblem("experiment: cgroup\nparams: {threads: 2}\nsweep:\n  threads: [1, 2]\n");
  EXPECT_EQ(p.key, "sweep.threads");
}

TEST(Config, ImpossiblePointIsRejected) {
  ConfigProblem p = OnlyProblem(
      "experiment: cgroup\nparams: {pattern: reuse, pool_size: 4}\nsweep:\n  threads: [2, 8]\n");
  EXPECT_NE(p.message.find("impossible point"), std::string::npos);
  EXPECT_NE(p.message.find("pool_size 4"), std::string::npos);
}

TEST(Config, Clone3WithV1IsImpossible) {
  ConfigProblem p = OnlyProblem(
      "experiment: cgroup\nparams: {join: clone3}\nsweep:\n  cgroup_version: [v1, v2]\n");
  EXPECT_NE(p.message.find("clone3"), std::string::npos);
}

TEST(Config, BudgetTakesOneKind) {
  ConfigProblem p = OnlyProblem("experiment: cgroup\nbudget: {min_time_s: 1, iterations: 10}\n");
  EXPECT_EQ(p.key, "budget");
}

TEST(Config, ListParameterChecksItems) {
  ConfigProblem p = OnlyProblem("experiment: cgroup\nparams: {v2_controllers: [pids, pids]}\n");
  EXPECT_NE(p.message.find("twice"), std::string::npos);
}

TEST(Config, SeveralProblemsAreAllReported) {
  auto problems = Problems("experiment: cgroup\nrepetitions: 0\nbudget: {min_time_s: -1}\n");
  EXPECT_EQ(problems.size(), 2u);
}

TEST(Config, MissingExperiment) {
  ConfigProblem p = OnlyProblem("name: x\n");
  EXPECT_EQ(p.key, "experiment");
}

class SuiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("isocost-suite-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "sub");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  std::filesystem::path dir_;
};

TEST_F(SuiteTest, LoadsConfigsRelativeToTheSuite) {
  Write("sub/a.yaml", kGood);
  std::string suite = Write("suite.yaml", "suite: s\nconfigs: [sub/a.yaml, sub/a.yaml]\n");
  std::vector<ExperimentConfig> configs = LoadConfigs({suite});
  ASSERT_EQ(configs.size(), 2u);
  EXPECT_EQ(configs[0].points.size(), 10u);
}

TEST_F(SuiteTest, ReportsProblemsInIncludedFiles) {
  Write("bad.yaml", "experiment: cgroup\nsweep:\n  threads: [0]\n");
  std::string suite = Write("suite.yaml", "suite: s\nconfigs: [bad.yaml, missing.yaml]\n");
  try {
    LoadConfigs({suite});
    FAIL() << "the suite should be rejected";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.problems().size(), 2u);
    EXPECT_NE(e.problems()[0].file.find("bad.yaml"), std::string::npos);
    EXPECT_EQ(e.problems()[0].line, 3);
    EXPECT_NE(e.problems()[1].message.find("cannot read"), std::string::npos);
  }
}

TEST_F(SuiteTest, TheRunIsNamedAfterTheSuite) {
  Write("a.yaml", std::string(kGood));
  std::string suite = Write("suite.yaml", "suite: mine\nconfigs: [a.yaml]\n");
  std::string name;
  LoadConfigs({suite}, &name);
  EXPECT_EQ(name, "mine");
  LoadConfigs({(dir_ / "a.yaml").string()}, &name);
  EXPECT_EQ(name, "t");  // the config's own name, not its file's
  std::string bad = Write("bad.yaml", "suite: [1]\nconfigs: [a.yaml]\n");
  EXPECT_THROW(LoadConfigs({bad}), ConfigError);
}

TEST_F(SuiteTest, RejectsWhatIsNotARegularFile) {
  EXPECT_THROW(LoadConfigs({dir_.string()}), ConfigError);
}

TEST_F(SuiteTest, RejectsASuiteThatIncludesItself) {
  std::string suite = Write("loop.yaml", "suite: s\nconfigs: [loop.yaml]\n");
  EXPECT_THROW(LoadConfigs({suite}), ConfigError);
}

TEST(Config, SweepsTheKernelAlwaysRefusesAreImpossible) {
  ConfigProblem p =
      OnlyProblem("experiment: ns_latency\nparams: {op: pid}\nsweep:\n  calls_per_task: [1, 2]\n");
  EXPECT_NE(p.message.find("only once"), std::string::npos) << p.Format();
  EXPECT_TRUE(Problems("experiment: ns_latency\nparams: {op: user, calls_per_task: 32}\n").empty());
}

}  // namespace
}  // namespace isocost
