// Structure-aware mutations for libFuzzer: most calls edit one header field
// the program decides on (flags, IHL, data offset, lengths, ports, option
// kinds and lengths, VLAN tags, ethertype, IPv6 next header...), some build
// a fresh frame (a real established connection's ACK, the cookie ACK of a
// SYN the program just answered), and the rest are libFuzzer's own byte
// mutations. Bytes alone rarely keep a frame parseable far enough to reach
// the cookie or SYN+ACK code; fields do.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sg::fuzz {

size_t MutateFrame(uint8_t* data, size_t size, size_t max_size, unsigned seed);

}  // namespace sg::fuzz
