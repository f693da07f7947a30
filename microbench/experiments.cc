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
      CgroupExperiment(),
      NsLatencyExperiment(),
  };
  return kExperiments;
}

std::unique_ptr<Workload> MakeEmptyWorkload() {
  return std::make_unique<EmptyWorkload>();
}

}  // namespace isocost
