#include "harness/doctor.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "isocost/version.h"
#include "primitives/cgroup.h"
#include "primitives/error.h"
#include "primitives/fs.h"
#include "primitives/host.h"
#include "primitives/mountinfo.h"
#include "primitives/rootfs.h"

namespace isocost {
namespace {

using nlohmann::json;

constexpr int kSchemaVersion = 1;
constexpr const char* kTracingDir = "/sys/kernel/tracing";

// The consumers a check names in "affects", spelled the same everywhere.
const std::string kCgroupExperiment = "cgroup experiment (figure 5)";
const std::string kTracingExperiment = "tracing experiment (figure 3)";
const std::string kStorageExperiment = "storage experiment";
const std::string kNamespaceExperiments = "namespace experiments";
const std::string kE2eExperiment = "container_e2e experiment (lean containers)";

// ---------------------------------------------------------------------------
// Checks and small readers

// One line of the report.
struct Check {
  std::string name;
  std::string status;  // "ok", "missing", "warn" or "info"
  std::string detail;
  std::string affects;  // what an absent or degraded item costs
  std::string remedy;
  json data = json::object();  // numeric facts, a unit in every key
};

Check MakeCheck(const char* status, std::string name, std::string detail, std::string affects,
                std::string remedy) {
  return Check{std::move(name),   status,        std::move(detail), std::move(affects),
               std::move(remedy), json::object()};
}

Check Ok(std::string name, std::string detail) {
  return MakeCheck("ok", std::move(name), std::move(detail), "", "");
}

Check Info(std::string name, std::string detail, std::string affects = "",
           std::string remedy = "") {
  return MakeCheck("info", std::move(name), std::move(detail), std::move(affects),
                   std::move(remedy));
}

Check Warn(std::string name, std::string detail, std::string affects, std::string remedy = "") {
  return MakeCheck("warn", std::move(name), std::move(detail), std::move(affects),
                   std::move(remedy));
}

Check Missing(std::string name, std::string detail, std::string affects, std::string remedy = "") {
  return MakeCheck("missing", std::move(name), std::move(detail), std::move(affects),
                   std::move(remedy));
}

Check WithData(Check check, json data) {
  check.data = std::move(data);
  return check;
}

void Append(std::vector<Check>& to, std::vector<Check> more) {
  for (Check& c : more)
    to.push_back(std::move(c));
}

// A file's trimmed text, or why it could not be read ("opening X: reason").
struct Text {
  std::optional<std::string> text;
  std::string error;
};

Text ReadText(const std::string& path) {
  try {
    return {Trim(ReadFile(path)), ""};
  } catch (const SysError& e) {
    return {std::nullopt, e.what()};
  }
}

std::optional<long long> ParseInteger(const std::string& s) {
  char* end = nullptr;

  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end == s.c_str() || *end != '\0') return std::nullopt;
  return v;
}

std::optional<long long> ReadInteger(const std::string& path) {
  Text t = ReadText(path);
  return t.text ? ParseInteger(*t.text) : std::nullopt;
}

// "what: strerror(err)".
std::string ErrorText(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

std::string Join(const std::vector<std::string>& words, const std::string& sep) {
  std::string out;
  for (const std::string& w : words)
    out += (out.empty() ? "" : sep) + w;
  return out;
}

std::vector<std::string> SplitOn(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::istringstream in(s);
  for (std::string part; std::getline(in, part, sep);)
    parts.push_back(part);
  return parts;
}

bool Contains(const std::vector<std::string>& words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// ---------------------------------------------------------------------------
// Mounts, from /proc/self/mountinfo (primitives/mountinfo.h)

// The first mount of fstype, at mount_point unless that is empty.
const MountEntry* FindMount(const std::vector<MountEntry>& mounts, const std::string& fstype,
                            const std::string& mount_point = "") {
  for (const MountEntry& m : mounts) {
    if (m.fstype == fstype && (mount_point.empty() || m.mount_point == mount_point)) return &m;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// Privilege

std::string LimitText(rlim_t v) {
  return v == RLIM_INFINITY ? "unlimited" : std::to_string(v);
}

// null stands for unlimited.
json LimitJson(rlim_t v) {
  return v == RLIM_INFINITY ? json(nullptr) : json(v);
}

Check EuidCheck() {
  uid_t euid = geteuid();

  if (euid == 0) return Ok("euid", "0 (root)");
  return Warn("euid", fmt::format("{} (not root)", euid),
              kCgroupExperiment + ", " + kTracingExperiment + ", " + kStorageExperiment +
                  " and most namespace experiments need root; their points are skipped",
              "run isocost as root");
}

// A capability isocost's experiments use, and what they lose without it.
// {nofile_hard} stands for the current hard limit on open files.
struct CapabilityNeed {
  const char* name;
  const char* affects;
  const char* remedy;
};

const CapabilityNeed kCapabilityNeeds[] = {
    {"cap_sys_admin", "mounts, namespaces, cgroups and tracing: nearly every experiment",
     "run isocost as root with CAP_SYS_ADMIN"},
    {"cap_sys_resource",
     "the open-file hard limit (RLIMIT_NOFILE, {nofile_hard}) cannot be raised, so one "
     "process cannot hold more than {nofile_hard} namespace file descriptors; holding more "
     "namespaces takes several processes",
     "raise the hard limit before starting isocost from a process that has CAP_SYS_RESOURCE "
     "(prlimit --nofile=N:N), or spread the held namespaces over several processes"},
    {"cap_net_admin", "configuring new network namespaces (loopback up, IPv6 sysctls)",
     "run isocost as root with CAP_NET_ADMIN"},
    {"cap_dac_override", "writing root-owned cgroup and tracefs control files",
     "run isocost as root with CAP_DAC_OVERRIDE"},
};

std::vector<Check> CapabilityChecks(const std::string& nofile_hard) {
  std::vector<std::string> missing = MissingCapabilities();

  if (missing.empty()) {
    return {Ok("capabilities", "every capability the kernel knows is effective")};
  }
  if (missing.front().front() == '(') {
    return {Warn("capabilities", "cannot read this process's capabilities (cap_get_proc failed)",
                 "the checks of single capabilities below are left out")};
  }

  std::vector<Check> checks = {
      WithData(Info("capabilities", fmt::format("{} missing from the effective set: {}",
                                                missing.size(), Join(missing, ", "))),
               {{"missing_count", missing.size()}})};
  for (const CapabilityNeed& need : kCapabilityNeeds) {
    if (!Contains(missing, need.name)) continue;
    std::string affects =
        fmt::format(fmt::runtime(need.affects), fmt::arg("nofile_hard", nofile_hard));
    checks.push_back(Missing(need.name, "not in the effective set", affects, need.remedy));
  }
  return checks;
}

Check NofileCheck(const rlimit& r) {
  std::string detail = fmt::format(
      "soft {}, hard {}: the most file descriptors (namespace fds included) one "
      "process can hold",
      LimitText(r.rlim_cur), LimitText(r.rlim_max));

  if (r.rlim_cur < r.rlim_max) detail += "; isocost can raise the soft limit to the hard one";
  return WithData(Info("rlimit_nofile", detail),
                  {{"soft_fds", LimitJson(r.rlim_cur)}, {"hard_fds", LimitJson(r.rlim_max)}});
}

Check NprocCheck() {
  rlimit r{};

  if (getrlimit(RLIMIT_NPROC, &r) != 0) {
    int err = errno;
    return Info("rlimit_nproc", ErrorText("getrlimit(RLIMIT_NPROC)", err));
  }
  std::string detail = fmt::format("soft {}, hard {} processes per user", LimitText(r.rlim_cur),
                                   LimitText(r.rlim_max));
  return WithData(Info("rlimit_nproc", detail), {{"soft_processes", LimitJson(r.rlim_cur)},
                                                 {"hard_processes", LimitJson(r.rlim_max)}});
}

std::vector<Check> PrivilegeChecks() {
  rlimit nofile{};

  if (getrlimit(RLIMIT_NOFILE, &nofile) != 0) ThrowErrno("getrlimit(RLIMIT_NOFILE)");
  std::vector<Check> checks = {EuidCheck()};
  Append(checks, CapabilityChecks(LimitText(nofile.rlim_max)));
  checks.push_back(NofileCheck(nofile));
  checks.push_back(NprocCheck());
  return checks;
}

// ---------------------------------------------------------------------------
// Kernel

// The PREEMPT* words of uname -v ("PREEMPT_DYNAMIC").
std::string PreemptionModel(const std::string& version) {
  std::vector<std::string> words;
  for (const std::string& w : SplitWords(version)) {
    if (w.rfind("PREEMPT", 0) == 0) words.push_back(w);
  }
  return words.empty() ? "none named in uname -v" : Join(words, " ");
}

Check PreemptRtCheck(const std::string& version) {
  if (version.find("PREEMPT_RT") == std::string::npos) {
    return Info("preempt_rt",
                "not a PREEMPT_RT kernel (preemption: " + PreemptionModel(version) + ")");
  }
  return Warn("preempt_rt",
              "uname -v names PREEMPT_RT: expedited RCU grace periods run as normal ones",
              "teardown that waits for a grace period (mount and namespace release) is slower; "
              "results are not comparable with non-RT kernels");
}

// RCU switches in sysfs that change how long grace-period waits take.
struct RcuKnob {
  const char* name;
  const char* when_set;
};

const RcuKnob kRcuKnobs[] = {
    {"rcu_normal", "expedited RCU grace periods run as normal ones: slower teardown waits"},
    {"rcu_expedited", "normal RCU grace periods are expedited: shorter waits, more IPIs"},
};

Check RcuKnobCheck(const RcuKnob& knob) {
  Text t = ReadText(std::string("/sys/kernel/") + knob.name);

  if (!t.text) return Info(knob.name, "not readable: " + t.error);
  if (*t.text == "0") return Info(knob.name, "0 (off)");
  return Warn(knob.name, *t.text + ": " + knob.when_set,
              "mount and namespace teardown times; not comparable with hosts where it is 0");
}

std::vector<Check> KernelChecks() {
  struct utsname u {};

  if (uname(&u) != 0) ThrowErrno("uname");
  Text cmdline = ReadText("/proc/cmdline");
  std::vector<Check> checks = {
      Info("release", u.release), Info("version", u.version), Info("machine", u.machine),
      Info("cmdline", cmdline.text ? *cmdline.text : "not readable: " + cmdline.error),
      PreemptRtCheck(u.version)};
  for (const RcuKnob& knob : kRcuKnobs)
    checks.push_back(RcuKnobCheck(knob));
  return checks;
}

// ---------------------------------------------------------------------------
// cgroups

Check LayoutCheck(const CgroupMounts& m) {
  std::string layout = m.Layout();

  if (layout == "none") {
    return Missing("layout", "none: no cgroup or cgroup2 mount in /proc/self/mountinfo",
                   kCgroupExperiment, "mount -t cgroup2 none /sys/fs/cgroup");
  }
  std::string v2 = m.v2 ? "cgroup2 at " + *m.v2 : "no cgroup2";
  return Info("layout", fmt::format("{}: {} v1 hierarchies, {}", layout, m.v1.size(), v2));
}

// "" when this process may write under path, else why not.
std::string WhyNotWritable(const std::string& path) {
  if (access(path.c_str(), W_OK) == 0) return "";
  return std::strerror(errno);
}

Check HierarchyCheck(const CgroupHierarchy& h) {
  std::string name = "v1:" + Join(h.controllers, ",");
  std::string why = WhyNotWritable(h.mount_point);

  if (why.empty()) return Ok(name, "at " + h.mount_point);
  return Missing(name, fmt::format("at {}, not writable: {}", h.mount_point, why),
                 kCgroupExperiment + " with cgroup_version=v1 on this hierarchy",
                 "run as root where the cgroup file system is mounted read-write");
}

Check Cgroup2MountCheck(const std::string& v2) {
  std::string why = WhyNotWritable(v2);

  if (why.empty()) return Ok("cgroup2_mount", "at " + v2);
  return Missing("cgroup2_mount", fmt::format("at {}, not writable: {}", v2, why),
                 kCgroupExperiment + " with cgroup_version=v2",
                 "run as root where cgroup2 is mounted read-write");
}

Check CgroupListCheck(const std::string& name, const std::string& path, const std::string& note) {
  Text t = ReadText(path);

  if (!t.text) return Missing(name, t.error, kCgroupExperiment + " with cgroup_version=v2");
  std::vector<std::string> words = SplitWords(*t.text);
  std::string detail = words.empty() ? "(none)" : Join(words, " ");
  if (!note.empty()) detail += " " + note;
  return WithData(Info(name, detail), {{"controllers", words}});
}

Check FavordynmodsCheck(const std::string& v2, const std::vector<MountEntry>& mounts) {
  const MountEntry* m = FindMount(mounts, "cgroup2", v2);

  if (m == nullptr) return Info("cgroup2_favordynmods", "cannot tell: no cgroup2 entry at " + v2);
  std::string options = "super options " + Join(m->super_options, ",");
  if (Contains(m->super_options, "favordynmods")) {
    return Info("cgroup2_favordynmods", "set (" + options +
                                            "): migrations and controller changes are cheaper, "
                                            "fork and exit dearer");
  }
  return Info("cgroup2_favordynmods", "not set (" + options +
                                          "): the default; fork and exit are cheaper, "
                                          "migrations and controller changes dearer");
}

std::vector<Check> Cgroup2Checks(const CgroupMounts& m, const std::vector<MountEntry>& mounts) {
  if (!m.v2) {
    return {Info("cgroup2_mount", "not mounted",
                 kCgroupExperiment + " can run with cgroup_version=v1 only")};
  }
  std::string note = m.v1.empty() ? "" : "(controllers bound to v1 hierarchies are not offered)";
  return {Cgroup2MountCheck(*m.v2),
          CgroupListCheck("cgroup2_controllers", *m.v2 + "/cgroup.controllers", note),
          CgroupListCheck("cgroup2_subtree_control", *m.v2 + "/cgroup.subtree_control", ""),
          FavordynmodsCheck(*m.v2, mounts)};
}

// Where this process sits: its cgroup2 path, and its v1 paths other than "/".
std::vector<Check> MembershipChecks() {
  Text t = ReadText("/proc/self/cgroup");
  std::optional<std::string> v2;
  std::vector<std::string> v1;

  if (!t.text) return {Info("process_cgroup", "not readable: " + t.error)};
  for (const std::string& line : SplitOn(*t.text, '\n')) {
    size_t first = line.find(':');
    size_t second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    if (controllers.empty()) v2 = path;
    if (!controllers.empty() && path != "/") v1.push_back(controllers + ":" + path);
  }
  return {
      Info("process_cgroup2", v2 ? *v2 : "no cgroup2 entry in /proc/self/cgroup"),
      Info("process_cgroup_v1", v1.empty() ? "at the root of every v1 hierarchy" : Join(v1, " "))};
}

std::vector<Check> CgroupChecks() {
  CgroupMounts m = DiscoverCgroupMounts();
  std::vector<MountEntry> mounts = ReadMountinfo();
  std::vector<Check> checks = {LayoutCheck(m)};

  for (const CgroupHierarchy& h : m.v1)
    checks.push_back(HierarchyCheck(h));
  Append(checks, Cgroup2Checks(m, mounts));
  Append(checks, MembershipChecks());
  return checks;
}

// ---------------------------------------------------------------------------
// Tracing

// Where tracefs is mounted, preferring /sys/kernel/tracing.
std::optional<std::string> TracefsMount(const std::vector<MountEntry>& mounts) {
  if (FindMount(mounts, "tracefs", kTracingDir)) return kTracingDir;
  if (const MountEntry* m = FindMount(mounts, "tracefs")) return m->mount_point;
  return std::nullopt;
}

std::vector<std::string> KernelFileSystems() {
  std::vector<std::string> names;
  for (const std::string& line : SplitOn(ReadFile("/proc/filesystems"), '\n')) {
    std::vector<std::string> words = SplitWords(line);
    if (!words.empty()) names.push_back(words.back());
  }
  return names;
}

Check TracefsKernelCheck(const std::vector<std::string>& filesystems) {
  if (Contains(filesystems, "tracefs")) return Ok("tracefs_kernel", "in /proc/filesystems");
  return Missing("tracefs_kernel", "not in /proc/filesystems: kernel without CONFIG_TRACING",
                 kTracingExperiment, "boot a kernel built with CONFIG_FTRACE and CONFIG_TRACING");
}

Check TracefsMountCheck(const std::optional<std::string>& dir) {
  if (dir) return Ok("tracefs_mount", "mounted at " + *dir);
  return Info("tracefs_mount",
              "not mounted: no tracefs entry in /proc/self/mountinfo; an experiment that needs "
              "tracing mounts it itself, recorded by the host-state guard and unmounted after",
              "", std::string("to look at it by hand: mount -t tracefs nodev ") + kTracingDir);
}

Check TracingDirCheck() {
  if (IsDirectory(kTracingDir)) return Ok("tracing_dir", std::string(kTracingDir) + " exists");
  return Missing("tracing_dir", std::string(kTracingDir) + " is not a directory",
                 kTracingExperiment + ": no mount point for tracefs",
                 "mount sysfs at /sys (it provides the directory)");
}

// Event systems the tracing experiment reads, and what for.
struct EventSystem {
  const char* name;
  const char* use;
};

const EventSystem kEventSystems[] = {
    {"syscalls", "system-call entry and exit (CONFIG_FTRACE_SYSCALLS)"},
    {"sched", "blocked-time attribution through sched_switch stacktrace triggers"},
    {"workqueue", "deferred teardown work (namespace and mount release)"},
    {"cgroup", "cgroup creation, attach and release"},
};

Check TracersCheck(const std::string& dir) {
  Text t = ReadText(dir + "/available_tracers");

  if (!t.text) return Missing("available_tracers", t.error, kTracingExperiment);
  return WithData(Info("available_tracers", *t.text), {{"tracers", SplitWords(*t.text)}});
}

std::vector<Check> TracefsContentChecks(const std::string& dir) {
  std::vector<Check> checks = {TracersCheck(dir)};

  for (const EventSystem& sys : kEventSystems) {
    std::string name = std::string("events/") + sys.name;
    if (IsDirectory(dir + "/" + name)) {
      checks.push_back(Ok(name, "present"));
    } else {
      checks.push_back(
          Missing(name, "no " + dir + "/" + name, kTracingExperiment + ": " + sys.use));
    }
  }
  if (IsDirectory(dir + "/instances")) {
    checks.push_back(Ok("instances", "present: private tracing instances are possible"));
  } else {
    checks.push_back(Missing("instances", "no " + dir + "/instances",
                             kTracingExperiment + ": no private instance, only the top buffer"));
  }
  return checks;
}

std::vector<Check> UncheckedTracefsChecks() {
  std::vector<Check> checks;
  std::string why = "not checked: tracefs is not mounted";

  checks.push_back(Info("available_tracers", why));
  for (const EventSystem& sys : kEventSystems) {
    checks.push_back(Info(std::string("events/") + sys.name, why));
  }
  checks.push_back(Info("instances", why));
  return checks;
}

bool HasFunctionTracer(const std::string& dir) {
  Text tracers = ReadText(dir + "/available_tracers");
  return tracers.text && Contains(SplitWords(*tracers.text), "function");
}

// Whether the function tracer's filter files and kprobes may be written is
// known only by trying, which doctor never does; it reports whether they exist.
const std::string kNotProbed = "permission to use it not probed (doctor only reads)";
const std::string kFallback =
    "an experiment that wants it must try it and fall back, with a stated reason, to event "
    "stacktrace triggers";

Check FunctionTracerCheck(const std::optional<std::string>& dir) {
  if (!dir) return Info("function_tracer", "tracefs not mounted; " + kNotProbed, kFallback);
  if (!HasFunctionTracer(*dir)) {
    return Info("function_tracer",
                "not in available_tracers: kernel without "
                "CONFIG_FUNCTION_TRACER",
                kFallback);
  }
  return Info("function_tracer", "built in; " + kNotProbed, kFallback);
}

// The figure 3 experiment would offer kernel function durations from it;
// without it, latencies and blocked time come from events alone.
Check FunctionGraphTracerCheck(const std::optional<std::string>& dir) {
  const std::string affects = kTracingExperiment +
                              ": no durations of named kernel functions; latencies and blocked "
                              "time come from trace events and sched_switch stack traces";
  if (!dir) return Info("function_graph_tracer", "tracefs not mounted; not checked", affects);
  Text tracers = ReadText(*dir + "/available_tracers");
  if (tracers.text && Contains(SplitWords(*tracers.text), "function_graph")) {
    return Ok("function_graph_tracer", "in available_tracers");
  }
  return Warn("function_graph_tracer",
              "not in available_tracers: kernel without CONFIG_FUNCTION_GRAPH_TRACER", affects);
}

Check KprobesCheck(const std::optional<std::string>& dir) {
  if (!dir) return Info("kprobes", "tracefs not mounted; " + kNotProbed, kFallback);
  if (access((*dir + "/kprobe_events").c_str(), F_OK) != 0) {
    return Info("kprobes",
                "no kprobe_events in " + *dir +
                    ": kernel without "
                    "CONFIG_KPROBE_EVENTS, so no kprobes whatever the permission",
                kFallback);
  }
  return Info("kprobes", "kprobe_events present; " + kNotProbed, kFallback);
}

json ToJson(const Check& c);

Check FromJson(const json& j) {
  Check c{j.value("name", ""),    j.value("status", "info"), j.value("detail", ""),
          j.value("affects", ""), j.value("remedy", ""),     j.value("data", json::object())};
  return c;
}

// What tracefs offers, read in a child process that mounts it in a private
// mount namespace of its own: the host's mounts never change, and the
// mount is gone when the child exits. Empty when that is not possible
// (not root, no tracefs).
std::vector<Check> ProbeTracefsPrivately() {
  int fds[2];
  if (geteuid() != 0 || pipe2(fds, O_CLOEXEC) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    json out = json::array();
    if (unshare(CLONE_NEWNS) == 0 &&
        mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
        mount("nodev", kTracingDir, "tracefs", 0, nullptr) == 0) {
      std::vector<Check> checks = TracefsContentChecks(kTracingDir);
      checks.push_back(FunctionTracerCheck(std::string(kTracingDir)));
      checks.push_back(FunctionGraphTracerCheck(std::string(kTracingDir)));
      checks.push_back(KprobesCheck(std::string(kTracingDir)));
      for (const Check& c : checks)
        out.push_back(ToJson(c));
    }
    std::string text = out.dump();
    ssize_t ignored = write(fds[1], text.data(), text.size());
    (void)ignored;
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; pid > 0 && (n = read(fds[0], buf, sizeof buf)) > 0;)
    text.append(buf, n);
  close(fds[0]);
  if (pid > 0) waitpid(pid, nullptr, 0);

  std::vector<Check> checks;
  json parsed = json::parse(text, nullptr, false);
  if (!parsed.is_array()) return checks;
  for (const json& j : parsed) {
    Check c = FromJson(j);
    c.detail = "(probed in a private mount namespace) " + c.detail;
    checks.push_back(std::move(c));
  }
  return checks;
}

std::vector<Check> TracingChecks() {
  std::vector<MountEntry> mounts = ReadMountinfo();
  std::optional<std::string> dir = TracefsMount(mounts);
  std::vector<Check> checks = {TracefsKernelCheck(KernelFileSystems()), TracefsMountCheck(dir),
                               TracingDirCheck()};

  if (dir) {
    Append(checks, TracefsContentChecks(*dir));
    checks.push_back(FunctionTracerCheck(dir));
    checks.push_back(FunctionGraphTracerCheck(dir));
    checks.push_back(KprobesCheck(dir));
    return checks;
  }
  std::vector<Check> probed = ProbeTracefsPrivately();
  if (probed.empty()) {
    Append(checks, UncheckedTracefsChecks());
    checks.push_back(FunctionTracerCheck(dir));
    checks.push_back(FunctionGraphTracerCheck(dir));
    checks.push_back(KprobesCheck(dir));
  }
  Append(checks, probed);
  return checks;
}

// ---------------------------------------------------------------------------
// File systems

// A file system an experiment mounts; absent_status is "missing" when an
// experiment needs it, "info" when it is optional.
struct FileSystemNeed {
  const char* name;
  const char* absent_status;
  const char* affects;
  const char* remedy;
};

const FileSystemNeed kFileSystemNeeds[] = {
    {"overlay", "missing", "storage experiment", "modprobe overlay"},
    {"aufs", "info",
     "storage experiment's aufs variant, which is optional: AUFS was never merged into "
     "mainline Linux",
     ""},
    {"fuse", "missing", "storage experiment's fuse-overlayfs variant", "modprobe fuse"},
    {"tmpfs", "missing", "storage experiment (layers on tmpfs)",
     "boot a kernel built with CONFIG_TMPFS"},
};

Check FileSystemCheck(const FileSystemNeed& need, const std::vector<std::string>& filesystems) {
  if (Contains(filesystems, need.name)) return Ok(need.name, "in /proc/filesystems");
  return MakeCheck(need.absent_status, need.name,
                   "not in /proc/filesystems (not built in, and no module loaded)", need.affects,
                   need.remedy);
}

std::optional<std::string> FindOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");

  for (const std::string& dir : SplitOn(path ? path : "/usr/bin:/bin", ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    struct stat st {};
    if (stat(candidate.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

Check FuseOverlayfsCheck() {
  if (std::optional<std::string> found = FindOnPath("fuse-overlayfs")) {
    return Ok("fuse-overlayfs", "at " + *found);
  }
  return Missing("fuse-overlayfs", "no executable fuse-overlayfs on PATH",
                 kStorageExperiment + "'s fuse-overlayfs variant",
                 "apt-get install fuse-overlayfs");
}

Check DevFuseCheck() {
  struct stat st {};
  std::string affects = kStorageExperiment + "'s fuse-overlayfs variant";

  if (stat("/dev/fuse", &st) != 0) {
    int err = errno;
    return Missing("/dev/fuse", ErrorText("stat /dev/fuse", err), affects, "modprobe fuse");
  }
  if (!S_ISCHR(st.st_mode)) {
    return Missing("/dev/fuse", "exists but is not a character device", affects);
  }
  return Ok("/dev/fuse",
            fmt::format("character device {}:{}", major(st.st_rdev), minor(st.st_rdev)));
}

// The container root's ingredients: static busybox and isocost-init.
Check ContainerRootCheck() {
  std::string init = InitBinaryPath();
  std::string why = RootfsUnsupported(init);
  if (!why.empty()) return Missing("container root", why, kE2eExperiment);
  return Ok("container root",
            fmt::format("{} and {}; built once into {}", kBusyboxPath, init, kRootfsCacheDir));
}

std::vector<Check> FileSystemChecks() {
  std::vector<std::string> filesystems = KernelFileSystems();
  std::vector<Check> checks;

  for (const FileSystemNeed& need : kFileSystemNeeds) {
    checks.push_back(FileSystemCheck(need, filesystems));
  }
  checks.push_back(FuseOverlayfsCheck());
  checks.push_back(DevFuseCheck());
  checks.push_back(ContainerRootCheck());
  return checks;
}

// ---------------------------------------------------------------------------
// Namespaces

// Namespace types and the kernel option each needs ("" for always there).
struct NamespaceType {
  const char* name;
  const char* config;
};

const NamespaceType kNamespaceTypes[] = {
    {"mnt", ""},
    {"ipc", "CONFIG_IPC_NS"},
    {"net", "CONFIG_NET_NS"},
    {"uts", "CONFIG_UTS_NS"},
    {"pid", "CONFIG_PID_NS"},
    {"cgroup", "CONFIG_CGROUPS"},
    {"user", "CONFIG_USER_NS"},
    {"time", "CONFIG_TIME_NS"},
};

Check NamespaceTypeCheck(const NamespaceType& type) {
  std::string path = std::string("/proc/self/ns/") + type.name;
  char target[256];

  ssize_t n = readlink(path.c_str(), target, sizeof target - 1);
  if (n < 0) {
    int err = errno;
    bool absent = err == ENOENT && *type.config != '\0';
    std::string why = absent ? std::string(" (kernel without ") + type.config + ")" : "";
    return Missing(type.name, ErrorText("reading " + path, err) + why,
                   kNamespaceExperiments + " that create " + type.name + " namespaces");
  }
  return Ok(type.name, std::string(target, static_cast<size_t>(n)));
}

// A sysctl under /proc/sys and what its value means.
struct Sysctl {
  std::string path;  // under /proc/sys
  std::string meaning;
  std::string data_key;  // the key of its value in "data"
  std::string affects;   // if it cannot be read
  std::string when_missing;
  bool zero_blocks = false;  // 0 forbids what an experiment does
};

std::vector<Sysctl> Sysctls() {
  std::vector<Sysctl> rows;

  for (const NamespaceType& type : kNamespaceTypes) {
    std::string t = type.name;
    rows.push_back({"user/max_" + t + "_namespaces",
                    "most " + t + " namespaces a user namespace may hold", "max_namespaces",
                    kNamespaceExperiments + " that create " + t + " namespaces", "", true});
  }
  std::string ipv6 = "network namespace experiments that turn IPv6 off";
  std::string no_ipv6 = " (no IPv6: kernel without it, or ipv6.disable=1)";
  rows.push_back({"fs/nr_open", "ceiling of the RLIMIT_NOFILE hard limit", "max_fds", "", ""});
  rows.push_back(
      {"kernel/pid_max", "pids are allocated below this; it bounds live tasks", "max_pid", "", ""});
  rows.push_back({"kernel/threads-max", "most threads system-wide", "max_threads", "", ""});
  rows.push_back({"net/core/devconf_inherit_init_net",
                  "where new network namespaces take their conf settings from", "mode", ipv6, ""});
  rows.push_back({"net/ipv6/conf/all/disable_ipv6", "1 turns IPv6 off on every interface", "flag",
                  ipv6, no_ipv6});
  rows.push_back({"net/ipv6/conf/default/disable_ipv6", "1 turns IPv6 off on new interfaces",
                  "flag", ipv6, no_ipv6});
  return rows;
}

Check SysctlCheck(const Sysctl& s) {
  std::string name = s.path;
  std::replace(name.begin(), name.end(), '/', '.');
  Text t = ReadText("/proc/sys/" + s.path);

  if (!t.text) return Missing(name, t.error + s.when_missing, s.affects);
  std::optional<long long> v = ParseInteger(*t.text);
  if (v && *v == 0 && s.zero_blocks) {
    return Missing(name, "0: creating one fails with ENOSPC", s.affects,
                   "sysctl -w " + name + "=N with N above what the experiment holds");
  }
  Check c = Info(name, *t.text + ": " + s.meaning);
  if (v) c.data = {{s.data_key, *v}};
  return c;
}

// What "IPv6 off" means for a new network namespace, from the host's sysctls.
const std::map<long long, std::string> kDevconfModes = {
    {0, "IPv4 conf inherited, IPv6 conf reset to defaults (IPv6 on)"},
    {1, "IPv4 and IPv6 conf inherited from the initial namespace"},
    {2, "IPv4 and IPv6 conf reset to defaults (IPv6 on)"},
    {3, "IPv4 and IPv6 conf inherited from the creating namespace"},
};

Check NewNetnsIpv6Check() {
  std::optional<long long> mode = ReadInteger("/proc/sys/net/core/devconf_inherit_init_net");
  std::optional<long long> all = ReadInteger("/proc/sys/net/ipv6/conf/all/disable_ipv6");

  if (!mode || !all || kDevconfModes.count(*mode) == 0) {
    return Info("ipv6_in_new_netns", "cannot tell: the sysctls above are missing or unknown");
  }
  std::string detail = "new network namespaces: " + kDevconfModes.at(*mode);
  if ((*mode == 1 || *mode == 3) && *all == 1) {
    return Warn("ipv6_in_new_netns",
                detail +
                    "; they report all.disable_ipv6=1, yet their loopback may keep "
                    "disable_ipv6=0 and get ::1 when brought up",
                "network namespace experiments: check IPv6 inside the new namespace");
  }
  return Info("ipv6_in_new_netns", detail);
}

std::vector<Check> NamespaceChecks() {
  std::vector<Check> checks;

  for (const NamespaceType& type : kNamespaceTypes)
    checks.push_back(NamespaceTypeCheck(type));
  for (const Sysctl& s : Sysctls())
    checks.push_back(SysctlCheck(s));
  checks.push_back(NewNetnsIpv6Check());
  return checks;
}

// ---------------------------------------------------------------------------
// Machine

double GiB(uint64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024 * 1024);
}

Check LoadCheck(const HostFacts& f) {
  std::string detail =
      fmt::format("{:.2f} over the last minute, {} CPUs online", f.loadavg_1min, f.cpus_online);
  json data = {{"loadavg_1min", f.loadavg_1min}};

  if (f.loadavg_1min > 0.5 * f.cpus_online) {
    return WithData(Warn("load", detail + ": above half the CPUs",
                         "every timing: other work competes for the CPUs",
                         "stop other work, or wait for the load to fall"),
                    data);
  }
  return WithData(Ok("load", detail), data);
}

Check GovernorCheck(const HostFacts& f) {
  if (!f.cpu_governor) {
    return Info("cpu_governor", "no cpufreq on cpu0 (usual in a VM: the host sets frequency)");
  }
  if (*f.cpu_governor == "performance") return Ok("cpu_governor", "performance");
  return Warn("cpu_governor", *f.cpu_governor + ": frequency changes with load",
              "every timing: the CPU speed varies during a run",
              "cpupower frequency-set -g performance");
}

std::vector<Check> MachineChecks() {
  HostFacts f = CollectHostFacts();
  std::string model =
      f.cpu_model.empty() ? "unknown (no model name in /proc/cpuinfo)" : f.cpu_model;
  std::string memory = fmt::format("{:.1f} GiB total, {:.1f} GiB available",
                                   GiB(f.memory_total_bytes), GiB(f.memory_available_bytes));
  std::string cpus =
      fmt::format("{} online, {} allowed to this process", f.cpus_online, f.cpus_allowed);

  return {
      Info("cpu_model", model),
      WithData(Info("cpus", cpus),
               {{"online_count", f.cpus_online}, {"allowed_count", f.cpus_allowed}}),
      WithData(Info("memory", memory), {{"total_bytes", f.memory_total_bytes},
                                        {"available_bytes", f.memory_available_bytes}}),
      LoadCheck(f),
      GovernorCheck(f),
      Info("virtualized", f.virtualized ? "yes (hypervisor flag in /proc/cpuinfo): timings "
                                          "include virtualization overhead"
                                        : "no hypervisor flag in /proc/cpuinfo"),
  };
}

// ---------------------------------------------------------------------------
// The report

struct SectionSpec {
  const char* name;
  const char* title;
  std::vector<Check> (*collect)();
};

const SectionSpec kSections[] = {
    {"privilege", "Privilege", PrivilegeChecks},
    {"kernel", "Kernel", KernelChecks},
    {"cgroups", "cgroups", CgroupChecks},
    {"tracing", "Tracing", TracingChecks},
    {"filesystems", "File systems", FileSystemChecks},
    {"namespaces", "Namespaces", NamespaceChecks},
    {"machine", "Machine", MachineChecks},
};

json ToJson(const Check& c) {
  json j = {{"name", c.name}, {"status", c.status}, {"detail", c.detail}};

  if (!c.affects.empty()) j["affects"] = c.affects;
  if (!c.remedy.empty()) j["remedy"] = c.remedy;
  if (!c.data.empty()) j["data"] = c.data;
  return j;
}

// A section whose collection fails still appears, with the failure as a check.
json CollectSection(const SectionSpec& spec) {
  std::vector<Check> checks;
  json out = {{"name", spec.name}, {"title", spec.title}, {"checks", json::array()}};

  try {
    checks = spec.collect();
  } catch (const std::exception& e) {
    checks = {Warn("collection_failed", fmt::format("collecting {}: {}", spec.name, e.what()),
                   "this section of the report is incomplete")};
  }
  for (const Check& c : checks)
    out["checks"].push_back(ToJson(c));
  return out;
}

json StatusCounts(const json& sections) {
  json counts = {{"ok", 0}, {"missing", 0}, {"warn", 0}, {"info", 0}};

  for (const json& section : sections) {
    for (const json& check : section["checks"]) {
      std::string status = check["status"].get<std::string>();
      counts[status] = counts.value(status, 0) + 1;
    }
  }
  return counts;
}

// ---------------------------------------------------------------------------
// Printing

constexpr size_t kLineWidth = 100;
constexpr size_t kMaxNameWidth = 34;
constexpr size_t kMaxIndent = 48;

// Prints head, then text wrapped at kLineWidth with continuation lines
// indented under the text.
void PrintWrapped(const std::string& head, const std::string& text, std::ostream& out) {
  std::string indent(std::min(head.size(), kMaxIndent), ' ');
  std::string line = head;
  bool empty = true;

  for (const std::string& word : SplitWords(text)) {
    if (!empty && line.size() + 1 + word.size() > kLineWidth) {
      out << line << '\n';
      line = indent + word;
      continue;
    }
    line += (empty ? "" : " ") + word;
    empty = false;
  }
  out << line << '\n';
}

void PrintCheck(const json& check, size_t name_width, std::ostream& out) {
  std::string head = fmt::format("  {:<8} {:<{}} ", check.value("status", "?"),
                                 check.value("name", "?"), name_width);
  std::string indent(11, ' ');

  PrintWrapped(head, check.value("detail", ""), out);
  if (check.contains("affects")) {
    PrintWrapped(indent + "affects: ", check["affects"].get<std::string>(), out);
  }
  if (check.contains("remedy")) {
    PrintWrapped(indent + "remedy:  ", check["remedy"].get<std::string>(), out);
  }
}

void PrintSection(const json& section, std::ostream& out) {
  const json& checks = section.value("checks", json::array());
  size_t name_width = 0;

  for (const json& check : checks) {
    name_width = std::max(name_width, check.value("name", "").size());
  }
  out << '\n' << section.value("title", section.value("name", "?")) << '\n';
  for (const json& check : checks)
    PrintCheck(check, std::min(name_width, kMaxNameWidth), out);
}

}  // namespace

json CollectDoctorReport() {
  json sections = json::array();

  for (const SectionSpec& spec : kSections)
    sections.push_back(CollectSection(spec));
  return {
      {"schema_version", kSchemaVersion},
      {"tool",
       {{"name", "isocost"},
        {"version", ISOCOST_VERSION},
        {"git_revision", ISOCOST_GIT_REVISION},
        {"build_type", ISOCOST_BUILD_TYPE}}},
      {"status_counts", StatusCounts(sections)},
      {"sections", sections},
  };
}

void PrintDoctorReport(const json& report, std::ostream& out) {
  const json& tool = report.value("tool", json::object());
  const json& counts = report.value("status_counts", json::object());

  out << fmt::format("isocost doctor: isocost {} ({}), report schema {}\n",
                     tool.value("version", "?"), tool.value("git_revision", "?"),
                     report.value("schema_version", 0));
  for (const json& section : report.value("sections", json::array()))
    PrintSection(section, out);
  out << fmt::format("\nsummary: {} ok, {} missing, {} warn, {} info\n", counts.value("ok", 0),
                     counts.value("missing", 0), counts.value("warn", 0), counts.value("info", 0));
}

}  // namespace isocost
