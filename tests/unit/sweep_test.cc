#include <gtest/gtest.h>

#include "microbench/experiment.h"

namespace isocost {
namespace {

TEST(Sweep, CartesianProductFirstKeySlowest) {
  Point base;
  base.Set("fixed", std::string("x"));
  std::vector<Point> points =
      ExpandSweep(base, {{"a", {int64_t{1}, int64_t{2}}},
                         {"b", {std::string("p"), std::string("q"), std::string("r")}}});
  ASSERT_EQ(points.size(), 6u);
  EXPECT_EQ(points[0].Describe(), "fixed=x a=1 b=p");
  EXPECT_EQ(points[2].Describe(), "fixed=x a=1 b=r");
  EXPECT_EQ(points[3].Describe(), "fixed=x a=2 b=p");
}

TEST(Sweep, NoSweepIsOnePoint) {
  Point base;
  base.Set("a", int64_t{3});
  EXPECT_EQ(ExpandSweep(base, {}).size(), 1u);
}

TEST(Sweep, SweptValueReplacesTheBaseValue) {
  Point base;
  base.Set("a", int64_t{3});
  std::vector<Point> points = ExpandSweep(base, {{"a", {int64_t{5}}}});
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].Int("a"), 5);
  EXPECT_EQ(points[0].values().size(), 1u);
}

TEST(Sweep, ListsFormatJoinedOrNone) {
  EXPECT_EQ(FormatValue(std::vector<std::string>{}), "none");
  EXPECT_EQ(FormatValue(std::vector<std::string>{"cpu", "memory"}), "cpu+memory");
  EXPECT_EQ(FormatValue(0.5), "0.5");
  EXPECT_EQ(FormatValue(true), "true");
}

}  // namespace
}  // namespace isocost
