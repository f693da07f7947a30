// Containers end to end, built from a recipe (the lean container of the
// study's SOCK against a container-runtime style, and any mix between).
//
// One operation is one container's whole life:
//   cgroup    take a cgroup from a pool made beforehand, or create one
//   root      assemble its root on the host: bind mounts of a read-only
//             base, packages and code and a writable scratch directory,
//             or an overlayfs of the same layers with the scratch bound in
//   spawn     clone3 into the recipe's new namespaces (and the cgroup)
//   ready     in the child: bring loopback up, enter the root (chroot, or
//             pivot_root in its mount namespace), mount /proc; exec
//             isocost-init, which listens on a Unix socket in /scratch
//   request   connect to that socket through the host's scratch path, send
//             one request; init runs busybox sh to answer it
//   exit      wait for init to exit (it exits after the reply) and reap it
//   teardown  unmount the root, remove the container's directories, give
//             the cgroup back or remove it
// Each step's time is a counter (mean ns per container); the time to the
// first reply (from the start of the operation) is reported with
// percentiles. A network namespace's cleanup runs later in a kernel
// workqueue: it competes for the CPUs but is not waited for (figure 4's
// experiment measures that backlog).
//
// Host state: a tmpfs under /var/tmp holds every container's directories
// and mounts (one journaled mount: detaching it removes them all), and the
// cgroups live under one journaled directory per hierarchy.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <filesystem>
#include <mutex>

#include "harness/stats.h"
#include "microbench/experiments.h"
#include "primitives/cgroup_set.h"
#include "primitives/error.h"
#include "primitives/fs.h"
#include "primitives/guard.h"
#include "primitives/process.h"
#include "primitives/rootfs.h"

namespace isocost {
namespace {

enum Step { kCgroup = 0, kRoot, kSpawn, kReady, kRequest, kExit, kTeardown, kSteps };
const char* const kStepNames[kSteps] = {"cgroup",  "root", "spawn",   "ready",
                                        "request", "exit", "teardown"};

const std::vector<std::string> kNamespaces = {"cgroup", "ipc", "mnt", "net", "pid", "uts"};

unsigned long long NamespaceFlag(const std::string& ns) {
  if (ns == "cgroup") return CLONE_NEWCGROUP;
  if (ns == "ipc") return CLONE_NEWIPC;
  if (ns == "mnt") return CLONE_NEWNS;
  if (ns == "net") return CLONE_NEWNET;
  if (ns == "pid") return CLONE_NEWPID;
  return CLONE_NEWUTS;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// What the child needs, prepared before clone3: it may only make
// async-signal-safe calls, so every string is ready and no memory is
// allocated after the fork.
struct ChildPlan {
  const char* root = nullptr;  // host path of the assembled root, or null
  bool pivot = false;          // pivot_root (in its mount namespace), else chroot
  bool mount_proc = false;
  bool loopback = false;
  bool hostname = false;
  int go_fd = -1;     // read one byte before starting (v1 cgroup join), or -1
  int ready_fd = -1;  // passed to init as fd 3
  const char* init = nullptr;
  const char* argv[5] = {};
};

void BringLoopbackUp() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq req{};
  std::memcpy(req.ifr_name, "lo", 3);
  if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &req) != 0) _exit(10);
  req.ifr_flags |= IFF_UP;
  if (ioctl(fd, SIOCSIFFLAGS, &req) != 0) _exit(11);
  close(fd);
}

// Enters the root: pivot_root(".", ".") stacks the old root under the new
// one, which a lazy unmount then removes from this namespace.
void EnterRoot(const ChildPlan& plan) {
  if (plan.pivot) {
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(12);
    if (chdir(plan.root) != 0) _exit(13);
    if (syscall(SYS_pivot_root, ".", ".") != 0) _exit(14);
    if (umount2(".", MNT_DETACH) != 0) _exit(15);
  } else {
    if (chdir(plan.root) != 0) _exit(13);
    if (chroot(".") != 0) _exit(16);
  }
  if (chdir("/") != 0) _exit(17);
  if (plan.mount_proc && mount("proc", "/proc", "proc", 0, nullptr) != 0) _exit(18);
}

