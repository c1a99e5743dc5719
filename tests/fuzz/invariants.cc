#include "invariants.h"

#include <arpa/inet.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "datapath/xdp_action.h"
#include "frame_edit.h"
#include "reference_checksum.h"
#include "synack_decoder.h"

namespace sg::fuzz {

namespace {

uint64_t g_kernel_cookie_acks = 0;

void Dump(const char* title, std::span<const uint8_t> b) {
  std::fprintf(stderr, "%s (%zu bytes):", title, b.size());
  for (size_t i = 0; i < b.size(); ++i) std::fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", b[i]);
  std::fprintf(stderr, "\n");
}

// Everything needed to tell a violation apart from a harness mistake.
class Checker {
 public:
  Checker(std::span<const uint8_t> in, const FrameView& v, const Outcome& o, DatapathEnv& env)
      : in_(in), v_(v), o_(o), env_(env) {}

  void Check() {
    CheckVerdictAndCounter();
    uint32_t want = ExpectedReason();
    bool ok = reason_ == want ||
              (want == kAnyParseReason && (IsParseReason(reason_) || IsOddSynDrop(reason_))) ||
              (want == kAnyKernelCookieReason &&
               (reason_ == SG_R_PASS_COOKIE_VALID || reason_ == SG_R_DROP_KERNEL_COOKIE));
    if (!ok)
      Fail("reason", std::string("expected ") + (want == kAnyParseReason ? "a parse pass reason"
                                                 : want == kAnyKernelCookieReason
                                                     ? "the kernel's cookie verdict"
                                                     : Name(want)));
    if (o_.verdict == XDP_TX)
      CheckSynAck();
    else if (o_.frame.size() != in_.size() || !std::equal(in_.begin(), in_.end(), o_.frame.begin()))
      Fail("untouched", "a passed or dropped frame came back changed");
    CheckMeta();
  }

 private:
  static constexpr uint32_t kAnyParseReason = ~0u;
  // kernel-cookie: valid or not, only the kernel's secret can tell.
  static constexpr uint32_t kAnyKernelCookieReason = ~1u;

  [[noreturn]] void Fail(const char* rule, const std::string& detail) const {
    std::fprintf(stderr, "\n==== synguard XDP invariant violated: %s\n%s\n", rule, detail.c_str());
    std::fprintf(stderr, "verdict %s, reason %s\n", sg::XdpActionName(o_.verdict),
                 reason_ < SG_R_MAX ? Name(reason_).c_str() : "?");
    Dump("input", in_);
    Dump("output", o_.frame);
    Dump("metadata", o_.meta);
    std::abort();
  }

  static std::string Name(uint32_t r) {
    return std::string(sg_reason_verdicts[r]) + "/" + sg_reason_names[r];
  }

  static bool IsParseReason(uint32_t r) {
    return r == SG_R_PASS_NOT_IP || r == SG_R_PASS_NOT_TCP || r == SG_R_PASS_MALFORMED ||
           r == SG_R_PASS_FRAGMENT || r == SG_R_PASS_IPV6_EXTHDR;
  }

  // What the program may do with a SYN it will not answer for its form (a
  // first fragment, IPv6 extension headers): drop it while its port is
  // engaged, or as the denylist says.
  static bool IsOddSynDrop(uint32_t r) {
    return r == SG_R_DROP_SYN_FRAGMENT || r == SG_R_DROP_SYN_EXTHDR || r == SG_R_DROP_DENYLIST;
  }

  // An address no single host has, written from RFC 6890 / RFC 4291 rather
  // than from include/synguard/address.h: 0.0.0.0/8, 224.0.0.0/4 and up;
  // ::, ff00::/8, ::ffff:0:0/96. Loopback counts for a source only.
  bool NotUnicast(std::span<const uint8_t> a, bool source) const {
    if (!v_.ipv6) return a[0] == 0 || a[0] >= 224 || (source && a[0] == 127);
    if (a[0] == 0xff) return true;
    static const uint8_t zero10[10] = {};
    if (std::memcmp(a.data(), zero10, 10) != 0) return false;
    if (a[10] == 0xff && a[11] == 0xff) return true;  // IPv4-mapped
    bool low_zero = std::all_of(a.begin() + 10, a.begin() + 15, [](uint8_t b) { return b == 0; });
    if (low_zero && a[15] == 0) return true;                // ::
    return source && low_zero && a[15] == 1 && a[10] == 0;  // ::1
  }

