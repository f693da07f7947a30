// A minimal root file system a real program runs in: Debian's static
// busybox with its applets, and isocost's own static init. Built once into
// a cache directory and reused across runs; it is the only thing isocost
// keeps on the host after a run (remove it with `rm -r /var/cache/isocost`).
#pragma once

#include <string>

namespace isocost {

inline constexpr const char* kBusyboxPath = "/bin/busybox";
inline constexpr const char* kRootfsCacheDir = "/var/cache/isocost/rootfs";

// Why this host cannot build the root file system ("" when it can).
std::string RootfsUnsupported(const std::string& init_binary);

// The cached root for this busybox and init binary, built first if it is
// missing. It holds bin/ (busybox and its applets), sbin/isocost-init, and
// empty proc, dev, tmp, packages, code and scratch directories to mount on.
std::string EnsureRootfs(const std::string& init_binary);

// build/bin/isocost-init, next to the running executable.
std::string InitBinaryPath();

}  // namespace isocost
