#include "host.h"

#include <sched.h>
#include <sys/capability.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>

#include "cgroup.h"
#include "fs.h"

namespace isocost {
namespace {

std::string CpuinfoField(const std::string& cpuinfo, const std::string& key) {
  std::istringstream in(cpuinfo);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) != 0) continue;
    size_t colon = line.find(':');
    if (colon != std::string::npos) return Trim(line.substr(colon + 1));
  }
  return "";
}

uint64_t MeminfoBytes(const std::string& meminfo, const std::string& key) {
  std::istringstream in(meminfo);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::vector<std::string> words = SplitWords(line.substr(key.size() + 1));
    if (!words.empty()) return std::stoull(words[0]) * 1024;
  }
  return 0;
}

struct CpuTimes {
  uint64_t idle = 0, total = 0;
  uint64_t interrupts = 0;  // irq and softirq: on no task's account
};

std::optional<CpuTimes> ReadCpuTimes() {
  auto stat = TryReadFile("/proc/stat");
  if (!stat || stat->rfind("cpu ", 0) != 0) return std::nullopt;
  std::vector<std::string> f = SplitWords(stat->substr(0, stat->find('\n')));
  CpuTimes t;
  for (size_t i = 1; i < f.size() && i <= 8; ++i) {  // user .. steal
    uint64_t v = std::stoull(f[i]);
    t.total += v;
    if (i == 4 || i == 5) t.idle += v;        // idle, iowait
    if (i == 6 || i == 7) t.interrupts += v;  // irq, softirq
  }
  return t;
}

// Fields 14 to 17 of a /proc/<pid>/stat text (utime, stime, cutime,
// cstime) summed, and whether it is a kernel thread (PF_KTHREAD in field 9).
std::pair<uint64_t, bool> TaskTicks(const std::string& stat) {
  std::vector<std::string> f = ProcStatFields(stat);
  if (f.size() <= 17) return {0, false};
  uint64_t ticks = 0;
  for (size_t field = 14; field <= 17; ++field)
    ticks += std::stoull(f[field]);
  bool kthread = (std::stoull(f[9]) & 0x00200000) != 0;
  return {ticks, kthread};
}

// CPU time of all kernel threads: workqueues, RCU, softirq threads, much
// of it spent on work a measured operation left behind.
uint64_t KernelThreadTicks() {
  uint64_t ticks = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto [t, kthread] = TaskTicks(TryReadFile(e.path().string() + "/stat").value_or(""));
    if (kthread) ticks += t;
  }
  return ticks;
}

}  // namespace

CpuSnapshot TakeCpuSnapshot() {
  CpuSnapshot s;
  if (auto t = ReadCpuTimes()) {
    s.machine_total = t->total;
    s.machine_busy = t->total - t->idle - t->interrupts;
  }
  s.self = TaskTicks(TryReadFile("/proc/self/stat").value_or("")).first;
  s.kernel_threads = KernelThreadTicks();
  return s;
}

double OtherWorkFraction(const CpuSnapshot& before, const CpuSnapshot& after) {
  if (after.machine_total <= before.machine_total) return 0;
  double total = static_cast<double>(after.machine_total - before.machine_total);
  double busy = static_cast<double>(after.machine_busy - before.machine_busy);
  double ours = static_cast<double>(after.self - before.self);
  double kernel = static_cast<double>(after.kernel_threads - before.kernel_threads);
  return std::max(0.0, (busy - ours - kernel) / total);
}

double CpuBusyFraction(int window_ms) {
  auto before = ReadCpuTimes();
  std::this_thread::sleep_for(std::chrono::milliseconds(window_ms));
  auto after = ReadCpuTimes();
  if (!before || !after || after->total <= before->total) return -1;
  double total = static_cast<double>(after->total - before->total);
  return 1.0 - static_cast<double>(after->idle - before->idle) / total;
}

HostFacts CollectHostFacts() {
  HostFacts f;
  struct utsname u {};
  uname(&u);
  f.hostname = u.nodename;
  f.kernel_release = u.release;
  f.kernel_version = u.version;
  f.machine = u.machine;
  f.kernel_cmdline = Trim(TryReadFile("/proc/cmdline").value_or(""));

  std::string cpuinfo = TryReadFile("/proc/cpuinfo").value_or("");
  f.cpu_model = CpuinfoField(cpuinfo, "model name");
  f.virtualized = CpuinfoField(cpuinfo, "flags").find("hypervisor") != std::string::npos;
  f.cpus_online = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) f.cpus_allowed = CPU_COUNT(&set);
  if (auto gov = TryReadFile("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")) {
    f.cpu_governor = Trim(*gov);
  }

  std::string meminfo = TryReadFile("/proc/meminfo").value_or("");
  f.memory_total_bytes = MeminfoBytes(meminfo, "MemTotal");
  f.memory_available_bytes = MeminfoBytes(meminfo, "MemAvailable");
  std::vector<std::string> load = SplitWords(TryReadFile("/proc/loadavg").value_or("0"));
  f.loadavg_1min = load.empty() ? 0 : std::stod(load[0]);
  f.cgroup_layout = DiscoverCgroupMounts().Layout();
  return f;
}

nlohmann::json ToJson(const HostFacts& f) {
  nlohmann::json j = {
      {"hostname", f.hostname},
      {"kernel_release", f.kernel_release},
      {"kernel_version", f.kernel_version},
      {"machine", f.machine},
      {"kernel_cmdline", f.kernel_cmdline},
      {"cpu_model", f.cpu_model},
      {"cpus_online", f.cpus_online},
      {"cpus_allowed", f.cpus_allowed},
      {"cpu_governor", f.cpu_governor ? nlohmann::json(*f.cpu_governor) : nlohmann::json()},
      {"memory_total_bytes", f.memory_total_bytes},
      {"memory_available_bytes", f.memory_available_bytes},
      {"loadavg_1min", f.loadavg_1min},
      {"cgroup_layout", f.cgroup_layout},
      {"virtualized", f.virtualized},
  };
  return j;
}

std::vector<std::string> MissingCapabilities() {
  std::vector<std::string> missing;
  cap_t caps = cap_get_proc();
  if (caps == nullptr) return {"(cannot read capabilities)"};

  for (cap_value_t c = 0; c <= CAP_LAST_CAP; ++c) {
    if (!CAP_IS_SUPPORTED(c)) continue;
    cap_flag_value_t v = CAP_CLEAR;
    cap_get_flag(caps, c, CAP_EFFECTIVE, &v);
    if (v == CAP_SET) continue;
    char* name = cap_to_name(c);
    missing.push_back(name ? name : std::to_string(c));
    cap_free(name);
  }
  cap_free(caps);
  return missing;
}

bool HaveCapability(const std::string& name) {
  cap_value_t c;
  if (cap_from_name(name.c_str(), &c) != 0) return false;
  cap_t caps = cap_get_proc();
  if (caps == nullptr) return false;
  cap_flag_value_t v = CAP_CLEAR;
  cap_get_flag(caps, c, CAP_EFFECTIVE, &v);
  cap_free(caps);
  return v == CAP_SET;
}

KernelMemory ReadKernelMemory() {
  std::istringstream in(ReadFile("/proc/meminfo"));
  KernelMemory m;
  std::string key, unit;
  int64_t kib = 0;
  while (in >> key >> kib) {
    if (key == "Slab:") m.slab_bytes = kib * 1024;
    if (key == "SUnreclaim:") m.slab_unreclaimable_bytes = kib * 1024;
    if (key == "Percpu:") m.percpu_bytes = kib * 1024;
    std::getline(in, unit);
  }
  return m;
}

}  // namespace isocost
