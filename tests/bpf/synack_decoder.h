// Parses the SYN+ACK the program wrote: Ethernet and VLAN tags, the IPv4 or
// IPv6 header, the TCP header and its option list. It only decodes; what the
// fields should be is the table's business. Anything that does not parse
// (a length that runs past the frame, a malformed option) is an error,
// because a SYN+ACK must be well formed to the last byte.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "packet_builder.h"
#include "util/result.h"

namespace sg::test {

struct TcpOption {
  uint8_t kind;
  std::vector<uint8_t> data;  // after kind and length; empty for NOP and EOL
};

struct DecodedSynAck {
  Mac eth_dst{};
  Mac eth_src{};
  std::vector<VlanTag> vlans;
  bool ipv6 = false;
  size_t l3_offset = 0;  // where the IP header starts
  size_t l4_offset = 0;  // where the TCP header starts

  // IPv4 fields, host order; ihl in bytes.
  uint8_t ihl = 0;
  uint16_t ip_total_len = 0;
  uint16_t frag_off = 0;
  uint8_t protocol = 0;  // IPv4 protocol or IPv6 next header
  uint8_t ttl = 0;       // or hop limit
  // IPv6 fields.
  uint32_t ver_tc_flow = 0;
  uint16_t payload_len = 0;
  IpAddr saddr{};
  IpAddr daddr{};

  uint16_t sport = 0;
  uint16_t dport = 0;
  uint32_t seq = 0;
  uint32_t ack_seq = 0;
  uint8_t doff_bytes = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  uint16_t urg_ptr = 0;
  std::vector<TcpOption> options;  // NOPs and EOLs included, in order

  std::vector<uint8_t> ip_header;    // as on the wire, checksum included
  std::vector<uint8_t> tcp_segment;  // header, options and any payload

  // The first option of this kind, or null.
  const TcpOption* Find(uint8_t kind) const;
  int Count(uint8_t kind) const;
};

sg::Result<DecodedSynAck> DecodeSynAck(std::span<const uint8_t> frame);

// The client's ACK to our SYN+ACK for `syn`, as a client writes it: seq =
// ISN + 1, ack = cookie + 1, and a timestamp echo (TSval client_tsval,
// TSecr our TSval) when the SYN+ACK had timestamps.
PacketSpec ClientAck(const PacketSpec& syn, const DecodedSynAck& synack, uint32_t client_tsval);

}  // namespace sg::test
