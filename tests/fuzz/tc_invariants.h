// What must hold for every frame the fuzzer feeds the TC handoff program
// (bpf/synguard_tc.bpf.c, reqsk mode), judged by the fuzzer's own parser
// (frame_view.h) and the host build of the cookie codec, never by bpf/lib/.
// A violation prints the rule, the input and the output, and aborts.
//
//  1. The verdict is TC_ACT_OK or TC_ACT_SHOT, nothing else; the frame
//     comes back byte for byte (the program never writes to the packet).
//  2. Every frame moves exactly one TC reason counter, by one, and the
//     reason decides the verdict (SHOT for a drop reason, else OK). Only
//     an ACK (SYN and RST clear) to a protected port is the handoff's; the
//     rest passes as "not_plain_tcp" (not IP, not TCP, a fragment, IPv6
//     extension headers, malformed), "other_flags" or "unprotected_port".
//  3. The reason is the one the world dictates: an existing connection's
//     segment is "existing_socket" and passes (never SHOT); no listener,
//     "no_listener"; a cookie the host codec refuses, "bad_cookie", passed
//     to the kernel; a valid cookie whose timestamp echo contradicts it,
//     "forged_timestamp_echo" and SHOT (the only drop); a valid cookie
//     otherwise reaches bpf_sk_assign_tcp_reqsk(). A forged cookie never
//     does.
//  4. BPF_PROG_TEST_RUN's skb is not at TC ingress (skb->tc_at_ingress is
//     0: probed on 6.18), so there the kfunc refuses (-EINVAL) and the
//     handoff counts "kfunc_failed"; the same frame sent for real on lo
//     (LiveExpectation) is handed off: "ok", and one connection waits in
//     the listener's accept queue. A forged cookie sent on lo makes none.
//     What the kernel answers on lo passes the program too, and may count
//     "other_flags" (RSTs) or "unprotected_port" (to the client's port).
//     One exception, the kernel's and found by this harness: its TCP drops
//     a segment whose option list it cannot walk (a length below 2 or past
//     the header) or that carries an MD5 signature, before it looks at the
//     handed-off request (tcp_inbound_hash(), drop reason TCP_AUTH_HDR);
//     for such an ACK "ok" is counted and a connection may not follow.
//
// The XDP -> TC metadata word is not fuzzed: an skb test run has no
// metadata (data_meta == data), so the program always does its full work.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "datapath_env.h"
#include "frame_view.h"

namespace sg::fuzz {

inline constexpr uint32_t kTcActOk = 0, kTcActShot = 2;

struct TcExpectation {
  uint32_t reason = SG_R_TC_PASS_NOT_TCP;  // the one counter that must move
  uint32_t action = kTcActOk;
  bool valid_cookie = false;  // the host codec accepts cookie and echo
};

TcExpectation ExpectTc(const FrameView& view, const DatapathEnv& env);

void CheckTcInvariants(std::span<const uint8_t> input, const FrameView& view,
                       const TcExpectation& want, const Outcome& outcome);

// Whether the frame may be sent for real on lo, and what must follow:
// an untagged cookie ACK (valid or not) from the loopback address to itself
// (127.0.0.1 or ::1), IPv4 without options, to a listener, from a client
// port that is not protected (so nothing the connection sends back is
// counted). Nothing when the frame is not one of those.
struct LiveExpectation {
  uint32_t reason;  // the counter that must move, by one
  // Connections that must reach the accept queue: at least, at most.
  int min_sockets, max_sockets;
};
std::optional<LiveExpectation> ExpectLive(std::span<const uint8_t> input, const FrameView& view,
                                          const TcExpectation& want, const DatapathEnv& env);

// The frame as lo must see it: destination MAC lo's (all zero), checksums
// right (the kernel's TCP checks them; the TC program does not look).
std::vector<uint8_t> LiveFrame(std::span<const uint8_t> input);

void CheckLive(std::span<const uint8_t> frame, const LiveExpectation& want,
               const LiveOutcome& outcome);

}  // namespace sg::fuzz
