#include "harness/significance.h"

#include <gsl/gsl_cdf.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

namespace isocost {
namespace {

// What the U test needs from the ranks of the pooled sample.
struct PooledRanks {
  double rank_sum_a = 0;  // sum of the (mid)ranks of the first sample's values
  double tie_term = 0;    // sum over groups of t tied values of t^3 - t; 0 without ties
};

void CheckSample(const std::vector<double>& x, const char* which) {
  if (x.empty())
    throw std::invalid_argument(std::string("Mann-Whitney U test: the ") + which +
                                " sample is empty");
  if (std::any_of(x.begin(), x.end(), [](double v) { return std::isnan(v); }))
    throw std::invalid_argument(std::string("Mann-Whitney U test: the ") + which +
                                " sample contains NaN");
}

PooledRanks RankPooled(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<std::pair<double, bool>> pooled;  // value, whether it is from a
  pooled.reserve(a.size() + b.size());
  for (double v : a)
    pooled.emplace_back(v, true);
  for (double v : b)
    pooled.emplace_back(v, false);
  std::sort(pooled.begin(), pooled.end());

  // Each group of equal values [lo, hi) shares the mean of the ranks lo + 1 .. hi.
  PooledRanks r;
  for (size_t lo = 0; lo < pooled.size();) {
    size_t hi = lo + 1;
    while (hi < pooled.size() && pooled[hi].first == pooled[lo].first)
      ++hi;
    const double midrank = static_cast<double>(lo + hi + 1) / 2;
    const double t = static_cast<double>(hi - lo);
    for (size_t i = lo; i < hi; ++i)
      if (pooled[i].second) r.rank_sum_a += midrank;
    r.tie_term += t * t * t - t;
    lo = hi;
  }
  return r;
}

// C(n, k) as a double; exact while it fits in 53 bits, since each partial product is an integer.
double Choose(size_t n, size_t k) {
  k = std::min(k, n - k);
  double c = 1;
  for (size_t i = 1; i <= k; ++i)
    c = c * static_cast<double>(n - k + i) / static_cast<double>(i);
  return c;
}

// Number of orderings of m + n distinct values (m of them from the first sample) whose U is at
// most kmax. f(i, j, k), the count for i and j values with U = k, follows
// f(i, j, k) = f(i - 1, j, k - j) + f(i, j - 1, k): the largest value is either from the first
// sample, above all j others, or from the second. Rolled over i; counts are doubles (only sums
// of positive terms, so rounding stays relative once they pass 2^53).
double CountUpTo(size_t m, size_t n, size_t kmax) {
  std::vector<std::vector<double>> f(n + 1, std::vector<double>(kmax + 1, 0.0));  // f[j][k]
  for (auto& row : f)
    row[0] = 1;  // i = 0: only U = 0

  for (size_t i = 1; i <= m; ++i)
    for (size_t j = 1; j <= n; ++j)
      for (size_t k = kmax + 1; k-- > 0;)  // downwards: f[j][k - j] still holds row i - 1
        f[j][k] = (k >= j ? f[j][k - j] : 0.0) + f[j - 1][k];
  return std::accumulate(f[n].begin(), f[n].end(), 0.0);
}

// The null distribution of U is symmetric about m n / 2, so the smaller tail is
// P(U <= min(u, m n - u)). Sizes are put in a fixed order so that swapping the samples
// gives the same p bit for bit.
double ExactTwoSidedP(double u, size_t m, size_t n) {
  if (m > n) std::swap(m, n);
  const double mn = static_cast<double>(m * n);
  const auto kmax = static_cast<size_t>(std::min(u, mn - u));

  const double tail = CountUpTo(m, n, kmax) / Choose(m + n, m);
  return std::min(1.0, 2 * tail);
}

// Normal approximation with tie-corrected variance and continuity correction 0.5.
double NormalTwoSidedP(double u, double n1, double n2, double tie_term) {
  const double n = n1 + n2;
  const double mean = n1 * n2 / 2;
  const double variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  if (variance <= 0) return 1;  // every value is tied: U equals its mean

  const double z = (std::abs(u - mean) - 0.5) / std::sqrt(variance);
  return std::min(1.0, 2 * gsl_cdf_ugaussian_Q(z));
}

// Indices of p in ascending order of p; validates each p-value.
std::vector<size_t> AscendingOrder(const std::vector<double>& p, const char* procedure) {
  for (size_t i = 0; i < p.size(); ++i)
    if (!(p[i] >= 0 && p[i] <= 1))
      throw std::invalid_argument(std::string(procedure) + ": p-value " + std::to_string(p[i]) +
                                  " at index " + std::to_string(i) + " is outside [0, 1]");

  std::vector<size_t> order(p.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return p[x] < p[y]; });
  return order;
}

}  // namespace

UTestResult MannWhitneyU(const std::vector<double>& a, const std::vector<double>& b) {
  CheckSample(a, "first");
  CheckSample(b, "second");
  const PooledRanks ranks = RankPooled(a, b);
  const auto n1 = static_cast<double>(a.size());
  const auto n2 = static_cast<double>(b.size());

  UTestResult r;
  r.u = ranks.rank_sum_a - n1 * (n1 + 1) / 2;
  r.exact = ranks.tie_term == 0 && a.size() <= kUTestExactMaxSize && b.size() <= kUTestExactMaxSize;
  r.p_two_sided = r.exact ? ExactTwoSidedP(r.u, a.size(), b.size())
                          : NormalTwoSidedP(r.u, n1, n2, ranks.tie_term);
  return r;
}

double MinAchievableP(size_t n1, size_t n2) {
  return std::min(1.0, 2 / Choose(n1 + n2, n1));
}

// Step up from the largest p-value: adjusted p_(i) = min over j >= i of m p_(j) / j.
std::vector<double> BenjaminiHochberg(const std::vector<double>& p) {
  const std::vector<size_t> order = AscendingOrder(p, "Benjamini-Hochberg correction");
  const auto m = static_cast<double>(p.size());
  std::vector<double> adjusted(p.size());

  double running_min = 1;
  for (size_t rank = p.size(); rank >= 1; --rank) {
    const size_t i = order[rank - 1];
    running_min = std::min(running_min, m * p[i] / static_cast<double>(rank));
    adjusted[i] = running_min;
  }
  return adjusted;
}

// Step down from the smallest p-value: adjusted p_(i) = max over j <= i of (m - j + 1) p_(j).
std::vector<double> Holm(const std::vector<double>& p) {
  const std::vector<size_t> order = AscendingOrder(p, "Holm correction");
  const size_t m = p.size();
  std::vector<double> adjusted(m);

  double running_max = 0;
  for (size_t rank = 1; rank <= m; ++rank) {
    const size_t i = order[rank - 1];
    const double scaled = static_cast<double>(m - rank + 1) * p[i];
    running_max = std::max(running_max, std::min(1.0, scaled));
    adjusted[i] = running_max;
  }
  return adjusted;
}

}  // namespace isocost
