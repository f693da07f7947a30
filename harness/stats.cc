#include "harness/stats.h"

#include <gsl/gsl_statistics_double.h>

#include <algorithm>

namespace isocost {

Summary Summarize(std::vector<double> values) {
  Summary s;
  s.n = values.size();
  if (values.empty()) return s;

  std::sort(values.begin(), values.end());
  const double* v = values.data();
  s.median = gsl_stats_median_from_sorted_data(v, 1, s.n);
  s.mean = gsl_stats_mean(v, 1, s.n);
  s.stddev = s.n > 1 ? gsl_stats_sd_m(v, 1, s.n, s.mean) : 0.0;
  s.cv = s.mean != 0 ? s.stddev / s.mean : 0.0;
  s.min = values.front();
  s.max = values.back();
  return s;
}

LatencyQuantiles LatencySummary(std::vector<int64_t>& latencies_ns) {
  LatencyQuantiles q;
  if (latencies_ns.empty()) return q;

  std::sort(latencies_ns.begin(), latencies_ns.end());
  std::vector<double> sorted(latencies_ns.begin(), latencies_ns.end());
  const double* v = sorted.data();
  size_t n = sorted.size();
  q.p50 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.50);
  q.p90 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.90);
  q.p99 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.99);
  q.max = sorted.back();
  q.mean = gsl_stats_mean(v, 1, n);
  return q;
}

}  // namespace isocost
