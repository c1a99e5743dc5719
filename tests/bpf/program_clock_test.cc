// The programs' jiffies clock against the running kernel: after calibration
// it never reads ahead of CLOCK_MONOTONIC (kernel-cookie TSvals rely on it)
// and lags it by no more than a few ticks (cookie slots are tens of seconds).
#include <gtest/gtest.h>
#include <unistd.h>

#include "datapath/datapath.h"
#include "datapath/program_clock.h"

namespace {

TEST(ProgramClock, TracksTheKernelsMonotonicClock) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  auto dp = sg::Datapath::Load(sg::DatapathOptions{});
  ASSERT_TRUE(dp) << dp.error().message();
  const sg::ProgramClock& c = (*dp)->program_clock();
  // CONFIG_HZ is one of 100..1000 on every distribution kernel.
  ASSERT_GE(c.jiffy_ns, 1000000u);
  ASSERT_LE(c.jiffy_ns, 10000000u);
  int fd = bpf_program__fd((*dp)->xdp()->progs.synguard_clock_probe);
  for (int i = 0; i < 40; ++i) {
    sg::Result<sg_clock_sample> r = sg::SampleProgramClock(fd);
    ASSERT_TRUE(r) << r.error().message();
    const sg_clock_sample& s = *r;
    uint64_t program = s.jiffies * c.jiffy_ns + c.jiffies_mono_ns;
    ASSERT_LE(program, s.mono_after_ns) << "sample " << i << " runs ahead";
    ASSERT_GE(program + 3 * c.jiffy_ns, s.mono_before_ns) << "sample " << i << " lags";
    usleep(7'000);
  }
}

}  // namespace
