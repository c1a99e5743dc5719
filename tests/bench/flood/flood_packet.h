// Frames for the flood generator: Ethernet + IPv4 + TCP, built once as a
// template and then varied per packet (source address, ports, sequence
// numbers, IP id, timestamp), with both checksums computed in full each
// time, so that every frame would pass a receiver's checks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sgbench {

enum class FloodKind { kSyn, kAck };

struct FloodTarget {
  uint8_t src_mac[6];
  uint8_t dst_mac[6];
  uint32_t dst_ip;  // host order
  uint16_t dst_port;
  uint32_t src_net;  // host order; sources are src_net | (random & ~src_mask)
  uint32_t src_mask;
};

// Big enough for the largest frame we build (Ethernet 14 + IPv4 20 + TCP 40).
inline constexpr size_t kMaxFrame = 80;

// xoshiro128++-style generator: fast, and good enough to spread spoofed
// sources over the whole benchmark range (not for secrets).
class FastRandom {
 public:
  explicit FastRandom(uint64_t seed);
  uint32_t Next();

 private:
  uint32_t s_[4];
};

// Writes the template for kind into frame; returns its length.
size_t BuildTemplate(FloodKind kind, const FloodTarget& t, uint8_t* frame);

// Gives the frame a new random source address, source port, sequence (and,
// for ACKs, acknowledgment) number, IP id and TSval, and fixes both checksums.
void Randomize(FloodKind kind, const FloodTarget& t, FastRandom& rng, uint8_t* frame, size_t len);

// RFC 1071 ones'-complement sum, folded, not inverted; seed continues a sum.
uint32_t CsumPartial(const uint8_t* data, size_t len, uint32_t seed);
uint16_t CsumFold(uint32_t sum);

}  // namespace sgbench
