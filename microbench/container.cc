// Figure 4: containers created and destroyed per second, with a network
// namespace, with IPv6 off in it, with a veth pair to the host, and without
// a network namespace.
//
// A container is a process started with clone3 into new namespaces (ipc,
// uts, pid, mnt by default, and net unless network is "none") that sets up
// its network part, exits and is reaped. Two rates come out of a window:
// the create rate (Google Benchmark's, operations over the timed loop) and
// the sustained rate, where the window ends only once every network
// namespace it created has been freed: network namespaces are torn down
// asynchronously, in batches, and creation can outrun that. The backlog of
// dying namespaces is counted exactly (struct net allocations less frees,
// from trace events) and sampled with the kernel memory over the window.
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>

#include "microbench/experiments.h"
#include "primitives/error.h"
#include "primitives/fs.h"
#include "primitives/guard.h"
#include "primitives/host.h"
#include "primitives/interrupt.h"
#include "primitives/netlink.h"
#include "primitives/netns.h"
#include "primitives/process.h"

namespace isocost {
namespace {

using Clock = std::chrono::steady_clock;

enum class Network { kNone, kNetns, kLo, kLoIpv6Off, kVethInside, kVethMoved };

const std::vector<std::pair<std::string, Network>> kNetworks = {
    {"none", Network::kNone},
    {"netns", Network::kNetns},
    {"lo", Network::kLo},
    {"lo_ipv6_off", Network::kLoIpv6Off},
    {"veth_inside", Network::kVethInside},
    {"veth_moved", Network::kVethMoved},
};

Network NetworkOf(const std::string& name) {
  for (const auto& [n, v] : kNetworks) {
    if (n == name) return v;
  }
  throw Error(ErrorKind::kUsage, "unknown network variant '" + name + "'");
}

enum Counter { kCreateRetries = 0 };

const char* const kSysctlInherit = "/proc/sys/net/core/devconf_inherit_init_net";
const char* const kSysctlDefault = "/proc/sys/net/ipv6/conf/default/disable_ipv6";
const char* const kSysctlMaxNetns = "/proc/sys/user/max_net_namespaces";
// Written inside: turns IPv6 off on every device there and in default.
const char* const kAllDisableIpv6 = "/proc/sys/net/ipv6/conf/all/disable_ipv6";

// What a container does, as plain data: the child must not allocate.
struct ChildPlan {
  bool lo_up = false;
  bool lo_ipv6_off = false;
  bool veth_inside = false;
  int host_netns_fd = -1;
  char host_end[16] = {};
  int wait_fd = -1;        // veth_moved: parked until the peer is moved in
  int wait_write_fd = -1;  // its other end, closed in the child
  int report_fd = -1;      // where a failed step is reported
};

enum Step { kStepSocket, kStepIpv6Off, kStepLoUp, kStepVeth };
const char* const kStepNames[] = {"opening an rtnetlink socket",
                                  "turning IPv6 off inside (all.disable_ipv6)", "bringing lo up",
                                  "creating a veth pair with its peer on the host"};

struct ChildFailure {
  int step = 0;
  int err = 0;
};

[[noreturn]] void Fail(const ChildPlan& plan, int step, int err) {
  ChildFailure f{step, err};
  ssize_t ignored = write(plan.report_fd, &f, sizeof(f));
  (void)ignored;
  _exit(1);
}

void WaitForParent(const ChildPlan& plan) {
  char byte;
  close(plan.wait_write_fd);
  while (read(plan.wait_fd, &byte, 1) < 0 && errno == EINTR) {
  }
}

// The container's whole life: async-signal-safe calls only.
void ContainerMain(void* arg) {
  const ChildPlan& plan = *static_cast<const ChildPlan*>(arg);
  int sock = -1;
  int ret = 0;

  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (plan.wait_fd >= 0) WaitForParent(plan);
  if (!plan.lo_up && !plan.veth_inside) _exit(0);
  if ((sock = RawRtnlOpen()) < 0) Fail(plan, kStepSocket, -sock);
  if (plan.lo_ipv6_off) {
    int fd = open(kAllDisableIpv6, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "1", 1) != 1) Fail(plan, kStepIpv6Off, errno);
    close(fd);
  }
  if (plan.lo_up && (ret = RawLinkUp(sock, kLoopbackIndex)) < 0) Fail(plan, kStepLoUp, -ret);
  if (plan.veth_inside &&
      (ret = RawCreateVeth(sock, "eth0", plan.host_end, plan.host_netns_fd)) < 0) {
    Fail(plan, kStepVeth, -ret);
  }
  _exit(0);
}

// One row of the backlog time series.
struct Sample {
  double t_s = 0;  // since the census began
  bool draining = false;
  uint64_t ops = 0, allocated = 0, freed = 0, in_flight = 0;  // freed: teardown ended
  int64_t backlog = 0;       // allocated - freed - in flight: dying namespaces
  int64_t memory_bytes = 0;  // SUnreclaim + Percpu, less at the start
};

// Per benchmark thread: where its children report failures, and a socket
// in isocost's own network namespace for veth_moved.
struct ThreadState {
  int report_read = -1, report_write = -1;
  int rtnl = -1;
};

class ContainerWorkload : public Workload {
 public:
  ContainerWorkload(const Point& p, HostGuard& guard)
      : guard_(guard),
        network_(NetworkOf(p.String("network"))),
        flags_(NamespaceFlags(p.List("namespaces"))),
        max_netns_(p.Int("max_net_namespaces")),
        held_(static_cast<int>(p.Int("held_netns"))),
        interval_(std::chrono::milliseconds(p.Int("sample_interval_ms"))),
        drain_timeout_(
            std::chrono::milliseconds(static_cast<int64_t>(p.Double("drain_timeout_s") * 1000))) {
    if (network_ != Network::kNone) flags_ |= NamespaceFlags({"net"});
  }

