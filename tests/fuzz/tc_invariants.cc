#include "tc_invariants.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fuzz_world.h"

namespace sg::fuzz {

namespace {

void Dump(const char* title, std::span<const uint8_t> b) {
  std::fprintf(stderr, "%s (%zu bytes):", title, b.size());
  for (size_t i = 0; i < b.size(); ++i) std::fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", b[i]);
  std::fprintf(stderr, "\n");
}

std::string Name(uint32_t r) {
  if (r >= SG_R_MAX) return "reason " + std::to_string(r);
  return std::string(sg_reason_verdicts[r]) + "/" + sg_reason_names[r];
}

std::string Moved(const std::vector<std::pair<uint32_t, uint64_t>>& moved) {
  std::string out;
  for (auto [r, n] : moved) out += " " + Name(r) + "+" + std::to_string(n);
  return out.empty() ? " nothing" : out;
}

const char* ActionName(uint32_t a) {
  return a == kTcActOk ? "TC_ACT_OK" : a == kTcActShot ? "TC_ACT_SHOT" : "another TC action";
}

[[noreturn]] void Fail(const char* rule, const std::string& detail, std::span<const uint8_t> input,
                       const Outcome* o) {
  std::fprintf(stderr, "\n==== synguard TC invariant violated: %s\n%s\n", rule, detail.c_str());
  if (o)
    std::fprintf(stderr, "verdict %u (%s), counted%s\n", o->verdict, ActionName(o->verdict),
                 Moved(o->moved).c_str());
  Dump("input", input);
  if (o) Dump("output", o->frame);
  std::abort();
}

// Whether the kernel's TCP reads every option of a segment: its
// tcp_inbound_hash() drops one whose option list has a length below 2 or
// past the header, or an MD5 signature option (no socket here has a key).
// Written from the kernel's rule, not from bpf/lib; "not clean" only
// loosens what the live check insists on.
bool KernelTakesOptions(std::span<const uint8_t> opts) {
  size_t i = 0;
  while (i < opts.size()) {
    uint8_t kind = opts[i];
    if (kind == 0) return true;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= opts.size()) return false;
    size_t len = opts[i + 1];
    if (len < 2 || len > opts.size() - i || kind == 19 || kind == 29) return false;
    i += len;
  }
  return true;
}

constexpr uint8_t kLo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr uint8_t kLo4[4] = {127, 0, 0, 1};

}  // namespace

TcExpectation ExpectTc(const FrameView& v, const DatapathEnv& env) {
  TcExpectation e;
  // Rule 2: the program's business is ACKs to protected ports (engaged or
  // not: it hands off late cookies after the port disengaged); the rest is
  // counted by why it is not.
  if (!v.tcp_ok) {
    e.reason = SG_R_TC_PASS_NOT_TCP;
    return e;
  }
  if (!v.IsAckClass()) {
    e.reason = SG_R_TC_PASS_OTHER_FLAGS;
    return e;
  }
  if (!(env.PortFlags(v.dport) & SG_PORT_PROTECTED)) {
    e.reason = SG_R_TC_PASS_UNPROTECTED;
    return e;
  }
  const size_t alen = v.ipv6 ? 16 : 4;
  std::span<const uint8_t> saddr(v.saddr.data(), alen), daddr(v.daddr.data(), alen);
  // Rule 3, in the order a socket lookup answers.
  if (env.IsEstablished(saddr, daddr, v.sport, v.dport, v.ipv6)) {
    e.reason = SG_R_HANDOFF_SOCKET;
    return e;
  }
  if (!env.HasListener(daddr, v.dport, v.ipv6)) {
    e.reason = SG_R_HANDOFF_NO_LISTENER;
    return e;
  }
  sg_tuple t{};
  t.family = v.ipv6 ? SG_AF_INET6 : SG_AF_INET;
  std::memcpy(t.saddr, v.saddr.data(), alen);
  std::memcpy(t.daddr, v.daddr.data(), alen);
  t.sport = htons(v.sport);
  t.dport = htons(v.dport);
  const uint32_t cookie = v.ack_seq - 1;
  e.reason = SG_R_HANDOFF_BAD_COOKIE;
  if (sg_cookie_check(&env.secrets(), &env.config(), &t, v.seq - 1, cookie, env.NowNs()) !=
      SG_COOKIE_VALID)
    return e;  // not ours: the kernel answers it as it would without us
  sg_handshake hs{};
  if (sg_cookie_decode(&env.config(), t.family, cookie, v.offer.tsval.has_value(), v.offer.tsecr,
                       &hs)) {
    // A valid MAC with an echo that contradicts it: forged, the one drop.
    e.reason = SG_R_HANDOFF_FORGED_ECHO;
    e.action = kTcActShot;
    return e;
  }
  e.valid_cookie = true;
  e.reason = SG_R_HANDOFF_FAILED;  // rule 4: not at TC ingress in a test run
  return e;
}

