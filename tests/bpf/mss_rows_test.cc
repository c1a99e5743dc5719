// MSS fidelity through the real XDP program (BPF_PROG_TEST_RUN): for each
// common client MSS, with and without timestamps, over IPv4 and IPv6, a SYN
// gets a SYN+ACK whose cookie decodes (through include/synguard/cookie.h, the
// header the TC program runs) to an MSS at most 3% below the client's and
// never above it; the client's ACK then passes XDP's cookie check.
//
// The TC handoff itself cannot run here: bpf_sk_assign_tcp_reqsk() needs a
// real ingress skb, so under BPF_PROG_TEST_RUN it fails (the fuzzer's TC
// rules say the same). The MSS the listener gets is exactly what
// sg_cookie_decode() returns (attrs.mss = hs.mss); tests/integration/
// test_mss_fidelity.py checks the accepted socket end to end.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "datapath/xdp_action.h"
#include "packet_builder.h"
#include "synack_decoder.h"
#include "synguard/shared.h"
#include "xdp_fixture.h"

namespace sg::test {
namespace {

constexpr uint16_t kPort = 80;  // SynV4() / SynV6() go to port 80
constexpr uint32_t kClientTsval = 0x01020304;

struct MssRow {
  bool v6;
  uint16_t mss;
  bool ts;
  const char* what;
};

void PrintTo(const MssRow& r, std::ostream* os) {
  *os << (r.v6 ? "IPv6" : "IPv4") << " MSS " << r.mss << (r.ts ? " with" : " without")
      << " timestamps (" << r.what << ")";
}

std::string RowName(const ::testing::TestParamInfo<MssRow>& info) {
  const MssRow& r = info.param;
  return std::string(r.v6 ? "v6_" : "v4_") + std::to_string(r.mss) + (r.ts ? "_ts" : "_no_ts");
}

// Issue 14's client MSS values (IPv4) and the IPv6 ones at MTUs 1280, 1400,
// 1420, 1460, 1480, 1492, 1500 and 9000, each with and without timestamps.
std::vector<MssRow> Rows() {
  struct Value {
    bool v6;
    uint16_t mss;
    const char* what;
  };
  const Value values[] = {
      {false, 1460, "Ethernet"},     {false, 1452, "PPPoE"},           {false, 1440, "tunnels"},
      {false, 1420, "WireGuard"},    {false, 1380, "IPsec"},           {false, 1360, "tunnels"},
      {false, 1220, "IPv6 minimum"}, {false, 8960, "jumbo"},           {true, 1220, "MTU 1280"},
      {true, 1340, "MTU 1400"},      {true, 1360, "MTU 1420"},         {true, 1400, "MTU 1460"},
      {true, 1420, "MTU 1480"},      {true, 1432, "MTU 1492 (PPPoE)"}, {true, 1440, "MTU 1500"},
      {true, 8940, "MTU 9000"},
  };
  std::vector<MssRow> rows;
  for (const Value& v : values)
    for (bool ts : {true, false}) rows.push_back({v.v6, v.mss, ts, v.what});
  return rows;
}

class MssRowTest : public XdpTableTest<MssRow> {
 protected:
  void SetUp() override {
    XdpTableTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(fixture_->SetPort(kPort, SG_PORT_PROTECTED | SG_PORT_ENGAGED).ok());
  }
};

TEST_P(MssRowTest, CookieKeepsTheClientsMssWithin3Percent) {
  const MssRow& row = GetParam();
  XdpFixture& fx = *fixture_;
  // What Linux sends (MSS, SACK, timestamps, window scale 7), or the same
  // without timestamps.
  TcpOptions opts;
  if (row.ts) {
    opts = TcpOptions::LinuxSyn(row.mss, kClientTsval, 7);
  } else {
    opts.Mss(row.mss).SackPermitted().Nop().WindowScale(7);
  }
  const PacketSpec syn = Syn(row.v6 ? SynV6() : SynV4(), opts);
  const sg_config cfg = fx.config();
  const sg_secrets secrets = fx.secrets();

  auto r = fx.Run(BuildFrame(syn));
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(sg::XdpActionName(r->verdict), std::string(sg::XdpActionName(XDP_TX)))
      << "the SYN was not answered";
  auto d = DecodeSynAck(r->frame);
  ASSERT_TRUE(d.ok()) << d.error().message();
  const uint32_t cookie = d->seq;
  const TcpOption* ts = d->Find(kOptTimestamp);
  ASSERT_EQ(ts != nullptr, row.ts) << "the SYN+ACK offers timestamps exactly when the client did";

  // The ACK the client sends: TSecr = our TSval when timestamps are on.
  uint32_t tsecr = 0;
  if (ts) {
    ASSERT_EQ(ts->data.size(), 8u);
    tsecr = Be32(ts->data, 0);
  }
  const sg_tuple t = TupleOf(syn);
  ASSERT_EQ(sg_cookie_check(&secrets, &cfg, &t, syn.seq, cookie, fx.NowNs()), SG_COOKIE_VALID);
  sg_handshake hs{};
  ASSERT_EQ(sg_cookie_decode(&cfg, t.family, cookie, row.ts, tsecr, &hs), 0);

  EXPECT_LE(hs.mss, row.mss) << row.what << ": never above the client's MSS";
  if (row.ts) {
    EXPECT_GE(hs.mss * 100u, row.mss * 97u)
        << row.what << ": IPv" << (row.v6 ? 6 : 4) << " MSS " << row.mss << " -> " << hs.mss;
    EXPECT_EQ(cookie & SG_COOKIE_TS_ZERO_MASK, 0u) << "layout B";
  } else {
    // Without timestamps the 4-entry table (layout A), as before issue 14.
    const uint16_t* table = row.v6 ? cfg.mss_v6 : cfg.mss_v4;
    uint16_t want = table[0];
    for (int i = 0; i < SG_MSS_TABLE_SIZE; ++i)
      if (row.mss >= table[i]) want = table[i];
    EXPECT_EQ(hs.mss, want) << row.what;
  }
  // The options still come through whichever layout carried them.
  EXPECT_TRUE(hs.sack_ok);
  EXPECT_TRUE(hs.wscale_ok);
  EXPECT_EQ(hs.snd_wscale, 7);
  EXPECT_EQ(hs.tstamp_ok, row.ts);

  // And XDP takes the client's ACK for a valid cookie, in either layout.
  PacketSpec ack = syn;
  ack.tcp_flags = kTcpAck;
  ack.seq = syn.seq + 1;
  ack.ack_seq = cookie + 1;
  ack.tcp_options = TcpOptions();
  if (ts) ack.tcp_options.Nop().Nop().Timestamp(kClientTsval + 1, tsecr);
  auto a = fx.Run(BuildFrame(ack));
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(sg::XdpActionName(a->verdict), std::string(sg::XdpActionName(XDP_PASS)));
  EXPECT_EQ(a->counted[SG_R_PASS_COOKIE_VALID], 1u) << "the ACK's cookie was not taken as valid";
}

INSTANTIATE_TEST_SUITE_P(Xdp, MssRowTest, ::testing::ValuesIn(Rows()), RowName);

}  // namespace
}  // namespace sg::test
