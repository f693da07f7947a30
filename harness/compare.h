// `isocost compare`: points of two runs matched by experiment, metric and
// parameters, each pair judged with a Mann-Whitney U test on the
// repetitions, corrected for multiple comparisons, and given a verdict.
#pragma once

#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/runs.h"
#include "harness/stats.h"

namespace isocost {

struct CompareOptions {
  double threshold = 0.10;                 // smallest relative change of the median that counts
  double alpha = 0.05;                     // significance level after correction
  std::string correction = "bh";           // bh (Benjamini-Hochberg), holm, none
  std::vector<std::string> ignore_params;  // parameters left out of the matching
  std::vector<std::string> metrics;        // only these metrics; empty: all
};

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Comparison {
  std::string experiment, metric, unit, better;
  std::string params;  // every parameter, "name=value ..."
  std::string label;   // only the parameters that vary between the compared points
  std::vector<double> base_values, new_values;
  Summary base, next;
  double change = kNaN;  // (new median - base median) / base median
  double p = kNaN;
  double p_adjusted = kNaN;
  std::string verdict;  // regression, improvement, no significant change, too few repetitions,
                        // not comparable, no direction
  std::string reason;
};

struct CompareReport {
  std::string base_dir, new_dir;
  CompareOptions options;
  std::vector<Comparison> rows;  // regressions first, then improvements, then the rest
  std::vector<std::string> only_in_base, only_in_new;
  nlohmann::json provenance;       // field -> {base, new, same}
  std::vector<std::string> flags;  // different configs, versions, machines, untrustworthy
  std::string constant_params;     // parameters with one value in every compared point
  size_t tests = 0;                // comparisons that were tested
  size_t regressions = 0, improvements = 0;
  std::string false_alarm_note;
};

CompareReport Compare(const RunData& base, const RunData& next, const CompareOptions& options);

nlohmann::json ReportJson(const CompareReport& report);
std::string ReportText(const CompareReport& report);
std::string ReportMarkdown(const CompareReport& report);

// "higher" or "lower" from the row's declaration, else from its unit (a
// rate such as ops/s is better higher; a time is better lower), else "".
std::string BetterDirection(const std::string& declared, const std::string& unit);

}  // namespace isocost
