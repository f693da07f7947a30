#include "microbench/loop.h"

#include <chrono>
#include <exception>

#include "primitives/interrupt.h"

namespace isocost {

PointRun::PointRun(std::unique_ptr<Workload> workload, int threads)
    : workload_(std::move(workload)), threads_(threads) {}

PointRun::~PointRun() {
  try {
    Finish();
  } catch (...) {
    // The host-state guard undoes what Release could not.
  }
}

void PointRun::EnsurePrepared() {
  // call_once would run Prepare again in the next thread after a throw;
  // Prepare runs once, and its error reaches every thread.
  std::call_once(prepare_once_, [this] {
    prepared_ = true;  // Release must run even after a failed Prepare
    try {
      workload_->Prepare(threads_);
    } catch (...) {
      prepare_error_ = std::current_exception();
    }
  });
  if (prepare_error_) std::rethrow_exception(prepare_error_);
}

void PointRun::Finish() {
  if (!prepared_) return;
  prepared_ = false;
  workload_->Release();
}

void PointRun::AddThreadSamples(std::vector<int64_t>&& latencies,
                                const std::array<uint64_t, kMaxCounters>& counters, bool truncated,
                                int64_t operations) {
  std::lock_guard lock(mu_);
  current_.operations += operations;
  current_.latencies_ns.insert(current_.latencies_ns.end(), latencies.begin(), latencies.end());
  for (size_t i = 0; i < kMaxCounters; ++i)
    current_.counters[i] += counters[i];
  current_.truncated |= truncated;

  if (++threads_in_current_ == threads_) {
    runs_.push_back(std::move(current_));
    current_ = RunSamples{};
    threads_in_current_ = 0;
  }
}

void PointRun::SetError(const std::string& message) {
  std::lock_guard lock(mu_);
  if (!error_) error_ = message;
}

namespace {

// The loop itself; may throw outside an operation (out of memory).
void TimedLoop(benchmark::State& state, PointRun* point) {
  using Clock = std::chrono::steady_clock;
  std::vector<int64_t> latencies;
  std::array<uint64_t, kMaxCounters> counters{};
  bool truncated = false;
  int thread = state.thread_index();

  try {
    point->EnsurePrepared();
  } catch (const std::exception& e) {
    point->SetError(e.what());
    state.SkipWithError("preparing the point failed");
  }
  latencies.reserve(std::min<size_t>(static_cast<size_t>(state.max_iterations), 1 << 16));

  for (auto _ : state) {
    try {
      auto start = Clock::now();
      point->workload()->Operation(thread, counters.data());
      auto end = Clock::now();
      if (latencies.size() < kMaxSamplesPerThread) {
        latencies.push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
      } else {
        truncated = true;
      }
    } catch (const std::exception& e) {
      point->SetError(e.what());
      state.SkipWithError("an operation failed");
      break;
    }
    if (Interrupted()) {
      state.SkipWithError("interrupted");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  point->AddThreadSamples(std::move(latencies), counters, truncated,
                          static_cast<int64_t>(state.iterations()));
}

}  // namespace

void MeasureLoop(benchmark::State& state, PointRun* point) {
  // An exception must not leave a benchmark thread: it would end the
  // process before the host-state guard restores the host.
  try {
    TimedLoop(state, point);
  } catch (const std::exception& e) {
    point->SetError(std::string("measuring: ") + e.what());
    if (!state.error_occurred()) state.SkipWithError("measuring failed");
    point->AddThreadSamples({}, {}, false, 0);
  }
}

benchmark::internal::Benchmark* RegisterPoint(const std::string& name, PointRun* point,
                                              const Budget& budget) {
  auto* b = benchmark::RegisterBenchmark(name.c_str(), MeasureLoop, point);
  b->Threads(point->threads())->UseRealTime()->Unit(benchmark::kMicrosecond);
  // Zero leaves the setting to Google Benchmark's flags (the microbenchmark
  // binary's --benchmark_repetitions and --benchmark_min_time).
  if (budget.repetitions > 0) b->Repetitions(budget.repetitions);
  if (budget.iterations > 0) {
    b->Iterations(budget.iterations);
  } else if (budget.min_time_s > 0) {
    b->MinTime(budget.min_time_s);
  }
  return b;
}

}  // namespace isocost
