// Facts about the host isocost runs on: what run.json records and what
// `isocost doctor` reports. Reading them changes nothing on the host.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace isocost {

struct HostFacts {
  std::string hostname;
  std::string kernel_release;               // uname -r
  std::string kernel_version;               // uname -v
  std::string machine;                      // uname -m
  std::string kernel_cmdline;               // /proc/cmdline
  std::string cpu_model;                    // /proc/cpuinfo "model name"
  int cpus_online = 0;                      // sysconf(_SC_NPROCESSORS_ONLN)
  int cpus_allowed = 0;                     // sched_getaffinity of this process
  std::optional<std::string> cpu_governor;  // cpu0 scaling_governor, absent in many VMs
  uint64_t memory_total_bytes = 0;          // MemTotal
  uint64_t memory_available_bytes = 0;      // MemAvailable
  double loadavg_1min = 0;
  std::string cgroup_layout;  // "v1", "v2", "hybrid" or "none"
  bool virtualized = false;   // "hypervisor" flag in /proc/cpuinfo
};

HostFacts CollectHostFacts();

// The fraction (0 to 1) of all CPUs' time spent not idle during a window of
// `window_ms`, from /proc/stat: how busy the machine is with other work
// while isocost waits. Negative when /proc/stat cannot be read.
double CpuBusyFraction(int window_ms);

// CPU time, in clock ticks: the whole machine's busy time outside
// interrupts (with time stolen by the hypervisor) and total time, from
// /proc/stat; this process's with its reaped children; all kernel threads'.
struct CpuSnapshot {
  uint64_t machine_busy = 0, machine_total = 0, self = 0, kernel_threads = 0;
};
CpuSnapshot TakeCpuSnapshot();
// The fraction of all CPUs' time between two snapshots that went to other
// programs (and to the hypervisor): busy time less this process's and the
// kernel threads' (which largely finish what measured operations began).
// Programs that start and end between the snapshots count too.
double OtherWorkFraction(const CpuSnapshot& before, const CpuSnapshot& after);
nlohmann::json ToJson(const HostFacts& facts);

// Effective capabilities of this process that are missing, by name
// ("cap_sys_resource"), from the full set the running kernel knows.
// Kernel memory from /proc/meminfo, in bytes: what held or dying namespaces
// cost shows up here.
struct KernelMemory {
  int64_t slab_bytes = 0;                // Slab
  int64_t slab_unreclaimable_bytes = 0;  // SUnreclaim
  int64_t percpu_bytes = 0;              // Percpu
};
KernelMemory ReadKernelMemory();

std::vector<std::string> MissingCapabilities();
bool HaveCapability(const std::string& name);

}  // namespace isocost
