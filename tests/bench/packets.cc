#include "packets.h"

#include <arpa/inet.h>

#include <cstring>

namespace sg::bench {

namespace {

constexpr size_t kEthLen = 14, kIp4Len = 20, kIp6Len = 40, kTcpLen = 20, kUdpLen = 8;
constexpr uint8_t kProtoTcp = 6, kProtoUdp = 17;

void Put16(Bytes& b, size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v >> 8);
  b[off + 1] = static_cast<uint8_t>(v);
}

void Put32(Bytes& b, size_t off, uint32_t v) {
  Put16(b, off, static_cast<uint16_t>(v >> 16));
  Put16(b, off + 2, static_cast<uint16_t>(v));
}

uint16_t Get16(const Bytes& b, size_t off) {
  return static_cast<uint16_t>(b[off] << 8 | b[off + 1]);
}

uint32_t Get32(const Bytes& b, size_t off) {
  return static_cast<uint32_t>(Get16(b, off)) << 16 | Get16(b, off + 2);
}

// RFC 1071 sum of big-endian 16-bit words, not yet complemented.
uint32_t Sum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  return sum;
}

uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// Sum of the pseudo-header of an L4 segment of len bytes.
uint32_t PseudoSum(const Addr& src, const Addr& dst, uint8_t proto, size_t len) {
  size_t alen = src.v6 ? 16 : 4;
  uint32_t sum = Sum(src.bytes.data(), alen);
  sum = Sum(dst.bytes.data(), alen, sum);
  return sum + proto + static_cast<uint32_t>(len);
}

// Ethernet and IP headers for an L4 payload of l4_len bytes; returns the L4 offset.
size_t PutL2L3(Bytes& b, const Addr& src, const Addr& dst, uint8_t proto, size_t l4_len) {
  size_t l3 = src.v6 ? kIp6Len : kIp4Len;
  b.assign(kEthLen + l3 + l4_len, 0);
  const uint8_t client_mac[6] = {0x02, 0, 0, 0, 0, 0x01}, server_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
  std::memcpy(&b[0], server_mac, 6);
  std::memcpy(&b[6], client_mac, 6);
  Put16(b, 12, src.v6 ? 0x86dd : 0x0800);
  if (src.v6) {
    Put32(b, kEthLen, 0x60000000);
    Put16(b, kEthLen + 4, static_cast<uint16_t>(l4_len));
    b[kEthLen + 6] = proto;
    b[kEthLen + 7] = 64;
    std::memcpy(&b[kEthLen + 8], src.bytes.data(), 16);
    std::memcpy(&b[kEthLen + 24], dst.bytes.data(), 16);
  } else {
    b[kEthLen] = 0x45;
    Put16(b, kEthLen + 2, static_cast<uint16_t>(kIp4Len + l4_len));
    Put16(b, kEthLen + 6, 0x4000);  // DF, as Linux sends TCP
    b[kEthLen + 8] = 64;
    b[kEthLen + 9] = proto;
    std::memcpy(&b[kEthLen + 12], src.bytes.data(), 4);
    std::memcpy(&b[kEthLen + 16], dst.bytes.data(), 4);
    Put16(b, kEthLen + 10, Fold(Sum(&b[kEthLen], kIp4Len)));
  }
  return kEthLen + l3;
}

}  // namespace

Addr Ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  Addr r;
  r.bytes[0] = a;
  r.bytes[1] = b;
  r.bytes[2] = c;
  r.bytes[3] = d;
  return r;
}

Addr Ipv6Loopback() {
  Addr r;
  r.v6 = true;
  r.bytes[15] = 1;
  return r;
}

Bytes LinuxSynOptions(uint16_t mss, uint32_t tsval) {
  Bytes o = {2, 4, 0, 0, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7};
  Put16(o, 2, mss);
  Put32(o, 8, tsval);
  return o;
}

Bytes LinuxAckOptions(uint32_t tsval, uint32_t tsecr) {
  Bytes o = {1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0};
  Put32(o, 4, tsval);
  Put32(o, 8, tsecr);
  return o;
}