  ~ContainerWorkload() override { StopSampler(); }

  void Prepare(int threads) override {
    ConfigureHost();
    base_ = BasePlan();
    for (int i = 0; i < threads; ++i)
      threads_.push_back(OpenThreadState());
    StartSampler();
  }

  void Operation(int thread, uint64_t* counters) override {
    ThreadState& ts = threads_[static_cast<size_t>(thread)];
    ChildPlan plan = base_;
    plan.report_fd = ts.report_write;
    auto start = Clock::now();
    NoteStart(start);

    in_flight_.fetch_add(1);
    try {
      RunOne(ts, plan, counters);
    } catch (...) {
      in_flight_.fetch_sub(1);
      throw;
    }
    in_flight_.fetch_sub(1);
    ops_.fetch_add(1);
    NoteEnd(Clock::now());
  }

  void Release() override {
    std::exception_ptr first;
    auto attempt = [&](auto&& step) {
      try {
        step();
      } catch (...) {
        if (!first) first = std::current_exception();
      }
    };
    attempt([&] { Drain(); });
    for (ThreadState& ts : threads_) {
      for (int fd : {ts.report_read, ts.report_write, ts.rtnl}) {
        if (fd >= 0) close(fd);
      }
    }
    threads_.clear();
    if (base_.host_netns_fd >= 0) close(base_.host_netns_fd);
    base_.host_netns_fd = -1;
    for (auto id = undo_.rbegin(); id != undo_.rend(); ++id)
      attempt([&] { guard_.Undo(*id); });
    undo_.clear();
    if (first) std::rethrow_exception(first);
  }

  Findings TakeFindings() override;

 private:
  bool Veth() const { return network_ == Network::kVethInside || network_ == Network::kVethMoved; }
  bool Ipv6Off() const { return network_ == Network::kLoIpv6Off; }

  // Host settings this point needs, each through the guard. The host's
  // all.disable_ipv6 is never written: the kernel copies it to every
  // existing interface and deletes their IPv6 addresses, which restoring the
  // old value does not bring back. New namespaces inherit default (with
  // devconf_inherit_init_net); the container turns the rest off inside.
  void ConfigureHost() {
    if (Ipv6Off()) {
      for (const char* path : {kSysctlInherit, kSysctlDefault}) {
        if (auto id = SetSysctl(guard_, path, "1")) undo_.push_back(*id);
      }
      CheckIpv6Off();
    }
    if (max_netns_ > 0) {
      if (auto id = SetSysctl(guard_, kSysctlMaxNetns, std::to_string(max_netns_))) {
        undo_.push_back(*id);
      }
    }
  }