void ChildMainFn(void* arg) {
  const ChildPlan& plan = *static_cast<const ChildPlan*>(arg);
  char byte;

  if (plan.go_fd >= 0 && read(plan.go_fd, &byte, 1) != 1) _exit(9);
  if (plan.loopback) BringLoopbackUp();
  if (plan.hostname && sethostname("isocost", 7) != 0) _exit(19);
  if (plan.root != nullptr) EnterRoot(plan);
  if (dup2(plan.ready_fd, 3) != 3) _exit(20);
  syscall(SYS_close_range, 4U, ~0U, CLOSE_RANGE_CLOEXEC);
  char* const env[] = {nullptr};
  execve(plan.init, const_cast<char* const*>(plan.argv), env);
  _exit(127);
}

const char* ChildFailure(int code) {
  switch (code) {
    case 9:
      return "waiting for its cgroup";
    case 10:
    case 11:
      return "bringing loopback up";
    case 12:
      return "making its mounts private";
    case 13:
      return "changing to the root directory";
    case 14:
      return "pivot_root";
    case 15:
      return "unmounting the old root";
    case 16:
      return "chroot";
    case 17:
      return "chdir /";
    case 18:
      return "mounting /proc";
    case 19:
      return "setting the host name";
    case 20:
      return "passing the ready pipe";
    case 127:
      return "executing isocost-init";
    default:
      return "serving the request";
  }
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

void Mount(const std::string& source, const std::string& target, const char* type,
           unsigned long flags, const std::string& data) {
  if (mount(source.c_str(), target.c_str(), type, flags, data.empty() ? nullptr : data.c_str()) !=
      0) {
    ThrowErrno(fmt::format("mounting {} on {}", source, target));
  }
}

void BindReadOnly(const std::string& source, const std::string& target) {
  Mount(source, target, nullptr, MS_BIND, "");
  Mount("none", target, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, "");
}

// Adds the time since the last lap to a step's counter.
class Laps {
 public:
  explicit Laps(uint64_t* counters) : counters_(counters), start_(NowNs()), last_(start_) {}
  void Lap(Step step) {
    int64_t now = NowNs();
    counters_[step] += static_cast<uint64_t>(now - last_);
    last_ = now;
  }
  int64_t SinceStart() const { return NowNs() - start_; }

 private:
  uint64_t* counters_;
  int64_t start_, last_;
};

// Sends one request over the container's socket and checks the reply.
void Request(const std::string& path, uint64_t n) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    throw Error(ErrorKind::kFailure, "socket path too long: " + path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) ThrowErrno("creating a Unix socket");
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ThrowErrno("connecting to the container's socket " + path);
  }

  std::string request = fmt::format("ping {}\n", n);
  if (write(fd.get(), request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    ThrowErrno("sending the request to " + path);
  }
  std::string reply;
  char buf[128];
  while (reply.find('\n') == std::string::npos) {
    ssize_t got = read(fd.get(), buf, sizeof(buf));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) ThrowErrno("reading the reply from " + path);
    if (got == 0) break;
    reply.append(buf, static_cast<size_t>(got));
  }
  if (reply != "reply " + request) {
    throw Error(ErrorKind::kFailure,
                fmt::format("the container answered '{}' to '{}'", Trim(reply), Trim(request)));
  }
}

// Waits for a child that did not get ready and says why it failed.
[[noreturn]] void ThrowChildFailed(pid_t pid, const std::string& what) {
  int status = Reap(pid);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  throw Error(ErrorKind::kFailure,
              fmt::format("container init (pid {}) {}: {} (wait status {})", pid, what,
                          code >= 0 ? ChildFailure(code) : "killed by a signal", status));
}

