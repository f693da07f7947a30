// The storage experiments on the real kernel: a small sweep of each runs,
// unsupported backends are reported as such, and the host keeps no isocost
// mount, scratch directory, helper process or journal after a normal run,
// after SIGINT, and after SIGKILL followed by `isocost cleanup`.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "cli.h"
#include "primitives/fs.h"
#include "primitives/mount.h"

namespace isocost::test {
namespace {

namespace fs = std::filesystem;

// Every experiment, every backend, tiny budgets.
const char* kSuite = "suite: small\nconfigs: [mount.yaml, cow.yaml, switch.yaml, umount.yaml]\n";
const char* kMount = R"(experiment: storage
sweep:
  backend: [bind, overlay, aufs, fuse-overlayfs]
  threads: [1, 2]
repetitions: 2
budget: {iterations: 10}
)";
const char* kCow = R"(experiment: storage_cow
sweep:
  backend: [bind, overlay, fuse-overlayfs]
  operation: [write, delete]
repetitions: 2
budget: {iterations: 20}
)";
const char* kSwitch = R"(experiment: switch_root
sweep:
  method: [chroot, mntns, pivot_root]
  threads: [1, 2]
repetitions: 2
budget: {iterations: 50}
)";
// 25 umounts of 10 mounts: the last round is left half done for Release.
const char* kUmount = R"(experiment: umount
sweep:
  mounts: [10]
  umount: [normal, lazy]
repetitions: 2
budget: {iterations: 25}
)";

// Long enough to be caught mid-point with a fuse-overlayfs mount and its
// process in place, and with many tmpfs mounts.
const char* kLong = R"(experiment: storage_cow
sweep:
  backend: [fuse-overlayfs, overlay]
  operation: [write, delete]
repetitions: 3
budget: {min_time_s: 2}
)";

std::string ScratchOf(pid_t pid) {
  return "/run/isocost-storage-" + std::to_string(pid);
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(text.substr(start, nl - start));
  return lines;
}

// Lines of this process's mountinfo that belong to the run's scratch tree.
std::vector<std::string> MountsOf(pid_t pid) {
  std::vector<std::string> found;
  for (const std::string& line : SplitLines(ReadText("/proc/self/mountinfo"))) {
    if (line.find(ScratchOf(pid)) != std::string::npos) found.push_back(line);
  }
  return found;
}

