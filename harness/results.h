// What a run measured, and the files it writes: results.csv (tidy, one row
// per point and metric), run.json (provenance) and benchmark.json (Google
// Benchmark's own JSON, readable by its tools/compare.py).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "microbench/experiment.h"

namespace isocost {

inline constexpr int kResultsSchemaVersion = 1;

struct MetricSpec {
  std::string name;    // with its unit in the name: ops_per_s, latency_p50_ns
  std::string unit;    // ops/s, ns, retries/op
  std::string better;  // "higher" or "lower": which direction is an improvement
};

// The metrics every experiment reports, then one per declared counter.
std::vector<MetricSpec> MetricsOf(const ExperimentSpec& experiment);

struct MetricValues {
  std::string name;
  std::string unit;
  std::string better;
  std::vector<double> per_repetition;
};

struct PointResult {
  std::string experiment;
  std::string config;
  size_t index = 0;  // in the run, from 0
  Point point;
  std::string status = "ok";  // ok, unsupported, failed
  std::string note;           // why unsupported, failed or untrustworthy
  bool trustworthy = true;
  std::vector<MetricValues> metrics;
};

// The parameter columns: every parameter of the experiments present, in
// first-seen order.
std::vector<std::string> ParamColumns(const std::vector<PointResult>& results);

std::string ResultsCsv(const std::vector<PointResult>& results);

// A CSV field, quoted when it holds a comma, quote or line break.
std::string CsvField(const std::string& s);

nlohmann::json PointJson(const PointResult& result);

}  // namespace isocost
