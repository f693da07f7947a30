#include "fs.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "error.h"

namespace isocost {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

void WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowErrno("writing " + path);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

std::string ReadFile(const std::string& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) ThrowErrno("opening " + path);

  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowErrno("reading " + path);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::optional<std::string> TryReadFile(const std::string& path) {
  try {
    return ReadFile(path);
  } catch (const SysError&) {
    return std::nullopt;
  }
}

void WriteExistingFile(const std::string& path, std::string_view data) {
  Fd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) ThrowErrno("opening " + path + " for writing");

  ssize_t n = write(fd.get(), data.data(), data.size());
  if (n < 0) ThrowErrno("writing '" + Trim(data) + "' to " + path);
  if (static_cast<size_t>(n) != data.size()) {
    throw Error(ErrorKind::kFailure, "short write to " + path);
  }
}

void WriteFileAtomically(const std::string& path, std::string_view data) {
  std::filesystem::path target(path);
  std::string tmp =
      (target.parent_path() / fmt::format(".{}.tmp-{}", target.filename().string(), getpid()))
          .string();

  // O_EXCL | O_NOFOLLOW: never write through a file or link someone else
  // placed under the temporary name.
  Fd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (fd.get() < 0) ThrowErrno("creating " + tmp);
  try {
    WriteAll(fd.get(), data, tmp);
    if (fsync(fd.get()) != 0) ThrowErrno("syncing " + tmp);
  } catch (...) {
    unlink(tmp.c_str());
    throw;
  }
  close(fd.release());

  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    throw SysError(err, "renaming " + tmp + " to " + path);
  }
  std::string dir = target.parent_path().empty() ? "." : target.parent_path().string();
  Fd dirfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dirfd.get() >= 0) fsync(dirfd.get());
}

std::string Trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> SplitWords(std::string_view s) {
  std::vector<std::string> words;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;)
    words.push_back(w);
  return words;
}

void MakeDirectories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw SysError(ec.value(), "creating directory " + path);
}

std::vector<std::string> ProcStatFields(const std::string& stat) {
  size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size()) return {};
  std::vector<std::string> fields(3);
  for (std::string& f : SplitWords(stat.substr(close + 2)))
    fields.push_back(std::move(f));
  return fields;
}

bool OwnedName(const std::string& path) {
  return std::filesystem::path(path).filename().string().find("isocost") != std::string::npos;
}

void RemoveOwnedTree(const std::string& path) {
  std::filesystem::path p(path);
  if (!OwnedName(path)) {
    throw Error(ErrorKind::kFailure,
                "refusing to remove " + path + ": its name does not contain 'isocost'");
  }
  std::error_code ec;
  std::filesystem::remove_all(p, ec);  // removes symlinks, never follows them
  if (ec) throw SysError(ec.value(), "removing " + path);
}

}  // namespace isocost
