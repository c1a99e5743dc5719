// `synguard cleanup` (system/cleanup.h) against temporary directories
// standing in for /proc/sys, the pin directory and the state directory, and
// a fake kernel: what a killed daemon left is undone in order, a dry run
// changes nothing, the sysctl rule is a restarted daemon's, a second run
// finds nothing to do, and what cannot be undone stays on record.
// Also the instance lock that keeps cleanup and a daemon apart.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fake_proc_sys.h"
#include "system/cleanup.h"
#include "system/instance_lock.h"
#include "system/restore_record.h"
#include "system/stale_pins.h"
#include "system/state_file.h"
#include "tuning/sysctl_guard.h"

namespace sg {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kIno = 4026532123;
const std::string kMe = "boot-1/77";

// The kernel as the cleanup sees it; every change is logged.
class FakeKernel : public CleanupKernel {
 public:
  std::vector<std::string> interfaces{"lo", "eth0"};
  std::map<std::string, std::string> links;  // pinned link path -> device ("" gone)
  std::set<std::string> xdp, tc, clsact;     // by interface
  std::set<std::string> fail;                // "detach", "tc", "clsact", "xdp"
  std::vector<std::string> calls;

  std::vector<std::string> Interfaces() const override { return interfaces; }
  Result<std::string> PinnedLinkDevice(const std::string& path) const override {
    auto it = links.find(path);
    if (it == links.end()) return Error("open the pinned XDP link " + path, EINVAL);
    return it->second;
  }
  Status DetachPinnedLink(const std::string& path) override {
    calls.push_back("detach " + path.substr(path.rfind('/', path.rfind('/') - 1) + 1));
    if (fail.count("detach")) return Error("detach the XDP link pinned at " + path, EPERM);
    xdp.erase(links[path]);
    return Ok();
  }
  bool XdpAttached(const std::string& i) const override { return xdp.count(i) > 0; }
  Status DetachXdp(const std::string& i) override {
    calls.push_back("detach xdp " + i);
    if (fail.count("xdp")) return Error("detach XDP link 7", EPERM);
    xdp.erase(i);
    return Ok();
  }
  bool TcFilter(const std::string& i) const override { return tc.count(i) > 0; }
  Status RemoveTcFilter(const std::string& i) override {
    calls.push_back("tc filter " + i);
    if (fail.count("tc")) return Error("remove the TC handoff filter", EPERM);
    tc.erase(i);
    return Ok();
  }
  bool Clsact(const std::string& i) const override { return clsact.count(i) > 0; }
  Status RemoveClsact(const std::string& i) override {
    calls.push_back("clsact " + i);
    if (fail.count("clsact")) return Error("remove the clsact qdisc", EBUSY);
    clsact.erase(i);
    tc.erase(i);  // its filters go with it
    return Ok();
  }
};

class CleanupUndo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sg-cleanup-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    roots_.sysctl_root = dir_ + "/proc_sys";
    roots_.pin_dir = dir_ + "/bpf/synguard";
    roots_.state_dir = dir_ + "/run/synguard";
    tree_ = std::make_unique<test::FakeProcSysTree>(roots_.sysctl_root);
    // Before synguard.
    tree_->Set("net.ipv4.tcp_syncookies", "0");
    tree_->Set("net.ipv4.tcp_timestamps", "1");
    tree_->Set("net.ipv4.tcp_max_syn_backlog", "256");
    tree_->Set("net.core.somaxconn", "4096");
    tree_->Set("net.ipv4.tcp_synack_retries", "5");
    tree_->Set("net.ipv4.tcp_abort_on_overflow", "1");
    before_ = tree_->Snapshot();
    fs::create_directories(roots_.state_dir);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string PinRoot() const { return roots_.pin_dir + "/" + std::to_string(kIno); }
  std::string Record() const { return RestoreRecordPath(roots_.state_dir, kIno); }
  std::string State() const { return StateFilePath(roots_.state_dir, kIno); }
  std::string Link(const std::string& i) const { return PinRoot() + "/" + i + "/xdp_link"; }