  // IPv6 is off only if a new namespace shows it: on 6.18 the host sysctls
  // alone do not turn lo off inside, so the container also writes
  // all.disable_ipv6=1 in its own namespace, which turns off lo and default.
  void CheckIpv6Off() {
    Ipv6Inside plain = ProbeIpv6(false);
    Ipv6Inside off = ProbeIpv6(true);
    if (off.all != "1" || off.dflt != "1" || off.lo != "1" || off.addresses != 0) {
      throw Error(ErrorKind::kFailure,
                  fmt::format("IPv6 is not off in a new network namespace: all={} default={} "
                              "lo={}, {} IPv6 address(es) with lo up",
                              off.all, off.dflt, off.lo, off.addresses));
    }
    ipv6_note_ = fmt::format(
        "IPv6 off checked in a new namespace: host devconf_inherit_init_net=1 and "
        "default.disable_ipv6=1 give inside all={} default={} lo={}, {} IPv6 "
        "address(es) with lo up; with all.disable_ipv6=1 written inside too: all={} default={} "
        "lo={}, {} addresses",
        plain.all, plain.dflt, plain.lo, plain.addresses, off.all, off.dflt, off.lo, off.addresses);
  }

  ChildPlan BasePlan() {
    ChildPlan plan;
    plan.lo_up = network_ != Network::kNone && network_ != Network::kNetns;
    plan.lo_ipv6_off = Ipv6Off();
    plan.veth_inside = network_ == Network::kVethInside;
    if (plan.veth_inside) {
      plan.host_netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
      if (plan.host_netns_fd < 0) ThrowErrno("opening /proc/self/ns/net");
    }
    return plan;
  }

  ThreadState OpenThreadState() {
    ThreadState ts;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) ThrowErrno("creating a report pipe");
    ts.report_read = fds[0];
    ts.report_write = fds[1];
    if (network_ == Network::kVethMoved) {
      ts.rtnl = RawRtnlOpen();
      if (ts.rtnl < 0) throw SysError(-ts.rtnl, "opening an rtnetlink socket");
    }
    return ts;
  }

  void NoteStart(Clock::time_point t) {
    std::lock_guard lock(time_mu_);
    if (!started_) started_ = t;
  }
  void NoteEnd(Clock::time_point t) {
    std::lock_guard lock(time_mu_);
    last_end_ = std::max(last_end_, t);
  }

  // A unique veth name pair carrying "isocost" (15 characters at most).
  std::pair<std::string, std::string> VethNames() {
    uint32_t n = serial_.fetch_add(1) & 0x7fffff;
    uint32_t base = (static_cast<uint32_t>(getpid()) & 0xff) << 24 | n << 1;
    return {fmt::format("isocost{:08x}", base), fmt::format("isocost{:08x}", base | 1)};
  }

  void RunOne(ThreadState& ts, ChildPlan& plan, uint64_t* counters) {
    if (!Veth()) {
      Finish(ts, Start(plan, counters));
      return;
    }
    auto [host_end, peer_end] = VethNames();
    std::snprintf(plan.host_end, sizeof(plan.host_end), "%s", host_end.c_str());
    HostGuard::Id id;
    if (network_ == Network::kVethInside) {
      id = guard_.Apply("netdev", {{"name", host_end}}, [&] { Finish(ts, Start(plan, counters)); });
    } else {
      id = RunMoved(ts, plan, host_end, peer_end, counters);
    }
    std::lock_guard lock(veth_mu_);
    veth_ids_.push_back(id);
  }

