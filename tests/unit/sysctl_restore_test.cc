// Sysctl originals that survive a crash: the tuner's journal, the restore
// record on disk, and what a restarted daemon adopts, against a temporary
// directory standing in for /proc/sys. A "crash" here is a tuner that goes
// away without restoring (Keep(): what a kill -9 leaves, the record on disk
// and the values as set), followed by a new tuner that reads the record.
// Also: the on_crash key, which decides what a crash leaves attached.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "control/reload_plan.h"
#include "system/restore_record.h"
#include "system/stale_pins.h"
#include "fake_proc_sys.h"
#include "tuning/sysctl.h"
#include "tuning/sysctl_guard.h"
#include "tuning/sysctl_tuner.h"

namespace sg {
namespace {

namespace fs = std::filesystem;

class CrashRestore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sg-restore-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    root_ = dir_ + "/proc_sys";
    tree_ = std::make_unique<test::FakeProcSysTree>(root_);
    record_ = dir_ + "/run/4026532000.restore.json";
    // An operator's values that differ from every target of both modes.
    Set("net.ipv4.tcp_syncookies", "0");
    Set("net.ipv4.tcp_timestamps", "1");
    Set("net.ipv4.tcp_max_syn_backlog", "256");
    Set("net.core.somaxconn", "4096");
    Set("net.ipv4.tcp_synack_retries", "5");
    Set("net.ipv4.tcp_abort_on_overflow", "1");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Set(const std::string& name, const std::string& value) { tree_->Set(name, value); }
  std::string Get(const std::string& name) { return tree_->Get(name); }
  std::map<std::string, std::string> Snapshot() { return tree_->Snapshot(); }
  // What the daemon does: the journal rewrites the record on every call.
  std::unique_ptr<SysctlTuner> Tuner(HandoffMode mode, SysctlProfile p = {}) {
    return std::make_unique<SysctlTuner>(
        root_, p, mode, [this](const std::vector<SavedSysctl>& saved) {
          ++journal_calls_;
          EXPECT_TRUE(WriteRestoreRecord(record_, {.netns_id = "", .sysctls = saved, .clsact = {}}));
        });
  }
  // What a restarted daemon does first.
  SysctlTuner::Adoption Restart(SysctlTuner& t) {
    Result<RestoreState> r = ReadRestoreRecord(record_);
    EXPECT_TRUE(r) << r.error().message();
    return t.Adopt(r ? r->sysctls : std::vector<SavedSysctl>{});
  }
  bool RecordExists() { return fs::exists(record_); }
  std::map<std::string, std::string> Recorded() {
    std::map<std::string, std::string> m;
    Result<RestoreState> r = ReadRestoreRecord(record_);
    if (!r) return {{"error", r.error().message()}};
    for (const SavedSysctl& s : r->sysctls) m[s.name] = s.original + "->" + s.set;
    return m;
  }

