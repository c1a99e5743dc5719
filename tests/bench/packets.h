// Test packets for the benchmark, built byte by byte with correct IPv4, TCP
// and UDP checksums, and a parser for what the programs send back.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace sg::bench {

using Bytes = std::vector<uint8_t>;

struct Addr {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4, network order
};

Addr Ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
Addr Ipv6Loopback();  // ::1

// One segment from client (src) to server (dst); ports in host order.
struct TcpSegment {
  Addr src, dst;
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t window = 64240;
  Bytes options;  // padded with EOL to a multiple of 4
};

inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

// What Linux puts in a SYN: MSS, SACK-permitted, timestamps, NOP, window scale 7.
Bytes LinuxSynOptions(uint16_t mss, uint32_t tsval);
// What Linux puts in a bare ACK: NOP, NOP, timestamps.
Bytes LinuxAckOptions(uint32_t tsval, uint32_t tsecr);

Bytes TcpPacket(const TcpSegment& s);
Bytes UdpPacket(const Addr& src, const Addr& dst, uint16_t sport, uint16_t dport,
                size_t payload_len);

// The TCP header of an Ethernet + IPv4/IPv6 frame, with checksums verified.
struct TcpView {
  uint8_t flags = 0;
  uint32_t seq = 0, ack = 0;
  std::optional<uint32_t> tsval, tsecr;
  bool checksums_ok = false;
};
std::optional<TcpView> ParseTcp(const Bytes& frame);

}  // namespace sg::bench
