// Reload planning: what a new config changes, what waits for a restart,
// and how statistics slots carry over. Pure; no kernel.
#include <gtest/gtest.h>

#include "control/port_table.h"
#include "control/reload_plan.h"

namespace sg {
namespace {

Config FromText(const std::string& text) {
  Result<Config> c = ParseConfig(text, "test.yaml");
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message());
  return c.ok() ? *c : Config{};
}

PortConfig P(uint16_t port, EngageMode mode = EngageMode::kAuto) {
  PortConfig p;
  p.port = port;
  p.engage = mode;
  return p;
}

const char* kBase = "interfaces: [eth0, eth1]\nports: [443, {port: 22, engage: always}]\n";

TEST(ReloadPlan, SameConfigIsEmpty) {
  ReloadPlan p = PlanReload(FromText(kBase), FromText(kBase));
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(p.Summary(), "nothing changed");
  EXPECT_EQ(p.keep, (std::vector<std::string>{"eth0", "eth1"}));
}

TEST(ReloadPlan, InterfacesAttachAndDetach) {
  ReloadPlan p = PlanReload(FromText(kBase), FromText("interfaces: [eth1, eth2]\nports: [443, "
                                                      "{port: 22, engage: always}]\n"));
  EXPECT_EQ(p.attach, std::vector<std::string>{"eth2"});
  EXPECT_EQ(p.detach, std::vector<std::string>{"eth0"});
  EXPECT_EQ(p.keep, std::vector<std::string>{"eth1"});
  EXPECT_FALSE(p.ports_changed);
  EXPECT_NE(p.Summary().find("attach eth2"), std::string::npos);
}

TEST(ReloadPlan, PortsListsAndCookiesAreLive) {
  ReloadPlan p = PlanReload(
      FromText(kBase), FromText("interfaces: [eth0, eth1]\nports: [443, {port: 22, engage: auto}]\n"
                                "allowlist: [10.0.0.0/8]\ncookies: {ttl: 32}\n"));
  EXPECT_TRUE(p.ports_changed);
  EXPECT_TRUE(p.lists_changed);
  EXPECT_TRUE(p.cookies_changed);
  EXPECT_FALSE(p.cookie_age_changed);
  EXPECT_TRUE(p.need_restart.empty());
}

TEST(ReloadPlan, ThresholdChangeIsAPortChange) {
  ReloadPlan p =
      PlanReload(FromText(kBase), FromText("interfaces: [eth0, eth1]\nports: [{port: 443, "
                                           "syn_rate_engage: 1000, syn_rate_disengage: 10}, "
                                           "{port: 22, engage: always}]\n"));
  EXPECT_TRUE(p.ports_changed);
}

TEST(ReloadPlan, LoadShapingSettingsWaitForARestart) {
  ReloadPlan p = PlanReload(
      FromText(kBase),
      FromText(std::string(kBase) +
               "handoff: kernel-cookie\nxdp_mode: skb\nmetrics: {listen: '127.0.0.1:9999'}\n"
               "pin_dir: /sys/fs/bpf/other\nsysctl: {manage: false}\n"));
  EXPECT_EQ(p.need_restart, (std::vector<std::string>{"handoff", "xdp_mode", "sysctl",
                                                      "metrics.listen", "pin_dir"}));
  EXPECT_NE(p.Summary().find("until a restart"), std::string::npos);
}

TEST(ReloadPlan, TimestampMssTablesAreCookieChanges) {
  for (const char* key : {"mss_v4_timestamps: [536, 1220, 1300, 1360, 1420, 1452, 1460, 8960]",
                          "mss_v6_timestamps: [1220, 1280, 1340, 1360, 1400, 1432, 1440, 8940]"}) {
    ReloadPlan p =
        PlanReload(FromText(kBase), FromText(std::string(kBase) + "cookies: {" + key + "}\n"));
    EXPECT_TRUE(p.cookies_changed) << key;
    EXPECT_FALSE(p.cookie_age_changed) << key;
    EXPECT_TRUE(p.need_restart.empty()) << key;
  }
}

TEST(ReloadPlan, MaxAgeChangeIsFlagged) {
  ReloadPlan p =
      PlanReload(FromText(kBase), FromText(std::string(kBase) + "cookies: {max_age: 60}\n"));
  EXPECT_TRUE(p.cookies_changed);
  EXPECT_TRUE(p.cookie_age_changed);
}

TEST(PortTable, SlotsCarryOverAndNewPortsTakeFreeOnes) {
  std::vector<PortConfig> first = {P(80), P(443), P(22)};
  SlotMap a = AssignStatsSlots({}, first);
  EXPECT_EQ(a, (SlotMap{{80, 0}, {443, 1}, {22, 2}}));
  std::vector<PortConfig> second = {P(22), P(8080), P(80)};
  SlotMap b = AssignStatsSlots(a, second);
  EXPECT_EQ(b.at(22), 2u);
  EXPECT_EQ(b.at(80), 0u);
  EXPECT_EQ(b.at(8080), 1u);  // 443's old slot
  EXPECT_EQ(FreshSlots(a, b), std::vector<uint32_t>{1});
}

TEST(PortTable, EntryFlagsFollowTheMode) {
  PortConfig always = P(1, EngageMode::kAlways);
  PortConfig autop = P(2, EngageMode::kAuto);
  PortConfig never = P(3, EngageMode::kNever);
  EXPECT_EQ(PortEntry(always, 5, false).flags, SG_PORT_PROTECTED | SG_PORT_ENGAGED);
  EXPECT_EQ(PortEntry(always, 5, false).stats_slot, 5u);
  EXPECT_EQ(PortEntry(autop, 0, false).flags, SG_PORT_PROTECTED);
  EXPECT_EQ(PortEntry(autop, 0, true).flags, SG_PORT_PROTECTED | SG_PORT_ENGAGED);
  EXPECT_EQ(PortEntry(never, 0, true).flags, SG_PORT_PROTECTED);
}

}  // namespace
}  // namespace sg
