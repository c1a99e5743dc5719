// The sysctl tuner against a temporary directory standing in for /proc/sys.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "fake_proc_sys.h"
#include "tuning/sysctl.h"
#include "tuning/sysctl_guard.h"
#include "tuning/sysctl_tuner.h"

namespace sg {
namespace {

namespace fs = std::filesystem;

class FakeProcSys : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("sg-sysctl-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    tree_ = std::make_unique<test::FakeProcSysTree>(root_);
    Set("net.ipv4.tcp_syncookies", "1");
    Set("net.ipv4.tcp_timestamps", "1");
    Set("net.ipv4.tcp_max_syn_backlog", "256");
    Set("net.core.somaxconn", "4096");
    Set("net.ipv4.tcp_synack_retries", "5");
    Set("net.ipv4.tcp_abort_on_overflow", "1");
  }
  void TearDown() override { fs::remove_all(root_); }

  void Set(const std::string& name, const std::string& value) { tree_->Set(name, value); }
  std::string Get(const std::string& name) { return tree_->Get(name); }
  std::map<std::string, std::string> Snapshot() { return tree_->Snapshot(); }
  static std::map<std::string, std::string> ByName(const std::vector<SysctlChange>& changes) {
    std::map<std::string, std::string> m;
    for (const SysctlChange& c : changes) m[c.name] = c.old_value + "->" + c.new_value;
    return m;
  }

  std::string root_;
  std::unique_ptr<test::FakeProcSysTree> tree_;
};

TEST_F(FakeProcSys, PlanForReqskChangesNothing) {
  auto before = Snapshot();
  SysctlTuner tuner(root_, SysctlProfile{}, HandoffMode::kReqsk);
  Result<std::vector<SysctlChange>> plan = tuner.Plan();
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(ByName(*plan), (std::map<std::string, std::string>{
                               {"net.ipv4.tcp_max_syn_backlog", "256->8192"},
                               {"net.core.somaxconn", "4096->8192"},
                               {"net.ipv4.tcp_synack_retries", "5->2"},
                               {"net.ipv4.tcp_abort_on_overflow", "1->0"},
                           }));
  for (const SysctlChange& c : *plan) EXPECT_FALSE(c.reason.empty()) << c.name;
  EXPECT_EQ(Snapshot(), before);  // a plan writes nothing
}

TEST_F(FakeProcSys, ReqskNeedsSyncookiesOnButAcceptsTwo) {
  Set("net.ipv4.tcp_syncookies", "0");
  SysctlTuner tuner(root_, SysctlProfile{}, HandoffMode::kReqsk);
  auto plan = tuner.Plan();
  ASSERT_TRUE(plan);
  EXPECT_EQ(ByName(*plan)["net.ipv4.tcp_syncookies"], "0->1");
  Set("net.ipv4.tcp_syncookies", "2");
  Set("net.ipv4.tcp_timestamps", "0");  // reqsk leaves timestamps alone
  plan = tuner.Plan();
  ASSERT_TRUE(plan);
  EXPECT_EQ(ByName(*plan).count("net.ipv4.tcp_syncookies"), 0u);
  EXPECT_EQ(ByName(*plan).count("net.ipv4.tcp_timestamps"), 0u);
}

TEST_F(FakeProcSys, KernelCookieNeedsSyncookiesAndTimestampsTwo) {
  SysctlTuner tuner(root_, SysctlProfile{}, HandoffMode::kKernelCookie);
  auto plan = tuner.Plan();
  ASSERT_TRUE(plan);
  auto m = ByName(*plan);
  EXPECT_EQ(m["net.ipv4.tcp_syncookies"], "1->2");
  EXPECT_EQ(m["net.ipv4.tcp_timestamps"], "1->2");
}

TEST_F(FakeProcSys, AtLeastNeverLowersAnOperatorsValue) {
  Set("net.ipv4.tcp_max_syn_backlog", "65536");
  Set("net.core.somaxconn", "8192");
  SysctlTuner tuner(root_, SysctlProfile{}, HandoffMode::kReqsk);
  auto m = ByName(*tuner.Plan());
  EXPECT_EQ(m.count("net.ipv4.tcp_max_syn_backlog"), 0u);
  EXPECT_EQ(m.count("net.core.somaxconn"), 0u);
}

TEST_F(FakeProcSys, KeepLeavesASysctlAlone) {
  SysctlProfile p;
  p.tcp_max_syn_backlog.reset();
  p.somaxconn.reset();
  p.tcp_synack_retries.reset();
  p.reset_abort_on_overflow = false;
  SysctlTuner tuner(root_, p, HandoffMode::kReqsk);
  auto plan = tuner.Plan();
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->empty());
  EXPECT_EQ(tuner.rules().size(), 1u);  // only what the handoff needs
}

