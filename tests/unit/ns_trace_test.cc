// Figure 3's trace analysis on hand-made event sequences: phases, blocked
// time attribution, grace-period waiter matching, deferred and batched
// teardown.
#include "microbench/ns_trace.h"

#include <gtest/gtest.h>

namespace isocost {
namespace {

constexpr uint64_t kFreeIpc = 0xffffffff81500000;

// Symbols at made-up addresses, 0x100 apart.
KernelSymbols Symbols() {
  KernelSymbols s;
  const char* names[] = {"__schedule",
                         "schedule",
                         "schedule_timeout",
                         "__wait_for_common",
                         "synchronize_rcu_normal",
                         "namespace_unlock",
                         "free_nsproxy",
                         "__mutex_lock.constprop.0",
                         "copy_net_ns",
                         "free_ipc"};
  for (size_t i = 0; i < std::size(names); ++i)
    s.Add(0xffffffff81000000 + 0x100 * i, names[i]);
  return s;
}

uint64_t Addr(int index) {
  return 0xffffffff81000000 + 0x100 * static_cast<uint64_t>(index) + 8;
}

TraceEvent Sys(uint64_t ts, int pid, EventKind kind, const std::string& name) {
  TraceEvent e;
  e.ts_ns = ts;
  e.pid = pid;
  e.kind = kind;
  e.name = name;
  return e;
}

TraceEvent Switch(uint64_t ts, int cpu, int prev, int64_t state, int next) {
  TraceEvent e;
  e.ts_ns = ts;
  e.cpu = cpu;
  e.pid = prev;
  e.kind = EventKind::kSwitch;
  e.prev_pid = prev;
  e.prev_state = state;
  e.next_pid = next;
  return e;
}

TraceEvent Stack(uint64_t ts, int cpu, int pid, std::vector<uint64_t> frames) {
  TraceEvent e;
  e.ts_ns = ts;
  e.cpu = cpu;
  e.pid = pid;
  e.kind = EventKind::kStack;
  e.stack = std::move(frames);
  return e;
}

TraceEvent Work(uint64_t ts, int pid, EventKind kind, uint64_t work) {
  TraceEvent e;
  e.ts_ns = ts;
  e.pid = pid;
  e.kind = kind;
  e.work = work;
  e.function = kFreeIpc;
  return e;
}

TEST(GracePeriodWaiters, MatchVariantsAndSuffixes) {
  EXPECT_EQ(GracePeriodWaiterIn({"__schedule", "synchronize_rcu_normal", "membarrier"}),
            "synchronize_rcu_normal");
  EXPECT_EQ(GracePeriodWaiterIn({"synchronize_rcu_expedited.part.0"}), "synchronize_rcu_expedited");
  EXPECT_EQ(GracePeriodWaiterIn({"__wait_rcu_gp"}), "__wait_rcu_gp");
  EXPECT_EQ(GracePeriodWaiterIn({"synchronize_srcu"}), "synchronize_srcu");
  EXPECT_EQ(GracePeriodWaiterIn({"rcu_barrier_tasks"}), "rcu_barrier_tasks");
  EXPECT_EQ(GracePeriodWaiterIn({"__schedule", "__mutex_lock", "copy_net_ns"}), "");
}

TEST(TopBlocker, SkipsTheSchedulerAndNamesTheLockCaller) {
  EXPECT_EQ(TopBlocker({"__schedule", "schedule", "schedule_preempt_disabled",
                        "__mutex_lock.constprop.0", "copy_net_ns", "create_new_namespaces"}),
            "__mutex_lock < copy_net_ns");
  EXPECT_EQ(TopBlocker({"__schedule", "schedule", "pipe_read"}), "pipe_read");
  EXPECT_EQ(TopBlocker({}), "");
}

TEST(KernelSymbols, NamesTheEnclosingFunction) {
  KernelSymbols s = Symbols();
  EXPECT_EQ(s.Name(Addr(4)), "synchronize_rcu_normal");
  EXPECT_EQ(s.Name(0x10), "0x10");
  EXPECT_EQ(s.Address("free_ipc"), 0xffffffff81000900u);
}

// A task that blocks in synchronize_rcu_normal for 10 ms during its system
// call, and in a mutex for 1 ms during its exit.
TEST(AnalyzeNsTrace, AttributesBlockedTimeToGracePeriodsAndLocks) {
  std::vector<TraceEvent> ev = {
      Sys(1'000'000, 7, EventKind::kSysEnter, "membarrier"),
      Switch(1'100'000, 0, 7, 2, 0),
      Stack(1'100'000, 0, 7, {Addr(0), Addr(1), Addr(2), Addr(3), Addr(4)}),
      Switch(11'100'000, 0, 0, 0, 7),
      Sys(11'200'000, 7, EventKind::kSysExit, "membarrier"),
      Sys(12'000'000, 7, EventKind::kSysEnter, "exit_group"),
      Switch(12'100'000, 1, 7, 2, 0),
      Stack(12'100'000, 1, 7, {Addr(0), Addr(7), Addr(8)}),
      Switch(13'100'000, 1, 0, 0, 7),
      Switch(13'300'000, 1, 7, 32, 0),  // the last switch away: zombie
  };
  NsTraceAnalysis a = AnalyzeNsTrace(ev, {7}, "membarrier", {}, Symbols());

  ASSERT_EQ(a.create.latency_ns.size(), 1u);
  EXPECT_DOUBLE_EQ(a.create.latency_ns[0], 10'200'000);
  EXPECT_DOUBLE_EQ(a.create.blocked_ns, 10'000'000);
  EXPECT_DOUBLE_EQ(a.create.rcu_wait_ns, 10'000'000);
  EXPECT_DOUBLE_EQ(a.create.cpu_ns, 200'000);
  EXPECT_EQ(a.create.TopWait(), "RCU grace period: synchronize_rcu_normal");

  ASSERT_EQ(a.cleanup.latency_ns.size(), 1u);
  EXPECT_DOUBLE_EQ(a.cleanup.latency_ns[0], 1'300'000);
  EXPECT_DOUBLE_EQ(a.cleanup.rcu_wait_ns, 0);
  EXPECT_EQ(a.cleanup.TopWait(), "__mutex_lock < copy_net_ns");
  EXPECT_EQ(a.cleanup.incomplete, 0);
}

// Two tasks exit; the first queues free_ipc, the second finds it queued.
// One kworker execution frees both and blocks 8 ms in a grace period.
TEST(AnalyzeNsTrace, SharesABatchedExecutionBetweenItsNamespaces) {
  const int kworker = 50;
  std::vector<TraceEvent> ev = {
      Sys(100, 1, EventKind::kSysEnter, "unshare"),
      Sys(200, 1, EventKind::kSysExit, "unshare"),
      Sys(100, 2, EventKind::kSysEnter, "unshare"),
      Sys(300, 2, EventKind::kSysExit, "unshare"),
      Sys(1'000, 1, EventKind::kSysEnter, "exit_group"),
      Work(1'500, 1, EventKind::kWorkQueued, 0xabc),
      Sys(1'600, 2, EventKind::kSysEnter, "exit_group"),
      Switch(2'000, 0, 1, 32, 2),
      Switch(3'000, 0, 2, 32, kworker),
      Work(4'000, kworker, EventKind::kWorkStart, 0xabc),
      Switch(5'000, 0, kworker, 2, 0),
      Stack(5'000, 0, kworker, {Addr(0), Addr(4), Addr(9)}),
      Switch(13'000, 0, 0, 0, kworker),
      Work(14'000, kworker, EventKind::kWorkEnd, 0xabc),
  };
  std::vector<DeferredWork> deferred = {{"free_ipc", kFreeIpc, true}};
  NsTraceAnalysis a = AnalyzeNsTrace(ev, {1, 2}, "unshare", deferred, Symbols());

  EXPECT_EQ(a.executions, 1);
  ASSERT_EQ(a.batch_sizes.size(), 1u);
  EXPECT_DOUBLE_EQ(a.batch_sizes[0], 2);
  ASSERT_EQ(a.cleanup.latency_ns.size(), 2u);
  EXPECT_DOUBLE_EQ(a.cleanup.latency_ns[0], 13'000);  // 1'000 .. 14'000
  EXPECT_DOUBLE_EQ(a.cleanup.latency_ns[1], 12'400);  // 1'600 .. 14'000
  EXPECT_DOUBLE_EQ(a.cleanup.rcu_wait_ns, 8'000);     // half of 8'000 each
  ASSERT_EQ(a.per_ns_deferred_ns.size(), 2u);
  EXPECT_DOUBLE_EQ(a.per_ns_deferred_ns[0], 5'000);  // 10'000 / 2
  EXPECT_DOUBLE_EQ(a.cleanup.waits_ns.at("queued for free_ipc"), 2'000 + 1'000);
}

TEST(AnalyzeNsTrace, CountsCleanupsWhoseDeferredEndIsMissing) {
  std::vector<TraceEvent> ev = {
      Sys(1'000, 1, EventKind::kSysEnter, "exit_group"),
      Work(1'500, 1, EventKind::kWorkQueued, 0xabc),
      Switch(2'000, 0, 1, 32, 0),
  };
  std::vector<DeferredWork> deferred = {{"free_ipc", kFreeIpc, true}};
  NsTraceAnalysis a = AnalyzeNsTrace(ev, {1}, "unshare", deferred, Symbols());
  EXPECT_EQ(a.cleanup.incomplete, 1);
  EXPECT_EQ(a.create.incomplete, 1);
  EXPECT_TRUE(a.cleanup.latency_ns.empty());
}

// The switch back in is missing (as for switches from the idle task here):
// the task's next event ends its time off the CPU, so CPU time stays sane.
TEST(AnalyzeNsTrace, ANextEventEndsTimeOffCpuWhenTheSwitchInIsMissing) {
  std::vector<TraceEvent> ev = {
      Sys(1'000, 3, EventKind::kSysEnter, "unshare"),
      Switch(2'000, 0, 3, 1, 0),
      Sys(5'000, 3, EventKind::kSysExit, "unshare"),
      Sys(6'000, 3, EventKind::kSysEnter, "exit_group"),
      Switch(7'000, 0, 3, 1, 0),
      Switch(8'000, 0, 3, 32, 0),  // out again, no switch-in recorded
  };
  NsTraceAnalysis a = AnalyzeNsTrace(ev, {3}, "unshare", {}, Symbols());
  EXPECT_DOUBLE_EQ(a.create.blocked_ns, 3'000);  // 2'000 .. 5'000, ended by sys_exit
  EXPECT_DOUBLE_EQ(a.create.cpu_ns, 1'000);
  EXPECT_EQ(a.create.TopWait(), "(blocked, no stack recorded)");
  ASSERT_EQ(a.cleanup.latency_ns.size(), 1u);
  EXPECT_DOUBLE_EQ(a.cleanup.cpu_ns, 2'000);  // 7'000 .. 8'000 counts as unknown, not off
}

TEST(Quantile, NearestRank) {
  EXPECT_DOUBLE_EQ(Quantile({5, 1, 3, 2, 4}, 0.5), 3);
  EXPECT_DOUBLE_EQ(Quantile({5, 1, 3, 2, 4}, 1.0), 5);
  EXPECT_DOUBLE_EQ(Quantile({}, 0.5), 0);
}

}  // namespace
}  // namespace isocost
