// isocost compare and trend on runs built in memory or in /tmp: matching,
// verdicts in both directions, thresholds, too few repetitions, flags.
#include "harness/compare.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "harness/trend.h"
#include "primitives/error.h"

namespace isocost {
namespace {

CsvRow Row(const std::string& metric, const std::string& unit, const std::string& better,
           const std::string& threads, const std::string& values,
           const std::string& status = "ok") {
  return {{"experiment", "cgroup"}, {"config", "c"},
          {"point", "0"},           {"metric", metric},
          {"unit", unit},           {"better", better},
          {"status", status},       {"threads", threads},
          {"pattern", "create"},    {"repetition_values", values},
          {"trustworthy", "true"},  {"note", ""}};
}

RunData MakeRun(std::vector<CsvRow> rows, const std::string& version = "0.1.0") {
  RunData r;
  r.dir = "run";
  r.param_columns = {"threads", "pattern"};
  r.rows = std::move(rows);
  r.info = {{"isocost", {{"version", version}, {"git_revision", "abc"}}},
            {"host", {{"hostname", "h"}, {"cpu_model", "cpu"}, {"kernel_release", "6.18"}}},
            {"configs", {{{"name", "c"}, {"sha256", "s"}}}}};
  return r;
}

// Options with one field set (designated initializers would leave the
// others to -Wmissing-field-initializers).
template <typename T = CompareOptions, typename F>
T Options(F set) {
  T o;
  set(o);
  return o;
}

const std::string kLow = "100;101;102;103;104";
const std::string kHigh = "150;151;152;153;154";

const Comparison& Only(const CompareReport& r) {
  EXPECT_EQ(r.rows.size(), 1u);
  return r.rows.front();
}

TEST(Compare, HigherRateIsAnImprovementAndLowerARegression) {
  CompareReport up = Compare(MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kLow)}),
                             MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kHigh)}), {});
  EXPECT_EQ(Only(up).verdict, "improvement");
  EXPECT_NEAR(Only(up).change, 50.0 / 102, 1e-12);  // medians 102 -> 152
  EXPECT_NEAR(Only(up).p, 2.0 / 252, 1e-12);
  EXPECT_EQ(up.improvements, 1u);

  CompareReport down = Compare(MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kHigh)}),
                               MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kLow)}), {});
  EXPECT_EQ(Only(down).verdict, "regression");
  EXPECT_EQ(down.regressions, 1u);
}

TEST(Compare, LongerLatencyIsARegression) {
  CompareReport r = Compare(MakeRun({Row("latency_p50_ns", "ns", "lower", "1", kLow)}),
                            MakeRun({Row("latency_p50_ns", "ns", "lower", "1", kHigh)}), {});
  EXPECT_EQ(Only(r).verdict, "regression");
}

TEST(Compare, DirectionFromTheUnitWhenNotDeclared) {
  EXPECT_EQ(BetterDirection("", "ops/s"), "higher");
  EXPECT_EQ(BetterDirection("", "ns"), "lower");
  EXPECT_EQ(BetterDirection("", "widgets"), "");
  EXPECT_EQ(BetterDirection("lower", "ops/s"), "lower");  // the declaration wins
  CompareReport r = Compare(MakeRun({Row("x", "widgets", "", "1", kLow)}),
                            MakeRun({Row("x", "widgets", "", "1", kHigh)}), {});
  EXPECT_EQ(Only(r).verdict, "no direction");
}

TEST(Compare, IdenticalRunsShowNoChange) {
  RunData a = MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kLow),
                       Row("ops_per_s", "ops/s", "higher", "2", kHigh)});
  CompareReport r = Compare(a, a, {});
  ASSERT_EQ(r.rows.size(), 2u);
  for (const Comparison& c : r.rows) {
    EXPECT_EQ(c.verdict, "no significant change");
    EXPECT_DOUBLE_EQ(c.p, 1.0);
  }
  EXPECT_EQ(r.regressions + r.improvements, 0u);
  EXPECT_TRUE(r.flags.empty());
}

TEST(Compare, SignificantButSmallerThanTheThreshold) {
  CompareReport r =
      Compare(MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kLow)}),
              MakeRun({Row("ops_per_s", "ops/s", "higher", "1", "105;106;107;108;109")}),
              Options([](auto& o) { o.threshold = 0.10; }));
  EXPECT_EQ(Only(r).verdict, "no significant change");
  EXPECT_NE(Only(r).reason.find("below the 10% threshold"), std::string::npos);

  CompareReport low =
      Compare(MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kLow)}),
              MakeRun({Row("ops_per_s", "ops/s", "higher", "1", "105;106;107;108;109")}),
              Options([](auto& o) { o.threshold = 0.02; }));
  EXPECT_EQ(Only(low).verdict, "improvement");
}