class ContainerWorkload : public Workload {
 public:
  ContainerWorkload(const Point& p, HostGuard& guard)
      : guard_(guard),
        root_kind_(p.String("root")),
        pivot_(p.String("root_switch") == "pivot_root"),
        loopback_(p.Bool("loopback")),
        proc_(p.Bool("mount_proc")),
        uts_(false),
        cgroup_(p.String("cgroup")),
        v2_(p.String("cgroup_version") == "v2"),
        v1_hierarchies_(p.List("v1_hierarchies")),
        pool_size_(static_cast<int>(p.Int("pool_size"))) {
    for (const std::string& ns : p.List("namespaces")) {
      clone_flags_ |= NamespaceFlag(ns);
      uts_ = uts_ || ns == "uts";
    }
  }

  void Prepare(int threads) override {
    base_ = EnsureRootfs(InitBinaryPath());
    MakeScratch();
    if (cgroup_ != "none") MakeCgroupTops();
    if (cgroup_ == "pool") MakePool();
    next_.assign(static_cast<size_t>(threads), 0);
  }

  void Operation(int thread, uint64_t* counters) override {
    Laps laps(counters);
    uint64_t n = next_[static_cast<size_t>(thread)]++;

    CgroupDirs created;
    const CgroupDirs* cg = nullptr;
    size_t slot = 0;
    if (cgroup_ == "pool") {
      slot = pool_.Take();
      cg = &pool_.at(slot);
    } else if (cgroup_ == "create") {
      created = MakeCgroupIn(tops_, fmt::format("op-{}-{}", thread, n));
      cg = &created;
    }
    laps.Lap(kCgroup);

    try {
      RunContainer(thread, n, cg, laps);
    } catch (...) {
      if (cgroup_ == "pool") pool_.Give(slot);  // a created one goes with the tree
      throw;
    }
    if (cgroup_ == "pool") pool_.Give(slot);
    for (const std::string& dir : created.dirs)
      RemoveCgroup(dir, nullptr);
    laps.Lap(kTeardown);
  }

  void Release() override {
    pool_.Clear();
    tops_.clear();
    guard_.UndoEach(undo_);  // every undo tried; the first problem thrown
  }

  Findings TakeFindings() override {
    std::lock_guard lock(mu_);
    LatencyQuantiles q = LatencySummary(first_reply_ns_);
    Findings f;
    f.metrics = {{"first_reply_p50_ns", q.p50},
                 {"first_reply_p90_ns", q.p90},
                 {"first_reply_p99_ns", q.p99},
                 {"first_reply_mean_ns", q.mean}};
    return f;
  }

 private:
  // One container's directories below the point's tmpfs, and the mounts
  // made for it, in order.
  struct Paths {
    std::string dir, root, scratch, socket;
    std::vector<std::string> mounts;
  };

