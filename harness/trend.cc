#include "harness/trend.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <tuple>

#include "harness/runs.h"
#include "harness/stats.h"
#include "primitives/error.h"

namespace isocost {
namespace {

std::vector<long> Numbers(const std::string& s) {
  std::vector<long> parts;
  for (size_t i = 0; i < s.size();) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) {
      ++i;
      continue;
    }
    size_t end = std::min(s.find_first_not_of("0123456789", i), s.size());
    parts.push_back(std::stol(s.substr(i, std::min<size_t>(end - i, 15))));
    i = end;
  }
  return parts;
}

// A release as (version numbers, release candidate, the rest's numbers):
// 6.18.0-rc7 comes before 6.18.0, which has no candidate.
std::tuple<std::vector<long>, long, std::vector<long>> VersionParts(const std::string& s) {
  size_t end = std::min(s.find_first_not_of("0123456789."), s.size());
  std::string rest = s.substr(end);
  long rc = std::numeric_limits<long>::max();
  if (rest.rfind("-rc", 0) == 0) {
    std::vector<long> n = Numbers(rest.substr(3, rest.find_first_not_of("0123456789", 3) - 3));
    if (!n.empty()) rc = n.front();
  }
  return {Numbers(s.substr(0, end)), rc, Numbers(rest)};
}

std::string Info(const RunData& run, const char* section, const char* key) {
  const nlohmann::json& info = run.info;
  const nlohmann::json* node =
      section ? (info.contains(section) ? &info[section] : nullptr) : &info;
  if (node == nullptr || !node->is_object() || !node->contains(key)) return "";
  return (*node)[key].is_string() ? (*node)[key].get<std::string>() : (*node)[key].dump();
}

bool Selected(const CsvRow& row, const TrendOptions& o) {
  if (row.at("experiment") == "harness" || row.at("status") != "ok") return false;
  if (RepetitionValues(row).empty()) return false;
  if (!o.experiment.empty() && row.at("experiment") != o.experiment) return false;
  return o.metric.empty() || row.at("metric") == o.metric;
}

nlohmann::json RunsJson(const std::vector<RunData>& runs) {
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < runs.size(); ++i) {
    out.push_back({{"index", i},
                   {"dir", runs[i].dir},
                   {"kernel_release", Info(runs[i], "host", "kernel_release")},
                   {"start_time", Info(runs[i], nullptr, "start_time")},
                   {"isocost_git_revision", Info(runs[i], "isocost", "git_revision")}});
  }
  return out;
}

}  // namespace

bool KernelOlder(const std::string& a, const std::string& b) {
  return VersionParts(a) < VersionParts(b);
}

nlohmann::json Trend(const std::vector<std::string>& paths, const TrendOptions& o) {
  if (o.experiment.empty() && o.metric.empty()) {
    throw Error(ErrorKind::kUsage, "choose a metric (--metric) or an experiment (--experiment)");
  }
  std::vector<RunData> runs;
  for (const std::string& p : paths) {
    for (const std::string& dir : FindRuns(p))
      runs.push_back(LoadRun(dir));
  }
  if (runs.empty()) throw Error(ErrorKind::kUsage, "no runs found");
  std::stable_sort(runs.begin(), runs.end(), [&](const RunData& x, const RunData& y) {
    if (o.order == "kernel") {
      std::string kx = Info(x, "host", "kernel_release"), ky = Info(y, "host", "kernel_release");
      if (kx != ky) return KernelOlder(kx, ky);
    }
    return Info(x, nullptr, "start_time") < Info(y, nullptr, "start_time");
  });

  std::map<std::string, nlohmann::json> series;
  std::vector<std::string> order;
  for (size_t i = 0; i < runs.size(); ++i) {
    for (const CsvRow& row : runs[i].rows) {
      if (!Selected(row, o)) continue;
      std::string params = ParamKey(runs[i], row, {});
      // The config is part of the key: a suite's configs may share a point.
      std::string key =
          row.at("experiment") + "|" + row.at("metric") + "|" + params + "|" + row.at("config");
      if (!series.contains(key)) {
        order.push_back(key);
        series[key] = {{"experiment", row.at("experiment")},
                       {"config", row.at("config")},
                       {"metric", row.at("metric")},
                       {"unit", row.at("unit")},
                       {"params", params},
                       {"points", std::vector<nlohmann::json>(runs.size(), nullptr)}};
      }
      Summary s = Summarize(RepetitionValues(row));
      series[key]["points"][i] = {
          {"run", i},     {"median", s.median}, {"min", s.min},
          {"max", s.max}, {"n", s.n},           {"trustworthy", row.at("trustworthy") != "false"}};
    }
  }
  nlohmann::json out = {{"schema_version", 1},
                        {"order", o.order},
                        {"runs", RunsJson(runs)},
                        {"series", nlohmann::json::array()}};
  for (const std::string& key : order)
    out["series"].push_back(series[key]);
  if (out["series"].empty()) {
    throw Error(ErrorKind::kUsage, "no measured point matches the chosen metric or experiment");
  }
  return out;
}

std::string TrendText(const nlohmann::json& t) {
  std::string out;
  for (const auto& run : t["runs"]) {
    out += fmt::format("run {}: kernel {}, {}, {}\n", run["index"].get<size_t>(),
                       run["kernel_release"].get<std::string>(),
                       run["start_time"].get<std::string>(), run["dir"].get<std::string>());
  }
  for (const auto& s : t["series"]) {
    out += fmt::format("\n{} {} [{}] {}\n", s["experiment"].get<std::string>(),
                       s["metric"].get<std::string>(), s["unit"].get<std::string>(),
                       s["params"].get<std::string>());
    for (const auto& p : s["points"]) {
      if (p.is_null()) continue;
      out +=
          fmt::format("  run {:>3}: {:>10.4g}  ({:.4g}-{:.4g}, n={}){}\n", p["run"].get<size_t>(),
                      p["median"].get<double>(), p["min"].get<double>(), p["max"].get<double>(),
                      p["n"].get<size_t>(), p.value("trustworthy", true) ? "" : "  untrustworthy");
    }
  }
  return out;
}

}  // namespace isocost
