#include "microbench/storage_tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <numeric>

#include "primitives/error.h"
#include "primitives/fs.h"

namespace isocost {
namespace {

// The directories of the base image, as in a small Debian root.
const std::vector<std::string> kBaseDirs = {
    "bin", "etc", "lib", "sbin", "usr/bin", "usr/lib", "usr/lib/python3", "usr/share", "var/lib"};
// Mount points SOCK's root needs in the base: packages, code, scratch.
const std::vector<std::string> kMountPoints = {"packages", "handler", "host", "tmp"};

// A deterministic generator, so every run builds the same tree.
uint64_t Next(uint64_t& state) {
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return state >> 33;
}

// 512 B to 64 KiB, spread evenly on a log scale.
int64_t FileSize(uint64_t& state) {
  int shift = 9 + static_cast<int>(Next(state) % 8);
  return (int64_t{1} << shift) + static_cast<int64_t>(Next(state) % 512);
}

void BuildBase(const std::string& base, int files) {
  uint64_t state = 42;

  MakeDir(base);
  for (const std::string& d : kMountPoints)
    MakeDir(base + "/" + d);
  std::vector<std::string> dirs;
  for (const std::string& d : kBaseDirs) {
    MakeDirectories(base + "/" + d);
    dirs.push_back(base + "/" + d);
  }
  // About 20 files a directory, as in /usr/lib's packages.
  for (int f = 0; f < files; ++f) {
    if (f % 20 == 0) {
      std::string parent = dirs[Next(state) % kBaseDirs.size()];
      dirs.push_back(parent + "/d" + std::to_string(f / 20));
      MakeDir(dirs.back());
    }
    MakeFile(dirs.back() + "/f" + std::to_string(f), FileSize(state));
  }
}

void BuildFlat(const std::string& dir, int files, int64_t bytes) {
  MakeDir(dir);
  for (int f = 0; f < files; ++f)
    MakeFile(dir + "/f" + std::to_string(f), bytes);
}

std::mutex registry_mu;
std::map<std::string, std::unique_ptr<StorageTree>>& Registry() {
  static std::map<std::string, std::unique_ptr<StorageTree>> trees;
  return trees;
}

}  // namespace

void MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) != 0) ThrowErrno("creating directory " + path);
}

void MakeFile(const std::string& path, int64_t bytes) {
  static const std::string kChunk = [] {
    std::string s(1 << 16, '\0');
    for (size_t i = 0; i < s.size(); ++i)
      s[i] = static_cast<char>('a' + i % 26);
    return s;
  }();
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) ThrowErrno("creating " + path);
  for (int64_t left = bytes; left > 0;) {
    size_t n = static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(kChunk.size())));
    ssize_t w = write(fd, kChunk.data(), n);
    if (w <= 0) {
      int err = errno;
      close(fd);
      throw SysError(err, "writing " + path);
    }
    left -= w;
  }
  close(fd);
}

StorageTree& StorageTree::For(HostGuard& guard) {
  std::lock_guard lock(registry_mu);
  auto& tree = Registry()[guard.path()];
  // A tree whose scratch the guard has undone (an earlier run) is rebuilt.
  if (tree && access(tree->packages_.c_str(), F_OK) != 0) tree.reset();
  if (!tree) tree.reset(new StorageTree(guard));
  return *tree;
}

StorageTree::StorageTree(HostGuard& guard) {
  scratch_ = MakeScratch(guard, "/run/isocost-storage-" + std::to_string(getpid()));
  packages_ = scratch_.path + "/pkg";
  BuildFlat(packages_, 200, 8192);
  MakeDir(scratch_.path + "/l");
}

std::string StorageTree::Base(int files) {
  std::lock_guard lock(mu_);
  auto& base = bases_[files];
  if (base.empty()) {
    std::string path = scratch_.path + "/b" + std::to_string(files);
    BuildBase(path, files);
    base = path;
  }
  return base;
}

std::string StorageTree::Layer(int k) {
  std::lock_guard lock(mu_);
  auto& layer = layers_[k];
  if (layer.empty()) {
    std::string path = scratch_.path + "/l/" + std::to_string(k);
    BuildFlat(path, 16, 4096);
    layer = path;
  }
  return layer;
}

std::string StorageTree::MakePointDir() {
  std::lock_guard lock(mu_);
  std::string dir = scratch_.path + "/isocost-p" + std::to_string(++next_point_);
  MakeDir(dir);
  return dir;
}

void StorageTree::RemovePointDir(const std::string& dir) {
  RemoveOwnedTree(dir);
}

SampleSummary SummarizeSamples(std::vector<int64_t> samples) {
  SampleSummary s;
  s.count = samples.size();
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size()))) - 1;
    return static_cast<double>(samples[std::min(i, samples.size() - 1)]);
  };
  s.p50 = at(0.50);
  s.p90 = at(0.90);
  s.p99 = at(0.99);
  s.max = static_cast<double>(samples.back());
  s.mean =
      std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
  return s;
}

void AddLatencyMetrics(const std::string& prefix, const SampleSummary& s, Findings& findings) {
  findings.metrics[prefix + "_latency_p50_ns"] = s.p50;
  findings.metrics[prefix + "_latency_p90_ns"] = s.p90;
  findings.metrics[prefix + "_latency_p99_ns"] = s.p99;
  findings.metrics[prefix + "_latency_max_ns"] = s.max;
  findings.metrics[prefix + "_latency_mean_ns"] = s.mean;
}

std::vector<CounterSpec> LatencyMetricSpecs(const std::string& prefix, const std::string& what) {
  std::vector<CounterSpec> specs;
  for (const char* stat : {"p50", "p90", "p99", "max", "mean"}) {
    specs.push_back({prefix + "_latency_" + stat + "_ns", "ns", std::string(stat) + " of " + what});
  }
  return specs;
}

std::vector<int64_t> JoinSamples(const std::vector<std::vector<int64_t>>& per_thread) {
  std::vector<int64_t> all;
  for (const auto& v : per_thread)
    all.insert(all.end(), v.begin(), v.end());
  return all;
}

}  // namespace isocost
