// What must hold for every frame the fuzzer feeds the XDP program, judged
// by the fuzzer's own parser (frame_view.h), the reference checksum and the
// SYN+ACK decoder of the packet tests. A violation prints the rule, the
// input and the output, and aborts: libFuzzer then saves the input.
//
//  1. The program never returns XDP_ABORTED (or anything but PASS/DROP/TX),
//     and every run moves exactly one reason counter, by one, whose verdict
//     class (pass/drop/tx) is the one returned.
//  2. XDP_TX only for a well-formed pure SYN (SYN set; ACK, RST, FIN clear)
//     to a protected, engaged port, from a source on neither list.
//     (2, 4, 5, 6 and 7 are checked as one expected reason per frame.)
//  3. Every XDP_TX frame is a SYN+ACK answering the input: MACs, addresses
//     and ports swapped, VLAN tags kept, ack = ISN + 1, right IPv4 header
//     and TCP checksums, no payload or trailing bytes, an MSS option with
//     the server's MSS, and SACK-permitted / timestamps / window scale
//     exactly when the SYN offered them (never one it did not offer), with
//     TSecr echoing the client's TSval; the cookie passes the host codec.
//  4. Conversely, a well-formed pure SYN to an engaged port from an unlisted
//     source, in one buffer, with no socket on its tuple, is answered (a
//     lost SYN+ACK is a lost client).
//  5. XDP_DROP only for a well-formed frame to a protected port: a pure SYN
//     from a denylisted source, or an ACK (engaged port) with no socket and
//     a cookie the host codec refuses for that reason; an ACK whose cookie
//     the codec accepts passes.
//  6. Never XDP_DROP of a frame of a real established connection; its ACKs
//     and SYNs pass as "existing socket" (a SYN on a live tuple is the
//     kernel's to answer).
//  7. Malformed, non-TCP or unprotected-port frames pass.
//  8. Passed and dropped frames come back byte for byte; the XDP -> TC
//     metadata word is left only for an existing socket or a valid cookie.
//  9. Our TSval runs on the clock the mode needs: within 64 ticks below the
//     clock at the run, in ms (kernel-cookie: the socket continues from the
//     kernel's tcp_clock_ms) or 2^20 ns units (reqsk).
//
// kernel-cookie mode (the kernel makes and checks the cookie) changes:
//  2/4. a SYN is answered only when a listener would take it (no listener:
//     passed as "no_listener");
//  3. no SACK-permitted or window scale without timestamps (the kernel's
//     cookie keeps them only in the timestamp echo); the cookie is the
//     kernel's: the client's ACK to this SYN+ACK, run through the program
//     at once, must pass as "cookie_valid" (the kernel accepts it);
//  5. an ACK to a listener with no socket passes as "cookie_valid" or is
//     dropped as "kernel_cookie_invalid": the oracle has no kernel secret,
//     so it insists only for cookies it saw the program issue in the last
//     50 s (which must pass);
//  8. no metadata for a valid cookie (there is no TC handoff in this mode).
#pragma once

#include <cstdint>
#include <span>

#include "datapath_env.h"
#include "frame_view.h"

namespace sg::fuzz {

// env is not const: kernel-cookie mode runs the ACK of every SYN+ACK.
void CheckInvariants(std::span<const uint8_t> input, const FrameView& view, const Outcome& outcome,
                     DatapathEnv& env);

// kernel-cookie: how many SYN+ACKs had their client's ACK run and accepted.
uint64_t KernelCookieAcksAccepted();

}  // namespace sg::fuzz
