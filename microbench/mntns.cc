// Figure 2: creating and destroying a mount namespace against how many mount
// namespaces already exist, with chroot as the reference.
//
// The namespaces that already exist are made before timing starts by holder
// processes (primitives/nsfs.h), each keeping as many open namespace fds as
// RLIMIT_NOFILE allows (hold: fd), or are pinned by bind mounts of those fds
// in a private pin directory, after which the holders exit (hold: bind; the
// host's mount table grows by one mount a namespace). Network namespaces
// can be pinned the same way (netns_pins), as `ip netns add` does.
//
// One creator process does the timed work and times each step itself:
//   create:  unshare(CLONE_NEWNS), a copy of the creator's mount table;
//   destroy: setns() back to the creator's base namespace, which drops the
//            new namespace's last reference. The kernel tears it down inside
//            that call (umount_tree of its mounts, the RCU grace period in
//            namespace_unlock) and finishes the unmounts in task_work before
//            the call returns to user space, so the time of the call is the
//            time until the namespace is gone. Once per repetition this is
//            checked: after setns() returns, listmount() no longer finds the
//            namespace by its id (teardown_verified).
//   chroot:  chroot("/"), the study's reference.
// The creator works from the host's mount namespace (creator: host) or from
// a private, recursively private copy of it in which the pin directory is
// unmounted (creator: private); extra_mounts adds mounts there.
#include <fcntl.h>
#include <linux/types.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>

#include "microbench/experiments.h"
#include "primitives/error.h"
#include "primitives/fs.h"
#include "primitives/guard.h"
#include "primitives/host.h"
#include "primitives/interrupt.h"
#include "primitives/mount.h"
#include "primitives/nsfs.h"
#include "primitives/process.h"

#ifndef NS_GET_MNTNS_ID
#define NS_GET_MNTNS_ID _IOR(0xb7, 0x5, __u64)
#endif
#ifndef SYS_listmount
#define SYS_listmount 458
#endif