  std::string dir_, root_, record_;
  std::unique_ptr<test::FakeProcSysTree> tree_;
  int journal_calls_ = 0;
};

TEST_F(CrashRestore, OriginalIsOnRecordBeforeTheFirstWrite) {
  std::vector<std::string> seen_before_write;
  SysctlGuard guard(root_, [&](const std::vector<SavedSysctl>& saved) {
    // Called before the write: the file still holds the original.
    if (!saved.empty()) seen_before_write.push_back(Get(saved.back().name));
  });
  ASSERT_TRUE(guard.Set("net.ipv4.tcp_syncookies", "2"));
  ASSERT_TRUE(guard.Set("net.core.somaxconn", "8192"));
  EXPECT_EQ(seen_before_write, (std::vector<std::string>{"0", "4096"}));
  EXPECT_EQ(guard.changed(), (std::vector<SavedSysctl>{{"net.ipv4.tcp_syncookies", "0", "2"},
                                                       {"net.core.somaxconn", "4096", "8192"}}));
  guard.Forget();
}

TEST_F(CrashRestore, KillThenRestartThenStopPutsEverythingBack) {
  const auto before = Snapshot();
  auto first = Tuner(HandoffMode::kKernelCookie);
  ASSERT_TRUE(first->Apply());
  EXPECT_EQ(Get("net.ipv4.tcp_syncookies"), "2");
  EXPECT_EQ(Recorded(), (std::map<std::string, std::string>{
                            {"net.ipv4.tcp_syncookies", "0->2"},
                            {"net.ipv4.tcp_timestamps", "1->2"},
                            {"net.ipv4.tcp_max_syn_backlog", "256->8192"},
                            {"net.core.somaxconn", "4096->8192"},
                            {"net.ipv4.tcp_synack_retries", "5->2"},
                            {"net.ipv4.tcp_abort_on_overflow", "1->0"},
                        }));
  first->Keep();  // kill -9: nothing restored, the record stays
  first.reset();
  const auto as_set = Snapshot();

  auto second = Tuner(HandoffMode::kKernelCookie);
  SysctlTuner::Adoption a = Restart(*second);
  EXPECT_EQ(a.found.adopted.size(), 6u);
  EXPECT_TRUE(a.found.overridden.empty());
  EXPECT_TRUE(a.restored_now.empty());
  Result<std::vector<SysctlChange>> applied = second->Apply();
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_TRUE(applied->empty());  // its values are in place already
  EXPECT_EQ(Snapshot(), as_set);
  EXPECT_TRUE(RecordExists());

  EXPECT_TRUE(second->Restore().empty());  // the clean stop
  EXPECT_EQ(Snapshot(), before);
  EXPECT_FALSE(RecordExists());
}

TEST_F(CrashRestore, TwoCrashesInARowKeepTheFirstOriginals) {
  const auto before = Snapshot();
  for (int run = 0; run < 3; ++run) {
    auto t = Tuner(HandoffMode::kKernelCookie);
    Restart(*t);
    ASSERT_TRUE(t->Apply());
    if (run < 2) {
      t->Keep();
      continue;
    }
    EXPECT_TRUE(t->Restore().empty());
  }
  EXPECT_EQ(Snapshot(), before);
  EXPECT_FALSE(RecordExists());
}

TEST_F(CrashRestore, AnOperatorsChangeAfterTheCrashWins) {
  {
    auto first = Tuner(HandoffMode::kKernelCookie);
    ASSERT_TRUE(first->Apply());
    first->Keep();
  }
  // Meanwhile the operator sets two values by hand: one to something new,
  // one back to what it was before synguard.
  Set("net.ipv4.tcp_syncookies", "1");
  Set("net.core.somaxconn", "4096");
  auto second = Tuner(HandoffMode::kKernelCookie);
  SysctlTuner::Adoption a = Restart(*second);
  ASSERT_EQ(a.found.overridden.size(), 2u);
  EXPECT_EQ(a.found.overridden[0].saved.name, "net.ipv4.tcp_syncookies");
  EXPECT_EQ(a.found.overridden[0].current, "1");
  EXPECT_EQ(a.found.adopted.size(), 4u);
  // The dropped entries are off the record at once.
  EXPECT_EQ(Recorded().count("net.ipv4.tcp_syncookies"), 0u);
  ASSERT_TRUE(second->Apply());
  // Changed again by this run: the operator's values are the originals now.
  EXPECT_EQ(Recorded()["net.ipv4.tcp_syncookies"], "1->2");
  EXPECT_EQ(Recorded()["net.core.somaxconn"], "4096->8192");
  EXPECT_TRUE(second->Restore().empty());
  EXPECT_EQ(Get("net.ipv4.tcp_syncookies"), "1");  // the operator's, not the 0 from before
  EXPECT_EQ(Get("net.core.somaxconn"), "4096");
  EXPECT_EQ(Get("net.ipv4.tcp_timestamps"), "1");  // adopted: the original
  EXPECT_EQ(Get("net.ipv4.tcp_synack_retries"), "5");
  EXPECT_FALSE(RecordExists());
}

TEST_F(CrashRestore, ASysctlThisRunDoesNotManageGoesBackAtOnce) {
  const auto before = Snapshot();
  {
    auto first = Tuner(HandoffMode::kKernelCookie);
    ASSERT_TRUE(first->Apply());
    first->Keep();
  }
  // Restarted in reqsk mode, which leaves tcp_timestamps alone and takes
  // tcp_syncookies = 2 as it finds it (>= 1).
  auto second = Tuner(HandoffMode::kReqsk);
  SysctlTuner::Adoption a = Restart(*second);
  ASSERT_EQ(a.restored_now.size(), 1u);
  EXPECT_EQ(a.restored_now[0].name, "net.ipv4.tcp_timestamps");
  EXPECT_EQ(Get("net.ipv4.tcp_timestamps"), "1");
  EXPECT_EQ(Recorded().count("net.ipv4.tcp_timestamps"), 0u);
  ASSERT_TRUE(second->Apply());
  EXPECT_EQ(Get("net.ipv4.tcp_syncookies"), "2");
  EXPECT_TRUE(second->Restore().empty());
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(CrashRestore, LeftPinnedKeepsTheRecordForTheNextRun) {
  const auto before = Snapshot();
  auto first = Tuner(HandoffMode::kReqsk);
  ASSERT_TRUE(first->Apply());
  const int calls = journal_calls_;
  first->Keep();  // leave_pinned_on_exit: values and record stay
  first.reset();  // and the destructor restores nothing
  EXPECT_EQ(journal_calls_, calls);
  EXPECT_TRUE(RecordExists());
  EXPECT_NE(Snapshot(), before);
  auto second = Tuner(HandoffMode::kReqsk);
  Restart(*second);
  ASSERT_TRUE(second->Apply());
  second.reset();  // destroyed without Restore(): restores all the same
  EXPECT_EQ(Snapshot(), before);
  EXPECT_FALSE(RecordExists());
}

TEST_F(CrashRestore, ManageFalseStillPutsBackWhatAnEarlierRunChanged) {
  const auto before = Snapshot();
  {
    auto first = Tuner(HandoffMode::kReqsk);
    ASSERT_TRUE(first->Apply());
    first->Keep();
  }
  SysctlProfile p;
  p.manage = false;
  auto second = Tuner(HandoffMode::kReqsk, p);
  Restart(*second);
  Result<std::vector<SysctlChange>> applied = second->Apply();
  ASSERT_TRUE(applied) << applied.error().message();  // syncookies = 1 is in place
  EXPECT_TRUE(applied->empty());
  EXPECT_TRUE(second->Restore().empty());
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(CrashRestore, ARestoreThatFailsStaysOnRecord) {
  auto t = Tuner(HandoffMode::kKernelCookie);
  ASSERT_TRUE(t->Apply());
  // A sysctl that can no longer be written (root writes through file
  // modes, so a directory stands in for it).
  fs::path p = SysctlPath(root_, "net.ipv4.tcp_synack_retries");
  fs::remove(p);
  fs::create_directory(p);
  std::vector<Error> errors = t->Restore();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message().find("net.ipv4.tcp_synack_retries"), std::string::npos)
      << errors[0].message();
  EXPECT_EQ(Recorded(),
            (std::map<std::string, std::string>{{"net.ipv4.tcp_synack_retries", "5->2"}}));
  EXPECT_EQ(Get("net.ipv4.tcp_syncookies"), "0");  // the others went back
}

TEST_F(CrashRestore, AFailedWriteLeavesNothingOnRecord) {
  // Readable, and refused to every writer, root included: a read-only sysctl.
  fs::path p = SysctlPath(root_, "net.ipv4.tcp_synack_retries");
  fs::remove(p);
  fs::create_symlink("/proc/sys/kernel/osrelease", p);
  auto t = Tuner(HandoffMode::kReqsk);
  Result<std::vector<SysctlChange>> applied = t->Apply();
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().message().find("net.ipv4.tcp_synack_retries"), std::string::npos)
      << applied.error().message();
  // The ones written before it are on record; the one that failed is not.
  EXPECT_EQ(Recorded(), (std::map<std::string, std::string>{
                            {"net.ipv4.tcp_syncookies", "0->1"},
                            {"net.ipv4.tcp_max_syn_backlog", "256->8192"},
                            {"net.core.somaxconn", "4096->8192"},
                        }));
  EXPECT_TRUE(t->Restore().empty());
  EXPECT_FALSE(RecordExists());
}

TEST(RestoreRecord, RoundTripAndDamage) {
  RestoreState s{.netns_id = "0a1b-2c/4096",
                 .sysctls = {{"net.ipv4.tcp_syncookies", "0", "2"},
                             {"net.ipv4.tcp_rmem", "4096\t131072\t\"6291456\"", "x\\y"}},
                 .clsact = {"eth0", "veth\"1"}};
  Result<RestoreState> back = ParseRestore(RestoreToJson(s), "t");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->netns_id, s.netns_id);
  EXPECT_EQ(back->sysctls, s.sysctls);
  EXPECT_EQ(back->clsact, s.clsact);