TEST(Compare, TooFewRepetitionsGetNoVerdict) {
  CompareReport r = Compare(MakeRun({Row("ops_per_s", "ops/s", "higher", "1", "1;2;3")}),
                            MakeRun({Row("ops_per_s", "ops/s", "higher", "1", "10;20;30")}), {});
  EXPECT_EQ(Only(r).verdict, "too few repetitions");
  EXPECT_NE(Only(r).reason.find("cannot reach"), std::string::npos);
  EXPECT_EQ(r.tests, 0u);
}

TEST(Compare, UnmeasuredPointsAreNotComparable) {
  CompareReport r = Compare(MakeRun({Row("ops_per_s", "ops/s", "higher", "1", "", "unsupported")}),
                            MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kLow)}), {});
  EXPECT_EQ(Only(r).verdict, "not comparable");
}

TEST(Compare, PointsOnOneSideOnlyAreListed) {
  CompareReport r = Compare(MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kLow),
                                     Row("ops_per_s", "ops/s", "higher", "2", kLow)}),
                            MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kLow),
                                     Row("ops_per_s", "ops/s", "higher", "4", kLow)}),
                            {});
  EXPECT_EQ(r.rows.size(), 1u);
  ASSERT_EQ(r.only_in_base.size(), 1u);
  ASSERT_EQ(r.only_in_new.size(), 1u);
  EXPECT_NE(r.only_in_base[0].find("threads=2"), std::string::npos);
  EXPECT_NE(r.only_in_new[0].find("threads=4"), std::string::npos);
}

TEST(Compare, IgnoredParameterMatchesDifferentPoints) {
  RunData a = MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kLow)});
  RunData b = MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kHigh)});
  b.rows[0]["pattern"] = "reuse";
  EXPECT_TRUE(Compare(a, b, {}).rows.empty());
  EXPECT_EQ(Only(Compare(a, b, Options([](auto& o) { o.ignore_params = {"pattern"}; }))).verdict,
            "improvement");

  RunData twice = MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kLow),
                           Row("ops_per_s", "ops/s", "higher", "2", kLow)});
  EXPECT_THROW(Compare(twice, twice, Options([](auto& o) { o.ignore_params = {"threads"}; })),
               Error);
}

TEST(Compare, CorrectionForManyPoints) {
  std::vector<CsvRow> base, next;
  for (int t = 1; t <= 20; ++t) {
    base.push_back(Row("ops_per_s", "ops/s", "higher", std::to_string(t), kLow));
    // Only the first point really changes; the others overlap.
    next.push_back(Row("ops_per_s", "ops/s", "higher", std::to_string(t),
                       t == 1 ? kHigh : "99;101;103;100;102"));
  }
  CompareReport holm =
      Compare(MakeRun(base), MakeRun(next), Options([](auto& o) { o.correction = "holm"; }));
  EXPECT_EQ(holm.improvements, 0u);  // 20 * 2/252 > 0.05: Holm cannot call it
  CompareReport none =
      Compare(MakeRun(base), MakeRun(next), Options([](auto& o) { o.correction = "none"; }));
  EXPECT_EQ(none.improvements, 1u);
  EXPECT_NE(none.false_alarm_note.find("about 1.0 false alarms"), std::string::npos);
}

TEST(Compare, FlagsDifferentVersionsAndMachines) {
  RunData a = MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kLow)});
  RunData b = MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kLow)}, "0.2.0");
  b.info["host"]["cpu_model"] = "other";
  b.rows[0]["trustworthy"] = "false";
  CompareReport r = Compare(a, b, {});
  std::string flags;
  for (const std::string& f : r.flags)
    flags += f + "\n";
  EXPECT_NE(flags.find("different isocost versions"), std::string::npos) << flags;
  EXPECT_NE(flags.find("different machines"), std::string::npos) << flags;
  EXPECT_NE(flags.find("untrustworthy"), std::string::npos) << flags;
  EXPECT_EQ(flags.find("different configs"), std::string::npos) << flags;
}

TEST(Compare, ASuiteWhoseConfigsShareAPointMatchesByConfig) {
  auto row = [](const std::string& config, const std::string& values) {
    CsvRow r = Row("ops_per_s", "ops/s", "higher", "1", values);
    r["config"] = config;
    return r;
  };
  RunData a = MakeRun({row("sa", kLow), row("sb", kHigh)});
  RunData b = MakeRun({row("sa", kLow), row("sb", kHigh)});
  CompareReport r = Compare(a, b, {});
  ASSERT_EQ(r.rows.size(), 2u);
  for (const Comparison& c : r.rows)
    EXPECT_EQ(c.verdict, "no significant change");
}

TEST(Compare, UnknownMetricOrParameterIsAUsageError) {
  RunData a = MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kLow)});
  try {
    Compare(a, a, Options([](auto& o) { o.metrics = {"bogus"}; }));
    FAIL() << "an unknown metric was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("ops_per_s"), std::string::npos);  // what there is
  }
  EXPECT_THROW(Compare(a, a, Options([](auto& o) { o.ignore_params = {"bogus"}; })), Error);
}

