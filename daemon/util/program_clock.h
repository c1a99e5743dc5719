// The arithmetic of the BPF programs' monotonic clock: jiffies64 * jiffy_ns
// + jiffies_mono_ns (see sg_config in include/synguard/layout.h for why not
// bpf_ktime_get_ns). The samples come from datapath/program_clock.h, which
// runs the probe program; everything here is plain numbers, tested alone.
#pragma once

#include <cstdint>

#include "synguard/shared.h"

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

}  // namespace sg
