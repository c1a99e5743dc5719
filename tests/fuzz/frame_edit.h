// Frames from specs and specs from frames, shared by the mutator and the
// seed generator: random option lists, the frame of a real connection's
// segment, SYNs to the world's listeners, and the client's ACK to a SYN+ACK
// (one the program wrote, or one the host build of the cookie codec makes).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "datapath_env.h"
#include "packet_builder.h"

namespace sg::fuzz {

using Rng = std::mt19937;

// Option bytes a client might send, and some it should not: known kinds
// with right and wrong lengths, NOP/EOL runs, unknown kinds, lengths that
// overrun the option space.
test::TcpOptions RandomOptions(Rng& rng);

// A segment of the real established loopback connection (fuzz_world.h)
// with the given flags and arbitrary seq/ack/options/payload.
test::PacketSpec EstablishedSegment(Rng& rng, bool v6, uint8_t flags);

// A SYN from a random client to one of the world's listeners (fuzz_world.h),
// with random options; the client port is never a protected one.
test::PacketSpec ListenerSyn(Rng& rng);

// The client's ACK to synack, a SYN+ACK answering syn: seq = ISN + 1,
// ack = cookie + 1, TSecr = our TSval. The frame keeps the SYN's layer 2
// (tags included). Nothing if syn is not a pure SYN or synack does not parse.
std::optional<std::vector<uint8_t>> AckForSynAck(std::span<const uint8_t> syn,
                                                 std::span<const uint8_t> synack);

// Runs syn through the XDP program; if it was answered, AckForSynAck().
std::optional<std::vector<uint8_t>> CookieAckFor(DatapathEnv& env, std::span<const uint8_t> syn);

// The client's ACK to the SYN+ACK the reqsk datapath would send for syn,
// made without running it: the host build of the cookie codec
// (include/synguard/cookie.h) encodes the cookie from the world's secrets
// and clock and the options as frame_view.h reads them, and TSecr carries
// the option bits of our TSval. spoil_echo flips some of those bits, so
// that the echo contradicts the cookie. Nothing if syn is not a pure SYN.
std::optional<std::vector<uint8_t>> HostCookieAckFor(const DatapathEnv& env,
                                                     std::span<const uint8_t> syn,
                                                     bool spoil_echo = false);

}  // namespace sg::fuzz
