#include "microbench/experiments.h"

namespace isocost {
namespace {

class EmptyWorkload : public Workload {
 public:
  void Prepare(int) override {}
  void Operation(int, uint64_t*) override {}
  void Release() override {}
};

}  // namespace

const std::vector<ExperimentSpec>& Experiments() {
  static const std::vector<ExperimentSpec> kExperiments = {
      CgroupExperiment(),             // figure 5
      MntnsExperiment(),              // figure 2
      NsLatencyExperiment(),          // figure 3
      StorageExperiment(),            // storage: bind against union mounts
      StorageCowExperiment(),         // storage: copy-up and whiteout
      SwitchRootExperiment(),         // storage: chroot, pivot_root
      UmountExperiment(),             // storage: umount against mounts
      ContainerExperiment(),          // figure 4
      NetnsInterferenceExperiment(),  // figure 4: creation under churn
      ContainerE2eExperiment(),       // lean containers end to end
  };
  return kExperiments;
}

std::unique_ptr<Workload> MakeEmptyWorkload() {
  return std::make_unique<EmptyWorkload>();
}

}  // namespace isocost