  // Not this host's to answer: another MAC, no host's address, or another
  // host's (the program passes these for the kernel to forward or drop).
  uint32_t DestinationRefusal() const {
    if (!std::equal(in_.begin(), in_.begin() + 6, DatapathEnv::ServerMac().begin()))
      return SG_R_PASS_NOT_OUR_MAC;
    if (NotUnicast(Daddr(), false)) return SG_R_PASS_DST_NOT_UNICAST;
    if (DatapathEnv::LocalKind(Daddr(), v_.ipv6) != SG_ADDR_LOCAL) return SG_R_PASS_DST_NOT_LOCAL;
    return 0;
  }

  // Rule 1.
  void CheckVerdictAndCounter() {
    if (o_.verdict != XDP_PASS && o_.verdict != XDP_DROP && o_.verdict != XDP_TX)
      Fail("verdict", "only XDP_PASS, XDP_DROP and XDP_TX are allowed");
    if (o_.moved.size() != 1 || o_.moved[0].second != 1) {
      std::string moved;
      for (auto [r, n] : o_.moved) moved += " " + Name(r) + "+" + std::to_string(n);
      Fail("one counter", "exactly one reason counter must move by one; moved:" + moved);
    }
    reason_ = o_.moved[0].first;
    std::string cls = sg_reason_verdicts[reason_];
    const char* want = o_.verdict == XDP_TX ? "tx" : o_.verdict == XDP_DROP ? "drop" : "pass";
    if (cls != want) Fail("one counter", "the counted reason disagrees with the verdict");
  }

  std::span<const uint8_t> Saddr() const { return {v_.saddr.data(), v_.ipv6 ? 16u : 4u}; }
  std::span<const uint8_t> Daddr() const { return {v_.daddr.data(), v_.ipv6 ? 16u : 4u}; }

  sg_tuple Tuple() const {
    sg_tuple t{};
    t.family = v_.ipv6 ? SG_AF_INET6 : SG_AF_INET;
    std::memcpy(t.saddr, v_.saddr.data(), v_.ipv6 ? 16 : 4);
    std::memcpy(t.daddr, v_.daddr.data(), v_.ipv6 ? 16 : 4);
    t.sport = htons(v_.sport);
    t.dport = htons(v_.dport);
    return t;
  }

