// Namespaces and network namespaces: clone flags by name, the census of
// network namespaces alive or dying (exact, from trace events), the kernel
// memory they hold, what IPv6 looks like inside a new one, sysctls set
// through the guard, and listeners counting the netlink broadcasts (uevents,
// namespace-id notifications) a namespace's creation and teardown cause.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "guard.h"
#include "tracecount.h"

namespace isocost {

// The namespace types a container can be started into, by their
// /proc/<pid>/ns names.
const std::vector<std::string>& NamespaceNames();
// CLONE_NEW* flags of the given names; throws kUsage on an unknown one.
uint64_t NamespaceFlags(const std::vector<std::string>& names);

// Network namespaces counted as they are made and as their teardown ends,
// from trace events: kmem_cache_alloc of the net_namespace cache, and the
// kfree of net->gen in net_free (inlined into net_passive_dec on some
// kernels), which runs once per namespace when its asynchronous teardown
// (cleanup_net) has finished. Allocated - Released is the change in
// namespaces alive or dying. Neither slab statistics nor the struct net's
// own kmem_cache_free count that: freed objects stay counted in per-CPU
// slabs, and since Linux 6.9 the struct itself is freed only in the next
// teardown round. The constructor checks the census on one namespace.
class NetnsCensus {
 public:
  NetnsCensus(HostGuard& guard, const std::string& tag);
  uint64_t Allocated() const { return alloc_.Count(); }
  uint64_t Released() const { return release_.Count(); }

 private:
  void Verify() const;

  Tracefs tracefs_;
  TraceEventCounter alloc_, release_;
};

// Sets a sysctl (a path under /proc/sys) through the guard, which restores
// the old value; nothing when it already has the value.
std::optional<HostGuard::Id> SetSysctl(HostGuard& guard, const std::string& path,
                                       const std::string& value);

// IPv6 as seen inside a new network namespace, with its loopback up.
struct Ipv6Inside {
  std::string all, dflt, lo;  // net.ipv6.conf.{all,default,lo}.disable_ipv6
  int addresses = 0;          // lines of /proc/net/if_inet6
};
// Starts a child in a new network namespace that (when off_inside) writes
// all.disable_ipv6=1 there, brings lo up and reports what it sees.
Ipv6Inside ProbeIpv6(bool off_inside);

// Counts netlink broadcasts received in the caller's network namespace:
// uevents (NETLINK_KOBJECT_UEVENT) and namespace-id notifications
// (RTM_NEWNSID/RTM_DELNSID on RTNLGRP_NSID). Drain() reads what arrived.
class BroadcastListener {
 public:
  BroadcastListener();
  ~BroadcastListener();
  BroadcastListener(const BroadcastListener&) = delete;
  BroadcastListener& operator=(const BroadcastListener&) = delete;

  void Drain();
  uint64_t uevents() const { return uevents_; }
  uint64_t nsid_messages() const { return nsid_; }
  uint64_t overruns() const { return overruns_; }  // ENOBUFS: messages lost
  std::vector<int> fds() const { return {uevent_fd_, nsid_fd_}; }

 private:
  int uevent_fd_ = -1, nsid_fd_ = -1;
  uint64_t uevents_ = 0, nsid_ = 0, overruns_ = 0;
};

// A child process holding n network namespaces, each with a uevent and a
// namespace-id listener that it drains continuously, so that what a new
// namespace broadcasts to existing ones can be counted. The namespaces are
// held by their sockets, not by mounts. It dies with the thread that made
// it, or with the destructor.
class NetnsHolder {
 public:
  explicit NetnsHolder(int n);
  ~NetnsHolder();
  NetnsHolder(const NetnsHolder&) = delete;
  NetnsHolder& operator=(const NetnsHolder&) = delete;

  struct Counts {
    uint64_t uevents = 0, nsid_messages = 0, overruns = 0;
  };
  // Messages received over all held namespaces so far.
  Counts Take();

 private:
  pid_t pid_ = -1;
  int command_fd_ = -1, reply_fd_ = -1;
};

}  // namespace isocost
