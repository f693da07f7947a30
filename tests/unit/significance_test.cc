// The Mann-Whitney U test and the multiple-comparison corrections behind `isocost compare`.
#include "harness/significance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

namespace isocost {
namespace {

using Samples = std::pair<std::vector<double>, std::vector<double>>;

// Samples of sizes n1 and n2 without ties whose U is u: b = 0, 1, .., n2 - 1, and each a_i lies
// just below b = c_i, so that it is above exactly c_i values of b, with the c_i summing to u.
Samples SamplesWithU(size_t n1, size_t n2, size_t u) {
  Samples s;
  for (size_t j = 0; j < n2; ++j)
    s.second.push_back(static_cast<double>(j));

  size_t left = u;
  for (size_t i = 0; i < n1; ++i) {
    const size_t c = std::min(n2, left);
    left -= c;
    const double below = static_cast<double>(i + 1) / static_cast<double>(n1 + 1);
    s.first.push_back(static_cast<double>(c) - 1 + below);
  }
  return s;
}

UTestResult TestOf(const Samples& s) {
  return MannWhitneyU(s.first, s.second);
}

// Two-sided critical values at alpha = 0.05 from the standard Mann-Whitney table: U <= critical
// is significant, U = critical + 1 is not.
TEST(SignificanceUTest, PublishedCriticalValuesAtFivePercent) {
  struct Row {
    size_t n1, n2, critical_u;
  };
  const Row table[] = {{4, 4, 0}, {5, 5, 2}, {5, 10, 8}, {8, 8, 13}, {10, 10, 23}};

  for (const Row& row : table) {
    SCOPED_TRACE(testing::Message() << "n1=" << row.n1 << " n2=" << row.n2);
    const UTestResult at = TestOf(SamplesWithU(row.n1, row.n2, row.critical_u));
    const UTestResult above = TestOf(SamplesWithU(row.n1, row.n2, row.critical_u + 1));
    EXPECT_EQ(at.u, static_cast<double>(row.critical_u));
    EXPECT_EQ(above.u, static_cast<double>(row.critical_u + 1));
    EXPECT_TRUE(at.exact);
    EXPECT_TRUE(above.exact);
    EXPECT_LE(at.p_two_sided, 0.05);
    EXPECT_GT(above.p_two_sided, 0.05);
  }
}

TEST(SignificanceUTest, CriticalValuesExactP) {
  // n1 = n2 = 5: 252 orderings; U <= 2 in 1 + 1 + 2 of them, U <= 3 in 4 + 3.
  EXPECT_DOUBLE_EQ(TestOf(SamplesWithU(5, 5, 2)).p_two_sided, 2.0 * 4 / 252);
  EXPECT_DOUBLE_EQ(TestOf(SamplesWithU(5, 5, 3)).p_two_sided, 2.0 * 7 / 252);
  // n1 = n2 = 4: 70 orderings; U = 0 in one, U = 1 in one.
  EXPECT_DOUBLE_EQ(TestOf(SamplesWithU(4, 4, 0)).p_two_sided, 2.0 / 70);
  EXPECT_DOUBLE_EQ(TestOf(SamplesWithU(4, 4, 1)).p_two_sided, 4.0 / 70);
}

// Every ordering of n1 + n2 distinct values, with U and p counted directly.
TEST(SignificanceUTest, ExactMatchesEnumerationOfAllOrderings) {
  for (size_t n1 = 1; n1 <= 6; ++n1) {
    for (size_t n2 = 1; n2 <= 6; ++n2) {
      SCOPED_TRACE(testing::Message() << "n1=" << n1 << " n2=" << n2);
      const size_t n = n1 + n2;

      // Which positions 0 .. n - 1 of the ordering hold the first sample; count U of each.
      std::vector<Samples> orderings;
      std::vector<size_t> us;
      for (unsigned mask = 0; mask < (1u << n); ++mask) {
        if (static_cast<size_t>(__builtin_popcount(mask)) != n1) continue;
        Samples s;
        size_t u = 0;
        for (size_t pos = 0; pos < n; ++pos) {
          if (mask & (1u << pos)) {
            s.first.push_back(static_cast<double>(pos));
            u += s.second.size();  // every b placed so far is below this a
          } else {
            s.second.push_back(static_cast<double>(pos));
          }
        }
        orderings.push_back(s);
        us.push_back(u);
      }

      const auto total = static_cast<double>(us.size());
      for (size_t k = 0; k < orderings.size(); ++k) {
        const auto at_most =
            std::count_if(us.begin(), us.end(), [&](size_t v) { return v <= us[k]; });
        const auto at_least =
            std::count_if(us.begin(), us.end(), [&](size_t v) { return v >= us[k]; });
        const double expected =
            std::min(1.0, 2 * static_cast<double>(std::min(at_most, at_least)) / total);
        const UTestResult r = TestOf(orderings[k]);
        ASSERT_EQ(r.u, static_cast<double>(us[k]));
        ASSERT_TRUE(r.exact);
        ASSERT_NEAR(r.p_two_sided, expected, 1e-14);
      }
    }
  }
}

TEST(SignificanceUTest, FullySeparatedSmallSamples) {
  // n1 = n2 = 3: C(6, 3) = 20 orderings, one with U = 0: p = 2 / 20.
  UTestResult below = MannWhitneyU({1, 2, 3}, {4, 5, 6});
  EXPECT_EQ(below.u, 0);
  EXPECT_TRUE(below.exact);
  EXPECT_DOUBLE_EQ(below.p_two_sided, 0.1);
  UTestResult above = MannWhitneyU({4, 5, 6}, {1, 2, 3});
  EXPECT_EQ(above.u, 9);
  EXPECT_DOUBLE_EQ(above.p_two_sided, 0.1);

  // n1 = n2 = 2: C(4, 2) = 6 orderings, one with U = 0: p = 2 / 6.
  EXPECT_DOUBLE_EQ(MannWhitneyU({1, 2}, {3, 4}).p_two_sided, 2.0 / 6);
}

TEST(SignificanceUTest, SymmetricInTheOrderOfTheSamples) {
  const std::vector<Samples> cases = {
      {{1.5, 7, 3, 9.25, 4}, {2, 8, 6, 0.5, 11, 12, 5}},  // no ties: exact
      {{1, 2, 2, 3}, {2, 3, 4, 4, 5}},                    // ties: normal approximation
      SamplesWithU(60, 55, 1234),                         // large: normal approximation
  };
  for (const Samples& s : cases) {
    const UTestResult ab = MannWhitneyU(s.first, s.second);
    const UTestResult ba = MannWhitneyU(s.second, s.first);
    EXPECT_EQ(ab.u + ba.u, static_cast<double>(s.first.size() * s.second.size()));
    EXPECT_EQ(ab.p_two_sided, ba.p_two_sided);
    EXPECT_EQ(ab.exact, ba.exact);
  }
}

TEST(SignificanceUTest, TiesUseNormalApproximationWithTieCorrection) {
  // Pooled and sorted: 1a 2a 2a 2b 3a 3b 4b 4b 5b (N = 9). Midranks: 1 -> 1, the three 2s -> 3,
  // the two 3s -> 5.5, the two 4s -> 7.5, 5 -> 9. R_a = 1 + 3 + 3 + 5.5 = 12.5, so
  // U = 12.5 - 4 * 5 / 2 = 2.5 (pairs: a = 1 beats none, each a = 2 ties one b, a = 3 beats 2 and
  // ties 3). Mean n1 n2 / 2 = 10. Ties: sum (t^3 - t) = 24 + 6 + 6 = 36, so the variance is
  // n1 n2 / 12 * (N + 1 - 36 / (N (N - 1))) = 20 / 12 * (10 - 0.5) = 15.8333.
  // z = (|2.5 - 10| - 0.5) / sqrt(15.8333) = 7 / 3.97911 = 1.759186; p = 2 Q(z) = 0.0785459.
  const UTestResult r = MannWhitneyU({1, 2, 2, 3}, {2, 3, 4, 4, 5});
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 2.5);
  EXPECT_NEAR(r.p_two_sided, 0.0785458509511907, 1e-12);
}

TEST(SignificanceUTest, LargeSamplesUseNormalApproximation) {
  // a = 0 .. 59, b = 7.5 .. 66.5. a = i is above the b with j + 7.5 < i: i - 7 of them for
  // i >= 8, so U = 1 + 2 + .. + 52 = 1378. Mean 60 * 60 / 2 = 1800; no ties, so the variance is
  // 60 * 60 * 121 / 12 = 36300. z = (422 - 0.5) / sqrt(36300) = 2.212301; p = 2 Q(z) = 0.026946.
  std::vector<double> a, b;
  for (int i = 0; i < 60; ++i) {
    a.push_back(i);
    b.push_back(i + 7.5);
  }
  const UTestResult r = MannWhitneyU(a, b);
  EXPECT_FALSE(r.exact);
  EXPECT_EQ(r.u, 1378);
  EXPECT_NEAR(r.p_two_sided, 0.02694585619564298, 1e-12);
}

TEST(SignificanceUTest, ExactUpToTheSizeLimit) {
  // a = 0 .. 49, b = 10.5 .. 59.5: U = 1 + .. + 39 = 780. The exact p was computed with integer
  // arithmetic from the Gaussian binomial coefficient [100 choose 50]_q, whose coefficients count
  // the orderings by U; C(100, 50) ~ 1e29 is far past 2^53. The normal approximation gives 0.00121.
  std::vector<double> a, b;
  for (int i = 0; i < 50; ++i) {
    a.push_back(i);
    b.push_back(i + 10.5);
  }
  const UTestResult r = MannWhitneyU(a, b);
  EXPECT_TRUE(r.exact);
  EXPECT_EQ(r.u, 780);
  EXPECT_NEAR(r.p_two_sided, 0.0010550164711136758, 1e-15);

  a.push_back(50);
  EXPECT_FALSE(MannWhitneyU(a, b).exact);
}

TEST(SignificanceUTest, IdenticalSamplesGivePOne) {
  const UTestResult same = MannWhitneyU({1, 2, 3}, {1, 2, 3});
  EXPECT_DOUBLE_EQ(same.u, 4.5);
  EXPECT_EQ(same.p_two_sided, 1);

  const UTestResult constant = MannWhitneyU({5, 5}, {5, 5, 5});  // zero variance
  EXPECT_DOUBLE_EQ(constant.u, 3);
  EXPECT_EQ(constant.p_two_sided, 1);

  EXPECT_EQ(MannWhitneyU({7}, {7}).p_two_sided, 1);
  EXPECT_EQ(TestOf(SamplesWithU(4, 6, 12)).p_two_sided, 1);  // U at its mean, exact
}

TEST(SignificanceUTest, InvalidSamplesThrow) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(MannWhitneyU({}, {1, 2}), std::invalid_argument);
  EXPECT_THROW(MannWhitneyU({1, 2}, {}), std::invalid_argument);
  EXPECT_THROW(MannWhitneyU({}, {}), std::invalid_argument);
  EXPECT_THROW(MannWhitneyU({1, nan}, {1, 2}), std::invalid_argument);
}

