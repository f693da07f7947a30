// `isocost trend`: one metric (or every metric of one experiment) across
// many runs, ordered by kernel version or by date, as a regression tracker
// shows a history.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace isocost {

struct TrendOptions {
  std::string experiment;        // "" for any
  std::string metric;            // "" for every metric of the experiment
  std::string order = "kernel";  // kernel or date
};

// Orders kernel releases numerically: 6.9 < 6.10 < 6.18.44.
bool KernelOlder(const std::string& a, const std::string& b);

// Loads the runs (directories of runs are searched one level down) and
// returns {runs: [...], series: [{experiment, config, metric, unit, params,
// points: [{run, median, min, max, n, trustworthy} or null]}]}.
nlohmann::json Trend(const std::vector<std::string>& paths, const TrendOptions& options);
std::string TrendText(const nlohmann::json& trend);

}  // namespace isocost
