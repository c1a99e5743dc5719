#include "frame_view.h"

#include <algorithm>

#include "reference_checksum.h"

namespace sg::fuzz {

namespace {

constexpr uint16_t kEthIpv4 = 0x0800, kEthIpv6 = 0x86dd, kEthQ = 0x8100, kEthAd = 0x88a8;
constexpr uint8_t kProtoTcp = 6;

// IPv4 at v.l3. Returns false when the header is not a usable one.
bool ReadIpv4(std::span<const uint8_t> f, FrameView& v) {
  size_t at = *v.l3;
  if (f[at] >> 4 != 4) return false;
  v.ihl = (f[at] & 0xf) * 4u;
  size_t total = Load16(f, at + 2);
  std::copy_n(f.begin() + at + 12, 4, v.saddr.begin());
  std::copy_n(f.begin() + at + 16, 4, v.daddr.begin());
  if (v.ihl >= 20 && at + v.ihl + 20 <= f.size()) v.l4 = at + v.ihl;
  if (v.ihl < 20 || total < v.ihl || at + total > f.size()) return false;
  if (Load16(f, at + 6) & 0x3fff) return false;  // MF or a fragment offset
  if (f[at + 9] != kProtoTcp) return false;
  v.l4_room = total - v.ihl;
  return true;
}

bool ReadIpv6(std::span<const uint8_t> f, FrameView& v) {
  size_t at = *v.l3;
  v.ipv6 = true;
  v.ihl = 40;
  std::copy_n(f.begin() + at + 8, 16, v.saddr.begin());
  std::copy_n(f.begin() + at + 24, 16, v.daddr.begin());
  if (at + 60 <= f.size()) v.l4 = at + 40;
  size_t payload = Load16(f, at + 4);
  if (f[at] >> 4 != 6 || at + 40 + payload > f.size()) return false;
  // Any extension header in front of TCP makes it "not TCP" here.
  if (f[at + 6] != kProtoTcp) return false;
  v.l4_room = payload;
  return true;
}

}  // namespace

uint16_t Load16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

uint32_t Load32(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint32_t>(Load16(b, at)) << 16 | Load16(b, at + 2);
}

void Store16(std::span<uint8_t> b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}

void Store32(std::span<uint8_t> b, size_t at, uint32_t v) {
  Store16(b, at, static_cast<uint16_t>(v >> 16));
  Store16(b, at + 2, static_cast<uint16_t>(v));
}

OptionOffer ReadOffer(std::span<const uint8_t> o) {
  OptionOffer offer;
  size_t i = 0;
  while (i < o.size()) {
    uint8_t kind = o[i];
    if (kind == 0) break;  // EOL
    if (kind == 1) {       // NOP
      ++i;
      continue;
    }
    if (i + 1 >= o.size()) break;
    size_t len = o[i + 1];
    if (len < 2 || i + len > o.size()) break;
    if (kind == 2 && len == 4) offer.mss = Load16(o, i + 2);
    if (kind == 3 && len == 3) offer.wscale = o[i + 2];
    if (kind == 4 && len == 2) offer.sack = true;
    if (kind == 8 && len == 10) {
      offer.tsval = Load32(o, i + 2);
      offer.tsecr = Load32(o, i + 6);
    }
    i += len;
  }
  return offer;
}

FrameView ViewFrame(std::span<const uint8_t> f) {
  FrameView v;
  v.size = f.size();
  if (f.size() < 14) return v;
  size_t at = 12;
  uint16_t type = Load16(f, at);
  while ((type == kEthQ || type == kEthAd) && v.vlans < 2) {
    if (at + 6 > f.size()) {
      v.ethertype_at = at;
      v.ethertype = type;
      return v;  // a tag without room for the type behind it
    }
    at += 4;
    ++v.vlans;
    type = Load16(f, at);
  }
  v.ethertype_at = at;
  v.ethertype = type;
  size_t l3 = at + 2;
  bool ip_ok = false;
  if (type == kEthIpv4 && l3 + 20 <= f.size()) {
    v.l3 = l3;
    ip_ok = ReadIpv4(f, v);
  } else if (type == kEthIpv6 && l3 + 40 <= f.size()) {
    v.l3 = l3;
    ip_ok = ReadIpv6(f, v);
  }
  if (!v.l4) return v;
  size_t t = *v.l4;
  v.sport = Load16(f, t);
  v.dport = Load16(f, t + 2);
  v.seq = Load32(f, t + 4);
  v.ack_seq = Load32(f, t + 8);
  v.flags = f[t + 13];
  v.tcp_len = (f[t + 12] >> 4) * 4u;
  if (!ip_ok || v.tcp_len < 20 || v.tcp_len > v.l4_room || t + v.tcp_len > f.size()) return v;
  v.tcp_ok = true;
  v.offer = ReadOffer(f.subspan(t + 20, v.tcp_len - 20));
  return v;
}

void FixChecksums(std::span<uint8_t> f) {
  FrameView v = ViewFrame(f);
  if (!v.tcp_ok) return;
  size_t l3 = *v.l3, l4 = *v.l4;
  auto seg = f.subspan(l4, v.l4_room);
  Store16(f, l4 + 16, 0);
  uint16_t sum;
  if (v.ipv6) {
    sum = test::TcpChecksumV6(std::span<const uint8_t, 16>(f.data() + l3 + 8, 16),
                              std::span<const uint8_t, 16>(f.data() + l3 + 24, 16), seg);
  } else {
    Store16(f, l3 + 10, 0);
    Store16(f, l3 + 10, test::InternetChecksum(f.subspan(l3, v.ihl)));
    sum = test::TcpChecksumV4(std::span<const uint8_t, 4>(f.data() + l3 + 12, 4),
                              std::span<const uint8_t, 4>(f.data() + l3 + 16, 4), seg);
  }
  Store16(f, l4 + 16, sum);
}

}  // namespace sg::fuzz