  // What a reqsk daemon with on_crash: keep_protecting leaves at a kill -9:
  // the link and maps pinned, the filter on a clsact qdisc it created, its
  // sysctls set and on record, its state file.
  void KilledDaemon() {
    const std::string dir = PinRoot() + "/eth0";
    fs::create_directories(dir);
    for (const char* pin : {"xdp_link", "sg_config_map", "sg_ports_map", "sg_secrets_map"})
      std::ofstream(dir + "/" + pin) << "pin";
    kernel_.links[Link("eth0")] = "eth0";
    kernel_.xdp = {"eth0"};
    kernel_.tc = {"eth0"};
    kernel_.clsact = {"eth0"};
    saved_ = {{"net.ipv4.tcp_syncookies", "0", "1"},
              {"net.ipv4.tcp_max_syn_backlog", "256", "8192"},
              {"net.core.somaxconn", "4096", "8192"},
              {"net.ipv4.tcp_synack_retries", "5", "2"},
              {"net.ipv4.tcp_abort_on_overflow", "1", "0"}};
    for (const SavedSysctl& s : saved_) tree_->Set(s.name, s.set);
    ASSERT_TRUE(
        WriteRestoreRecord(Record(), {.netns_id = kMe, .sysctls = saved_, .clsact = {"eth0"}}));
    DaemonState st;
    st.pid = 999999999;  // no such process
    st.interfaces.push_back({.name = "eth0", .xdp_mode = "native", .pin_dir = dir});
    ASSERT_TRUE(WriteStateFile(State(), st));
  }

  CleanupReport Run(bool dry) { return sg::Cleanup(roots_, {kIno, kMe}, kernel_, dry); }

  // Every file under the test directory but /proc/sys, with its contents.
  std::map<std::string, std::string> Files() const {
    std::map<std::string, std::string> m;
    for (const auto& e : fs::recursive_directory_iterator(dir_)) {
      const std::string p = e.path().string();
      if (p.rfind(roots_.sysctl_root, 0) == 0) continue;
      std::stringstream ss;
      if (e.is_regular_file()) ss << std::ifstream(p).rdbuf();
      m[p] = e.is_directory() ? "<dir>" : ss.str();
    }
    return m;
  }

  static bool Has(const CleanupReport& r, const std::string& text) {
    return std::any_of(r.lines.begin(), r.lines.end(),
                       [&](const std::string& l) { return l.find(text) != std::string::npos; });
  }
  static std::string All(const CleanupReport& r) {
    std::string s;
    for (const std::string& l : r.lines) s += l + "\n";
    for (const std::string& l : r.left) s += "LEFT " + l + "\n";
    return s;
  }

  std::string dir_;
  CleanupRoots roots_;
  std::unique_ptr<test::FakeProcSysTree> tree_;
  std::map<std::string, std::string> before_;
  std::vector<SavedSysctl> saved_;
  FakeKernel kernel_;
};

TEST_F(CleanupUndo, NothingLeftIsNothingToDo) {
  const auto files = Files();
  for (bool dry : {true, false}) {
    CleanupReport r = Run(dry);
    EXPECT_TRUE(r.nothing_to_do()) << All(r);
    EXPECT_TRUE(r.lines.empty()) << All(r);
  }
  EXPECT_TRUE(kernel_.calls.empty());
  EXPECT_EQ(Files(), files);
  EXPECT_EQ(tree_->Snapshot(), before_);
}

TEST_F(CleanupUndo, DryRunSaysEverythingAndChangesNothing) {
  KilledDaemon();
  const auto files = Files();
  const auto sysctls = tree_->Snapshot();
  CleanupReport r = Run(/*dry=*/true);
  EXPECT_FALSE(r.nothing_to_do());
  EXPECT_TRUE(r.left.empty()) << All(r);
  for (const std::string& l : r.lines) EXPECT_EQ(l.rfind("would ", 0), 0u) << l;
  // 1 link + 1 filter + 1 qdisc + the maps + 5 sysctls + record + state file.
  EXPECT_EQ(r.changes, 11u) << All(r);
  EXPECT_TRUE(Has(r, "would detach the XDP program from eth0")) << All(r);
  EXPECT_TRUE(Has(r, "would remove 3 pinned maps under " + PinRoot() + "/eth0")) << All(r);
  EXPECT_TRUE(Has(r, "would put back net.ipv4.tcp_syncookies = 0 (synguard set 1)")) << All(r);
  EXPECT_TRUE(kernel_.calls.empty());
  EXPECT_EQ(Files(), files);
  EXPECT_EQ(tree_->Snapshot(), sysctls);
}