  for (const char* bad : {"{\"sysctls\": [{\"name\": ", "[1, 2]", "{\"sysctls\": [{\"set\": 1}]}",
                          "{\"clsact\": [{\"a\": 1}]}"}) {
    Result<RestoreState> r = ParseRestore(bad, "/run/synguard/1.restore.json");
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message().find("/run/synguard/1.restore.json is damaged"),
              std::string::npos)
        << r.error().message();
  }
}

TEST(RestoreRecord, MissingIsEmptyAndEmptyRemovesTheFile) {
  char tmpl[] = "/tmp/sg_restore_XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string path = RestoreRecordPath(dir + "/state", 4026532001);
  EXPECT_EQ(path, dir + "/state/4026532001.restore.json");
  Result<RestoreState> none = ReadRestoreRecord(path);
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(WriteRestoreRecord(path, {.netns_id = "b/1", .sysctls = {}, .clsact = {"eth0"}}));
  EXPECT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  ASSERT_TRUE(WriteRestoreRecord(path, RestoreState{}));
  EXPECT_FALSE(fs::exists(path));
  fs::remove_all(dir);
}

TEST(RestoreRecord, NamesThisNamespaceBeyondItsInode) {
  // boot id / netns cookie: stable within a namespace, never reused.
  const std::string id = NetnsIdentity();
  if (id.empty()) GTEST_SKIP() << "SO_NETNS_COOKIE needs Linux 5.14";
  EXPECT_EQ(id, NetnsIdentity());
  EXPECT_NE(id.find('/'), std::string::npos) << id;
}

