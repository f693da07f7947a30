// Figure 4 on the real kernel: container runs with every kind of host change
// the experiment makes (IPv6 sysctls, the user.max_net_namespaces cap, veth
// host ends, tracing instances) leave the host's sysctls, network
// namespaces, network devices, mounts and tracing instances as they were,
// after a run and after SIGKILL plus `isocost cleanup`.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "cli.h"

namespace isocost::test {
namespace {

namespace fs = std::filesystem;

const char* const kSysctls[] = {
    "/proc/sys/net/core/devconf_inherit_init_net",
    "/proc/sys/net/ipv6/conf/all/disable_ipv6",
    "/proc/sys/net/ipv6/conf/default/disable_ipv6",
    "/proc/sys/user/max_net_namespaces",
};

std::string Trimmed(const std::string& s) {
  size_t end = s.find_last_not_of(" \n");
  return end == std::string::npos ? "" : s.substr(0, end + 1);
}

std::set<std::string> Entries(const std::string& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    names.insert(e.path().filename().string());
  return names;
}

// Network namespaces that processes are in ("net:[inode]").
std::set<std::string> NetworkNamespaces() {
  std::set<std::string> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::error_code link_ec;
    std::string ns = fs::read_symlink(e.path() / "ns/net", link_ec).string();
    if (!link_ec) found.insert(ns);
  }
  return found;
}

// Mount points and types (ids change between reads; these do not).
std::multiset<std::string> Mounts() {
  std::multiset<std::string> mounts;
  std::istringstream in(ReadText("/proc/self/mountinfo"));
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;)
      w.push_back(x);
    auto dash = std::find(w.begin(), w.end(), "-");
    if (w.size() > 4 && dash + 1 < w.end()) mounts.insert(w[4] + " " + *(dash + 1));
  }
  return mounts;
}

// Tracing instances, listed from a child's private tracefs mount when the
// host has none mounted.
std::set<std::string> TraceInstances() {
  int fds[2];
  if (pipe(fds) != 0) return {"(pipe failed)"};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string dir = "/sys/kernel/tracing";
    if (!fs::exists(dir + "/instances")) {
      if (unshare(CLONE_NEWNS) != 0 ||
          mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
          mount("nodev", dir.c_str(), "tracefs", 0, nullptr) != 0) {
        _exit(1);
      }
    }
    std::string names;
    for (const std::string& n : Entries(dir + "/instances"))
      names += n + "\n";
    ssize_t ignored = write(fds[1], names.data(), names.size());
    (void)ignored;
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;)
    text.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  std::set<std::string> names;
  std::istringstream in(text);
  for (std::string n; std::getline(in, n);)
    names.insert(n);
  return names;
}

struct HostState {
  std::vector<std::string> sysctls;
  std::set<std::string> netdevs, netns, traces;
  std::multiset<std::string> mounts;

  static HostState Take() {
    HostState s;
    for (const char* path : kSysctls)
      s.sysctls.push_back(Trimmed(ReadText(path)));
    s.netdevs = Entries("/sys/class/net");
    s.netns = NetworkNamespaces();
    s.traces = TraceInstances();
    s.mounts = Mounts();
    return s;
  }
  bool operator==(const HostState&) const = default;
};

// Namespaces and veth host ends go asynchronously after their processes:
// waits up to 10 s for the host to be as it was.
HostState SettledState(const HostState& want) {
  HostState now = HostState::Take();
  for (int i = 0; i < 100 && !(now == want); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    now = HostState::Take();
  }
  return now;
}

void ExpectSame(const HostState& before, const HostState& after) {
  for (size_t i = 0; i < before.sysctls.size(); ++i)
    EXPECT_EQ(after.sysctls[i], before.sysctls[i]) << kSysctls[i];
  EXPECT_EQ(after.netdevs, before.netdevs) << "network devices differ";
  EXPECT_EQ(after.netns, before.netns) << "network namespaces differ";
  EXPECT_EQ(after.traces, before.traces) << "tracing instances differ";
  EXPECT_EQ(after.mounts, before.mounts) << "mounts differ";
}

// A cap one below the host's, so that setting it is a visible change.
int64_t LowerCap() {
  return std::stoll(ReadText("/proc/sys/user/max_net_namespaces")) - 1;
}

std::string RunConfig() {
  return "experiment: container\nname: netns-safety\n"
         "params: {drain_timeout_s: 20, sample_interval_ms: 10, held_netns: 8}\n"
         "sweep:\n  network: [none, lo_ipv6_off, veth_inside, veth_moved]\n  threads: [2]\n"
         "repetitions: 1\nbudget: {iterations: 10}\n";
}

// Value of a metric at each point, from results.csv.
std::map<std::string, std::map<std::string, double>> Metrics(const std::string& csv,
                                                             std::string* notes) {
  std::vector<std::vector<std::string>> rows = ReadCsv(csv);
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < rows[0].size(); ++i)
    col[rows[0][i]] = i;
  std::map<std::string, std::map<std::string, double>> out;
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.size() != rows[0].size() || row[col["experiment"]] != "container") continue;
    EXPECT_EQ(row[col["status"]], "ok") << row[col["note"]];
    if (row[col["value"]].empty()) continue;
    out[row[col["network"]]][row[col["metric"]]] = std::stod(row[col["value"]]);
    *notes += row[col["note"]] + "\n";
  }
  return out;
}