namespace isocost {
namespace {

inline constexpr uint64_t kListRoot = ~uint64_t{0};  // LSMT_ROOT
inline constexpr int kPinsBetweenChecks = 1024;      // Interrupted() polls while pinning

// listmount()'s request, version 1 (Linux 6.11), which names a namespace.
struct MountIdRequest {
  __u32 size = sizeof(MountIdRequest);
  __u32 spare = 0;
  __u64 mnt_id = kListRoot;
  __u64 param = 0;
  __u64 mnt_ns_id = 0;
};

// The creator's reply to one command: an errno (0 on success) and the
// step it failed at, or three durations in ns (create, destroy, chroot), or
// for a check: 1 gone, 0 still listed, -errno when it could not tell.
struct Reply {
  int64_t err = 0;
  int64_t step = 0;
  int64_t values[3] = {0, 0, 0};
};

// Where the creator makes its namespaces from.
struct CreatorPlan {
  bool private_ns = false;
  std::string pin_dir;  // unmounted in a private creator; may be empty
  int extra_mounts = 0;
};

// ---- the creator process (async-signal-safe calls only) ----

int64_t NowNs() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return int64_t{t.tv_sec} * 1000000000 + t.tv_nsec;
}

// Writes "/tmp/<n>" into buf.
void ExtraPath(char* buf, int n) {
  char digits[16];
  int len = 0;
  do {
    digits[len++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n > 0);
  std::memcpy(buf, "/tmp/", 5);
  for (int i = 0; i < len; ++i)
    buf[5 + i] = digits[len - 1 - i];
  buf[5 + len] = '\0';
}

// Makes the creator's private base namespace; returns the failed step or 0.
int MakePrivateBase(const CreatorPlan& plan) {
  char path[32];

  if (unshare(CLONE_NEWNS) != 0) return 1;
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 2;
  if (!plan.pin_dir.empty()) {
    while (umount2(plan.pin_dir.c_str(), MNT_DETACH) == 0) {
    }
  }
  if (plan.extra_mounts == 0) return 0;
  if (mount("isocost-extra", "/tmp", "tmpfs", 0, "mode=0700") != 0) return 3;
  for (int i = 0; i < plan.extra_mounts; ++i) {
    ExtraPath(path, i);
    if (mkdir(path, 0700) != 0) return 4;
    if (mount("/tmp", path, nullptr, MS_BIND, nullptr) != 0) return 5;
  }
  return 0;
}

uint64_t NamespaceId(int fd) {
  __u64 id = 0;
  return ioctl(fd, NS_GET_MNTNS_ID, &id) == 0 ? id : 0;
}

// -errno, or how many mounts listmount() found in the namespace `id`.
int64_t ListMounts(uint64_t id) {
  MountIdRequest req;
  __u64 ids[1];
  req.mnt_ns_id = id;
  long n = syscall(SYS_listmount, &req, ids, 1, 0);
  return n < 0 ? -errno : n;
}

void CreateAndDestroy(int base, Reply& r) {
  int64_t t0 = NowNs();
  if (unshare(CLONE_NEWNS) != 0) {
    r = {errno, 1, {}};
    return;
  }
  int64_t t1 = NowNs();
  if (setns(base, CLONE_NEWNS) != 0) {
    r = {errno, 2, {}};
    return;
  }
  int64_t t2 = NowNs();
  if (chroot("/") != 0) {
    r = {errno, 3, {}};
    return;
  }
  int64_t t3 = NowNs();
  r = {0, 0, {t1 - t0, t2 - t1, t3 - t2}};
}

// Creates and destroys one namespace, then asks listmount() for it by id.
void CheckTeardown(int base, Reply& r) {
  r = {0, 0, {-ENOTSUP, 0, 0}};
  if (ListMounts(NamespaceId(base)) <= 0) return;  // no namespace ids here
  if (unshare(CLONE_NEWNS) != 0) {
    r = {errno, 1, {}};
    return;
  }
  int fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  uint64_t id = fd >= 0 ? NamespaceId(fd) : 0;
  if (fd >= 0) close(fd);
  if (setns(base, CLONE_NEWNS) != 0) {
    r = {errno, 2, {}};
    return;
  }
  if (id == 0) return;
  int64_t n = ListMounts(id);
  r.values[0] = n == -ENOENT ? 1 : (n >= 0 ? 0 : n);
}

[[noreturn]] void CreatorMain(const CreatorPlan& plan) {
  Reply r;
  char command = 0;

  int step = plan.private_ns ? MakePrivateBase(plan) : 0;
  int base = step == 0 ? open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC) : -1;
  if (step == 0 && base < 0) step = 6;
  r = {step == 0 ? 0 : errno, step, {}};
  if (write(1, &r, sizeof(r)) != sizeof(r) || step != 0) _exit(1);

  for (;;) {
    ssize_t n = read(0, &command, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(0);
    if (command == 'o') {
      CreateAndDestroy(base, r);
    } else {
      CheckTeardown(base, r);
    }
    if (write(1, &r, sizeof(r)) != sizeof(r)) _exit(1);
  }
}

// ---- the workload ----

const char* CreatorStep(int64_t step) {
  static const char* const kSteps[] = {"",
                                       "unshare(CLONE_NEWNS)",
                                       "setns() back to its base namespace, or making it "
                                       "recursively private",
                                       "chroot(\"/\"), or mounting a tmpfs on /tmp",
                                       "mkdir for an extra mount",
                                       "bind-mounting an extra mount",
                                       "opening /proc/self/ns/mnt"};
  return step >= 0 && step < 7 ? kSteps[step] : "?";
}

double Percentile(std::vector<int64_t> v, double q) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return static_cast<double>(v[k]);
}

double RatePerSecond(const std::vector<int64_t>& ns) {
  double total = 0;
  for (int64_t v : ns)
    total += static_cast<double>(v);
  return total > 0 ? static_cast<double>(ns.size()) * 1e9 / total : 0;
}

// Lines of a file, read in pieces (a mount table with every pin is large).
int64_t CountLines(const std::string& path) {
  char buf[1 << 16];
  int64_t lines = 0;

  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) ThrowErrno("opening " + path);
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      throw SysError(err, "reading " + path);
    }
    lines += std::count(buf, buf + n, '\n');
  }
  close(fd);
  return lines;
}