TEST(Compare, AnIncompleteRunIsFlagged) {
  RunData a = MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kLow)});
  RunData b = a;
  b.info["status"] = "interrupted";
  std::string flags = nlohmann::json(Compare(a, b, {}).flags).dump();
  EXPECT_NE(flags.find("new run is interrupted"), std::string::npos) << flags;
}

TEST(Compare, ReportsRenderEveryRow) {
  CompareReport r = Compare(MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kHigh)}),
                            MakeRun({Row("ops_per_s", "ops/s", "higher", "1", kLow)}), {});
  EXPECT_NE(ReportText(r).find("regression"), std::string::npos);
  EXPECT_NE(ReportMarkdown(r).find("| **regression** |"), std::string::npos);
  r.rows[0].label = "a=x|y";
  EXPECT_NE(ReportMarkdown(r).find("a=x\\|y"), std::string::npos);
  nlohmann::json j = ReportJson(r);
  EXPECT_EQ(j["regressions"], 1);
  EXPECT_EQ(j["comparisons"][0]["new"]["n"], 5);
}

TEST(Csv, RepetitionValuesMustBeFiniteNumbers) {
  EXPECT_EQ(RepetitionValues({{"repetition_values", "1.5;2;3e2"}}),
            (std::vector<double>{1.5, 2, 300}));
  for (const char* bad : {"abc", "1;inf", "nan", "1x", "1e999", "1;;2"}) {
    EXPECT_THROW(RepetitionValues({{"repetition_values", bad}}), std::invalid_argument) << bad;
  }
}

TEST(Csv, ParsesQuotedFieldsAndRejectsBrokenOnes) {
  std::vector<std::string> header;
  auto rows = ParseCsv("a,b\n1,\"x, \"\"y\"\"\"\n", "t.csv", &header);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["b"], "x, \"y\"");
  EXPECT_THROW(ParseCsv("a,b\n1,\"open\n", "t.csv", &header), Error);
  EXPECT_THROW(ParseCsv("a,b\n1,2,3\n", "t.csv", &header), Error);
}

TEST(Trend, KernelReleasesOrderNumerically) {
  EXPECT_TRUE(KernelOlder("6.9.1", "6.10"));
  EXPECT_TRUE(KernelOlder("6.10", "6.18.44-fc-v1147"));
  EXPECT_TRUE(KernelOlder("5.15.0-91-generic", "6.1.0"));
  EXPECT_FALSE(KernelOlder("6.18", "6.9"));
  EXPECT_TRUE(KernelOlder("6.18.0-rc7", "6.18.0"));  // a candidate before its release
  EXPECT_TRUE(KernelOlder("6.18.0-rc2", "6.18.0-rc10"));
  EXPECT_TRUE(KernelOlder("6.18.0", "6.18.1-rc1"));
}

TEST(Trend, OrdersRunsByKernelAndKeepsGaps) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("isocost-trend-test-" + std::to_string(getpid()));
  auto write = [&](const std::string& name, const std::string& kernel, const std::string& csv) {
    fs::create_directories(dir / name);
    std::ofstream(dir / name / "results.csv") << csv;
    std::ofstream(dir / name / "run.json")
        << nlohmann::json{{"host", {{"kernel_release", kernel}}}, {"start_time", name}}.dump();
  };
  std::string head =
      "experiment,config,point,threads,metric,unit,better,status,value,median,mean,stddev,cv,"
      "min,max,n,repetition_values,trustworthy,note\n";
  write("a", "6.10.0",
        head + "cgroup,c,0,1,ops_per_s,ops/s,higher,ok,2,2,2,0,0,1,3,3,1;2;3,true,\n");
  write("b", "6.9.0",
        head + "cgroup,c,0,1,ops_per_s,ops/s,higher,ok,5,5,5,0,0,5,5,1,5,true,\n" +
            "cgroup,c,1,2,ops_per_s,ops/s,higher,ok,7,7,7,0,0,7,7,1,7,true,\n");

  nlohmann::json t =
      Trend({dir.string()}, Options<TrendOptions>([](auto& o) { o.metric = "ops_per_s"; }));
  fs::remove_all(dir);
  ASSERT_EQ(t["runs"].size(), 2u);
  EXPECT_EQ(t["runs"][0]["kernel_release"], "6.9.0");
  ASSERT_EQ(t["series"].size(), 2u);
  EXPECT_EQ(t["series"][0]["points"][0]["median"], 5.0);
  EXPECT_EQ(t["series"][0]["points"][1]["median"], 2.0);
  EXPECT_TRUE(t["series"][1]["points"][1].is_null());  // threads=2 only in the 6.9 run
  EXPECT_EQ(t["series"][0]["points"][0]["trustworthy"], true);
  EXPECT_THROW(
      Trend({"/nonexistent-isocost"}, Options<TrendOptions>([](auto& o) { o.metric = "x"; })),
      Error);
}

}  // namespace
}  // namespace isocost
