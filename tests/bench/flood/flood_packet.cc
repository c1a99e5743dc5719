#include "flood_packet.h"

#include <arpa/inet.h>

#include <cstring>

namespace sgbench {

namespace {

constexpr size_t kEth = 14;
constexpr size_t kIp = 20;
// Offsets inside the frame.
constexpr size_t kIpId = kEth + 4;
constexpr size_t kIpCsum = kEth + 10;
constexpr size_t kIpSrc = kEth + 12;
constexpr size_t kTcp = kEth + kIp;
constexpr size_t kTcpSport = kTcp + 0;
constexpr size_t kTcpSeq = kTcp + 4;
constexpr size_t kTcpAck = kTcp + 8;
constexpr size_t kTcpCsum = kTcp + 16;

// What Linux 6.x puts in a SYN: MSS, SACK-permitted, timestamps, NOP,
// window scale 7. The TSval sits at byte 6 of the options.
constexpr uint8_t kSynOptions[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                   0, 0, 0,    0,    0, 0, 1, 3,  3, 7};
constexpr size_t kSynTsval = 6;
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
  Put16(frame + 12, 0x0800);

  uint8_t* ip = frame + kEth;
  ip[0] = 0x45;
  Put16(ip + 2, static_cast<uint16_t>(kIp + tcp_len));
  Put16(ip + 6, 0x4000);  // DF, as Linux sends
  ip[8] = 64;
  ip[9] = 6;
  Put32(ip + 16, t.dst_ip);

  uint8_t* tcp = frame + kTcp;
  Put16(tcp + 2, t.dst_port);
  tcp[12] = static_cast<uint8_t>((tcp_len / 4) << 4);
  tcp[13] = kind == FloodKind::kSyn ? 0x02 : 0x10;
  // Linux's SYN window (before scaling); an ACK's is scaled by 2^7.
  Put16(tcp + 14, kind == FloodKind::kSyn ? 64240 : 502);
  std::memcpy(tcp + 20, opts, opt_len);
  return kTcp + tcp_len;
}

void Randomize(FloodKind kind, const FloodTarget& t, FastRandom& rng, uint8_t* frame, size_t len) {
  uint32_t src = t.src_net | (rng.Next() & ~t.src_mask);
  uint32_t r = rng.Next();
  Put16(frame + kIpId, static_cast<uint16_t>(r));
  // Source ports from 1024 up: what a spoofing attacker sends.
  Put16(frame + kTcpSport, static_cast<uint16_t>(1024 + (r >> 16) % (65536 - 1024)));
  Put32(frame + kIpSrc, src);
  Put32(frame + kTcpSeq, rng.Next());
  size_t tsval = kTcp + 20 + (kind == FloodKind::kSyn ? kSynTsval : kAckTsval);
  Put32(frame + tsval, rng.Next());
  if (kind == FloodKind::kAck) {
    Put32(frame + kTcpAck, rng.Next());  // a guessed cookie
    Put32(frame + tsval + 4, rng.Next());
  }

  // IPv4 header checksum.
  frame[kIpCsum] = frame[kIpCsum + 1] = 0;
  Put16(frame + kIpCsum, static_cast<uint16_t>(~CsumFold(CsumPartial(frame + kEth, kIp, 0))));

  // TCP checksum over the pseudo-header and the segment.
  size_t tcp_len = len - kTcp;
  uint8_t pseudo[12];
  std::memcpy(pseudo, frame + kIpSrc, 8);  // source and destination
  pseudo[8] = 0;
  pseudo[9] = 6;
  Put16(pseudo + 10, static_cast<uint16_t>(tcp_len));
  frame[kTcpCsum] = frame[kTcpCsum + 1] = 0;
  uint32_t sum = CsumPartial(pseudo, sizeof(pseudo), 0);
  sum = CsumPartial(frame + kTcp, tcp_len, sum);
  Put16(frame + kTcpCsum, static_cast<uint16_t>(~CsumFold(sum)));
}

}  // namespace sgbench
