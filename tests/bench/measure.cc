#include "measure.h"

#include <bpf/bpf.h>

#include <algorithm>

namespace sg::bench {

Result<TestRunResult> TestRun(int prog_fd, const Bytes& pkt, uint32_t repeat) {
  TestRunResult r;
  // Room for a frame that the program grew (a SYN+ACK is at most 60 bytes longer).
  r.out.resize(pkt.size() + 256);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt.data(), .data_out = r.out.data(),
              .data_size_in = static_cast<uint32_t>(pkt.size()),
              .data_size_out = static_cast<uint32_t>(r.out.size()),
              .repeat = static_cast<int>(repeat));
  if (bpf_prog_test_run_opts(prog_fd, &opts))
    return Error::FromErrno("BPF_PROG_TEST_RUN (repeat " + std::to_string(repeat) + ")");
  r.out.resize(opts.data_size_out);
  r.action = opts.retval;
  r.ns_per_pkt = opts.duration;
  return r;
}

Stats Summarize(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.min = v.front();
  s.max = v.back();
  return s;
}

}  // namespace sg::bench
