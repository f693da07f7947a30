// Presets (the container experiment's recipes): a config names preset files
// whose parameter values apply to its points; what the config fixes or
// sweeps itself wins; a bad preset is reported with its own file and line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harness/config.h"

namespace isocost {
namespace {

namespace fs = std::filesystem;

class Preset : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("isocost-preset-test-" + std::to_string(getpid()));
    fs::create_directories(dir_ / "recipes");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

  std::vector<ConfigProblem> Problems(const std::string& config) {
    try {
      LoadConfigs({config});
    } catch (const ConfigError& e) {
      return e.problems();
    }
    return {};
  }

  fs::path dir_;
};

const char* kLean = "preset: lean\nparams:\n  root: bind\n  cgroup: pool\n  namespaces: [ipc]\n";
const char* kRuntime =
    "preset: runtime\nparams:\n  root: overlay\n  root_switch: pivot_root\n"
    "  namespaces: [mnt, net]\n  cgroup: create\n";

TEST_F(Preset, SweptPresetsSetTheirParameters) {
  Write("recipes/lean.yaml", kLean);
  Write("recipes/runtime.yaml", kRuntime);
  std::string config = Write("c.yaml",
                             "experiment: container_e2e\nsweep:\n"
                             "  recipe: [recipes/lean.yaml, recipes/runtime.yaml]\n");
  std::vector<ExperimentConfig> configs = LoadConfigs({config});

  ASSERT_EQ(configs.size(), 1u);
  ASSERT_EQ(configs[0].points.size(), 2u);
  const Point& lean = configs[0].points[0];
  const Point& runtime = configs[0].points[1];
  EXPECT_EQ(lean.String("recipe"), "recipes/lean.yaml");
  EXPECT_EQ(lean.String("root"), "bind");
  EXPECT_EQ(lean.List("namespaces"), std::vector<std::string>{"ipc"});
  EXPECT_EQ(runtime.String("root"), "overlay");
  EXPECT_EQ(runtime.String("root_switch"), "pivot_root");
  EXPECT_EQ(runtime.String("cgroup"), "create");
  EXPECT_EQ(configs[0].presets.size(), 2u);
  EXPECT_EQ(configs[0].presets[0].text, kLean);
}

TEST_F(Preset, TheConfigOverridesItsPresets) {
  Write("recipes/runtime.yaml", kRuntime);
  std::string config = Write("c.yaml",
                             "experiment: container_e2e\n"
                             "params: {recipe: recipes/runtime.yaml, cgroup: pool}\n"
                             "sweep:\n  root: [bind, overlay]\n");
  std::vector<ExperimentConfig> configs = LoadConfigs({config});

  ASSERT_EQ(configs[0].points.size(), 2u);
  EXPECT_EQ(configs[0].points[0].String("cgroup"), "pool");  // fixed by the config
  EXPECT_EQ(configs[0].points[0].String("root"), "bind");    // swept by the config
  EXPECT_EQ(configs[0].points[1].String("root"), "overlay");
  EXPECT_EQ(configs[0].points[1].String("root_switch"), "pivot_root");  // from the preset
}

TEST_F(Preset, ABadValueIsReportedInThePresetFile) {
  std::string preset = Write("recipes/bad.yaml", "preset: bad\nparams:\n  root: zfs\n");
  std::string config =
      Write("c.yaml", "experiment: container_e2e\nparams: {recipe: recipes/bad.yaml}\n");
  std::vector<ConfigProblem> problems = Problems(config);

  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].file, preset);
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_EQ(problems[0].key, "params.root");
}

TEST_F(Preset, AMissingPresetIsReportedWhereTheConfigNamesIt) {
  std::string config =
      Write("c.yaml", "experiment: container_e2e\nsweep:\n  recipe: [recipes/none.yaml]\n");
  std::vector<ConfigProblem> problems = Problems(config);

  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].file, config);
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_NE(problems[0].message.find("recipes/none.yaml"), std::string::npos);
}

TEST_F(Preset, APresetCannotNameAPreset) {
  Write("recipes/loop.yaml", "preset: loop\nparams:\n  recipe: recipes/loop.yaml\n");
  std::string config =
      Write("c.yaml", "experiment: container_e2e\nparams: {recipe: recipes/loop.yaml}\n");
  std::vector<ConfigProblem> problems = Problems(config);

  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("cannot name another preset"), std::string::npos);
}

TEST_F(Preset, AnImpossibleRecipeIsRejected) {
  Write("recipes/pivot.yaml",
        "preset: pivot\nparams:\n  root_switch: pivot_root\n  namespaces: [ipc]\n");
  std::string config =
      Write("c.yaml", "experiment: container_e2e\nparams: {recipe: recipes/pivot.yaml}\n");
  std::vector<ConfigProblem> problems = Problems(config);

  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("pivot_root needs its own mount namespace"),
            std::string::npos);
}

}  // namespace
}  // namespace isocost
