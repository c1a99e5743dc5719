#include "mutator.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "frame_edit.h"
#include "frame_view.h"
#include "fuzz_world.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace sg::fuzz {

namespace {

using Frame = std::vector<uint8_t>;

template <class T>
T Pick(Rng& rng, std::initializer_list<T> choices) {
  return *(choices.begin() + rng() % choices.size());
}

uint16_t PickPort(Rng& rng) {
  return Pick<uint16_t>(rng, {kEngagedPort, kEngagedPort2, kObservedPort, kOpenPort, kLoopbackPort,
                              kLoopbackClient, static_cast<uint16_t>(rng())});
}

// A value near a correct length, or one of the edges.
uint16_t NearLength(Rng& rng, size_t right) {
  switch (rng() % 4) {
    case 0:
      return static_cast<uint16_t>(right);
    case 1:
      return static_cast<uint16_t>(right + (rng() % 9) - 4);
    case 2:
      return Pick<uint16_t>(rng, {0, 1, 19, 20, 40, 59, 60, 0xffff});
    default:
      return static_cast<uint16_t>(rng());
  }
}

// The IP length fields say the packet ends where the frame does.
void FixLengths(Frame& f) {
  FrameView v = ViewFrame(f);
  if (!v.l3) return;
  size_t l3 = *v.l3;
  if (v.ipv6)
    Store16(f, l3 + 4, static_cast<uint16_t>(f.size() - l3 - 40));
  else
    Store16(f, l3 + 2, static_cast<uint16_t>(f.size() - l3));
  FixChecksums(f);
}

// Replaces the TCP option area with new bytes and makes doff and the IP
// length agree, trailing payload kept.
void ReplaceOptions(Frame& f, Rng& rng) {
  FrameView v = ViewFrame(f);
  if (!v.l4) return;
  size_t l4 = *v.l4;
  size_t old = std::clamp<size_t>(v.tcp_len, 20, f.size() - l4) - 20;
  std::vector<uint8_t> opts = RandomOptions(rng).bytes();
  while (opts.size() % 4) opts.push_back(0);
  opts.resize(std::min<size_t>(opts.size(), 40));
  f.erase(f.begin() + l4 + 20, f.begin() + l4 + 20 + old);
  f.insert(f.begin() + l4 + 20, opts.begin(), opts.end());
  f[l4 + 12] = static_cast<uint8_t>(((20 + opts.size()) / 4) << 4 | (f[l4 + 12] & 0xf));
  FixLengths(f);
}

void SetSource(Frame& f, const FrameView& v, Rng& rng) {
  if (!v.l3) return;
  size_t at = *v.l3 + (v.ipv6 ? 8 : 12);
  if (v.ipv6) {
    std::vector<uint8_t> a = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    switch (rng() % 4) {
      case 0:  // denylisted /48
        a[4] = 0xde, a[5] = 0xad, a[15] = static_cast<uint8_t>(rng());
        break;
      case 1:  // allowlisted
        a[4] = 0xbe, a[5] = 0xef, a[15] = 7;
        break;
      case 2:
        a.assign(16, 0), a[15] = 1;  // ::1
        break;
    }
    std::copy(a.begin(), a.end(), f.begin() + at);
    return;
  }
  const uint8_t* src = Pick<const uint8_t*>(rng, {kClientV4, kDeniedV4, kAllowedV4, kLoopbackV4});
  std::copy(src, src + 4, f.begin() + at);
  if (rng() % 4 == 0) f[at + 3] = static_cast<uint8_t>(rng());
}

// One field edit; returns false when the frame has no such field.
bool EditField(Frame& f, Rng& rng) {
  FrameView v = ViewFrame(f);
  switch (rng() % 16) {
    case 0:  // TCP flags
      if (!v.l4) return false;
      f[*v.l4 + 13] =
          Pick<uint8_t>(rng, {kSyn, kSyn, kAck, kSyn | kAck, kRst, kFin | kAck, kSyn | kFin,
                              kSyn | kRst, kSyn | kEce | kCwr, kSyn | kEce, kPsh | kAck,
                              kAck | kUrg, 0, static_cast<uint8_t>(rng())});
      return true;
    case 1:  // destination port
      if (!v.l4) return false;
      Store16(f, *v.l4 + 2, PickPort(rng));
      return true;
    case 2:  // source port
      if (!v.l4) return false;
      Store16(f, *v.l4, PickPort(rng));
      return true;
    case 3:
      if (!v.l3) return false;
      SetSource(f, v, rng);
      return true;
    case 4:  // IHL
      if (!v.l3 || v.ipv6) return false;
      f[*v.l3] = static_cast<uint8_t>((f[*v.l3] & 0xf0) | (rng() % 16));
      return true;
    case 5:  // IPv4 total length / IPv6 payload length
      if (!v.l3) return false;
      Store16(f, *v.l3 + (v.ipv6 ? 4 : 2), NearLength(rng, f.size() - *v.l3 - (v.ipv6 ? 40 : 0)));
      return true;
    case 6:  // fragment bits
      if (!v.l3 || v.ipv6) return false;
      Store16(f, *v.l3 + 6, Pick<uint16_t>(rng, {0, 0x4000, 0x2000, 0x0001, 0x1fff, 0x6000}));
      return true;
    case 7:  // data offset
      if (!v.l4) return false;
      f[*v.l4 + 12] = static_cast<uint8_t>((rng() % 16) << 4);
      return true;
    case 8:  // version nibble
      if (!v.l3) return false;
      f[*v.l3] = static_cast<uint8_t>(Pick<int>(rng, {4, 6, 0, 15}) << 4 | (f[*v.l3] & 0xf));
      return true;
    case 9:  // IPv6 next header / IPv4 protocol
      if (!v.l3) return false;
      f[*v.l3 + (v.ipv6 ? 6 : 9)] = Pick<uint8_t>(
          rng, {6, 6, 17, 0, 43, 44, 50, 51, 59, 60, 135, static_cast<uint8_t>(rng())});
      return true;
    case 10:  // ethertype behind the tags
      if (v.ethertype_at + 2 > f.size()) return false;
      Store16(f, v.ethertype_at,
              Pick<uint16_t>(rng, {0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x9100,
                                   static_cast<uint16_t>(rng())}));
      return true;
    case 11: {  // push a VLAN tag
      uint16_t tag[2] = {Pick<uint16_t>(rng, {0x8100, 0x88a8}), static_cast<uint16_t>(rng())};
      uint8_t b[4] = {static_cast<uint8_t>(tag[0] >> 8), static_cast<uint8_t>(tag[0]),
                      static_cast<uint8_t>(tag[1] >> 8), static_cast<uint8_t>(tag[1])};
      f.insert(f.begin() + 12, b, b + 4);
      return true;
    }
    case 12:  // pop the outer VLAN tag
      if (v.vlans == 0) return false;
      f.erase(f.begin() + 12, f.begin() + 16);
      return true;
    case 13:
      ReplaceOptions(f, rng);
      return v.l4.has_value();
    case 14: {  // one option byte: a kind or a length
      if (!v.l4 || v.tcp_len <= 20 || *v.l4 + v.tcp_len > f.size()) return false;
      size_t at = *v.l4 + 20 + rng() % (v.tcp_len - 20);
      f[at] = Pick<uint8_t>(rng, {0, 1, 2, 3, 4, 8, 10, 40, 255, static_cast<uint8_t>(f[at] + 1),
                                  static_cast<uint8_t>(f[at] - 1)});
      return true;
    }
    default: {  // sequence or acknowledgment number
      if (!v.l4) return false;
      size_t at = *v.l4 + (rng() % 2 ? 4 : 8);
      Store32(f, at, rng() % 2 ? rng() : Load32(f, at) ^ (1u << (rng() % 32)));
      return true;
    }
  }
}

// Cuts at a header boundary or anywhere, or grows: padding, payload, or
// past one buffer (the multi-buffer path).
void Resize(Frame& f, Rng& rng, size_t max_size) {
  FrameView v = ViewFrame(f);
  if (rng() % 2 && f.size() > 14) {
    std::vector<size_t> cuts = {14, 16, 18, f.size() - 1};
    if (v.l3) cuts.insert(cuts.end(), {*v.l3 + 12, *v.l3 + 20, *v.l3 + 39});
    if (v.l4) cuts.insert(cuts.end(), {*v.l4 + 13, *v.l4 + 20, *v.l4 + v.tcp_len - 1});
    size_t cut = cuts[rng() % cuts.size()];
    f.resize(std::clamp<size_t>(cut, 14, f.size()));
    return;
  }
  size_t past_one_buffer = f.size() <= kMaxLinearFrame ? kMaxLinearFrame + 1 - f.size() : 1;
  size_t grow = Pick<size_t>(rng, {1, 4, 6, 46, 300, past_one_buffer, 5000});
  f.resize(std::min(f.size() + grow, max_size), static_cast<uint8_t>(rng() % 2 ? 0 : rng()));
  if (rng() % 2) FixLengths(f);
}

}  // namespace

