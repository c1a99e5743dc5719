// The TC handoff program's packet table (bpf/synguard_tc.bpf.c): every row
// builds a frame, runs it through BPF_PROG_TEST_RUN on the real program as
// an skb, and states the action and the one reason counter that must move;
// every other counter must stay. Add a row, not a test function.
//
// What an skb test run cannot show, and where it is shown instead:
//  - "ok": bpf_sk_assign_tcp_reqsk() needs an skb at TC ingress, which a
//    test run's is not, so a valid cookie ACK counts "kfunc_failed" here
//    (the row below); the fuzzer sends such ACKs on lo for real
//    (tests/fuzz, rule 4) and tests/integration counts "ok" per connection.
//  - "existing_socket_xdp_mark": a test run's skb has no XDP metadata;
//    tests/integration/test_transfer.py counts it under real traffic.
//  - "no_cookie_source": the config and secrets are array maps, whose one
//    element a lookup always finds; the program checks for the verifier.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "packet_builder.h"
#include "synack_decoder.h"
#include "synguard/shared.h"
#include "util/unique_fd.h"
#include "xdp_fixture.h"

namespace sg::test {
namespace {

constexpr uint32_t kTcActOk = 0, kTcActShot = 2;
constexpr uint16_t kEngagedPort = 80;     // protected, cookies engaged, a listener
constexpr uint16_t kObservedPort = 8080;  // protected, not engaged, a listener
constexpr uint16_t kOpenPort = 22;        // not protected
constexpr uint16_t kNoListenerPort = 81;  // protected and engaged, nothing listens

struct TcScenario {
  XdpFixture& fx;
  std::vector<uint8_t> frame;
  std::shared_ptr<void> keep_alive;  // the connection an ACK belongs to
};

struct TcRow {
  std::string name;
  std::function<void(TcScenario&)> prepare;
  uint32_t action;
  sg_reason reason;
};

void PrintTo(const TcRow& row, std::ostream* os) { *os << row.name; }

PacketSpec Ack(PacketSpec spec) {
  spec.tcp_flags = kTcpAck;
  spec.ack_seq = 0x0badc0de;
  return spec;
}

TcRow Frame(std::string name, PacketSpec spec, uint32_t action, sg_reason reason) {
  auto prepare = [spec](TcScenario& s) { s.frame = BuildFrame(spec); };
  return {std::move(name), prepare, action, reason};
}

// The client's ACK to a SYN+ACK of the XDP program for syn: seq = ISN + 1,
// ack = cookie + 1, a timestamp echo when the SYN+ACK had one; then edit.
TcRow CookieAck(std::string name, PacketSpec syn, std::function<void(PacketSpec&)> edit,
                uint32_t action, sg_reason reason) {
  auto prepare = [syn, edit](TcScenario& s) {
    auto answer = s.fx.Run(BuildFrame(syn));
    ASSERT_TRUE(answer.ok()) << answer.error().message();
    ASSERT_EQ(answer->verdict, XDP_TX) << "the SYN in front of the ACK was not answered";
    auto synack = DecodeSynAck(answer->frame);
    ASSERT_TRUE(synack.ok()) << synack.error().message();
    PacketSpec ack = ClientAck(syn, *synack, 0x5eed0002);
    if (edit) edit(ack);
    s.frame = BuildFrame(ack);
  };
  return {std::move(name), prepare, action, reason};
}

// An ACK of a real connection from the rows' client to the fixture's
// listener at port (handshake done by the kernel on lo, never accepted).
TcRow EstablishedAck(std::string name, bool v6, uint16_t port) {
  auto prepare = [v6, port](TcScenario& s) {
    PacketSpec ack = Ack(v6 ? SynV6() : SynV4());
    ack.dport = port;
    sockaddr_storage client{}, server{};
    socklen_t len = v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    if (v6) {
      auto* c = reinterpret_cast<sockaddr_in6*>(&client);
      auto* d = reinterpret_cast<sockaddr_in6*>(&server);
      c->sin6_family = d->sin6_family = AF_INET6;
      std::memcpy(&c->sin6_addr, ack.saddr.data(), 16);
      std::memcpy(&d->sin6_addr, ack.daddr.data(), 16);
      d->sin6_port = htons(port);
    } else {
      auto* c = reinterpret_cast<sockaddr_in*>(&client);
      auto* d = reinterpret_cast<sockaddr_in*>(&server);
      c->sin_family = d->sin_family = AF_INET;
      std::memcpy(&c->sin_addr, ack.saddr.data(), 4);
      std::memcpy(&d->sin_addr, ack.daddr.data(), 4);
      d->sin_port = htons(port);
    }
    auto fd = std::make_shared<sg::UniqueFd>(
        socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(fd->valid()) << strerror(errno);
    ASSERT_EQ(bind(fd->get(), reinterpret_cast<sockaddr*>(&client), len), 0) << strerror(errno);
    ASSERT_EQ(connect(fd->get(), reinterpret_cast<sockaddr*>(&server), len), 0) << strerror(errno);
    ASSERT_EQ(getsockname(fd->get(), reinterpret_cast<sockaddr*>(&client), &len), 0);
    ack.sport = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&client)->sin6_port
                         : reinterpret_cast<sockaddr_in*>(&client)->sin_port);
    s.frame = BuildFrame(ack);
    s.keep_alive = fd;
  };
  return {std::move(name), prepare, kTcActOk, SG_R_HANDOFF_SOCKET};
}

// A SYN whose cookie has window scaling in the bits a timestamp cookie
// keeps zero (no timestamps offered).
PacketSpec SynWithoutTimestamps(PacketSpec base) {
  return Syn(std::move(base), TcpOptions().Mss(1460).Nop().WindowScale(7));
}

void AddTimestamp(PacketSpec& ack) { ack.tcp_options.Nop().Nop().Timestamp(0x5eed0003, 1); }

std::vector<TcRow> Table() {
  const PacketSpec v4 = SynV4(), v6 = SynV6();
  return {
      // Not plain TCP: passed, counted once, whatever the reason below TCP.
      Frame("arp", With(v4, [](PacketSpec& p) { p.l3 = L3::kArp; }), kTcActOk,
            SG_R_TC_PASS_NOT_TCP),
      Frame("v4_udp", With(Ack(v4), [](PacketSpec& p) { p.protocol = kIpProtoUdp; }), kTcActOk,
            SG_R_TC_PASS_NOT_TCP),
      Frame("v4_fragment", With(Ack(v4), [](PacketSpec& p) { p.frag_off = 0x0004; }), kTcActOk,
            SG_R_TC_PASS_NOT_TCP),
      Frame("v4_bad_ihl", With(Ack(v4), [](PacketSpec& p) { p.ihl = 4; }), kTcActOk,
            SG_R_TC_PASS_NOT_TCP),
      Frame("v4_bad_version", With(Ack(v4), [](PacketSpec& p) { p.ip_version = 6; }), kTcActOk,
            SG_R_TC_PASS_NOT_TCP),
      Frame("v6_hop_by_hop", With(Ack(v6), [](PacketSpec& p) { p.ipv6_ext_header = 0; }), kTcActOk,
            SG_R_TC_PASS_NOT_TCP),
      Frame("v4_tcp_truncated", With(Ack(v4), [](PacketSpec& p) { p.truncate_to = 14 + 20 + 10; }),
            kTcActOk, SG_R_TC_PASS_NOT_TCP),
      Frame("vlan_inner_arp",
            With(v4,
                 [](PacketSpec& p) {
                   p.l3 = L3::kArp;
                   p.vlans = {{kEth8021Q, 5}};
                 }),
            kTcActOk, SG_R_TC_PASS_NOT_TCP),

      // TCP that is not an ACK without SYN and RST.
      Frame("v4_syn", v4, kTcActOk, SG_R_TC_PASS_OTHER_FLAGS),
      Frame("v6_syn", v6, kTcActOk, SG_R_TC_PASS_OTHER_FLAGS),
      Frame("v4_synack", With(Ack(v4), [](PacketSpec& p) { p.tcp_flags = kTcpSyn | kTcpAck; }),
            kTcActOk, SG_R_TC_PASS_OTHER_FLAGS),
      Frame("v4_rst_ack", With(Ack(v4), [](PacketSpec& p) { p.tcp_flags = kTcpRst | kTcpAck; }),
            kTcActOk, SG_R_TC_PASS_OTHER_FLAGS),
      Frame("v4_no_flags", With(Ack(v4), [](PacketSpec& p) { p.tcp_flags = 0; }), kTcActOk,
            SG_R_TC_PASS_OTHER_FLAGS),

      // ACKs to a port synguard does not protect.
      Frame("v4_ack_unprotected", With(Ack(v4), [](PacketSpec& p) { p.dport = kOpenPort; }),
            kTcActOk, SG_R_TC_PASS_UNPROTECTED),
      Frame("v6_ack_unprotected", With(Ack(v6), [](PacketSpec& p) { p.dport = kOpenPort; }),
            kTcActOk, SG_R_TC_PASS_UNPROTECTED),
      Frame("vlan_v4_ack_unprotected",
            With(Ack(v4),
                 [](PacketSpec& p) {
                   p.dport = kOpenPort;
                   p.vlans = {{kEth8021AD, 7}, {kEth8021Q, 9}};
                 }),
            kTcActOk, SG_R_TC_PASS_UNPROTECTED),

      // ACKs to protected ports: what the handoff makes of them.
      EstablishedAck("v4_established", false, kEngagedPort),
      EstablishedAck("v6_established", true, kObservedPort),
      Frame("v4_ack_no_listener", With(Ack(v4), [](PacketSpec& p) { p.dport = kNoListenerPort; }),
            kTcActOk, SG_R_HANDOFF_NO_LISTENER),
      Frame("v6_ack_no_listener", With(Ack(v6), [](PacketSpec& p) { p.dport = kNoListenerPort; }),
            kTcActOk, SG_R_HANDOFF_NO_LISTENER),
      // Not one of our cookies: the kernel answers it as it would without us.
      Frame("v4_ack_made_up_cookie", Ack(v4), kTcActOk, SG_R_HANDOFF_BAD_COOKIE),
      Frame("v6_ack_made_up_cookie_not_engaged",
            With(Ack(v6), [](PacketSpec& p) { p.dport = kObservedPort; }), kTcActOk,
            SG_R_HANDOFF_BAD_COOKIE),
      CookieAck(
          "v4_cookie_mac_bit_flipped", SynWithoutTimestamps(v4),
          [](PacketSpec& a) { a.ack_seq = ((a.ack_seq - 1) ^ (1u << 20)) + 1; }, kTcActOk,
          SG_R_HANDOFF_BAD_COOKIE),
      // A valid MAC whose timestamp echo contradicts it: forged, dropped.
      CookieAck("v4_cookie_forged_timestamp_echo", SynWithoutTimestamps(v4), AddTimestamp,
                kTcActShot, SG_R_HANDOFF_FORGED_ECHO),
      CookieAck("v6_cookie_forged_timestamp_echo", SynWithoutTimestamps(v6), AddTimestamp,
                kTcActShot, SG_R_HANDOFF_FORGED_ECHO),
      // A valid cookie reaches the kfunc, which refuses a test run's skb.
      CookieAck("v4_cookie_valid", SynWithoutTimestamps(v4), {}, kTcActOk, SG_R_HANDOFF_FAILED),
      CookieAck("v6_cookie_valid_timestamps", Syn(v6, TcpOptions::LinuxSyn(1440, 0x5eed0001, 7)),
                {}, kTcActOk, SG_R_HANDOFF_FAILED),
  };
}

class TcRowTest : public XdpTableTest<TcRow> {
 protected:
  void SetUp() override {
    XdpTableTest::SetUp();
    if (HasFatalFailure()) return;
    if (!fixture_->has_tc()) GTEST_SKIP() << "no reqsk kfunc: the TC program is not loaded";
    ASSERT_TRUE(fixture_->SetPort(kEngagedPort, SG_PORT_PROTECTED | SG_PORT_ENGAGED).ok());
    ASSERT_TRUE(fixture_->SetPort(kObservedPort, SG_PORT_PROTECTED).ok());
    ASSERT_TRUE(fixture_->SetPort(kNoListenerPort, SG_PORT_PROTECTED | SG_PORT_ENGAGED).ok());
  }
};

TEST_P(TcRowTest, Row) {
  const TcRow& row = GetParam();
  TcScenario s{*fixture_, {}, {}};
  row.prepare(s);
  if (HasFatalFailure()) return;
  ASSERT_FALSE(s.frame.empty());

  auto r = fixture_->RunTc(s.frame);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->verdict, row.action) << "TC action (0 TC_ACT_OK, 2 TC_ACT_SHOT)";
  for (uint32_t reason = 0; reason < SG_R_MAX; ++reason)
    EXPECT_EQ(r->counted[reason], reason == row.reason ? 1u : 0u)
        << "counter " << sg_reason_program(reason) << " " << sg_reason_verdicts[reason] << "/"
        << sg_reason_names[reason];
  EXPECT_EQ(r->frame, s.frame) << "the TC program never writes to the packet";
}