TEST_F(CleanupUndo, UndoesAKilledDaemonInOrderThenFindsNothing) {
  KilledDaemon();
  CleanupReport r = Run(/*dry=*/false);
  EXPECT_TRUE(r.left.empty()) << All(r);
  EXPECT_EQ(r.changes, 11u) << All(r);
  // Programs first, then the pins, then the sysctls, then the files.
  EXPECT_EQ(kernel_.calls,
            (std::vector<std::string>{"detach eth0/xdp_link", "tc filter eth0", "clsact eth0"}));
  EXPECT_EQ(r.lines.front(),
            "detached the XDP program from eth0 and removed its pinned link " + Link("eth0"));
  EXPECT_EQ(r.lines.back(), "removed the state file " + State());
  EXPECT_EQ(tree_->Snapshot(), before_);
  EXPECT_FALSE(fs::exists(PinRoot()));
  EXPECT_TRUE(fs::exists(roots_.pin_dir));  // the base is not ours to remove
  EXPECT_FALSE(fs::exists(Record()));
  EXPECT_FALSE(fs::exists(State()));
  EXPECT_TRUE(kernel_.xdp.empty() && kernel_.tc.empty() && kernel_.clsact.empty());

  CleanupReport again = Run(/*dry=*/false);
  EXPECT_TRUE(again.nothing_to_do()) << All(again);
}

TEST_F(CleanupUndo, TheOperatorsValueStandsByTheDaemonsRule) {
  KilledDaemon();
  tree_->Set("net.core.somaxconn", "16384");  // changed after the kill
  // The dry run and the real one decide as a restarted daemon would.
  AdoptedSysctls rule = ClassifySaved(roots_.sysctl_root, saved_);
  ASSERT_EQ(rule.overridden.size(), 1u);
  EXPECT_EQ(rule.overridden[0].saved.name, "net.core.somaxconn");
  EXPECT_EQ(rule.adopted.size(), 4u);
  {
    SysctlGuard restarted(roots_.sysctl_root);
    AdoptedSysctls a = restarted.Adopt(saved_);
    EXPECT_EQ(a.adopted, rule.adopted);
    restarted.Forget();
  }
  const std::string stands =
      "net.core.somaxconn = 16384 as it is: changed since synguard set 8192, so the operator's "
      "value stands (the value before synguard, 4096, is not put back)";
  CleanupReport dry = Run(/*dry=*/true);
  EXPECT_TRUE(Has(dry, "would leave " + stands)) << All(dry);
  EXPECT_EQ(tree_->Get("net.ipv4.tcp_syncookies"), "1");

  CleanupReport r = Run(/*dry=*/false);
  EXPECT_TRUE(r.left.empty()) << All(r);
  EXPECT_TRUE(Has(r, "left " + stands)) << All(r);
  EXPECT_TRUE(Has(r, "put back net.ipv4.tcp_syncookies = 0 (synguard had set 1)")) << All(r);
  auto want = before_;
  want["net.core.somaxconn"] = "16384";
  EXPECT_EQ(tree_->Snapshot(), want);
  EXPECT_FALSE(fs::exists(Record()));
}

TEST_F(CleanupUndo, AFilterOnSomeoneElsesQdiscGoesAlone) {
  KilledDaemon();
  // The qdisc was there before synguard: not on the record.
  ASSERT_TRUE(WriteRestoreRecord(Record(), {.netns_id = kMe, .sysctls = saved_, .clsact = {}}));
  CleanupReport r = Run(/*dry=*/false);
  EXPECT_TRUE(r.left.empty()) << All(r);
  EXPECT_EQ(kernel_.calls, (std::vector<std::string>{"detach eth0/xdp_link", "tc filter eth0"}));
  EXPECT_EQ(kernel_.clsact, (std::set<std::string>{"eth0"}));
  EXPECT_TRUE(kernel_.tc.empty());
}

