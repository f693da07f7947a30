// Counting how often a trace event fires, exactly and without reading the
// events: a private tracing instance with only that event enabled (and
// filtered), whose ring buffer statistics count every event written
// (entries + overrun, summed over CPUs). Used, for example, to count
// struct net allocations and frees: live plus dying network namespaces.
//
// tracefs is used where the host mounted it; otherwise a helper process
// mounts it in a private mount namespace of its own and the instance is
// reached through /proc/<helper>/root, so the host's mounts never change.
// The instance is a host change: it is journaled (undo action
// "tracing_instance" of primitives/trace.h, which refuses names without
// "isocost" and, after a crash, removes it through a private tracefs mount).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "guard.h"

namespace isocost {

inline constexpr const char* kTracingDir = "/sys/kernel/tracing";

// A tracefs to work in: the host's mount, or a helper's private one.
class Tracefs {
 public:
  // Throws kUnsupported when the kernel has no tracefs.
  explicit Tracefs(HostGuard& guard);
  ~Tracefs();
  Tracefs(const Tracefs&) = delete;
  Tracefs& operator=(const Tracefs&) = delete;

  const std::string& root() const { return root_; }

 private:
  HostGuard& guard_;
  std::string root_;
  pid_t helper_ = -1;
  int release_fd_ = -1;
};

class TraceEventCounter {
 public:
  // event: "system/name" (kmem/kmem_cache_free); filter: an event filter,
  // or "". instance: a name carrying "isocost", unique on the host.
  TraceEventCounter(HostGuard& guard, const Tracefs& tracefs, const std::string& instance,
                    const std::string& event, const std::string& filter);
  ~TraceEventCounter();
  TraceEventCounter(const TraceEventCounter&) = delete;
  TraceEventCounter& operator=(const TraceEventCounter&) = delete;

  // Events since the counter was made.
  uint64_t Count() const;

 private:
  HostGuard& guard_;
  std::string dir_;
  HostGuard::Id undo_ = 0;
  std::vector<int> stats_fds_;  // per_cpu/cpuN/stats, read again each time
};

// Sums "entries:" and "overrun:" of a per-CPU ring buffer stats text.
uint64_t EventsWritten(const std::string& stats);

}  // namespace isocost
