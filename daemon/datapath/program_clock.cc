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
