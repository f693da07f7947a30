// Figure 3 on the real kernel: the trace attributes an operation that waits
// for an RCU grace period (membarrier(MEMBARRIER_CMD_GLOBAL)) to a
// grace-period waiter and one that does not (getppid) to none; no tracing
// instance or tracefs mount is left after a run, nor after a SIGKILL
// followed by `isocost cleanup`.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli.h"
#include "primitives/error.h"
#include "primitives/trace.h"

namespace isocost::test {
namespace {

using Row = std::map<std::string, std::string>;

// ns_latency rows by "op/metric".
std::map<std::string, Row> RowsByOpAndMetric(const std::string& csv) {
  std::vector<std::vector<std::string>> raw = ReadCsv(csv);
  std::map<std::string, Row> rows;
  for (size_t i = 1; i < raw.size(); ++i) {
    Row r;
    for (size_t c = 0; c < raw[0].size() && c < raw[i].size(); ++c)
      r[raw[0][c]] = raw[i][c];
    if (r["experiment"] == "ns_latency") rows[r["op"] + "/" + r["metric"]] = r;
  }
  return rows;
}

// Names of tracing instances containing "isocost", read from a tracefs
// mounted in a child's private mount namespace (the host has none mounted).
std::vector<std::string> IsocostInstances() {
  int fds[2];
  if (pipe(fds) != 0) return {"(pipe failed)"};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) ||
        mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) != 0) {
      _exit(1);
    }
    DIR* dir = opendir("/sys/kernel/tracing/instances");
    for (dirent* e; dir && (e = readdir(dir));) {
      std::string line = std::string(e->d_name) + "\n";
      if (line.find("isocost") != std::string::npos && write(fds[1], line.data(), line.size())) {
      }
    }
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return {"(could not look)"};
  std::vector<std::string> names;
  for (size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
    names.push_back(text.substr(at, nl - at));
  return names;
}

// isocost tracefs mount points (mounted or not) under /run.
std::vector<std::string> TracefsDirs() {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/run", ec)) {
    if (e.path().filename().string().rfind("isocost-tracefs-", 0) == 0) found.push_back(e.path());
  }
  return found;
}

bool TracefsMounted() {
  return ReadText("/proc/self/mountinfo").find(" tracefs ") != std::string::npos &&
         ReadText("/proc/self/mountinfo").find("isocost-tracefs") != std::string::npos;
}

const char* kCalibration = R"(experiment: ns_latency
name: calibration
params:
  concurrency: 2
  settle_ms: 50
  untraced_ops: 1
sweep:
  op: [membarrier, getppid]
repetitions: 1
budget: {iterations: 3}
)";

TEST(NsLatency, GracePeriodWaitIsAttributedAndPlainCallIsNot) {
  REQUIRE_ROOT();
  TempDir tmp;
  std::string out = tmp.path() + "/out";
  pid_t pid = StartCli({"run", "--out", out, tmp.Write("c.yaml", kCalibration)}, tmp.path());
  ASSERT_EQ(WaitCli(pid), 0) << ReadText(tmp.path() + "/stderr");

  auto rows = RowsByOpAndMetric(out + "/results.csv");
  ASSERT_TRUE(rows.contains("membarrier/create_rcu_wait_fraction"))
      << ReadText(out + "/results.csv");
  EXPECT_EQ(rows["membarrier/create_count"]["value"], "6");  // 3 operations x 2 children
  EXPECT_GT(std::stod(rows["membarrier/create_rcu_wait_fraction"]["value"]), 0.5);
  EXPECT_NE(rows["membarrier/create_rcu_wait_fraction"]["note"].find(
                "create: most waited in RCU grace period: synchronize_"),
            std::string::npos)
      << rows["membarrier/create_rcu_wait_fraction"]["note"];
  EXPECT_EQ(rows["getppid/create_count"]["value"], "6");
  EXPECT_EQ(std::stod(rows["getppid/create_rcu_wait_mean_ns"]["value"]), 0.0);
  EXPECT_EQ(std::stod(rows["getppid/create_rcu_wait_fraction"]["value"]), 0.0);
  for (const char* op : {"membarrier", "getppid"}) {
    EXPECT_EQ(rows[std::string(op) + "/cleanup_count"]["value"], "6") << op;
    EXPECT_GT(std::stod(rows[std::string(op) + "/trace_events"]["value"]), 0) << op;
  }

  auto attribution =
      nlohmann::json::parse(ReadText(out + "/artifacts/point-1-rep-0-attribution.json"));
  EXPECT_EQ(attribution["op"], "membarrier");
  EXPECT_GT(attribution["create"]["rcu_wait_ns"].get<double>(), 0.0);

  EXPECT_TRUE(IsocostInstances().empty());
  EXPECT_TRUE(TracefsDirs().empty());
  EXPECT_FALSE(TracefsMounted());
  EXPECT_TRUE(JournalsOf(pid).empty());
}

const char* kLong = R"(experiment: ns_latency
name: long
params:
  op: uts
  concurrency: 4
  keep_trace: true
repetitions: 3
budget: {iterations: 2000}
)";

TEST(NsLatency, KilledRunLeavesAnInstanceThatCleanupRemoves) {
  REQUIRE_ROOT();
  TempDir tmp;
  pid_t pid =
      StartCli({"run", "--out", tmp.path() + "/out", tmp.Write("l.yaml", kLong)}, tmp.path());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (IsocostInstances().empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_FALSE(IsocostInstances().empty()) << ReadText(tmp.path() + "/stderr");

  kill(pid, SIGKILL);
  EXPECT_EQ(WaitCli(pid), 128 + SIGKILL);
  EXPECT_FALSE(IsocostInstances().empty()) << "a killed run cannot remove its instance";
  ASSERT_EQ(JournalsOf(pid).size(), 1u);

  CliResult cleanup = RunCli({"cleanup"});
  EXPECT_EQ(cleanup.status, 0) << cleanup.out << cleanup.err;
  EXPECT_TRUE(IsocostInstances().empty());
  EXPECT_TRUE(TracefsDirs().empty());
  EXPECT_FALSE(TracefsMounted());
  EXPECT_TRUE(JournalsOf(pid).empty());
}

// Makes a tracing instance from a child's private mount namespace: the
// instance outlives the mount, as a crashed run's does once its mount is gone.
bool MakeInstanceWithoutHostMount(const std::string& name) {
  pid_t pid = fork();
  if (pid == 0) {
    bool ok = unshare(CLONE_NEWNS) == 0 &&
              mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
              mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0 &&
              mkdir(("/sys/kernel/tracing/instances/" + name).c_str(), 0700) == 0;
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST(NsLatency, UndoRemovesAnInstanceWhoseMountIsGone) {
  REQUIRE_ROOT();
  std::string name = "isocost-test-" + std::to_string(getpid());
  ASSERT_TRUE(MakeInstanceWithoutHostMount(name));
  ASSERT_EQ(IsocostInstances(), std::vector<std::string>{name});

  RemoveTracingInstance("/run/isocost-tracefs-gone", name);
  EXPECT_TRUE(IsocostInstances().empty());
  EXPECT_THROW(RemoveTracingInstance("/run/isocost-tracefs-gone", "someone-elses"), Error);
}

}  // namespace
}  // namespace isocost::test