class MntnsWorkload : public Workload {
 public:
  MntnsWorkload(const Point& point, HostGuard& guard)
      : guard_(guard),
        existing_(static_cast<int>(point.Int("existing"))),
        bind_(point.String("hold") == "bind"),
        netns_pins_(static_cast<int>(point.Int("netns_pins"))),
        plan_{point.String("creator") == "private", "",
              static_cast<int>(point.Int("extra_mounts"))} {}

  void Prepare(int) override {
    KernelMemory before = ReadKernelMemory();
    auto start = std::chrono::steady_clock::now();

    if (bind_ || netns_pins_ > 0) MakePins();
    HoldMountNamespaces();
    if (netns_pins_ > 0) PinNetworkNamespaces();
    build_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    KernelMemory after = ReadKernelMemory();
    slab_delta_ = static_cast<double>(after.slab_bytes - before.slab_bytes);
    unreclaimable_delta_ =
        static_cast<double>(after.slab_unreclaimable_bytes - before.slab_unreclaimable_bytes);
    StartCreator();
  }

  void Operation(int, uint64_t*) override {
    Reply r = Ask('o');
    create_ns_.push_back(r.values[0]);
    destroy_ns_.push_back(r.values[1]);
    chroot_ns_.push_back(r.values[2]);
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

    if (creator_.pid > 0) attempt([&] { teardown_verified_ = Ask('v').values[0]; });
    attempt([&] { EndHelper(creator_, creator_id_); });
    for (size_t i = 0; i < holders_.size(); ++i)
      attempt([&] { EndHelper(holders_[i], holder_ids_[i]); });
    holders_.clear();
    holder_ids_.clear();
    for (auto id = undo_.rbegin(); id != undo_.rend(); ++id)
      attempt([&] { guard_.Undo(*id); });
    undo_.clear();
    isocost_vmhwm_ = static_cast<double>(ProcessMemoryBytes("self", "VmHWM"));
    isocost_vmrss_ = static_cast<double>(ProcessMemoryBytes("self", "VmRSS"));
    if (first) std::rethrow_exception(first);
  }

  Findings TakeFindings() override {
    Findings f;
    double held = existing_ + netns_pins_;

    f.metrics = {
        {"create_ops_per_s", RatePerSecond(create_ns_)},
        {"create_latency_p50_ns", Percentile(create_ns_, 0.5)},
        {"create_latency_p99_ns", Percentile(create_ns_, 0.99)},
        {"destroy_ops_per_s", RatePerSecond(destroy_ns_)},
        {"destroy_latency_p50_ns", Percentile(destroy_ns_, 0.5)},
        {"destroy_latency_p99_ns", Percentile(destroy_ns_, 0.99)},
        {"chroot_ops_per_s", RatePerSecond(chroot_ns_)},
        {"chroot_latency_p50_ns", Percentile(chroot_ns_, 0.5)},
        {"held_namespaces", static_cast<double>(held_)},
        {"creator_mounts", creator_mounts_},
        {"build_s", build_s_},
        {"isocost_vmhwm_bytes", isocost_vmhwm_},
        {"isocost_vmrss_bytes", isocost_vmrss_},
        {"holders_rss_bytes", holders_rss_},
        {"kernel_slab_delta_bytes", slab_delta_},
        {"kernel_unreclaimable_delta_bytes", unreclaimable_delta_},
        {"kernel_memory_per_namespace_bytes", held > 0 ? slab_delta_ / held : 0},
        {"teardown_verified", static_cast<double>(teardown_verified_)},
    };
    if (teardown_verified_ == 0) {
      f.untrustworthy.push_back(
          "a destroyed mount namespace was still listed after setns() returned");
    }
    if (teardown_verified_ < 0) {
      f.notes.push_back("teardown not checked: listmount() by namespace id failed (" +
                        std::string(std::strerror(static_cast<int>(-teardown_verified_))) + ")");
    }
    return f;
  }

