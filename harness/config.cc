#include "harness/config.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "primitives/fs.h"

namespace isocost {
namespace {

const std::vector<std::string> kExperimentKeys = {
    "experiment", "name", "description", "params", "sweep", "repetitions", "budget", "quick_scale"};
const std::vector<std::string> kSuiteKeys = {"suite", "description", "configs"};
const std::vector<std::string> kPresetKeys = {"preset", "description", "params"};

std::string KnownExperiments() {
  std::vector<std::string> names;
  for (const ExperimentSpec& e : Experiments())
    names.push_back(e.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

// Collects problems while walking one file's YAML tree.
class Checker {
 public:
  explicit Checker(std::string file) : file_(std::move(file)) {}

  void Problem(const YAML::Mark& mark, const std::string& key, const std::string& message) {
    problems_.push_back({file_, mark.is_null() ? 0 : mark.line + 1,
                         mark.is_null() ? 0 : mark.column + 1, key, message});
  }
  void Problem(const YAML::Node& node, const std::string& key, const std::string& message) {
    Problem(node.Mark(), key, message);
  }

  // Checks that a map has only allowed, distinct keys; returns the keys'
  // nodes by name, for marks.
  std::map<std::string, YAML::Node> Keys(const YAML::Node& map, const std::string& where,
                                         const std::vector<std::string>& allowed) {
    std::map<std::string, YAML::Node> keys;
    for (const auto& kv : map) {
      std::string key = kv.first.Scalar();
      std::string path = where.empty() ? key : where + "." + key;
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        Problem(kv.first, path,
                fmt::format("unknown key; allowed here: {}", fmt::join(allowed, ", ")));
      } else if (!keys.emplace(key, kv.first).second) {
        Problem(kv.first, path, "duplicate key");
      }
    }
    return keys;
  }

  template <typename T>
  std::optional<T> Scalar(const YAML::Node& node, const std::string& key,
                          const std::string& allowed) {
    if (!node.IsScalar()) {
      Problem(node, key, "expected " + allowed + ", found a " + Kind(node));
      return std::nullopt;
    }
    try {
      return node.as<T>();
    } catch (const YAML::Exception&) {
      Problem(node, key, fmt::format("'{}' is not {}", node.Scalar(), allowed));
      return std::nullopt;
    }
  }

  std::optional<double> Number(const YAML::Node& node, const std::string& key, double min,
                               double max) {
    std::string allowed = fmt::format("a number from {:g} to {:g}", min, max);
    auto v = Scalar<double>(node, key, allowed);
    if (v && !(*v >= min && *v <= max)) {
      Problem(node, key, fmt::format("{:g} is out of range; allowed: {}", *v, allowed));
      return std::nullopt;
    }
    return v;
  }

  std::optional<int64_t> Integer(const YAML::Node& node, const std::string& key, int64_t min,
                                 int64_t max) {
    std::string allowed = fmt::format("an integer from {} to {}", min, max);
    // Plain decimal digits only: YAML would read 010 as octal and 0x10 as
    // hex, and a quoted "4" is a string.
    const std::string& text = node.IsScalar() ? node.Scalar() : "";
    bool decimal =
        node.IsScalar() && node.Tag() != "!" && !text.empty() &&
        text.find_first_not_of("0123456789", text[0] == '-' ? 1 : 0) == std::string::npos;
    if (node.IsScalar() && !decimal) {
      Problem(node, key, fmt::format("'{}' is not {}", text, allowed));
      return std::nullopt;
    }
    auto v = Scalar<int64_t>(node, key, allowed);
    if (v && text.size() > 1 && text[text[0] == '-' ? 1 : 0] == '0') v = std::stoll(text);
    if (v && (*v < min || *v > max)) {
      Problem(node, key, fmt::format("{} is out of range; allowed: {}", *v, allowed));
      return std::nullopt;
    }
    return v;
  }

  std::optional<ParamValue> Value(const ParamSpec& spec, const YAML::Node& node,
                                  const std::string& key);

  static std::string Kind(const YAML::Node& node) {
    if (node.IsMap()) return "map";
    if (node.IsSequence()) return "list";
    if (node.IsNull()) return "null";
    return "scalar";
  }

  const std::string& file() const { return file_; }
  void Add(const std::vector<ConfigProblem>& problems) {
    problems_.insert(problems_.end(), problems.begin(), problems.end());
  }
  // In the order they appear in the file.
  std::vector<ConfigProblem>& problems() {
    std::stable_sort(problems_.begin(), problems_.end(), [](const auto& a, const auto& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    return problems_;
  }

 private:
  std::string file_;
  std::vector<ConfigProblem> problems_;
};

bool Allowed(const ParamSpec& spec, const std::string& s) {
  return spec.choices.empty() ||
         std::find(spec.choices.begin(), spec.choices.end(), s) != spec.choices.end();
}

std::optional<ParamValue> Checker::Value(const ParamSpec& spec, const YAML::Node& node,
                                         const std::string& key) {
  switch (spec.type) {
    case ParamType::kInt: {
      auto v = Integer(node, key, static_cast<int64_t>(spec.min), static_cast<int64_t>(spec.max));
      return v ? std::optional<ParamValue>(*v) : std::nullopt;
    }
    case ParamType::kDouble: {
      auto v = Number(node, key, spec.min, spec.max);
      return v ? std::optional<ParamValue>(*v) : std::nullopt;
    }
    case ParamType::kBool: {
      auto v = Scalar<bool>(node, key, "true or false");
      return v ? std::optional<ParamValue>(*v) : std::nullopt;
    }
    case ParamType::kString: {
      auto v = Scalar<std::string>(node, key, spec.Allowed());
      if (v && !Allowed(spec, *v)) {
        Problem(node, key, fmt::format("'{}' is not allowed; allowed: {}", *v, spec.Allowed()));
        return std::nullopt;
      }
      return v ? std::optional<ParamValue>(*v) : std::nullopt;
    }
    case ParamType::kStringList:
      break;
  }
  if (!node.IsSequence()) {
    Problem(node, key, "expected " + spec.Allowed() + ", found a " + Kind(node));
    return std::nullopt;
  }
  std::vector<std::string> items;
  bool ok = true;
  for (const YAML::Node& item : node) {
    auto s = Scalar<std::string>(item, key, "a string");
    if (s && !Allowed(spec, *s)) {
      Problem(item, key, fmt::format("'{}' is not allowed; allowed: {}", *s, spec.Allowed()));
      s.reset();
    } else if (s && std::find(items.begin(), items.end(), *s) != items.end()) {
      Problem(item, key, fmt::format("'{}' is listed twice", *s));
      s.reset();
    }
    ok = ok && s.has_value();
    if (s) items.push_back(*s);
  }
  return ok ? std::optional<ParamValue>(items) : std::nullopt;
}

// A generated sweep: {pow2: {from: 1, to: 16}} or {range: {from, to, step}}.
std::vector<ParamValue> Generate(Checker& c, const ParamSpec& spec, const YAML::Node& node,
                                 const std::string& key) {
  if (spec.type != ParamType::kInt) {
    c.Problem(node, key,
              "pow2 and range generate integers; " + spec.name + " takes " + spec.Allowed());
    return {};
  }
  auto keys = c.Keys(node, key, {"pow2", "range"});
  if (keys.size() != 1) {
    c.Problem(node, key,
              "a generated sweep is exactly one of {pow2: {from, to}} or "
              "{range: {from, to, step}}");
    return {};
  }
  bool pow2 = keys.contains("pow2");
  std::string gkey = key + (pow2 ? ".pow2" : ".range");
  YAML::Node g = node[pow2 ? "pow2" : "range"];
  if (!g.IsMap()) {
    c.Problem(g, gkey, "expected a map with from and to" + std::string(pow2 ? "" : " and step"));
    return {};
  }
  std::vector<std::string> allowed = {"from", "to"};
  if (!pow2) allowed.push_back("step");
  auto gkeys = c.Keys(g, gkey, allowed);
  if (!gkeys.contains("from") || !gkeys.contains("to")) {
    c.Problem(g, gkey, "needs both from and to");
    return {};
  }
  auto lo = static_cast<int64_t>(spec.min), hi = static_cast<int64_t>(spec.max);
  auto from = c.Integer(g["from"], gkey + ".from", lo, hi);
  auto to = c.Integer(g["to"], gkey + ".to", lo, hi);
  auto step = pow2 || !gkeys.contains("step") ? std::optional<int64_t>(1)
                                              : c.Integer(g["step"], gkey + ".step", 1, hi);
  if (!from || !to || !step) return {};

  std::vector<ParamValue> values;
  for (int64_t v = *from; v <= *to; v = pow2 ? v * 2 : v + *step) {
    values.emplace_back(v);
    if (pow2 && v == 0) break;
  }
  if (values.empty()) {
    c.Problem(g, gkey, fmt::format("from {} is above to {}: the sweep is empty", *from, *to));
  }
  return values;
}

std::vector<ParamValue> SweepValues(Checker& c, const ParamSpec& spec, const YAML::Node& node,
                                    const std::string& key) {
  if (node.IsMap()) return Generate(c, spec, node, key);
  if (!node.IsSequence()) {
    c.Problem(node, key,
              "a sweep is a list of values or {pow2: ...} or {range: ...}; "
              "a single value belongs under params");
    return {};
  }
  if (node.size() == 0) {
    c.Problem(node, key, "empty sweep: list at least one value");
    return {};
  }
  std::vector<ParamValue> values;
  for (const YAML::Node& item : node) {
    if (auto v = c.Value(spec, item, key)) values.push_back(*v);
  }
  return values;
}

const ParamSpec* FindParamOrComplain(Checker& c, const ExperimentSpec& e, const YAML::Node& key,
                                     const std::string& path) {
  const ParamSpec* spec = e.FindParam(key.Scalar());
  if (spec == nullptr) {
    std::vector<std::string> names;
    for (const ParamSpec& p : e.params)
      names.push_back(p.name);
    c.Problem(key, path,
              fmt::format("experiment '{}' has no parameter '{}'; its parameters: {}", e.name,
                          key.Scalar(), fmt::join(names, ", ")));
  }
  return spec;
}

void ReadParams(Checker& c, const ExperimentSpec& e, const YAML::Node& node, Point& base) {
  if (!node.IsMap()) {
    c.Problem(node, "params", "expected a map of parameter: value, found a " + Checker::Kind(node));
    return;
  }
  std::vector<std::string> names;
  for (const ParamSpec& p : e.params)
    names.push_back(p.name);
  c.Keys(node, "params", names);
  for (const auto& kv : node) {
    const ParamSpec* spec = e.FindParam(kv.first.Scalar());
    if (spec == nullptr) continue;  // reported by Keys
    if (auto v = c.Value(*spec, kv.second, "params." + spec->name)) base.Set(spec->name, *v);
  }
}

void ReadSweep(Checker& c, const ExperimentSpec& e, const YAML::Node& node,
               const YAML::Node& params, ExperimentConfig& cfg) {
  if (!node.IsMap()) {
    c.Problem(node, "sweep", "expected a map of parameter: values, found a " + Checker::Kind(node));
    return;
  }
  std::set<std::string> seen;
  for (const auto& kv : node) {
    std::string key = "sweep." + kv.first.Scalar();
    const ParamSpec* spec = FindParamOrComplain(c, e, kv.first, key);
    if (spec == nullptr) continue;
    if (!seen.insert(spec->name).second) {
      c.Problem(kv.first, key, "duplicate key");
      continue;
    }
    if (params.IsDefined() && params.IsMap() && params[spec->name]) {
      c.Problem(kv.first, key, "is both fixed under params and swept; keep one");
      continue;
    }
    std::vector<ParamValue> values = SweepValues(c, *spec, kv.second, key);
    if (!values.empty()) cfg.sweep.emplace_back(spec->name, std::move(values));
  }
}

void ReadBudget(Checker& c, const YAML::Node& node, Budget& budget) {
  if (!node.IsMap()) {
    c.Problem(node, "budget", "expected {min_time_s: S} or {iterations: N}");
    return;
  }
  auto keys = c.Keys(node, "budget", {"min_time_s", "iterations"});
  if (keys.size() > 1) c.Problem(node, "budget", "give min_time_s or iterations, not both");
  if (keys.contains("min_time_s")) {
    if (auto v = c.Number(node["min_time_s"], "budget.min_time_s", 0.001, 3600)) {
      budget.min_time_s = *v;
    }
  }
  if (keys.contains("iterations")) {
    if (auto v = c.Integer(node["iterations"], "budget.iterations", 1, 1000000000)) {
      budget.iterations = *v;
    }
  }
}

std::optional<std::string> CheckedName(Checker& c, const YAML::Node& node, const std::string& key);

// The parameter values a preset file sets, checked against the experiment;
// nothing when it has problems, which go to c.
std::optional<Point> LoadPreset(Checker& c, const ExperimentSpec& e, const YAML::Node& where,
                                const std::string& key, const std::string& file,
                                std::string* text_out) {
  Checker pc(file);
  std::error_code ec;
  auto text = std::filesystem::is_regular_file(file, ec) &&
                      std::filesystem::file_size(file, ec) <= kMaxConfigBytes
                  ? TryReadFile(file)
                  : std::nullopt;
  if (!text) {
    c.Problem(where, key,
              fmt::format("cannot read the preset {}: not a readable file of at "
                          "most {} bytes",
                          file, kMaxConfigBytes));
    return std::nullopt;
  }
  Point values;
  std::optional<YAML::Node> root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::ParserException& ex) {
    pc.Problem(ex.mark, "", "malformed YAML: " + ex.msg);
  }
  if (root && (!root->IsMap() || !(*root)["params"])) {
    pc.Problem(*root, "", "expected a preset: a map with 'preset:' and 'params:'");
  } else if (root) {
    pc.Keys(*root, "", kPresetKeys);
    if ((*root)["preset"]) CheckedName(pc, (*root)["preset"], "preset");
    ReadParams(pc, e, (*root)["params"], values);
    for (const auto& [name, value] : values.values()) {
      if (e.FindParam(name)->preset)
        pc.Problem((*root)["params"], "params." + name,
                   "a preset "
                   "cannot name another preset");
    }
  }
  if (!pc.problems().empty()) {
    c.Add(pc.problems());
    return std::nullopt;
  }
  *text_out = *text;
  return values;
}

// Applies the presets the points name: their values replace the defaults,
// not what the config itself fixes or sweeps.
void ApplyPresets(Checker& c, const YAML::Node& root, ExperimentConfig& cfg) {
  std::set<std::string> explicit_keys;
  for (const char* section : {"params", "sweep"}) {
    if (root[section] && root[section].IsMap()) {
      for (const auto& kv : root[section])
        explicit_keys.insert(kv.first.Scalar());
    }
  }
  std::filesystem::path dir = std::filesystem::path(cfg.file).parent_path();
  std::map<std::string, std::optional<Point>> loaded;
  for (Point& p : cfg.points) {
    for (const ParamSpec& spec : cfg.experiment->params) {
      if (!spec.preset || p.String(spec.name).empty()) continue;
      const std::string& name = p.String(spec.name);
      bool swept = root["sweep"] && root["sweep"].IsMap() && root["sweep"][spec.name];
      std::string key = swept ? "sweep." : "params.";
      YAML::Node section = root[swept ? "sweep" : "params"];
      YAML::Node where =
          section && section.IsMap() && section[spec.name] ? section[spec.name] : root;
      if (!loaded.contains(name)) {
        std::string text;
        loaded[name] =
            LoadPreset(c, *cfg.experiment, where, key + spec.name, (dir / name).string(), &text);
        if (loaded[name]) cfg.presets.push_back({name, text});
      }
      if (!loaded[name]) continue;
      for (const auto& [param, value] : loaded[name]->values()) {
        if (!explicit_keys.contains(param)) p.Set(param, value);
      }
    }
  }
}

// Rejects points the experiment can never run, once per distinct reason.
void CheckPoints(Checker& c, const YAML::Node& root, ExperimentConfig& cfg) {
  std::string key = root["sweep"] ? "sweep" : "params";
  YAML::Node where = root[key] ? root[key] : root;
  std::set<std::string> reported;
  for (const Point& p : cfg.points) {
    std::string why = cfg.experiment->check(p);
    if (!why.empty() && reported.insert(why).second) {
      c.Problem(where, key, fmt::format("impossible point ({}): {}", p.Describe(), why));
    }
  }
}

std::string DefaultName(const std::string& file) {
  return std::filesystem::path(file).stem().string();
}

// A name that goes into directory names: 1 to 100 of [A-Za-z0-9._-].
std::optional<std::string> CheckedName(Checker& c, const YAML::Node& node, const std::string& key) {
  auto name = c.Scalar<std::string>(node, key, "a name");
  auto allowed = [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-';
  };
  bool dots = name && name->find_first_not_of('.') == std::string::npos;  // ".", ".."
  if (name && (name->empty() || dots || name->size() > 100 ||
               !std::all_of(name->begin(), name->end(), allowed))) {
    c.Problem(node, key, "use 1 to 100 letters, digits, '.', '_' and '-', not dots alone");
    return std::nullopt;
  }
  return name;
}

void ReadName(Checker& c, const YAML::Node& root, ExperimentConfig& cfg) {
  cfg.name = DefaultName(cfg.file);
  if (!root["name"]) return;
  if (auto name = CheckedName(c, root["name"], "name")) cfg.name = *name;
}

void ReadExperiment(Checker& c, const YAML::Node& root, ExperimentConfig& cfg) {
  auto keys = c.Keys(root, "", kExperimentKeys);
  auto name = c.Scalar<std::string>(root["experiment"], "experiment", "an experiment name");
  if (name) cfg.experiment = FindExperiment(*name);
  if (name && cfg.experiment == nullptr) {
    c.Problem(root["experiment"], "experiment",
              fmt::format("unknown experiment '{}'; known: {}", *name, KnownExperiments()));
  }
  ReadName(c, root, cfg);
  if (root["description"]) {
    cfg.description =
        c.Scalar<std::string>(root["description"], "description", "text").value_or("");
  }
  if (root["repetitions"]) {
    cfg.budget.repetitions =
        static_cast<int>(c.Integer(root["repetitions"], "repetitions", 1, 1000).value_or(5));
  }
  if (root["budget"]) ReadBudget(c, root["budget"], cfg.budget);
  if (root["quick_scale"]) {
    cfg.quick_scale = c.Number(root["quick_scale"], "quick_scale", 0.0001, 1).value_or(0.1);
  }
  if (cfg.experiment == nullptr) return;

  Point base = cfg.experiment->Defaults();
  if (root["params"]) ReadParams(c, *cfg.experiment, root["params"], base);
  if (root["sweep"]) ReadSweep(c, *cfg.experiment, root["sweep"], root["params"], cfg);
  if (!c.problems().empty()) return;

  size_t count = 1;
  for (const auto& [n, values] : cfg.sweep)
    count *= values.size();
  if (count > kMaxPoints) {
    c.Problem(root["sweep"], "sweep",
              fmt::format("{} points; at most {} are allowed", count, kMaxPoints));
    return;
  }
  cfg.points = ExpandSweep(base, cfg.sweep);
  ApplyPresets(c, root, cfg);
  if (!c.problems().empty()) return;
  CheckPoints(c, root, cfg);
}

std::optional<YAML::Node> LoadYaml(Checker& c, const std::string& text) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) {
      c.Problem(root, "", "expected a map with 'experiment:' (a config) or 'suite:' (a suite)");
      return std::nullopt;
    }
    return root;
  } catch (const YAML::ParserException& e) {
    c.Problem(e.mark, "", "malformed YAML: " + e.msg);
    return std::nullopt;
  }
}

ExperimentConfig ParseChecked(Checker& c, const YAML::Node& root, const std::string& text) {
  ExperimentConfig cfg;
  cfg.file = c.file();
  cfg.text = text;
  cfg.sha256 = Sha256Hex(text);
  ReadExperiment(c, root, cfg);
  return cfg;
}

class Loader {
 public:
  void Load(const std::string& path, std::vector<std::string>& stack) {
    std::string canonical = std::filesystem::weakly_canonical(path).string();
    Checker c(path);
    std::error_code ec;
    bool regular = std::filesystem::is_regular_file(path, ec);
    auto size = regular ? std::filesystem::file_size(path, ec) : 0;
    auto text = regular && size <= kMaxConfigBytes ? TryReadFile(path) : std::nullopt;
    if (!regular && std::filesystem::exists(path, ec)) {
      c.Problem(YAML::Mark::null_mark(), "", "not a regular file");
    } else if (size > kMaxConfigBytes) {
      c.Problem(YAML::Mark::null_mark(), "",
                fmt::format("{} bytes; a config is at most {}", size, kMaxConfigBytes));
    } else if (!text) {
      c.Problem(YAML::Mark::null_mark(), "", "cannot read the file: " + ReadError(path));
    } else if (std::find(stack.begin(), stack.end(), canonical) != stack.end()) {
      c.Problem(YAML::Mark::null_mark(), "", "the suite includes itself");
    } else if (auto root = LoadYaml(c, *text); root && (*root)["suite"]) {
      stack.push_back(canonical);
      LoadSuite(c, *root, path, stack);
      stack.pop_back();
    } else if (root && !(*root)["experiment"]) {
      c.Problem(*root, "", "neither 'experiment:' (a config) nor 'suite:' (a suite) is given");
    } else if (root) {
      configs_.push_back(ParseChecked(c, *root, *text));
      if (stack.empty()) names_.push_back(configs_.back().name);
    }
    problems_.insert(problems_.end(), c.problems().begin(), c.problems().end());
  }

