#include "flood_packet.h"

#include <arpa/inet.h>

#include <cstring>

namespace sgbench {

namespace {

constexpr size_t kEth = 14;
constexpr size_t kIp4 = 20;
constexpr size_t kIp6 = 40;
// Offsets inside the frame: the IP header's from the frame's start, the TCP
// header's from its own start (it follows the IP header of the family).
constexpr size_t kIp4Id = kEth + 4;
constexpr size_t kIp4Csum = kEth + 10;
constexpr size_t kIp4Src = kEth + 12;
constexpr size_t kIp6Src = kEth + 8;  // then the destination, 16 bytes on
constexpr size_t kTcpSport = 0;
constexpr size_t kTcpSeq = 4;
constexpr size_t kTcpAck = 8;
constexpr size_t kTcpCsum = 16;

size_t TcpOffset(const FloodTarget& t) { return kEth + (t.family == 6 ? kIp6 : kIp4); }

// What Linux 6.x puts in a SYN: MSS, SACK-permitted, timestamps, NOP,
// window scale 7. The TSval sits at byte 8 of the options (after MSS,
// SACK-permitted and the timestamp's kind and length). The MSS is the
// one of a 1500-byte MTU: 1460 over IPv4, 1440 over IPv6 (patched in).
constexpr uint8_t kSynOptions[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                   0, 0, 0,    0,    0, 0, 1, 3,  3, 7};
constexpr size_t kSynTsval = 8;
constexpr uint16_t kSynMss6 = 1440;
// What Linux puts in a pure ACK: NOP, NOP, timestamps (TSval, TSecr).
constexpr uint8_t kAckOptions[] = {1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0};
constexpr size_t kAckTsval = 4;

void Put16(uint8_t* p, uint16_t v) {
  v = htons(v);
  std::memcpy(p, &v, 2);
}

void Put32(uint8_t* p, uint32_t v) {
  v = htonl(v);
  std::memcpy(p, &v, 4);
}

uint32_t Rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

}  // namespace

FastRandom::FastRandom(uint64_t seed) {
  // splitmix64 spreads any seed (even 0) over the whole state.
  for (int i = 0; i < 4; i += 2) {
    uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    s_[i] = static_cast<uint32_t>(z);
    s_[i + 1] = static_cast<uint32_t>(z >> 32);
  }
}

uint32_t FastRandom::Next() {
  uint32_t result = Rotl(s_[0] + s_[3], 7) + s_[0];
  uint32_t t = s_[1] << 9;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 11);
  return result;
}

