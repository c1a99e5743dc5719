#include "datapath/program_clock.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

namespace sg {
namespace {

constexpr uint64_t kNsPerSecond = 1000000000ull;
// Every CONFIG_HZ the kernel's Kconfig offers, on any architecture.
constexpr std::array<uint64_t, 7> kKernelHz = {24, 48, 100, 250, 300, 1000, 1200};

}  // namespace

Result<sg_clock_sample> SampleProgramClock(int prog_fd) {
  // An Ethernet-sized frame for the probe to write its readings into.
  std::array<uint8_t, 64> frame{};
  sg_clock_sample s{};
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = frame.data(),
              .data_size_in = frame.size(), .data_size_out = frame.size(), .repeat = 1);
  if (bpf_prog_test_run_opts(prog_fd, &opts))
    return Error::FromErrno("run the clock probe (BPF_PROG_TEST_RUN)");
  if (opts.retval != XDP_PASS || opts.data_size_out < sizeof(s))
    return Error("the clock probe returned " + std::to_string(opts.retval) + " and " +
                 std::to_string(opts.data_size_out) + " bytes");
  std::memcpy(&s, frame.data(), sizeof(s));
  return s;
}

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

Result<ProgramClock> CalibrateProgramClock(int probe_prog_fd) {
  std::array<sg_clock_sample, 3> samples;
  for (auto& s : samples) {
    Result<sg_clock_sample> r = SampleProgramClock(probe_prog_fd);
    if (!r) return r.take_error();
    s = *r;
  }
  uint64_t hz = samples[0].hz;
  if (!hz) {
    // No kernel config to read CONFIG_HZ from: count ticks over 50 ms.
    timespec pause{0, 50 * 1000 * 1000};
    nanosleep(&pause, nullptr);
    Result<sg_clock_sample> later = SampleProgramClock(probe_prog_fd);
    if (!later) return later.take_error();
    hz = HzFromSamples(samples[0], *later);
    if (!hz)
      return Error("cannot tell the kernel's tick rate (CONFIG_HZ): no /proc/config.gz and " +
                   std::to_string(later->jiffies - samples[0].jiffies) + " jiffies in " +
                   std::to_string((later->mono_before_ns - samples[0].mono_after_ns) / 1000) +
                   " us");
  }
  return ClockFromSamples(hz, samples.data(), static_cast<int>(samples.size()));
}

}  // namespace sg