  // The point's tmpfs: private, so that the containers' mounts below it do
  // not propagate to other mount namespaces. Detaching it (the journaled
  // undo) removes every container mount below it.
  void MakeScratch() {
    scratch_ = fmt::format("/var/tmp/isocost-e2e-{}-{}", getpid(), ++serial_);
    undo_.push_back(guard_.Apply("directory", {{"path", scratch_}}, [&] {
      if (mkdir(scratch_.c_str(), 0700) != 0) ThrowErrno("creating " + scratch_);
    }));
    undo_.push_back(guard_.Apply("mount", {{"target", scratch_}}, [&] {
      Mount("isocost", scratch_, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700");
    }));
    Mount("none", scratch_, nullptr, MS_PRIVATE, "");
    MakeLayer("packages", 64);
    MakeLayer("code", 4);
  }

  // A layer holding <name>/file-<i>: as an overlay layer it shows up as
  // /<name>; bound, the inner directory is mounted on /<name>.
  void MakeLayer(const std::string& name, int files) {
    std::string dir = fmt::format("{}/layer-{}/{}", scratch_, name, name);
    MakeDirectories(dir);
    for (int i = 0; i < files; ++i) {
      WriteFileAtomically(fmt::format("{}/file-{}", dir, i), fmt::format("{} {}\n", name, i));
    }
  }

  std::string Layer(const std::string& name) const {
    return fmt::format("{}/layer-{}", scratch_, name);
  }

  void MakeCgroupTops() {
    CgroupMounts mounts = DiscoverCgroupMounts();
    if (v2_ && !mounts.v2) {
      throw Error(ErrorKind::kUnsupported, "no cgroup2 file system is mounted");
    }
    std::vector<std::string> roots =
        v2_ ? std::vector<std::string>{*mounts.v2} : V1Roots(mounts, v1_hierarchies_);
    std::string name = fmt::format("isocost-e2e-{}-{}", getpid(), serial_.load());
    for (const std::string& root : roots)
      tops_.push_back(MakeCgroupTop(guard_, root, name, undo_));
  }

  void MakePool() {
    for (int i = 0; i < pool_size_; ++i) {
      CgroupDirs cg = MakeCgroupIn(tops_, "pool-" + std::to_string(i));
      KeepOpen(cg, v2_);  // closed by Release
      pool_.Add(std::move(cg));
    }
  }

  // root, then the container's life, then its root taken down again.
  void RunContainer(int thread, uint64_t n, const CgroupDirs* cg, Laps& laps) {
    Paths paths;
    try {
      MakeRoot(thread, n, paths);
      laps.Lap(kRoot);
      Serve(paths, cg, n, laps);
    } catch (...) {
      RemoveRoot(paths);
      throw;
    }
    RemoveRoot(paths);
    laps.Lap(kTeardown);
  }

  void MakeRoot(int thread, uint64_t n, Paths& p) {
    p.dir = fmt::format("{}/isocost-c-{}-{}", scratch_, thread, n);
    p.scratch = p.dir + "/scratch";
    p.socket = p.scratch + "/isocost.sock";
    MakeDirectories(p.scratch);
    if (root_kind_ == "none") return;

    p.root = p.dir + "/root";
    MakeDirectories(p.root);
    if (root_kind_ == "bind") {
      BindReadOnly(base_, p.root);
      p.mounts.push_back(p.root);
      for (const char* layer : {"packages", "code"}) {
        std::string target = p.root + "/" + layer;
        BindReadOnly(Layer(layer) + "/" + layer, target);
        p.mounts.push_back(target);
      }
    } else {
      MakeDirectories(p.dir + "/upper");
      MakeDirectories(p.dir + "/work");
      Mount("overlay", p.root, "overlay", 0,
            fmt::format("lowerdir={}:{}:{},upperdir={}/upper,workdir={}/work", Layer("code"),
                        Layer("packages"), base_, p.dir, p.dir));
      p.mounts.push_back(p.root);
    }
    Mount(p.scratch, p.root + "/scratch", nullptr, MS_BIND, "");
    p.mounts.push_back(p.root + "/scratch");
  }

  // Unmounts in reverse order and removes the container's directories.
  void RemoveRoot(Paths& p) {
    for (auto m = p.mounts.rbegin(); m != p.mounts.rend(); ++m) {
      if (umount2(m->c_str(), 0) != 0) ThrowErrno("unmounting " + *m);
    }
    p.mounts.clear();
    if (!p.dir.empty()) RemoveOwnedTree(p.dir);
    p.dir.clear();
  }

  // Starts the container's init in its namespaces and cgroup, waits until
  // it listens, asks it one request and waits for it to exit.
  void Serve(const Paths& paths, const CgroupDirs* cg, uint64_t n, Laps& laps) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) ThrowErrno("creating the ready pipe");
    Fd ready_r(fds[0]), ready_w(fds[1]);
    bool join_after = cg != nullptr && !v2_;
    if (join_after && pipe2(fds, O_CLOEXEC) != 0) ThrowErrno("creating the go pipe");
    Fd go_r(join_after ? fds[0] : -1), go_w(join_after ? fds[1] : -1);

    std::string socket = root_kind_ == "none" ? paths.socket : "/scratch/isocost.sock";
    std::string init = root_kind_ == "none" ? base_ + "/sbin/isocost-init" : "/sbin/isocost-init";
    std::string shell = root_kind_ == "none" ? base_ + "/bin/sh" : "/bin/sh";
    ChildPlan plan;
    plan.root = root_kind_ == "none" ? nullptr : paths.root.c_str();
    plan.pivot = pivot_;
    plan.mount_proc = proc_;
    plan.loopback = loopback_;
    plan.hostname = uts_;
    plan.go_fd = go_r.get();
    plan.ready_fd = ready_w.get();
    plan.init = init.c_str();
    plan.argv[0] = "isocost-init";
    plan.argv[1] = socket.c_str();
    plan.argv[2] = "3";
    plan.argv[3] = shell.c_str();

