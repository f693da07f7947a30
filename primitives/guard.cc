#include "guard.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <set>
#include <sstream>

#include "cgroup.h"
#include "error.h"
#include "fs.h"
#include "netlink.h"
#include "nsfs.h"
#include "trace.h"

namespace isocost {
namespace {

void RequireOwnedName(const std::string& path) {
  if (!OwnedName(path)) {
    throw Error(ErrorKind::kFailure,
                "refusing to undo a change to " + path + ": its name does not contain 'isocost'");
  }
}

void UndoCgroupTree(const nlohmann::json& args) {
  RemoveOwnedCgroupTree(args.at("path").get<std::string>());
}

void UndoCgroupController(const nlohmann::json& args) {
  std::string path = args.at("path").get<std::string>();
  std::string controller = args.at("controller").get<std::string>();
  if (!OnCgroupFs(path) ||
      controller.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos) {
    throw Error(ErrorKind::kFailure, "refusing to change " + path +
                                         "/cgroup.subtree_control: not a cgroup controller entry");
  }
  WriteExistingFile(path + "/cgroup.subtree_control", "-" + controller);
}

// Only kernel settings (sysctls) are written, so only they are restored.
void UndoWriteFile(const nlohmann::json& args) {
  std::string path = args.at("path").get<std::string>();
  if (path.rfind("/proc/sys/", 0) != 0 || path.find("..") != std::string::npos) {
    throw Error(ErrorKind::kFailure,
                "refusing to write " + path + ": not a sysctl under /proc/sys");
  }
  WriteExistingFile(path, args.at("old_value").get<std::string>());
}

void UndoMount(const nlohmann::json& args) {
  std::string target = args.at("target").get<std::string>();
  RequireOwnedName(target);
  if (umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0 && errno != EINVAL &&
      errno != ENOENT) {
    ThrowErrno("unmounting " + target);
  }
}

void UndoDirectory(const nlohmann::json& args) {
  RemoveOwnedTree(args.at("path").get<std::string>());
}

void UndoHelperProcess(const nlohmann::json& args) {
  KillOwnedProcess(args.at("pid").get<pid_t>(), args.at("start_ticks").get<unsigned long long>());
}

void UndoPinDirectory(const nlohmann::json& args) {
  RemovePinDirectory(args.at("path").get<std::string>());
}

// A network device in isocost's own network namespace (a veth pair's host
// end; deleting it deletes its peer). Gone already is fine.
void UndoNetdev(const nlohmann::json& args) {
  DeleteOwnedLink(args.at("name").get<std::string>());
}

void UndoTracefsMount(const nlohmann::json& args) {
  RemoveTracefsMount(args.at("target").get<std::string>());
}

void UndoTracingInstance(const nlohmann::json& args) {
  RemoveTracingInstance(args.at("tracefs").get<std::string>(), args.at("name").get<std::string>());
}

}  // namespace

const std::map<std::string, UndoFn>& UndoActions() {
  static const std::map<std::string, UndoFn> kActions = {
      {"cgroup_tree", UndoCgroupTree},              // a cgroup directory and all below it
      {"cgroup_controller", UndoCgroupController},  // "+c" written to subtree_control
      {"write_file", UndoWriteFile},                // a sysctl or other setting; restores old_value
      {"mount", UndoMount},                         // a mount; lazily unmounted
      {"directory", UndoDirectory},                 // a scratch directory tree
      {"helper_process", UndoHelperProcess},        // an isocost-* helper (pid + start time)
      {"pin_directory", UndoPinDirectory},          // a pin directory and every pin in it
      {"netdev", UndoNetdev},                       // a network device; deleted
      {"tracefs_mount", UndoTracefsMount},          // tracefs mounted on a directory it made
      {"tracing_instance", UndoTracingInstance},    // instances/<name>, by rmdir
  };
  return kActions;
}

unsigned long long ProcessStartTicks(pid_t pid) {
  std::vector<std::string> f =
      ProcStatFields(TryReadFile("/proc/" + std::to_string(pid) + "/stat").value_or(""));
  return f.size() > 22 ? std::stoull(f[22]) : 0;  // starttime
}

bool ProcessAlive(pid_t pid, unsigned long long start_ticks) {
  return pid > 0 && ProcessStartTicks(pid) == start_ticks && start_ticks != 0;
}

RunLock::RunLock(const std::string& dir) {
  MakeDirectories(dir);
  fd_ = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd_ < 0) ThrowErrno("opening " + dir);

