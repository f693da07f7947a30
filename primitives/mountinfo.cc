#include "mountinfo.h"

#include <algorithm>
#include <sstream>

#include "fs.h"

namespace isocost {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out.push_back(
          static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> parts;
  std::istringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    parts.push_back(item);
  return parts;
}

}  // namespace

std::vector<MountEntry> ParseMountinfo(std::string_view text) {
  std::vector<MountEntry> mounts;
  std::istringstream in{std::string(text)};

  // Fields: id parent dev root mountpoint options [optional...] - fstype source super.
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> f = SplitWords(line);
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || dash == f.end() || f.end() - dash < 4) continue;
    mounts.push_back({Unescape(f[4]), *(dash + 1), SplitCommas(*(dash + 3))});
  }
  return mounts;
}

std::vector<MountEntry> ReadMountinfo() {
  return ParseMountinfo(ReadFile("/proc/self/mountinfo"));
}

}  // namespace isocost