TEST(SignificanceMinAchievableP, KnownSizes) {
  EXPECT_DOUBLE_EQ(MinAchievableP(3, 3), 0.1);
  EXPECT_DOUBLE_EQ(MinAchievableP(5, 5), 2.0 / 252);
  EXPECT_DOUBLE_EQ(MinAchievableP(4, 4), 2.0 / 70);
  EXPECT_DOUBLE_EQ(MinAchievableP(1, 1), 1);
  EXPECT_DOUBLE_EQ(MinAchievableP(2, 5), 2.0 / 21);
  EXPECT_DOUBLE_EQ(MinAchievableP(5, 2), 2.0 / 21);
  EXPECT_DOUBLE_EQ(MinAchievableP(0, 5), 1);  // 2 / C(5, 0) = 2, capped: no test is possible
}

TEST(SignificanceMinAchievableP, EqualsTheExactTestOfSeparatedSamples) {
  for (size_t n1 = 1; n1 <= 8; ++n1)
    for (size_t n2 = 1; n2 <= 8; ++n2)
      EXPECT_DOUBLE_EQ(MinAchievableP(n1, n2), TestOf(SamplesWithU(n1, n2, 0)).p_two_sided)
          << "n1=" << n1 << " n2=" << n2;
}

TEST(SignificanceCorrection, HandComputedExample) {
  // Sorted: 0.005 (index 3), 0.01 (0), 0.03 (2), 0.04 (1); m = 4.
  // Holm, (m - j + 1) p_(j) then a running maximum: 0.02, 0.03, 0.06, max(0.04, 0.06) = 0.06.
  // BH, m p_(j) / j then a running minimum from the top: 0.02, 0.02, 0.04, 0.04.
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.005};
  const std::vector<double> holm = Holm(p);
  const std::vector<double> bh = BenjaminiHochberg(p);
  const std::vector<double> holm_expected = {0.03, 0.06, 0.06, 0.02};
  const std::vector<double> bh_expected = {0.02, 0.04, 0.04, 0.02};
  ASSERT_EQ(holm.size(), p.size());
  ASSERT_EQ(bh.size(), p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_DOUBLE_EQ(holm[i], holm_expected[i]) << "index " << i;
    EXPECT_DOUBLE_EQ(bh[i], bh_expected[i]) << "index " << i;
  }
}

