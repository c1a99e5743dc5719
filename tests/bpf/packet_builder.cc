#include "packet_builder.h"

#include <arpa/inet.h>

#include <cstring>

#include <cstdlib>
#include <cstdio>
#include <span>

#include "reference_checksum.h"

namespace sg::test {

namespace {

void Put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void Put32(std::vector<uint8_t>& out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v));
}

void Set16(std::vector<uint8_t>& out, size_t at, uint16_t v) {
  out[at] = static_cast<uint8_t>(v >> 8);
  out[at + 1] = static_cast<uint8_t>(v);
}

void Append(std::vector<uint8_t>& out, std::span<const uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

// Pads with EOL (zero) bytes to a multiple of 4, as option areas are.
std::vector<uint8_t> PadTo4(std::vector<uint8_t> bytes) {
  while (bytes.size() % 4) bytes.push_back(kOptEol);
  return bytes;
}

bool IsV6(const PacketSpec& s) { return s.l3 == L3::kIpv6; }

// TCP or UDP header and payload, checksum included.
std::vector<uint8_t> BuildL4(const PacketSpec& s) {
  std::vector<uint8_t> seg;
  if (s.protocol == kIpProtoTcp) {
    std::vector<uint8_t> opts = PadTo4(s.tcp_options.bytes());
    Put16(seg, s.sport);
    Put16(seg, s.dport);
    Put32(seg, s.seq);
    Put32(seg, s.ack_seq);
    uint8_t doff = s.doff.value_or(static_cast<uint8_t>(5 + opts.size() / 4));
    seg.push_back(static_cast<uint8_t>(doff << 4));
    seg.push_back(s.tcp_flags);
    Put16(seg, s.window);
    Put16(seg, 0);  // checksum, below
    Put16(seg, 0);  // urgent pointer
    Append(seg, opts);
  } else if (s.protocol == kIpProtoUdp) {
    Put16(seg, s.sport);
    Put16(seg, s.dport);
    Put16(seg, static_cast<uint16_t>(8 + s.payload.size()));
    Put16(seg, 0);
  }
  Append(seg, s.payload);
  // UDP frames keep a zero checksum: the program only has to see they are not TCP.
  if (s.protocol != kIpProtoTcp) return seg;
  uint16_t sum = IsV6(s) ? TcpChecksumV6(std::span<const uint8_t, 16>(s.saddr.data(), 16),
                                         std::span<const uint8_t, 16>(s.daddr.data(), 16), seg)
                         : TcpChecksumV4(std::span<const uint8_t, 4>(s.saddr.data(), 4),
                                         std::span<const uint8_t, 4>(s.daddr.data(), 4), seg);
  Set16(seg, 16, sum);
  return seg;
}

std::vector<uint8_t> BuildIpv4(const PacketSpec& s, const std::vector<uint8_t>& l4) {
  std::vector<uint8_t> opts = PadTo4(s.ip_options);
  size_t hlen = 20 + opts.size();
  std::vector<uint8_t> ip;
  uint8_t ihl = s.ihl.value_or(static_cast<uint8_t>(hlen / 4));
  ip.push_back(static_cast<uint8_t>(s.ip_version.value_or(4) << 4 | (ihl & 0xf)));
  ip.push_back(0);  // TOS
  Put16(ip, s.ip_total_len.value_or(static_cast<uint16_t>(hlen + l4.size())));
  Put16(ip, 0x1234);  // identification
  Put16(ip, s.frag_off);
  ip.push_back(s.ttl);
  ip.push_back(s.protocol);
  Put16(ip, 0);  // checksum, below
  Append(ip, std::span<const uint8_t>(s.saddr.data(), 4));
  Append(ip, std::span<const uint8_t>(s.daddr.data(), 4));
  Append(ip, opts);
  Set16(ip, 10, InternetChecksum(ip));
  Append(ip, l4);
  return ip;
}

std::vector<uint8_t> BuildIpv6(const PacketSpec& s, const std::vector<uint8_t>& l4) {
  std::vector<uint8_t> ext;
  if (s.ipv6_ext_header) {
    // Next header, length 0 (8 bytes), and a PadN option filling the rest.
    ext = {s.protocol, 0, 1, 4, 0, 0, 0, 0};
    if (s.ipv6_ext_body)
      std::copy(s.ipv6_ext_body->begin(), s.ipv6_ext_body->end(), ext.begin() + 2);
  }
  std::vector<uint8_t> ip;
  Put32(ip, static_cast<uint32_t>(s.ip_version.value_or(6)) << 28);
  Put16(ip, s.ip_total_len.value_or(static_cast<uint16_t>(ext.size() + l4.size())));
  ip.push_back(s.ipv6_ext_header.value_or(s.protocol));
  ip.push_back(s.ttl);
  Append(ip, s.saddr);
  Append(ip, s.daddr);
  Append(ip, ext);
  Append(ip, l4);
  return ip;
}

// An ARP request: who has 10.0.0.2, tell 10.0.0.1.
std::vector<uint8_t> BuildArp(const PacketSpec& s) {
  std::vector<uint8_t> arp;
  Put16(arp, 1);  // Ethernet
  Put16(arp, kEthIpv4);
  arp.push_back(6);
  arp.push_back(4);
  Put16(arp, 1);  // request
  Append(arp, s.eth_src);
  Append(arp, std::span<const uint8_t>(s.saddr.data(), 4));
  Append(arp, Mac{});
  Append(arp, std::span<const uint8_t>(s.daddr.data(), 4));
  return arp;
}

}  // namespace

