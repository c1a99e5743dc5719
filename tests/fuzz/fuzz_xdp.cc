// libFuzzer target: every input is one Ethernet frame, run through the real
// XDP program with BPF_PROG_TEST_RUN and judged by invariants.h. The handoff
// mode the program is loaded for comes from SG_FUZZ_MODE (reqsk, the
// default, or kernel-cookie). See README.md.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "datapath_env.h"
#include "frame_view.h"
#include "invariants.h"
#include "mutator.h"

namespace {

// libFuzzer sees coverage of this process only, not of the BPF program. The
// reason the program counted, crossed with the shape of the frame (family,
// VLAN tags, which options a SYN offers), stands in for it, so inputs that
// reach a verdict path in a new way are kept in the corpus.
constexpr size_t kShapes = 128;
__attribute__((section("__libfuzzer_extra_counters")))
uint8_t g_reason_coverage[SG_R_MAX * kShapes];

size_t Shape(const sg::fuzz::FrameView& v) {
  const sg::fuzz::OptionOffer& o = v.offer;
  size_t options = (o.mss ? 1 : 0) | (o.sack ? 2 : 0) | (o.tsval ? 4 : 0) | (o.wscale ? 8 : 0);
  return (static_cast<size_t>(v.ipv6) << 6 | static_cast<size_t>(v.vlans) << 4 | options) % kShapes;
}

// How often each reason was counted, printed at exit: a run that never
// reaches the cookie or SYN+ACK paths would pass every invariant and prove little.
uint64_t g_reason_runs[SG_R_MAX];

void PrintReasons() {
  std::fprintf(stderr, "fuzz_xdp (%s): runs by reason:\n",
               sg::fuzz::ToString(sg::fuzz::DatapathEnv::Get().mode()));
  for (uint32_t r = 0; r < SG_R_MAX; ++r)
    if (g_reason_runs[r])
      std::fprintf(stderr, "  %-5s %-24s %llu\n", sg_reason_verdicts[r], sg_reason_names[r],
                   static_cast<unsigned long long>(g_reason_runs[r]));
  if (sg::fuzz::DatapathEnv::Get().kernel_cookie())
    std::fprintf(stderr, "fuzz_xdp: SYN+ACKs whose client ACK the kernel then accepted: %llu\n",
                 static_cast<unsigned long long>(sg::fuzz::KernelCookieAcksAccepted()));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  sg::fuzz::FuzzMode mode = sg::fuzz::DatapathEnv::ModeFromEnvironment(sg::fuzz::FuzzMode::kReqsk);
  if (mode == sg::fuzz::FuzzMode::kTc) {
    std::fprintf(stderr, "fuzz_xdp: SG_FUZZ_MODE=tc is fuzz_tc's\n");
    std::exit(2);
  }
  sg::fuzz::DatapathEnv::Configure(mode);
  std::atexit(PrintReasons);
  sg::fuzz::DatapathEnv& env = sg::fuzz::DatapathEnv::Get();
  std::fprintf(stderr, "fuzz_xdp: the XDP program in %s mode\n", sg::fuzz::ToString(mode));
  if (env.connections_status() != "ok")
    std::fprintf(stderr, "fuzz_xdp: warning: %s\n", env.connections_status().c_str());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The kernel refuses frames shorter than an Ethernet header (a packet test
  // pins that), and more than 16 pages is not a frame.
  if (size < 14 || size > 16 * 4096) return -1;
  std::span<const uint8_t> frame(data, size);
  sg::fuzz::DatapathEnv& env = sg::fuzz::DatapathEnv::Get();
  sg::fuzz::Outcome out = env.Run(frame);
  if (out.error) {
    std::fprintf(stderr, "fuzz_xdp: BPF_PROG_TEST_RUN of %zu bytes failed: errno %d\n", size,
                 out.error);
    std::abort();
  }
  // The program reads only the first buffer; the oracle reads the same.
  auto view = sg::fuzz::ViewFrame(frame.first(std::min(size, sg::fuzz::kMaxLinearFrame)));
  sg::fuzz::CheckInvariants(frame, view, out, env);
  uint32_t reason = out.moved[0].first;  // exactly one, checked above
  g_reason_coverage[reason * kShapes + Shape(view)] = 1;
  ++g_reason_runs[reason];
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  return sg::fuzz::MutateFrame(data, size, max_size, seed);
}