INSTANTIATE_TEST_SUITE_P(Tc, TcRowTest, ::testing::ValuesIn(Table()),
                         [](const ::testing::TestParamInfo<TcRow>& info) {
                           return info.param.name;
                         });

// The list's runs, as the programs and the metrics rely on them: XDP's
// reasons first (pass, tx, drop), then the TC program's (pass, handoff,
// drop), each program's drops one run, the handoff's results last.
TEST(ReasonRuns, TcReasonsFollowXdpsAndTheirDropsAreOneRun) {
  for (uint32_t r = 0; r < SG_R_MAX; ++r) {
    const std::string verdict = sg_reason_verdicts[r];
    const bool tc = r >= SG_R_TC_FIRST;
    EXPECT_STREQ(sg_reason_program(r), tc ? "tc" : "xdp") << r;
    const bool drop_run = tc ? (r >= SG_R_TC_DROP_FIRST && r <= SG_R_TC_DROP_LAST)
                             : (r >= SG_R_DROP_FIRST && r <= SG_R_DROP_LAST);
    EXPECT_EQ(verdict == "drop", drop_run) << sg_reason_names[r];
    if (tc)
      EXPECT_TRUE(verdict == "pass" || verdict == "handoff" || verdict == "drop") << verdict;
    else
      EXPECT_TRUE(verdict == "pass" || verdict == "tx" || verdict == "drop") << verdict;
  }
  EXPECT_LT(SG_R_DROP_LAST, SG_R_TC_FIRST);
  EXPECT_LE(SG_R_TC_FIRST, SG_R_HANDOFF_FIRST);
  EXPECT_GE(SG_R_TC_DROP_FIRST, SG_R_HANDOFF_FIRST);
  EXPECT_STREQ(sg_reason_verdicts[SG_R_HANDOFF_OK], "handoff");
  // The result names dashboards and alerts use (deploy/prometheus).
  EXPECT_STREQ(sg_reason_names[SG_R_HANDOFF_OK], "ok");
  EXPECT_STREQ(sg_reason_names[SG_R_HANDOFF_FAILED], "kfunc_failed");
  EXPECT_STREQ(sg_reason_names[SG_R_HANDOFF_BAD_COOKIE], "bad_cookie");
}

}  // namespace
}  // namespace sg::test
