// Frames for the flood generator: Ethernet + IPv4 or IPv6 + TCP, built once
// as a template and then varied per packet (source address, ports, sequence
// numbers, IP id or flow label, timestamp), with every checksum computed in
// full each time (IPv4's header; TCP's over the pseudo-header of its
// family), so that every frame would pass a receiver's checks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sgbench {

enum class FloodKind { kSyn, kAck };

struct FloodTarget {
  int family = 4;  // 4 or 6: which of the address fields below are used
  uint8_t src_mac[6];
  uint8_t dst_mac[6];
  uint16_t dst_port;
  // IPv4: host order; sources are src_net | (random & ~src_mask).
  uint32_t dst_ip;
  uint32_t src_net;
  uint32_t src_mask;
  // IPv6: network order; sources are src_net6 | (random & ~src_mask6).
  uint8_t dst_ip6[16];
  uint8_t src_net6[16];
  uint8_t src_mask6[16];
  // IPv6 only: instead of a random flow label, one that makes nftables
  // synproxy's checksum check pass as well. Its expression checks every
  // family with the IPv4 routine (nft_synproxy_do_eval() calls
  // nf_ip_checksum(); so on 6.18, by experiment): that takes bytes 12-19 of
  // the IPv6 header (the middle of the source address) for the addresses
  // and sums the whole IPv6 header into the segment. A SYN whose checksum
  // the NIC did not verify (CHECKSUM_NONE or _COMPLETE, as every AF_PACKET
  // frame through veth) then fails and is dropped before synproxy answers
  // it, so a flood would cost synproxy nothing and its row would measure the
  // bug. The low 16 bits of the flow label make that wrong sum come out
  // right too; the frame stays correct for every other receiver (the label
  // is not in the TCP pseudo-header), and the sources stay random.
  bool nft_synproxy_flow_label = false;
};

// Big enough for the largest frame we build (Ethernet 14 + IPv6 40 + TCP 40).
inline constexpr size_t kMaxFrame = 96;

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
// for ACKs, acknowledgment) number, IP id (IPv4) or flow label (IPv6) and
// TSval, and fixes the checksums.
void Randomize(FloodKind kind, const FloodTarget& t, FastRandom& rng, uint8_t* frame, size_t len);

// RFC 1071 ones'-complement sum, folded, not inverted; seed continues a sum.
uint32_t CsumPartial(const uint8_t* data, size_t len, uint32_t seed);
uint16_t CsumFold(uint32_t sum);

}  // namespace sgbench