 private:
  struct Helper {
    pid_t pid = -1;
    int command_fd = -1, status_fd = -1;
  };

  void MakePins() {
    pin_dir_ = "/run/isocost-pins-" + std::to_string(getpid()) + "-" + std::to_string(++serial_);
    undo_.push_back(
        guard_.Apply("pin_directory", {{"path", pin_dir_}}, [&] { MakePinDirectory(pin_dir_); }));
    plan_.pin_dir = pin_dir_;
  }

  // Holders, each journaled before it makes anything; they work in
  // parallel, then are waited for.
  std::vector<NsHolder> SpawnHolders(int ns_type, int count) {
    std::vector<NsHolder> made;
    first_new_holder_ = holders_.size();
    for (int left = count; left > 0;) {
      int n = std::min(left, NsPerHolder());
      made.push_back(SpawnNsHolder(ns_type, n));
      holders_.push_back({made.back().pid, made.back().command_fd, made.back().status_fd});
      holder_ids_.push_back(Journal(made.back().pid, [&] { GoNsHolder(made.back()); }));
      left -= n;
    }
    for (const NsHolder& h : made)
      WaitNsHolder(h);
    return made;
  }

  void HoldMountNamespaces() {
    std::vector<NsHolder> made = SpawnHolders(CLONE_NEWNS, existing_);
    for (const NsHolder& h : made)
      holders_rss_ += static_cast<double>(ProcessMemoryBytes(std::to_string(h.pid), "VmRSS"));
    held_ = existing_;
    if (!bind_) return;
    Pin(made, "isocost-mnt-");
  }

  void PinNetworkNamespaces() { Pin(SpawnHolders(CLONE_NEWNET, netns_pins_), "isocost-net-"); }

  // Pins every namespace the holders hold, then ends the holders: the pins
  // are left as the namespaces' only references.
  void Pin(const std::vector<NsHolder>& made, const std::string& prefix) {
    int n = 0;
    for (const NsHolder& h : made) {
      for (int i = 0; i < h.count; ++i, ++n) {
        if (n % kPinsBetweenChecks == 0 && Interrupted()) {
          throw Error(ErrorKind::kInterrupted, "interrupted");
        }
        PinNamespace(NsHolderFdPath(h, i), pin_dir_, prefix + std::to_string(n));
      }
    }
    for (size_t i = first_new_holder_; i < holders_.size(); ++i)
      EndHelper(holders_[i], holder_ids_[i]);
    holders_.resize(first_new_holder_);
    holder_ids_.resize(first_new_holder_);
  }

  template <typename F>
  HostGuard::Id Journal(pid_t pid, F&& start) {
    return guard_.Apply("helper_process", {{"pid", pid}, {"start_ticks", ProcessStartTicks(pid)}},
                        start);
  }

  void StartCreator() {
    int command[2], status[2];
    if (pipe2(command, O_CLOEXEC) != 0) ThrowErrno("creating the creator's command pipe");
    if (pipe2(status, O_CLOEXEC) != 0) {
      close(command[0]);
      close(command[1]);
      ThrowErrno("creating the creator's status pipe");
    }
    pid_t pid = ForkHelper("isocost-creator", command[0], status[1]);
    if (pid == 0) CreatorMain(plan_);
    close(command[0]);
    close(status[1]);
    creator_ = {pid, command[1], status[0]};

    // Journaled before it makes its namespace; it needs no go signal, since
    // what it makes is its own and dies with it.
    creator_id_ = Journal(pid, [] {});
    Reply r = Receive("starting the creator");
    if (r.err != 0) {
      throw SysError(static_cast<int>(r.err),
                     std::string("the creator process failed at ") + CreatorStep(r.step));
    }
    creator_mounts_ =
        static_cast<double>(CountLines("/proc/" + std::to_string(pid) + "/mountinfo"));
  }

  Reply Ask(char command) {
    if (write(creator_.command_fd, &command, 1) != 1) ThrowErrno("commanding the creator");
    Reply r = Receive("waiting for the creator");
    if (r.err != 0) {
      throw SysError(static_cast<int>(r.err), std::string("creating or destroying a mount "
                                                          "namespace: ") +
                                                  CreatorStep(r.step));
    }
    return r;
  }