  void LoadSuite(Checker& c, const YAML::Node& root, const std::string& path,
                 std::vector<std::string>& stack) {
    c.Keys(root, "", kSuiteKeys);
    auto name = CheckedName(c, root["suite"], "suite");
    if (name && stack.size() == 1) names_.push_back(*name);
    YAML::Node list = root["configs"];
    if (!list || !list.IsSequence() || list.size() == 0) {
      c.Problem(list ? list : root, "configs", "a suite needs a non-empty list of config paths");
      return;
    }
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    for (const YAML::Node& item : list) {
      auto rel = c.Scalar<std::string>(item, "configs", "a path");
      if (rel) Load((dir / *rel).string(), stack);
    }
  }

  static std::string ReadError(const std::string& path) {
    try {
      ReadFile(path);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "unknown error";
  }

  std::vector<ExperimentConfig> configs_;
  std::vector<ConfigProblem> problems_;
  std::vector<std::string> names_;  // of the files given: suite or config names
};

}  // namespace

std::string ConfigProblem::Format() const {
  std::string where = file;
  if (line > 0) where += fmt::format(":{}:{}", line, column);
  return fmt::format("{}: {}{}", where, key.empty() ? "" : key + ": ", message);
}

ConfigError::ConfigError(std::vector<ConfigProblem> problems)
    : Error(ErrorKind::kUsage,
            problems.empty()
                ? "invalid config"
                : problems.front().Format() +
                      (problems.size() > 1 ? fmt::format(" (and {} more)", problems.size() - 1)
                                           : "")),
      problems_(std::move(problems)) {}

Budget ExperimentConfig::QuickBudget() const {
  Budget quick = budget;
  quick.min_time_s = budget.min_time_s * quick_scale;
  if (budget.iterations > 0) {
    quick.iterations = std::max<int64_t>(
        1,
        static_cast<int64_t>(std::llround(static_cast<double>(budget.iterations) * quick_scale)));
  }
  return quick;
}

std::vector<ExperimentConfig> LoadConfigs(const std::vector<std::string>& paths,
                                          std::string* name) {
  Loader loader;
  for (const std::string& path : paths) {
    std::vector<std::string> stack;
    loader.Load(path, stack);
  }
  if (!loader.problems_.empty()) throw ConfigError(loader.problems_);
  if (name != nullptr) *name = loader.names_.size() == 1 ? loader.names_.front() : "multi";
  return loader.configs_;
}

ExperimentConfig ParseExperimentConfig(const std::string& text, const std::string& file) {
  Checker c(file);
  auto root = LoadYaml(c, text);
  ExperimentConfig cfg;
  if (root && !(*root)["experiment"]) {
    c.Problem(*root, "experiment", "missing: name the experiment (see `isocost list`)");
  } else if (root) {
    cfg = ParseChecked(c, *root, text);
  }
  if (!c.problems().empty()) throw ConfigError(c.problems());
  return cfg;
}

Point LoadPresetPoint(const ExperimentSpec& experiment, const std::string& file) {
  Checker c(file);
  std::string text;
  Point point = experiment.Defaults();
  if (auto values = LoadPreset(c, experiment, YAML::Node(), "", file, &text)) {
    for (const auto& [name, value] : values->values())
      point.Set(name, value);
  }
  if (!c.problems().empty()) throw ConfigError(c.problems());
  return point;
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i)
    hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace isocost
