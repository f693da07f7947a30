#include "cli.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "primitives/cgroup.h"
#include "primitives/guard.h"

namespace isocost::test {
namespace fs = std::filesystem;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t StartCli(const std::vector<std::string>& args, const std::string& dir) {
  pid_t pid = fork();
  if (pid == 0) {
    int out = open((dir + "/stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open((dir + "/stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> argv{const_cast<char*>(ISOCOST_BIN)};
    for (const std::string& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(ISOCOST_BIN, argv.data());
    _exit(127);
  }
  return pid;
}

int WaitCli(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

CliResult RunCli(const std::vector<std::string>& args) {
  TempDir dir;
  CliResult r;
  r.status = WaitCli(StartCli(args, dir.path()));
  r.out = ReadText(dir.path() + "/stdout");
  r.err = ReadText(dir.path() + "/stderr");
  return r;
}

std::vector<std::string> CgroupsOf(pid_t pid) {
  std::vector<std::string> found;
  std::string prefix = "isocost-" + std::to_string(pid) + "-";
  CgroupMounts mounts = DiscoverCgroupMounts();
  std::vector<std::string> roots;
  for (const CgroupHierarchy& h : mounts.v1)
    roots.push_back(h.mount_point);
  if (mounts.v2) roots.push_back(*mounts.v2);
  for (const std::string& root : roots) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root, ec)) {
      if (e.path().filename().string().rfind(prefix, 0) == 0) found.push_back(e.path());
    }
  }
  return found;
}

std::vector<std::string> JournalsOf(pid_t pid) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kJournalDir, ec)) {
    std::string name = e.path().filename().string();
    if (name.find("-" + std::to_string(pid) + ".journal") != std::string::npos) {
      found.push_back(e.path());
    }
  }
  return found;
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "isocost-test-XXXXXX").string();
  path_ = mkdtemp(tmpl.data());
}

TempDir::~TempDir() {
  fs::remove_all(path_);
}

std::string TempDir::Write(const std::string& name, const std::string& text) const {
  std::ofstream(path_ + "/" + name) << text;
  return path_ + "/" + name;
}

std::vector<std::vector<std::string>> ReadCsv(const std::string& path) {
  std::vector<std::vector<std::string>> rows(1);
  std::string text = ReadText(path), field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted && c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
      field += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && c == ',') {
      rows.back().push_back(std::move(field));
      field.clear();
    } else if (!quoted && c == '\n') {
      rows.back().push_back(std::move(field));
      field.clear();
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

}  // namespace isocost::test
