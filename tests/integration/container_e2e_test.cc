// Containers end to end on the real kernel: every recipe serves its
// request, `isocost plan` predicts from the run, and nothing is left on the
// host after a run, an interrupted run, or a killed run and `isocost cleanup`.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli.h"

namespace isocost::test {
namespace {

namespace fs = std::filesystem;

const std::string kRecipes = std::string(ISOCOST_SOURCE_DIR) + "/configs/recipes";

std::string Config(const std::string& budget, const std::string& threads) {
  return "experiment: container_e2e\n"
         "name: containers\n"
         "sweep:\n"
         "  recipe: [" +
         kRecipes + "/bare.yaml, " + kRecipes + "/lean.yaml, " + kRecipes +
         "/runtime.yaml]\n"
         "  threads: [" +
         threads +
         "]\n"
         "repetitions: 2\n"
         "budget: " +
         budget + "\n";
}

// What the container experiment of run `pid` (of any run, pid 0) may
// leave: its mounts, scratch directories, cgroups and containers' processes.
std::vector<std::string> Leftovers(pid_t pid) {
  std::vector<std::string> left;
  std::string tag = "isocost-e2e-" + (pid > 0 ? std::to_string(pid) + "-" : "");
  std::string mountinfo = ReadText("/proc/self/mountinfo");
  if (mountinfo.find(tag) != std::string::npos) left.push_back("a mount below " + tag + "*");
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/var/tmp", ec)) {
    if (e.path().filename().string().starts_with(tag)) left.push_back(e.path().string());
  }
  for (const auto& e : fs::recursive_directory_iterator(
           "/sys/fs/cgroup", fs::directory_options::skip_permission_denied, ec)) {
    if (e.path().filename().string().starts_with(tag)) left.push_back(e.path().string());
  }
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::error_code link_ec;
    std::string exe = fs::read_symlink(e.path() / "exe", link_ec).string();
    if (!link_ec && exe.find("/var/cache/isocost/") != std::string::npos) {
      left.push_back("process " + e.path().filename().string() + " (" + exe + ")");
    }
  }
  return left;
}

bool WaitForScratch(pid_t pid) {
  std::string tag = "isocost-e2e-" + std::to_string(pid) + "-";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ReadText("/proc/self/mountinfo").find(tag) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::map<std::string, std::string> Row(const std::vector<std::string>& header,
                                       const std::vector<std::string>& cells) {
  std::map<std::string, std::string> row;
  for (size_t i = 0; i < header.size() && i < cells.size(); ++i)
    row[header[i]] = cells[i];
  return row;
}

TEST(ContainerE2e, EveryRecipeServesItsRequestAndLeavesNothing) {
  REQUIRE_ROOT();
  TempDir tmp;
  std::string config = tmp.Write("c.yaml", Config("{iterations: 20}", "1, 2"));
  std::string out = tmp.path() + "/out";
  CliResult run = RunCli({"run", "--out", out, config});
  ASSERT_EQ(run.status, 0) << run.err;

  auto csv = ReadCsv(out + "/results.csv");
  ASSERT_GT(csv.size(), 1u);
  std::map<std::string, int> ok_points;
  for (size_t i = 1; i < csv.size(); ++i) {
    auto row = Row(csv[0], csv[i]);
    if (row["experiment"] != "container_e2e") continue;
    EXPECT_EQ(row["status"], "ok") << row["recipe"] << ": " << row["note"];
    if (row["metric"] == "ops_per_s") ++ok_points[row["recipe"]];
    if (row["metric"] == "first_reply_p50_ns") {
      EXPECT_GT(std::stod(row["median"]), 0);
    }
    // A rooted recipe spends time mounting; the bare one mounts nothing.
    if (row["metric"] == "root_ns_per_op" && row["root"] != "none") {
      EXPECT_GT(std::stod(row["median"]), 1000) << row["recipe"];
    }
  }
  EXPECT_EQ(ok_points.size(), 3u);

  nlohmann::json info = nlohmann::json::parse(ReadText(out + "/run.json"));
  EXPECT_EQ(info["configs"][0]["presets"].size(), 3u);
  for (const std::string& left : Leftovers(0))
    ADD_FAILURE() << left;

  // The plan predicts lean and runtime from this run and checks them.
  CliResult plan = RunCli({"plan", "--json", out});
  ASSERT_EQ(plan.status, 0) << plan.err;
  nlohmann::json predictions = nlohmann::json::parse(plan.out)["predictions"];
  ASSERT_EQ(predictions.size(), 4u);  // lean and runtime at 1 and 2 threads
  for (const auto& p : predictions) {
    EXPECT_GT(p["predicted_ops_per_s"].get<double>(), 0);
    EXPECT_FALSE(p["measured_ops_per_s"].is_null());
    EXPECT_EQ(p["steps"][0]["step"], "process and request");
  }
}

TEST(ContainerE2e, InterruptedRunLeavesNothing) {
  REQUIRE_ROOT();
  TempDir tmp;
  std::string config = tmp.Write("c.yaml", Config("{min_time_s: 2}", "4, 1"));
  pid_t pid = StartCli({"run", "--out", tmp.path() + "/out", config}, tmp.path());
  ASSERT_TRUE(WaitForScratch(pid)) << ReadText(tmp.path() + "/stderr");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  kill(pid, SIGINT);
  EXPECT_EQ(WaitCli(pid), 130) << ReadText(tmp.path() + "/stderr");
  for (const std::string& left : Leftovers(pid))
    ADD_FAILURE() << left;
  EXPECT_TRUE(JournalsOf(pid).empty());
}

TEST(ContainerE2e, KilledRunIsUndoneByCleanup) {
  REQUIRE_ROOT();
  TempDir tmp;
  std::string config = tmp.Write("c.yaml", Config("{min_time_s: 2}", "4, 1"));
  pid_t pid = StartCli({"run", "--out", tmp.path() + "/out", config}, tmp.path());
  ASSERT_TRUE(WaitForScratch(pid)) << ReadText(tmp.path() + "/stderr");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  kill(pid, SIGKILL);
  EXPECT_EQ(WaitCli(pid), 128 + SIGKILL);
  ASSERT_FALSE(Leftovers(pid).empty()) << "a killed run cannot clean up after itself";

  CliResult cleanup = RunCli({"cleanup"});
  EXPECT_EQ(cleanup.status, 0) << cleanup.out << cleanup.err;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // PDEATHSIG'd inits exit
  for (const std::string& left : Leftovers(pid))
    ADD_FAILURE() << left;
  EXPECT_TRUE(JournalsOf(pid).empty());
}

}  // namespace
}  // namespace isocost::test