  Reply Receive(const std::string& what) {
    Reply r;
    auto* p = reinterpret_cast<char*>(&r);
    for (size_t got = 0; got < sizeof(r);) {
      ssize_t n = read(creator_.status_fd, p + got, sizeof(r) - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) ThrowErrno(what);
      if (n == 0) throw Error(ErrorKind::kFailure, what + ": the creator process ended");
      got += static_cast<size_t>(n);
    }
    return r;
  }

  // Kills a helper through the journal and reaps it.
  void EndHelper(Helper& h, HostGuard::Id id) {
    if (h.pid <= 0) return;
    guard_.Undo(id);
    close(h.command_fd);
    close(h.status_fd);
    Reap(h.pid);
    h = Helper{};
  }

  static inline std::atomic<int> serial_{0};

  HostGuard& guard_;
  int existing_;
  bool bind_;
  int netns_pins_;
  CreatorPlan plan_;

  std::vector<HostGuard::Id> undo_;
  std::string pin_dir_;
  std::vector<Helper> holders_;
  std::vector<HostGuard::Id> holder_ids_;
  size_t first_new_holder_ = 0;  // the first of the holders SpawnHolders made last
  Helper creator_;
  HostGuard::Id creator_id_ = 0;

  std::vector<int64_t> create_ns_, destroy_ns_, chroot_ns_;
  int held_ = 0;
  int64_t teardown_verified_ = -ENOTSUP;
  double build_s_ = 0, slab_delta_ = 0, unreclaimable_delta_ = 0;
  double holders_rss_ = 0, isocost_vmhwm_ = 0, isocost_vmrss_ = 0;
  double creator_mounts_ = 0;
};

int64_t ReadLimit(const std::string& path) {
  auto text = TryReadFile(path);
  return text ? std::stoll(Trim(*text)) : -1;
}

// The kernel's limits, read before anything is made.
std::string Unsupported(const Point& p) {
  int64_t existing = p.Int("existing"), netns = p.Int("netns_pins");
  int64_t extra = p.Int("extra_mounts");
  bool bind = p.String("hold") == "bind";

  if (geteuid() != 0) return "needs root (CAP_SYS_ADMIN) to create mount namespaces";
  int64_t max_mnt = ReadLimit("/proc/sys/user/max_mnt_namespaces");
  if (max_mnt >= 0 && existing + 8 > max_mnt) {
    return "user.max_mnt_namespaces is " + std::to_string(max_mnt) + ": too low to hold " +
           std::to_string(existing) + " mount namespaces and create more (raise it with sysctl)";
  }
  int64_t max_net = ReadLimit("/proc/sys/user/max_net_namespaces");
  if (netns > 0 && max_net >= 0 && netns + 8 > max_net) {
    return "user.max_net_namespaces is " + std::to_string(max_net) + ": too low to pin " +
           std::to_string(netns) + " network namespaces";
  }
  if (NsPerHolder() < 1) return "the hard limit on open files is too low to hold namespaces";
  int64_t mount_max = MountMax();
  int64_t mounts = MountsInThisNamespace() + (bind ? existing : 0) + netns + extra + 16;
  if (mount_max >= 0 && mounts > mount_max) {
    return "fs.mount-max is " + std::to_string(mount_max) +
           ": a mount namespace here would "
           "need about " +
           std::to_string(mounts) + " mounts";
  }
  return "";
}

std::string CheckPoint(const Point& p) {
  if (p.Int("extra_mounts") > 0 && p.String("creator") != "private") {
    return "extra_mounts adds mounts to the creating namespace, which must then be the "
           "creator's own (creator: private); on the host it would change the host";
  }
  return "";
}

}  // namespace

