// The cookie codec (include/synguard/cookie.h) exactly as the XDP and TC
// programs run it: round trips for every MSS entry and option combination,
// both cookie layouts (A without timestamps, B with), and rejection of
// everything that is not the cookie we issued.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "config/bpf_config.h"
#include "synguard/shared.h"

namespace {

constexpr uint32_t kSlotShift = 35;
constexpr uint64_t kSlotNs = 1ull << kSlotShift;
constexpr uint64_t kNow = 1'800'000'000ull * 1000000000ull + 12345;  // a wall-clock instant

// The MSS tables are the daemon's shipped defaults (CookieSettings), so the
// 3% rule below is checked against what runs.
sg_config TestConfig() {
  sg_config c{};
  c.slot_shift = kSlotShift;
  c.max_age_slots = 2;
  const sg::CookieSettings d;
  std::copy(d.mss_v4.begin(), d.mss_v4.end(), c.mss_v4);
  std::copy(d.mss_v6.begin(), d.mss_v6.end(), c.mss_v6);
  std::copy(d.mss_v4_timestamps.begin(), d.mss_v4_timestamps.end(), c.mss_ts_v4);
  std::copy(d.mss_v6_timestamps.begin(), d.mss_v6_timestamps.end(), c.mss_ts_v6);
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

// The MSS tables a cookie uses: A (4 entries) without timestamps, B (8) with.
std::span<const uint16_t> MssTable(const sg_config& c, uint8_t family, bool ts) {
  if (ts)
    return family == SG_AF_INET6 ? std::span<const uint16_t>(c.mss_ts_v6)
                                 : std::span<const uint16_t>(c.mss_ts_v4);
  return family == SG_AF_INET6 ? std::span<const uint16_t>(c.mss_v6)
                               : std::span<const uint16_t>(c.mss_v4);
}

// The rounding rule, written again here on purpose: the largest entry <= mss,
// the first entry when mss is below them all.
size_t WantIndex(std::span<const uint16_t> table, uint32_t mss) {
  size_t idx = 0;
  for (size_t i = 0; i < table.size(); ++i)
    if (mss >= table[i]) idx = i;
  return idx;
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
    for (uint16_t mss : {0,    536,  1000, 1220, 1279, 1280, 1300, 1340, 1359, 1360, 1380,
                         1400, 1420, 1432, 1440, 1452, 1459, 1460, 8940, 8960, 9000})
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

    std::span<const uint16_t> table = MssTable(c, k.family, k.ts);
    uint16_t client = k.mss ? k.mss : 536;
    EXPECT_EQ(hs.mss, table[WantIndex(table, client)]) << "client mss " << k.mss << " ts " << k.ts;
    if (k.ts) {
      EXPECT_EQ(cookie & SG_COOKIE_TS_ZERO_MASK, 0u) << "layout B keeps bits 3-4 at 0";
      EXPECT_EQ(cookie & SG_COOKIE_MSS_TS_MASK, WantIndex(table, client));
    } else {
      EXPECT_EQ(cookie & SG_COOKIE_MSS_MASK, WantIndex(table, client));
    }
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

// Layout B takes SACK, window scale and ECN from the timestamp echo, exactly.
TEST(CookieDecode, LayoutBOptionsComeFromTheTimestampEcho) {
  sg_config c = TestConfig();
  sg_secrets s = TestSecrets();
  sg_tuple t = Tuple(SG_AF_INET);
  sg_syn_opts o{};
  o.mss = 1452;
  o.ts_ok = 1;
  o.sack_ok = 1;
  o.wscale_ok = 1;
  o.wscale = 7;
  o.ecn_ok = 1;
  uint32_t cookie = Encode(s, c, t, 42, o, kNow);
  uint32_t good = sg_ts_options(&o, 1);
  sg_handshake hs{};
  ASSERT_EQ(sg_cookie_decode(&c, SG_AF_INET, cookie, 1, good, &hs), 0);
  EXPECT_EQ(hs.mss, 1440);
  EXPECT_TRUE(hs.sack_ok);
  EXPECT_TRUE(hs.wscale_ok);
  EXPECT_EQ(hs.snd_wscale, 7);
  EXPECT_TRUE(hs.tstamp_ok);
  EXPECT_TRUE(hs.ecn_ok);
  for (uint32_t ws = 0; ws <= 14; ++ws) {
    ASSERT_EQ(sg_cookie_decode(&c, SG_AF_INET, cookie, 1, (good & ~0xfu) | ws, &hs), 0) << ws;
    EXPECT_TRUE(hs.wscale_ok);
    EXPECT_EQ(hs.snd_wscale, ws) << "the exact window scale, not a table bucket";
  }
  ASSERT_EQ(sg_cookie_decode(&c, SG_AF_INET, cookie, 1, good | 0xfu, &hs), 0);
  EXPECT_FALSE(hs.wscale_ok) << "0xf: no window scaling";
  EXPECT_EQ(hs.snd_wscale, 0);
  ASSERT_EQ(sg_cookie_decode(&c, SG_AF_INET, cookie, 1, good & ~SG_TS_SACK, &hs), 0);
  EXPECT_FALSE(hs.sack_ok);
  ASSERT_EQ(sg_cookie_decode(&c, SG_AF_INET, cookie, 1, good & ~SG_TS_ECN, &hs), 0);
  EXPECT_FALSE(hs.ecn_ok);
  sg_config no_ecn = c;
  no_ecn.flags &= ~SG_CFG_ECN;
  ASSERT_EQ(sg_cookie_decode(&no_ecn, SG_AF_INET, cookie, 1, good, &hs), 0);
  EXPECT_FALSE(hs.ecn_ok) << "ECN only when the server accepts it";
  // The TSecr's high bits are the client's echo of our clock: ignored.
  ASSERT_EQ(sg_cookie_decode(&c, SG_AF_INET, cookie, 1, good | 0xabcdef00u, &hs), 0);
  EXPECT_EQ(hs.mss, 1440);
}

// Layout B's bits 3-4 are always 0: a cookie with either set, read with a
// timestamp, is an A cookie (window scaling offered, no timestamps in the
// SYN) whose ACK grew a timestamp, and is refused. Read without one, it is
// the A cookie it is.
TEST(CookieDecode, RefusesLayoutBWithBits3Or4Set) {
  sg_config c = TestConfig();
  for (uint8_t fam : {SG_AF_INET, SG_AF_INET6})
    for (uint32_t low = 0; low < 256; ++low) {
      const uint32_t cookie = 0xabcdef00u | low;
      const uint32_t tsecr = 0x1234500u | SG_TS_SACK | 7;
      sg_handshake hs{};
      const bool bits34 = low & SG_COOKIE_TS_ZERO_MASK;
      EXPECT_EQ(sg_cookie_decode(&c, fam, cookie, 1, tsecr, &hs), bits34 ? -1 : 0)
          << "low byte " << low;
      if (!bits34) {
        std::span<const uint16_t> fine = MssTable(c, fam, true);
        EXPECT_EQ(hs.mss, fine[low & 7]);
      }
      ASSERT_EQ(sg_cookie_decode(&c, fam, cookie, 0, 0, &hs), 0) << "layout A never refuses";
      std::span<const uint16_t> coarse = MssTable(c, fam, false);
      EXPECT_EQ(hs.mss, coarse[low & 3]);
      EXPECT_EQ(hs.sack_ok, !!(low & SG_COOKIE_SACK));
      const uint32_t code = (low >> SG_COOKIE_WSCALE_SHIFT) & 3;
      EXPECT_EQ(hs.wscale_ok, code != 0);
      EXPECT_EQ(hs.snd_wscale, code ? c.wscale_table[code] : 0);
      EXPECT_FALSE(hs.tstamp_ok);
      EXPECT_FALSE(hs.ecn_ok);
    }
}

// Layout A as before: a SYN without timestamps, its ACK without them. And
// the same cookie when the ACK grows a timestamp: refused when it carries a
// window-scale code, else read as B (the client's own doing; it could have
// offered the same options in its SYN).
TEST(CookieDecode, LayoutAWithAndWithoutATimestampInTheAck) {
  sg_config c = TestConfig();
  sg_secrets s = TestSecrets();
  sg_tuple t = Tuple(SG_AF_INET);
  sg_syn_opts o{};
  o.mss = 1452;
  o.sack_ok = 1;
  o.wscale_ok = 1;
  o.wscale = 8;
  uint32_t cookie = Encode(s, c, t, 42, o, kNow);
  sg_handshake hs{};
  ASSERT_EQ(sg_cookie_decode(&c, SG_AF_INET, cookie, 0, 0, &hs), 0);
  EXPECT_EQ(hs.mss, 1300) << "layout A keeps the 4-entry table";
  EXPECT_TRUE(hs.sack_ok);
  EXPECT_TRUE(hs.wscale_ok);
  EXPECT_EQ(hs.snd_wscale, 7) << "rounded down to the table";
  EXPECT_FALSE(hs.tstamp_ok);
  EXPECT_EQ(sg_cookie_decode(&c, SG_AF_INET, cookie, 1, 0x100u | SG_TS_SACK | 8, &hs), -1)
      << "an A cookie with a window-scale code, read with a timestamp";

  o.wscale_ok = 0;
  cookie = Encode(s, c, t, 42, o, kNow);
  ASSERT_EQ(sg_cookie_decode(&c, SG_AF_INET, cookie, 0, 0, &hs), 0);
  EXPECT_EQ(hs.mss, 1300);
  EXPECT_FALSE(hs.wscale_ok);
  EXPECT_EQ(sg_cookie_decode(&c, SG_AF_INET, cookie, 1, 0x10fu, &hs), 0);
  EXPECT_TRUE(hs.tstamp_ok);
}

// Every entry of every table, both ways: a client MSS equal to the entry (or
// just below the next) encodes that entry's index in the right layout, and
// the index decodes to the entry.
TEST(CookieMss, EveryTableEntryBothWaysBothLayoutsBothFamilies) {
  sg_config c = TestConfig();
  sg_secrets s = TestSecrets();
  int checked = 0;
  for (uint8_t fam : {SG_AF_INET, SG_AF_INET6})
    for (bool ts : {false, true}) {
      std::span<const uint16_t> table = MssTable(c, fam, ts);
      ASSERT_EQ(table.size(), ts ? 8u : 4u);
      for (size_t i = 0; i < table.size(); ++i) {
        const uint32_t next = i + 1 < table.size() ? table[i + 1] : 65536;
        for (uint32_t mss : {uint32_t{table[i]}, next - 1}) {
          sg_tuple t = Tuple(fam);
          sg_syn_opts o{};
          o.mss = static_cast<uint16_t>(mss);
          o.ts_ok = ts;
          o.sack_ok = 1;
          o.wscale_ok = 1;
          o.wscale = 9;
          uint32_t cookie = Encode(s, c, t, 1000 + checked, o, kNow);
          ASSERT_EQ(sg_cookie_check(&s, &c, &t, 1000 + checked, cookie, kNow), SG_COOKIE_VALID);
          EXPECT_EQ(cookie & (ts ? SG_COOKIE_MSS_TS_MASK : SG_COOKIE_MSS_MASK), i)
              << "family " << int(fam) << " ts " << ts << " mss " << mss;
          sg_handshake hs{};
          ASSERT_EQ(sg_cookie_decode(&c, fam, cookie, ts, sg_ts_options(&o, 1), &hs), 0);
          EXPECT_EQ(hs.mss, table[i]) << "family " << int(fam) << " ts " << ts << " mss " << mss;
          ++checked;
        }
        // And straight from the index.
        sg_handshake hs{};
        uint32_t low = static_cast<uint32_t>(i);
        if (!ts) low |= 1u << SG_COOKIE_WSCALE_SHIFT;
        ASSERT_EQ(sg_cookie_decode(&c, fam, 0x55555500u | low, ts, 0x0fu, &hs), 0);
        EXPECT_EQ(hs.mss, table[i]);
      }
    }
  EXPECT_EQ(checked, 2 * 2 * (4 + 8));
}

// The 8-entry lookup (a binary search) against the linear rule, for every
// MSS, on the shipped tables and on random ascending ones.
TEST(CookieMss, FineIndexMatchesTheLinearRule) {
  sg_config c = TestConfig();
  std::vector<std::vector<uint16_t>> tables = {{c.mss_ts_v4, c.mss_ts_v4 + 8},
                                               {c.mss_ts_v6, c.mss_ts_v6 + 8}};
  std::mt19937 rng(7);
  for (int n = 0; n < 50; ++n) {
    std::vector<uint16_t> t;
    while (t.size() < 8) {
      uint16_t v = static_cast<uint16_t>(536 + rng() % 9000);
      if (std::find(t.begin(), t.end(), v) == t.end()) t.push_back(v);
    }
    std::sort(t.begin(), t.end());
    tables.push_back(t);
  }
  for (const auto& t : tables)
    for (uint32_t mss = 0; mss <= 65535; ++mss)
      ASSERT_EQ(sg_mss_ts_index(t.data(), mss), WantIndex(t, mss)) << "mss " << mss;
}

struct Common {
  uint8_t family;
  uint16_t mss;
  const char* what;
};

// The client MSS values issue 14 names, and their IPv6 equivalents.
const Common kCommon[] = {
    {SG_AF_INET, 1460, "Ethernet"},
    {SG_AF_INET, 1452, "PPPoE"},
    {SG_AF_INET, 1440, "PPPoE clamped / tunnels"},
    {SG_AF_INET, 1420, "WireGuard / cloud"},
    {SG_AF_INET, 1380, "IPsec, WireGuard over IPv6"},
    {SG_AF_INET, 1360, "tunnels"},
    {SG_AF_INET, 1240, "MTU 1280"},
    {SG_AF_INET, 1220, "IPv6 minimum"},
    {SG_AF_INET, 8960, "jumbo"},
    {SG_AF_INET6, 1220, "MTU 1280"},
    {SG_AF_INET6, 1340, "MTU 1400"},
    {SG_AF_INET6, 1360, "MTU 1420"},
    {SG_AF_INET6, 1400, "MTU 1460"},
    {SG_AF_INET6, 1420, "MTU 1480"},
    {SG_AF_INET6, 1432, "MTU 1492 (PPPoE)"},
    {SG_AF_INET6, 1440, "MTU 1500"},
    {SG_AF_INET6, 8940, "MTU 9000"},
};

// With timestamps (layout B) every common MSS keeps at least 97%, and never
// more than the client's.
TEST(CookieMss, CommonValuesWithTimestampsKeep97Percent) {
  sg_config c = TestConfig();
  sg_secrets s = TestSecrets();
  for (const Common& k : kCommon) {
    sg_tuple t = Tuple(k.family);
    sg_syn_opts o{};
    o.mss = k.mss;
    o.ts_ok = 1;
    o.sack_ok = 1;
    uint32_t cookie = Encode(s, c, t, 5, o, kNow);
    sg_handshake hs{};
    ASSERT_EQ(sg_cookie_decode(&c, k.family, cookie, 1, sg_ts_options(&o, 1), &hs), 0);
    EXPECT_LE(hs.mss, k.mss) << k.what;
    EXPECT_GE(hs.mss * 100, k.mss * 97u)
        << k.what << ": IPv" << int(k.family) << " MSS " << k.mss << " -> " << hs.mss;
  }
}

// Without timestamps (layout A) the MSS still never exceeds the client's
// (but the 4-entry table is coarse: 1452 -> 1300, as before).
TEST(CookieMss, CommonValuesWithoutTimestampsNeverExceedTheClients) {
  sg_config c = TestConfig();
  sg_secrets s = TestSecrets();
  for (const Common& k : kCommon) {
    sg_tuple t = Tuple(k.family);
    sg_syn_opts o{};
    o.mss = k.mss;
    uint32_t cookie = Encode(s, c, t, 5, o, kNow);
    sg_handshake hs{};
    ASSERT_EQ(sg_cookie_decode(&c, k.family, cookie, 0, 0, &hs), 0);
    EXPECT_LE(hs.mss, k.mss) << k.what;
  }
}

// The MAC covers the low byte in both layouts: a B cookie's index or its
// zero bits cannot be changed without the MAC failing.
TEST(CookieReject, LayoutBBitsAreUnderTheMac) {
  sg_config c = TestConfig();
  sg_secrets s = TestSecrets();
  sg_tuple t = Tuple(SG_AF_INET6);
  sg_syn_opts o{};
  o.mss = 1432;
  o.ts_ok = 1;
  uint32_t cookie = Encode(s, c, t, 99, o, kNow);
  for (int bit = 0; bit < 5; ++bit)
    EXPECT_EQ(sg_cookie_check(&s, &c, &t, 99, cookie ^ (1u << bit), kNow), SG_COOKIE_BAD_MAC)
        << "bit " << bit;
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