IpAddr Ip(const std::string& text) {
  IpAddr a{};
  int af = text.find(':') == std::string::npos ? AF_INET : AF_INET6;
  if (inet_pton(af, text.c_str(), a.data()) != 1) {
    std::fprintf(stderr, "bad address in a test: %s\n", text.c_str());
    std::abort();
  }
  return a;
}

TcpOptions& TcpOptions::Mss(uint16_t mss) {
  return Bytes({kOptMss, 4, static_cast<uint8_t>(mss >> 8), static_cast<uint8_t>(mss)});
}

TcpOptions& TcpOptions::WindowScale(uint8_t shift) { return Bytes({kOptWscale, 3, shift}); }

TcpOptions& TcpOptions::SackPermitted() { return Bytes({kOptSackPerm, 2}); }

TcpOptions& TcpOptions::Timestamp(uint32_t tsval, uint32_t tsecr) {
  std::vector<uint8_t> b = {kOptTimestamp, 10};
  Put32(b, tsval);
  Put32(b, tsecr);
  return Bytes(b);
}

TcpOptions& TcpOptions::Nop() { return Bytes({kOptNop}); }

TcpOptions& TcpOptions::Eol() { return Bytes({kOptEol}); }

TcpOptions& TcpOptions::Raw(uint8_t kind, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> b = {kind, static_cast<uint8_t>(2 + data.size())};
  Append(b, data);
  return Bytes(b);
}

TcpOptions& TcpOptions::Bytes(const std::vector<uint8_t>& bytes) {
  Append(bytes_, bytes);
  return *this;
}

TcpOptions TcpOptions::LinuxSyn(uint16_t mss, uint32_t tsval, uint8_t wscale) {
  TcpOptions o;
  o.Mss(mss).SackPermitted().Timestamp(tsval, 0).Nop().WindowScale(wscale);
  return o;
}

PacketSpec SynV4() {
  PacketSpec s;
  s.saddr = Ip("10.0.0.1");
  s.daddr = Ip("10.0.0.2");
  return s;
}

PacketSpec SynV6() {
  PacketSpec s;
  s.l3 = L3::kIpv6;
  s.saddr = Ip("2001:db8::1");
  s.daddr = Ip("2001:db8::2");
  return s;
}

size_t L2Length(const PacketSpec& spec) { return 14 + 4 * spec.vlans.size(); }

std::vector<uint8_t> BuildFrame(const PacketSpec& s) {
  std::vector<uint8_t> frame;
  Append(frame, s.eth_dst);
  Append(frame, s.eth_src);
  for (const VlanTag& tag : s.vlans) {
    Put16(frame, tag.tpid);
    Put16(frame, tag.tci);
  }
  switch (s.l3) {
    case L3::kIpv4:
      Put16(frame, kEthIpv4);
      Append(frame, BuildIpv4(s, BuildL4(s)));
      break;
    case L3::kIpv6:
      Put16(frame, kEthIpv6);
      Append(frame, BuildIpv6(s, BuildL4(s)));
      break;
    case L3::kArp:
      Put16(frame, kEthArp);
      Append(frame, BuildArp(s));
      break;
  }
  if (s.pad_to && frame.size() < *s.pad_to) frame.resize(*s.pad_to, 0);
  if (s.truncate_to && frame.size() > *s.truncate_to) frame.resize(*s.truncate_to);
  return frame;
}

PacketSpec With(PacketSpec spec, const std::function<void(PacketSpec&)>& edit) {
  edit(spec);
  return spec;
}

PacketSpec Syn(PacketSpec base, const TcpOptions& options, uint8_t extra_flags) {
  base.tcp_options = options;
  base.tcp_flags = static_cast<uint8_t>(kTcpSyn | extra_flags);
  return base;
}

sg_tuple TupleOf(const PacketSpec& spec) {
  const bool v6 = spec.l3 == L3::kIpv6;
  sg_tuple t{};
  t.family = v6 ? SG_AF_INET6 : SG_AF_INET;
  std::memcpy(t.saddr, spec.saddr.data(), v6 ? 16 : 4);
  std::memcpy(t.daddr, spec.daddr.data(), v6 ? 16 : 4);
  t.sport = htons(spec.sport);
  t.dport = htons(spec.dport);
  return t;
}

uint32_t Be32(const std::vector<uint8_t>& b, size_t at) {
  return static_cast<uint32_t>(b[at]) << 24 | static_cast<uint32_t>(b[at + 1]) << 16 |
         static_cast<uint32_t>(b[at + 2]) << 8 | b[at + 3];
}

}  // namespace sg::test