Bytes TcpPacket(const TcpSegment& s) {
  Bytes opts = s.options;
  while (opts.size() % 4) opts.push_back(0);
  size_t tcp_len = kTcpLen + opts.size();
  Bytes b;
  size_t l4 = PutL2L3(b, s.src, s.dst, kProtoTcp, tcp_len);
  Put16(b, l4, s.sport);
  Put16(b, l4 + 2, s.dport);
  Put32(b, l4 + 4, s.seq);
  Put32(b, l4 + 8, s.ack);
  b[l4 + 12] = static_cast<uint8_t>((tcp_len / 4) << 4);
  b[l4 + 13] = s.flags;
  Put16(b, l4 + 14, s.window);
  std::memcpy(&b[l4 + kTcpLen], opts.data(), opts.size());
  uint32_t sum = PseudoSum(s.src, s.dst, kProtoTcp, tcp_len);
  Put16(b, l4 + 16, Fold(Sum(&b[l4], tcp_len, sum)));
  return b;
}

Bytes UdpPacket(const Addr& src, const Addr& dst, uint16_t sport, uint16_t dport,
                size_t payload_len) {
  size_t udp_len = kUdpLen + payload_len;
  Bytes b;
  size_t l4 = PutL2L3(b, src, dst, kProtoUdp, udp_len);
  Put16(b, l4, sport);
  Put16(b, l4 + 2, dport);
  Put16(b, l4 + 4, static_cast<uint16_t>(udp_len));
  for (size_t i = 0; i < payload_len; ++i) b[l4 + kUdpLen + i] = static_cast<uint8_t>(i);
  uint16_t check = Fold(Sum(&b[l4], udp_len, PseudoSum(src, dst, kProtoUdp, udp_len)));
  Put16(b, l4 + 6, check ? check : 0xffff);
  return b;
}

std::optional<TcpView> ParseTcp(const Bytes& f) {
  if (f.size() < kEthLen + kIp4Len) return std::nullopt;
  Addr src, dst;
  size_t l4, tcp_len;
  bool ip_ok = true;
  uint16_t type = Get16(f, 12);
  if (type == 0x0800) {
    size_t ihl = (f[kEthLen] & 0xf) * 4u;
    if (f[kEthLen + 9] != kProtoTcp || ihl < kIp4Len) return std::nullopt;
    l4 = kEthLen + ihl;
    if (Get16(f, kEthLen + 2) < ihl || kEthLen + Get16(f, kEthLen + 2) > f.size())
      return std::nullopt;
    tcp_len = Get16(f, kEthLen + 2) - ihl;
    std::memcpy(src.bytes.data(), &f[kEthLen + 12], 4);
    std::memcpy(dst.bytes.data(), &f[kEthLen + 16], 4);
    ip_ok = Fold(Sum(&f[kEthLen], ihl)) == 0;
  } else if (type == 0x86dd) {
    if (f.size() < kEthLen + kIp6Len || f[kEthLen + 6] != kProtoTcp) return std::nullopt;
    src.v6 = dst.v6 = true;
    l4 = kEthLen + kIp6Len;
    tcp_len = Get16(f, kEthLen + 4);
    std::memcpy(src.bytes.data(), &f[kEthLen + 8], 16);
    std::memcpy(dst.bytes.data(), &f[kEthLen + 24], 16);
  } else {
    return std::nullopt;
  }
  if (tcp_len < kTcpLen || l4 + tcp_len > f.size()) return std::nullopt;
  size_t doff = (f[l4 + 12] >> 4) * 4u;
  if (doff < kTcpLen || doff > tcp_len) return std::nullopt;

  TcpView v;
  v.seq = Get32(f, l4 + 4);
  v.ack = Get32(f, l4 + 8);
  v.flags = f[l4 + 13];
  v.checksums_ok =
      ip_ok && Fold(Sum(&f[l4], tcp_len, PseudoSum(src, dst, kProtoTcp, tcp_len))) == 0;
  for (size_t off = l4 + kTcpLen; off < l4 + doff;) {
    uint8_t kind = f[off];
    if (kind == 0) break;
    if (kind == 1) {
      ++off;
      continue;
    }
    if (off + 1 >= l4 + doff || f[off + 1] < 2) break;
    if (kind == 8 && f[off + 1] == 10 && off + 10 <= l4 + doff) {
      v.tsval = Get32(f, off + 2);
      v.tsecr = Get32(f, off + 6);
    }
    off += f[off + 1];
  }
  return v;
}

}  // namespace sg::bench