TEST(RestoreRecord, OnATmpfsTheBootIsNotNamed) {
  // /dev/shm is a tmpfs: no record there outlives the boot, and a sandboxed
  // daemon and a container shell must agree although their boot ids differ.
  const std::string on_tmpfs = NetnsIdentity("/dev/shm");
  const std::string elsewhere = NetnsIdentity("/");
  if (elsewhere.empty()) GTEST_SKIP() << "SO_NETNS_COOKIE needs Linux 5.14";
  EXPECT_EQ(on_tmpfs.rfind("this-boot/", 0), 0u) << on_tmpfs;
  EXPECT_EQ(elsewhere.substr(elsewhere.find('/')), on_tmpfs.substr(on_tmpfs.find('/')));
  EXPECT_NE(elsewhere, on_tmpfs) << "a persistent state dir names the boot";
}

TEST(RestoreRecord, PrunedWithItsDeadNamespace) {
  char a[] = "/tmp/sg_restore_pins_XXXXXX", b[] = "/tmp/sg_restore_state_XXXXXX";
  const std::string pins = mkdtemp(a), state = mkdtemp(b);
  for (const char* name : {"100.restore.json", "200.restore.json", "x.restore.json"})
    std::ofstream(state + "/" + name) << "{}";
  std::vector<std::string> removed = PruneStalePins(pins, state, {200});
  EXPECT_EQ(removed, (std::vector<std::string>{state + "/100.restore.json"}));
  EXPECT_TRUE(fs::exists(state + "/200.restore.json"));
  EXPECT_TRUE(fs::exists(state + "/x.restore.json"));
  fs::remove_all(pins);
  fs::remove_all(state);
}

// -- on_crash ---------------------------------------------------------------

const char* kBase = "interfaces: [eth0]\nports: [443]\n";

TEST(OnCrashConfig, DefaultsToKeepProtecting) {
  Result<Config> c = ParseConfig(kBase, "t.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->on_crash, OnCrash::kKeepProtecting);
  EXPECT_NE(Explain(*c).find("on a crash (kill -9): keep_protecting"), std::string::npos)
      << Explain(*c);
}

TEST(OnCrashConfig, Values) {
  for (auto [word, want] : {std::pair{"keep_protecting", OnCrash::kKeepProtecting},
                            std::pair{"fail_open", OnCrash::kFailOpen}}) {
    Result<Config> c = ParseConfig(std::string(kBase) + "on_crash: " + word + "\n", "t.yaml");
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_EQ(c->on_crash, want);
    EXPECT_STREQ(ToString(c->on_crash), word);
  }
}

TEST(OnCrashConfig, BadValuesNameFileLineAndKey) {
  for (const char* bad : {"fail_closed", "true", "[fail_open]", "{a: 1}", "''", "Fail_Open"}) {
    Result<Config> c = ParseConfig(std::string(kBase) + "on_crash: " + bad + "\n", "bad.yaml");
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().message().rfind("bad.yaml:3: on_crash: must be one of keep_protecting, "
                                        "fail_open (got ",
                                        0),
              0u)
        << c.error().message();
  }
}

TEST(OnCrashConfig, AReloadChangesItLive) {
  Result<Config> a = ParseConfig(kBase, "t.yaml");
  Result<Config> b = ParseConfig(std::string(kBase) + "on_crash: fail_open\n", "t.yaml");
  ASSERT_TRUE(a && b);
  ReloadPlan p = PlanReload(*a, *b);
  EXPECT_TRUE(p.on_crash_changed);
  EXPECT_FALSE(p.empty());
  EXPECT_TRUE(p.need_restart.empty());
  EXPECT_EQ(p.Summary(), "on_crash");
  EXPECT_TRUE(PlanReload(*b, *b).empty());
}

}  // namespace
}  // namespace sg
