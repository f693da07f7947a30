#include "primitives/rootfs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "primitives/error.h"
#include "primitives/fs.h"

namespace isocost {
namespace {

namespace fs = std::filesystem;

const char* const kMountPoints[] = {"proc", "dev", "sys", "tmp", "packages", "code", "scratch"};

// size and modification time: a new busybox or init makes a new root.
std::string Stamp(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) ThrowErrno("examining " + path);
  return std::to_string(st.st_size) + "-" + std::to_string(st.st_mtim.tv_sec);
}

// The applet names `busybox --list` prints.
std::vector<std::string> Applets() {
  std::string command = std::string(kBusyboxPath) + " --list";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "re"), pclose);
  if (!pipe) ThrowErrno("running " + command);
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), pipe.get())) > 0;)
    out.append(buf, n);
  std::vector<std::string> applets = SplitWords(out);
  if (applets.empty()) throw Error(ErrorKind::kFailure, command + " listed no applets");
  return applets;
}

void Build(const std::string& dir, const std::string& init_binary) {
  fs::create_directories(dir + "/bin");
  fs::create_directories(dir + "/sbin");
  fs::create_directories(dir + "/etc");
  for (const char* d : kMountPoints)
    fs::create_directories(dir + "/" + d);
  fs::copy_file(kBusyboxPath, dir + "/bin/busybox");
  for (const std::string& applet : Applets()) {
    if (applet != "busybox") fs::create_symlink("busybox", dir + "/bin/" + applet);
  }
  fs::copy_file(init_binary, dir + "/sbin/isocost-init");
  WriteFileAtomically(dir + "/etc/passwd", "root:x:0:0:root:/:/bin/sh\n");
  WriteFileAtomically(dir + "/etc/hostname", "isocost\n");
}

// Roots built for an older busybox or isocost-init: each build of isocost
// makes a new init, so without this the cache would grow with every build.
// Only one isocost run at a time uses the cache (the run lock).
void RemoveOtherRoots(const std::string& keep) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kRootfsCacheDir, ec)) {
    std::string name = entry.path().filename().string();
    if (entry.path() == fs::path(keep) || !name.starts_with("isocost-busybox-")) continue;
    RemoveOwnedTree(entry.path().string());
  }
}

}  // namespace

std::string InitBinaryPath() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "isocost-init").string();
}

std::string RootfsUnsupported(const std::string& init_binary) {
  if (access(kBusyboxPath, X_OK) != 0) {
    return std::string("no static busybox at ") + kBusyboxPath +
           " to build the container root from (apt-get install busybox-static; scripts/deps "
           "does)";
  }
  if (access(init_binary.c_str(), X_OK) != 0) {
    return "no isocost-init at " + init_binary + " (it is built with isocost)";
  }
  return "";
}

std::string EnsureRootfs(const std::string& init_binary) {
  std::string dir = std::string(kRootfsCacheDir) + "/isocost-busybox-" + Stamp(kBusyboxPath) +
                    "-init-" + Stamp(init_binary);
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return dir;

  // Built aside and renamed into place, so that a half-built root is never
  // used; a leftover from a killed build is replaced.
  std::string building = dir + ".building";
  MakeDirectories(kRootfsCacheDir);
  if (fs::exists(building, ec)) RemoveOwnedTree(building);
  try {
    Build(building, init_binary);
  } catch (const fs::filesystem_error& e) {
    throw Error(ErrorKind::kFailure, "building the container root in " + building + ": " +
                                         e.code().message() + " (" + e.path1().string() + ")");
  }
  if (rename(building.c_str(), dir.c_str()) != 0 && errno != ENOTEMPTY && errno != EEXIST) {
    ThrowErrno("moving the container root into place at " + dir);
  }
  RemoveOtherRoots(dir);
  return dir;
}

}  // namespace isocost
