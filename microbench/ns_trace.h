// Figure 3's trace analysis: from decoded trace events, the creation and
// cleanup latency of each traced task's namespace, its CPU time, and where
// its blocked time went (RCU grace-period waits named). Pure logic over
// events, so that it is tested without a kernel.
//
// How each phase is delimited:
// - creation: the traced task's entry into and exit from the system call
//   that creates the namespace (sys_enter_<call> .. sys_exit_<call>);
// - cleanup starts when the namespace's last task (the traced task) enters
//   exit_group, and ends
//   - for teardown done in the exiting task (mnt, uts, pid, cgroup, time):
//     at the task's last sched_switch away, after which it never runs;
//   - for teardown deferred to a workqueue (ipc: free_ipc, net:
//     cleanup_net, user: free_user_ns): at the workqueue_execute_end of the
//     execution that freed it, or the task's last switch if that is later.
//     The execution is the one of the work item the task queued
//     (workqueue_queue_work from the task's pid), else the first execution
//     of the function that starts after the task began exiting (a task that
//     finds the work already queued joins that batch; within one batch when
//     executions and exits interleave closely). A batched execution's time
//     is shared equally by the namespaces it freed.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "primitives/trace.h"

namespace isocost {

// A work function that finishes a namespace's teardown.
struct DeferredWork {
  std::string name;       // "free_ipc"
  uint64_t function = 0;  // its address (kallsyms)
  bool batched = true;    // one execution frees every namespace queued before it
};

struct PhaseStats {
  std::vector<double> latency_ns;  // one per namespace whose phase was seen whole
  double cpu_ns = 0, blocked_ns = 0, runnable_ns = 0, rcu_wait_ns = 0, queued_ns = 0;  // sums
  // Blocked (and queued) time by what it waited in: "RCU grace period:
  // synchronize_rcu_normal", "__mutex_lock < copy_net_ns", "queued for free_ipc".
  std::map<std::string, double> waits_ns;
  int64_t incomplete = 0;  // tasks whose phase end is missing from the trace

  // The entry of waits_ns with the most time, or "".
  std::string TopWait() const;
};

struct NsTraceAnalysis {
  PhaseStats create, cleanup;
  int64_t tasks = 0;
  int64_t executions = 0;                  // deferred work executions that freed ours
  std::vector<double> batch_sizes;         // namespaces per execution
  std::vector<double> per_ns_deferred_ns;  // execution time / batch size, per namespace
};

// tasks: the pids that each made namespaces with `syscall` ("unshare",
// "membarrier", ...), one a call, and then exited; each call is one
// creation, the exit ends the last namespace made.
NsTraceAnalysis AnalyzeNsTrace(const std::vector<TraceEvent>& events, const std::set<int>& tasks,
                               const std::string& syscall,
                               const std::vector<DeferredWork>& deferred,
                               const KernelSymbols& symbols);

// Nearest-rank quantile q (0..1) of values; 0 when empty.
double Quantile(std::vector<double> values, double q);

}  // namespace isocost
