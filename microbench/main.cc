// isocost-microbench: every experiment's benchmarks over a built-in sweep,
// as a plain Google Benchmark binary. It takes Google Benchmark's own flags
// (--benchmark_filter, --benchmark_repetitions, --benchmark_out, ...) and
// its JSON works with Google Benchmark's tools/compare.py. Points this host
// cannot run are listed on stderr and not registered. Needs root.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <list>

#include "microbench/experiments.h"
#include "microbench/loop.h"
#include "primitives/error.h"
#include "primitives/guard.h"
#include "primitives/interrupt.h"
#include "primitives/process.h"

namespace isocost {
namespace {

int Main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return kExitUsage;
  if (geteuid() != 0) {
    std::fprintf(stderr, "isocost-microbench: needs root (it creates cgroups)\n");
    return kExitUnsupported;
  }

  RunLock lock;
  InstallInterruptHandlers();
  BecomeSubreaper();
  HostGuard guard("isocost-microbench-" + std::to_string(getpid()));
  std::list<PointRun> points;
  Budget budget{0, 0, 0};  // repetitions and time from --benchmark_* flags

  for (const ExperimentSpec& e : Experiments()) {
    for (const Point& p : ExpandSweep(e.Defaults(), e.microbench_sweep)) {
      std::string why = e.check(p);
      if (why.empty()) why = e.unsupported(p);
      if (!why.empty()) {
        std::fprintf(stderr, "skipping %s: %s\n", BenchmarkName(e, p).c_str(), why.c_str());
        continue;
      }
      points.emplace_back(e.make(p, guard), static_cast<int>(p.Int("threads")));
      RegisterPoint(BenchmarkName(e, p), &points.back(), budget);
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  int status = kExitOk;
  for (PointRun& point : points) {
    if (point.error()) {
      std::fprintf(stderr, "error: %s\n", point.error()->c_str());
      status = kExitFailure;
    }
    point.Finish();
  }
  return Interrupted() ? kExitInterrupted : status;
}

}  // namespace
}  // namespace isocost

int main(int argc, char** argv) {
  try {
    return isocost::Main(argc, argv);
  } catch (const isocost::Error& e) {
    std::fprintf(stderr, "isocost-microbench: error: %s\n", e.what());
    return isocost::ExitStatusFor(e.kind());
  }
}
