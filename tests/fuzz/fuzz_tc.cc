// libFuzzer target for the TC handoff program (bpf/synguard_tc.bpf.c, reqsk
// mode): every input is one Ethernet frame, run with BPF_PROG_TEST_RUN on an
// skb and judged by tc_invariants.h; cookie ACKs from the loopback address
// to a loopback listener are also sent for real on lo, where the program is
// attached at TC ingress, to see the handoff make a connection (valid
// cookie) or none (forged). See README.md.
#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "datapath_env.h"
#include "frame_view.h"
#include "mutator.h"
#include "tc_invariants.h"

namespace {

using sg::fuzz::DatapathEnv;

// Coverage stand-in, as in fuzz_xdp.cc: the expected reason, crossed with
// the frame's shape and whether it went live.
constexpr size_t kShapes = 64;
constexpr size_t kOutcomes = SG_R_MAX;
__attribute__((section("__libfuzzer_extra_counters")))
uint8_t g_outcome_coverage[kOutcomes * kShapes * 2];

size_t Shape(const sg::fuzz::FrameView& v) {
  const sg::fuzz::OptionOffer& o = v.offer;
  size_t options = (o.tsval ? 1 : 0) | (o.sack ? 2 : 0) | (o.wscale ? 4 : 0);
  return (static_cast<size_t>(v.ipv6) << 5 | static_cast<size_t>(v.vlans) << 3 | options) % kShapes;
}

// What the runs did, printed at exit: a run that never reaches the handoff
// would pass every invariant and prove little.
uint64_t g_by_reason[SG_R_MAX];
uint64_t g_shot = 0, g_refused = 0;
uint64_t g_live_valid = 0, g_live_unclean = 0, g_live_forged = 0, g_live_sockets = 0;

void PrintSummary() {
  std::fprintf(stderr, "fuzz_tc: test runs by outcome:\n");
  for (uint32_t r = 0; r < SG_R_MAX; ++r)
    if (g_by_reason[r])
      std::fprintf(stderr, "  %-8s %-23s %llu\n", sg_reason_verdicts[r], sg_reason_names[r],
                   static_cast<unsigned long long>(g_by_reason[r]));
  std::fprintf(stderr, "  %-32s %llu\n", "of which TC_ACT_SHOT",
               static_cast<unsigned long long>(g_shot));
  std::fprintf(stderr, "  %-32s %llu\n", "refused by the skb test run",
               static_cast<unsigned long long>(g_refused));
  std::fprintf(stderr,
               "fuzz_tc: sent on lo: %llu valid cookie ACKs, all counted handoff/ok (%llu with "
               "options the kernel's TCP drops), %llu forged, all counted bad_cookie or "
               "forged_timestamp_echo; connections "
               "accepted: %llu\n",
               static_cast<unsigned long long>(g_live_valid),
               static_cast<unsigned long long>(g_live_unclean),
               static_cast<unsigned long long>(g_live_forged),
               static_cast<unsigned long long>(g_live_sockets));
}

// Where the TC program reads the IP header, as its comment in
// bpf/synguard_tc.bpf.c (sg_tc_locate_l3) states the rule: after the
// Ethernet header when that reading fits (a VLAN tag, or the IP version the
// ethertype names right behind it), else at the frame's first byte when
// that byte has the version skb->protocol names (a test run's protocol is
// the ethertype: eth_type_trans). The second reading is viewed as the frame
// behind a made-up Ethernet header.
sg::fuzz::FrameView TcView(std::span<const uint8_t> frame) {
  const uint16_t type = static_cast<uint16_t>(frame[12] << 8 | frame[13]);
  auto version_is = [type](uint8_t b) {
    return (type == 0x0800 && b >> 4 == 4) || (type == 0x86dd && b >> 4 == 6);
  };
  const bool ethernet =
      frame.size() >= 15 && (type == 0x8100 || type == 0x88a8 || version_is(frame[14]));
  if (ethernet || !version_is(frame[0])) return sg::fuzz::ViewFrame(frame);
  std::vector<uint8_t> framed(14, 0);
  framed[12] = frame[12];
  framed[13] = frame[13];
  framed.insert(framed.end(), frame.begin(), frame.end());
  return sg::fuzz::ViewFrame(framed);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  DatapathEnv::Configure(sg::fuzz::FuzzMode::kTc);
  std::atexit(PrintSummary);
  DatapathEnv& env = DatapathEnv::Get();
  if (env.connections_status() != "ok")
    std::fprintf(stderr, "fuzz_tc: warning: %s\n", env.connections_status().c_str());
  std::fprintf(stderr, "fuzz_tc: the TC handoff program (reqsk); skb test runs take %zu bytes\n",
               env.max_tc_frame());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  DatapathEnv& env = DatapathEnv::Get();
  // An skb test run is one linear buffer: longer frames are refused.
  if (size < 14 || size > env.max_tc_frame()) return -1;
  std::span<const uint8_t> frame(data, size);
  sg::fuzz::Outcome out = env.RunTc(frame);
  // The kernel also refuses an untagged IPv4 / IPv6 frame too short for its
  // IP header (it reads the addresses into the test skb's socket): such a
  // frame is not run (on a real interface the program would see it and
  // pass it, as it passes any frame it cannot parse).
  const uint16_t ethertype = static_cast<uint16_t>(data[12] << 8 | data[13]);
  if (out.error == EINVAL &&
      ((ethertype == 0x0800 && size < 14 + 20) || (ethertype == 0x86dd && size < 14 + 40))) {
    ++g_refused;
    return -1;
  }
  if (out.error) {
    std::fprintf(stderr, "fuzz_tc: BPF_PROG_TEST_RUN of %zu bytes failed: errno %d\n", size,
                 out.error);
    std::abort();
  }
  sg::fuzz::FrameView view = sg::fuzz::ViewFrame(frame);
  sg::fuzz::TcExpectation want = sg::fuzz::ExpectTc(TcView(frame), env);
  sg::fuzz::CheckTcInvariants(frame, view, want, out);

  bool live = false;
  if (auto live_want = sg::fuzz::ExpectLive(frame, view, want, env)) {
    live = true;
    std::vector<uint8_t> on_lo = sg::fuzz::LiveFrame(frame);
    sg::fuzz::LiveOutcome lo = env.SendOnLoopback(on_lo, live_want->min_sockets ? 200 : 0);
    sg::fuzz::CheckLive(on_lo, *live_want, lo);
    const bool valid = live_want->reason == SG_R_HANDOFF_OK;
    ++(valid ? g_live_valid : g_live_forged);
    if (valid && !live_want->min_sockets) ++g_live_unclean;
    g_live_sockets += static_cast<uint64_t>(lo.accepted);
  }

  g_outcome_coverage[(want.reason * kShapes + Shape(view)) * 2 + live] = 1;
  ++g_by_reason[want.reason];
  if (out.verdict == sg::fuzz::kTcActShot) ++g_shot;
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  return sg::fuzz::MutateFrame(data, size, max_size, seed);
}
