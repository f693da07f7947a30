// What an experiment is: its parameters, the counters it keeps, and the
// workload whose one operation is timed. The harness (configs, sweeps,
// results) and the standalone microbenchmark binary both consume this table.
// A new experiment is one file in microbench/ plus a row in experiments.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace isocost {

class HostGuard;

enum class ParamType { kInt, kDouble, kBool, kString, kStringList };
std::string_view TypeName(ParamType type);

using ParamValue = std::variant<int64_t, double, bool, std::string, std::vector<std::string>>;

// The value as it appears in results and benchmark names: lists are joined
// with '+', an empty list is "none".
std::string FormatValue(const ParamValue& value);

struct ParamSpec {
  std::string name;
  ParamType type;
  ParamValue default_value;
  std::string meaning;
  std::vector<std::string> choices;  // allowed strings or list items; empty: any
  double min = 0;                    // numeric range, inclusive
  double max = 0;
  // A string naming a preset: a YAML file of other parameters' values
  // (`params: {...}`), relative to the config that names it. The config
  // loader applies it to the point; the config's own params and sweep win.
  bool preset = false;

  // What values are allowed, in words ("an integer from 1 to 1024").
  std::string Allowed() const;
};

// One point of a sweep: a value for every parameter, in declaration order.
class Point {
 public:
  void Set(const std::string& name, ParamValue value);
  const ParamValue& Get(const std::string& name) const;
  int64_t Int(const std::string& name) const { return std::get<int64_t>(Get(name)); }
  double Double(const std::string& name) const { return std::get<double>(Get(name)); }
  bool Bool(const std::string& name) const { return std::get<bool>(Get(name)); }
  const std::string& String(const std::string& name) const {
    return std::get<std::string>(Get(name));
  }
  const std::vector<std::string>& List(const std::string& name) const {
    return std::get<std::vector<std::string>>(Get(name));
  }
  const std::vector<std::pair<std::string, ParamValue>>& values() const { return values_; }
  // "pattern=create threads=4 ..."
  std::string Describe() const;

 private:
  std::vector<std::pair<std::string, ParamValue>> values_;
};

// A per-operation counter an experiment keeps, reported per operation.
struct CounterSpec {
  std::string name;  // reported as <name>_per_op
  std::string unit;  // e.g. "retries/op"
  std::string meaning;
  std::string better = "lower";  // which direction is an improvement
};

inline constexpr size_t kMaxCounters = 8;

// What a workload measured itself during one repetition, beside the timing
// loop: values read from trace events or kernel counters, reasons not to
// trust the repetition, and files worth keeping (raw traces, time series).
struct Findings {
  // By name: one value for every metric in ExperimentSpec::workload_metrics.
  std::map<std::string, double> metrics;
  std::vector<std::string> untrustworthy;  // why this repetition cannot be trusted
  std::vector<std::string> notes;          // said in the point's note
  // Said once among the run's warnings (run.json and stderr), without
  // making results untrustworthy: a missing tracer the workload worked around.
  std::vector<std::string> warnings;
  // File name (no '/') and contents, kept in the run directory as
  // artifacts/point-<index>-rep-<repetition>-<name>.
  std::vector<std::pair<std::string, std::string>> artifacts;
};

// The timed part of an experiment at one point.
class Workload {
 public:
  virtual ~Workload() = default;
  // Untimed, single-threaded: readies the host for `threads` threads.
  virtual void Prepare(int threads) = 0;
  // Timed: one operation by thread `thread`; adds to counters[i] for the
  // experiment's i-th CounterSpec. Thread-safe across distinct threads.
  virtual void Operation(int thread, uint64_t* counters) = 0;
  // Untimed: undoes Prepare; also runs after a failed Prepare.
  virtual void Release() = 0;
  // Untimed, after Release: what the workload measured itself in this
  // repetition. Throwing fails the point (for example on lost trace events
  // when the config says so).
  virtual Findings TakeFindings() { return {}; }
};

struct ExperimentSpec {
  std::string name;
  std::string figure;  // the study's figure it reproduces, "" if none
  std::string summary;
  std::vector<ParamSpec> params;
  std::vector<CounterSpec> counters;
  // Metrics the workload reports itself through TakeFindings(), by name
  // (reported as is, unit and direction from the spec).
  std::vector<CounterSpec> workload_metrics;
  // Why a point can never run (an impossible combination), or "".
  std::function<std::string(const Point&)> check;
  // Why this host cannot run a point (missing privilege or kernel
  // feature), or "". Only reads the host.
  std::function<std::string(const Point&)> unsupported;
  std::function<std::unique_ptr<Workload>(const Point&, HostGuard&)> make;
  // The sweep the standalone microbenchmark binary registers.
  std::vector<std::pair<std::string, std::vector<ParamValue>>> microbench_sweep;

  const ParamSpec* FindParam(std::string_view param) const;
  // A point holding every parameter's default.
  Point Defaults() const;
};

// The Google Benchmark name of a point: "<experiment>/<param>:<value>/...",
// every parameter but threads (Google Benchmark appends "threads:N"). The
// same in a run's benchmark.json and in isocost-microbench's output.
std::string BenchmarkName(const ExperimentSpec& experiment, const Point& point);

const std::vector<ExperimentSpec>& Experiments();
const ExperimentSpec* FindExperiment(std::string_view name);

// Cartesian product of base with every combination of the swept values, the
// first sweep varying slowest.
std::vector<Point> ExpandSweep(
    const Point& base, const std::vector<std::pair<std::string, std::vector<ParamValue>>>& sweep);

}  // namespace isocost
