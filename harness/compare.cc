#include "harness/compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "harness/significance.h"
#include "primitives/error.h"

namespace isocost {
namespace {

struct Side {
  const CsvRow* row = nullptr;
};

std::string Field(const CsvRow& row, const std::string& column) {
  auto it = row.find(column);
  return it == row.end() ? "" : it->second;
}

// Every --metric and --ignore-param must name something in one of the runs.
void CheckNames(const RunData& base, const RunData& next, const CompareOptions& opt) {
  std::set<std::string> metrics, params;
  for (const RunData* run : {&base, &next}) {
    for (const CsvRow& row : run->rows)
      metrics.insert(Field(row, "metric"));
    params.insert(run->param_columns.begin(), run->param_columns.end());
  }
  for (const std::string& m : opt.metrics) {
    if (!metrics.contains(m)) {
      throw Error(ErrorKind::kUsage, fmt::format("--metric {}: no such metric in either run; they "
                                                 "have: {}",
                                                 m, fmt::join(metrics, ", ")));
    }
  }
  for (const std::string& p : opt.ignore_params) {
    if (!params.contains(p)) {
      throw Error(ErrorKind::kUsage, fmt::format("--ignore-param {}: no such parameter in either "
                                                 "run; they have: {}",
                                                 p, fmt::join(params, ", ")));
    }
  }
}

// Rows by "experiment|metric|params"; harness rows describe the tool, not
// the kernel, and are left out.
// with_config: the config's name is part of the key, for runs of suites
// whose configs share a point.
std::map<std::string, const CsvRow*> Index(const RunData& run, const CompareOptions& opt,
                                           bool with_config, bool* collided = nullptr) {
  std::map<std::string, const CsvRow*> index;
  for (const CsvRow& row : run.rows) {
    std::string metric = Field(row, "metric");
    if (Field(row, "experiment") == "harness") continue;
    if (!opt.metrics.empty() &&
        std::find(opt.metrics.begin(), opt.metrics.end(), metric) == opt.metrics.end()) {
      continue;
    }
    std::string key = fmt::format("{}|{}|{}", Field(row, "experiment"), metric,
                                  ParamKey(run, row, opt.ignore_params));
    if (with_config) key += " config=" + Field(row, "config");
    if (index.emplace(key, &row).second) continue;
    if (collided != nullptr) {
      *collided = true;
      continue;
    }
    throw Error(ErrorKind::kUsage,
                fmt::format("{}: two points match as '{}'{}", run.dir, key,
                            opt.ignore_params.empty()
                                ? ""
                                : "; --ignore-param left out a parameter that tells them apart"));
  }
  return index;
}

Comparison Pair(const CsvRow& b, const CsvRow& n) {
  Comparison c;
  c.experiment = Field(b, "experiment");
  c.metric = Field(b, "metric");
  c.unit = Field(b, "unit");
  c.better = BetterDirection(Field(b, "better"), c.unit);
  c.base_values = RepetitionValues(b);
  c.new_values = RepetitionValues(n);
  c.base = Summarize(c.base_values);
  c.next = Summarize(c.new_values);
  if (c.base.n > 0 && c.next.n > 0 && c.base.median != 0) {
    c.change = (c.next.median - c.base.median) / c.base.median;
  }
  return c;
}

// The verdicts that need no test: points not measured, too few repetitions.
bool Untestable(Comparison& c, const CsvRow& b, const CsvRow& n, const CompareOptions& opt) {
  for (const CsvRow* row : {&b, &n}) {
    if (Field(*row, "status") != "ok") {
      c.verdict = "not comparable";
      c.reason = fmt::format("{} is {}: {}", row == &b ? "base" : "new", Field(*row, "status"),
                             Field(*row, "note"));
      return true;
    }
  }
  if (c.base.n < 2 || c.next.n < 2 || MinAchievableP(c.base.n, c.next.n) >= opt.alpha) {
    c.verdict = "too few repetitions";
    c.reason = fmt::format(
        "with {} and {} repetitions the U test cannot reach p < {:g} (smallest p {:.3g}); "
        "run more repetitions",
        c.base.n, c.next.n, opt.alpha,
        c.base.n && c.next.n ? MinAchievableP(c.base.n, c.next.n) : 1.0);
    return true;
  }
  return false;
}

std::vector<double> Adjust(const std::vector<double>& p, const std::string& correction) {
  if (correction == "holm") return Holm(p);
  if (correction == "bh") return BenjaminiHochberg(p);
  return p;
}

void Judge(Comparison& c, const CompareOptions& opt) {
  bool significant = c.p_adjusted < opt.alpha;
  bool large = std::fabs(c.change) >= opt.threshold;
  std::string stats =
      fmt::format("p {:.3g}, adjusted {:.3g}; change {:+.1f}%", c.p, c.p_adjusted, 100 * c.change);
  if (significant && large && c.better.empty()) {
    c.verdict = "no direction";
    c.reason = stats + "; the metric declares no better direction";
  } else if (significant && large) {
    bool up = c.change > 0;
    c.verdict = (up == (c.better == "higher")) ? "improvement" : "regression";
    c.reason = stats;
  } else {
    c.verdict = "no significant change";
    c.reason =
        stats + (significant ? fmt::format(", below the {:g}% threshold", 100 * opt.threshold)
                             : ", not significant");
  }
}

int Rank(const std::string& verdict) {
  static const char* const kOrder[] = {"regression",          "improvement",
                                       "no direction",        "no significant change",
                                       "too few repetitions", "not comparable"};
  for (int i = 0; i < 6; ++i) {
    if (verdict == kOrder[i]) return i;
  }
  return 6;
}

nlohmann::json At(const nlohmann::json& j, const std::vector<std::string>& path) {
  const nlohmann::json* node = &j;
  for (const std::string& k : path) {
    if (!node->is_object() || !node->contains(k)) return nullptr;
    node = &(*node)[k];
  }
  return *node;
}

std::map<std::string, std::string> ConfigShas(const nlohmann::json& info) {
  std::map<std::string, std::string> shas;
  if (!info.contains("configs") || !info["configs"].is_array()) return shas;
  for (const auto& c : info["configs"])
    shas[c.value("name", "?")] = c.value("sha256", "");
  return shas;
}

void Provenance(const RunData& b, const RunData& n, CompareReport& r) {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kFields = {
      {"kernel_release", {"host", "kernel_release"}},
      {"kernel_cmdline", {"host", "kernel_cmdline"}},
      {"hostname", {"host", "hostname"}},
      {"cpu_model", {"host", "cpu_model"}},
      {"cpus_online", {"host", "cpus_online"}},
      {"memory_total_bytes", {"host", "memory_total_bytes"}},
      {"cgroup_layout", {"host", "cgroup_layout"}},
      {"isocost_version", {"isocost", "version"}},
      {"isocost_git_revision", {"isocost", "git_revision"}},
      {"isocost_build_type", {"isocost", "build_type"}},
      {"quick", {"quick"}},
      {"start_time", {"start_time"}},
  };
  std::map<std::string, bool> differs;
  for (const auto& [name, path] : kFields) {
    nlohmann::json bv = At(b.info, path), nv = At(n.info, path);
    r.provenance[name] = {{"base", bv}, {"new", nv}, {"same", bv == nv}};
    differs[name] = bv != nv;
  }
  r.provenance["config_sha256"] = {{"base", ConfigShas(b.info)}, {"new", ConfigShas(n.info)}};

  if (differs["isocost_version"] || differs["isocost_git_revision"]) {
    r.flags.push_back("different isocost versions: a change may come from isocost itself");
  }
  if (ConfigShas(b.info) != ConfigShas(n.info)) {
    r.flags.push_back("different configs (sha256 of the config texts differ)");
  }
  if (differs["hostname"] || differs["cpu_model"] || differs["cpus_online"] ||
      differs["memory_total_bytes"]) {
    r.flags.push_back("different machines: changes mix hardware with kernel differences");
  }
  if (differs["quick"]) r.flags.push_back("one run used --quick and the other did not");
  for (const auto* run : {&b, &n}) {
    std::string status = run->info.value("status", "");
    if (!status.empty() && status != "complete") {
      r.flags.push_back(fmt::format("{} run is {}, not complete: some of its points may be missing",
                                    run == &b ? "base" : "new", status));
    }
  }
  if (b.info.empty() || n.info.empty()) {
    r.flags.push_back("run.json missing on one side: provenance unknown");
  }
}

void Test(CompareReport& r, const CompareOptions& opt) {
  std::vector<size_t> tested;
  std::vector<double> p;
  for (size_t i = 0; i < r.rows.size(); ++i) {
    if (!r.rows[i].verdict.empty()) continue;
    r.rows[i].p = MannWhitneyU(r.rows[i].base_values, r.rows[i].new_values).p_two_sided;
    tested.push_back(i);
    p.push_back(r.rows[i].p);
  }
  std::vector<double> adjusted = Adjust(p, opt.correction);
  for (size_t k = 0; k < tested.size(); ++k) {
    Comparison& c = r.rows[tested[k]];
    c.p_adjusted = adjusted[k];
    Judge(c, opt);
  }
  r.tests = tested.size();
}

std::string FalseAlarmText(const CompareReport& r);

// What the correction costs: a change at one point alone reaches at best
// an adjusted p of m times the smallest p its repetitions allow.
std::string Sensitivity(const CompareReport& r) {
  if (r.options.correction == "none" || r.tests < 2) return "";
  double best = 0;
  for (const Comparison& c : r.rows) {
    if (std::isnan(c.p)) continue;
    double lone = std::min(1.0, static_cast<double>(r.tests) * MinAchievableP(c.base.n, c.next.n));
    best = best == 0 ? lone : std::min(best, lone);
  }
  if (best < r.options.alpha) return "";
  return fmt::format(
      "; with this many comparisons and repetitions a change in one of them alone cannot "
      "reach significance after correction (best adjusted p {:.3g}): compare "
      "fewer points (--metric) or run more repetitions",
      best);
}

std::string FalseAlarmNote(const CompareReport& r) {
  return FalseAlarmText(r) + Sensitivity(r);
}

std::string FalseAlarmText(const CompareReport& r) {
  const CompareOptions& o = r.options;
  if (o.correction == "bh") {
    return fmt::format(
        "{} comparisons tested; Benjamini-Hochberg keeps the expected share of false "
        "alarms among the reported changes at or below {:g}",
        r.tests, o.alpha);
  }
  if (o.correction == "holm") {
    return fmt::format(
        "{} comparisons tested; Holm keeps the chance of any false alarm at or below "
        "{:g}",
        r.tests, o.alpha);
  }
  return fmt::format(
      "{} comparisons tested without correction: about {:.1f} false alarms are "
      "expected if nothing changed",
      r.tests, static_cast<double>(r.tests) * o.alpha);
}

// Splits "a=1 b=2" labels into the parameters that vary (kept per row)
// and those that do not (said once).
void Label(CompareReport& r) {
  std::map<std::string, std::set<std::string>> values;
  auto words = [](const std::string& params) {
    std::vector<std::string> w;
    std::stringstream in(params);
    for (std::string item; in >> item;)
      w.push_back(item);
    return w;
  };
  for (const Comparison& c : r.rows) {
    for (const std::string& w : words(c.params))
      values[w.substr(0, w.find('='))].insert(w);
  }
  std::set<std::string> constant;
  for (const auto& [name, seen] : values) {
    if (seen.size() == 1) constant.insert(*seen.begin());
  }
  for (Comparison& c : r.rows) {
    for (const std::string& w : words(c.params)) {
      if (!constant.contains(w)) c.label += (c.label.empty() ? "" : " ") + w;
    }
  }
  for (const std::string& w : constant) {
    r.constant_params += (r.constant_params.empty() ? "" : " ") + w;
  }
}

// Flags a side whose points are marked untrustworthy.
void Trust(const RunData& run, const char* side, CompareReport& r) {
  size_t untrusted = 0;
  std::string why;
  for (const CsvRow& row : run.rows) {
    if (Field(row, "trustworthy") != "false") continue;
    ++untrusted;
    if (why.empty()) why = Field(row, "note");
  }
  if (untrusted > 0) {
    r.flags.push_back(fmt::format("{} run: {} of {} rows are marked untrustworthy ({})", side,
                                  untrusted, run.rows.size(), why));
  }
}

}  // namespace

std::string BetterDirection(const std::string& declared, const std::string& unit) {
  if (declared == "higher" || declared == "lower") return declared;
  if (unit.size() > 2 && unit.compare(unit.size() - 2, 2, "/s") == 0) return "higher";
  static const char* const kTimes[] = {"ns", "us", "µs", "ms", "s"};
  for (const char* t : kTimes) {
    if (unit == t) return "lower";
  }
  return "";
}

CompareReport Compare(const RunData& base, const RunData& next, const CompareOptions& opt) {
  CompareReport r;
  r.base_dir = base.dir;
  r.new_dir = next.dir;
  r.options = opt;
  CheckNames(base, next, opt);
  bool collided = false;
  Index(base, opt, false, &collided);
  Index(next, opt, false, &collided);
  auto b = Index(base, opt, collided), n = Index(next, opt, collided);

  for (const auto& [key, row] : b) {
    auto other = n.find(key);
    if (other == n.end()) {
      r.only_in_base.push_back(key);
      continue;
    }
    Comparison c = Pair(*row, *other->second);
    c.params = ParamKey(base, *row, opt.ignore_params);
    Untestable(c, *row, *other->second, opt);
    r.rows.push_back(std::move(c));
  }
  for (const auto& [key, row] : n) {
    if (!b.contains(key)) r.only_in_new.push_back(key);
  }
  Test(r, opt);
  std::stable_sort(r.rows.begin(), r.rows.end(), [](const Comparison& x, const Comparison& y) {
    return Rank(x.verdict) < Rank(y.verdict);
  });
  for (const Comparison& c : r.rows) {
    r.regressions += c.verdict == "regression";
    r.improvements += c.verdict == "improvement";
  }
  Label(r);
  Provenance(base, next, r);
  Trust(base, "base", r);
  Trust(next, "new", r);
  r.false_alarm_note = FalseAlarmNote(r);
  return r;
}

}  // namespace isocost