  pid_t Start(const ChildPlan& plan, uint64_t* counters) {
    Clock::time_point first = Clock::now();
    for (;;) {
      try {
        return SpawnChild(flags_, -1, ContainerMain, const_cast<ChildPlan*>(&plan));
      } catch (const SysError& e) {
        // At the user.max_net_namespaces cap: wait for teardown to catch up.
        if (e.err() != ENOSPC || max_netns_ == 0 || isocost::Interrupted()) throw;
        if (Clock::now() - first > drain_timeout_) {
          throw Error(ErrorKind::kFailure,
                      fmt::format("no network namespace could be created under "
                                  "user.max_net_namespaces={} for drain_timeout_s: the host's "
                                  "other namespaces may already fill the cap",
                                  max_netns_));
        }
        ++counters[kCreateRetries];
        usleep(100);
      }
    }
  }

  // Reaps a container; a failure names the step and its errno.
  void Finish(ThreadState& ts, pid_t pid) {
    int status = Reap(pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    ChildFailure f{-1, 0};
    if (read(ts.report_read, &f, sizeof(f)) == sizeof(f) && f.step >= 0 && f.step <= kStepVeth) {
      throw SysError(f.err, std::string("container: ") + kStepNames[f.step]);
    }
    throw Error(ErrorKind::kFailure,
                fmt::format("container {} did not exit cleanly (wait status {})", pid, status));
  }

  // veth_moved: the pair is made on the host, then its peer is moved into
  // the container, which waits for it before it goes on.
  HostGuard::Id RunMoved(ThreadState& ts, ChildPlan& plan, const std::string& host_end,
                         const std::string& peer_end, uint64_t* counters) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) ThrowErrno("creating a pipe for a container");
    plan.wait_fd = fds[0];
    plan.wait_write_fd = fds[1];
    pid_t pid = -1;
    try {
      pid = Start(plan, counters);
    } catch (...) {
      close(fds[0]);
      close(fds[1]);
      throw;
    }
    close(fds[0]);
    try {
      HostGuard::Id id = guard_.Apply("netdev", {{"name", host_end}}, [&] {
        int ret = RawCreateVeth(ts.rtnl, host_end.c_str(), peer_end.c_str(), -1);
        if (ret < 0) throw SysError(-ret, "creating veth pair " + host_end);
      });
      int ret = RawMoveLink(ts.rtnl, peer_end.c_str(), pid);
      if (ret < 0) throw SysError(-ret, "moving " + peer_end + " into a container");
      char go = 1;
      if (write(fds[1], &go, 1) != 1) ThrowErrno("releasing a container");
      close(fds[1]);
      Finish(ts, pid);
      return id;
    } catch (...) {
      close(fds[1]);
      kill(pid, SIGKILL);
      Reap(pid);
      throw;
    }
  }

  void StartSampler();
  void SamplerMain(std::promise<void>& ready);
  void TakeSample(const NetnsCensus& census, Clock::time_point t0, bool draining);
  bool Drained() const;
  void Drain();
  void StopSampler();
  void ReleaseHolder(std::unique_ptr<NetnsHolder> holder, const NetnsCensus& census);

  HostGuard& guard_;
  Network network_;
  uint64_t flags_;
  int64_t max_netns_;
  int held_;  // existing namespaces, each with listeners
  std::chrono::milliseconds interval_, drain_timeout_;

  ChildPlan base_;
  std::vector<ThreadState> threads_;
  std::vector<HostGuard::Id> undo_;  // host settings, undone in Release
  std::string ipv6_note_;
  static inline std::atomic<uint32_t> serial_{0};

  std::mutex veth_mu_;
  std::vector<HostGuard::Id> veth_ids_;  // host ends; gone with their namespace

  std::atomic<uint64_t> ops_{0}, in_flight_{0};
  std::mutex time_mu_;
  std::optional<Clock::time_point> started_;
  Clock::time_point last_end_{};

  // The sampler thread owns the census, its helper process and the
  // listener; it is the one long-lived thread of the point, so the helper
  // (which dies with the thread that started it) lives as long as needed.
  std::thread sampler_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool draining_ = false, stop_ = false;
  std::vector<Sample> samples_;
  std::optional<Clock::time_point> drained_at_;
  Clock::time_point drain_started_{};
  bool timed_out_ = false;
  uint64_t uevents_ = 0, nsid_ = 0, overruns_ = 0, allocated_ = 0;
  uint64_t allocated0_ = 0, released0_ = 0;
  NetnsHolder::Counts held_counts_;
  std::exception_ptr sampler_error_;
};