  // Rules 2, 4, 5, 6, 7 as one decision, in the order DESIGN.md gives them.
  // v_ is the view of what the program can see (the first buffer).
  uint32_t ExpectedReason() const {
    if (!v_.tcp_ok) return kAnyParseReason;  // rule 7
    uint32_t port = env_.PortFlags(v_.dport);
    if (!(port & SG_PORT_PROTECTED)) return SG_R_PASS_UNPROTECTED;
    bool engaged = port & SG_PORT_ENGAGED;
    if (v_.IsPureSyn()) {
      uint32_t list = env_.ListOf(Saddr(), v_.ipv6);
      if (list == SG_LIST_DENY) return SG_R_DROP_DENYLIST;
      if (!engaged) return SG_R_PASS_NOT_ENGAGED;
      if (list == SG_LIST_ALLOW) return SG_R_PASS_ALLOWLIST;
      // Only where the kernel would accept the handshake (issue 14).
      if (uint32_t r = DestinationRefusal()) return r;
      if (NotUnicast(Saddr(), true)) return SG_R_DROP_SRC_NOT_UNICAST;
      if (DatapathEnv::LocalKind(Saddr(), v_.ipv6)) return SG_R_DROP_SRC_LOCAL;
      if (in_.size() > kMaxLinearFrame) return SG_R_DROP_SYN_MULTIBUF;
      // A SYN on a tuple that has a socket is the kernel's to answer
      // (challenge ACK, TIME_WAIT reuse).
      if (env_.IsEstablished(Saddr(), Daddr(), v_.sport, v_.dport, v_.ipv6))
        return SG_R_PASS_SOCKET;
      // No listener: the kernel answers RST, as without synguard.
      if (!env_.HasListener(Daddr(), v_.dport, v_.ipv6)) return SG_R_PASS_NO_LISTENER;
      return SG_R_TX_SYNACK;
    }
    if (!v_.IsAckClass()) return SG_R_PASS_OTHER_FLAGS;
    if (!engaged) return SG_R_PASS_NOT_ENGAGED;
    if (env_.IsEstablished(Saddr(), Daddr(), v_.sport, v_.dport, v_.ipv6))
      return SG_R_PASS_SOCKET;  // rule 6
    // Another host's ACK (forwarded) is none of ours to judge.
    if (uint32_t r = DestinationRefusal()) return r;
    if (env_.kernel_cookie()) {
      if (!env_.HasListener(Daddr(), v_.dport, v_.ipv6)) return SG_R_PASS_NO_LISTENER;
      // A cookie the kernel issued a moment ago must pass; any other is
      // the kernel's to judge (a cookie with a nearby ISN or MSS index can
      // be valid too, so "not issued here" does not mean invalid).
      if (auto age = env_.IssuedAgeNs(Saddr(), Daddr(), v_.sport, v_.dport, v_.ipv6, v_.seq - 1,
                                      v_.ack_seq - 1);
          age && *age < kKernelCookieSureNs)
        return SG_R_PASS_COOKIE_VALID;
      return kAnyKernelCookieReason;
    }
    sg_tuple t = Tuple();
    switch (sg_cookie_check(&env_.secrets(), &env_.config(), &t, v_.seq - 1, v_.ack_seq - 1,
                            env_.NowNs())) {
      case SG_COOKIE_VALID:
        return SG_R_PASS_COOKIE_VALID;
      case SG_COOKIE_EXPIRED:
        return SG_R_DROP_EXPIRED;
      case SG_COOKIE_UNKNOWN_KEY:
        return SG_R_DROP_UNKNOWN_KEY;
      default:
        return SG_R_DROP_BAD_MAC;
    }
  }

  // Rule 8, metadata half.
  void CheckMeta() const {
    // Only the ACK path leaves a word: TC has nothing to do with a SYN.
    // kernel-cookie mode has no TC handoff: a valid cookie needs no word.
    bool ack_path =
        v_.IsAckClass() && (reason_ == SG_R_PASS_SOCKET ||
                            (reason_ == SG_R_PASS_COOKIE_VALID && !env_.kernel_cookie()));
    if (!ack_path) {
      if (!o_.meta.empty()) Fail("metadata", "metadata left on a frame that needs none");
      return;
    }
    uint32_t word = SG_META_MAGIC | (reason_ == SG_R_PASS_SOCKET ? SG_META_SOCKET : SG_META_COOKIE);
    if (o_.meta.size() != sizeof(word) || std::memcmp(o_.meta.data(), &word, sizeof(word)))
      Fail("metadata", "the XDP -> TC word is missing or wrong");
  }