TEST(NetnsRun, EveryVariantMeasuresAndTheHostIsAsBefore) {
  REQUIRE_ROOT();
  HostState before = HostState::Take();
  TempDir tmp;
  std::string config = tmp.Write("netns.yaml", RunConfig());
  std::string out = tmp.path() + "/out";

  CliResult run = RunCli({"run", "--out", out, config});
  ASSERT_EQ(run.status, 0) << run.err;
  std::string notes;
  auto m = Metrics(out + "/results.csv", &notes);

  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m["none"]["netns_per_op"], 0);
  for (const char* v : {"lo_ipv6_off", "veth_inside", "veth_moved"}) {
    EXPECT_GE(m[v]["netns_per_op"], 1) << v;  // the census saw every namespace
    EXPECT_GT(m[v]["sustained_ops_per_s"], 0) << v;
    EXPECT_LE(m[v]["sustained_ops_per_s"], 1.1 * m[v]["ops_per_s"]) << v;
  }
  EXPECT_GT(m["veth_moved"]["uevents_per_op"], 0);
  EXPECT_NE(notes.find("all=1 default=1 lo=1, 0 addresses"), std::string::npos) << notes;
  EXPECT_TRUE(fs::exists(out + "/artifacts/point-2-rep-0-backlog.csv"));
  ExpectSame(before, SettledState(before));
}

TEST(NetnsRun, KilledRunIsUndoneByCleanup) {
  REQUIRE_ROOT();
  HostState before = HostState::Take();
  ASSERT_NE(before.sysctls[0], "1") << "the host already inherits devconf: nothing to observe";
  TempDir tmp;
  std::string config =
      tmp.Write("long.yaml",
                "experiment: container\nname: netns-kill\nparams: {network: lo_ipv6_off}\n"
                "sweep:\n  threads: [2]\nrepetitions: 3\nbudget: {min_time_s: 10}\n");
  pid_t pid = StartCli({"run", "--out", tmp.path() + "/out", config}, tmp.path());

  // Mid-point: the IPv6 sysctls are set.
  bool busy = false;
  for (int i = 0; i < 300 && !busy; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    busy = Trimmed(ReadText(kSysctls[0])) != before.sysctls[0];
  }
  ASSERT_TRUE(busy) << ReadText(tmp.path() + "/stderr");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  kill(pid, SIGKILL);
  EXPECT_EQ(WaitCli(pid), 128 + SIGKILL);
  EXPECT_NE(Trimmed(ReadText(kSysctls[0])), before.sysctls[0])
      << "a killed run cannot restore the sysctls itself";
  ASSERT_EQ(JournalsOf(pid).size(), 1u);

  CliResult cleanup = RunCli({"cleanup"});
  EXPECT_EQ(cleanup.status, 0) << cleanup.out << cleanup.err;
  EXPECT_NE(cleanup.out.find("tracing_instance"), std::string::npos) << cleanup.out;
  EXPECT_TRUE(JournalsOf(pid).empty());
  ExpectSame(before, SettledState(before));
}

// The cap is written to user.max_net_namespaces, which needs
// CAP_SYS_RESOURCE: without it the point is unsupported, saying so; with
// it the point runs and the cap is restored.
TEST(NetnsRun, CapIsRestoredOrReportedUnsupported) {
  REQUIRE_ROOT();
  HostState before = HostState::Take();
  TempDir tmp;
  std::string config = tmp.Write(
      "cap.yaml", "experiment: container\nname: netns-cap\nparams: {max_net_namespaces: " +
                      std::to_string(LowerCap()) + "}\nrepetitions: 1\nbudget: {iterations: 10}\n");
  CliResult run = RunCli({"run", "--out", tmp.path() + "/out", config});
  std::string csv = ReadText(tmp.path() + "/out/results.csv");
  if (run.status == 3) {
    EXPECT_NE(csv.find("unsupported"), std::string::npos) << csv;
    EXPECT_NE(csv.find("CAP_SYS_RESOURCE"), std::string::npos) << csv;
  } else {
    EXPECT_EQ(run.status, 0) << run.err;
    EXPECT_EQ(csv.find("unsupported"), std::string::npos) << csv;
  }
  ExpectSame(before, SettledState(before));
}

TEST(NetnsRun, InterferenceRunStopsItsChurners) {
  REQUIRE_ROOT();
  HostState before = HostState::Take();
  TempDir tmp;
  std::string config =
      tmp.Write("inter.yaml",
                "experiment: netns_interference\nname: inter\nsweep:\n  probe: [net, mnt]\n"
                "  background: [0, 2]\nrepetitions: 1\nbudget: {iterations: 20}\n");
  CliResult run = RunCli({"run", "--out", tmp.path() + "/out", config});
  ASSERT_EQ(run.status, 0) << run.err;

  std::vector<std::vector<std::string>> rows = ReadCsv(tmp.path() + "/out/results.csv");
  auto col = [&](const std::string& name) {
    return std::find(rows[0].begin(), rows[0].end(), name) - rows[0].begin();
  };
  std::map<std::string, double> churn;  // by background count
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() != rows[0].size()) continue;
    if (rows[r][col("metric")] != "background_netns_per_s") continue;
    churn[rows[r][col("probe")] + rows[r][col("background")]] = std::stod(rows[r][col("value")]);
  }
  ASSERT_EQ(churn.size(), 4u);
  EXPECT_GT(churn["net2"], 0);  // the churners did create namespaces
  EXPECT_GT(churn["mnt2"], 0);
  ExpectSame(before, SettledState(before));
}

}  // namespace
}  // namespace isocost::test
