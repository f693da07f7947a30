// The timing loop every experiment runs through: a Google Benchmark
// benchmark per sweep point, timing each operation as well, so that the
// per-operation latency distribution is kept beside Google Benchmark's rate.
#pragma once

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "microbench/experiment.h"

namespace isocost {

// How long each repetition of a point runs.
struct Budget {
  double min_time_s = 0.5;  // used when iterations == 0
  int64_t iterations = 0;   // per thread; 0: run for min_time_s
  int repetitions = 5;
};

// What one Google Benchmark run of a point (all its threads) measured.
struct RunSamples {
  int64_t operations = 0;
  std::vector<int64_t> latencies_ns;  // every operation of every thread
  std::array<uint64_t, kMaxCounters> counters{};
  bool truncated = false;  // more operations than kMaxSamplesPerThread
};

inline constexpr size_t kMaxSamplesPerThread = size_t{1} << 22;

// A registered point: its workload, prepared once, and the samples of each
// Google Benchmark run, in the order the runs happened.
class PointRun {
 public:
  PointRun(std::unique_ptr<Workload> workload, int threads);
  ~PointRun();

  // Prepares the workload on first use; later calls wait for the first.
  void EnsurePrepared();
  // Releases the workload if it was prepared. Throws what Release throws.
  void Finish();

  // One thread's share of a run: its latency samples (capped), counters,
  // and how many operations it did.
  void AddThreadSamples(std::vector<int64_t>&& latencies,
                        const std::array<uint64_t, kMaxCounters>& counters, bool truncated,
                        int64_t operations);
  void SetError(const std::string& message);

  // The completed runs; the last `repetitions` are the reported ones (the
  // runs before them are Google Benchmark's iteration-count estimates).
  const std::vector<RunSamples>& runs() const { return runs_; }
  const std::optional<std::string>& error() const { return error_; }
  int threads() const { return threads_; }
  Workload* workload() { return workload_.get(); }

 private:
  std::unique_ptr<Workload> workload_;
  int threads_;
  std::once_flag prepare_once_;
  std::exception_ptr prepare_error_;
  bool prepared_ = false;
  std::mutex mu_;
  RunSamples current_;
  int threads_in_current_ = 0;
  std::vector<RunSamples> runs_;
  std::optional<std::string> error_;
};

// The benchmark function: times each operation, keeps the samples, stops
// on the first error or interruption.
void MeasureLoop(benchmark::State& state, PointRun* point);

// Registers a point with Google Benchmark, wall-clock timed. Budget fields
// that are zero are left to Google Benchmark's flags.
benchmark::internal::Benchmark* RegisterPoint(const std::string& name, PointRun* point,
                                              const Budget& budget);

}  // namespace isocost
