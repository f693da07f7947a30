// Figure 2 (mntns) on the real kernel: it measures create and destroy, the
// netns pins are seen or not as configured, and the host is restored after
// a normal run, SIGINT, and SIGKILL followed by `isocost cleanup`.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli.h"

namespace isocost::test {
namespace {

namespace fs = std::filesystem;

// Long enough to be caught while its pins are mounted.
const char* kLong = R"(experiment: mntns
name: long
sweep:
  hold: [bind]
  existing: [20000, 30000]
repetitions: 3
budget: {iterations: 2000}
)";

std::string PinPrefix(pid_t pid) {
  return "/run/isocost-pins-" + std::to_string(pid) + "-";
}

// Mounts of the run's pin directories in this mount namespace.
size_t PinMountsOf(pid_t pid) {
  std::string table = ReadText("/proc/self/mountinfo");
  std::string prefix = " " + PinPrefix(pid);
  size_t n = 0;
  for (size_t at = table.find(prefix); at != std::string::npos; at = table.find(prefix, at + 1))
    ++n;
  return n;
}

std::vector<std::string> PinDirsOf(pid_t pid) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/run", ec)) {
    if (e.path().string().rfind(PinPrefix(pid), 0) == 0) found.push_back(e.path());
  }
  return found;
}

// Holder and creator processes of any run (their names are isocost's own),
// zombies left out: they have let go of their namespaces and files.
std::vector<pid_t> Helpers() {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string comm = ReadText(e.path().string() + "/comm");
    if (comm != "isocost-holder\n" && comm != "isocost-creator\n") continue;
    std::string stat = ReadText(e.path().string() + "/stat");
    size_t close = stat.rfind(')');
    if (close != std::string::npos && stat.substr(close + 2, 1) != "Z") {
      found.push_back(std::stoi(name));
    }
  }
  return found;
}

// Helpers killed with their run exit on their own; closing thousands of
// namespace fds takes them a while.
bool HelpersGone() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!Helpers().empty()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

void ExpectNothingLeft(pid_t pid) {
  EXPECT_EQ(PinMountsOf(pid), 0u);
  EXPECT_TRUE(PinDirsOf(pid).empty());
  EXPECT_TRUE(HelpersGone()) << "a holder or creator process is still alive";
  EXPECT_TRUE(JournalsOf(pid).empty());
}

bool WaitForPins(pid_t pid) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (PinMountsOf(pid) > 1000) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// "hold=bind existing=300" -> metric -> median, from results.csv.
using Table = std::map<std::string, std::map<std::string, double>>;

Table ReadTable(const std::string& csv, const std::vector<std::string>& keys) {
  std::vector<std::vector<std::string>> rows = ReadCsv(csv);
  std::vector<std::string> header = rows.at(0);
  auto column = [&](const std::string& name) {
    return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  Table table;
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i][column("experiment")] != "mntns") continue;
    EXPECT_EQ(rows[i][column("status")], "ok") << rows[i][column("note")];
    std::string point;
    for (const std::string& k : keys)
      point += k + "=" + rows[i][column(k)] + " ";
    table[point][rows[i][column("metric")]] = std::stod(rows[i][column("median")]);
  }
  return table;
}

TEST(Mntns, MeasuresCreateAndDestroyAndLeavesNothing) {
  REQUIRE_ROOT();
  TempDir tmp;
  std::string config = tmp.Write("m.yaml", R"(experiment: mntns
sweep:
  hold: [fd, bind]
  existing: [0, 300]
repetitions: 1
budget: {iterations: 30}
)");
  std::string out = tmp.path() + "/out";
  pid_t pid = StartCli({"run", "--out", out, config}, tmp.path());
  ASSERT_EQ(WaitCli(pid), 0) << ReadText(tmp.path() + "/stderr");

  Table t = ReadTable(out + "/results.csv", {"hold", "existing"});
  ASSERT_EQ(t.size(), 4u);
  for (const auto& [point, m] : t) {
    EXPECT_GT(m.at("create_ops_per_s"), 0) << point;
    EXPECT_GT(m.at("destroy_ops_per_s"), 0) << point;
    EXPECT_GT(m.at("chroot_ops_per_s"), m.at("create_ops_per_s")) << point;
    EXPECT_NE(m.at("teardown_verified"), 0) << point << ": a destroyed namespace was still listed";
    EXPECT_LT(m.at("isocost_vmhwm_bytes"), 200e6) << point;
  }
  EXPECT_EQ(t["hold=fd existing=300 "].at("held_namespaces"), 300);
  EXPECT_EQ(t["hold=bind existing=300 "].at("held_namespaces"), 300);
  // Bind-held namespaces are mounts in the host's table, which the creator
  // (creator: host) sees; fd-held ones are not.
  EXPECT_GE(t["hold=bind existing=300 "].at("creator_mounts"),
            t["hold=fd existing=300 "].at("creator_mounts") + 300);
  ExpectNothingLeft(pid);
}