TEST_F(CleanupUndo, WhatCannotBeUndoneStaysOnRecord) {
  KilledDaemon();
  kernel_.fail = {"detach", "clsact"};
  // Readable, refused to every writer (root too): this one cannot go back.
  const std::string ro = "/proc/sys/kernel/osrelease";
  std::string release;
  std::getline(std::ifstream(ro), release);
  fs::path p = SysctlPath(roots_.sysctl_root, "net.ipv4.tcp_synack_retries");
  fs::remove(p);
  fs::create_symlink(ro, p);
  saved_[3].set = release;
  ASSERT_TRUE(
      WriteRestoreRecord(Record(), {.netns_id = kMe, .sysctls = saved_, .clsact = {"eth0"}}));

  CleanupReport r = Run(/*dry=*/false);
  EXPECT_EQ(r.left.size(), 3u) << All(r);
  EXPECT_TRUE(Has(r, "could not detach the XDP program from eth0")) << All(r);
  EXPECT_TRUE(Has(r, "could not remove the clsact qdisc synguard created on eth0")) << All(r);
  EXPECT_TRUE(Has(r, "could not put back net.ipv4.tcp_synack_retries = 5")) << All(r);
  EXPECT_TRUE(Has(r, "kept the restore record")) << All(r);
  // The link could not be detached: its maps stay with it.
  EXPECT_TRUE(fs::exists(Link("eth0")));
  EXPECT_TRUE(fs::exists(PinRoot() + "/eth0/sg_ports_map"));
  // The rest went back; the record keeps exactly what is left.
  EXPECT_EQ(tree_->Get("net.ipv4.tcp_syncookies"), "0");
  Result<RestoreState> rec = ReadRestoreRecord(Record());
  ASSERT_TRUE(rec) << rec.error().message();
  EXPECT_EQ(rec->sysctls, (std::vector<SavedSysctl>{saved_[3]}));
  EXPECT_EQ(rec->clsact, (std::vector<std::string>{"eth0"}));
  EXPECT_EQ(rec->netns_id, kMe);

  // Fixed: the next run finishes the job.
  kernel_.fail.clear();
  kernel_.calls.clear();
  CleanupReport again = Run(/*dry=*/false);
  EXPECT_FALSE(again.nothing_to_do());
  EXPECT_EQ(again.left.size(), 1u) << All(again);  // the read-only sysctl, still
  EXPECT_FALSE(fs::exists(PinRoot()));
  EXPECT_TRUE(kernel_.clsact.empty());
}

TEST_F(CleanupUndo, ARecordOfAnotherNamespaceIsRemovedNotApplied) {
  KilledDaemon();
  ASSERT_TRUE(WriteRestoreRecord(Record(),
                                 {.netns_id = "boot-0/12", .sysctls = saved_, .clsact = {"eth0"}}));
  const auto sysctls = tree_->Snapshot();
  CleanupReport r = Run(/*dry=*/false);
  EXPECT_TRUE(r.left.empty()) << All(r);
  EXPECT_TRUE(Has(r, "removed the restore record " + Record() + " (left by an older")) << All(r);
  EXPECT_EQ(tree_->Snapshot(), sysctls);
  EXPECT_EQ(kernel_.clsact, (std::set<std::string>{"eth0"}));  // not known to be ours
  EXPECT_FALSE(fs::exists(Record()));
}

TEST_F(CleanupUndo, ADamagedRecordIsRemovedAndReported) {
  KilledDaemon();
  std::ofstream(Record(), std::ios::trunc) << "{\"sysctls\": [{\"original\": ";
  const auto sysctls = tree_->Snapshot();
  CleanupReport r = Run(/*dry=*/false);
  EXPECT_EQ(r.left.size(), 1u) << All(r);
  EXPECT_TRUE(Has(r, "cannot be read")) << All(r);
  EXPECT_EQ(tree_->Snapshot(), sysctls);
  EXPECT_FALSE(fs::exists(Record()));
  EXPECT_TRUE(Run(/*dry=*/false).nothing_to_do());
}

TEST_F(CleanupUndo, ALinkWhoseDeviceIsGoneIsJustUnpinned) {
  KilledDaemon();
  kernel_.interfaces = {"lo"};
  kernel_.links[Link("eth0")] = "";
  kernel_.xdp.clear();
  kernel_.tc.clear();
  kernel_.clsact.clear();
  CleanupReport r = Run(/*dry=*/false);
  EXPECT_TRUE(r.left.empty()) << All(r);
  EXPECT_TRUE(kernel_.calls.empty());
  EXPECT_TRUE(Has(r, "removed the pin " + Link("eth0") + " (its interface eth0 is gone")) << All(r);
  EXPECT_FALSE(fs::exists(PinRoot()));
  EXPECT_EQ(tree_->Snapshot(), before_);
}

