// The three renderings of a comparison: a table for people (regressions
// first), JSON for CI bots and Markdown for mailing lists and reviews.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "harness/compare.h"

namespace isocost {
namespace {

nlohmann::json Number(double v) {
  return std::isnan(v) ? nlohmann::json() : nlohmann::json(v);
}

// A Markdown table cell: '|' escaped, line breaks flattened.
std::string Cell(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|')
      out += "\\|";
    else if (ch == '\n' || ch == '\r')
      out += ' ';
    else
      out += ch;
  }
  return out;
}

std::string Num(double v) {
  return std::isnan(v) ? "-" : fmt::format("{:.4g}", v);
}

std::string Change(double v) {
  return std::isnan(v) ? "-" : fmt::format("{:+.1f}%", 100 * v);
}

// Times in ns are shown in the largest unit that keeps them above 1.
std::pair<double, std::string> Scale(const Comparison& c) {
  if (c.unit != "ns") return {1.0, c.unit};
  double v = std::max(c.base.median, c.next.median);
  if (v >= 1e6) return {1e-6, "ms"};
  if (v >= 1e3) return {1e-3, "us"};
  return {1.0, "ns"};
}

std::string Spread(const Summary& s, double k) {
  if (s.n == 0) return "-";
  return fmt::format("{} ({}-{}) n={}", Num(k * s.median), Num(k * s.min), Num(k * s.max), s.n);
}

nlohmann::json SummaryJson(const Summary& s, const std::vector<double>& values) {
  return {{"median", Number(s.median)},
          {"mean", Number(s.mean)},
          {"stddev", Number(s.stddev)},
          {"min", Number(s.min)},
          {"max", Number(s.max)},
          {"n", s.n},
          {"values", values}};
}

std::string Headline(const CompareReport& r) {
  size_t same = 0, untested = 0;
  for (const Comparison& c : r.rows) {
    same += c.verdict == "no significant change";
    untested += c.verdict == "too few repetitions" || c.verdict == "not comparable";
  }
  return fmt::format(
      "{} regression{}, {} improvement{}, {} without significant change, {} not tested "
      "(threshold {:g}%, alpha {:g}, Mann-Whitney U, correction {})",
      r.regressions, r.regressions == 1 ? "" : "s", r.improvements, r.improvements == 1 ? "" : "s",
      same, untested, 100 * r.options.threshold, r.options.alpha, r.options.correction);
}

std::string Describe(const nlohmann::json& prov, const char* side) {
  auto get = [&](const char* k) {
    const nlohmann::json& v = prov[k][side];
    return v.is_null() ? std::string("?") : v.is_string() ? v.get<std::string>() : v.dump();
  };
  return fmt::format("kernel {}, {} x {}, isocost {} ({}), started {}", get("kernel_release"),
                     get("cpus_online"), get("cpu_model"), get("isocost_version"),
                     get("isocost_git_revision"), get("start_time"));
}

std::vector<std::string> Differences(const nlohmann::json& prov) {
  std::vector<std::string> lines;
  for (const auto& [name, v] : prov.items()) {
    if (!v.contains("same") || v["same"].get<bool>() || name == "start_time") continue;
    lines.push_back(fmt::format("{}: {} -> {}", name, v["base"].dump(), v["new"].dump()));
  }
  return lines;
}

}  // namespace

nlohmann::json ReportJson(const CompareReport& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (const Comparison& c : r.rows) {
    rows.push_back({{"experiment", c.experiment},
                    {"metric", c.metric},
                    {"unit", c.unit},
                    {"better", c.better},
                    {"params", c.params},
                    {"label", c.label},
                    {"base", SummaryJson(c.base, c.base_values)},
                    {"new", SummaryJson(c.next, c.new_values)},
                    {"change_fraction", Number(c.change)},
                    {"p", Number(c.p)},
                    {"p_adjusted", Number(c.p_adjusted)},
                    {"verdict", c.verdict},
                    {"reason", c.reason}});
  }
  return {{"schema_version", 1},
          {"base", r.base_dir},
          {"new", r.new_dir},
          {"test", "Mann-Whitney U, two-sided, exact for small samples without ties"},
          {"threshold_fraction", r.options.threshold},
          {"alpha", r.options.alpha},
          {"correction", r.options.correction},
          {"ignored_params", r.options.ignore_params},
          {"regressions", r.regressions},
          {"improvements", r.improvements},
          {"tests", r.tests},
          {"false_alarms", r.false_alarm_note},
          {"flags", r.flags},
          {"constant_params", r.constant_params},
          {"provenance", r.provenance},
          {"only_in_base", r.only_in_base},
          {"only_in_new", r.only_in_new},
          {"comparisons", rows}};
}

std::string ReportText(const CompareReport& r) {
  std::string out =
      fmt::format("base: {}\n      {}\nnew:  {}\n      {}\n", r.base_dir,
                  Describe(r.provenance, "base"), r.new_dir, Describe(r.provenance, "new"));
  for (const std::string& f : r.flags)
    out += "warning: " + f + "\n";
  for (const std::string& d : Differences(r.provenance))
    out += "differs: " + d + "\n";
  out += Headline(r) + "\n" + r.false_alarm_note + "\n";
  if (!r.constant_params.empty()) out += "in every point: " + r.constant_params + "\n";

  out += fmt::format("\n{:<22} {:>8}  {:<28} {:<28} {:<6} {:>8}  {}\n", "verdict", "change",
                     "base median (min-max)", "new median (min-max)", "unit", "p adj",
                     "experiment metric point");
  for (const Comparison& c : r.rows) {
    auto [k, unit] = Scale(c);
    out += fmt::format("{:<22} {:>8}  {:<28} {:<28} {:<6} {:>8}  {} {} {}\n", c.verdict,
                       Change(c.change), Spread(c.base, k), Spread(c.next, k), unit,
                       Num(c.p_adjusted), c.experiment, c.metric, c.label);
  }
  for (const std::string& k : r.only_in_base)
    out += "only in base: " + k + "\n";
  for (const std::string& k : r.only_in_new)
    out += "only in new:  " + k + "\n";
  return out;
}

std::string ReportMarkdown(const CompareReport& r) {
  std::string out =
      fmt::format("## isocost compare\n\n- base: `{}` ({})\n- new: `{}` ({})\n", r.base_dir,
                  Describe(r.provenance, "base"), r.new_dir, Describe(r.provenance, "new"));
  for (const std::string& f : r.flags)
    out += "- **warning:** " + f + "\n";
  for (const std::string& d : Differences(r.provenance))
    out += "- differs: " + d + "\n";
  out += "\n" + Headline(r) + ". " + r.false_alarm_note + ".\n";
  if (!r.constant_params.empty()) out += "In every point: `" + r.constant_params + "`.\n";
  out +=
      "\n| verdict | change | base median (min-max) | new median (min-max) | unit | p adj | "
      "experiment | metric | point |\n|---|---:|---|---|---|---:|---|---|---|\n";
  for (const Comparison& c : r.rows) {
    auto [k, unit] = Scale(c);
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                       c.verdict == "regression" ? "**regression**" : c.verdict, Change(c.change),
                       Spread(c.base, k), Spread(c.next, k), Cell(unit), Num(c.p_adjusted),
                       Cell(c.experiment), Cell(c.metric), Cell(c.label));
  }
  for (const std::string& k : r.only_in_base)
    out += "\nonly in base: `" + k + "`";
  for (const std::string& k : r.only_in_new)
    out += "\nonly in new: `" + k + "`";
  return out + "\n";
}

}  // namespace isocost