  if (flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
  int err = errno;
  close(fd_);
  fd_ = -1;
  if (err != EWOULDBLOCK) throw SysError(err, "locking " + dir);
  std::string holder = "?";
  for (const JournalInfo& j : ListJournals(dir)) {
    if (j.owner_alive) holder = std::to_string(j.pid);
  }
  throw Error(ErrorKind::kFailure, "another isocost run (pid " + holder +
                                       ") is in progress; overlapping runs disturb each other's "
                                       "measurements, so wait for it to finish");
}

RunLock::~RunLock() {
  if (fd_ >= 0) close(fd_);  // releases the lock
}

HostGuard::HostGuard(const std::string& run_id, const std::string& dir)
    : run_id_(run_id), path_(dir + "/" + run_id + ".journal") {
  MakeDirectories(dir);
  fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) ThrowErrno("creating journal " + path_);

  pid_t pid = getpid();
  try {
    Append({{"type", "header"},
            {"run_id", run_id},
            {"pid", pid},
            {"start_ticks", ProcessStartTicks(pid)}});
  } catch (...) {
    close(fd_);
    unlink(path_.c_str());
    throw;
  }
}

HostGuard::~HostGuard() {
  for (const std::string& problem : UndoAll()) {
    std::fprintf(stderr, "isocost: error: cleaning up: %s\n", problem.c_str());
  }
  if (fd_ >= 0) close(fd_);
}

void HostGuard::Append(const nlohmann::json& record) {
  std::string line = record.dump() + "\n";
  if (write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    ThrowErrno("appending to journal " + path_);
  }
  if (fdatasync(fd_) != 0) ThrowErrno("syncing journal " + path_);
}

HostGuard::Id HostGuard::Record(const std::string& action, nlohmann::json args) {
  if (!UndoActions().contains(action)) {
    throw Error(ErrorKind::kFailure, "journal: unknown undo action '" + action + "'");
  }
  std::lock_guard lock(mu_);
  Id id = entries_.size();
  Append({{"type", "do"}, {"id", id}, {"action", action}, {"args", args}});
  entries_.push_back({action, std::move(args), false});
  return id;
}

void HostGuard::MarkApplied(Id id) {
  std::lock_guard lock(mu_);
  entries_.at(id).applied = true;
  Append({{"type", "applied"}, {"id", id}});
}

void HostGuard::MarkUndone(Id id) {
  std::lock_guard lock(mu_);
  entries_.at(id).undone = true;
  Append({{"type", "undone"}, {"id", id}});
}

void HostGuard::Undo(Id id) {
  Entry entry;
  {
    std::lock_guard lock(mu_);
    entry = entries_.at(id);
  }
  if (entry.undone) return;
  if (!entry.applied) {
    throw Error(ErrorKind::kFailure, "left alone: " + entry.action + " " + entry.args.dump() +
                                         " was recorded but not confirmed made");
  }
  UndoActions().at(entry.action)(entry.args);
  MarkUndone(id);
}

void HostGuard::UndoEach(std::vector<Id>& ids) {
  std::exception_ptr first;
  for (auto id = ids.rbegin(); id != ids.rend(); ++id) {
    try {
      Undo(*id);
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  ids.clear();
  if (first) std::rethrow_exception(first);
}

void HostGuard::Forget(Id id) {
  MarkUndone(id);
}

size_t HostGuard::pending() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const Entry& e : entries_)
    n += e.undone ? 0 : 1;
  return n;
}

std::vector<std::string> HostGuard::UndoAll() {
  std::vector<std::string> problems;
  for (Id id = entries_.size(); id-- > 0;) {
    try {
      Undo(id);
    } catch (const std::exception& e) {
      problems.push_back(e.what());
    }
  }
  if (problems.empty() && fd_ >= 0) {
    if (unlink(path_.c_str()) != 0 && errno != ENOENT) {
      problems.push_back("removing journal " + path_ + ": " + std::strerror(errno));
    }
    close(fd_);
    fd_ = -1;
  }
  return problems;
}