TEST(SignificanceCorrection, MonotonicityAndCapping) {
  // p = {0.025, 0.01, 0.02}; sorted 0.01, 0.02, 0.025, m = 3.
  // BH: 0.03, 0.03, 0.025 -> running minimum from the top: 0.025 for all three.
  // Holm: 0.03, 0.04, 0.025 -> running maximum: 0.03, 0.04, 0.04.
  const std::vector<double> bh = BenjaminiHochberg({0.025, 0.01, 0.02});
  const std::vector<double> holm = Holm({0.025, 0.01, 0.02});
  for (double v : bh)
    EXPECT_DOUBLE_EQ(v, 0.025);
  EXPECT_DOUBLE_EQ(holm[0], 0.04);
  EXPECT_DOUBLE_EQ(holm[1], 0.03);
  EXPECT_DOUBLE_EQ(holm[2], 0.04);

  // Capped at 1: Holm 2 * 0.6 = 1.2 -> 1; BH keeps 0.6 for both (2 * 0.5 / 1 = 1 > 0.6).
  EXPECT_EQ(Holm({0.6, 0.7}), (std::vector<double>{1, 1}));
  EXPECT_EQ(BenjaminiHochberg({0.5, 0.6}), (std::vector<double>{0.6, 0.6}));
  EXPECT_TRUE(Holm({}).empty());
  EXPECT_TRUE(BenjaminiHochberg({}).empty());
}

TEST(SignificanceCorrection, InvalidPValuesThrow) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(Holm({0.1, 1.5}), std::invalid_argument);
  EXPECT_THROW(BenjaminiHochberg({-0.1}), std::invalid_argument);
  EXPECT_THROW(BenjaminiHochberg({nan}), std::invalid_argument);
}

}  // namespace
}  // namespace isocost
