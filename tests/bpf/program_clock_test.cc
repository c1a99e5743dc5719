// The programs' jiffies clock against the running kernel: after calibration
// it never reads ahead of CLOCK_MONOTONIC (kernel-cookie TSvals rely on it)
// and lags it by no more than a few ticks (cookie slots are tens of seconds).
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "datapath/datapath.h"
#include "datapath/program_clock.h"

namespace {

sg_clock_sample Probe(int fd) {
  std::array<uint8_t, 64> frame{};
  LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame.data(), .data_out = frame.data(),
              .data_size_in = frame.size(), .data_size_out = frame.size(), .repeat = 1);
  EXPECT_EQ(bpf_prog_test_run_opts(fd, &o), 0);
  sg_clock_sample s{};
  std::memcpy(&s, frame.data(), sizeof(s));
  return s;
}

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
    sg_clock_sample s = Probe(fd);
    uint64_t program = s.jiffies * c.jiffy_ns + c.jiffies_mono_ns;
    ASSERT_LE(program, s.mono_after_ns) << "sample " << i << " runs ahead";
    ASSERT_GE(program + 3 * c.jiffy_ns, s.mono_before_ns) << "sample " << i << " lags";
    usleep(7'000);
  }
}

}  // namespace
