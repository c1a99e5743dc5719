// synguard's TC handoff filter removed or replaced while the daemon runs
// (reqsk): the watch's decisions check by check, the log lines, and the
// metric. Pure; no kernel.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <string>

#include "metrics/collector.h"
#include "control/tc_filter_watch.h"

namespace sg {
namespace {

using Action = TcFilterWatch::Action;
using State = TcSample::State;
constexpr uint64_t kSec = 1000000000ull;

TcSample Sample(State state, uint32_t prog_id = 0) {
  TcSample s;
  s.state = state;
  s.prog_id = prog_id;
  return s;
}
TcSample Ours() { return Sample(State::kOurs, 42); }
TcSample Gone() { return Sample(State::kGone); }
TcSample Replaced(uint32_t id) { return Sample(State::kReplaced, id); }
TcSample Unknown() {
  TcSample s = Sample(State::kUnknown);
  s.error = "query: No such device";
  s.err = 19;
  return s;
}

TEST(TcFilterWatch, InPlaceNeedsNothing) {
  TcFilterWatch w;
  w.Attached();
  for (uint64_t t = 0; t < 100; ++t) EXPECT_EQ(w.Update(Ours(), t * kSec), Action::kNone) << t;
  EXPECT_EQ(w.repairs(), 0u);
  EXPECT_FALSE(w.failing());
}

TEST(TcFilterWatch, GoneOrReplacedIsRepairedAtOnceAndCounted) {
  TcFilterWatch w;
  w.Attached();
  EXPECT_EQ(w.Update(Gone(), 5 * kSec), Action::kRepair);
  EXPECT_EQ(w.Repaired(5 * kSec), 0u);
  EXPECT_EQ(w.Update(Ours(), 5 * kSec), Action::kNone);
  EXPECT_EQ(w.repairs(), 1u);
  // Much later, replaced by another program at our handle and priority.
  EXPECT_EQ(w.Update(Replaced(77), 100 * kSec), Action::kRepair);
  EXPECT_EQ(w.Repaired(100 * kSec), 0u);
  EXPECT_EQ(w.repairs(), 2u);
}

TEST(TcFilterWatch, UnknownIsNeverARepair) {
  // A failed query (the device going away, no memory) says nothing about
  // the filter: the hook is not touched, and nothing is counted.
  TcFilterWatch w;
  w.Attached();
  for (uint64_t t = 0; t < 10; ++t) EXPECT_EQ(w.Update(Unknown(), t * kSec), Action::kNone);
  EXPECT_TRUE(w.unknown());
  EXPECT_EQ(w.Update(Ours(), 11 * kSec), Action::kNone);
  EXPECT_FALSE(w.unknown());
  EXPECT_EQ(w.repairs(), 0u);
}

TEST(TcFilterWatch, FailedRepairsBackOffUpToTheMax) {
  TcFilterWatch w;
  w.Attached();
  uint64_t now = 3 * kSec;
  uint64_t expect = TcFilterWatch::kFirstRetryNs;
  for (int attempt = 0; attempt < 10; ++attempt) {
    ASSERT_EQ(w.Update(Gone(), now), Action::kRepair) << attempt;
    const uint64_t wait = w.AttemptFailed(now);
    EXPECT_EQ(wait, expect) << attempt;
    EXPECT_TRUE(w.failing());
    // Not before the wait is over, however many events come in between.
    for (uint64_t t = now; t < now + wait; t += wait / 7)
      EXPECT_EQ(w.Update(Gone(), t), Action::kNone) << attempt;
    now += wait;
    expect = std::min(expect * 2, TcFilterWatch::kMaxRetryNs);
  }
  EXPECT_EQ(expect, TcFilterWatch::kMaxRetryNs);
  // It works at last: counted once, and the backoff starts over.
  ASSERT_EQ(w.Update(Gone(), now), Action::kRepair);
  EXPECT_EQ(w.Repaired(now), 0u);
  EXPECT_FALSE(w.failing());
  EXPECT_EQ(w.repairs(), 1u);
  now += 60 * kSec;
  ASSERT_EQ(w.Update(Gone(), now), Action::kRepair);
  EXPECT_EQ(w.AttemptFailed(now), TcFilterWatch::kFirstRetryNs);
}

TEST(TcFilterWatch, PutBackBySomeoneElseEndsTheBackoff) {
  TcFilterWatch w;
  w.Attached();
  ASSERT_EQ(w.Update(Gone(), 0), Action::kRepair);
  for (int i = 0; i < 5; ++i) w.AttemptFailed(0);  // waits 32 s now
  EXPECT_EQ(w.Update(Ours(), kSec), Action::kNone);
  EXPECT_FALSE(w.failing());
  // Gone again: repaired at once, not after what is left of the wait.
  EXPECT_EQ(w.Update(Gone(), 2 * kSec), Action::kRepair);
  EXPECT_EQ(w.repairs(), 0u);  // nobody repaired it: nothing counted
}

TEST(TcFilterWatch, AReattachForgetsFailures) {
  // The interface went and came back: its new filter is a new start.
  TcFilterWatch w;
  w.Attached();
  ASSERT_EQ(w.Update(Gone(), 0), Action::kRepair);
  for (int i = 0; i < 4; ++i) w.AttemptFailed(0);
  w.Attached();
  EXPECT_FALSE(w.failing());
  EXPECT_EQ(w.Update(Gone(), kSec), Action::kRepair);
}

TEST(TcFilterWatch, SomethingThatKeepsRemovingItIsRepairedAtAStep) {
  // A network manager that deletes the filter each time it is back: the
  // first repairs are immediate, then each waits, doubling to the max,
  // instead of a loop at the speed of rtnetlink events.
  TcFilterWatch w;
  w.Attached();
  uint64_t now = 100 * kSec;
  for (int i = 1; i < TcFilterWatch::kFreeRepairs; ++i) {
    ASSERT_EQ(w.Update(Gone(), now), Action::kRepair) << i;
    EXPECT_EQ(w.Repaired(now), 0u) << i;
    now += kSec / 100;  // removed again 10 ms later
  }
  uint64_t expect = TcFilterWatch::kFirstRetryNs;
  for (int i = 0; i < 12; ++i) {
    ASSERT_EQ(w.Update(Gone(), now), Action::kRepair) << i;
    const uint64_t hold = w.Repaired(now);
    EXPECT_EQ(hold, expect) << i;
    EXPECT_EQ(w.quick_repairs(), TcFilterWatch::kFreeRepairs + i) << i;
    now += kSec / 100;
    EXPECT_EQ(w.Update(Gone(), now), Action::kNone) << i;
    now += hold;
    expect = std::min(expect * 2, TcFilterWatch::kMaxRetryNs);
  }
  EXPECT_EQ(w.repairs(), static_cast<uint64_t>(TcFilterWatch::kFreeRepairs - 1 + 12));
  // Peace: the filter stays for the window; the next removal is repaired
  // at once again, and the count of repairs in a row starts over.
  now += TcFilterWatch::kMaxRetryNs;
  EXPECT_EQ(w.Update(Ours(), now), Action::kNone);
  now += TcFilterWatch::kFightWindowNs;
  ASSERT_EQ(w.Update(Gone(), now), Action::kRepair);
  EXPECT_EQ(w.Repaired(now), 0u);
  EXPECT_EQ(w.quick_repairs(), 1);
}

TEST(TcFilterWatch, RepairsFarApartAreNeverHeldBack) {
  TcFilterWatch w;
  w.Attached();
  for (int i = 0; i < 20; ++i) {
    const uint64_t now = static_cast<uint64_t>(i) * (TcFilterWatch::kFightWindowNs + kSec);
    ASSERT_EQ(w.Update(Gone(), now), Action::kRepair) << i;
    EXPECT_EQ(w.Repaired(now), 0u) << i;
  }
  EXPECT_EQ(w.repairs(), 20u);
}

// -- what the log says -----------------------------------------------------

TEST(TcFilterLines, SayWhatHappenedAndWhatWasDone) {
  EXPECT_EQ(TcRepairLine("eth0", Gone(), /*qdisc_created=*/false),
            "synguard's TC filter on eth0 was removed by something else (tc filter del?); "
            "attached again");
  EXPECT_EQ(TcRepairLine("eth0", Gone(), /*qdisc_created=*/true),
            "synguard's TC filter on eth0 was removed with its clsact qdisc by something else "
            "(tc qdisc del?); created the qdisc and attached the filter again");
  EXPECT_EQ(TcRepairLine("eth0", Replaced(77), false),
            "synguard's TC filter on eth0 was replaced by something else with another program "
            "(id 77) (tc filter replace?); attached ours again");
  EXPECT_EQ(TcFindingText("eth1", Gone()),
            "synguard's TC filter on eth1 was removed by something else");
  EXPECT_EQ(TcFindingText("eth1", Unknown()),
            "synguard's TC filter on eth1 cannot be checked (query: No such device)");
}

// -- the metric --------------------------------------------------------------

TEST(TcFilterMetrics, RepairsPerInterface) {
  CollectorSources src;
  src.version = "t";
  src.snapshot = [] {
    MetricsSnapshot s;
    InterfaceSnapshot a{.name = "eth0", .xdp_mode = "native"};
    a.tc_repairs = 3;
    InterfaceSnapshot b{.name = "eth1", .xdp_mode = "skb"};
    s.interfaces = {a, b};
    return s;
  };
  SynguardCollector c(src);
  prometheus::TextSerializer text;
  const std::string t = text.Serialize(c.Collect());
  auto has = [&](const std::string& line) { return t.find(line + "\n") != std::string::npos; };
  EXPECT_TRUE(has("# TYPE synguard_tc_filter_repairs_total counter")) << t;
  EXPECT_TRUE(has("synguard_tc_filter_repairs_total{interface=\"eth0\"} 3")) << t;
  EXPECT_TRUE(has("synguard_tc_filter_repairs_total{interface=\"eth1\"} 0")) << t;
}

}  // namespace
}  // namespace sg
