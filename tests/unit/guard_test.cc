// The journal and its replay, on scratch directories under /tmp: no root.
#include "primitives/guard.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "primitives/error.h"
#include "primitives/fs.h"

namespace isocost {
namespace {

namespace fs = std::filesystem;

class GuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("isocost-guard-test-" + std::to_string(getpid()));
    fs::create_directories(root_);
    journals_ = (root_ / "journals").string();
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string MakeOwnedDir(const std::string& name) {
    fs::path p = root_ / name;
    fs::create_directories(p / "inner");
    std::ofstream(p / "inner" / "file") << "x";
    return p.string();
  }

  fs::path root_;
  std::string journals_;
};

TEST_F(GuardTest, UndoAllRevertsInReverseOrderAndRemovesTheJournal) {
  std::string a = MakeOwnedDir("isocost-a");
  std::string b = MakeOwnedDir("isocost-a/isocost-b");
  std::string journal;
  {
    HostGuard guard("run1", journals_);
    journal = guard.path();
    guard.Apply("directory", {{"path", a}}, [] {});
    guard.Apply("directory", {{"path", b}}, [] {});
    EXPECT_TRUE(fs::exists(journal));
    EXPECT_EQ(guard.pending(), 2u);
    EXPECT_TRUE(guard.UndoAll().empty());
    EXPECT_EQ(guard.pending(), 0u);
    // The journal is gone; its "undone" records were appended newest first.
  }
  EXPECT_FALSE(fs::exists(a));
  EXPECT_FALSE(fs::exists(journal));
}

TEST_F(GuardTest, UndoneInReverseOrder) {
  std::string a = MakeOwnedDir("isocost-o1"), b = MakeOwnedDir("isocost-o2");
  fs::create_directories(root_ / "kept");
  HostGuard guard("order", journals_);
  guard.Apply("directory", {{"path", (root_ / "kept").string()}}, [] {});  // refused: kept
  guard.Apply("directory", {{"path", a}}, [] {});
  guard.Apply("directory", {{"path", b}}, [] {});
  EXPECT_EQ(guard.UndoAll().size(), 1u);  // the journal stays: one undo was refused

  std::vector<int> order;
  std::istringstream in(ReadFile(guard.path()));
  for (std::string line; std::getline(in, line);) {
    auto rec = nlohmann::json::parse(line);
    if (rec["type"] == "undone") order.push_back(rec["id"]);
  }
  EXPECT_EQ(order, (std::vector<int>{2, 1}));
  guard.Forget(0);
}

TEST_F(GuardTest, DestructorUndoesWhatIsLeft) {
  std::string a = MakeOwnedDir("isocost-c");
  {
    HostGuard guard("run2", journals_);
    guard.Apply("directory", {{"path", a}}, [] {});
  }
  EXPECT_FALSE(fs::exists(a));
}

TEST_F(GuardTest, UndoOneMarksItUndoneInTheJournal) {
  std::string a = MakeOwnedDir("isocost-d");
  std::string keep = MakeOwnedDir("isocost-keep");
  HostGuard guard("run3", journals_);
  auto id = guard.Apply("directory", {{"path", a}}, [] {});
  auto forgotten = guard.Apply("directory", {{"path", keep}}, [] {});
  guard.Undo(id);
  guard.Forget(forgotten);
  EXPECT_FALSE(fs::exists(a));

  JournalInfo info = ParseJournal(guard.path(), ReadFile(guard.path()));
  EXPECT_TRUE(info.pending.empty());
  EXPECT_TRUE(info.owner_alive);
  EXPECT_EQ(info.run_id, "run3");
  EXPECT_TRUE(guard.UndoAll().empty());
  EXPECT_TRUE(fs::exists(keep));  // forgotten: not ours to undo any more
}

TEST_F(GuardTest, UnknownActionIsRefusedBeforeAnythingIsRecorded) {
  HostGuard guard("run4", journals_);
  EXPECT_THROW(guard.Apply("format_disk", {}, [] {}), Error);
  EXPECT_EQ(guard.pending(), 0u);
}

TEST_F(GuardTest, AFailedChangeIsNeverUndone) {
  // Someone else's directory with the name isocost wanted: creating it
  // fails, and undoing must not remove what was there.
  std::string theirs = MakeOwnedDir("isocost-theirs");
  HostGuard guard("run5", journals_);
  EXPECT_THROW(guard.Apply("directory", {{"path", theirs}},
                           [&] {
                             if (!fs::create_directory(theirs)) {
                               throw Error(ErrorKind::kFailure, "exists");
                             }
                           }),
               Error);
  EXPECT_EQ(guard.pending(), 0u);
  EXPECT_TRUE(guard.UndoAll().empty());
  EXPECT_TRUE(fs::exists(theirs));
}

TEST_F(GuardTest, RunLockAdmitsOneRunAtATime) {
  std::string dir = (root_ / "locks").string();
  {
    RunLock first(dir);
    try {
      RunLock second(dir);
      FAIL() << "a second lock was granted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("another isocost run"), std::string::npos);
    }
  }
  RunLock again(dir);  // released with the first
}

TEST_F(GuardTest, UnreadableJournalsAreReportedAndTheRestListed) {
  fs::create_directories(journals_);
  std::ofstream(journals_ + "/bad.journal") << "garbage\n";
  HostGuard guard("good", journals_);
  std::vector<JournalInfo> found = ListJournals(journals_);
  ASSERT_EQ(found.size(), 2u);
  int bad = 0;
  for (const JournalInfo& j : found)
    bad += j.error.empty() ? 0 : 1;
  EXPECT_EQ(bad, 1);
}

TEST_F(GuardTest, ReplayUndoesADeadRunAndIgnoresATornLine) {
  std::string a = MakeOwnedDir("isocost-e");
  std::string unconfirmed = MakeOwnedDir("isocost-unconfirmed");
  pid_t child = fork();
  if (child == 0) _exit(0);
  unsigned long long ticks = ProcessStartTicks(child);
  waitpid(child, nullptr, 0);  // now gone: a dead owner

  fs::create_directories(journals_);
  std::string path = journals_ + "/dead.journal";
  std::ofstream(path) << nlohmann::json{{"type", "header"},
                                        {"run_id", "dead"},
                                        {"pid", child},
                                        {"start_ticks", ticks}}
                             .dump()
                      << "\n"
                      << nlohmann::json{{"type", "do"},
                                        {"id", 0},
                                        {"action", "directory"},
                                        {"args", {{"path", a}}}}
                             .dump()
                      << "\n{\"type\": \"applied\", \"id\": 0}\n"
                      << nlohmann::json{{"type", "do"},
                                        {"id", 1},
                                        {"action", "directory"},
                                        {"args", {{"path", unconfirmed}}}}
                             .dump()
                      << "\n{\"type\": \"do\", \"id\": 2, \"act";  // torn by a crash

  std::vector<JournalInfo> found = ListJournals(journals_);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_FALSE(found[0].owner_alive);
  ASSERT_EQ(found[0].pending.size(), 1u);
  ASSERT_EQ(found[0].unconfirmed.size(), 1u);
  EXPECT_TRUE(ReplayJournal(found[0]).empty());
  EXPECT_FALSE(fs::exists(a));
  EXPECT_TRUE(fs::exists(unconfirmed));  // may not be ours: never made for sure
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(GuardTest, ARetriedReplayNeverRepeatsAnUndo) {
  std::string gone = MakeOwnedDir("isocost-h");
  fs::create_directories(root_ / "refused");
  pid_t child = fork();
  if (child == 0) _exit(0);
  unsigned long long ticks = ProcessStartTicks(child);
  waitpid(child, nullptr, 0);
  fs::create_directories(journals_);
  std::string path = journals_ + "/partial.journal";
  std::ofstream out(path);
  out << nlohmann::json{{"type", "header"}, {"run_id", "p"}, {"pid", child}, {"start_ticks", ticks}}
             .dump()
      << "\n";
  // id 0 cannot be undone (its name lacks isocost), id 1 can.
  std::string paths[] = {(root_ / "refused").string(), gone};
  for (int id = 0; id < 2; ++id) {
    out << nlohmann::json{{"type", "do"},
                          {"id", id},
                          {"action", "directory"},
                          {"args", {{"path", paths[id]}}}}
               .dump()
        << "\n"
        << nlohmann::json{{"type", "applied"}, {"id", id}}.dump() << "\n";
  }
  out.close();

  EXPECT_EQ(ReplayJournal(ParseJournal(path, ReadFile(path))).size(), 1u);
  EXPECT_FALSE(fs::exists(gone));
  JournalInfo again = ParseJournal(path, ReadFile(path));  // kept: not fully undone
  ASSERT_EQ(again.pending.size(), 1u);
  EXPECT_EQ(again.pending[0].second["path"], paths[0]);
}

TEST_F(GuardTest, ReplayRefusesALiveRun) {
  std::string a = MakeOwnedDir("isocost-f");
  HostGuard guard("live", journals_);
  guard.Apply("directory", {{"path", a}}, [] {});

  JournalInfo info = ParseJournal(guard.path(), ReadFile(guard.path()));
  std::vector<std::string> problems = ReplayJournal(info);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("still running"), std::string::npos);
  EXPECT_TRUE(fs::exists(a));
}

TEST_F(GuardTest, RefusesToRemoveWhatIsNotNamedIsocost) {
  fs::path other = root_ / "precious";
  fs::create_directories(other);
  EXPECT_THROW(RemoveOwnedTree(other.string()), Error);
  EXPECT_TRUE(fs::exists(other));
}

TEST_F(GuardTest, RemovingATreeDoesNotFollowSymlinksOut) {
  fs::path outside = root_ / "outside";
  fs::create_directories(outside);
  std::ofstream(outside / "keep") << "x";
  std::string owned = MakeOwnedDir("isocost-g");
  fs::create_directory_symlink(outside, fs::path(owned) / "link");

  RemoveOwnedTree(owned);
  EXPECT_FALSE(fs::exists(owned));
  EXPECT_TRUE(fs::exists(outside / "keep"));
}

TEST(ProcStat, FieldsAreNumberedPastAnOddCommandName) {
  std::string stat = "42 (a) b (c) S 1 42 42 0 -1 4194560 5 0 0 0 7 8 9 10 20 0 1 0 12345 0\n";
  std::vector<std::string> f = ProcStatFields(stat);
  ASSERT_GT(f.size(), 22u);
  EXPECT_EQ(f[3], "S");       // state
  EXPECT_EQ(f[14], "7");      // utime
  EXPECT_EQ(f[17], "10");     // cstime
  EXPECT_EQ(f[22], "12345");  // starttime
  EXPECT_TRUE(ProcStatFields("garbage").empty());
  EXPECT_EQ(ProcessStartTicks(getpid()), ProcessStartTicks(getpid()));
  EXPECT_GT(ProcessStartTicks(getpid()), 0u);
}

TEST(Journal, HeaderIsRequired) {
  EXPECT_THROW(ParseJournal("x.journal", "{\"type\":\"do\",\"id\":0}\n"), Error);
}

}  // namespace
}  // namespace isocost