void CheckTcInvariants(std::span<const uint8_t> input, const FrameView& view,
                       const TcExpectation& want, const Outcome& o) {
  (void)view;
  // Rule 1.
  if (o.verdict != kTcActOk && o.verdict != kTcActShot)
    Fail("verdict", "only TC_ACT_OK and TC_ACT_SHOT are allowed", input, &o);
  if (o.frame.size() != input.size() || !std::equal(input.begin(), input.end(), o.frame.begin()))
    Fail("untouched", "the program changed the packet", input, &o);
  // Rule 2.
  if (o.moved.size() != 1 || o.moved[0].second != 1)
    Fail("one counter", "exactly one reason counter must move by one", input, &o);
  const uint32_t got = o.moved[0].first;
  if (got < SG_R_TC_FIRST)
    Fail("one counter", "the TC program counted a reason that is not a TC one", input, &o);
  const bool drop_reason = got >= SG_R_TC_DROP_FIRST && got <= SG_R_TC_DROP_LAST;
  if (drop_reason != (o.verdict == kTcActShot))
    Fail("one counter", "the counted reason disagrees with the verdict", input, &o);
  // Rule 3 (and 4: a forged cookie never reaches the kfunc).
  if (got != want.reason)
    Fail("reason", "expected " + Name(want.reason) + ", counted " + Name(got), input, &o);
  if (o.verdict != want.action)
    Fail("verdict", std::string("expected ") + ActionName(want.action), input, &o);
}

std::optional<LiveExpectation> ExpectLive(std::span<const uint8_t> input, const FrameView& v,
                                          const TcExpectation& want, const DatapathEnv& env) {
  // Only cookie ACKs: to a listener, with no socket of their own.
  if (want.reason != SG_R_HANDOFF_BAD_COOKIE && want.reason != SG_R_HANDOFF_FORGED_ECHO &&
      !want.valid_cookie)
    return std::nullopt;
  if (v.vlans != 0 || env.PortFlags(v.sport) != 0 || v.sport == kLoopbackClient)
    return std::nullopt;
  // The loopback address to itself: lo delivers it (route_localnet is on),
  // and anything the stack answers stays on lo.
  if (v.ipv6) {
    if (std::memcmp(v.saddr.data(), kLo6, 16) || std::memcmp(v.daddr.data(), kLo6, 16))
      return std::nullopt;
  } else if (v.ihl != 20 || std::memcmp(v.saddr.data(), kLo4, 4) ||
             std::memcmp(v.daddr.data(), kLo4, 4)) {
    return std::nullopt;
  }
  if (!want.valid_cookie) return LiveExpectation{want.reason, 0, 0};
  bool clean = KernelTakesOptions(input.subspan(*v.l4 + 20, v.tcp_len - 20));
  return LiveExpectation{SG_R_HANDOFF_OK, clean ? 1 : 0, 1};
}

std::vector<uint8_t> LiveFrame(std::span<const uint8_t> input) {
  std::vector<uint8_t> f(input.begin(), input.end());
  std::fill(f.begin(), f.begin() + 6, 0);  // lo's address: PACKET_HOST
  FixChecksums(f);
  return f;
}

void CheckLive(std::span<const uint8_t> frame, const LiveExpectation& want, const LiveOutcome& o) {
  auto fail = [&](const std::string& detail) {
    std::fprintf(stderr, "sent on lo: counted%s, %d connection(s) accepted, errno %d\n",
                 Moved(o.moved).c_str(), o.accepted, o.error);
    Fail("live handoff", detail, frame, nullptr);
  };
  if (o.error) fail("sendto on lo failed");
  // The ACK itself, and what the kernel answers on lo: RSTs (from the
  // listener to a forged ACK, from the accepted socket the harness resets,
  // from the stack to whatever reaches the client's port, which has no
  // socket) and ACKs to the client's port, which is not protected.
  bool counted = false;
  for (auto [r, n] : o.moved) {
    if (r == want.reason && n == 1)
      counted = true;
    else if (r != SG_R_TC_PASS_OTHER_FLAGS && r != SG_R_TC_PASS_UNPROTECTED)
      fail("expected " + Name(want.reason) + " to move by one, and only the kernel's answers");
  }
  if (!counted) fail("expected " + Name(want.reason) + " to move by one");
  if (o.accepted < want.min_sockets)
    fail("a valid cookie ACK was counted as handed off, but no connection was made");
  if (o.accepted > want.max_sockets)
    fail(want.max_sockets ? "more than one connection from one ACK"
                          : "a connection was made from an ACK whose cookie is not valid");
}

}  // namespace sg::fuzz