  // Rule 3.
  void CheckSynAck() const {
    auto decoded = test::DecodeSynAck(o_.frame);
    if (!decoded) Fail("synack", "does not parse: " + decoded.error().message());
    const test::DecodedSynAck& d = *decoded;
    const sg_config& cfg = env_.config();
    auto expect = [this](bool ok, const std::string& what) {
      if (!ok) Fail("synack", what);
    };

    expect(std::equal(d.eth_dst.begin(), d.eth_dst.end(), in_.begin() + 6) &&
               std::equal(d.eth_src.begin(), d.eth_src.end(), in_.begin()),
           "MAC addresses not swapped");
    expect(static_cast<int>(d.vlans.size()) == v_.vlans, "VLAN tags added or lost");
    expect(
        std::equal(o_.frame.begin() + 12, o_.frame.begin() + 12 + 4 * v_.vlans, in_.begin() + 12),
        "VLAN tags changed");
    expect(d.ipv6 == v_.ipv6, "address family changed");
    size_t alen = v_.ipv6 ? 16 : 4;
    expect(std::equal(d.saddr.begin(), d.saddr.begin() + alen, v_.daddr.begin()) &&
               std::equal(d.daddr.begin(), d.daddr.begin() + alen, v_.saddr.begin()),
           "addresses not swapped");
    expect(d.sport == v_.dport && d.dport == v_.sport, "ports not swapped");
    expect(d.ack_seq == v_.seq + 1, "ack is not ISN + 1");
    expect(d.protocol == 6 && d.ttl == cfg.ttl, "protocol or TTL");
    expect(o_.frame.size() == d.l4_offset + d.tcp_segment.size() &&
               d.tcp_segment.size() == d.doff_bytes,
           "payload or trailing bytes after the SYN+ACK");
    if (v_.ipv6) {
      expect(d.ver_tc_flow >> 28 == 6 && d.payload_len == d.tcp_segment.size(), "IPv6 header");
      expect(
          test::TcpChecksumV6(std::span<const uint8_t, 16>(d.saddr.data(), 16),
                              std::span<const uint8_t, 16>(d.daddr.data(), 16), d.tcp_segment) == 0,
          "TCP checksum (IPv6)");
    } else {
      expect(d.ihl == 20 && d.ip_total_len == 20 + d.tcp_segment.size(), "IPv4 lengths");
      expect((d.frag_off & 0x3fff) == 0, "the SYN+ACK is a fragment");
      expect(test::InternetChecksum(d.ip_header) == 0, "IPv4 header checksum");
      expect(
          test::TcpChecksumV4(std::span<const uint8_t, 4>(d.saddr.data(), 4),
                              std::span<const uint8_t, 4>(d.daddr.data(), 4), d.tcp_segment) == 0,
          "TCP checksum (IPv4)");
    }

    const OptionOffer& offer = v_.offer;
    bool ecn = (v_.flags & (kEce | kCwr)) == (kEce | kCwr);
    bool ece = ecn && offer.tsval && (cfg.flags & SG_CFG_ECN);
    expect(d.flags == (kSyn | kAck | (ece ? kEce : 0)), "TCP flags");
    expect(d.window == cfg.synack_window && d.urg_ptr == 0, "window or urgent pointer");
    for (const test::TcpOption& opt : d.options)
      expect(opt.kind == 1 || opt.kind == 2 || opt.kind == 3 || opt.kind == 4 || opt.kind == 8,
             "option kind " + std::to_string(opt.kind) + " in the SYN+ACK");
    const test::TcpOption* mss = d.Find(2);
    expect(
        d.Count(2) == 1 && mss->data.size() == 2 &&
            (mss->data[0] << 8 | mss->data[1]) == (v_.ipv6 ? cfg.server_mss_v6 : cfg.server_mss_v4),
        "MSS option");
    // Exactly the options offered: never one the client did not offer
    // (the subset rule), and none dropped (the config turns none off).
    // kernel-cookie: SACK and window scale only ride in the timestamp echo.
    const bool kc = env_.kernel_cookie();
    const bool want_sack = offer.sack && (!kc || offer.tsval);
    const bool want_ws = offer.wscale && (!kc || offer.tsval);
    expect(d.Count(4) == (want_sack ? 1 : 0), "SACK-permitted not mirrored");
    expect(d.Count(8) == (offer.tsval ? 1 : 0), "timestamps not mirrored");
    expect(d.Count(3) == (want_ws ? 1 : 0), "window scale not mirrored");
    if (const test::TcpOption* ws = d.Find(3))
      expect(ws->data.size() == 1 && ws->data[0] == cfg.server_wscale, "window scale value");
    if (const test::TcpOption* ts = d.Find(8); ts && offer.tsval) {
      expect(ts->data.size() == 8, "timestamp option length");
      uint32_t tsval = Load32(ts->data, 0), tsecr = Load32(ts->data, 4);
      expect(tsecr == *offer.tsval, "TSecr does not echo the client's TSval");
      uint32_t bits =
          offer.wscale ? std::min<uint32_t>(*offer.wscale, SG_MAX_WSCALE) : SG_TS_WSCALE_MASK;
      if (offer.sack) bits |= SG_TS_SACK;
      if (ecn && (cfg.flags & SG_CFG_ECN)) bits |= SG_TS_ECN;
      expect((tsval & SG_TS_OPT_MASK) == bits, "TSval option bits");
      CheckTsClock(tsval);
    }
    if (kc) {
      CheckKernelAcceptsCookie();
      return;
    }
    sg_tuple t = Tuple();
    expect(
        sg_cookie_check(&env_.secrets(), &cfg, &t, v_.seq, d.seq, env_.NowNs()) == SG_COOKIE_VALID,
        "the cookie does not validate with the host codec");
  }

