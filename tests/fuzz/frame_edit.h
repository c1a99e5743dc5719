// Frames from specs and specs from frames, shared by the mutator and the
// seed generator: random option lists, the frame of a real connection's
// segment, and the client's ACK to a SYN+ACK the program wrote.
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

// Runs syn through the program; if it was answered, the client's ACK to
// that SYN+ACK (seq = ISN + 1, ack = cookie + 1, TSecr = our TSval), else
// nothing. The frame keeps the SYN's layer 2 (tags included).
std::optional<std::vector<uint8_t>> CookieAckFor(DatapathEnv& env, std::span<const uint8_t> syn);

}  // namespace sg::fuzz
