// /proc/self/mountinfo, parsed once for everyone who needs the mount table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace isocost {

struct MountEntry {
  std::string mount_point;  // unescaped (mountinfo writes a space as \040)
  std::string fstype;
  std::vector<std::string> super_options;
};

// Parses mountinfo text; lines it cannot read are skipped.
std::vector<MountEntry> ParseMountinfo(std::string_view text);
// This process's mount table.
std::vector<MountEntry> ReadMountinfo();

}  // namespace isocost
