// The attack detector's hysteresis: engage on a high SYN rate or a full
// queue, disengage only after a quiet period well below the thresholds.
#include <gtest/gtest.h>

#include <vector>

#include "detector/attack_detector.h"

namespace sg {
namespace {

constexpr uint64_t kSec = 1000000000ull;

DetectorThresholds Thresholds() {
  DetectorThresholds t;
  t.syn_rate_engage = 20000;
  t.syn_rate_disengage = 5000;
  t.queue_fill_engage = 0.5;
  t.quiet_period = std::chrono::seconds(60);
  return t;
}

// Feeds one sample per second at the given SYN rate; returns the events.
class Feed {
 public:
  explicit Feed(AttackDetector& d) : d_(d) {}
  std::optional<EngageEvent> Second(uint64_t syn_per_s, double accept = 0, double syn_recv = 0) {
    t_ += kSec;
    auto e = d_.Update(
        {.time_ns = t_, .syn_delta = syn_per_s, .accept_fill = accept, .syn_recv_fill = syn_recv});
    if (e) events.push_back(*e);
    return e;
  }
  uint64_t now() const { return t_; }
  std::vector<EngageEvent> events;

 private:
  AttackDetector& d_;
  uint64_t t_ = 1000 * kSec;
};

TEST(AttackDetector, EngagesOnSynRate) {
  AttackDetector d(443, Thresholds());
  Feed f(d);
  EXPECT_FALSE(f.Second(0));  // baseline
  EXPECT_FALSE(f.Second(19999));
  EXPECT_FALSE(d.engaged());
  auto e = f.Second(20000);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->engaged);
  EXPECT_EQ(e->port, 443);
  EXPECT_DOUBLE_EQ(e->syn_rate, 20000);
  EXPECT_NE(e->reason.find("SYN rate 20000/s >= 20000/s"), std::string::npos) << e->reason;
  EXPECT_TRUE(d.engaged());
  EXPECT_EQ(d.transitions(), 1u);
}

TEST(AttackDetector, FirstSampleHasNoRate) {
  // A counter's first reading is a baseline, not a burst.
  AttackDetector d(80, Thresholds());
  EXPECT_FALSE(d.Update({.time_ns = kSec, .syn_delta = 1000000}));
  EXPECT_FALSE(d.engaged());
}

TEST(AttackDetector, RateUsesTheRealInterval) {
  AttackDetector d(80, Thresholds());
  EXPECT_FALSE(d.Update({.time_ns = 10 * kSec}));
  // 30000 SYNs over 2 s is 15000/s: below the threshold.
  EXPECT_FALSE(d.Update({.time_ns = 12 * kSec, .syn_delta = 30000}));
  EXPECT_DOUBLE_EQ(d.last_syn_rate(), 15000);
  // A sample with no time passed changes nothing.
  EXPECT_FALSE(d.Update({.time_ns = 12 * kSec, .syn_delta = 100000}));
}

TEST(AttackDetector, EngagesOnQueueFill) {
  AttackDetector d(443, Thresholds());
  Feed f(d);
  EXPECT_FALSE(f.Second(0, 0.49));
  auto e = f.Second(10, 0.1, 0.5);  // SYN_RECV fill counts as well
  ASSERT_TRUE(e);
  EXPECT_NE(e->reason.find("listener queue 50% full"), std::string::npos) << e->reason;
}

TEST(AttackDetector, NoFlappingAroundTheEngageThreshold) {
  AttackDetector d(443, Thresholds());
  Feed f(d);
  f.Second(0);
  // Hovering just below: never engages.
  for (int i = 0; i < 100; ++i) f.Second(i % 2 ? 19999 : 18000);
  EXPECT_TRUE(f.events.empty());
  // Oscillating across it: engages once, and stays engaged since the rate
  // never drops below the disengage threshold.
  for (int i = 0; i < 300; ++i) f.Second(i % 2 ? 21000 : 15000);
  ASSERT_EQ(f.events.size(), 1u);
  EXPECT_TRUE(d.engaged());
  // Between the thresholds for a long time: still engaged.
  for (int i = 0; i < 300; ++i) f.Second(6000);
  EXPECT_TRUE(d.engaged());
  EXPECT_EQ(d.transitions(), 1u);
}

TEST(AttackDetector, DisengagesOnlyAfterTheQuietPeriod) {
  AttackDetector d(443, Thresholds());
  Feed f(d);
  f.Second(0);
  ASSERT_TRUE(f.Second(50000));
  const uint64_t loud_end = f.now();
  // Quiet: 59 s are not enough.
  for (int i = 0; i < 59; ++i) EXPECT_FALSE(f.Second(1000)) << i;
  EXPECT_TRUE(d.engaged());
  auto e = f.Second(1000);
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->engaged);
  EXPECT_EQ(f.now() - loud_end, 60 * kSec);
  EXPECT_NE(e->reason.find("quiet for 60 s"), std::string::npos) << e->reason;
  EXPECT_EQ(d.transitions(), 2u);
}

TEST(AttackDetector, ALoudSampleRestartsTheQuietPeriod) {
  AttackDetector d(443, Thresholds());
  Feed f(d);
  f.Second(0);
  ASSERT_TRUE(f.Second(50000));
  for (int i = 0; i < 50; ++i) f.Second(100);
  f.Second(7000);  // above the disengage threshold: not quiet
  for (int i = 0; i < 59; ++i) EXPECT_FALSE(f.Second(100)) << i;
  EXPECT_TRUE(d.engaged());
  EXPECT_TRUE(f.Second(100));
  EXPECT_FALSE(d.engaged());
}

TEST(AttackDetector, QueueMustDrainBelowHalfTheThreshold) {
  AttackDetector d(443, Thresholds());
  Feed f(d);
  f.Second(0);
  ASSERT_TRUE(f.Second(0, 0.6));
  // Low rate but the queue still 30% full (above 25%): stays engaged.
  for (int i = 0; i < 200; ++i) EXPECT_FALSE(f.Second(0, 0.3));
  EXPECT_TRUE(d.engaged());
  for (int i = 0; i < 60; ++i) f.Second(0, 0.2);
  EXPECT_FALSE(d.engaged());
  // And engages again on the next burst.
  EXPECT_TRUE(f.Second(30000));
  EXPECT_EQ(d.transitions(), 3u);
}

}  // namespace
}  // namespace sg
