// The undo actions for holder processes and pin directories refuse what
// isocost did not make (no root needed: they refuse before acting).
#include "primitives/nsfs.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "primitives/error.h"
#include "primitives/guard.h"

namespace isocost {
namespace {

TEST(NsfsUndo, HelperProcessRefusesAProcessThatIsNotAHelper) {
  pid_t self = getpid();  // this test binary: not an isocost-* helper
  nlohmann::json args = {{"pid", self}, {"start_ticks", ProcessStartTicks(self)}};
  EXPECT_THROW(UndoActions().at("helper_process")(args), Error);
}

TEST(NsfsUndo, HelperProcessLeavesAReusedPidAlone) {
  pid_t self = getpid();
  nlohmann::json args = {{"pid", self}, {"start_ticks", ProcessStartTicks(self) + 1}};
  EXPECT_NO_THROW(UndoActions().at("helper_process")(args));
}

TEST(NsfsUndo, PinDirectoryRefusesANameWithoutIsocost) {
  EXPECT_THROW(UndoActions().at("pin_directory")({{"path", "/run/netns"}}), Error);
  EXPECT_THROW(RemovePinDirectory("/tmp"), Error);
}

TEST(NsfsUndo, PinDirectoryThatIsGoneIsFine) {
  EXPECT_NO_THROW(RemovePinDirectory("/nonexistent/isocost-pins-0-0"));
}

}  // namespace
}  // namespace isocost
