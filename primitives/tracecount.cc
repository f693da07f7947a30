#include "tracecount.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <optional>
#include <sstream>

#include "error.h"
#include "fs.h"
#include "mountinfo.h"
#include "process.h"

namespace isocost {
namespace {

std::optional<std::string> HostTracefs() {
  std::optional<std::string> any;
  for (const MountEntry& m : ReadMountinfo()) {
    if (m.fstype != "tracefs") continue;
    if (m.mount_point == kTracingDir) return m.mount_point;
    if (!any) any = m.mount_point;
  }
  return any;
}

// In a child: a private mount namespace with tracefs at kTracingDir.
bool MountPrivately() {
  return unshare(CLONE_NEWNS) == 0 &&
         mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
         mount("nodev", kTracingDir, "tracefs", 0, nullptr) == 0;
}

int OpenStats(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) ThrowErrno("opening " + path);
  return fd;
}

std::string ReadAgain(int fd) {
  std::string text;
  char buf[1024];
  if (lseek(fd, 0, SEEK_SET) < 0) ThrowErrno("rewinding a ring buffer stats file");
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowErrno("reading a ring buffer stats file");
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace

uint64_t EventsWritten(const std::string& stats) {
  std::istringstream in(stats);
  uint64_t total = 0;
  for (std::string key; in >> key;) {
    if (key == "entries:" || key == "overrun:") {
      uint64_t n = 0;
      in >> n;
      total += n;
    }
  }
  return total;
}

Tracefs::Tracefs(HostGuard& guard) : guard_(guard) {
  if (std::optional<std::string> dir = HostTracefs()) {
    root_ = *dir;
    return;
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) ThrowErrno("creating a pipe for the tracefs helper");
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) ThrowErrno("creating a pipe for the tracefs helper");

  pid_t pid = fork();
  if (pid == 0) {
    char byte = MountPrivately() ? 1 : 0;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    prctl(PR_SET_NAME, "isocost-tracefs");
    close(fds[1]);
    if (write(ready[1], &byte, 1) != 1) _exit(1);
    while (read(fds[0], &byte, 1) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  int err = errno;
  close(fds[0]);
  close(ready[1]);
  if (pid < 0) {
    close(fds[1]);
    close(ready[0]);
    throw SysError(err, "starting the tracefs helper process");
  }
  helper_ = pid;
  release_fd_ = fds[1];
  char byte = 0;
  ssize_t n = read(ready[0], &byte, 1);
  close(ready[0]);
  if (n != 1 || byte != 1) {
    close(release_fd_);
    Reap(helper_);
    throw Error(ErrorKind::kUnsupported,
                "tracefs is not mounted and could not be mounted in a private mount namespace "
                "(a kernel without CONFIG_TRACING?)");
  }
  root_ = "/proc/" + std::to_string(pid) + "/root" + kTracingDir;
}

Tracefs::~Tracefs() {
  if (helper_ < 0) return;
  close(release_fd_);
  try {
    Reap(helper_);
  } catch (...) {
  }
}

TraceEventCounter::TraceEventCounter(HostGuard& guard, const Tracefs& tracefs,
                                     const std::string& instance, const std::string& event,
                                     const std::string& filter)
    : guard_(guard), dir_(tracefs.root() + "/instances/" + instance) {
  if (!OwnedName(instance) || instance.find('/') != std::string::npos) {
    throw Error(ErrorKind::kFailure, "tracing instance name '" + instance + "' is not isocost's");
  }
  undo_ = guard_.Apply("tracing_instance", {{"tracefs", tracefs.root()}, {"name", instance}}, [&] {
    if (mkdir(dir_.c_str(), 0700) != 0) ThrowErrno("creating tracing instance " + dir_);
  });
  try {
    std::string ev = dir_ + "/events/" + event;
    if (!filter.empty()) WriteExistingFile(ev + "/filter", filter);
    WriteExistingFile(dir_ + "/buffer_size_kb", "16");  // counts survive overruns
    WriteExistingFile(ev + "/enable", "1");
    for (const auto& cpu : std::filesystem::directory_iterator(dir_ + "/per_cpu")) {
      stats_fds_.push_back(OpenStats(cpu.path().string() + "/stats"));
    }
  } catch (...) {
    for (int fd : stats_fds_)
      close(fd);
    guard_.Undo(undo_);
    throw;
  }
}

TraceEventCounter::~TraceEventCounter() {
  for (int fd : stats_fds_)
    close(fd);
  try {
    guard_.Undo(undo_);
  } catch (...) {
    // The guard reports what it could not undo at the end of the run.
  }
}

uint64_t TraceEventCounter::Count() const {
  uint64_t total = 0;
  for (int fd : stats_fds_)
    total += EventsWritten(ReadAgain(fd));
  return total;
}

}  // namespace isocost
