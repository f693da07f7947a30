// YAML experiment configs and suites: loading, validation and sweep
// expansion. Validation runs before anything touches the host; every
// problem found is reported with its file, line, column and key.
//
// An experiment config:
//   experiment: cgroup           # one of `isocost list`
//   name: fig5-cgroup            # optional; default: the file name
//   description: ...             # optional
//   params: {join: procs}        # fixed parameters; the rest take defaults
//   sweep:                       # cartesian product, first key slowest
//     pattern: [create, reuse]
//     threads: {pow2: {from: 1, to: 16}}   # or {range: {from, to, step}}
//   repetitions: 5
//   budget: {min_time_s: 0.5}    # or {iterations: N}, per repetition
//   quick_scale: 0.1             # --quick multiplies the budget by this
// A preset (for a parameter declared `preset`, such as the container
// experiment's recipe), a file named by that parameter's value:
//   preset: lean                 # its name
//   description: ...
//   params: {root: bind, cgroup: pool}
// A suite:
//   suite: default
//   configs: [fig5-cgroup.yaml]  # paths relative to the suite file
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "microbench/experiment.h"
#include "microbench/loop.h"
#include "primitives/error.h"

namespace isocost {

struct ConfigProblem {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
  std::string key;  // dotted path, "sweep.threads"
  std::string message;

  // "file:line:column: key: message"
  std::string Format() const;
};

// Every problem found in the configs given; thrown as a usage error.
class ConfigError : public Error {
 public:
  explicit ConfigError(std::vector<ConfigProblem> problems);
  const std::vector<ConfigProblem>& problems() const { return problems_; }

 private:
  std::vector<ConfigProblem> problems_;
};

struct ExperimentConfig {
  std::string file;  // as given
  std::string name;  // [A-Za-z0-9._-]+
  std::string description;
  std::string text;    // the file's text, kept in run.json
  std::string sha256;  // of text
  const ExperimentSpec* experiment = nullptr;
  std::vector<std::pair<std::string, std::vector<ParamValue>>> sweep;
  Budget budget;
  double quick_scale = 0.1;
  std::vector<Point> points;  // the expanded sweep
  struct Preset {
    std::string file;  // as named in the config, and its text
    std::string text;
  };
  std::vector<Preset> presets;  // the preset files the points use

  // The budget --quick uses: time or iterations scaled, points unchanged.
  Budget QuickBudget() const;
};

// Loads experiment configs and suites (whose configs are loaded in order).
// Throws ConfigError listing every problem; nothing is returned then.
// *name, when given, is the run's name: the suite's or config's name when one
// file is given, else "multi".
std::vector<ExperimentConfig> LoadConfigs(const std::vector<std::string>& paths,
                                          std::string* name = nullptr);
// The same for text in memory, as if read from `file`; suites may not be
// given this way. For tests.
ExperimentConfig ParseExperimentConfig(const std::string& text, const std::string& file);

// The parameter values of a preset file for `experiment` (every other
// parameter at its default). Throws ConfigError on any problem.
Point LoadPresetPoint(const ExperimentSpec& experiment, const std::string& file);

// Hex sha256 of data.
std::string Sha256Hex(const std::string& data);

inline constexpr size_t kMaxPoints = 100000;
inline constexpr uintmax_t kMaxConfigBytes = 1 << 20;

}  // namespace isocost