uint32_t CsumPartial(const uint8_t* data, size_t len, uint32_t seed) {
  uint64_t sum = seed;
  for (; len >= 2; data += 2, len -= 2) sum += static_cast<uint32_t>(data[0] << 8 | data[1]);
  if (len) sum += static_cast<uint32_t>(data[0] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint32_t>(sum);
}

uint16_t CsumFold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

size_t BuildTemplate(FloodKind kind, const FloodTarget& t, uint8_t* frame) {
  const uint8_t* opts = kind == FloodKind::kSyn ? kSynOptions : kAckOptions;
  size_t opt_len = kind == FloodKind::kSyn ? sizeof(kSynOptions) : sizeof(kAckOptions);
  size_t tcp_len = 20 + opt_len;
  std::memset(frame, 0, kMaxFrame);

  std::memcpy(frame, t.dst_mac, 6);
  std::memcpy(frame + 6, t.src_mac, 6);
  uint8_t* ip = frame + kEth;
  if (t.family == 6) {
    Put16(frame + 12, 0x86dd);
    Put32(ip, 6u << 28);  // version; traffic class 0; flow label per packet
    Put16(ip + 4, static_cast<uint16_t>(tcp_len));
    ip[6] = 6;  // next header: TCP, no extension headers
    ip[7] = 64;
    std::memcpy(ip + 24, t.dst_ip6, 16);
  } else {
    Put16(frame + 12, 0x0800);
    ip[0] = 0x45;
    Put16(ip + 2, static_cast<uint16_t>(kIp4 + tcp_len));
    Put16(ip + 6, 0x4000);  // DF, as Linux sends
    ip[8] = 64;
    ip[9] = 6;
    Put32(ip + 16, t.dst_ip);
  }

  uint8_t* tcp = frame + TcpOffset(t);
  Put16(tcp + 2, t.dst_port);
  tcp[12] = static_cast<uint8_t>((tcp_len / 4) << 4);
  tcp[13] = kind == FloodKind::kSyn ? 0x02 : 0x10;
  // Linux's SYN window (before scaling); an ACK's is scaled by 2^7.
  Put16(tcp + 14, kind == FloodKind::kSyn ? 64240 : 502);
  std::memcpy(tcp + 20, opts, opt_len);
  if (kind == FloodKind::kSyn && t.family == 6) Put16(tcp + 22, kSynMss6);
  return TcpOffset(t) + tcp_len;
}

void Randomize(FloodKind kind, const FloodTarget& t, FastRandom& rng, uint8_t* frame, size_t len) {
  size_t tcp_off = TcpOffset(t);
  uint8_t* tcp = frame + tcp_off;
  size_t tcp_len = len - tcp_off;
  uint32_t r = rng.Next();
  // Source ports from 1024 up: what a spoofing attacker sends.
  Put16(tcp + kTcpSport, static_cast<uint16_t>(1024 + (r >> 16) % (65536 - 1024)));
  Put32(tcp + kTcpSeq, rng.Next());
  size_t tsval = 20 + (kind == FloodKind::kSyn ? kSynTsval : kAckTsval);
  Put32(tcp + tsval, rng.Next());
  if (kind == FloodKind::kAck) {
    Put32(tcp + kTcpAck, rng.Next());  // a guessed cookie
    Put32(tcp + tsval + 4, rng.Next());
  }

  // The pseudo-header's sum: the addresses straight from the frame, then
  // the protocol and the TCP length (RFC 793; RFC 8200 section 8.1).
  uint32_t sum;
  if (t.family == 6) {
    // Linux sets a flow label per connection (auto_flowlabels): random here.
    Put32(frame + kEth, (6u << 28) | (rng.Next() & 0xfffff));
    uint8_t* src = frame + kIp6Src;
    for (int i = 0; i < 16; i += 4) {
      uint32_t word = rng.Next();
      for (int b = 0; b < 4; ++b) {
        uint8_t rb = static_cast<uint8_t>(word >> (8 * b));
        src[i + b] = static_cast<uint8_t>(t.src_net6[i + b] | (rb & ~t.src_mask6[i + b]));
      }
    }
    if (t.nft_synproxy_flow_label) {
      // nf_ip_checksum() on this frame sums: "addresses" (header bytes
      // 12-19), the TCP length and protocol, then the IPv6 header and the
      // segment. The segment sums right with the real pseudo-header (source
      // and destination, the same length and protocol), so the check passes
      // when bytes 12-19 and the header's first 8 bytes sum to zero. Bytes
      // 2-3 are the low 16 bits of the flow label: the free word.
      uint8_t* ip = frame + kEth;
      ip[2] = ip[3] = 0;
      uint32_t rest = CsumPartial(ip, 8, CsumPartial(ip + 12, 8, 0));
      Put16(ip + 2, static_cast<uint16_t>(0xffff - CsumFold(rest)));
    }
    uint8_t tail[8] = {0, 0, 0, 0, 0, 0, 0, 6};
    Put32(tail, static_cast<uint32_t>(tcp_len));
    sum = CsumPartial(src, 32, 0);  // source and destination
    sum = CsumPartial(tail, sizeof(tail), sum);
  } else {
    Put16(frame + kIp4Id, static_cast<uint16_t>(r));
    Put32(frame + kIp4Src, t.src_net | (rng.Next() & ~t.src_mask));
    frame[kIp4Csum] = frame[kIp4Csum + 1] = 0;
    Put16(frame + kIp4Csum, static_cast<uint16_t>(~CsumFold(CsumPartial(frame + kEth, kIp4, 0))));
    uint8_t tail[4] = {0, 6, 0, 0};
    Put16(tail + 2, static_cast<uint16_t>(tcp_len));
    sum = CsumPartial(frame + kIp4Src, 8, 0);  // source and destination
    sum = CsumPartial(tail, sizeof(tail), sum);
  }
  tcp[kTcpCsum] = tcp[kTcpCsum + 1] = 0;
  sum = CsumPartial(tcp, tcp_len, sum);
  Put16(tcp + kTcpCsum, static_cast<uint16_t>(~CsumFold(sum)));
}

}  // namespace sgbench
