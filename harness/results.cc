#include "harness/results.h"

#include <fmt/format.h>

#include <algorithm>

#include "harness/stats.h"

namespace isocost {
namespace {

const char* const kHeadColumns[] = {"experiment", "config", "point"};
const char* const kTailColumns[] = {"metric",
                                    "unit",
                                    "better",
                                    "status",
                                    "value",
                                    "median",
                                    "mean",
                                    "stddev",
                                    "cv",
                                    "min",
                                    "max",
                                    "n",
                                    "repetition_values",
                                    "trustworthy",
                                    "note"};

std::string Number(double v) {
  return fmt::format("{:.9g}", v);
}

std::string Row(const PointResult& r, const std::vector<std::string>& params,
                const MetricValues& m) {
  std::vector<std::string> f = {r.experiment, r.config, std::to_string(r.index)};
  for (const std::string& p : params) {
    auto it = std::find_if(r.point.values().begin(), r.point.values().end(),
                           [&](const auto& kv) { return kv.first == p; });
    f.push_back(it == r.point.values().end() ? "" : FormatValue(it->second));
  }
  f.push_back(m.name);
  f.push_back(m.unit);
  f.push_back(m.better);
  f.push_back(r.status);

  Summary s = Summarize(m.per_repetition);
  if (s.n == 0) {
    f.insert(f.end(), 7, "");
    f.push_back("0");
    f.push_back("");
  } else {
    for (double v : {s.median, s.median, s.mean, s.stddev, s.cv, s.min, s.max}) {
      f.push_back(Number(v));
    }
    f.push_back(std::to_string(s.n));
    std::vector<std::string> reps;
    for (double v : m.per_repetition)
      reps.push_back(Number(v));
    f.push_back(fmt::format("{}", fmt::join(reps, ";")));
  }
  f.push_back(r.trustworthy ? "true" : "false");
  f.push_back(r.note);

  std::string line;
  for (size_t i = 0; i < f.size(); ++i)
    line += (i ? "," : "") + CsvField(f[i]);
  return line + "\n";
}

}  // namespace

std::vector<MetricSpec> MetricsOf(const ExperimentSpec& experiment) {
  std::vector<MetricSpec> metrics = {
      {"ops_per_s", "ops/s", "higher"},  {"latency_p50_ns", "ns", "lower"},
      {"latency_p90_ns", "ns", "lower"}, {"latency_p99_ns", "ns", "lower"},
      {"latency_max_ns", "ns", "lower"}, {"latency_mean_ns", "ns", "lower"},
  };
  for (const CounterSpec& c : experiment.counters) {
    metrics.push_back({c.name + "_per_op", c.unit, c.better});
  }
  for (const CounterSpec& c : experiment.workload_metrics) {
    metrics.push_back({c.name, c.unit, c.better});
  }
  return metrics;
}

std::vector<std::string> ParamColumns(const std::vector<PointResult>& results) {
  std::vector<std::string> columns;
  for (const PointResult& r : results) {
    for (const auto& [name, value] : r.point.values()) {
      if (std::find(columns.begin(), columns.end(), name) == columns.end()) {
        columns.push_back(name);
      }
    }
  }
  return columns;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s)
    quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string ResultsCsv(const std::vector<PointResult>& results) {
  std::vector<std::string> params = ParamColumns(results);
  std::vector<std::string> header(std::begin(kHeadColumns), std::end(kHeadColumns));
  header.insert(header.end(), params.begin(), params.end());
  header.insert(header.end(), std::begin(kTailColumns), std::end(kTailColumns));

  std::string csv = fmt::format("{}\n", fmt::join(header, ","));
  for (const PointResult& r : results) {
    for (const MetricValues& m : r.metrics)
      csv += Row(r, params, m);
  }
  return csv;
}

nlohmann::json PointJson(const PointResult& r) {
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [name, value] : r.point.values())
    params[name] = FormatValue(value);
  return {{"index", r.index}, {"experiment", r.experiment}, {"config", r.config},
          {"params", params}, {"status", r.status},         {"trustworthy", r.trustworthy},
          {"note", r.note}};
}

}  // namespace isocost
