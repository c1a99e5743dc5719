#include "util/program_clock.h"

#include <array>

namespace sg {
namespace {

constexpr uint64_t kNsPerSecond = 1000000000ull;
// Every CONFIG_HZ the kernel's Kconfig offers, on any architecture.
constexpr std::array<uint64_t, 7> kKernelHz = {24, 48, 100, 250, 300, 1000, 1200};

}  // namespace

uint64_t TickNs(uint64_t hz) { return hz ? (kNsPerSecond + hz / 2) / hz : 0; }

uint64_t HzFromSamples(const sg_clock_sample& a, const sg_clock_sample& b) {
  if (b.mono_before_ns <= a.mono_after_ns || b.jiffies <= a.jiffies) return 0;
  // jiffies can be a tick off at either end: accept a rate within 20 %.
  const double measured = static_cast<double>(b.jiffies - a.jiffies) * kNsPerSecond /
                          static_cast<double>(b.mono_before_ns - a.mono_after_ns);
  for (uint64_t hz : kKernelHz)
    if (measured > hz * 0.8 && measured < hz * 1.2) return hz;
  return 0;
}

ProgramClock ClockFromSamples(uint64_t hz, const sg_clock_sample* samples, int n) {
  ProgramClock c;
  c.jiffy_ns = TickNs(hz);
  // mono - jiffies * jiffy_ns is smallest right after a tick; the smallest
  // seen, less one tick, is at or below it whenever the program runs.
  uint64_t best = 0;
  for (int i = 0; i < n; ++i) {
    uint64_t x = samples[i].mono_before_ns - samples[i].jiffies * c.jiffy_ns;
    if (i == 0 || static_cast<int64_t>(x - best) < 0) best = x;
  }
  c.jiffies_mono_ns = best - c.jiffy_ns;
  return c;
}

}  // namespace sg
