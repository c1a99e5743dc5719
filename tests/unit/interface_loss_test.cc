// An interface that goes away while attached (on_interface_loss): the
// watch's decisions tick by tick, the config key, how the state file, the
// reload plan and the metrics show it. Pure; no kernel.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <memory>
#include <string>

#include "config/config.h"
#include "metrics/collector.h"
#include "control/interface_watch.h"
#include "control/reload_plan.h"
#include "system/state_file.h"

namespace sg {
namespace {

using Action = InterfaceWatch::Action;
constexpr uint64_t kSec = 1000000000ull;

LinkSample Up(uint32_t ifindex) { return {.ifindex = ifindex, .link_attached = true}; }
LinkSample Gone() { return {.ifindex = 0, .link_attached = false}; }
// The name exists, our link runs nowhere (a new device, or detached).
LinkSample Bare(uint32_t ifindex) { return {.ifindex = ifindex, .link_attached = false}; }

TEST(InterfaceWatch, NothingBeforeTheFirstAttach) {
  InterfaceWatch w;
  EXPECT_EQ(w.Update(Gone(), 0), Action::kNone);
  EXPECT_EQ(w.Update(Bare(3), 0), Action::kNone);
  EXPECT_FALSE(w.missing());
}

TEST(InterfaceWatch, LostOnceThenWaitsQuietlyThenReattaches) {
  InterfaceWatch w;
  w.Attached(2);
  EXPECT_EQ(w.Update(Up(2), 1 * kSec), Action::kNone);
  EXPECT_EQ(w.Update(Gone(), 2 * kSec), Action::kLost);
  EXPECT_TRUE(w.missing());
  EXPECT_EQ(w.lost_ifindex(), 2u);
  EXPECT_EQ(w.attached_ifindex(), 0u);
  // Gone for a while: nothing more to say or do, every tick.
  for (uint64_t t = 3; t < 100; ++t) EXPECT_EQ(w.Update(Gone(), t * kSec), Action::kNone) << t;
  EXPECT_EQ(w.losses(), 1u);
  EXPECT_EQ(w.Update(Bare(5), 100 * kSec), Action::kReattach);
  w.Attached(5);
  EXPECT_FALSE(w.missing());
  EXPECT_EQ(w.Update(Up(5), 101 * kSec), Action::kNone);
}

TEST(InterfaceWatch, ReplacedBetweenTicksIsLostAndBackInOneTick) {
  InterfaceWatch w;
  w.Attached(2);
  // Deleted and re-created with the same name: a new ifindex.
  EXPECT_EQ(w.Update(Bare(7), kSec), Action::kLost);
  EXPECT_EQ(w.Update(Bare(7), kSec), Action::kReattach);
  // Even if the kernel reported our (defunct) link as attached somewhere,
  // another ifindex under the name is a loss.
  w.Attached(7);
  EXPECT_EQ(w.Update(Up(8), 2 * kSec), Action::kLost);
  EXPECT_EQ(w.lost_ifindex(), 7u);
  EXPECT_EQ(w.losses(), 2u);
}

TEST(InterfaceWatch, SameDeviceWithoutOurLinkIsALoss) {
  InterfaceWatch w;
  w.Attached(4);
  EXPECT_EQ(w.Update(Bare(4), kSec), Action::kLost);
  EXPECT_EQ(w.lost_ifindex(), 4u);
  EXPECT_EQ(w.Update(Bare(4), kSec), Action::kReattach);
}

TEST(InterfaceWatch, FailedAttemptsBackOffUpToTheMax) {
  InterfaceWatch w;
  w.Attached(2);
  ASSERT_EQ(w.Update(Bare(3), 0), Action::kLost);
  uint64_t now = 0;
  uint64_t expect = InterfaceWatch::kFirstRetryNs;
  for (int attempt = 0; attempt < 10; ++attempt) {
    ASSERT_EQ(w.Update(Bare(3), now), Action::kReattach) << attempt;
    const uint64_t wait = w.AttemptFailed(now);
    EXPECT_EQ(wait, expect) << attempt;
    EXPECT_TRUE(w.missing());
    // Not before the wait is over.
    EXPECT_EQ(w.Update(Bare(3), now + wait - 1), Action::kNone) << attempt;
    now += wait;
    expect = std::min(expect * 2, InterfaceWatch::kMaxRetryNs);
  }
  EXPECT_EQ(w.Update(Bare(3), now), Action::kReattach);
  // Success resets the backoff for the next loss.
  w.Attached(3);
  ASSERT_EQ(w.Update(Gone(), now), Action::kLost);
  ASSERT_EQ(w.Update(Bare(9), now), Action::kReattach);
  EXPECT_EQ(w.AttemptFailed(now), InterfaceWatch::kFirstRetryNs);
  // A device that vanished again is waited for, not retried; the one that
  // comes next is tried at once, whatever the backoff was.
  for (int i = 0; i < 5; ++i) w.AttemptFailed(now);
  EXPECT_EQ(w.Update(Gone(), now + kSec), Action::kNone);
  EXPECT_EQ(w.Update(Bare(10), now + 2 * kSec), Action::kReattach);
  EXPECT_EQ(w.AttemptFailed(now + 2 * kSec), InterfaceWatch::kFirstRetryNs);
}

TEST(InterfaceWatch, FailedAttemptAfterAnAttachCountsAsMissing) {
  // The attach worked, the self-test did not: the daemon detaches again.
  InterfaceWatch w;
  w.Attached(2);
  ASSERT_EQ(w.Update(Gone(), 0), Action::kLost);
  ASSERT_EQ(w.Update(Bare(3), 0), Action::kReattach);
  w.Attached(3);
  w.AttemptFailed(0);
  EXPECT_TRUE(w.missing());
  EXPECT_EQ(w.losses(), 1u);
  EXPECT_EQ(w.Update(Bare(3), InterfaceWatch::kFirstRetryNs), Action::kReattach);
}

// -- the config key ------------------------------------------------------

const char* kBase = "interfaces: [eth0]\nports: [443]\n";

TEST(OnInterfaceLossConfig, DefaultIsWait) {
  Result<Config> c = ParseConfig(kBase, "t.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->on_interface_loss, OnInterfaceLoss::kWait);
  EXPECT_NE(Explain(*c).find("if an interface disappears: wait"), std::string::npos);
}

TEST(OnInterfaceLossConfig, Exit) {
  Result<Config> c = ParseConfig(std::string(kBase) + "on_interface_loss: exit\n", "t.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->on_interface_loss, OnInterfaceLoss::kExit);
  EXPECT_STREQ(ToString(c->on_interface_loss), "exit");
  EXPECT_NE(Explain(*c).find("exit code 3"), std::string::npos);
}

TEST(OnInterfaceLossConfig, BadValuesNameFileLineAndKey) {
  for (const char* bad : {"restart", "\"\"", "[wait]", "true", "{a: 1}"}) {
    Result<Config> c =
        ParseConfig(std::string(kBase) + "on_interface_loss: " + bad + "\n", "t.yaml");
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(
        c.error().message().rfind("t.yaml:3: on_interface_loss: must be one of wait, exit", 0), 0u)
        << c.error().message();
  }
}

TEST(OnInterfaceLossConfig, ReloadAppliesAndSaysSo) {
  Result<Config> a = ParseConfig(kBase, "t.yaml");
  Result<Config> b = ParseConfig(std::string(kBase) + "on_interface_loss: exit\n", "t.yaml");
  ASSERT_TRUE(a.ok() && b.ok());
  ReloadPlan p = PlanReload(*a, *b);
  EXPECT_TRUE(p.on_interface_loss_changed);
  EXPECT_FALSE(p.empty());
  EXPECT_EQ(p.Summary(), "on_interface_loss");
  EXPECT_TRUE(p.need_restart.empty());
}

// -- what status and the metrics show --------------------------------------

TEST(OnInterfaceLossState, MissingRoundTrips) {
  DaemonState s;
  s.interfaces.push_back({"eth0", "native", false, false, "/sys/fs/bpf/synguard/1/eth0", true});
  s.interfaces.push_back({"eth1", "skb", true, false, "", false});
  Result<DaemonState> back = ParseState(StateToJson(s), "test");
  ASSERT_TRUE(back.ok()) << back.error().message();
  ASSERT_EQ(back->interfaces.size(), 2u);
  EXPECT_TRUE(back->interfaces[0].missing);
  EXPECT_FALSE(back->interfaces[1].missing);
  // A state file from before the key reads as present.
  Result<DaemonState> old = ParseState("{\"interfaces\": [{\"name\": \"eth0\"}]}", "old");
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->interfaces[0].missing);
}

TEST(OnInterfaceLossMetrics, MissingInterfaceHasNoAttachInfo) {
  CollectorSources src;
  src.version = "t";
  src.snapshot = [] {
    MetricsSnapshot s;
    s.interfaces.push_back({"eth0", "native", false, /*attached=*/false, /*losses=*/2});
    s.interfaces.push_back({"eth1", "skb", true, /*attached=*/true, /*losses=*/0});
    return s;
  };
  SynguardCollector c(src);
  prometheus::TextSerializer text;
  const std::string t = text.Serialize(c.Collect());
  auto has = [&](const std::string& line) { return t.find(line + "\n") != std::string::npos; };
  EXPECT_EQ(t.find("synguard_xdp_attached_info{interface=\"eth0\""), std::string::npos) << t;
  EXPECT_TRUE(
      has("synguard_xdp_attached_info{interface=\"eth1\",mode=\"skb\",fell_back=\"true\"} 1"))
      << t;
  EXPECT_TRUE(has("synguard_interface_attached{interface=\"eth0\"} 0")) << t;
  EXPECT_TRUE(has("synguard_interface_attached{interface=\"eth1\"} 1")) << t;
  EXPECT_TRUE(has("synguard_interface_losses_total{interface=\"eth0\"} 2")) << t;
  EXPECT_TRUE(has("synguard_interface_losses_total{interface=\"eth1\"} 0")) << t;
}

}  // namespace
}  // namespace sg
