// Figure 3: creation and cleanup latency of each namespace type against the
// number of operations released together, from kernel trace events.
//
// One operation starts `concurrency` child processes, each parked on a
// pipe. Closing the pipe releases them together: each creates its
// namespace (unshare) and reports back. A second pipe then releases them
// together to exit, which tears the namespaces down. A private tracing
// instance records the system calls, every context switch of the children
// and of kworkers (with a kernel stack, from a stacktrace trigger, when one
// blocks) and the workqueue events of deferred teardown; the latencies and
// their attribution come from that trace (microbench/ns_trace.h says how
// each phase is delimited). The calibration operations `membarrier` (waits
// for an RCU grace period) and `getppid` (does not) go through the same
// path with no namespace.
//
// The harness times the whole operation (fork, release, reap); the trace
// gives per-namespace latencies. Tracing's own cost is measured by running
// the same operation `untraced_ops` times after the instance is removed.
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <thread>

#include "microbench/experiments.h"
#include "microbench/ns_trace.h"
#include "primitives/error.h"
#include "primitives/fs.h"
#include "primitives/guard.h"
#include "primitives/process.h"
#include "primitives/trace.h"

namespace isocost {
namespace {

constexpr const char* kTaskComm = "isocost-nsop";  // the children's name, used by filters

// An operation: the namespace it makes (or none, for the calibration
// operations), the system call that makes it, and the work functions that
// finish its teardown when it is deferred.
struct OpSpec {
  const char* name;
  int clone_flag;       // 0: no namespace
  const char* syscall;  // traced as sys_enter_<syscall> / sys_exit_<syscall>
  std::vector<std::pair<const char*, bool>> deferred;  // work function, batched
};

const std::vector<OpSpec>& Ops() {
  static const std::vector<OpSpec> kOps = {
      {"mnt", CLONE_NEWNS, "unshare", {}},
      {"ipc", CLONE_NEWIPC, "unshare", {{"free_ipc", true}}},
      {"net", CLONE_NEWNET, "unshare", {{"cleanup_net", true}}},
      {"uts", CLONE_NEWUTS, "unshare", {}},
      {"pid", CLONE_NEWPID, "unshare", {}},
      {"cgroup", CLONE_NEWCGROUP, "unshare", {}},
      {"user", CLONE_NEWUSER, "unshare", {{"free_user_ns", false}}},
      {"time", CLONE_NEWTIME, "unshare", {}},
      {"membarrier", 0, "membarrier", {}},
      {"getppid", 0, "getppid", {}},
  };
  return kOps;
}

const OpSpec& FindOp(const std::string& name) {
  for (const OpSpec& op : Ops()) {
    if (op.name == name) return op;
  }
  throw Error(ErrorKind::kUsage, "unknown op '" + name + "'");
}

std::vector<std::string> OpNames() {
  std::vector<std::string> names;
  for (const OpSpec& op : Ops())
    names.emplace_back(op.name);
  return names;
}

const KernelSymbols& Symbols() {
  static std::once_flag once;
  static KernelSymbols symbols;
  std::call_once(once, [] { symbols = KernelSymbols::Load(); });
  return symbols;
}

// The child: parked until released, does the operation, reports, parked
// again, exits. Only async-signal-safe calls (the parent is threaded).
[[noreturn]] void Child(const OpSpec& op, int calls, const int (&fds)[6], pid_t parent) {
  char byte = 0;
  close(fds[1]);  // the parent alone holds the release pipes' write ends
  close(fds[3]);
  close(fds[4]);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1);
  prctl(PR_SET_NAME, kTaskComm);
  if (write(fds[5], &byte, 1) != 1) _exit(1);
  while (read(fds[0], &byte, 1) < 0 && errno == EINTR) {
  }
  long rc = 0;
  for (int i = 0; i < calls && rc >= 0; ++i) {
    rc = op.clone_flag != 0 ? unshare(op.clone_flag)
         : op.syscall == std::string_view("membarrier")
             ? syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0)
             : getppid();
  }
  byte = static_cast<char>(rc < 0 ? errno : 0);
  if (write(fds[5], &byte, 1) != 1) _exit(1);
  while (read(fds[2], &byte, 1) < 0 && errno == EINTR) {
  }
  _exit(0);
}