ExperimentSpec MntnsExperiment() {
  ExperimentSpec e;
  e.name = "mntns";
  e.figure = "2";
  e.summary =
      "mount namespace create and destroy (each timed on its own, destroy until the kernel "
      "has torn it down) against how many mount namespaces already exist and how they are "
      "held; chroot as the reference";
  e.params = {
      {"threads", ParamType::kInt, int64_t{1}, "one creator process (1 only)", {}, 1, 1},
      {"existing",
       ParamType::kInt,
       int64_t{0},
       "mount namespaces that exist before timing starts",
       {},
       0,
       1000000},
      {"hold",
       ParamType::kString,
       std::string("fd"),
       "fd: open namespace fds in as few holder processes as RLIMIT_NOFILE allows; bind: bind "
       "mounts of the namespace files in a pin directory (the mount table grows)",
       {"fd", "bind"}},
      {"creator",
       ParamType::kString,
       std::string("host"),
       "host: create from the host's mount namespace; private: from a private copy of it "
       "without isocost's pin directory",
       {"host", "private"}},
      {"extra_mounts",
       ParamType::kInt,
       int64_t{0},
       "bind mounts added to the creator's namespace (creator: private)",
       {},
       0,
       100000},
      {"netns_pins",
       ParamType::kInt,
       int64_t{0},
       "network namespaces pinned by bind mounts in the pin directory, as ip netns add does",
       {},
       0,
       65536},
  };
  auto metric = [](const char* name, const char* unit, const char* meaning,
                   const char* better) -> CounterSpec {
    return {name, unit, meaning, better};
  };
  e.workload_metrics = {
      metric("create_ops_per_s", "ops/s", "mount namespaces created per second (unshare)",
             "higher"),
      metric("create_latency_p50_ns", "ns", "median time of one unshare(CLONE_NEWNS)", "lower"),
      metric("create_latency_p99_ns", "ns", "99th percentile of unshare(CLONE_NEWNS)", "lower"),
      metric("destroy_ops_per_s", "ops/s",
             "mount namespaces destroyed per second (last reference dropped, torn down)", "higher"),
      metric("destroy_latency_p50_ns", "ns", "median time of dropping the last reference", "lower"),
      metric("destroy_latency_p99_ns", "ns", "99th percentile of dropping the last reference",
             "lower"),
      metric("chroot_ops_per_s", "ops/s", "chroot(\"/\") calls per second, the reference",
             "higher"),
      metric("chroot_latency_p50_ns", "ns", "median time of chroot(\"/\")", "lower"),
      metric("held_namespaces", "namespaces", "mount namespaces held while timing", "higher"),
      metric("creator_mounts", "mounts",
             "mounts in the creator's namespace, which each create copies (mount namespace "
             "pins among them are skipped)",
             "lower"),
      metric("build_s", "s", "time to make and pin the existing namespaces", "lower"),
      metric("isocost_vmhwm_bytes", "bytes", "isocost's peak resident memory (VmHWM)", "lower"),
      metric("isocost_vmrss_bytes", "bytes", "isocost's resident memory after the repetition",
             "lower"),
      metric("holders_rss_bytes", "bytes", "resident memory of all holder processes", "lower"),
      metric("kernel_slab_delta_bytes", "bytes",
             "growth of /proc/meminfo Slab while the namespaces were made", "lower"),
      metric("kernel_unreclaimable_delta_bytes", "bytes",
             "growth of /proc/meminfo SUnreclaim while the namespaces were made", "lower"),
      metric("kernel_memory_per_namespace_bytes", "bytes",
             "Slab growth per held namespace (mount and network)", "lower"),
      metric("teardown_verified", "flag",
             "1: listmount() no longer found a destroyed namespace once setns() returned; 0: it "
             "did; negative: -errno, not checked",
             "higher"),
  };
  e.check = CheckPoint;
  e.unsupported = Unsupported;
  e.make = [](const Point& p, HostGuard& guard) -> std::unique_ptr<Workload> {
    return std::make_unique<MntnsWorkload>(p, guard);
  };
  e.microbench_sweep = {
      {"hold", {std::string("fd"), std::string("bind")}},
      {"existing", {int64_t{0}, int64_t{256}, int64_t{4096}}},
  };
  return e;
}

}  // namespace isocost
