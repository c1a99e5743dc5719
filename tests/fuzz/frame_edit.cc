#include "frame_edit.h"

#include <arpa/inet.h>
#include <linux/bpf.h>

#include <cstring>

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

test::PacketSpec ListenerSyn(Rng& rng) {
  struct Target {
    bool v6;
    const char* client;
    const char* server;
    uint16_t port;
  };
  static constexpr Target kTargets[] = {
      {false, "127.0.0.1", "127.0.0.1", kLoopbackPort},
      {true, "::1", "::1", kLoopbackPort},
      {false, "127.0.0.1", "127.0.0.1", kWildcardListenPort},
      {false, "10.0.0.1", "10.0.0.2", kWildcardListenPort},
      {true, "2001:db8::1", "2001:db8::2", kWildcardListenPort},
      {true, "::1", "::1", kWildcardListenPort},
  };
  const Target& t = kTargets[rng() % std::size(kTargets)];
  test::PacketSpec s = t.v6 ? test::SynV6() : test::SynV4();
  s.saddr = test::Ip(t.client);
  s.daddr = test::Ip(t.server);
  s.dport = t.port;
  // Unprotected and not the established client's: a connection made from
  // it on lo sends nothing the TC program counts.
  s.sport = static_cast<uint16_t>(20000 + rng() % 20000);
  if (s.sport == kLoopbackClient) ++s.sport;
  s.seq = rng();
  s.tcp_options = rng() % 3 ? test::TcpOptions::LinuxSyn(t.v6 ? 1440 : 1460, rng(), rng() % 15)
                            : RandomOptions(rng);
  if (rng() % 4 == 0) s.tcp_flags |= kEce | kCwr;
  return s;
}

namespace {

// The ACK of syn (its headers up to the fixed TCP header) with seq, ack and,
// when ts is set, a timestamp option (TSval, TSecr) behind two NOPs.
std::vector<uint8_t> AckFrame(std::span<const uint8_t> syn, const FrameView& v, uint32_t seq,
                              uint32_t ack, std::optional<std::pair<uint32_t, uint32_t>> ts) {
  size_t l4 = *v.l4;
  std::vector<uint8_t> frame(syn.begin(), syn.begin() + l4 + 20);
  if (ts) {
    const uint8_t opts[] = {1, 1, 8, 10};
    frame.insert(frame.end(), std::begin(opts), std::end(opts));
    frame.resize(frame.size() + 8);
    Store32(frame, frame.size() - 8, ts->first);
    Store32(frame, frame.size() - 4, ts->second);
  }
  size_t tcp_len = frame.size() - l4;
  Store32(frame, l4 + 4, seq);
  Store32(frame, l4 + 8, ack);
  frame[l4 + 12] = static_cast<uint8_t>(tcp_len / 4 << 4);
  frame[l4 + 13] = kAck;
  if (v.ipv6)
    Store16(frame, *v.l3 + 4, static_cast<uint16_t>(tcp_len));
  else
    Store16(frame, *v.l3 + 2, static_cast<uint16_t>(v.ihl + tcp_len));
  FixChecksums(frame);
  return frame;
}

}  // namespace

std::optional<std::vector<uint8_t>> AckForSynAck(std::span<const uint8_t> syn,
                                                 std::span<const uint8_t> synack) {
  FrameView v = ViewFrame(syn);
  if (!v.IsPureSyn()) return std::nullopt;
  auto d = test::DecodeSynAck(synack);
  if (!d) return std::nullopt;
  std::optional<std::pair<uint32_t, uint32_t>> ts;
  if (const test::TcpOption* opt = d->Find(8); opt && opt->data.size() == 8)
    ts = {{0x5eed0002, Load32(opt->data, 0)}};  // TSecr = our TSval
  return AckFrame(syn, v, v.seq + 1, d->seq + 1, ts);
}

std::optional<std::vector<uint8_t>> CookieAckFor(DatapathEnv& env, std::span<const uint8_t> syn) {
  FrameView v = ViewFrame(syn);
  if (!v.IsPureSyn()) return std::nullopt;
  Outcome o = env.Run(syn);
  if (o.error || o.verdict != XDP_TX) return std::nullopt;
  return AckForSynAck(syn, o.frame);
}

std::optional<std::vector<uint8_t>> HostCookieAckFor(const DatapathEnv& env,
                                                     std::span<const uint8_t> syn,
                                                     bool spoil_echo) {
  FrameView v = ViewFrame(syn);
  if (!v.IsPureSyn()) return std::nullopt;
  const sg_config& cfg = env.config();
  const OptionOffer& offer = v.offer;
  sg_syn_opts o{};
  o.mss = offer.mss.value_or(0);
  o.sack_ok = offer.sack && !(cfg.flags & SG_CFG_NO_SACK);
  o.wscale_ok = offer.wscale && !(cfg.flags & SG_CFG_NO_WSCALE);
  o.wscale = offer.wscale.value_or(0);
  o.ts_ok = offer.tsval && !(cfg.flags & SG_CFG_NO_TS);
  o.tsval = offer.tsval.value_or(0);
  o.ecn_ok = (v.flags & (kEce | kCwr)) == (kEce | kCwr);

  sg_tuple t{};
  t.family = v.ipv6 ? SG_AF_INET6 : SG_AF_INET;
  std::memcpy(t.saddr, v.saddr.data(), v.ipv6 ? 16 : 4);
  std::memcpy(t.daddr, v.daddr.data(), v.ipv6 ? 16 : 4);
  t.sport = htons(v.sport);
  t.dport = htons(v.dport);
  uint32_t cookie = 0;
  if (sg_cookie_encode(&env.secrets(), &cfg, &t, v.seq, &o, env.NowNs(), &cookie))
    return std::nullopt;

  std::optional<std::pair<uint32_t, uint32_t>> ts;
  if (o.ts_ok) {
    uint32_t bits = sg_ts_options(&o, cfg.flags & SG_CFG_ECN);
    if (spoil_echo) bits ^= 1u + static_cast<uint32_t>(v.seq % SG_TS_OPT_MASK);  // never 0
    uint32_t ours = (static_cast<uint32_t>(DatapathEnv::MonotonicNs() >> 20) & ~SG_TS_OPT_MASK) |
                    (bits & SG_TS_OPT_MASK);
    ts = {{o.tsval + 1, ours}};
  }
  return AckFrame(syn, v, v.seq + 1, cookie + 1, ts);
}

}  // namespace sg::fuzz
