// Kernel tracing for experiments: a private tracefs instance named for
// isocost (never the global buffer), on a tracefs mount isocost makes
// itself, both recorded by the host-state guard before they are made and
// removed afterwards (or by `isocost cleanup` after a crash). Events are
// read raw from the per-CPU ring buffers through libtracefs and decoded
// with libtraceevent; kernel stacks are named from /proc/kallsyms.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct tep_handle;
struct tracefs_instance;

namespace isocost {

class HostGuard;

// What the analysis needs of a trace event; fields that do not apply to an
// event's kind stay zero.
enum class EventKind {
  kSysEnter,    // syscalls:sys_enter_<name>
  kSysExit,     // syscalls:sys_exit_<name>
  kSwitch,      // sched:sched_switch
  kStack,       // ftrace:kernel_stack, written by a stacktrace trigger
  kWorkQueued,  // workqueue:workqueue_queue_work
  kWorkStart,   // workqueue:workqueue_execute_start
  kWorkEnd,     // workqueue:workqueue_execute_end
  kOther,
};

struct TraceEvent {
  uint64_t ts_ns = 0;  // trace clock "mono": comparable across CPUs
  int cpu = 0;
  int pid = 0;  // common_pid: the task current when it was recorded
  EventKind kind = EventKind::kOther;
  std::string name;  // "sys_enter_unshare" (system call name for sys events: "unshare")
  int prev_pid = 0, next_pid = 0;   // sched_switch
  int64_t prev_state = 0;           // sched_switch: 0 preempted, 1 S, 2 D, ...
  uint64_t work = 0, function = 0;  // workqueue events
  std::vector<uint64_t> stack;      // kernel_stack, innermost frame first
};

// What a point asks the instance to record.
struct TraceRequest {
  int buffer_kb = 16384;                        // ring buffer per CPU
  std::vector<std::string> events;              // "system/event"
  std::map<std::string, std::string> filters;   // "system/event" -> filter
  std::map<std::string, std::string> triggers;  // "system/event" -> trigger
};

// Events lost by the ring buffer, from the instance's per_cpu/cpuN/stats
// (overrun, commit overrun and dropped events, summed over CPUs).
struct LostEvents {
  uint64_t overrun = 0, commit_overrun = 0, dropped = 0;
  uint64_t total() const { return overrun + commit_overrun + dropped; }
};

// The raw ring-buffer pages of each CPU, as trace_pipe_raw gives them: what
// `trace-cmd restore` turns into a trace.dat, and what Decode reads.
struct RawTrace {
  std::vector<std::string> cpu_data;  // index: CPU
  size_t page_size = 0;
};

// A tracefs mount and one instance on it, both journaled. Not thread-safe.
class TraceSession {
 public:
  // Mounts tracefs at /run/isocost-tracefs-<tag> and creates the instance
  // isocost-<tag>; throws (undoing what it made) when either fails.
  TraceSession(HostGuard& guard, const std::string& tag);
  ~TraceSession();
  TraceSession(const TraceSession&) = delete;
  TraceSession& operator=(const TraceSession&) = delete;

  // Sets clock, buffer size, filters, triggers, and enables the events.
  void Configure(const TraceRequest& request);
  void Start();
  void Stop();
  // Reads (and consumes) what every CPU's buffer holds. Call after Stop.
  RawTrace Collect();
  LostEvents Lost() const;
  std::vector<std::string> AvailableTracers() const;
  // Decodes raw pages into events sorted by time; with text, also renders
  // them as lines like the kernel's own `trace` file. Works after Close.
  std::vector<TraceEvent> Decode(const RawTrace& raw, std::string* text = nullptr) const;
  // The format files the raw pages need (header_page and each event's), for
  // keeping beside raw pages.
  std::string Formats() const;
  // Removes the instance and the mount now (also done by the destructor).
  void Close();

  const std::string& mount_point() const { return mount_point_; }
  const std::string& instance_name() const { return name_; }

 private:
  void WriteEventFile(const std::string& event, const char* file, const std::string& text);

  HostGuard& guard_;
  std::string mount_point_, name_;
  std::vector<size_t> undo_;  // guard ids, in the order made
  tracefs_instance* instance_ = nullptr;
  tep_handle* tep_ = nullptr;
  std::vector<std::string> events_;
  std::string formats_;
};

// Removes tracing instance `name` (it must contain "isocost") through the
// tracefs mounted at tracefs_dir or, when that mount is gone, through a
// tracefs mounted in a child's private mount namespace. Absent is fine.
void RemoveTracingInstance(const std::string& tracefs_dir, const std::string& name);
// Unmounts an isocost tracefs mount point and removes the empty directory.
void RemoveTracefsMount(const std::string& target);

// Kernel symbols from /proc/kallsyms (addresses need root to be real).
class KernelSymbols {
 public:
  static KernelSymbols Load();
  // "name" of the function containing addr, or "0x<hex>" when unknown.
  std::string Name(uint64_t addr) const;
  std::optional<uint64_t> Address(std::string_view name) const;
  bool empty() const { return by_address_.empty(); }
  void Add(uint64_t addr, std::string name);  // for tests

 private:
  std::vector<std::pair<uint64_t, std::string>> by_address_;  // sorted
};

// A kernel symbol without compiler suffixes (".constprop.0", ".isra.0").
std::string BaseSymbol(std::string_view symbol);
// The functions that wait for an RCU grace period, one table for every
// kernel: a frame matches when its base name starts with one of them
// (synchronize_rcu matches synchronize_rcu_expedited and _normal).
const std::vector<std::string>& GracePeriodWaiters();
// The first grace-period waiter in a stack (innermost first), or "".
std::string GracePeriodWaiterIn(const std::vector<std::string>& frames);
// What a blocked task waited in: the innermost frame that is not the
// scheduler's own or a generic wait helper, with its caller when it is a
// lock or I/O wait ("__mutex_lock < copy_net_ns"). "" for an empty stack.
std::string TopBlocker(const std::vector<std::string>& frames);

}  // namespace isocost
