// The results writers and the statistics behind their dispersion columns.
#include "harness/results.h"

#include <gtest/gtest.h>

#include <sstream>

#include "harness/stats.h"
#include "microbench/experiments.h"

namespace isocost {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  return lines;
}

TEST(Stats, SummaryOfKnownValues) {
  Summary s = Summarize({4, 1, 3, 2});
  EXPECT_EQ(s.n, 4u);
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_NEAR(s.stddev, 1.2909944487, 1e-9);  // sample standard deviation
  EXPECT_NEAR(s.cv, 1.2909944487 / 2.5, 1e-9);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 4);
  EXPECT_DOUBLE_EQ(Summarize({7}).stddev, 0);
  EXPECT_EQ(Summarize({}).n, 0u);
}

TEST(Stats, LatencyQuantilesInterpolate) {
  std::vector<int64_t> v;
  for (int64_t i = 100; i >= 1; --i)
    v.push_back(i * 10);  // 10..1000, unsorted
  LatencyQuantiles q = LatencySummary(v);
  EXPECT_DOUBLE_EQ(q.p50, 505);  // between 500 and 510
  EXPECT_DOUBLE_EQ(q.p90, 901);  // 900 + 0.1 * 10
  EXPECT_DOUBLE_EQ(q.p99, 990.1);
  EXPECT_DOUBLE_EQ(q.max, 1000);
  EXPECT_DOUBLE_EQ(q.mean, 505);
}

TEST(Results, CsvFieldQuotesOnlyWhenNeeded) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"no\""), "\"say \"\"no\"\"\"");
}

PointResult Sample(size_t index, const std::string& status) {
  PointResult r;
  r.experiment = "cgroup";
  r.config = "cfg";
  r.index = index;
  r.point = FindExperiment("cgroup")->Defaults();
  r.status = status;
  for (const MetricSpec& m : MetricsOf(*FindExperiment("cgroup"))) {
    r.metrics.push_back({m.name, m.unit, m.better,
                         status == "ok" ? std::vector<double>{3, 1, 2} : std::vector<double>{}});
  }
  return r;
}

TEST(Results, OneRowPerPointAndMetricWithParameterColumns) {
  PointResult bad = Sample(1, "unsupported");
  bad.note = "no v1, here";
  std::vector<std::string> lines = Lines(ResultsCsv({Sample(0, "ok"), bad}));

  size_t metrics = MetricsOf(*FindExperiment("cgroup")).size();
  ASSERT_EQ(lines.size(), 1 + 2 * metrics);
  EXPECT_EQ(lines[0].rfind("experiment,config,point,pattern,threads,cgroup_version,", 0), 0u);
  EXPECT_NE(lines[0].find(",metric,unit,better,status,value,median,mean,stddev,cv,min,max,n,"),
            std::string::npos);
  EXPECT_EQ(lines[1],
            "cgroup,cfg,0,create,1,v2,cpu+memory+pids,none,procs,16,ops_per_s,ops/s,higher,ok,"
            "2,2,2,1,0.5,1,3,3,3;1;2,true,");
  EXPECT_NE(lines.back().find(",unsupported,,,,,,,,0,,true,\"no v1, here\""), std::string::npos);
}

TEST(Results, MetricsCarryTheirUnits) {
  for (const MetricSpec& m : MetricsOf(*FindExperiment("cgroup"))) {
    EXPECT_FALSE(m.unit.empty()) << m.name;
  }
  EXPECT_EQ(MetricsOf(*FindExperiment("cgroup")).back().name, "rmdir_retries_per_op");
}

}  // namespace
}  // namespace isocost
