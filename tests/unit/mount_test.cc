// The option strings of union mounts: layer order, the options that make
// every first write copy data up, and the one-page limit of mount(2); and
// the latency summaries the storage workloads report.
#include "primitives/mount.h"

#include <gtest/gtest.h>

#include "microbench/storage_tree.h"
#include "primitives/error.h"

namespace isocost {
namespace {

TEST(OverlayOptions, ListsLowersTopFirstAndTurnsOffIndexAndMetacopy) {
  OverlaySpec spec{{"/s/code", "/s/pkg", "/s/base"}, "/s/up", "/s/work"};
  EXPECT_EQ(OverlayOptions(spec),
            "lowerdir=/s/code:/s/pkg:/s/base,upperdir=/s/up,workdir=/s/work,index=off,"
            "metacopy=off");
}

TEST(OverlayOptions, RefusesWhatMountCannotTake) {
  OverlaySpec none{{}, "/u", "/w"};
  EXPECT_THROW(OverlayOptions(none), Error);

  OverlaySpec huge{std::vector<std::string>(64, "/" + std::string(70, 'x')), "/u", "/w"};
  try {
    OverlayOptions(huge);
    FAIL() << "an option string over 4095 bytes was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("at most 4095"), std::string::npos) << e.what();
  }
}

TEST(AufsOptions, PutsTheWritableBranchFirst) {
  OverlaySpec spec{{"/s/code", "/s/base"}, "/s/up", "/s/work"};
  EXPECT_EQ(AufsOptions(spec), "br:/s/up=rw:/s/code=ro:/s/base=ro");
}

TEST(SummarizeSamples, GivesNearestRankPercentiles) {
  std::vector<int64_t> samples;
  for (int64_t i = 100; i >= 1; --i)
    samples.push_back(i);
  SampleSummary s = SummarizeSamples(samples);
  EXPECT_EQ(s.count, 100u);
  EXPECT_EQ(s.p50, 50);
  EXPECT_EQ(s.p90, 90);
  EXPECT_EQ(s.p99, 99);
  EXPECT_EQ(s.max, 100);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
  EXPECT_EQ(SummarizeSamples({}).count, 0u);
}

TEST(SummarizeSamples, FillsTheDeclaredMetrics) {
  Findings f;
  AddLatencyMetrics("umount", SummarizeSamples({7}), f);
  for (const CounterSpec& spec : LatencyMetricSpecs("umount", "one umount")) {
    ASSERT_TRUE(f.metrics.contains(spec.name)) << spec.name;
    EXPECT_EQ(f.metrics[spec.name], 7) << spec.name;
  }
  EXPECT_EQ(f.metrics.size(), 5u);
}

}  // namespace
}  // namespace isocost
