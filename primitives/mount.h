// Mounts for experiments: bind, overlay, tmpfs, fuse-overlayfs, and
// unmounting, as thin wrappers over mount(2) and umount2(2) that throw
// errors naming the call and its target.
//
// Two levels:
// - MakeScratch() is guarded: it journals a directory and a private tmpfs
//   mounted on it through the HostGuard before making them. Undoing the
//   mount detaches it lazily, which takes every mount beneath it along.
// - The plain helpers (BindMount, MountOverlay, MountTmpfs, Unmount, ...)
//   journal nothing. Use them only for mounts inside a guarded scratch
//   tree, or inside a private mount namespace: an operation that is timed
//   cannot afford a synced journal record per mount, and the guarded
//   scratch mount covers everything mounted below it, after a SIGKILL too.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "primitives/guard.h"

namespace isocost {

// A guarded scratch tree: a directory whose name contains "isocost", with
// a private tmpfs mounted on it (mounts below it do not propagate, and
// nothing of it reaches a disk).
struct Scratch {
  std::string path;
  HostGuard::Id directory = 0;
  HostGuard::Id mount = 0;
};

// Creates path (it must not exist; its last component must contain
// "isocost") and mounts a private tmpfs on it, journaling both first.
Scratch MakeScratch(HostGuard& guard, const std::string& path);
// Undoes MakeScratch now: detaches the tmpfs (and all below) and removes
// the directory.
void RemoveScratch(HostGuard& guard, const Scratch& scratch);

// mount(2), throwing SysError "mounting <what> on <target>: ...".
void Mount(const std::string& source, const std::string& target, const char* fstype,
           unsigned long flags, const std::string& data);

// A bind mount of source on target; read_only remounts it read-only (a
// second mount(2) call, as bind mounts take no flags at creation).
void BindMount(const std::string& source, const std::string& target, bool read_only);

// A tmpfs on target; data as for mount -o ("size=64k").
void MountTmpfs(const std::string& target, const std::string& data = "");

// An overlayfs: lowers from top to bottom, all read-only; upper and work
// on the same file system. index and metacopy are off, so every first
// write to a lower file copies its data up.
struct OverlaySpec {
  std::vector<std::string> lowers;
  std::string upper;
  std::string work;
};
// The option string of an overlay mount. Throws a usage error when it
// does not fit the one page mount(2) passes (too many or too long paths).
std::string OverlayOptions(const OverlaySpec& spec);
void MountOverlay(const OverlaySpec& spec, const std::string& target);

// AUFS (only on kernels that carry it): upper writable, lowers read-only.
std::string AufsOptions(const OverlaySpec& spec);
void MountAufs(const OverlaySpec& spec, const std::string& target);

// fuse-overlayfs in the foreground as a child of the calling thread: it
// dies with that thread (PR_SET_PDEATHSIG). Returns once the mount is in
// place; throws with what the program wrote to stderr if it exits first.
pid_t StartFuseOverlayfs(const OverlaySpec& spec, const std::string& target);
// Unmounts a fuse-overlayfs mount and reaps its process.
void StopFuseOverlayfs(pid_t pid, const std::string& target);

// umount2(2); lazy is MNT_DETACH. Never follows a symbolic link.
void Unmount(const std::string& target, bool lazy = false);
// Lazily unmounts every mount stacked on target; returns how many there
// were. For cleaning up after an operation that failed halfway.
int DetachAll(const std::string& target);

// What a host lacks for a mount type, or "": the file system must be listed
// in /proc/filesystems (the kernel is not asked to load a module).
std::string FilesystemMissing(const std::string& fstype);
// The fuse-overlayfs program on PATH (or in /usr/bin, /bin), or "".
std::string FindFuseOverlayfs();
// What keeps fuse-overlayfs from working here, or "".
std::string FuseOverlayfsMissing();

// Mounts in the calling process's mount namespace (lines of its
// mountinfo), and the kernel's limit on them, fs.mount-max (-1 if unknown).
int64_t MountsInThisNamespace();
int64_t MountMax();

}  // namespace isocost
