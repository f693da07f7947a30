#include "microbench/ns_trace.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>

namespace isocost {
namespace {

constexpr int64_t kBlockedStates = 0x3;  // TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE

// A stretch a task spent off the CPU: blocked (with the stack it blocked
// in) or runnable (preempted, waiting for a CPU).
struct OffCpu {
  uint64_t from = 0, to = UINT64_MAX;
  bool blocked = false;
  std::vector<uint64_t> stack;
};

struct Task {
  std::vector<std::pair<uint64_t, uint64_t>> creates;  // (enter, exit) of each call
  std::optional<uint64_t> create_start, exit_start, last_out;
  std::vector<std::pair<uint64_t, uint64_t>> queued;  // (ts, work) it queued
};

struct Execution {
  int pid = 0;
  uint64_t work = 0, function = 0, start = 0, end = 0;
  bool ended = false;
  int batch = 0;  // our namespaces it freed
};

// Everything the analysis reads, gathered in one pass over the events.
struct Timeline {
  std::unordered_map<int, Task> tasks;
  std::unordered_map<int, std::vector<OffCpu>> off;  // by pid, in time order
  std::vector<Execution> executions;                 // by start
};

bool IsDeferred(const std::vector<DeferredWork>& deferred, uint64_t function) {
  for (const DeferredWork& d : deferred) {
    if (d.function == function) return true;
  }
  return false;
}

void OnSyscall(const TraceEvent& e, const std::string& syscall, Task& t) {
  if (e.kind == EventKind::kSysEnter && e.name == syscall) {
    t.create_start = e.ts_ns;
  } else if (e.kind == EventKind::kSysExit && e.name == syscall && t.create_start) {
    t.creates.emplace_back(*t.create_start, e.ts_ns);
    t.create_start.reset();
  } else if (e.kind == EventKind::kSysEnter && (e.name == "exit_group" || e.name == "exit") &&
             !t.exit_start) {
    t.exit_start = e.ts_ns;
  }
}

void OnWork(const TraceEvent& e, const std::vector<DeferredWork>& deferred, Timeline& tl,
            std::unordered_map<int, size_t>& running) {
  if (!IsDeferred(deferred, e.function)) return;
  if (e.kind == EventKind::kWorkQueued) {
    auto task = tl.tasks.find(e.pid);
    // Only queueing during its exit: a task that makes namespaces in a loop
    // also frees the ones it replaces.
    if (task != tl.tasks.end() && task->second.exit_start) {
      task->second.queued.emplace_back(e.ts_ns, e.work);
    }
  } else if (e.kind == EventKind::kWorkStart) {
    running[e.pid] = tl.executions.size();
    tl.executions.push_back({e.pid, e.work, e.function, e.ts_ns, 0, false, 0});
  } else if (e.kind == EventKind::kWorkEnd) {
    auto at = running.find(e.pid);
    if (at == running.end()) return;
    tl.executions[at->second].end = e.ts_ns;
    tl.executions[at->second].ended = true;
    running.erase(at);
  }
}

// A task that records an event is running: it ends any stretch off the CPU
// whose switch-in the trace lacks (seen missing for switches from the idle
// task on this machine; the task's next event bounds the stretch instead).
void EndOffCpu(Timeline& tl, int pid, uint64_t ts) {
  auto at = tl.off.find(pid);
  if (at != tl.off.end() && !at->second.empty() && at->second.back().to == UINT64_MAX) {
    at->second.back().to = ts;
  }
}

Timeline Gather(const std::vector<TraceEvent>& events, const std::set<int>& pids,
                const std::string& syscall, const std::vector<DeferredWork>& deferred) {
  Timeline tl;
  std::unordered_map<int, size_t> running;                      // kworker pid -> execution
  std::unordered_map<int, std::pair<int, size_t>> last_switch;  // cpu -> (pid, off index)
  for (int pid : pids)
    tl.tasks[pid];

  for (const TraceEvent& e : events) {
    if (e.kind != EventKind::kSwitch && e.kind != EventKind::kStack) EndOffCpu(tl, e.pid, e.ts_ns);
    switch (e.kind) {
      case EventKind::kSysEnter:
      case EventKind::kSysExit:
        if (pids.contains(e.pid)) OnSyscall(e, syscall, tl.tasks[e.pid]);
        break;
      case EventKind::kSwitch: {
        std::vector<OffCpu>& prev = tl.off[e.prev_pid];
        // Switched out again with no switch-in seen since its last event:
        // that stretch's end is unknown, so it counts as none.
        if (!prev.empty() && prev.back().to == UINT64_MAX) prev.back().to = prev.back().from;
        prev.push_back({e.ts_ns, UINT64_MAX, (e.prev_state & kBlockedStates) != 0, {}});
        last_switch[e.cpu] = {e.prev_pid, prev.size() - 1};
        auto task = tl.tasks.find(e.prev_pid);
        if (task != tl.tasks.end() && task->second.exit_start) task->second.last_out = e.ts_ns;
        auto next = tl.off.find(e.next_pid);
        if (next != tl.off.end() && !next->second.empty() && next->second.back().to == UINT64_MAX) {
          next->second.back().to = e.ts_ns;
        }
        break;
      }
      case EventKind::kStack: {
        auto at = last_switch.find(e.cpu);
        if (at == last_switch.end() || at->second.first != e.pid) break;
        OffCpu& off = tl.off[e.pid][at->second.second];
        if (off.stack.empty()) off.stack = e.stack;
        break;
      }
      case EventKind::kWorkQueued:
      case EventKind::kWorkStart:
      case EventKind::kWorkEnd:
        OnWork(e, deferred, tl, running);
        break;
      case EventKind::kOther:
        break;
    }
  }
  return tl;
}

std::vector<std::string> Frames(const std::vector<uint64_t>& stack, const KernelSymbols& symbols) {
  std::vector<std::string> frames;
  for (uint64_t addr : stack)
    frames.push_back(symbols.Name(addr));
  return frames;
}

// Off-CPU time of pid within [from, to), added to stats scaled by share.
// Returns the off-CPU nanoseconds (unscaled).
double AddOffCpu(const Timeline& tl, int pid, uint64_t from, uint64_t to, double share,
                 const KernelSymbols& symbols, PhaseStats& stats) {
  auto at = tl.off.find(pid);
  if (at == tl.off.end() || to <= from) return 0;
  double total = 0;
  for (const OffCpu& off : at->second) {
    uint64_t a = std::max(off.from, from), b = std::min(off.to, to);
    if (a >= b) continue;
    double ns = static_cast<double>(b - a);
    total += ns;
    if (!off.blocked) {
      stats.runnable_ns += ns * share;
      continue;
    }
    stats.blocked_ns += ns * share;
    std::vector<std::string> frames = Frames(off.stack, symbols);
    std::string waiter = GracePeriodWaiterIn(frames);
    if (!waiter.empty()) stats.rcu_wait_ns += ns * share;
    std::string key = !waiter.empty()  ? "RCU grace period: " + waiter
                      : frames.empty() ? "(blocked, no stack recorded)"
                                       : TopBlocker(frames);
    stats.waits_ns[key] += ns * share;
  }
  return total;
}

void AnalyzeCreate(const Timeline& tl, int pid, const Task& t, const KernelSymbols& symbols,
                   PhaseStats& stats) {
  if (t.creates.empty() || t.create_start) ++stats.incomplete;
  for (const auto& [from, to] : t.creates) {
    double wall = static_cast<double>(to - from);
    double off = AddOffCpu(tl, pid, from, to, 1.0, symbols, stats);
    stats.latency_ns.push_back(wall);
    stats.cpu_ns += wall - off;
  }
}

// The execution that freed task t's namespace, or nullptr.
Execution* FindExecution(Timeline& tl, const Task& t, const std::vector<DeferredWork>& deferred) {
  for (const auto& [ts, work] : t.queued) {
    for (Execution& x : tl.executions) {
      if (x.work == work && x.start >= ts) return &x;
    }
  }
  for (Execution& x : tl.executions) {
    if (x.start < *t.exit_start) continue;
    bool batched = true;
    for (const DeferredWork& d : deferred) {
      if (d.function == x.function) batched = d.batched;
    }
    if (batched || x.batch == 0) return &x;
  }
  return nullptr;
}

}  // namespace

std::string PhaseStats::TopWait() const {
  std::string top;
  double most = 0;
  for (const auto& [key, ns] : waits_ns) {
    if (ns > most) {
      most = ns;
      top = key;
    }
  }
  return top;
}

double Quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

NsTraceAnalysis AnalyzeNsTrace(const std::vector<TraceEvent>& events, const std::set<int>& tasks,
                               const std::string& syscall,
                               const std::vector<DeferredWork>& deferred,
                               const KernelSymbols& symbols) {
  NsTraceAnalysis out;
  Timeline tl = Gather(events, tasks, syscall, deferred);
  out.tasks = static_cast<int64_t>(tasks.size());

  // Creation, and the part of cleanup the exiting task does itself; tasks
  // in order of their exit, so that unbatched executions go to the first.
  std::vector<int> by_exit(tasks.begin(), tasks.end());
  auto exit_of = [&](int pid) { return tl.tasks[pid].exit_start.value_or(UINT64_MAX); };
  std::sort(by_exit.begin(), by_exit.end(), [&](int a, int b) { return exit_of(a) < exit_of(b); });
  std::vector<std::pair<int, Execution*>> freed;
  for (int pid : by_exit) {
    const Task& t = tl.tasks[pid];
    AnalyzeCreate(tl, pid, t, symbols, out.create);
    if (!t.exit_start || !t.last_out) {
      ++out.cleanup.incomplete;
      continue;
    }
    Execution* x = deferred.empty() ? nullptr : FindExecution(tl, t, deferred);
    if (!deferred.empty() && (x == nullptr || !x->ended)) {
      ++out.cleanup.incomplete;
      continue;
    }
    if (x != nullptr) ++x->batch;
    freed.emplace_back(pid, x);
  }

  // Cleanup latency: the task's own exit, then the deferred execution's
  // share (and the time its namespace waited for the execution to start).
  for (const auto& [pid, x] : freed) {
    const Task& t = tl.tasks[pid];
    double sync_wall = static_cast<double>(*t.last_out - *t.exit_start);
    double off = AddOffCpu(tl, pid, *t.exit_start, *t.last_out, 1.0, symbols, out.cleanup);
    double latency = sync_wall, cpu = sync_wall - off;
    if (x != nullptr) {
      double share = 1.0 / x->batch;
      double exec = static_cast<double>(x->end - x->start);
      double exec_off = AddOffCpu(tl, x->pid, x->start, x->end, share, symbols, out.cleanup);
      cpu += (exec - exec_off) * share;
      latency = static_cast<double>(std::max(x->end, *t.last_out) - *t.exit_start);
      if (x->start > *t.last_out) {
        double queued = static_cast<double>(x->start - *t.last_out);
        out.cleanup.queued_ns += queued;
        std::string name = x->function == 0 ? "deferred work" : "";
        for (const DeferredWork& d : deferred) {
          if (d.function == x->function) name = d.name;
        }
        out.cleanup.waits_ns["queued for " + name] += queued;
      }
      out.per_ns_deferred_ns.push_back(exec * share);
    }
    out.cleanup.latency_ns.push_back(latency);
    out.cleanup.cpu_ns += cpu;
  }
  for (const Execution& x : tl.executions) {
    if (x.batch == 0) continue;
    ++out.executions;
    out.batch_sizes.push_back(x.batch);
  }
  return out;
}

}  // namespace isocost
