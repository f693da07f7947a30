// The host-state guard. Every change isocost makes to the host is appended
// to a journal under /run/isocost/ (and synced) before it is made, and is
// undone in reverse order: at the end of a point or run, on an exception, on
// SIGINT/SIGTERM, and by `isocost cleanup` after the process was killed.
//
// A journal is JSON lines: a header naming the owner process, then for each
// change a "do" record (its undo action and arguments) written before it is
// made, an "applied" record once it has been made, and an "undone" record
// when it has been reverted. A change recorded but never applied (the
// process died while making it) is not undone by `isocost cleanup`: it may
// have failed because the thing already existed, and then is not isocost's. Undo actions come from
// one table (UndoActions()); each refuses to touch anything whose name lacks "isocost".
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace isocost {

inline constexpr const char* kJournalDir = "/run/isocost";

// Undo action name -> the function that reverts such a change.
using UndoFn = std::function<void(const nlohmann::json& args)>;
const std::map<std::string, UndoFn>& UndoActions();

class HostGuard {
 public:
  using Id = size_t;

  // Creates the journal <dir>/<run_id>.journal owned by this process.
  HostGuard(const std::string& run_id, const std::string& dir = kJournalDir);
  // Undoes what is left; problems are written to stderr, never thrown.
  ~HostGuard();
  HostGuard(const HostGuard&) = delete;
  HostGuard& operator=(const HostGuard&) = delete;

  // Records a change, then makes it with `change`, then records that it
  // was made. When `change` throws, nothing was changed, so the record is
  // dropped (never undone: undoing it could touch what someone else made)
  // and the error passes on. action must be in UndoActions().
  template <typename F>
  Id Apply(const std::string& action, nlohmann::json args, F&& change) {
    Id id = Record(action, std::move(args));
    try {
      change();
    } catch (...) {
      Forget(id);
      throw;
    }
    MarkApplied(id);
    return id;
  }
  // Undoes one recorded change now and marks it undone.
  void Undo(Id id);
  // Marks a change undone without undoing it: the caller reverted it, or
  // the change failed and nothing is left to revert.
  void Forget(Id id);
  // Undoes the changes ids name, last first, and clears ids. Every one is
  // tried; the first problem is thrown after the rest.
  void UndoEach(std::vector<Id>& ids);
  // Undoes every pending change in reverse order. Returns the problems met;
  // when there are none the journal file is removed.
  std::vector<std::string> UndoAll();

  const std::string& path() const { return path_; }
  const std::string& run_id() const { return run_id_; }
  size_t pending() const;

 private:
  struct Entry {
    std::string action;
    nlohmann::json args;
    bool applied = false;
    bool undone = false;
  };

  Id Record(const std::string& action, nlohmann::json args);
  void MarkApplied(Id id);
  void Append(const nlohmann::json& record);
  void MarkUndone(Id id);

  std::string run_id_;
  std::string path_;
  int fd_ = -1;
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

// One isocost run at a time on a host: overlapping runs disturb each
// other's measurements and share host state (a cgroup2 controller one run
// enabled at the root and another relies on). An flock on the journal
// directory itself, released by the kernel however the holder ends.
class RunLock {
 public:
  // Throws a failure naming the holder's pid when another run holds it.
  explicit RunLock(const std::string& dir = kJournalDir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

// A journal found on disk, for `isocost cleanup`.
struct JournalInfo {
  std::string path;
  std::string run_id;
  pid_t pid = 0;
  bool owner_alive = false;
  std::vector<std::pair<std::string, nlohmann::json>> pending;  // in recorded order
  std::vector<size_t> pending_ids;  // their ids in the journal, in the same order
  // Changes recorded but not confirmed made: left alone by ReplayJournal.
  std::vector<std::pair<std::string, nlohmann::json>> unconfirmed;
  std::string error;  // why the journal could not be read; then nothing else is set
};

// Parses a journal's text; throws on a malformed header. A torn last line
// (the process died while appending) is ignored.
JournalInfo ParseJournal(const std::string& path, const std::string& text);
// Every journal in dir; one that cannot be read or parsed comes back with
// its error set, so that the others can still be cleaned up.
std::vector<JournalInfo> ListJournals(const std::string& dir = kJournalDir);
// Undoes a dead run's pending changes in reverse order, appending an
// "undone" record after each (so a retry never repeats one), and removes
// its journal when all succeeded. Returns the problems met.
std::vector<std::string> ReplayJournal(const JournalInfo& journal);

// Whether process pid is alive and started at start_ticks (field 22 of
// /proc/pid/stat), so that a reused pid is not mistaken for the owner.
bool ProcessAlive(pid_t pid, unsigned long long start_ticks);
unsigned long long ProcessStartTicks(pid_t pid);

}  // namespace isocost