void ContainerWorkload::StartSampler() {
  std::promise<void> ready;
  std::future<void> done = ready.get_future();
  sampler_ = std::thread([this, &ready] { SamplerMain(ready); });
  done.get();  // rethrows a failure to set up the census
}

void ContainerWorkload::TakeSample(const NetnsCensus& census, Clock::time_point t0, bool draining) {
  Sample s;
  KernelMemory mem = ReadKernelMemory();
  s.t_s = std::chrono::duration<double>(Clock::now() - t0).count();
  s.draining = draining;
  s.ops = ops_.load();
  s.in_flight = in_flight_.load();
  s.freed = census.Released() - released0_;  // first: never more releases than allocations
  s.allocated = census.Allocated() - allocated0_;
  s.backlog = static_cast<int64_t>(s.allocated) - static_cast<int64_t>(s.freed) -
              static_cast<int64_t>(s.in_flight);
  s.memory_bytes = static_cast<int64_t>(mem.slab_unreclaimable_bytes + mem.percpu_bytes);
  samples_.push_back(s);
}

bool ContainerWorkload::Drained() const {
  const Sample& s = samples_.back();
  return static_cast<int64_t>(s.allocated) - static_cast<int64_t>(s.freed) <= 0;
}

void ContainerWorkload::SamplerMain(std::promise<void>& ready) {
  std::unique_ptr<NetnsCensus> census;
  std::unique_ptr<BroadcastListener> listener;
  std::unique_ptr<NetnsHolder> holder;
  try {
    if (held_ > 0) holder = std::make_unique<NetnsHolder>(held_);  // before the census
    census = std::make_unique<NetnsCensus>(guard_, std::to_string(getpid()));
    listener = std::make_unique<BroadcastListener>();
  } catch (...) {
    ready.set_exception(std::current_exception());
    return;
  }
  Clock::time_point t0 = Clock::now();
  try {
    released0_ = census->Released();  // the census's own check made one namespace
    allocated0_ = census->Allocated();
    TakeSample(*census, t0, false);
    ready.set_value();
    std::unique_lock lock(mu_);
    while (!stop_) {
      bool draining = draining_;
      lock.unlock();
      TakeSample(*census, t0, draining);
      listener->Drain();
      lock.lock();
      if (draining && Drained()) {
        drained_at_ = Clock::now();
        break;
      }
      if (draining && (Clock::now() - drain_started_ > drain_timeout_ || isocost::Interrupted())) {
        timed_out_ = true;
        break;
      }
      wake_.wait_for(lock, draining ? std::chrono::milliseconds(2) : interval_,
                     [&] { return stop_ || draining_ != draining; });
    }
    listener->Drain();
    uevents_ = listener->uevents();
    nsid_ = listener->nsid_messages();
    overruns_ = listener->overruns();
    allocated_ = census->Allocated() - allocated0_;
    if (holder) {
      held_counts_ = holder->Take();
      ReleaseHolder(std::move(holder), *census);
    }
  } catch (...) {
    sampler_error_ = std::current_exception();
  }
}

