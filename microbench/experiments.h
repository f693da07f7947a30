// The experiments isocost knows, one function per experiment file.
#pragma once

#include <memory>

#include "microbench/experiment.h"

namespace isocost {

ExperimentSpec CgroupExperiment();        // figure 5, microbench/cgroup.cc
ExperimentSpec ContainerE2eExperiment();  // containers end to end, microbench/container_e2e.cc
ExperimentSpec MntnsExperiment();         // figure 2, microbench/mntns.cc
ExperimentSpec ContainerExperiment();     // figure 4, microbench/container.cc
// network namespace creation under churn, microbench/netns_interference.cc
ExperimentSpec NetnsInterferenceExperiment();
ExperimentSpec StorageExperiment();     // storage figure, microbench/storage.cc
ExperimentSpec StorageCowExperiment();  // copy-up and whiteout, microbench/storage_cow.cc
ExperimentSpec SwitchRootExperiment();  // chroot, pivot_root, mntns: microbench/switch_root.cc
ExperimentSpec UmountExperiment();      // umount against mounts, microbench/umount.cc
ExperimentSpec NsLatencyExperiment();   // figure 3, microbench/ns_latency.cc

// An operation that does nothing, run through the same timing path as the
// experiments: what remains is the harness's own cost per operation.
std::unique_ptr<Workload> MakeEmptyWorkload();

}  // namespace isocost
