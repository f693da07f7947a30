// Summary statistics over samples and repetitions, computed with GSL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace isocost {

struct Summary {
  size_t n = 0;
  double median = 0, mean = 0, stddev = 0, cv = 0, min = 0, max = 0;
};

// Median, mean, sample standard deviation (0 for one value), coefficient of
// variation (stddev / mean), min and max. n == 0 for no values.
Summary Summarize(std::vector<double> values);

// Quantiles of per-operation latencies, by linear interpolation between
// order statistics (gsl_stats_quantile_from_sorted_data). Sorts in place.
struct LatencyQuantiles {
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
};
LatencyQuantiles LatencySummary(std::vector<int64_t>& latencies_ns);

}  // namespace isocost
