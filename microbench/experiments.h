// The experiments isocost knows, one function per experiment file.
#pragma once

#include <memory>

#include "microbench/experiment.h"

namespace isocost {

ExperimentSpec CgroupExperiment();     // figure 5, microbench/cgroup.cc
ExperimentSpec NsLatencyExperiment();  // figure 3, microbench/ns_latency.cc

// An operation that does nothing, run through the same timing path as the
// experiments: what remains is the harness's own cost per operation.
std::unique_ptr<Workload> MakeEmptyWorkload();

}  // namespace isocost
