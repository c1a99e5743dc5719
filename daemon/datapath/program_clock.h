// The BPF programs' monotonic clock: jiffies64 * jiffy_ns + jiffies_mono_ns
// (see sg_config in include/synguard/layout.h for why not bpf_ktime_get_ns).
// Calibrated once per load by running synguard_clock_probe with
// BPF_PROG_TEST_RUN: the relation between jiffies and CLOCK_MONOTONIC is
// fixed for the life of the kernel, since the kernel advances jiffies from
// that clock.
#pragma once

#include <cstdint>

#include "synguard/shared.h"
#include "util/program_clock.h"
#include "util/result.h"

namespace sg {

// One run of the probe program (fd): a reading of each clock.
Result<sg_clock_sample> SampleProgramClock(int probe_prog_fd);

// Runs the probe program (fd) a few times; reads HZ from the kernel config
// the probe saw, or measures it over about 50 ms when that is unreadable.
Result<ProgramClock> CalibrateProgramClock(int probe_prog_fd);

}  // namespace sg
