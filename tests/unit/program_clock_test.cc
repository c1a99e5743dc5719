// The program clock's calibration arithmetic (daemon/datapath/program_clock.h)
// on made-up samples; tests/bpf/program_clock_test.cc checks it against the
// running kernel.
#include "util/program_clock.h"

#include <gtest/gtest.h>

namespace {

constexpr uint64_t kInitialJiffies250 = 0x100000000ull - 300 * 250;  // the kernel's start value

sg_clock_sample At(uint64_t mono_ns, uint64_t jiffies) {
  return sg_clock_sample{mono_ns, jiffies, mono_ns + 200, 250};
}

// The program's reading at mono time t, when jiffies tick exactly at
// multiples of the tick after `origin`.
uint64_t ProgramNs(const sg::ProgramClock& c, uint64_t origin, uint64_t t) {
  uint64_t jiffies = kInitialJiffies250 + (t - origin) / c.jiffy_ns;
  return jiffies * c.jiffy_ns + c.jiffies_mono_ns;
}

TEST(ProgramClock, TickNsRoundsAsTheKernel) {
  EXPECT_EQ(sg::TickNs(250), 4000000u);
  EXPECT_EQ(sg::TickNs(1000), 1000000u);
  EXPECT_EQ(sg::TickNs(300), 3333333u);
  EXPECT_EQ(sg::TickNs(0), 0u);
}

TEST(ProgramClock, NeverAheadOfMonotonicAndAtMostTwoTicksBehind) {
  const uint64_t origin = 5'000'000'123;  // mono time of jiffy kInitialJiffies250
  const uint64_t tick = sg::TickNs(250);
  // Samples taken at arbitrary points inside ticks.
  sg_clock_sample s[3] = {At(origin + 3 * tick + 1'234'567, kInitialJiffies250 + 3),
                          At(origin + 7 * tick + 10, kInitialJiffies250 + 7),
                          At(origin + 9 * tick + 3'999'000, kInitialJiffies250 + 9)};
  sg::ProgramClock c = sg::ClockFromSamples(250, s, 3);
  EXPECT_EQ(c.jiffy_ns, tick);
  for (uint64_t t = origin; t < origin + 3'600'000'000'000ull; t += 7'777'777'777ull) {
    uint64_t p = ProgramNs(c, origin, t);
    ASSERT_LE(p, t) << "ahead at " << t;
    ASSERT_GE(p + 2 * tick, t) << "more than two ticks behind at " << t;
  }
}

TEST(ProgramClock, HzFromSamplesSnapsToAKernelRate) {
  sg_clock_sample a{1'000'000'000, 1000, 1'000'000'500, 0};
  sg_clock_sample b{1'050'000'000, 1000 + 12, 1'050'000'400, 0};  // 12 ticks in 50 ms
  EXPECT_EQ(sg::HzFromSamples(a, b), 250u);
  b.jiffies = 1000 + 50;
  EXPECT_EQ(sg::HzFromSamples(a, b), 1000u);
  b.jiffies = 1000 + 30;  // 600 Hz: no kernel runs at that rate
  EXPECT_EQ(sg::HzFromSamples(a, b), 0u);
  b.jiffies = 1000;  // no tick at all
  EXPECT_EQ(sg::HzFromSamples(a, b), 0u);
}

}  // namespace