// Reads n bytes (one per child); returns the first nonzero one, or -1 when
// the children went away before all reported.
int ReadReports(int fd, int n) {
  int first = 0;
  char buf[1024];
  for (int got = 0; got < n;) {
    ssize_t r = read(fd, buf, std::min<size_t>(sizeof buf, static_cast<size_t>(n - got)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    for (ssize_t i = 0; i < r; ++i) {
      if (first == 0 && buf[i] != 0) first = buf[i];
    }
    got += static_cast<int>(r);
  }
  return first;
}

// One operation: `n` children released together to create, then to exit.
// Returns the nanoseconds from the first release until all were reaped;
// the children's pids go to pids.
int64_t RunBatch(const OpSpec& op, int n, int calls, std::vector<int>& pids) {
  int fds[6];  // create release, exit release, reports: read/write pairs
  for (int i = 0; i < 3; ++i) {
    if (pipe2(fds + 2 * i, O_CLOEXEC) != 0) {
      int err = errno;
      for (int j = 0; j < 2 * i; ++j)
        close(fds[j]);
      throw SysError(err, "creating pipes for the children");
    }
  }
  std::vector<pid_t> started;
  int fork_err = 0;
  {
    StopSignalsBlocked blocked;
    pid_t parent = getpid();
    for (int i = 0; i < n; ++i) {
      pid_t pid = fork();
      if (pid == 0) Child(op, calls, fds, parent);
      if (pid < 0) {
        fork_err = errno;
        break;
      }
      started.push_back(pid);
    }
  }
  close(fds[5]);
  int ready = fork_err == 0 ? ReadReports(fds[4], n) : 0;
  auto t0 = std::chrono::steady_clock::now();
  close(fds[1]);
  int result = ready == 0 && fork_err == 0 ? ReadReports(fds[4], n) : 0;
  close(fds[3]);
  for (pid_t pid : started) {
    if (fork_err != 0 || ready != 0) kill(pid, SIGKILL);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  auto t1 = std::chrono::steady_clock::now();
  close(fds[0]);
  close(fds[2]);
  close(fds[4]);
  pids.insert(pids.end(), started.begin(), started.end());

  if (fork_err != 0)
    throw SysError(fork_err, fmt::format("starting child {} of {}", started.size() + 1, n));
  if (ready != 0 || result < 0) throw Error(ErrorKind::kFailure, "a child died before reporting");
  if (result != 0) {
    std::string call =
        op.clone_flag != 0 ? fmt::format("unshare(CLONE_NEW{})", op.name) : std::string(op.syscall);
    throw SysError(result, call + " in a child");
  }
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
}

// The trace a point records: the operation's system call and exit, the
// children's and kworkers' context switches (a stack when one blocks), and
// the deferred teardown work.
TraceRequest Request(const OpSpec& op, const std::vector<DeferredWork>& deferred, int buffer_kb) {
  TraceRequest r;
  std::string comm = fmt::format("comm == \"{}\"", kTaskComm);
  std::string ours = fmt::format("prev_comm == \"{}\"", kTaskComm);
  std::string kworker = deferred.empty() ? "" : " || prev_comm ~ \"kworker*\"";

  r.buffer_kb = buffer_kb;
  for (std::string call :
       {std::string("sys_enter_") + op.syscall, std::string("sys_exit_") + op.syscall,
        std::string("sys_enter_exit_group")}) {
    r.events.push_back("syscalls/" + call);
    r.filters["syscalls/" + call] = comm;
  }
  r.events.push_back("sched/sched_switch");
  r.filters["sched/sched_switch"] =
      fmt::format("{}{} || next_comm == \"{}\"{}", ours, kworker, kTaskComm,
                  deferred.empty() ? "" : " || next_comm ~ \"kworker*\"");
  r.triggers["sched/sched_switch"] =
      fmt::format("stacktrace if (prev_state & 3) && ({}{})", ours, kworker);
  if (deferred.empty()) return r;

  std::string functions;
  for (const DeferredWork& d : deferred)
    functions += fmt::format("{}function == 0x{:x}", functions.empty() ? "" : " || ", d.function);
  for (const char* e :
       {"workqueue_queue_work", "workqueue_execute_start", "workqueue_execute_end"}) {
    r.events.push_back(std::string("workqueue/") + e);
    r.filters[std::string("workqueue/") + e] = functions;
  }
  return r;
}

void AddPhaseMetrics(const std::string& phase, const PhaseStats& s, Findings& f) {
  double n = static_cast<double>(s.latency_ns.size());
  double sum = std::accumulate(s.latency_ns.begin(), s.latency_ns.end(), 0.0);
  auto mean = [&](double total) { return n > 0 ? total / n : 0.0; };

  f.metrics[phase + "_count"] = n;
  f.metrics[phase + "_latency_p50_ns"] = Quantile(s.latency_ns, 0.5);
  f.metrics[phase + "_latency_p90_ns"] = Quantile(s.latency_ns, 0.9);
  f.metrics[phase + "_latency_p99_ns"] = Quantile(s.latency_ns, 0.99);
  f.metrics[phase + "_latency_max_ns"] = Quantile(s.latency_ns, 1.0);
  f.metrics[phase + "_latency_mean_ns"] = mean(sum);
  f.metrics[phase + "_cpu_mean_ns"] = mean(s.cpu_ns);
  f.metrics[phase + "_blocked_mean_ns"] = mean(s.blocked_ns);
  f.metrics[phase + "_rcu_wait_mean_ns"] = mean(s.rcu_wait_ns);
  f.metrics[phase + "_rcu_wait_fraction"] = sum > 0 ? s.rcu_wait_ns / sum : 0.0;
  if (std::string top = s.TopWait(); !top.empty()) {
    f.notes.push_back(fmt::format("{}: most waited in {}", phase, top));
  }
  if (s.incomplete > 0) {
    f.untrustworthy.push_back(fmt::format(
        "{} of {} {} phases have no end in the trace (deferred teardown still running when "
        "tracing stopped? raise settle_ms)",
        s.incomplete, s.incomplete + static_cast<int64_t>(n), phase));
  }
}

nlohmann::json PhaseJson(const PhaseStats& s) {
  return {{"namespaces", s.latency_ns.size()},
          {"incomplete", s.incomplete},
          {"cpu_ns", s.cpu_ns},
          {"blocked_ns", s.blocked_ns},
          {"runnable_ns", s.runnable_ns},
          {"rcu_wait_ns", s.rcu_wait_ns},
          {"queued_ns", s.queued_ns},
          {"waits_ns", s.waits_ns}};
}

class NsLatencyWorkload : public Workload {
 public:
  NsLatencyWorkload(const Point& p, HostGuard& guard)
      : guard_(guard),
        op_(FindOp(p.String("op"))),
        concurrency_(static_cast<int>(p.Int("concurrency"))),
        calls_(static_cast<int>(p.Int("calls_per_task"))),
        buffer_kb_(static_cast<int>(p.Int("buffer_kb"))),
        settle_ms_(static_cast<int>(p.Int("settle_ms"))),
        untraced_ops_(static_cast<int>(p.Int("untraced_ops"))),
        fail_on_lost_(p.String("lost_events") == "fail"),
        keep_trace_(p.Bool("keep_trace")) {}

  void Prepare(int) override {
    for (const auto& [name, batched] : op_.deferred) {
      std::optional<uint64_t> addr = Symbols().Address(name);
      if (!addr) {
        throw Error(ErrorKind::kUnsupported,
                    fmt::format("kernel symbol {} (where {} namespaces are freed) is not in "
                                "/proc/kallsyms: this kernel tears them down elsewhere",
                                name, op_.name));
      }
      deferred_.push_back({name, *addr, batched});
    }
    session_ = std::make_unique<TraceSession>(guard_, fmt::format("{}-{}", getpid(), ++serial_));
    CheckTracers();
    session_->Configure(Request(op_, deferred_, buffer_kb_));
    session_->Start();
  }

  void Operation(int, uint64_t*) override {
    traced_ns_.push_back(RunBatch(op_, concurrency_, calls_, pids_));
  }

  void Release() override {
    if (!session_) return;
    if (!deferred_.empty()) {  // let deferred teardown finish while traced
      std::this_thread::sleep_for(std::chrono::milliseconds(settle_ms_));
    }
    try {
      session_->Stop();
      lost_ = session_->Lost();
      RawTrace raw = session_->Collect();
      events_ = session_->Decode(raw, keep_trace_ ? &text_ : nullptr);
      if (keep_trace_) KeepRaw(raw);
    } catch (...) {
      session_->Close();
      throw;
    }
    session_->Close();
  }

  Findings TakeFindings() override {
    Findings f = std::move(findings_);
    NsTraceAnalysis a = AnalyzeNsTrace(events_, std::set<int>(pids_.begin(), pids_.end()),
                                       op_.syscall, deferred_, Symbols());
    AddPhaseMetrics("create", a.create, f);
    AddPhaseMetrics("cleanup", a.cleanup, f);
    AddDeferredMetrics(a, f);
    AddTraceHealth(f);
    AddOverhead(f);
    f.artifacts.emplace_back("attribution.json", Attribution(a).dump(2) + "\n");
    if (keep_trace_) f.artifacts.emplace_back("trace.txt", std::move(text_));
    return f;
  }

 private:
  void CheckTracers() {
    std::vector<std::string> tracers = session_->AvailableTracers();
    auto has = [&](const char* t) {
      return std::find(tracers.begin(), tracers.end(), t) != tracers.end();
    };
    if (!has("function_graph")) {
      findings_.warnings.push_back(fmt::format(
          "the function_graph tracer is not available here (available_tracers: {}): kernel "
          "function durations are not offered; latencies and blocked time come from trace "
          "events and sched_switch stack traces",
          fmt::join(tracers, " ")));
    }
  }

  void KeepRaw(const RawTrace& raw) {
    for (size_t cpu = 0; cpu < raw.cpu_data.size(); ++cpu) {
      findings_.artifacts.emplace_back(fmt::format("trace-cpu{}.raw", cpu), raw.cpu_data[cpu]);
    }
    findings_.artifacts.emplace_back("trace-formats.txt", session_->Formats());
  }

  void AddDeferredMetrics(const NsTraceAnalysis& a, Findings& f) {
    auto mean = [](const std::vector<double>& v) {
      return v.empty() ? 0.0
                       : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    };
    f.metrics["cleanup_batch_mean"] = mean(a.batch_sizes);
    f.metrics["cleanup_deferred_per_ns_mean_ns"] = mean(a.per_ns_deferred_ns);
  }

  void AddTraceHealth(Findings& f) {
    f.metrics["trace_events"] = static_cast<double>(events_.size());
    f.metrics["trace_lost_events"] = static_cast<double>(lost_.total());
    if (lost_.total() == 0) return;
    std::string why = fmt::format(
        "{} trace events lost (overrun {}, commit overrun {}, dropped {}) with buffer_kb {} per "
        "CPU: raise buffer_kb",
        lost_.total(), lost_.overrun, lost_.commit_overrun, lost_.dropped, buffer_kb_);
    if (fail_on_lost_) throw Error(ErrorKind::kFailure, why);
    f.untrustworthy.push_back(why);
  }

  // The same operation without the instance: what tracing costs it.
  void AddOverhead(Findings& f) {
    std::vector<int> ignored;
    std::vector<int64_t> untraced;
    for (int i = 0; i < untraced_ops_; ++i)
      untraced.push_back(RunBatch(op_, concurrency_, calls_, ignored));
    auto mean = [](const std::vector<int64_t>& v) {
      return v.empty() ? 0.0
                       : static_cast<double>(std::accumulate(v.begin(), v.end(), int64_t{0})) /
                             static_cast<double>(v.size());
    };
    double traced = mean(traced_ns_), plain = mean(untraced);
    f.metrics["traced_op_mean_ns"] = traced;
    f.metrics["untraced_op_mean_ns"] = plain;
    f.metrics["tracing_overhead_fraction"] = plain > 0 ? traced / plain - 1.0 : 0.0;
  }

  nlohmann::json Attribution(const NsTraceAnalysis& a) const {
    return {{"op", op_.name},
            {"concurrency", concurrency_},
            {"tasks", a.tasks},
            {"grace_period_waiters", GracePeriodWaiters()},
            {"create", PhaseJson(a.create)},
            {"cleanup", PhaseJson(a.cleanup)},
            {"deferred_executions", a.executions},
            {"lost_events", lost_.total()}};
  }

  static inline std::atomic<int> serial_{0};

  HostGuard& guard_;
  const OpSpec& op_;
  int concurrency_, calls_, buffer_kb_, settle_ms_, untraced_ops_;
  bool fail_on_lost_, keep_trace_;

  std::vector<DeferredWork> deferred_;
  std::unique_ptr<TraceSession> session_;
  std::vector<int> pids_;
  std::vector<int64_t> traced_ns_;
  std::vector<TraceEvent> events_;
  std::string text_;
  LostEvents lost_;
  Findings findings_;
};

std::string Unsupported(const Point& p) {
  const OpSpec& op = FindOp(p.String("op"));
  if (geteuid() != 0) return "tracing needs root";
  std::string filesystems = TryReadFile("/proc/filesystems").value_or("");
  if (filesystems.find("tracefs") == std::string::npos) {
    return "tracefs is not in /proc/filesystems: a kernel without CONFIG_TRACING";
  }
  if (op.clone_flag != 0 && access(fmt::format("/proc/self/ns/{}", op.name).c_str(), F_OK) != 0) {
    return fmt::format("this kernel has no {} namespaces (no /proc/self/ns/{})", op.name, op.name);
  }
  for (const auto& [name, batched] : op.deferred) {
    if (!Symbols().Address(name)) {
      return fmt::format(
          "kernel function {}, where {} namespaces are freed, is not in "
          "/proc/kallsyms: this kernel tears them down elsewhere, so the end of "
          "their cleanup cannot be found",
          name, op.name);
    }
  }
  return "";
}

std::vector<CounterSpec> Metrics() {
  std::vector<CounterSpec> m;
  for (std::string phase : {"create", "cleanup"}) {
    std::string what =
        phase == "create" ? "creation (the system call)" : "cleanup (exit until teardown finished)";
    m.push_back({phase + "_count", "namespaces", "namespaces whose " + what + " was traced whole",
                 "higher"});
    for (std::string q : {"p50", "p90", "p99", "max", "mean"}) {
      m.push_back({phase + "_latency_" + q + "_ns", "ns", q + " latency of " + what});
    }
    m.push_back({phase + "_cpu_mean_ns", "ns", "mean CPU time of " + what});
    m.push_back({phase + "_blocked_mean_ns", "ns", "mean time blocked (asleep) in " + what});
    m.push_back({phase + "_rcu_wait_mean_ns", "ns",
                 "mean time blocked under an RCU grace-period waiter in " + what});
    m.push_back({phase + "_rcu_wait_fraction", "fraction",
                 "share of the latency of " + what + " spent waiting for RCU grace periods"});
  }
  m.push_back({"cleanup_batch_mean", "namespaces",
               "namespaces freed per deferred teardown execution (0: none deferred)", "higher"});
  m.push_back({"cleanup_deferred_per_ns_mean_ns", "ns",
               "deferred teardown execution time divided by the namespaces it freed"});
  m.push_back({"trace_events", "events", "trace events read in the repetition", "higher"});
  m.push_back({"trace_lost_events", "events", "trace events the ring buffer lost"});
  m.push_back({"traced_op_mean_ns", "ns", "operation time (release to reaped) while traced"});
  m.push_back({"untraced_op_mean_ns", "ns", "the same operation with no tracing instance"});
  m.push_back({"tracing_overhead_fraction", "fraction",
               "traced over untraced operation time, minus 1: what tracing adds"});
  return m;
}

// Sweeps the kernel refuses on every host: a second unshare(CLONE_NEWPID)
// by the same task fails with EINVAL, and user namespaces nest at most 32
// deep (EUSERS, or EPERM past the limit).
std::string CheckPoint(const Point& p) {
  int64_t calls = p.Int("calls_per_task");
  if (p.String("op") == "pid" && calls > 1) {
    return "op pid with calls_per_task > 1: a task can unshare a PID namespace only once "
           "(the second call fails with EINVAL)";
  }
  if (p.String("op") == "user" && calls > 32) {
    return "op user with calls_per_task > 32: user namespaces nest at most 32 deep";
  }
  return "";
}

}  // namespace

ExperimentSpec NsLatencyExperiment() {
  ExperimentSpec e;
  e.name = "ns_latency";
  e.figure = "3";
  e.summary =
      "namespace creation and cleanup latency per type against operations released together, "
      "traced with ftrace; blocked time attributed by kernel stack, RCU grace-period waits named";
  e.params = {
      {"op", ParamType::kString, std::string("mnt"),
       "namespace type to create (mnt ipc net uts pid cgroup user time), or a calibration "
       "operation: membarrier (waits for an RCU grace period), getppid (does not)",
       OpNames()},
      {"concurrency",
       ParamType::kInt,
       int64_t{1},
       "child processes released together to create, then together to exit",
       {},
       1,
       1024},
      {"calls_per_task",
       ParamType::kInt,
       int64_t{1},
       "namespaces each child makes in a row, each replacing the last (1000 with op ipc: the "
       "unshare loop of configs/ipc-unshare-loop.yaml)",
       {},
       1,
       100000},
      {"threads",
       ParamType::kInt,
       int64_t{1},
       "harness threads (always 1: concurrency comes from the children)",
       {},
       1,
       1},
      {"buffer_kb",
       ParamType::kInt,
       int64_t{16384},
       "trace ring buffer per CPU, KiB",
       {},
       64,
       1048576},
      {"lost_events",
       ParamType::kString,
       std::string("untrustworthy"),
       "a repetition that lost trace events is marked untrustworthy, or fails the point",
       {"untrustworthy", "fail"}},
      {"settle_ms",
       ParamType::kInt,
       int64_t{300},
       "wait after the last operation, for types with deferred teardown (ipc, net, user), "
       "before tracing stops",
       {},
       0,
       60000},
      {"untraced_ops",
       ParamType::kInt,
       int64_t{2},
       "operations run again without tracing after each repetition, for tracing's cost",
       {},
       0,
       1000},
      {"keep_trace",
       ParamType::kBool,
       false,
       "keep the raw trace (per-CPU ring-buffer pages for trace-cmd restore, and as text) as "
       "artifacts",
       {}},
  };
  e.workload_metrics = Metrics();
  e.check = CheckPoint;
  e.unsupported = Unsupported;
  e.make = [](const Point& p, HostGuard& guard) -> std::unique_ptr<Workload> {
    return std::make_unique<NsLatencyWorkload>(p, guard);
  };
  e.microbench_sweep = {
      {"op", {std::string("mnt"), std::string("ipc"), std::string("net")}},
      {"concurrency", {int64_t{1}, int64_t{16}}},
  };
  return e;
}

}  // namespace isocost