TEST(Mntns, NetnsPinsAreCopiedOnlyWhereVisible) {
  REQUIRE_ROOT();
  TempDir tmp;
  std::string config = tmp.Write("n.yaml", R"(experiment: mntns
params: {existing: 0}
sweep:
  creator: [host, private]
  netns_pins: [32]
repetitions: 1
budget: {iterations: 20}
)");
  std::string out = tmp.path() + "/out";
  pid_t pid = StartCli({"run", "--out", out, config}, tmp.path());
  ASSERT_EQ(WaitCli(pid), 0) << ReadText(tmp.path() + "/stderr");

  Table t = ReadTable(out + "/results.csv", {"creator"});
  ASSERT_EQ(t.size(), 2u);
  EXPECT_GE(t["creator=host "].at("creator_mounts"),
            t["creator=private "].at("creator_mounts") + 32);
  EXPECT_GT(t["creator=private "].at("create_ops_per_s"), 0);
  ExpectNothingLeft(pid);
}

TEST(Mntns, InterruptedRunRestoresTheHost) {
  REQUIRE_ROOT();
  TempDir tmp;
  std::string config = tmp.Write("long.yaml", kLong);
  std::string out = tmp.path() + "/out";
  pid_t pid = StartCli({"run", "--out", out, config}, tmp.path());
  ASSERT_TRUE(WaitForPins(pid)) << ReadText(tmp.path() + "/stderr");

  kill(pid, SIGINT);
  EXPECT_EQ(WaitCli(pid), 130) << ReadText(tmp.path() + "/stderr");
  ExpectNothingLeft(pid);
  auto run = nlohmann::json::parse(ReadText(out + "/run.json"));
  EXPECT_EQ(run["status"], "interrupted");
}

TEST(Mntns, KilledRunIsUndoneByCleanup) {
  REQUIRE_ROOT();
  TempDir tmp;
  std::string config = tmp.Write("long.yaml", kLong);
  pid_t pid = StartCli({"run", "--out", tmp.path() + "/out", config}, tmp.path());
  ASSERT_TRUE(WaitForPins(pid)) << ReadText(tmp.path() + "/stderr");

  kill(pid, SIGKILL);
  EXPECT_EQ(WaitCli(pid), 128 + SIGKILL);
  ASSERT_GT(PinMountsOf(pid), 0u) << "a killed run cannot unmount its pins";
  ASSERT_EQ(JournalsOf(pid).size(), 1u);

  CliResult cleanup = RunCli({"cleanup"});
  EXPECT_EQ(cleanup.status, 0) << cleanup.out << cleanup.err;
  ExpectNothingLeft(pid);
}

TEST(Mntns, TooManyNamespacesForTheKernelLimitIsUnsupported) {
  REQUIRE_ROOT();
  long limit = std::stol(ReadText("/proc/sys/user/max_mnt_namespaces"));
  if (limit >= 1000000) GTEST_SKIP() << "user.max_mnt_namespaces is above the sweep's range";
  TempDir tmp;
  std::string config =
      tmp.Write("u.yaml", "experiment: mntns\nparams: {existing: " + std::to_string(limit) + "}\n");
  std::string out = tmp.path() + "/out";
  pid_t pid = StartCli({"run", "--out", out, config}, tmp.path());
  EXPECT_EQ(WaitCli(pid), 3);
  std::string csv = ReadText(out + "/results.csv");
  EXPECT_NE(csv.find("unsupported"), std::string::npos) << csv;
  EXPECT_NE(csv.find("user.max_mnt_namespaces is " + std::to_string(limit)), std::string::npos)
      << csv;
  ExpectNothingLeft(pid);
}

TEST(Mntns, ExtraMountsOnTheHostIsRefused) {
  TempDir tmp;
  std::string config =
      tmp.Write("x.yaml", "experiment: mntns\nparams: {creator: host, extra_mounts: 10}\n");
  CliResult r = RunCli({"validate", config});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("creator: private"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace isocost::test
