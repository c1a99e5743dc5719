// The daemon's decisions that need no kernel, as the daemon makes them:
// the start order (control/start_order.h), the tick cadence
// (control/tick_schedule.h), the ports' engaged state across ticks and
// reloads (control/port_engagement.h) and what a reload writes into a
// ports map (control/port_table.h PortWrites).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "control/port_engagement.h"
#include "control/port_table.h"
#include "control/start_order.h"
#include "control/tick_schedule.h"

namespace sg {
namespace {

constexpr uint64_t kSec = 1000000000ull;

PortConfig Port(uint16_t port, EngageMode mode, double engage_rate = 1000) {
  PortConfig p;
  p.port = port;
  p.engage = mode;
  p.thresholds.syn_rate_engage = engage_rate;
  p.thresholds.syn_rate_disengage = engage_rate / 4;
  p.thresholds.quiet_period = std::chrono::seconds(2);
  return p;
}

TEST(StartOrder, EveryStepOnceAndEveryConstraintHolds) {
  std::set<StartStep> seen(kStartOrder.begin(), kStartOrder.end());
  EXPECT_EQ(seen.size(), kStartOrder.size()) << "a step appears twice";
  for (const StartConstraint& c : kStartConstraints) {
    EXPECT_LT(StartPosition(c.first), kStartOrder.size());
    EXPECT_LT(StartPosition(c.first), StartPosition(c.then)) << c.why;
    EXPECT_FALSE(c.why.empty());
  }
}

TEST(StartOrder, TheCheckFindsABrokenOrder) {
  // The same check on an order with attach before the secrets: refused.
  auto position = [](const std::vector<StartStep>& order, StartStep s) {
    return std::find(order.begin(), order.end(), s) - order.begin();
  };
  std::vector<StartStep> broken(kStartOrder.begin(), kStartOrder.end());
  std::iter_swap(std::find(broken.begin(), broken.end(), StartStep::kSecrets),
                 std::find(broken.begin(), broken.end(), StartStep::kAttach));
  size_t violated = 0;
  for (const StartConstraint& c : kStartConstraints)
    violated += position(broken, c.first) >= position(broken, c.then) ? 1 : 0;
  EXPECT_GE(violated, 1u);
}

TEST(TickSchedule, FixedCadenceWithoutDrift) {
  TickSchedule t(10 * kSec);
  EXPECT_FALSE(t.Due(10 * kSec));
  EXPECT_EQ(t.WaitMs(10 * kSec), 1000);
  EXPECT_EQ(t.WaitMs(10 * kSec + 250000000), 750);
  EXPECT_TRUE(t.Due(11 * kSec));
  EXPECT_EQ(t.WaitMs(11 * kSec + 5), 0);
  // A tick that took 300 ms: the next one is still due at 12 s.
  t.Ran(11 * kSec + 300000000);
  EXPECT_EQ(t.next_ns(), 12 * kSec);
}

TEST(TickSchedule, AfterAStallNoBurstOfTicks) {
  TickSchedule t(0);
  // Stalled for 10 s (a suspended VM): one tick, then a fresh cadence.
  t.Ran(11 * kSec);
  EXPECT_EQ(t.next_ns(), 12 * kSec);
  EXPECT_FALSE(t.Due(11 * kSec + 1));
}

// One port's SYN counter, as the daemon reads it each tick.
struct Traffic {
  std::map<uint16_t, uint64_t> syn;
  PortTraffic operator()(uint16_t port) const { return {.syn_total = syn.at(port)}; }
};

TEST(PortEngagement, ModesGiveTheStartingState) {
  PortRuntimes ports = BuildPortRuntimes(
      {},
      {Port(80, EngageMode::kAuto), Port(443, EngageMode::kAlways), Port(22, EngageMode::kNever)});
  EXPECT_FALSE(ports.at(80).engaged);
  EXPECT_TRUE(ports.at(80).detector.has_value());
  EXPECT_TRUE(ports.at(443).engaged);
  EXPECT_FALSE(ports.at(443).detector.has_value());
  EXPECT_FALSE(ports.at(22).engaged);
  EXPECT_EQ(EngagedCount(ports), 1u);
}

TEST(PortEngagement, AFloodEngagesAndQuietDisengages) {
  PortRuntimes ports = BuildPortRuntimes({}, {Port(80, EngageMode::kAuto, 1000)});
  Traffic traffic{{{80, 0}}};
  // First tick: the baseline, whatever the counter says.
  traffic.syn[80] = 50000;
  EXPECT_TRUE(DetectEngagement(ports, 1 * kSec, std::cref(traffic)).empty());
  traffic.syn[80] += 5000;  // 5000 SYN/s
  std::vector<EngageEvent> ev = DetectEngagement(ports, 2 * kSec, std::cref(traffic));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].port, 80);
  EXPECT_TRUE(ev[0].engaged);
  EXPECT_TRUE(ports.at(80).engaged);
  // Quiet for longer than the quiet period: disengaged, once.
  size_t disengaged = 0;
  for (uint64_t s = 3; s < 10; ++s)
    for (const EngageEvent& e : DetectEngagement(ports, s * kSec, std::cref(traffic)))
      disengaged += e.engaged ? 0 : 1;
  EXPECT_EQ(disengaged, 1u);
  EXPECT_FALSE(ports.at(80).engaged);
}

