// Small file helpers for kernel interfaces (procfs, sysfs, cgroupfs) and for
// result files that must never be left half-written.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace isocost {

// Reads a whole file; throws SysError naming the path.
std::string ReadFile(const std::string& path);
// Reads a whole file, or nullopt when it cannot be read.
std::optional<std::string> TryReadFile(const std::string& path);
// Writes data to an existing file in one write(2) (cgroupfs, procfs, sysfs).
void WriteExistingFile(const std::string& path, std::string_view data);
// Writes data to path through a temporary file, fsync and rename, so that a
// crash leaves either the old file or the new one, never a torn one.
void WriteFileAtomically(const std::string& path, std::string_view data);

std::string Trim(std::string_view s);
std::vector<std::string> SplitWords(std::string_view s);

// The fields of a /proc/<pid>/stat text, numbered as in proc(5): result[n]
// is field n, for n from 3 on (the command name, field 2, may hold spaces
// and parentheses; fields 0 to 2 are left empty). Empty when malformed.
std::vector<std::string> ProcStatFields(const std::string& stat);

// Whether the last component of path carries "isocost", as everything
// isocost creates does; undo actions refuse anything else.
bool OwnedName(const std::string& path);

// Creates a directory and its parents (mode 0755); fine if it exists.
void MakeDirectories(const std::string& path);
// Removes a directory tree without following symbolic links. Refuses a path
// whose last component does not contain "isocost".
void RemoveOwnedTree(const std::string& path);

}  // namespace isocost