// Processes whose command line names the run's scratch tree (fuse-overlayfs).
std::vector<pid_t> HelpersOf(pid_t pid) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = TryReadFile(e.path().string() + "/cmdline").value_or("");
    if (cmdline.find(ScratchOf(pid)) != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

void ExpectNothingLeft(pid_t pid) {
  EXPECT_TRUE(MountsOf(pid).empty()) << MountsOf(pid).front();
  EXPECT_FALSE(fs::exists(ScratchOf(pid)));
  EXPECT_TRUE(HelpersOf(pid).empty());
  EXPECT_TRUE(JournalsOf(pid).empty());
}

// Waits until a point of the run has mounted something in its scratch tree.
bool WaitForPointMounts(pid_t pid) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    for (const std::string& line : MountsOf(pid)) {
      if (line.find("/isocost-p") != std::string::npos) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

using Row = std::map<std::string, std::string>;

std::vector<Row> Rows(const std::string& csv) {
  std::vector<std::vector<std::string>> raw = ReadCsv(csv);
  std::vector<Row> rows;
  for (size_t i = 1; i < raw.size(); ++i) {
    Row r;
    for (size_t c = 0; c < raw[0].size() && c < raw[i].size(); ++c)
      r[raw[0][c]] = raw[i][c];
    rows.push_back(r);
  }
  return rows;
}

TEST(StorageRun, EveryExperimentRunsAndLeavesNothing) {
  REQUIRE_ROOT();
  TempDir tmp;
  tmp.Write("mount.yaml", kMount);
  tmp.Write("cow.yaml", kCow);
  tmp.Write("switch.yaml", kSwitch);
  tmp.Write("umount.yaml", kUmount);
  std::string suite = tmp.Write("small.yaml", kSuite);
  std::string out = tmp.path() + "/out";

  pid_t pid = StartCli({"run", "--out", out, suite}, tmp.path());
  ASSERT_EQ(WaitCli(pid), 0) << ReadText(tmp.path() + "/stderr");
  ExpectNothingLeft(pid);

  bool aufs = FilesystemMissing("aufs").empty();
  bool fuse = FuseOverlayfsMissing().empty();
  std::map<std::string, int> points;
  for (const Row& r : Rows(out + "/results.csv")) {
    if (r.at("experiment") == "harness" || r.at("metric") != "ops_per_s") continue;
    ++points[r.at("experiment")];
    const std::string& backend = r.at("backend");
    bool missing = (backend == "aufs" && !aufs) || (backend == "fuse-overlayfs" && !fuse);
    std::string where = r.at("experiment") + " point " + r.at("point");
    if (missing) {
      EXPECT_EQ(r.at("status"), "unsupported") << where;
      EXPECT_NE(r.at("note").find(backend == "aufs" ? "aufs" : "fuse"), std::string::npos)
          << r.at("note");
    } else {
      EXPECT_EQ(r.at("status"), "ok") << where << ": " << r.at("note");
      EXPECT_GT(std::stod(r.at("value")), 0) << where;
    }
  }
  EXPECT_EQ(points["storage"], 8);
  EXPECT_EQ(points["storage_cow"], 6);
  EXPECT_EQ(points["switch_root"], 6);
  EXPECT_EQ(points["umount"], 2);
  EXPECT_TRUE(fs::exists(out + "/artifacts/point-22-rep-0-umount-series.csv"));
}

TEST(StorageRun, UmountMetricsAreFractionsOfTheUmounts) {
  REQUIRE_ROOT();
  TempDir tmp;
  std::string config = tmp.Write("umount.yaml", kUmount);
  std::string out = tmp.path() + "/out";

  pid_t pid = StartCli({"run", "--out", out, config}, tmp.path());
  ASSERT_EQ(WaitCli(pid), 0) << ReadText(tmp.path() + "/stderr");
  ExpectNothingLeft(pid);
  int checked = 0;
  for (const Row& r : Rows(out + "/results.csv")) {
    if (r.at("metric") != "umount_offcpu_fraction" &&
        r.at("metric") != "umount_sleeps_per_umount") {
      continue;
    }
    double v = std::stod(r.at("value"));
    EXPECT_GE(v, 0) << r.at("metric");
    EXPECT_LE(v, 1) << r.at("metric");
    ++checked;
  }
  EXPECT_EQ(checked, 4);
  // The series holds one complete round: a line per mount, 10 down to 1.
  std::vector<std::vector<std::string>> series =
      ReadCsv(out + "/artifacts/point-1-rep-0-umount-series.csv");
  ASSERT_EQ(series.size(), 11u);
  EXPECT_EQ(series[1][0], "10");
  EXPECT_EQ(series[10][0], "1");
}

TEST(StorageSafety, InterruptedRunUnmountsEverything) {
  REQUIRE_ROOT();
  TempDir tmp;
  std::string config = tmp.Write("long.yaml", kLong);
  pid_t pid = StartCli({"run", "--out", tmp.path() + "/out", config}, tmp.path());
  ASSERT_TRUE(WaitForPointMounts(pid)) << ReadText(tmp.path() + "/stderr");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  kill(pid, SIGINT);
  EXPECT_EQ(WaitCli(pid), 130) << ReadText(tmp.path() + "/stderr");
  ExpectNothingLeft(pid);
}

TEST(StorageSafety, KilledRunIsUnmountedByCleanup) {
  REQUIRE_ROOT();
  TempDir tmp;
  std::string config = tmp.Write("long.yaml", kLong);
  pid_t pid = StartCli({"run", "--out", tmp.path() + "/out", config}, tmp.path());
  ASSERT_TRUE(WaitForPointMounts(pid)) << ReadText(tmp.path() + "/stderr");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  kill(pid, SIGKILL);
  EXPECT_EQ(WaitCli(pid), 128 + SIGKILL);
  ASSERT_FALSE(MountsOf(pid).empty()) << "a killed run cannot unmount by itself";
  ASSERT_TRUE(fs::exists(ScratchOf(pid)));

  CliResult cleanup = RunCli({"cleanup"});
  EXPECT_EQ(cleanup.status, 0) << cleanup.out << cleanup.err;
  EXPECT_NE(cleanup.out.find(ScratchOf(pid)), std::string::npos) << cleanup.out;
  // fuse-overlayfs dies with the thread that started it (PR_SET_PDEATHSIG).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!HelpersOf(pid).empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ExpectNothingLeft(pid);
}

}  // namespace
}  // namespace isocost::test
