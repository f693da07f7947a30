// The option strings of union mounts: layer order, the options that make
// every first write copy data up, and the one-page limit of mount(2).
#include "primitives/mount.h"

#include <gtest/gtest.h>

#include "primitives/error.h"

namespace isocost {
namespace {

TEST(OverlayOptions, ListsLowersTopFirstAndTurnsOffIndexAndMetacopy) {
  OverlaySpec spec{{"/s/code", "/s/pkg", "/s/base"}, "/s/up", "/s/work"};
  EXPECT_EQ(OverlayOptions(spec),
            "lowerdir=/s/code:/s/pkg:/s/base,upperdir=/s/up,workdir=/s/work,index=off,"
            "metacopy=off");
}

TEST(OverlayOptions, RefusesWhatMountCannotTake) {
  OverlaySpec none{{}, "/u", "/w"};
  EXPECT_THROW(OverlayOptions(none), Error);

  OverlaySpec huge{std::vector<std::string>(64, "/" + std::string(70, 'x')), "/u", "/w"};
  try {
    OverlayOptions(huge);
    FAIL() << "an option string over 4095 bytes was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("at most 4095"), std::string::npos) << e.what();
  }
}

TEST(AufsOptions, PutsTheWritableBranchFirst) {
  OverlaySpec spec{{"/s/code", "/s/base"}, "/s/up", "/s/work"};
  EXPECT_EQ(AufsOptions(spec), "br:/s/up=rw:/s/code=ro:/s/base=ro");
}

}  // namespace
}  // namespace isocost
