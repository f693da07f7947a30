// isocost restores the host: after SIGKILL plus `isocost cleanup`, after
// SIGINT, and an invalid config changes nothing at all.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli.h"

namespace isocost::test {
namespace {

// Long enough to be caught mid-sweep: both versions, pools, 2 s per point.
const char* kLong = R"(experiment: cgroup
name: long
sweep:
  cgroup_version: [v2, v1]
  pattern: [reuse, create]
  threads: [4, 1]
repetitions: 3
budget: {min_time_s: 2}
)";

// Processes running the isocost binary (a run and the children it forks).
std::vector<pid_t> IsocostProcesses() {
  static const std::string kBinary = std::filesystem::canonical(ISOCOST_BIN).string();
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code link_ec;
    std::string exe = std::filesystem::read_symlink(e.path() / "exe", link_ec).string();
    if (exe.size() > 10 && exe.ends_with(" (deleted)")) exe.resize(exe.size() - 10);
    if (!link_ec && exe == kBinary) found.push_back(std::stoi(name));
  }
  return found;
}

// Waits until the run has made cgroups (it is mid-point) or times out.
bool WaitForCgroups(pid_t pid) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!CgroupsOf(pid).empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(Safety, KilledRunIsUndoneByCleanup) {
  REQUIRE_ROOT();
  TempDir tmp;
  std::string config = tmp.Write("long.yaml", kLong);
  pid_t pid = StartCli({"run", "--out", tmp.path() + "/out", config}, tmp.path());
  ASSERT_TRUE(WaitForCgroups(pid)) << ReadText(tmp.path() + "/stderr");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // mid-measurement

  kill(pid, SIGKILL);
  EXPECT_EQ(WaitCli(pid), 128 + SIGKILL);
  std::vector<std::string> left = CgroupsOf(pid);
  ASSERT_FALSE(left.empty()) << "a killed run cannot clean up after itself";
  ASSERT_EQ(JournalsOf(pid).size(), 1u);

  CliResult cleanup = RunCli({"cleanup"});
  EXPECT_EQ(cleanup.status, 0) << cleanup.out << cleanup.err;
  EXPECT_NE(cleanup.out.find("undone; journal removed"), std::string::npos) << cleanup.out;
  EXPECT_TRUE(CgroupsOf(pid).empty());
  EXPECT_TRUE(JournalsOf(pid).empty());
  for (const std::string& dir : left)
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
  EXPECT_TRUE(IsocostProcesses().empty()) << "a child of the killed run is still alive";

  CliResult again = RunCli({"cleanup"});
  EXPECT_EQ(again.status, 0);
  EXPECT_EQ(again.out.find(std::to_string(pid)), std::string::npos) << again.out;
}

TEST(Safety, InterruptedRunRestoresTheHostAndKeepsItsResults) {
  REQUIRE_ROOT();
  TempDir tmp;
  std::string config = tmp.Write("long.yaml", kLong);
  std::string out = tmp.path() + "/out";
  pid_t pid = StartCli({"run", "--out", out, config}, tmp.path());
  ASSERT_TRUE(WaitForCgroups(pid));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  kill(pid, SIGINT);
  EXPECT_EQ(WaitCli(pid), 130) << ReadText(tmp.path() + "/stderr");
  EXPECT_TRUE(CgroupsOf(pid).empty());
  EXPECT_TRUE(JournalsOf(pid).empty());
  auto run = nlohmann::json::parse(ReadText(out + "/run.json"));
  EXPECT_EQ(run["status"], "interrupted");
}

TEST(Safety, CleanupLeavesALiveRunAlone) {
  REQUIRE_ROOT();
  TempDir tmp;
  std::string config = tmp.Write("long.yaml", kLong);
  pid_t pid = StartCli({"run", "--out", tmp.path() + "/out", config}, tmp.path());
  ASSERT_TRUE(WaitForCgroups(pid));

  CliResult cleanup = RunCli({"cleanup"});
  EXPECT_NE(cleanup.out.find("still running"), std::string::npos) << cleanup.out;
  EXPECT_FALSE(CgroupsOf(pid).empty());
  EXPECT_EQ(JournalsOf(pid).size(), 1u);

  kill(pid, SIGTERM);
  EXPECT_EQ(WaitCli(pid), 130);
  EXPECT_TRUE(CgroupsOf(pid).empty());
  EXPECT_TRUE(JournalsOf(pid).empty());
}

std::vector<std::string> JournalDirEntries() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/run/isocost", ec)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(Safety, InvalidConfigWritesNothingAndTouchesNothing) {
  std::vector<std::string> journals = JournalDirEntries();
  std::string mounts = ReadText("/proc/self/mountinfo");
  TempDir tmp;
  std::string config = tmp.Write("bad.yaml", "experiment: cgroup\nsweep:\n  threads: [1, x]\n");
  std::string out = tmp.path() + "/out";
  pid_t pid = StartCli({"run", "--out", out, config}, tmp.path());

  EXPECT_EQ(WaitCli(pid), 2);
  std::string err = ReadText(tmp.path() + "/stderr");
  EXPECT_NE(err.find("bad.yaml:3:16: sweep.threads:"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_TRUE(JournalsOf(pid).empty());
  EXPECT_TRUE(CgroupsOf(pid).empty());
  EXPECT_EQ(JournalDirEntries(), journals);
  EXPECT_EQ(ReadText("/proc/self/mountinfo"), mounts);
}

TEST(Safety, ValidateReportsLineAndColumn) {
  TempDir tmp;
  std::string config = tmp.Write("v.yaml", "experiment: cgroup\nparams:\n  pool_size: 0\n");
  CliResult r = RunCli({"validate", config});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("v.yaml:3:14: params.pool_size: 0 is out of range"), std::string::npos)
      << r.err;
  CliResult good = RunCli({"validate", std::string(ISOCOST_SOURCE_DIR) + "/configs/default.yaml"});
  EXPECT_EQ(good.status, 0) << good.err;
}

TEST(Safety, DoctorReportsWithoutChangingMounts) {
  std::string before = ReadText("/proc/self/mountinfo");
  CliResult r = RunCli({"doctor", "--json"});
  EXPECT_EQ(r.status, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << r.out;
  std::vector<std::string> sections;
  for (const auto& s : doc["sections"])
    sections.push_back(s["name"]);
  for (const char* name : {"privilege", "kernel", "cgroups", "tracing", "filesystems"}) {
    EXPECT_NE(std::find(sections.begin(), sections.end(), name), sections.end()) << name;
  }
  EXPECT_EQ(ReadText("/proc/self/mountinfo"), before);
}

TEST(Safety, UnknownCommandIsAUsageError) {
  EXPECT_EQ(RunCli({"frobnicate"}).status, 2);
  EXPECT_EQ(RunCli({"run"}).status, 2);
  EXPECT_EQ(RunCli({"--help"}).status, 0);
}

}  // namespace
}  // namespace isocost::test
