// Builds test frames byte by byte: Ethernet, up to two VLAN tags, IPv4 (with
// options) or IPv6 (with an optional extension header), TCP (with options)
// or UDP, or an ARP request. A PacketSpec is plain data: a table row starts
// from one of the Syn*() defaults and edits the fields it is about, including
// the "wrong on purpose" overrides that make a malformed frame.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "synguard/shared.h"

namespace sg::test {

using Mac = std::array<uint8_t, 6>;
// An IPv4 address uses the first 4 bytes.
using IpAddr = std::array<uint8_t, 16>;

inline constexpr uint16_t kEthIpv4 = 0x0800;
inline constexpr uint16_t kEthIpv6 = 0x86dd;
inline constexpr uint16_t kEthArp = 0x0806;
inline constexpr uint16_t kEth8021Q = 0x8100;
inline constexpr uint16_t kEth8021AD = 0x88a8;

inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;

inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr uint8_t kTcpEce = 0x40;
inline constexpr uint8_t kTcpCwr = 0x80;

inline constexpr uint8_t kOptEol = 0;
inline constexpr uint8_t kOptNop = 1;
inline constexpr uint8_t kOptMss = 2;
inline constexpr uint8_t kOptWscale = 3;
inline constexpr uint8_t kOptSackPerm = 4;
inline constexpr uint8_t kOptTimestamp = 8;

// "10.0.0.1" or "2001:db8::1"; aborts on a typo, which is a bug in a test.
IpAddr Ip(const std::string& text);

// TCP option bytes, in the order the calls are made. No padding is added:
// the builder pads the option area to a multiple of 4 with EOL bytes.
class TcpOptions {
 public:
  TcpOptions& Mss(uint16_t mss);
  TcpOptions& WindowScale(uint8_t shift);
  TcpOptions& SackPermitted();
  TcpOptions& Timestamp(uint32_t tsval, uint32_t tsecr);
  TcpOptions& Nop();
  TcpOptions& Eol();
  // Any kind with a length byte of 2 + data.size().
  TcpOptions& Raw(uint8_t kind, const std::vector<uint8_t>& data);
  // Bytes exactly as given (for a bad length byte, say).
  TcpOptions& Bytes(const std::vector<uint8_t>& bytes);

  // What Linux sends in a SYN: MSS, SACK-permitted, timestamps, NOP, window scale.
  static TcpOptions LinuxSyn(uint16_t mss, uint32_t tsval, uint8_t wscale);

  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

enum class L3 { kIpv4, kIpv6, kArp };

struct VlanTag {
  uint16_t tpid;  // 0x8100 or 0x88a8
  uint16_t tci;
};

struct PacketSpec {
  Mac eth_dst = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};  // the server
  Mac eth_src = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};  // the client
  std::vector<VlanTag> vlans;                          // outermost first

  L3 l3 = L3::kIpv4;
  IpAddr saddr{};
  IpAddr daddr{};
  uint8_t ttl = 64;                 // or hop limit
  uint16_t frag_off = 0x4000;       // IPv4 flags + offset, host order (DF)
  uint8_t protocol = kIpProtoTcp;   // IPv4 protocol / IPv6 next header of the L4
  std::vector<uint8_t> ip_options;  // IPv4; padded to 4 bytes with EOL
  // IPv6: an 8-byte extension header of this type in front of the L4 header.
  std::optional<uint8_t> ipv6_ext_header;
  // Its six bytes after next header and length; default a PadN option (for
  // a fragment header: offset 32, more fragments; for a routing header:
  // segments left 4).
  std::optional<std::array<uint8_t, 6>> ipv6_ext_body;

  uint16_t sport = 40000;
  uint16_t dport = 80;
  uint32_t seq = 0x11223344;
  uint32_t ack_seq = 0;
  uint8_t tcp_flags = kTcpSyn;
  uint16_t window = 64240;
  TcpOptions tcp_options;
  std::vector<uint8_t> payload;  // after the TCP or UDP header

  // Malformations: when set, these replace what the builder would write.
  std::optional<uint8_t> ihl;            // IPv4 header length field (words)
  std::optional<uint16_t> ip_total_len;  // IPv4 total length / IPv6 payload length
  std::optional<uint8_t> ip_version;     // version nibble
  std::optional<uint8_t> doff;           // TCP data offset field (words)
  std::optional<size_t> truncate_to;     // cut the frame to this many bytes
  std::optional<size_t> pad_to;          // Ethernet padding up to this many bytes
};

// A SYN from 10.0.0.1:40000 (2001:db8::1) to 10.0.0.2:80 (2001:db8::2).
PacketSpec SynV4();
PacketSpec SynV6();

// The frame, checksums right (as computed by reference_checksum.h) unless
// an override makes them meaningless.
std::vector<uint8_t> BuildFrame(const PacketSpec& spec);

// Length of the Ethernet header and tags of spec.
size_t L2Length(const PacketSpec& spec);

// The connection of spec as the server (and the cookie codec) sees it:
// the client is the source, ports in network order.
sg_tuple TupleOf(const PacketSpec& spec);

// A big-endian 32-bit word of b at offset at.
uint32_t Be32(const std::vector<uint8_t>& b, size_t at);

// spec after edit: rows and seeds describe a packet as a change to a base.
PacketSpec With(PacketSpec spec, const std::function<void(PacketSpec&)>& edit);

// base as a SYN (plus extra_flags) carrying options.
PacketSpec Syn(PacketSpec base, const TcpOptions& options, uint8_t extra_flags = 0);

}  // namespace sg::test