using PendingMap = std::map<size_t, std::pair<std::string, nlohmann::json>>;
static void ParseRecord(const nlohmann::json& rec, JournalInfo& info, PendingMap& pending,
                        std::set<size_t>& applied, bool& header);

JournalInfo ParseJournal(const std::string& path, const std::string& text) {
  JournalInfo info;
  info.path = path;
  PendingMap pending;
  std::set<size_t> applied;
  std::istringstream in(text);
  bool header = false;

  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    nlohmann::json rec = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (rec.is_discarded()) continue;  // a torn last line
    try {
      ParseRecord(rec, info, pending, applied, header);
    } catch (const nlohmann::json::exception& e) {
      throw Error(ErrorKind::kFailure,
                  path + ":" + std::to_string(number) + ": malformed journal record: " + e.what());
    }
  }
  if (!header) throw Error(ErrorKind::kFailure, "journal " + path + " has no header line");
  for (auto& [id, entry] : pending) {
    if (applied.contains(id)) info.pending_ids.push_back(id);
    (applied.contains(id) ? info.pending : info.unconfirmed).push_back(std::move(entry));
  }
  return info;
}

static void ParseRecord(const nlohmann::json& rec, JournalInfo& info, PendingMap& pending,
                        std::set<size_t>& applied, bool& header) {
  std::string type = rec.value("type", "");
  if (type == "header") {
    header = true;
    info.run_id = rec.at("run_id").get<std::string>();
    info.pid = rec.at("pid").get<pid_t>();
    info.owner_alive = ProcessAlive(info.pid, rec.at("start_ticks").get<unsigned long long>());
  } else if (type == "do") {
    pending[rec.at("id").get<size_t>()] = {rec.at("action").get<std::string>(), rec.at("args")};
  } else if (type == "applied") {
    applied.insert(rec.at("id").get<size_t>());
  } else if (type == "undone") {
    pending.erase(rec.at("id").get<size_t>());
  }
}

std::vector<JournalInfo> ListJournals(const std::string& dir) {
  std::vector<JournalInfo> journals;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".journal") continue;
    std::string path = entry.path().string();
    if (entry.is_symlink() || !entry.is_regular_file()) {
      JournalInfo odd;
      odd.path = path;
      odd.error = "not a regular file";
      journals.push_back(std::move(odd));
      continue;
    }
    try {
      journals.push_back(ParseJournal(path, ReadFile(path)));
    } catch (const std::exception& e) {
      JournalInfo bad;
      bad.path = path;
      bad.error = e.what();
      journals.push_back(std::move(bad));
    }
  }
  return journals;
}

std::vector<std::string> ReplayJournal(const JournalInfo& journal) {
  std::vector<std::string> problems;
  if (journal.owner_alive) {
    return {"run " + journal.run_id + " (pid " + std::to_string(journal.pid) +
            ") is still running; its changes are left alone"};
  }
  int fd = open(journal.path.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return {"opening journal " + journal.path + ": " + std::strerror(errno)};

  for (size_t i = journal.pending.size(); i-- > 0;) {
    const auto& [name, args] = journal.pending[i];
    try {
      auto action = UndoActions().find(name);
      if (action == UndoActions().end()) {
        throw Error(ErrorKind::kFailure, "unknown undo action '" + name + "'");
      }
      action->second(args);
      std::string line =
          nlohmann::json{{"type", "undone"}, {"id", journal.pending_ids.at(i)}}.dump() + "\n";
      if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
          fdatasync(fd) != 0) {
        ThrowErrno("recording an undo in " + journal.path);
      }
    } catch (const std::exception& e) {
      problems.push_back(e.what());
    }
  }
  close(fd);
  if (problems.empty() && unlink(journal.path.c_str()) != 0 && errno != ENOENT) {
    problems.push_back("removing journal " + journal.path + ": " + std::strerror(errno));
  }
  return problems;
}

}  // namespace isocost