TEST(PortEngagement, ACounterThatGoesBackwardsRestartsTheBaseline) {
  PortRuntimes ports = BuildPortRuntimes({}, {Port(80, EngageMode::kAuto, 1000)});
  Traffic traffic{{{80, 1000000}}};
  DetectEngagement(ports, 1 * kSec, std::cref(traffic));
  traffic.syn[80] = 10;  // maps made anew: not a flood of 2^64 SYNs
  EXPECT_TRUE(DetectEngagement(ports, 2 * kSec, std::cref(traffic)).empty());
  EXPECT_EQ(ports.at(80).last_syn, 10u);
}

TEST(PortEngagement, AReloadKeepsTheDetectorOnlyWhenNothingOfItChanged) {
  PortRuntimes ports = BuildPortRuntimes({}, {Port(80, EngageMode::kAuto, 1000)});
  Traffic traffic{{{80, 0}}};
  DetectEngagement(ports, 1 * kSec, std::cref(traffic));
  traffic.syn[80] = 5000;
  DetectEngagement(ports, 2 * kSec, std::cref(traffic));
  ASSERT_TRUE(ports.at(80).engaged);
  // Same thresholds: still engaged, same baseline.
  PortRuntimes same = BuildPortRuntimes(ports, {Port(80, EngageMode::kAuto, 1000)});
  EXPECT_TRUE(same.at(80).engaged);
  EXPECT_EQ(same.at(80).last_syn, 5000u);
  // New thresholds: a fresh detector (not engaged), the baseline kept.
  PortRuntimes changed = BuildPortRuntimes(ports, {Port(80, EngageMode::kAuto, 2000)});
  EXPECT_FALSE(changed.at(80).engaged);
  EXPECT_EQ(changed.at(80).last_syn, 5000u);
  // auto -> always: engaged, no detector.
  PortRuntimes always = BuildPortRuntimes(ports, {Port(80, EngageMode::kAlways)});
  EXPECT_TRUE(always.at(80).engaged);
  EXPECT_FALSE(always.at(80).detector.has_value());
}

TEST(PortWrites, EveryNewPortThenEachDroppedOneEmptied) {
  std::vector<PortConfig> current = {Port(80, EngageMode::kAlways), Port(22, EngageMode::kAuto)};
  std::vector<PortConfig> next = {Port(80, EngageMode::kAlways), Port(443, EngageMode::kAuto)};
  SlotMap slots = AssignStatsSlots({{80, 0}, {22, 1}}, next);
  auto engaged = [](uint16_t port) { return port == 443; };
  auto w = PortWrites(current, next, slots, engaged, /*handoff_down=*/false);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].first, 80);
  EXPECT_TRUE(w[0].second.flags & SG_PORT_ENGAGED);
  EXPECT_EQ(w[0].second.stats_slot, 0u);
  EXPECT_EQ(w[1].first, 443);
  EXPECT_TRUE(w[1].second.flags & SG_PORT_ENGAGED);
  EXPECT_EQ(w[2].first, 22);
  EXPECT_EQ(w[2].second.flags, 0u);
  // With the TC handoff down, nothing is written engaged.
  for (const auto& [port, v] : PortWrites(current, next, slots, engaged, /*handoff_down=*/true)) {
    EXPECT_FALSE(v.flags & SG_PORT_ENGAGED) << port;
    if (port != 22) EXPECT_TRUE(v.flags & SG_PORT_PROTECTED) << port;
  }
}

}  // namespace
}  // namespace sg