// The client's ACK to the SYN+ACK the host codec would send for f (or for a
// fresh SYN to a listener when f is no SYN); now and then with a spoiled
// timestamp echo or one more field edit.
void HostCookieAck(Frame& f, Rng& rng) {
  if (!ViewFrame(f).IsPureSyn()) f = test::BuildFrame(ListenerSyn(rng));
  if (auto ack = HostCookieAckFor(DatapathEnv::Get(), f, rng() % 4 == 0)) {
    f = std::move(*ack);
    if (rng() % 4 == 0) EditField(f, rng);
  }
}

size_t MutateFrame(uint8_t* data, size_t size, size_t max_size, unsigned seed) {
  Rng rng(seed);
  unsigned op = rng() % 20;
  if (op < 5 || size < 14) return LLVMFuzzerMutate(data, size, max_size);
  // The TC program only looks at ACKs: give it more cookie ACKs to judge.
  if (DatapathEnv::Get().mode() == FuzzMode::kTc && (op == 10 || op == 11)) op = 9;

  Frame f(data, data + size);
  if (op == 5) {  // a segment of the real connection, usually an ACK
    uint8_t flags =
        Pick<uint8_t>(rng, {kAck, kAck | kPsh, kAck | kFin, kAck | kEce | kCwr, kAck | kUrg, kSyn,
                            kRst, kSyn | kAck, static_cast<uint8_t>(rng())});
    f = test::BuildFrame(EstablishedSegment(rng, rng() % 3 == 0, flags));
  } else if (op == 6) {  // the client's answer to our SYN+ACK
    if (auto ack = CookieAckFor(DatapathEnv::Get(), f)) {
      f = std::move(*ack);
      if (rng() % 3 == 0) EditField(f, rng);  // then spoil something
    } else {
      EditField(f, rng);
    }
  } else if (op == 7) {
    Resize(f, rng, max_size);
  } else if (op == 8) {
    FixLengths(f);
  } else if (op == 9) {
    HostCookieAck(f, rng);
  } else {
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < edits; ++i) EditField(f, rng);
    if (rng() % 2) FixChecksums(f);
  }
  size_t n = std::min(f.size(), max_size);
  std::memcpy(data, f.data(), n);
  return n;
}

}  // namespace sg::fuzz
