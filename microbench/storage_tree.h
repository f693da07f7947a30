// The file trees the storage experiments mount: built once per run in a
// guarded scratch tmpfs, /run/isocost-storage-<pid>, and shared by every
// point of the run. It holds
//   b<files>/   a base image: <files> files of 512 B to 64 KiB in a
//               Debian-like layout, with the mount points SOCK uses
//               (packages, handler, host);
//   pkg/        a package directory (200 files);
//   l/<k>/      small extra layers (16 files each) for union mounts;
//   isocost-p<n>/  one directory per prepared point, removed by its Release.
// Why a tmpfs in /run: the base stays in memory, as SOCK keeps its base
// image, so no disk enters the timings; and the tree lives where the
// journal that undoes it lives (both gone at boot where /run is a tmpfs).
// Undoing the scratch mount detaches every mount an experiment left below.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "microbench/experiment.h"
#include "primitives/guard.h"
#include "primitives/mount.h"

namespace isocost {

class StorageTree {
 public:
  // The tree of the run that guard journals, made on first use.
  static StorageTree& For(HostGuard& guard);

  // The base image with `files` files, built on first use.
  std::string Base(int files);
  const std::string& packages() const { return packages_; }
  // Extra layer k (1-based), built on first use.
  std::string Layer(int k);
  // A fresh directory for one prepared point; remove it with RemovePointDir
  // once nothing is mounted below it.
  std::string MakePointDir();
  void RemovePointDir(const std::string& dir);

  const std::string& root() const { return scratch_.path; }

 private:
  explicit StorageTree(HostGuard& guard);

  Scratch scratch_;
  std::string packages_;
  std::mutex mu_;
  std::map<int, std::string> bases_;
  std::map<int, std::string> layers_;
  int next_point_ = 0;
};

// Creates a directory (mode 0755); throws naming it.
void MakeDir(const std::string& path);
// Creates a file of `bytes` bytes filled with a pattern.
void MakeFile(const std::string& path, int64_t bytes);

// Percentiles and mean of latency samples (ns), for a workload's Findings.
struct SampleSummary {
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
  size_t count = 0;
};
SampleSummary SummarizeSamples(std::vector<int64_t> samples);
// Puts <prefix>_latency_{p50,p90,p99,max,mean}_ns into findings.
void AddLatencyMetrics(const std::string& prefix, const SampleSummary& s, Findings& findings);
// The CounterSpecs of those five metrics, for ExperimentSpec::workload_metrics.
std::vector<CounterSpec> LatencyMetricSpecs(const std::string& prefix, const std::string& what);
// Samples of all threads, joined.
std::vector<int64_t> JoinSamples(const std::vector<std::vector<int64_t>>& per_thread);

}  // namespace isocost