TEST_F(CleanupUndo, OurProgramWithoutAPinIsDetachedToo) {
  // fail_open with the pins gone, say, or pinned where this cannot see:
  // the program and the filter are found on the interface itself.
  kernel_.interfaces = {"lo", "eth0", "eth1"};
  kernel_.xdp = {"eth1"};
  kernel_.tc = {"eth1"};
  CleanupReport dry = Run(/*dry=*/true);
  EXPECT_EQ(dry.changes, 2u) << All(dry);
  CleanupReport r = Run(/*dry=*/false);
  EXPECT_TRUE(r.left.empty()) << All(r);
  EXPECT_EQ(kernel_.calls, (std::vector<std::string>{"detach xdp eth1", "tc filter eth1"}));
  EXPECT_TRUE(Run(/*dry=*/false).nothing_to_do());
}

TEST_F(CleanupUndo, HalfWrittenFilesAndAnEmptyPinRootGo) {
  fs::create_directories(PinRoot());
  std::ofstream(Record() + ".tmp") << "{";
  CleanupReport r = Run(/*dry=*/false);
  EXPECT_TRUE(r.left.empty()) << All(r);
  EXPECT_EQ(r.changes, 2u) << All(r);
  EXPECT_FALSE(fs::exists(PinRoot()));
  EXPECT_FALSE(fs::exists(Record() + ".tmp"));
}

TEST(InstanceLock, OneHolderAtATimeAndGoneWithIt) {
  const std::string dir = fs::temp_directory_path() / ("sg-lock-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string path = InstanceLockPath(dir + "/run", kIno);
  EXPECT_FALSE(InstanceLock::HeldByOther(path));  // no file yet
  {
    Result<InstanceLock> first = InstanceLock::Take(path);
    ASSERT_TRUE(first) << first.error().message();
    EXPECT_TRUE(InstanceLock::HeldByOther(path));
    // Another open file description (a second daemon, or cleanup) is refused.
    Result<InstanceLock> second = InstanceLock::Take(path);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().err(), EWOULDBLOCK);
    InstanceLock moved = std::move(*first);
    EXPECT_TRUE(InstanceLock::HeldByOther(path));
  }
  EXPECT_FALSE(InstanceLock::HeldByOther(path));
  EXPECT_TRUE(InstanceLock::Take(path));
  fs::remove_all(dir);
}

TEST(InstanceLock, ALiveSynguardInThisNamespaceOnly) {
  const std::string proc = fs::temp_directory_path() / ("sg-proc-" + std::to_string(::getpid()));
  fs::remove_all(proc);
  auto process = [&](int pid, const std::string& comm, const std::string& ns) {
    fs::create_directories(proc + "/" + std::to_string(pid) + "/ns");
    std::ofstream(proc + "/" + std::to_string(pid) + "/comm") << comm << "\n";
    std::ofstream(proc + "/" + std::to_string(pid) + "/ns/net") << ns;
  };
  process(100, "synguard", "a");
  process(200, "python3", "a");  // the pid was reused
  process(300, "synguard", "b");
  struct stat a {};
  ASSERT_EQ(stat((proc + "/100/ns/net").c_str(), &a), 0);
  EXPECT_TRUE(IsSynguardProcess(100, a.st_ino, proc));
  EXPECT_FALSE(IsSynguardProcess(200, a.st_ino, proc));
  EXPECT_FALSE(IsSynguardProcess(300, a.st_ino, proc));  // another namespace
  EXPECT_FALSE(IsSynguardProcess(400, a.st_ino, proc));  // gone
  EXPECT_FALSE(IsSynguardProcess(0, a.st_ino, proc));
  fs::remove_all(proc);
}

TEST(InstanceLock, PrunedWithItsDeadNamespace) {
  const std::string dir =
      fs::temp_directory_path() / ("sg-lockprune-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir + "/pins");
  fs::create_directories(dir + "/run");
  for (const char* f : {"100.lock", "200.lock", "100.json", "100.restore.json", "x.lock"})
    std::ofstream(dir + "/run/" + f) << "";
  std::vector<std::string> removed = PruneStalePins(dir + "/pins", dir + "/run", {200});
  EXPECT_EQ(removed.size(), 3u);
  EXPECT_FALSE(fs::exists(dir + "/run/100.lock"));
  EXPECT_TRUE(fs::exists(dir + "/run/200.lock"));
  EXPECT_TRUE(fs::exists(dir + "/run/x.lock"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sg