    Fd cgroup_dir(cg != nullptr && v2_ && cg->dir_fd < 0 ? OpenCgroupDir(cg->dirs.front()) : -1);
    int into = cg == nullptr || !v2_ ? -1 : (cg->dir_fd >= 0 ? cg->dir_fd : cgroup_dir.get());
    pid_t pid = SpawnChild(clone_flags_, into, ChildMainFn, &plan);
    ready_w.Reset();
    go_r.Reset();
    try {
      Start(pid, join_after ? cg : nullptr, go_w);
      laps.Lap(kSpawn);
      WaitReady(pid, ready_r.get());
      laps.Lap(kReady);
      Request(paths.socket, n);
    } catch (...) {
      kill(pid, SIGKILL);
      Reap(pid);
      throw;
    }
    Record(laps.SinceStart());
    laps.Lap(kRequest);

    int status = Reap(pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      throw Error(ErrorKind::kFailure,
                  fmt::format("container init (pid {}) did not exit cleanly (wait status {})", pid,
                              status));
    }
    laps.Lap(kExit);
  }

  // Joins a v1 cgroup before the child may go on.
  static void Start(pid_t pid, const CgroupDirs* join, Fd& go_w) {
    if (join == nullptr) return;
    AttachAll(*join, pid);
    char byte = 1;
    if (write(go_w.get(), &byte, 1) != 1) ThrowErrno("releasing the container's init");
    go_w.Reset();
  }

  static void WaitReady(pid_t pid, int ready_fd) {
    char byte;
    ssize_t got;
    while ((got = read(ready_fd, &byte, 1)) < 0 && errno == EINTR) {
    }
    if (got < 0) ThrowErrno("waiting for the container's init");
    if (got == 0) ThrowChildFailed(pid, "exited before it was ready");
  }

  void Record(int64_t first_reply_ns) {
    std::lock_guard lock(mu_);
    first_reply_ns_.push_back(first_reply_ns);
  }

  static inline std::atomic<int> serial_{0};

  HostGuard& guard_;
  std::string root_kind_;
  bool pivot_, loopback_, proc_, uts_;
  std::string cgroup_;
  bool v2_;
  std::vector<std::string> v1_hierarchies_;
  int pool_size_;
  unsigned long long clone_flags_ = 0;

  std::string base_, scratch_;
  std::vector<HostGuard::Id> undo_;
  std::vector<std::string> tops_;
  std::vector<uint64_t> next_;
  std::mutex mu_;
  CgroupPool pool_;
  std::vector<int64_t> first_reply_ns_;
};

std::string CheckPoint(const Point& p) {
  const std::vector<std::string>& ns = p.List("namespaces");
  auto has = [&](const char* type) { return std::find(ns.begin(), ns.end(), type) != ns.end(); };
  bool rooted = p.String("root") != "none";
  if (rooted != (p.String("root_switch") != "none")) {
    return "root and root_switch go together: a root (bind or overlay) needs a root_switch "
           "(chroot or pivot_root), and root none needs root_switch none";
  }
  if (p.String("root_switch") == "pivot_root" && !has("mnt")) {
    return "root_switch pivot_root needs its own mount namespace: add mnt to namespaces";
  }
  if (p.Bool("mount_proc") && !(has("mnt") && has("pid") && rooted)) {
    return "mount_proc needs a root and new mnt and pid namespaces";
  }
  if (p.Bool("loopback") && !has("net")) {
    return "loopback needs a network namespace: add net to namespaces";
  }
  if (p.String("cgroup") == "pool" && p.Int("pool_size") < p.Int("threads")) {
    return fmt::format(
        "pool_size {} is smaller than threads {}: each thread holds one pooled "
        "cgroup at a time",
        p.Int("pool_size"), p.Int("threads"));
  }
  if (p.String("cgroup_version") == "v1" && p.List("v1_hierarchies").empty()) {
    return "v1_hierarchies: cgroup_version v1 needs at least one hierarchy";
  }
  return "";
}

