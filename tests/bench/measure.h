// One BPF_PROG_TEST_RUN call, and the statistics of several.
#pragma once

#include <cstdint>
#include <vector>

#include "packets.h"
#include "util/result.h"

namespace sg::bench {

struct TestRunResult {
  uint32_t action = 0;      // the XDP verdict of the last iteration
  uint32_t ns_per_pkt = 0;  // the kernel's own mean over the repeats (opts.duration)
  Bytes out;                // the frame as the last iteration left it
};

// Runs prog_fd repeat times on pkt. The kernel times the loop itself and
// leaves out the pauses it takes to reschedule, so this is CPU time per packet.
Result<TestRunResult> TestRun(int prog_fd, const Bytes& pkt, uint32_t repeat);

struct Stats {
  double median = 0, min = 0, max = 0;
};
Stats Summarize(std::vector<double> v);

}  // namespace sg::bench