// Ends the holder and waits for its namespaces to go, so that their
// teardown does not fall into the next repetition's window.
void ContainerWorkload::ReleaseHolder(std::unique_ptr<NetnsHolder> holder,
                                      const NetnsCensus& census) {
  uint64_t released = census.Released();
  Clock::time_point start = Clock::now();
  holder.reset();
  while (census.Released() - released < static_cast<uint64_t>(held_) &&
         Clock::now() - start < drain_timeout_ && !isocost::Interrupted()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Ends the window: waits until every network namespace it created is freed.
void ContainerWorkload::Drain() {
  if (!sampler_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    draining_ = true;
    drain_started_ = Clock::now();
  }
  wake_.notify_all();
  sampler_.join();
  if (sampler_error_) std::rethrow_exception(sampler_error_);
}

void ContainerWorkload::StopSampler() {
  if (!sampler_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  sampler_.join();
}

std::string BacklogCsv(const std::vector<Sample>& samples) {
  std::string csv =
      "t_s,phase,ops,netns_allocated,netns_released,containers_running,backlog_netns,"
      "kernel_memory_bytes\n";
  int64_t base = samples.empty() ? 0 : samples.front().memory_bytes;
  for (const Sample& s : samples) {
    csv += fmt::format("{:.4f},{},{},{},{},{},{},{}\n", s.t_s, s.draining ? "drain" : "window",
                       s.ops, s.allocated, s.freed, s.in_flight, s.backlog, s.memory_bytes - base);
  }
  return csv;
}

Findings ContainerWorkload::TakeFindings() {
  Findings f;
  double ops = static_cast<double>(ops_.load());
  Clock::time_point end = drained_at_.value_or(Clock::now());
  double window_s = started_ ? std::chrono::duration<double>(end - *started_).count() : 0;
  int64_t backlog_max = 0, memory_max = 0;
  int64_t base = samples_.empty() ? 0 : samples_.front().memory_bytes;

  for (const Sample& s : samples_) {
    backlog_max = std::max(backlog_max, s.backlog);
    memory_max = std::max(memory_max, s.memory_bytes - base);
  }
  f.metrics["sustained_ops_per_s"] = window_s > 0 ? ops / window_s : 0;
  f.metrics["drain_time_ms"] =
      drained_at_ ? std::chrono::duration<double, std::milli>(*drained_at_ - last_end_).count()
                  : std::chrono::duration<double, std::milli>(drain_timeout_).count();
  f.metrics["backlog_max_netns"] = static_cast<double>(backlog_max);
  f.metrics["backlog_memory_max_bytes"] = static_cast<double>(memory_max);
  f.metrics["netns_per_op"] = ops > 0 ? static_cast<double>(allocated_) / ops : 0;
  f.metrics["uevents_per_op"] = ops > 0 ? static_cast<double>(uevents_) / ops : 0;
  f.metrics["nsid_messages_per_op"] = ops > 0 ? static_cast<double>(nsid_) / ops : 0;
  f.metrics["uevents_held_per_op"] = ops > 0 ? static_cast<double>(held_counts_.uevents) / ops : 0;
  f.metrics["nsid_messages_held_per_op"] =
      ops > 0 ? static_cast<double>(held_counts_.nsid_messages) / ops : 0;

  if (timed_out_) {
    f.untrustworthy.push_back(
        "the dying network namespaces did not all go within drain_timeout_s; the sustained "
        "rate counts the timeout as the window's end");
  }
  if (overruns_ + held_counts_.overruns > 0) {
    f.untrustworthy.push_back(fmt::format("the broadcast listener lost messages ({} overruns)",
                                          overruns_ + held_counts_.overruns));
  }
  if (!ipv6_note_.empty()) f.notes.push_back(ipv6_note_);
  f.artifacts.emplace_back("backlog.csv", BacklogCsv(samples_));
  return f;
}

std::string CheckPoint(const Point& p) {
  const std::vector<std::string>& ns = p.List("namespaces");
  if (std::find(ns.begin(), ns.end(), "net") != ns.end()) {
    return "namespaces: leave net out; the network parameter decides whether a container has a "
           "network namespace (network: none for none)";
  }
  int64_t cap = p.Int("max_net_namespaces");
  if (cap > 0 && p.String("network") != "none" && cap < p.Int("threads") + 1) {
    return fmt::format(
        "max_net_namespaces {} is below threads {} + 1: containers could never "
        "all start",
        cap, p.Int("threads"));
  }
  return "";
}

std::string Unsupported(const Point& p) {
  auto readable = [](const char* path) { return access(path, R_OK) == 0; };
  if (TryReadFile("/proc/filesystems").value_or("").find("tracefs") == std::string::npos) {
    return "this kernel has no tracefs (CONFIG_TRACING): the dying-namespace census needs the "
           "kmem_cache_alloc/free trace events";
  }
  if (!readable("/proc/self/ns/net")) return "this kernel has no network namespaces";
  if (p.String("network") == "lo_ipv6_off" && !readable(kSysctlInherit)) {
    return std::string("no ") + kSysctlInherit + " (Linux 5.1+), or no IPv6";
  }
  if (p.Int("max_net_namespaces") > 0 && !readable(kSysctlMaxNetns)) {
    return std::string("no ") + kSysctlMaxNetns;
  }
  if (p.Int("max_net_namespaces") > 0 && !HaveCapability("cap_sys_resource")) {
    return "max_net_namespaces: writing user.max_net_namespaces needs CAP_SYS_RESOURCE, which "
           "this root process lacks";
  }
  return "";
}

}  // namespace

ExperimentSpec ContainerExperiment() {
  std::vector<std::string> networks;
  for (const auto& [name, v] : kNetworks)
    networks.push_back(name);

  ExperimentSpec e;
  e.name = "container";
  e.figure = "4";
  e.summary =
      "containers (a process in new namespaces that sets up its network and exits) created and "
      "destroyed per second; the sustained rate waits for every network namespace to be freed";
  e.params = {
      {"network", ParamType::kString, std::string("netns"),
       "none: no network namespace; netns: a new one as created; lo: its loopback brought up; "
       "lo_ipv6_off: IPv6 off (host sysctls, and lo inside), lo up; veth_inside: lo up and a "
       "veth pair created inside with its peer on the host; veth_moved: lo up and a veth pair "
       "created on the host, one end moved in",
       networks},
      {"namespaces", ParamType::kStringList, std::vector<std::string>{"ipc", "mnt", "pid", "uts"},
       "other new namespaces of a container (net comes from network)", NamespaceNames()},
      {"threads", ParamType::kInt, int64_t{1}, "containers started at once", {}, 1, 1024},
      {"max_net_namespaces",
       ParamType::kInt,
       int64_t{0},
       "0: leave user.max_net_namespaces alone; N: cap it at N for the point (creation then "
       "waits for teardown)",
       {},
       0,
       1000000},
      {"held_netns",
       ParamType::kInt,
       int64_t{0},
       "network namespaces that exist meanwhile, held by a helper process (not by mounts), "
       "each with a uevent and a namespace-id listener",
       {},
       0,
       8000},
      {"sample_interval_ms",
       ParamType::kInt,
       int64_t{50},
       "how often the backlog and kernel memory are sampled",
       {},
       1,
       10000},
      {"drain_timeout_s",
       ParamType::kDouble,
       60.0,
       "longest wait, after the window, for the dying namespaces to go",
       {},
       0.1,
       3600},
  };
  e.counters = {{"create_retries", "retries/op",
                 "clone3 attempts refused (ENOSPC) at the max_net_namespaces cap"}};
  e.workload_metrics = {
      {"sustained_ops_per_s", "ops/s",
       "containers per second over the window extended until every network namespace it "
       "created was freed",
       "higher"},
      {"drain_time_ms", "ms", "from the last container's exit until the last namespace was freed"},
      {"backlog_max_netns", "netns", "most dying network namespaces at a sample"},
      {"backlog_memory_max_bytes", "bytes",
       "largest growth of unreclaimable slab plus per-CPU kernel memory at a sample"},
      {"netns_per_op", "netns/op",
       "struct net allocated per container (1 with a network namespace; more means other "
       "namespaces were made meanwhile)"},
      {"uevents_per_op", "uevents/op", "uevents received in isocost's network namespace"},
      {"nsid_messages_per_op", "messages/op",
       "RTM_NEWNSID/RTM_DELNSID received in isocost's network namespace"},
      {"uevents_held_per_op", "uevents/op",
       "uevents received over the listeners of all held_netns namespaces"},
      {"nsid_messages_held_per_op", "messages/op",
       "namespace-id notifications received over all held_netns namespaces"},
  };
  e.check = CheckPoint;
  e.unsupported = Unsupported;
  e.make = [](const Point& p, HostGuard& guard) -> std::unique_ptr<Workload> {
    return std::make_unique<ContainerWorkload>(p, guard);
  };
  e.microbench_sweep = {
      {"network", {std::string("none"), std::string("netns"), std::string("lo")}},
      {"threads", {int64_t{1}, int64_t{2}}},
  };
  return e;
}

}  // namespace isocost