  // Rule 9: TSval = the clock with its low 6 bits replaced by the options,
  // stepped back 64 ticks rather than ahead of the clock.
  void CheckTsClock(uint32_t tsval) const {
    auto ticks = [this](uint64_t ns) {
      return static_cast<uint32_t>(env_.kernel_cookie() ? ns / 1000000 : ns >> 20);
    };
    int32_t below_before = static_cast<int32_t>(ticks(o_.mono_before_ns) - tsval);
    int32_t below_after = static_cast<int32_t>(ticks(o_.mono_after_ns) - tsval);
    if (below_after < 0 || below_before > 2 * static_cast<int32_t>(SG_TS_OPT_MASK + 1))
      Fail("synack", "TSval " + std::to_string(tsval) + " is not on the " +
                         (env_.kernel_cookie() ? "kernel's millisecond clock" : "2^20 ns clock") +
                         " (" + std::to_string(ticks(o_.mono_before_ns)) + ".." +
                         std::to_string(ticks(o_.mono_after_ns)) + ")");
  }

  // kernel-cookie rule 3: the kernel takes back the cookie it gave.
  void CheckKernelAcceptsCookie() const {
    auto ack = AckForSynAck(in_, o_.frame);
    if (!ack) Fail("synack", "cannot build the client's ACK to this SYN+ACK");
    Outcome back = env_.Run(*ack);
    bool valid = !back.error && back.verdict == XDP_PASS && back.moved.size() == 1 &&
                 back.moved[0] == std::pair<uint32_t, uint64_t>{SG_R_PASS_COOKIE_VALID, 1} &&
                 back.meta.empty();
    if (!valid) {
      std::string moved;
      for (auto [r, n] : back.moved) moved += " " + Name(r) + "+" + std::to_string(n);
      Dump("the client's ACK", *ack);
      Fail("kernel cookie", "the client's ACK to this SYN+ACK is not accepted: verdict " +
                                std::string(sg::XdpActionName(back.verdict)) + ", errno " +
                                std::to_string(back.error) + ", counted" + moved +
                                (back.meta.empty() ? "" : ", with metadata"));
    }
    ++g_kernel_cookie_acks;
  }

  std::span<const uint8_t> in_;
  const FrameView& v_;
  const Outcome& o_;
  DatapathEnv& env_;
  uint32_t reason_ = SG_R_MAX;
  // A kernel cookie younger than this is valid whatever the minute.
  static constexpr uint64_t kKernelCookieSureNs = 50'000'000'000ull;
};

}  // namespace

uint64_t KernelCookieAcksAccepted() { return g_kernel_cookie_acks; }

void CheckInvariants(std::span<const uint8_t> input, const FrameView& view, const Outcome& outcome,
                     DatapathEnv& env) {
  Checker(input, view, outcome, env).Check();
}

}  // namespace sg::fuzz
