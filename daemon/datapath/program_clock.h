// The BPF programs' monotonic clock: jiffies64 * jiffy_ns + jiffies_mono_ns
// (see sg_config in include/synguard/layout.h for why not bpf_ktime_get_ns).
// Calibrated once per load by running synguard_clock_probe with
// BPF_PROG_TEST_RUN: the relation between jiffies and CLOCK_MONOTONIC is
// fixed for the life of the kernel, since the kernel advances jiffies from
// that clock.
#pragma once

#include <cstdint>

#include "synguard/shared.h"
#include "util/result.h"

namespace sg {

struct ProgramClock {
  uint64_t jiffy_ns = 0;         // the kernel's TICK_NSEC
  uint64_t jiffies_mono_ns = 0;  // mod 2^64: jiffies start near 2^32 - 300 * HZ
};

// Nanoseconds per jiffy for a CONFIG_HZ, as the kernel rounds it (TICK_NSEC).
uint64_t TickNs(uint64_t hz);

// The tick rate from two samples far enough apart, snapped to a rate the
// kernel can be built with; 0 when they disagree with every one of them.
uint64_t HzFromSamples(const sg_clock_sample& a, const sg_clock_sample& b);

// The calibration from samples (HZ known): the offset that keeps the
// program's clock at or behind CLOCK_MONOTONIC, a tick of margin included
// (jiffies may lag a tick behind the clock that drives them).
ProgramClock ClockFromSamples(uint64_t hz, const sg_clock_sample* samples, int n);

// One run of the probe program (fd): a reading of each clock.
Result<sg_clock_sample> SampleProgramClock(int probe_prog_fd);

// Runs the probe program (fd) a few times; reads HZ from the kernel config
// the probe saw, or measures it over about 50 ms when that is unreadable.
Result<ProgramClock> CalibrateProgramClock(int probe_prog_fd);

}  // namespace sg
