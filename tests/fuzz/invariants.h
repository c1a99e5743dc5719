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
#pragma once

#include <cstdint>
#include <span>

#include "datapath_env.h"
#include "frame_view.h"

namespace sg::fuzz {

void CheckInvariants(std::span<const uint8_t> input, const FrameView& view, const Outcome& outcome,
                     const DatapathEnv& env);

}  // namespace sg::fuzz
