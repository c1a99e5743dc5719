// The cookie codec (include/synguard/cookie.h) exactly as the XDP and TC
// programs run it: round trips for every MSS entry and option combination,
// and rejection of everything that is not the cookie we issued.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "synguard/shared.h"

namespace {

constexpr uint32_t kSlotShift = 35;
constexpr uint64_t kSlotNs = 1ull << kSlotShift;
constexpr uint64_t kNow = 1'800'000'000ull * 1000000000ull + 12345;  // a wall-clock instant

sg_config TestConfig() {
  sg_config c{};
  c.slot_shift = kSlotShift;
  c.max_age_slots = 2;
  const uint16_t v4[4] = {536, 1300, 1460, 8960}, v6[4] = {1220, 1380, 1440, 8940};
  for (int i = 0; i < 4; ++i) {
    c.mss_v4[i] = v4[i];
    c.mss_v6[i] = v6[i];
  }
  c.wscale_table[1] = 0;
  c.wscale_table[2] = 7;
  c.wscale_table[3] = 10;
  c.flags = SG_CFG_ECN;
  return c;
}

sg_secrets TestSecrets() {
  sg_secrets s{};
  s.key[0] = {0x0123456789abcdefull, 0xfedcba9876543210ull, ~0ull};
  s.key[1] = {0x1111111111111111ull, 0x2222222222222222ull, 0};  // empty slot
  s.current = 0;
  return s;
}

sg_tuple Tuple(uint8_t family) {
  sg_tuple t{};
  t.family = family;
  if (family == SG_AF_INET) {
    t.saddr[0] = htonl(0xc0000201);  // 192.0.2.1
    t.daddr[0] = htonl(0xc6336401);  // 198.51.100.1
  } else {
    for (int i = 0; i < 4; ++i) {
      t.saddr[i] = htonl(0x20010db8u + i);
      t.daddr[i] = htonl(0x20010db8u + 0x100 + i);
    }
  }
  t.sport = htons(40000);
  t.dport = htons(443);
  return t;
}

uint32_t Encode(const sg_secrets& s, const sg_config& c, const sg_tuple& t, uint32_t isn,
                const sg_syn_opts& o, uint64_t now) {
  uint32_t cookie = 0;
  EXPECT_EQ(sg_cookie_encode(&s, &c, &t, isn, &o, now, &cookie), 0);
  return cookie;
}

struct Combo {
  uint8_t family;
  uint16_t mss;
  bool sack, ts, ecn, ws;
  uint8_t wscale;
};

// Every MSS table entry (and values between), every option combination.
std::vector<Combo> AllCombos() {
  std::vector<Combo> out;
  for (uint8_t fam : {SG_AF_INET, SG_AF_INET6})
    for (uint16_t mss : {0, 536, 1000, 1220, 1300, 1380, 1440, 1459, 1460, 8940, 8960, 9000})
      for (int bits = 0; bits < 16; ++bits)
        for (uint8_t ws : {0, 1, 6, 7, 8, 9, 10, 14, 15}) {
          if (!(bits & 8) && ws != 0) continue;  // no window scale: one value is enough
          out.push_back(
              {fam, mss, bool(bits & 1), bool(bits & 2), bool(bits & 4), bool(bits & 8), ws});
        }
  return out;
}

TEST(CookieRoundTrip, EveryMssEntryAndOptionCombination) {
  sg_config c = TestConfig();
  sg_secrets s = TestSecrets();
  int checked = 0;
  for (const Combo& k : AllCombos()) {
    sg_tuple t = Tuple(k.family);
    sg_syn_opts o{};
    o.mss = k.mss;
    o.sack_ok = k.sack;
    o.ts_ok = k.ts;
    o.ecn_ok = k.ecn;
    o.wscale_ok = k.ws;
    o.wscale = k.wscale;
    const uint32_t isn = 0xdeadbeef + checked;
    uint32_t cookie = Encode(s, c, t, isn, o, kNow);
    ASSERT_EQ(sg_cookie_check(&s, &c, &t, isn, cookie, kNow + 1000), SG_COOKIE_VALID);

    // The client echoes our TSval (whose low bits are sg_ts_options) in TSecr.
    uint32_t tsecr = 0x12345000u | sg_ts_options(&o, c.flags & SG_CFG_ECN);
    sg_handshake hs{};
    ASSERT_EQ(sg_cookie_decode(&c, k.family, cookie, k.ts, tsecr, &hs), 0);

    const uint16_t* table = k.family == SG_AF_INET6 ? c.mss_v6 : c.mss_v4;
    uint16_t client = k.mss ? k.mss : 536;
    uint16_t want_mss = table[0];
    for (int i = 0; i < 4; ++i)
      if (client >= table[i]) want_mss = table[i];
    EXPECT_EQ(hs.mss, want_mss) << "client mss " << k.mss;
    EXPECT_EQ(hs.sack_ok, k.sack);
    EXPECT_EQ(hs.wscale_ok, k.ws);
    EXPECT_EQ(hs.tstamp_ok, k.ts);
    uint8_t clamped = k.wscale > 14 ? 14 : k.wscale;
    if (k.ws && k.ts) {
      EXPECT_EQ(hs.snd_wscale, clamped);
    }
    if (k.ws && !k.ts) {
      // Without timestamps: rounded down to {0, 7, 10}, never above the client's.
      uint8_t want = clamped >= 10 ? 10 : clamped >= 7 ? 7 : 0;
      EXPECT_EQ(hs.snd_wscale, want);
    }
    EXPECT_EQ(hs.ecn_ok, k.ecn && k.ts) << "ECN rides only in the timestamp";
    ++checked;
  }
  EXPECT_GT(checked, 1000);
}

TEST(CookieRoundTrip, ValidAcrossTheWholeAgeWindow) {
  sg_config c = TestConfig();
  sg_secrets s = TestSecrets();
  sg_tuple t = Tuple(SG_AF_INET);
  sg_syn_opts o{};
  uint32_t cookie = Encode(s, c, t, 7, o, kNow);
  EXPECT_EQ(sg_cookie_check(&s, &c, &t, 7, cookie, kNow), SG_COOKIE_VALID);
  EXPECT_EQ(sg_cookie_check(&s, &c, &t, 7, cookie, kNow + kSlotNs), SG_COOKIE_VALID);
  EXPECT_EQ(sg_cookie_check(&s, &c, &t, 7, cookie, kNow + 2 * kSlotNs), SG_COOKIE_VALID);
  EXPECT_EQ(sg_cookie_check(&s, &c, &t, 7, cookie, kNow + 3 * kSlotNs), SG_COOKIE_EXPIRED);
  // Four slots on, the 2-bit slot field wraps: the MAC (over the full counter) fails.
  EXPECT_EQ(sg_cookie_check(&s, &c, &t, 7, cookie, kNow + 4 * kSlotNs), SG_COOKIE_BAD_MAC);
  // A cookie from the future (clock skew between fleet hosts beyond a slot) is refused.
  EXPECT_NE(sg_cookie_check(&s, &c, &t, 7, cookie, kNow - kSlotNs), SG_COOKIE_VALID);
}

TEST(CookieReject, AnotherTupleOrIsn) {
  sg_config c = TestConfig();
  sg_secrets s = TestSecrets();
  for (uint8_t fam : {SG_AF_INET, SG_AF_INET6}) {
    sg_tuple t = Tuple(fam);
    sg_syn_opts o{};
    o.mss = 1460;
    uint32_t cookie = Encode(s, c, t, 1000, o, kNow);
    auto check = [&](const sg_tuple& other, uint32_t isn) {
      return sg_cookie_check(&s, &c, &other, isn, cookie, kNow);
    };
    EXPECT_EQ(check(t, 1000), SG_COOKIE_VALID);
    EXPECT_EQ(check(t, 1001), SG_COOKIE_BAD_MAC) << "another ISN";
    sg_tuple x = t;
    x.sport = htons(40001);
    EXPECT_EQ(check(x, 1000), SG_COOKIE_BAD_MAC) << "another source port";
    x = t;
    x.dport = htons(80);
    EXPECT_EQ(check(x, 1000), SG_COOKIE_BAD_MAC) << "another destination port";
    for (int w = 0; w < (fam == SG_AF_INET6 ? 4 : 1); ++w) {
      x = t;
      x.saddr[w] ^= htonl(1);
      EXPECT_EQ(check(x, 1000), SG_COOKIE_BAD_MAC) << "another source address, word " << w;
      x = t;
      x.daddr[w] ^= htonl(1);
      EXPECT_EQ(check(x, 1000), SG_COOKIE_BAD_MAC) << "another destination address, word " << w;
    }
    // Swapping the roles of client and server must not validate either.
    x = t;
    std::swap(x.saddr, x.daddr);
    std::swap(x.sport, x.dport);
    EXPECT_EQ(check(x, 1000), SG_COOKIE_BAD_MAC);
  }
}

TEST(CookieReject, EveryMacBitMatters) {
  sg_config c = TestConfig();
  sg_secrets s = TestSecrets();
  sg_tuple t = Tuple(SG_AF_INET);
  sg_syn_opts o{};
  uint32_t cookie = Encode(s, c, t, 99, o, kNow);
  for (int bit = SG_COOKIE_MAC_SHIFT; bit < 32; ++bit)
    EXPECT_EQ(sg_cookie_check(&s, &c, &t, 99, cookie ^ (1u << bit), kNow), SG_COOKIE_BAD_MAC)
        << "bit " << bit;
  // The option bits are under the MAC too: claiming SACK or another MSS fails.
  EXPECT_EQ(sg_cookie_check(&s, &c, &t, 99, cookie ^ SG_COOKIE_SACK, kNow), SG_COOKIE_BAD_MAC);
  EXPECT_EQ(sg_cookie_check(&s, &c, &t, 99, cookie ^ 1u, kNow), SG_COOKIE_BAD_MAC);
}

// The MAC is SipHash-2-4 over the byte string cookie.h documents, read by
// the reference byte interface: the word packing in sg_cookie_mac() (tail in
// the final block) is the standard algorithm, not a look-alike.
TEST(CookieMac, IsSipHashOfTheDocumentedByteString) {
  sg_secrets s = TestSecrets();
  const uint64_t slot = 0x123456789aull;  // only the low 32 bits are hashed
  const uint32_t isn = 0xdeadbeef, low8 = 0xa5;
  for (uint8_t fam : {SG_AF_INET, SG_AF_INET6}) {
    sg_tuple t = Tuple(fam);
    std::vector<uint8_t> msg;
    auto put = [&msg](const void* p, size_t n) {
      msg.insert(msg.end(), static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + n);
    };
    const size_t addr = fam == SG_AF_INET ? 4 : 16;
    put(t.saddr, addr);  // network byte order, as in the packet
    put(t.daddr, addr);
    put(&t.sport, 2);
    put(&t.dport, 2);
    put(&isn, 4);  // host order (little-endian)
    uint32_t slot32 = static_cast<uint32_t>(slot);
    put(&slot32, 4);
    msg.push_back(low8);
    ASSERT_EQ(msg.size(), fam == SG_AF_INET ? 21u : 45u);
    uint64_t ref = sg_siphash24_bytes(s.key[0].k0, s.key[0].k1, msg.data(), msg.size());
    EXPECT_EQ(sg_cookie_mac(&s.key[0], &t, isn, slot, low8), (ref >> 40) & SG_COOKIE_MAC_MASK)
        << (fam == SG_AF_INET ? "IPv4" : "IPv6");
  }
}

TEST(CookieReject, WrongOrRetiredKey) {
  sg_config c = TestConfig();
  sg_secrets s = TestSecrets();
  sg_tuple t = Tuple(SG_AF_INET6);
  sg_syn_opts o{};
  uint32_t cookie = Encode(s, c, t, 5, o, kNow);

  sg_secrets other = s;
  other.key[0].k0 ^= 1;
  EXPECT_EQ(sg_cookie_check(&other, &c, &t, 5, cookie, kNow), SG_COOKIE_BAD_MAC) << "wrong key";

  // Rotation: new key in slot 1, current flipped, old key in grace.
  sg_secrets rotated = s;
  rotated.key[1] = {0xaaaa, 0xbbbb, ~0ull};
  rotated.key[0].expires_ns = kNow + 10ull * 1000000000ull;
  rotated.current = 1;
  EXPECT_EQ(sg_cookie_check(&rotated, &c, &t, 5, cookie, kNow), SG_COOKIE_VALID)
      << "previous key within its grace period";
  uint32_t fresh = Encode(rotated, c, t, 5, o, kNow);
  EXPECT_EQ((fresh >> SG_COOKIE_KEY_SHIFT) & 1, 1u) << "new cookies name the new key";
  EXPECT_EQ(sg_cookie_check(&rotated, &c, &t, 5, fresh, kNow), SG_COOKIE_VALID);
  EXPECT_EQ(sg_cookie_check(&rotated, &c, &t, 5, cookie, kNow + 11ull * 1000000000ull),
            SG_COOKIE_UNKNOWN_KEY)
      << "previous key past its grace period";

  // A cookie naming an empty slot.
  EXPECT_EQ(sg_cookie_check(&s, &c, &t, 5, cookie ^ (1u << SG_COOKIE_KEY_SHIFT), kNow),
            SG_COOKIE_UNKNOWN_KEY);
}

TEST(CookieEncode, RefusesWithoutALiveKey) {
  sg_config c = TestConfig();
  sg_secrets s{};  // never published
  sg_tuple t = Tuple(SG_AF_INET);
  sg_syn_opts o{};
  uint32_t cookie = 0;
  EXPECT_EQ(sg_cookie_encode(&s, &c, &t, 1, &o, kNow, &cookie), -1);
}

TEST(CookieDecode, RefusesATimestampEchoThatContradictsTheCookie) {
  sg_config c = TestConfig();
  sg_secrets s = TestSecrets();
  sg_tuple t = Tuple(SG_AF_INET);
  sg_syn_opts o{};
  o.mss = 1460;
  o.ts_ok = 1;
  o.sack_ok = 1;
  o.wscale_ok = 1;
  o.wscale = 7;
  uint32_t cookie = Encode(s, c, t, 42, o, kNow);
  uint32_t good = sg_ts_options(&o, 1);
  sg_handshake hs{};
  EXPECT_EQ(sg_cookie_decode(&c, SG_AF_INET, cookie, 1, good, &hs), 0);
  EXPECT_EQ(hs.snd_wscale, 7);
  EXPECT_EQ(sg_cookie_decode(&c, SG_AF_INET, cookie, 1, good ^ SG_TS_SACK, &hs), -1)
      << "SACK bit flipped";
  EXPECT_EQ(sg_cookie_decode(&c, SG_AF_INET, cookie, 1, (good & ~0xfu) | 0xf, &hs), -1)
      << "claims no window scaling";
  EXPECT_EQ(sg_cookie_decode(&c, SG_AF_INET, cookie, 1, (good & ~0xfu) | 12, &hs), -1)
      << "window scale of another table bucket";
  // Within the same bucket (7..9 round to 7) the exact echoed value is used.
  EXPECT_EQ(sg_cookie_decode(&c, SG_AF_INET, cookie, 1, (good & ~0xfu) | 9, &hs), 0);
  EXPECT_EQ(hs.snd_wscale, 9);
}

// A blind attacker: random cookies for a real tuple and ISN. With 24 MAC bits
// the chance per guess is about 2^-24; 200k guesses should find none.
TEST(CookieForgery, RandomGuessesDoNotValidate) {
  sg_config c = TestConfig();
  sg_secrets s = TestSecrets();
  sg_tuple t = Tuple(SG_AF_INET);
  std::mt19937 rng(12345);
  int valid = 0;
  for (int i = 0; i < 200000; ++i)
    valid += sg_cookie_check(&s, &c, &t, 77, static_cast<uint32_t>(rng()), kNow) == SG_COOKIE_VALID;
  EXPECT_LE(valid, 1);
}

}  // namespace
