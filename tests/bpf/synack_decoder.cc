#include "synack_decoder.h"

#include <algorithm>
#include <string>

namespace sg::test {

namespace {

constexpr int kMaxTags = 4;

uint16_t Get16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

uint32_t Get32(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint32_t>(Get16(b, at)) << 16 | Get16(b, at + 2);
}

sg::Error Short(const std::string& what, size_t need, size_t have) {
  return sg::Error(what + ": needs " + std::to_string(need) + " bytes, the frame has " +
                   std::to_string(have));
}

sg::Result<std::vector<TcpOption>> DecodeOptions(std::span<const uint8_t> opts) {
  std::vector<TcpOption> out;
  size_t i = 0;
  while (i < opts.size()) {
    uint8_t kind = opts[i];
    if (kind == kOptEol || kind == kOptNop) {
      out.push_back({kind, {}});
      ++i;
      continue;
    }
    if (i + 2 > opts.size()) return sg::Error("option " + std::to_string(kind) + " has no length");
    uint8_t len = opts[i + 1];
    if (len < 2 || i + len > opts.size())
      return sg::Error("option " + std::to_string(kind) + " has bad length " + std::to_string(len));
    out.push_back({kind, std::vector<uint8_t>(opts.begin() + i + 2, opts.begin() + i + len)});
    i += len;
  }
  return out;
}

}  // namespace

const TcpOption* DecodedSynAck::Find(uint8_t kind) const {
  auto it = std::find_if(options.begin(), options.end(),
                         [kind](const TcpOption& o) { return o.kind == kind; });
  return it == options.end() ? nullptr : &*it;
}

int DecodedSynAck::Count(uint8_t kind) const {
  return static_cast<int>(std::count_if(options.begin(), options.end(),
                                        [kind](const TcpOption& o) { return o.kind == kind; }));
}

sg::Result<DecodedSynAck> DecodeSynAck(std::span<const uint8_t> f) {
  DecodedSynAck d;
  if (f.size() < 14) return Short("Ethernet header", 14, f.size());
  std::copy_n(f.begin(), 6, d.eth_dst.begin());
  std::copy_n(f.begin() + 6, 6, d.eth_src.begin());
  size_t off = 12;
  uint16_t type = Get16(f, off);
  while (type == kEth8021Q || type == kEth8021AD) {
    if (d.vlans.size() == kMaxTags) return sg::Error("too many VLAN tags");
    if (f.size() < off + 6) return Short("VLAN tag", off + 6, f.size());
    d.vlans.push_back({type, Get16(f, off + 2)});
    off += 4;
    type = Get16(f, off);
  }
  off += 2;
  d.l3_offset = off;

  size_t tcp_room = 0;  // bytes the IP header says follow it
  if (type == kEthIpv4) {
    if (f.size() < off + 20) return Short("IPv4 header", off + 20, f.size());
    if (f[off] >> 4 != 4)
      return sg::Error("IPv4 header with version " + std::to_string(f[off] >> 4));
    d.ihl = static_cast<uint8_t>((f[off] & 0xf) * 4);
    d.ip_total_len = Get16(f, off + 2);
    d.frag_off = Get16(f, off + 6);
    d.ttl = f[off + 8];
    d.protocol = f[off + 9];
    std::copy_n(f.begin() + off + 12, 4, d.saddr.begin());
    std::copy_n(f.begin() + off + 16, 4, d.daddr.begin());
    if (d.ihl < 20 || d.ip_total_len < d.ihl || f.size() < off + d.ip_total_len)
      return sg::Error("IPv4 lengths do not fit: ihl " + std::to_string(d.ihl) + ", total " +
                       std::to_string(d.ip_total_len) + ", frame " + std::to_string(f.size()));
    d.ip_header.assign(f.begin() + off, f.begin() + off + d.ihl);
    tcp_room = d.ip_total_len - d.ihl;
    off += d.ihl;
  } else if (type == kEthIpv6) {
    d.ipv6 = true;
    if (f.size() < off + 40) return Short("IPv6 header", off + 40, f.size());
    d.ver_tc_flow = Get32(f, off);
    d.payload_len = Get16(f, off + 4);
    d.protocol = f[off + 6];
    d.ttl = f[off + 7];
    std::copy_n(f.begin() + off + 8, 16, d.saddr.begin());
    std::copy_n(f.begin() + off + 24, 16, d.daddr.begin());
    if (f.size() < off + 40 + d.payload_len)
      return Short("IPv6 payload", off + 40 + d.payload_len, f.size());
    d.ip_header.assign(f.begin() + off, f.begin() + off + 40);
    tcp_room = d.payload_len;
    off += 40;
  } else {
    return sg::Error("not IP: ethertype " + std::to_string(type));
  }
  if (d.protocol != kIpProtoTcp)
    return sg::Error("not TCP: protocol " + std::to_string(d.protocol));
  d.l4_offset = off;

  if (tcp_room < 20) return Short("TCP header", 20, tcp_room);
  auto tcp = f.subspan(off, tcp_room);
  d.sport = Get16(tcp, 0);
  d.dport = Get16(tcp, 2);
  d.seq = Get32(tcp, 4);
  d.ack_seq = Get32(tcp, 8);
  d.doff_bytes = static_cast<uint8_t>((tcp[12] >> 4) * 4);
  d.flags = tcp[13];
  d.window = Get16(tcp, 14);
  d.urg_ptr = Get16(tcp, 18);
  if (d.doff_bytes < 20 || d.doff_bytes > tcp.size())
    return sg::Error("TCP data offset " + std::to_string(d.doff_bytes) + " does not fit in " +
                     std::to_string(tcp.size()) + " bytes");
  sg::Result<std::vector<TcpOption>> opts = DecodeOptions(tcp.subspan(20, d.doff_bytes - 20));
  if (!opts) return opts.take_error();
  d.options = std::move(*opts);
  d.tcp_segment.assign(tcp.begin(), tcp.end());
  return d;
}

PacketSpec ClientAck(const PacketSpec& syn, const DecodedSynAck& synack, uint32_t client_tsval) {
  PacketSpec ack = syn;
  ack.tcp_flags = kTcpAck;
  ack.seq = syn.seq + 1;
  ack.ack_seq = synack.seq + 1;
  ack.tcp_options = TcpOptions();
  if (const TcpOption* ts = synack.Find(kOptTimestamp))
    ack.tcp_options.Nop().Nop().Timestamp(client_tsval, Be32(ts->data, 0));
  return ack;
}

}  // namespace sg::test
