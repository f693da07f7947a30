// Running the built isocost CLI from tests, and looking at what it left on
// the host.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <string>
#include <vector>

// Privileged tests skip, saying why, only where root is missing; CI runs
// them as root.
#define REQUIRE_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "needs root: creates cgroups on the real kernel"

namespace isocost::test {

struct CliResult {
  int status = -1;  // exit status, or 128 + signal
  std::string out;
  std::string err;
};

// Runs build/bin/isocost with args and waits for it.
CliResult RunCli(const std::vector<std::string>& args);

// Starts it without waiting; output goes to files under dir.
pid_t StartCli(const std::vector<std::string>& args, const std::string& dir);
// Waits for a started CLI; returns its exit status (128 + signal if killed).
int WaitCli(pid_t pid);

// cgroup directories named isocost-<pid>-* in any hierarchy (v1 and v2).
std::vector<std::string> CgroupsOf(pid_t pid);
// Journal files of isocost runs by pid.
std::vector<std::string> JournalsOf(pid_t pid);

// A fresh empty directory under /tmp, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const;

 private:
  std::string path_;
};

std::string ReadText(const std::string& path);
std::vector<std::vector<std::string>> ReadCsv(const std::string& path);

}  // namespace isocost::test
