// Significance tests for comparing benchmark runs: the Mann-Whitney U test on
// per-repetition values, and corrections for testing many benchmarks at once.
#pragma once

#include <cstddef>
#include <vector>

namespace isocost {

// Two-sided Mann-Whitney U test (Wilcoxon rank-sum) of two independent samples.
struct UTestResult {
  double u = 0;  // U of the first sample: number of pairs (a_i, b_j) with a_i > b_j, ties count 1/2
  double p_two_sided = 1;  // exact when both samples are small and there are no ties, else normal
  bool exact = false;      // whether p came from the exact distribution
};

// The largest sample size (of either sample) for which the exact distribution is used.
inline constexpr size_t kUTestExactMaxSize = 50;

// Requires both samples non-empty and free of NaN (throws std::invalid_argument otherwise).
// Without ties in the pooled sample and with both sizes <= kUTestExactMaxSize, p comes from the
// exact null distribution of U; otherwise from the normal approximation, with the variance
// corrected for ties and a continuity correction of 0.5.
// p is min(1, 2 * min(P(U <= u), P(U >= u))). Identical samples give p = 1.
UTestResult MannWhitneyU(const std::vector<double>& a, const std::vector<double>& b);

// The smallest two-sided p-value the exact U test can reach with samples of these sizes
// (all of one sample above all of the other): 2 / C(n1 + n2, n1), capped at 1.
// With n1 = n2 = 3 it is 0.1, so such a test can never reach alpha = 0.05.
double MinAchievableP(size_t n1, size_t n2);

// Multiple-comparison corrections; return adjusted p-values in the input's order, each in [0, 1],
// monotone in the input p-values. Each input must be in [0, 1] (throws std::invalid_argument).
std::vector<double> BenjaminiHochberg(const std::vector<double>& p);  // false discovery rate
std::vector<double> Holm(const std::vector<double>& p);               // family-wise error rate

}  // namespace isocost
