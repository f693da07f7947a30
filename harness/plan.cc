#include "harness/plan.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "harness/config.h"
#include "harness/stats.h"
#include "microbench/experiments.h"
#include "primitives/error.h"

namespace isocost {
namespace {

constexpr int kDraws = 4000;  // bootstrap draws for the interval
constexpr double kLow = 0.05, kHigh = 0.95;

std::string Cell(const CsvRow& row, const std::string& column) {
  auto it = row.find(column);
  return it == row.end() ? "" : it->second;
}

std::vector<std::string> ListCell(const std::string& value) {
  std::vector<std::string> items;
  if (value.empty() || value == "none") return items;
  size_t start = 0;
  for (size_t plus; (plus = value.find('+', start)) != std::string::npos; start = plus + 1)
    items.push_back(value.substr(start, plus - start));
  items.push_back(value.substr(start));
  return items;
}

using Match = std::map<std::string, std::string>;

// Whether a row's parameter has the value a match asks for; lists (the
// namespaces) compare as sets, whatever order they were written in.
bool Matches(const CsvRow& row, const std::string& param, const std::string& want) {
  std::string have = Cell(row, param);
  if (have == want) return true;
  if (have.find('+') == std::string::npos && want.find('+') == std::string::npos) return false;
  std::vector<std::string> a = ListCell(have), b = ListCell(want);
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

// The ok row of `experiment` whose parameters match and whose metric is
// `metric`, in the first run that has one.
const CsvRow* FindRow(const std::vector<RunData>& runs, const std::string& experiment,
                      const Match& match, const std::string& metric, const RunData** run_out) {
  for (const RunData& run : runs) {
    for (const CsvRow& row : run.rows) {
      if (Cell(row, "experiment") != experiment || Cell(row, "metric") != metric) continue;
      if (Cell(row, "status") != "ok") continue;
      bool all = std::all_of(match.begin(), match.end(),
                             [&](const auto& kv) { return Matches(row, kv.first, kv.second); });
      if (!all) continue;
      if (run_out != nullptr) *run_out = &run;
      return &row;
    }
  }
  return nullptr;
}

std::string Describe(const std::string& experiment, const Match& match, const RunData& run) {
  std::string params;
  for (const auto& [k, v] : match)
    params += fmt::format(" {}={}", k, v);
  return fmt::format("{}{} in {}", experiment, params,
                     std::filesystem::path(run.dir).filename().string());
}

// Seconds per operation of a point, per repetition, from its ops_per_s.
std::optional<StepCost> PerOp(const std::vector<RunData>& runs, const std::string& step,
                              const std::string& experiment, const Match& match) {
  const RunData* run = nullptr;
  const CsvRow* row = FindRow(runs, experiment, match, "ops_per_s", &run);
  if (row == nullptr) return std::nullopt;
  StepCost cost{step, Describe(experiment, match, *run), {}, 0};
  for (double rate : RepetitionValues(*row)) {
    if (rate > 0) cost.seconds.push_back(1 / rate);
  }
  if (cost.seconds.empty()) return std::nullopt;
  return cost;
}

// The cost of a point beyond another's (create beyond reuse), repetition by
// repetition: rounds interleave the points, so the same round shares drift.
std::optional<StepCost> Beyond(const std::optional<StepCost>& with,
                               const std::optional<StepCost>& without, const std::string& step) {
  if (!with || !without) return std::nullopt;
  StepCost cost{step, with->source + " minus " + without->source, {}, 0};
  size_t n = std::min(with->seconds.size(), without->seconds.size());
  for (size_t i = 0; i < n; ++i)
    cost.seconds.push_back(with->seconds[i] - without->seconds[i]);
  if (cost.seconds.empty()) return std::nullopt;
  return cost;
}

// What a step is and where its cost comes from. `cost` returns nothing when
// the runs do not measure it; `applies` says whether the recipe has it.
struct Source {
  std::string step;
  std::function<bool(const Recipe&)> applies;
  std::function<std::optional<StepCost>(const std::vector<RunData>&, const Recipe&, int)> cost;
};

std::string Threads(int c) {
  return std::to_string(c);
}

std::optional<StepCost> BareCost(const std::vector<RunData>& runs, const Recipe&, int c) {
  return PerOp(runs, "process and request", "container_e2e",
               {{"root", "none"},
                {"namespaces", "none"},
                {"cgroup", "none"},
                {"loopback", "false"},
                {"mount_proc", "false"},
                {"threads", Threads(c)}});
}

// Creating and removing a cgroup, beyond reusing one (figure 5's points
// both start a process in the cgroup; the difference is the directory's
// life). The container joins as figure 5's points do: clone3 into a v2
// cgroup, a write to cgroup.procs for v1.
std::optional<StepCost> CgroupCreateCost(const std::vector<RunData>& runs, const Recipe& r, int c) {
  // The container joins as clone3 does for v2, as a cgroup.procs write for
  // v1; the directory's life costs the same either way, so either serves.
  for (const char* join : {r.cgroup_version == "v2" ? "clone3" : "procs", "procs"}) {
    Match base = {{"cgroup_version", r.cgroup_version}, {"join", join}, {"threads", Threads(c)}};
    Match create = base, reuse = base;
    create["pattern"] = "create";
    reuse["pattern"] = "reuse";
    if (auto cost = Beyond(PerOp(runs, "", "cgroup", create), PerOp(runs, "", "cgroup", reuse),
                           "cgroup: create and remove")) {
      return cost;
    }
  }
  return std::nullopt;
}

// The root's mounts and unmounts: the storage experiment's SOCK root (four
// bind mounts) or one overlayfs, each unmount in turn.
std::optional<StepCost> RootCost(const std::vector<RunData>& runs, const Recipe& r, int c) {
  return PerOp(
      runs, "root: " + r.root, "storage",
      {{"backend", r.root}, {"layers", "3"}, {"unmount", "each"}, {"threads", Threads(c)}});
}

// Entering the root, and leaving it: the switch_root experiment's operation
// is the switch and the way back, which for pivot_root includes creating
// and dropping the mount namespace (so that namespace is priced here).
std::optional<StepCost> SwitchCost(const std::vector<RunData>& runs, const Recipe& r, int c) {
  return PerOp(runs, "root switch: " + r.root_switch, "switch_root",
               {{"method", r.root_switch}, {"threads", Threads(c)}});
}

bool Has(const Recipe& r, const std::string& ns) {
  return std::find(r.namespaces.begin(), r.namespaces.end(), ns) != r.namespaces.end();
}

// A new mount namespace without pivot_root: switch_root's mntns method
// (unshare, then setns back, which drops it).
std::optional<StepCost> MountNamespaceCost(const std::vector<RunData>& runs, const Recipe&, int c) {
  return PerOp(runs, "namespace: mnt", "switch_root",
               {{"method", "mntns"}, {"threads", Threads(c)}});
}

// The per-repetition values of a metric of the first matching ok point.
std::optional<std::vector<double>> Values(const std::vector<RunData>& runs,
                                          const std::string& experiment, const Match& match,
                                          const std::string& metric, std::string* source) {
  const RunData* run = nullptr;
  const CsvRow* row = FindRow(runs, experiment, match, metric, &run);
  if (row == nullptr) return std::nullopt;
  if (source != nullptr) *source = Describe(experiment, match, *run) + " " + metric;
  std::vector<double> values = RepetitionValues(*row);
  if (values.empty()) return std::nullopt;
  return values;
}

// A namespace type other than net and mnt, from figure 3's traced
// latencies, less those of its `getppid` calibration (the same children
// created, released and exited, with no namespace): what the namespace
// adds to a process's life. c namespaces made (and torn down) together in
// L(c) each is c / L(c) per second, so each costs L(c) / c. Teardown that
// finishes in a kernel workqueue (cleanup_batch_mean > 0) runs beside the
// container's path and is left out; synchronous teardown is on it (in
// init's exit).
std::optional<StepCost> TracedNamespaceCost(const std::vector<RunData>& runs,
                                            const std::string& type, int c) {
  Match match = {{"op", type}, {"calls_per_task", "1"}, {"concurrency", Threads(c)}};
  Match base = {{"op", "getppid"}, {"calls_per_task", "1"}, {"concurrency", Threads(c)}};
  StepCost cost{"namespace: " + type, "", {}, 0};
  auto create = Values(runs, "ns_latency", match, "create_latency_mean_ns", &cost.source);
  auto cleanup = Values(runs, "ns_latency", match, "cleanup_latency_mean_ns", nullptr);
  auto batch = Values(runs, "ns_latency", match, "cleanup_batch_mean", nullptr);
  auto create_base = Values(runs, "ns_latency", base, "create_latency_mean_ns", nullptr);
  auto cleanup_base = Values(runs, "ns_latency", base, "cleanup_latency_mean_ns", nullptr);
  if (!create || !cleanup || !create_base || !cleanup_base) return std::nullopt;

  bool deferred = batch && Summarize(*batch).median > 0;
  size_t n = std::min({create->size(), cleanup->size(), create_base->size(), cleanup_base->size()});
  for (size_t i = 0; i < n; ++i) {
    double ns = (*create)[i] - (*create_base)[i];
    if (!deferred) ns += (*cleanup)[i] - (*cleanup_base)[i];
    cost.seconds.push_back(ns * 1e-9 / c);
  }
  cost.source += deferred ? " less getppid's" : " + cleanup_latency_mean_ns, less getppid's";
  if (cost.seconds.empty()) return std::nullopt;
  return cost;
}

// A network namespace (and loopback brought up in it), from figure 4's
// container rates: the same container with and without it.
std::optional<StepCost> NetworkCost(const std::vector<RunData>& runs, const std::string& with,
                                    const std::string& without, const std::string& step, int c) {
  Match base = {{"namespaces", "ipc+mnt+pid+uts"}, {"held_netns", "0"}, {"threads", Threads(c)}};
  Match on = base, off = base;
  on["network"] = with;
  off["network"] = without;
  return Beyond(PerOp(runs, "", "container", on), PerOp(runs, "", "container", off), step);
}

const std::vector<Source>& Sources() {
  static const std::vector<Source> kSources = {
      {"process and request", [](const Recipe&) { return true; }, BareCost},
      {"cgroup: create and remove", [](const Recipe& r) { return r.cgroup == "create"; },
       CgroupCreateCost},
      {"root", [](const Recipe& r) { return r.root != "none"; }, RootCost},
      {"root switch", [](const Recipe& r) { return r.root_switch != "none"; }, SwitchCost},
      {"namespace: mnt",
       [](const Recipe& r) { return Has(r, "mnt") && r.root_switch != "pivot_root"; },
       MountNamespaceCost},
      {"namespace: net", [](const Recipe& r) { return Has(r, "net"); },
       [](const std::vector<RunData>& runs, const Recipe&, int c) {
         return NetworkCost(runs, "netns", "none", "namespace: net", c);
       }},
      {"loopback up", [](const Recipe& r) { return r.loopback; },
       [](const std::vector<RunData>& runs, const Recipe&, int c) {
         return NetworkCost(runs, "lo", "netns", "loopback up", c);
       }},
      {"namespace: cgroup", [](const Recipe& r) { return Has(r, "cgroup"); },
       [](const std::vector<RunData>& runs, const Recipe&, int c) {
         return TracedNamespaceCost(runs, "cgroup", c);
       }},
      {"mount /proc", [](const Recipe& r) { return r.mount_proc; },
       [](const std::vector<RunData>&, const Recipe&, int) -> std::optional<StepCost> {
         return std::nullopt;  // no experiment measures it yet
       }},
      {"namespace: ipc", [](const Recipe& r) { return Has(r, "ipc"); },
       [](const std::vector<RunData>& runs, const Recipe&, int c) {
         return TracedNamespaceCost(runs, "ipc", c);
       }},
      {"namespace: pid", [](const Recipe& r) { return Has(r, "pid"); },
       [](const std::vector<RunData>& runs, const Recipe&, int c) {
         return TracedNamespaceCost(runs, "pid", c);
       }},
      {"namespace: uts", [](const Recipe& r) { return Has(r, "uts"); },
       [](const std::vector<RunData>& runs, const Recipe&, int c) {
         return TracedNamespaceCost(runs, "uts", c);
       }},
  };
  return kSources;
}

// Choices the model does not price, said beside every prediction they touch.
std::vector<std::string> Unpriced(const Recipe& r) {
  std::vector<std::string> notes;
  if (r.cgroup == "pool") {
    notes.push_back(
        "joining a pooled cgroup is priced as free: it happens while the process "
        "starts");
  }
  return notes;
}

double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  double pos = q * static_cast<double>(v.size() - 1);
  size_t i = static_cast<size_t>(pos);
  double frac = pos - static_cast<double>(i);
  return i + 1 < v.size() ? v[i] * (1 - frac) + v[i + 1] * frac : v[i];
}

// The rate's 90% interval: each draw takes one repetition of every step.
void Bootstrap(Prediction& p) {
  std::mt19937_64 rng(12345);
  std::vector<double> rates;
  for (int d = 0; d < kDraws; ++d) {
    double total = 0;
    for (const StepCost& s : p.steps) {
      std::uniform_int_distribution<size_t> pick(0, s.seconds.size() - 1);
      total += s.seconds[pick(rng)];
    }
    if (total > 0) rates.push_back(1 / total);
  }
  if (rates.empty()) return;
  p.rate_low = Quantile(rates, kLow);
  p.rate_high = Quantile(rates, kHigh);
}

Recipe RecipeFromPoint(const std::string& name, const Point& point) {
  Recipe r;
  r.name = name;
  r.root = point.String("root");
  r.root_switch = point.String("root_switch");
  r.namespaces = point.List("namespaces");
  r.loopback = point.Bool("loopback");
  r.mount_proc = point.Bool("mount_proc");
  r.cgroup = point.String("cgroup");
  r.cgroup_version = point.String("cgroup_version");
  return r;
}

std::string RecipeName(const std::string& file) {
  return file.empty() ? "(no recipe)" : std::filesystem::path(file).stem().string();
}

bool Bare(const Recipe& r) {
  return r.root == "none" && r.namespaces.empty() && r.cgroup == "none";
}

// The measured rate and latency of the container experiment for a recipe.
void AddMeasurement(const std::vector<RunData>& runs, Prediction& p) {
  Match match = {{"root", p.recipe.root},
                 {"root_switch", p.recipe.root_switch},
                 {"namespaces", p.recipe.namespaces.empty()
                                    ? std::string("none")
                                    : fmt::format("{}", fmt::join(p.recipe.namespaces, "+"))},
                 {"loopback", p.recipe.loopback ? "true" : "false"},
                 {"mount_proc", p.recipe.mount_proc ? "true" : "false"},
                 {"cgroup", p.recipe.cgroup},
                 {"threads", Threads(p.threads)}};
  if (p.recipe.cgroup != "none") match["cgroup_version"] = p.recipe.cgroup_version;
  if (const CsvRow* row = FindRow(runs, "container_e2e", match, "ops_per_s", nullptr)) {
    p.measured_rate = std::stod(Cell(*row, "median"));
  }
  if (const CsvRow* row = FindRow(runs, "container_e2e", match, "latency_mean_ns", nullptr)) {
    p.measured_latency_s = std::stod(Cell(*row, "median")) * 1e-9;
  }
}

}  // namespace

int ThreadsOf(const RunData& run, const CsvRow& row) {
  try {
    return std::stoi(Cell(row, "threads"));
  } catch (const std::exception&) {
    throw Error(ErrorKind::kUsage, fmt::format("{}/results.csv: container_e2e row with threads "
                                               "'{}', not a number",
                                               run.dir, Cell(row, "threads")));
  }
}

Recipe LoadRecipe(const std::string& path) {
  const ExperimentSpec* container = FindExperiment("container_e2e");
  Point point = LoadPresetPoint(*container, path);
  if (std::string why = container->check(point); !why.empty()) {
    throw Error(ErrorKind::kUsage, fmt::format("{}: an impossible recipe: {}", path, why));
  }
  return RecipeFromPoint(RecipeName(path), point);
}

Recipe RecipeOfRow(const RunData& run, const CsvRow& row) {
  (void)run;
  Recipe r;
  r.name = RecipeName(Cell(row, "recipe"));
  r.root = Cell(row, "root");
  r.root_switch = Cell(row, "root_switch");
  r.namespaces = ListCell(Cell(row, "namespaces"));
  r.loopback = Cell(row, "loopback") == "true";
  r.mount_proc = Cell(row, "mount_proc") == "true";
  r.cgroup = Cell(row, "cgroup");
  r.cgroup_version = Cell(row, "cgroup_version");
  return r;
}

Prediction Predict(const std::vector<RunData>& runs, const Recipe& recipe, int threads) {
  Prediction p;
  p.recipe = recipe;
  p.threads = threads;
  for (const Source& source : Sources()) {
    if (!source.applies(recipe)) continue;
    std::optional<StepCost> cost = source.cost(runs, recipe, threads);
    if (!cost) {
      p.missing.push_back(source.step);
      continue;
    }
    cost->median = Summarize(cost->seconds).median;
    p.steps.push_back(std::move(*cost));
  }
  p.notes = Unpriced(recipe);

  double total = 0;
  for (const StepCost& s : p.steps)
    total += s.median;
  if (total <= 0) return p;
  p.rate = 1 / total;
  p.latency_s = threads * total;
  auto top = std::max_element(p.steps.begin(), p.steps.end(),
                              [](const auto& a, const auto& b) { return a.median < b.median; });
  p.limiting_step = top->step;
  p.limiting_share = top->median / total;
  Bootstrap(p);
  AddMeasurement(runs, p);
  return p;
}

std::vector<Prediction> Plan(const std::vector<RunData>& runs, const PlanOptions& options) {
  std::vector<Recipe> recipes;
  for (const std::string& file : options.recipes)
    recipes.push_back(LoadRecipe(file));

  // Without recipe files: every recipe (and concurrency) a run measured.
  std::vector<std::pair<Recipe, int>> targets;
  for (const RunData& run : runs) {
    for (const CsvRow& row : run.rows) {
      if (Cell(row, "experiment") != "container_e2e" || Cell(row, "metric") != "ops_per_s")
        continue;
      Recipe r = RecipeOfRow(run, row);
      if (Bare(r) || !recipes.empty()) continue;
      int c = ThreadsOf(run, row);
      if (!options.threads.empty() &&
          std::find(options.threads.begin(), options.threads.end(), c) == options.threads.end()) {
        continue;
      }
      targets.emplace_back(r, c);
    }
  }
  for (const Recipe& r : recipes) {
    for (int c : options.threads.empty() ? std::vector<int>{1} : options.threads)
      targets.emplace_back(r, c);
  }
  if (targets.empty()) {
    throw Error(ErrorKind::kUsage,
                "nothing to plan: give --recipe, or runs of the container_e2e experiment with "
                "recipes other than the bare one");
  }

  std::vector<Prediction> plan;
  std::set<std::string> seen;  // a run given twice, or two runs of the same recipe
  for (const auto& [recipe, c] : targets) {
    if (seen.insert(fmt::format("{} {}", recipe.name, c)).second) {
      plan.push_back(Predict(runs, recipe, c));
    }
  }
  return plan;
}

namespace {

std::string Rate(double r) {
  return r > 0 ? fmt::format("{:.0f}", r) : "-";
}

std::string Ms(double s) {
  return s > 0 ? fmt::format("{:.2f}", s * 1e3) : "-";
}

// (predicted - measured) / measured, when there is a measurement.
std::optional<double> RelativeError(const Prediction& p) {
  if (!p.measured_rate || *p.measured_rate <= 0 || p.rate <= 0) return std::nullopt;
  return (p.rate - *p.measured_rate) / *p.measured_rate;
}

std::string Verdict(const Prediction& p, double tolerance) {
  auto e = RelativeError(p);
  if (p.steps.empty()) return "no data";
  if (!p.missing.empty()) return "incomplete";  // a verdict on part of the cost says nothing
  if (!e) return "not measured";
  return std::abs(*e) <= tolerance ? "within" : "OUTSIDE";
}

}  // namespace

nlohmann::json PlanJson(const std::vector<Prediction>& plan, const PlanOptions& options) {
  nlohmann::json out = {{"tolerance", options.tolerance}, {"predictions", nlohmann::json::array()}};
  for (const Prediction& p : plan) {
    nlohmann::json steps = nlohmann::json::array();
    for (const StepCost& s : p.steps) {
      steps.push_back({{"step", s.step},
                       {"source", s.source},
                       {"seconds_per_op", s.seconds},
                       {"median_s", s.median}});
    }
    auto e = RelativeError(p);
    out["predictions"].push_back({
        {"recipe", p.recipe.name},
        {"threads", p.threads},
        {"predicted_ops_per_s", p.rate},
        {"predicted_ops_per_s_90", {p.rate_low, p.rate_high}},
        {"predicted_latency_s", p.latency_s},
        {"limiting_step", p.limiting_step},
        {"limiting_share", p.limiting_share},
        {"steps", steps},
        {"missing_steps", p.missing},
        {"notes", p.notes},
        {"measured_ops_per_s", p.measured_rate ? nlohmann::json(*p.measured_rate) : nullptr},
        {"measured_latency_s",
         p.measured_latency_s ? nlohmann::json(*p.measured_latency_s) : nullptr},
        {"error", e ? nlohmann::json(*e) : nullptr},
        {"verdict", Verdict(p, options.tolerance)},
    });
  }
  return out;
}

std::string PlanText(const std::vector<Prediction>& plan, const PlanOptions& options) {
  std::string out = fmt::format("{:<12} {:>7} {:>10} {:>15} {:>10} {:>8} {:>11} {:>12}  {}\n",
                                "recipe", "threads", "predicted", "90% interval", "measured",
                                "error", "latency ms", "verdict", "limiting step");
  for (const Prediction& p : plan) {
    auto e = RelativeError(p);
    out += fmt::format(
        "{:<12} {:>7} {:>10} {:>15} {:>10} {:>8} {:>11} {:>12}  {} ({:.0f}%)\n", p.recipe.name,
        p.threads, Rate(p.rate), fmt::format("{}-{}", Rate(p.rate_low), Rate(p.rate_high)),
        p.measured_rate ? Rate(*p.measured_rate) : "-", e ? fmt::format("{:+.0f}%", 100 * *e) : "-",
        Ms(p.latency_s), Verdict(p, options.tolerance), p.limiting_step, 100 * p.limiting_share);
  }
  out += fmt::format(
      "\nrates in containers/s; verdict: prediction within {:.0f}% of the "
      "measurement or not\n",
      100 * options.tolerance);
  std::vector<std::string> said;
  for (const Prediction& p : plan) {
    for (const std::string& m : p.missing) {
      std::string line =
          fmt::format("not measured by the runs given, left out of {}: {}", p.recipe.name, m);
      if (std::find(said.begin(), said.end(), line) == said.end()) said.push_back(line);
    }
    for (const std::string& n : p.notes) {
      std::string line = fmt::format("{}: {}", p.recipe.name, n);
      if (std::find(said.begin(), said.end(), line) == said.end()) said.push_back(line);
    }
  }
  for (const std::string& line : said)
    out += "note: " + line + "\n";
  return out;
}

std::string PlanMarkdown(const std::vector<Prediction>& plan, const PlanOptions& options) {
  std::string out =
      "| recipe | threads | predicted/s | 90% interval | measured/s | error | limiting step |\n"
      "|---|---:|---:|---:|---:|---:|---|\n";
  for (const Prediction& p : plan) {
    auto e = RelativeError(p);
    out += fmt::format("| {} | {} | {} | {}-{} | {} | {} | {} ({:.0f}%) |\n", p.recipe.name,
                       p.threads, Rate(p.rate), Rate(p.rate_low), Rate(p.rate_high),
                       p.measured_rate ? Rate(*p.measured_rate) : "-",
                       e ? fmt::format("{:+.0f}%", 100 * *e) : "-", p.limiting_step,
                       100 * p.limiting_share);
  }
  (void)options;
  return out;
}

}  // namespace isocost
