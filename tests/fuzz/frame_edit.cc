#include "frame_edit.h"

#include <linux/bpf.h>

#include "frame_view.h"
#include "fuzz_world.h"
#include "synack_decoder.h"

namespace sg::fuzz {

namespace {

template <class T>
T Pick(Rng& rng, std::initializer_list<T> choices) {
  return *(choices.begin() + rng() % choices.size());
}

}  // namespace

test::TcpOptions RandomOptions(Rng& rng) {
  test::TcpOptions o;
  int n = static_cast<int>(rng() % 7);
  for (int i = 0; i < n; ++i) {
    switch (rng() % 10) {
      case 0:
        o.Mss(Pick<uint16_t>(rng, {0, 88, 536, 1220, 1300, 1440, 1460, 8960, 65535}));
        break;
      case 1:
        o.WindowScale(static_cast<uint8_t>(Pick<int>(rng, {0, 7, 14, 15, 255})));
        break;
      case 2:
        o.SackPermitted();
        break;
      case 3:
        o.Timestamp(rng(), rng() % 2 ? 0 : rng());
        break;
      case 4:
        o.Nop();
        break;
      case 5:
        o.Eol();
        break;
      case 6:  // a known kind with a wrong length
        o.Bytes({Pick<uint8_t>(rng, {2, 3, 4, 8}), Pick<uint8_t>(rng, {0, 1, 3, 5, 9, 11, 40})});
        break;
      case 7:  // an unknown kind stepped over by its length
        o.Raw(Pick<uint8_t>(rng, {5, 19, 29, 30, 34, 99, 253, 254}),
              std::vector<uint8_t>(rng() % 10, 0xa5));
        break;
      case 8:  // a length byte that runs past the option space
        o.Bytes({static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng())});
        break;
      default:
        o = test::TcpOptions::LinuxSyn(1460, rng(), 7);
        break;
    }
  }
  return o;
}

test::PacketSpec EstablishedSegment(Rng& rng, bool v6, uint8_t flags) {
  test::PacketSpec s = v6 ? test::SynV6() : test::SynV4();
  s.saddr = s.daddr = test::Ip(v6 ? "::1" : "127.0.0.1");
  s.sport = kLoopbackClient;
  s.dport = kLoopbackPort;
  s.tcp_flags = flags;
  s.seq = rng();
  s.ack_seq = rng();
  s.window = static_cast<uint16_t>(rng());
  if (rng() % 2) s.tcp_options = test::TcpOptions().Nop().Nop().Timestamp(rng(), rng());
  if (rng() % 4 == 0) s.tcp_options = RandomOptions(rng);
  if (rng() % 2) s.payload.assign(rng() % 200, static_cast<uint8_t>(rng()));
  if (rng() % 4 == 0) s.vlans = {{0x8100, static_cast<uint16_t>(rng() & 0xfff)}};
  return s;
}

std::optional<std::vector<uint8_t>> CookieAckFor(DatapathEnv& env, std::span<const uint8_t> syn) {
  FrameView v = ViewFrame(syn);
  if (!v.IsPureSyn()) return std::nullopt;
  Outcome o = env.Run(syn);
  if (o.error || o.verdict != XDP_TX) return std::nullopt;
  auto synack = test::DecodeSynAck(o.frame);
  if (!synack) return std::nullopt;

  // The SYN's headers up to the fixed TCP header, then the ACK's options.
  size_t l4 = *v.l4;
  std::vector<uint8_t> ack(syn.begin(), syn.begin() + l4 + 20);
  if (const test::TcpOption* ts = synack->Find(8)) {
    const uint8_t opts[] = {1, 1, 8, 10, 0x5e, 0xed, 0, 2};
    ack.insert(ack.end(), std::begin(opts), std::end(opts));
    ack.insert(ack.end(), ts->data.begin(), ts->data.begin() + 4);  // TSecr = our TSval
  }
  size_t tcp_len = ack.size() - l4;
  Store32(ack, l4 + 4, v.seq + 1);
  Store32(ack, l4 + 8, synack->seq + 1);
  ack[l4 + 12] = static_cast<uint8_t>(tcp_len / 4 << 4);
  ack[l4 + 13] = kAck;
  if (v.ipv6)
    Store16(ack, *v.l3 + 4, static_cast<uint16_t>(tcp_len));
  else
    Store16(ack, *v.l3 + 2, static_cast<uint16_t>(v.ihl + tcp_len));
  FixChecksums(ack);
  return ack;
}

}  // namespace sg::fuzz