std::string Unsupported(const Point& p) {
  if (std::string why = RootfsUnsupported(InitBinaryPath()); !why.empty()) return why;
  for (const std::string& ns : p.List("namespaces")) {
    if (access(("/proc/self/ns/" + ns).c_str(), F_OK) != 0) {
      return "this kernel has no " + ns + " namespaces (/proc/self/ns/" + ns + " is missing)";
    }
  }
  if (p.String("root") == "overlay" &&
      TryReadFile("/proc/filesystems").value_or("").find("\toverlay\n") == std::string::npos) {
    return "/proc/filesystems does not list overlay";
  }
  if (p.String("cgroup") == "none") return "";
  CgroupMounts mounts = DiscoverCgroupMounts();
  if (p.String("cgroup_version") == "v2") return mounts.v2 ? "" : "no cgroup2 file system";
  for (const std::string& c : p.List("v1_hierarchies")) {
    if (mounts.FindV1(c) == nullptr) return "no cgroup v1 hierarchy carries '" + c + "'";
  }
  return "";
}

}  // namespace

ExperimentSpec ContainerE2eExperiment() {
  ExperimentSpec e;
  e.name = "container_e2e";
  e.figure = "";
  e.summary =
      "containers built from a recipe, end to end: cgroup, root, namespaces, init, one request "
      "over a Unix socket, exit and teardown";
  e.params = {
      {"threads", ParamType::kInt, int64_t{1}, "containers built at once", {}, 1, 256},
      {"recipe",
       ParamType::kString,
       std::string(),
       "a recipe file (params of this experiment) relative to the config; the config's own "
       "params and sweep override it",
       {},
       0,
       0,
       true},
      {"root",
       ParamType::kString,
       std::string("bind"),
       "the root: bind mounts of a read-only base, packages and code and a writable scratch, "
       "an overlayfs of the same layers, or none",
       {"bind", "overlay", "none"}},
      {"root_switch",
       ParamType::kString,
       std::string("chroot"),
       "how the container enters its root",
       {"chroot", "pivot_root", "none"}},
      {"namespaces", ParamType::kStringList, std::vector<std::string>{"ipc", "pid", "uts"},
       "new namespaces the container starts in", kNamespaces},
      {"loopback",
       ParamType::kBool,
       false,
       "bring loopback up in the new network namespace",
       {},
       0,
       0},
      {"mount_proc",
       ParamType::kBool,
       false,
       "mount /proc in the container, as runtimes do",
       {},
       0,
       0},
      {"cgroup",
       ParamType::kString,
       std::string("pool"),
       "a cgroup from a pool made beforehand, one created and removed per container, or none",
       {"pool", "create", "none"}},
      {"cgroup_version", ParamType::kString, std::string("v2"), "cgroup v1 or v2", {"v1", "v2"}},
      {"v1_hierarchies",
       ParamType::kStringList,
       std::vector<std::string>{"cpu", "memory", "pids"},
       "v1 hierarchies the cgroup spans (cgroup_version v1)",
       {},
       0,
       0},
      {"pool_size", ParamType::kInt, int64_t{16}, "cgroups in the pool", {}, 1, 4096},
  };
  for (int s = 0; s < kSteps; ++s) {
    e.counters.push_back({fmt::format("{}_ns", kStepNames[s]), "ns/op",
                          fmt::format("time in the {} step", kStepNames[s])});
  }
  for (const char* q : {"p50", "p90", "p99", "mean"}) {
    e.workload_metrics.push_back({fmt::format("first_reply_{}_ns", q), "ns",
                                  fmt::format("time from the start to the reply, {}", q)});
  }
  e.check = CheckPoint;
  e.unsupported = Unsupported;
  e.make = [](const Point& p, HostGuard& guard) -> std::unique_ptr<Workload> {
    return std::make_unique<ContainerWorkload>(p, guard);
  };
  e.microbench_sweep = {{"threads", {int64_t{1}, int64_t{2}}}};
  return e;
}

}  // namespace isocost