TEST_F(FakeProcSys, ApplyThenRestore) {
  Set("net.ipv4.tcp_syncookies", "0");
  auto before = Snapshot();
  {
    SysctlTuner tuner(root_, SysctlProfile{}, HandoffMode::kKernelCookie);
    auto applied = tuner.Apply();
    ASSERT_TRUE(applied) << applied.error().message();
    EXPECT_EQ(applied->size(), 6u);
    EXPECT_EQ(Get("net.ipv4.tcp_syncookies"), "2");
    EXPECT_EQ(Get("net.ipv4.tcp_timestamps"), "2");
    EXPECT_EQ(Get("net.ipv4.tcp_max_syn_backlog"), "8192");
    EXPECT_EQ(Get("net.core.somaxconn"), "8192");
    EXPECT_EQ(Get("net.ipv4.tcp_synack_retries"), "2");
    EXPECT_EQ(Get("net.ipv4.tcp_abort_on_overflow"), "0");
    auto again = tuner.Plan();
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->empty());
    EXPECT_TRUE(tuner.Restore().empty());
    EXPECT_EQ(Snapshot(), before);
    ASSERT_TRUE(tuner.Apply());
  }
  // The destructor restores too.
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(FakeProcSys, UnmanagedChangesNothingButInsistsOnRequirements) {
  SysctlProfile p;
  p.manage = false;
  auto before = Snapshot();
  {
    SysctlTuner tuner(root_, p, HandoffMode::kReqsk);
    auto applied = tuner.Apply();
    ASSERT_TRUE(applied) << applied.error().message();
    EXPECT_TRUE(applied->empty());
  }
  EXPECT_EQ(Snapshot(), before);
  SysctlTuner tuner(root_, p, HandoffMode::kKernelCookie);
  auto applied = tuner.Apply();
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().message().find("net.ipv4.tcp_syncookies is 1 but must be 2"),
            std::string::npos)
      << applied.error().message();
  EXPECT_NE(applied.error().message().find("sysctl.manage is false"), std::string::npos);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(FakeProcSys, RefusesAnUnresolvedHandoff) {
  SysctlTuner tuner(root_, SysctlProfile{}, HandoffMode::kAuto);
  auto plan = tuner.Plan();
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message().find("not resolved"), std::string::npos);
}

TEST_F(FakeProcSys, MissingSysctlIsNamed) {
  fs::remove(SysctlPath(root_, "net.core.somaxconn"));
  SysctlTuner tuner(root_, SysctlProfile{}, HandoffMode::kReqsk);
  auto plan = tuner.Plan();
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message().find("net.core.somaxconn"), std::string::npos)
      << plan.error().message();
}

TEST(SysctlRules, EveryRuleHasAReason) {
  for (HandoffMode m : {HandoffMode::kReqsk, HandoffMode::kKernelCookie}) {
    for (const SysctlRule& r : SysctlRules(SysctlProfile{}, m)) {
      EXPECT_GT(r.reason.size(), 20u) << r.name;
      EXPECT_EQ(r.required,
                r.name == "net.ipv4.tcp_syncookies" || r.name == "net.ipv4.tcp_timestamps")
          << r.name;
    }
  }
}

TEST(BacklogWarning, OnlyWhenFarBelowSomaxconn) {
  EXPECT_FALSE(BacklogWarning(4096, 4096));
  EXPECT_FALSE(BacklogWarning(1024, 4096));  // exactly a quarter: fine
  auto w = BacklogWarning(511, 4096);
  ASSERT_TRUE(w);
  EXPECT_NE(w->find("listen() backlog 511"), std::string::npos) << *w;
  EXPECT_NE(w->find("somaxconn 4096"), std::string::npos) << *w;
  EXPECT_FALSE(BacklogWarning(128, 128));
}

}  // namespace
}  // namespace sg

namespace {

// Programs left pinned on exit depend on the sysctls: Forget() means the
// guard puts nothing back, not even when it is destroyed.
TEST(SysctlGuardForget, NothingIsRestoredAfterwards) {
  char tmpl[] = "/tmp/sg_guard_XXXXXX";
  std::string root = mkdtemp(tmpl);
  std::string dir = root + "/net/ipv4";
  std::system(("mkdir -p " + dir).c_str());
  std::ofstream(dir + "/tcp_syncookies") << "1\n";
  {
    sg::SysctlGuard guard(root);
    ASSERT_TRUE(guard.Set("net.ipv4.tcp_syncookies", "2").ok());
    guard.Forget();
  }
  auto v = sg::ReadSysctl(root, "net.ipv4.tcp_syncookies");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "2");
  std::system(("rm -rf " + root).c_str());
}

}  // namespace
