// The XDP program's packet table: every row names a case, builds the frame,
// and states the verdict, the one reason counter that must move, and for a
// SYN+ACK what the answer must say. Rows run through BPF_PROG_TEST_RUN on the
// real program (tests/bpf/xdp_fixture.h). Add a row, not a test function.
//
// A row fails when the program answers a malformed frame (verdict), drops a
// valid ACK (verdict and reason), writes a wrong checksum (checked with
// reference_checksum.h, not bpf/lib/csum.h), or touches a frame it passes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "packet_builder.h"
#include "reference_checksum.h"
#include "synack_decoder.h"
#include "synguard/shared.h"
#include "util/unique_fd.h"
#include "xdp_fixture.h"
#include "datapath/xdp_action.h"

namespace sg::test {
namespace {

constexpr uint16_t kEngagedPort = 80;     // protected, cookies engaged
constexpr uint16_t kObservedPort = 8080;  // protected, not engaged
constexpr uint16_t kOpenPort = 22;        // not protected
constexpr uint16_t kNoListenerPort = 81;  // protected and engaged in its rows, nothing listens
constexpr uint32_t kClientTsval = 0x5eed0001;

// What a SYN offers, as the server must understand it: the expectation of
// a SYN+ACK row, stated by hand (not parsed back out of the SYN).
struct Offer {
  std::optional<uint16_t> mss;
  bool sack = false;
  std::optional<uint32_t> tsval;
  std::optional<uint8_t> wscale;  // as sent: more than 14 is taken as 14
  bool ecn = false;               // the SYN had ECE and CWR

  Offer Mss(uint16_t v) const {
    return Set([v](Offer& o) { o.mss = v; });
  }
  Offer Sack() const {
    return Set([](Offer& o) { o.sack = true; });
  }
  Offer Ts(uint32_t v) const {
    return Set([v](Offer& o) { o.tsval = v; });
  }
  Offer Ws(uint8_t v) const {
    return Set([v](Offer& o) { o.wscale = v; });
  }
  Offer Ecn() const {
    return Set([](Offer& o) { o.ecn = true; });
  }

 private:
  template <class F>
  Offer Set(F f) const {
    Offer o = *this;
    f(o);
    return o;
  }
};

// What a row's prepare step leaves for the run and the checks.
struct Scenario {
  XdpFixture& fx;
  PacketSpec sent;                   // the frame's spec (the SYN, for SYN+ACK rows)
  std::vector<uint8_t> frame;        // what runs through the program
  std::shared_ptr<void> keep_alive;  // e.g. the loopback connection an ACK belongs to
};

struct Row {
  std::string name;
  std::function<void(Scenario&)> prepare;
  uint32_t verdict;
  sg_reason reason;
  std::optional<Offer> synack;  // XDP_TX rows only
};

void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

std::string IpText(const IpAddr& a, bool v6) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, a.data(), buf, sizeof(buf));
  return buf;
}

// The clock of our TSval in reqsk mode (the fixture's mode): monotonic
// nanoseconds >> 20, about a millisecond (see sg_synack_tsval).
uint32_t TsClock() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t ns =
      static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
  return static_cast<uint32_t>(ns >> 20);
}

// ---- Building rows ----------------------------------------------------

using Setup = std::function<void(XdpFixture&)>;

std::function<void(Scenario&)> Frame(PacketSpec spec, Setup setup) {
  return [spec, setup](Scenario& s) {
    if (setup) setup(s.fx);
    s.sent = spec;
    s.frame = BuildFrame(spec);
  };
}

// A SYN the program must answer.
Row Answer(std::string name, PacketSpec syn, Offer offer, Setup setup = {}) {
  return {std::move(name), Frame(std::move(syn), std::move(setup)), XDP_TX, SG_R_TX_SYNACK, offer};
}

// A frame the program must pass or drop, untouched.
Row Verdict(std::string name, PacketSpec spec, uint32_t verdict, sg_reason reason,
            Setup setup = {}) {
  return {std::move(name), Frame(std::move(spec), std::move(setup)), verdict, reason, {}};
}

// Edits the client's ACK (and the fixture: rotate, advance the clock) after
// the SYN was answered and before the ACK runs.
using AckEdit = std::function<void(XdpFixture&, PacketSpec&)>;

// Runs the SYN, then answers the SYN+ACK as a client would: seq = ISN + 1,
// ack = cookie + 1, TSecr = our TSval when timestamps were negotiated.
Row CookieAck(std::string name, PacketSpec syn, AckEdit edit, uint32_t verdict, sg_reason reason) {
  auto prepare = [syn, edit](Scenario& s) {
    auto answer = s.fx.Run(BuildFrame(syn));
    ASSERT_TRUE(answer.ok()) << answer.error().message();
    ASSERT_EQ(answer->verdict, XDP_TX) << "the SYN in front of the ACK was not answered";
    auto synack = DecodeSynAck(answer->frame);
    ASSERT_TRUE(synack.ok()) << synack.error().message();

    PacketSpec ack = ClientAck(syn, *synack, kClientTsval + 1);
    if (edit) edit(s.fx, ack);
    s.sent = ack;
    s.frame = BuildFrame(ack);
  };
  return {std::move(name), prepare, verdict, reason, {}};
}

// The ACK's cookie with one MAC bit flipped.
void FlipMacBit(XdpFixture&, PacketSpec& ack) {
  ack.ack_seq = ((ack.ack_seq - 1) ^ (1u << 20)) + 1;
}

void OtherSourcePort(XdpFixture&, PacketSpec& ack) { ack.sport += 1; }

void AdvanceSlots(XdpFixture& fx, int slots) {
  sg::Status s = fx.AdvanceClock(static_cast<int64_t>(sg_slot_ns(&fx.config())) * slots);
  ASSERT_TRUE(s.ok()) << s.error().message();
}

// The daemon's rotation: a new key into the idle slot, `current` flipped,
// and the old key valid until old_expires_ns.
void Rotate(XdpFixture& fx, uint64_t old_expires_ns) {
  sg_secrets s = fx.secrets();
  uint32_t next = s.current ^ 1;
  s.key[next] = {0x1122334455667788ull, 0x99aabbccddeeff00ull, ~0ull};
  s.key[s.current].expires_ns = old_expires_ns;
  s.current = next;
  sg::Status st = fx.SetSecrets(s);
  ASSERT_TRUE(st.ok()) << st.error().message();
}

Setup Lists(std::vector<std::tuple<std::string, uint32_t, uint32_t>> entries) {
  return [entries](XdpFixture& fx) {
    sg_config cfg = fx.config();
    cfg.flags |= SG_CFG_LISTS;
    ASSERT_TRUE(fx.SetConfig(cfg).ok());
    for (const auto& [addr, prefix, action] : entries) {
      bool v6 = addr.find(':') != std::string::npos;
      sg::Status s = fx.AddListEntry(Ip(addr), v6, prefix, action);
      ASSERT_TRUE(s.ok()) << s.error().message();
    }
  };
}

Setup EngagePort(uint16_t port) {
  return [port](XdpFixture& fx) {
    ASSERT_TRUE(fx.SetPort(port, SG_PORT_PROTECTED | SG_PORT_ENGAGED).ok());
  };
}

Setup ConfigFlags(uint32_t flags) {
  return [flags](XdpFixture& fx) {
    sg_config cfg = fx.config();
    cfg.flags = flags;
    ASSERT_TRUE(fx.SetConfig(cfg).ok());
  };
}

// ---- A real TCP connection over loopback --------------------------------

// BPF_PROG_TEST_RUN looks sockets up in the test's own network namespace
// (XdpFixture::Load enters it and puts the rows' client and server addresses
// on lo), so an ACK with this 4-tuple belongs to an established socket. Not
// 127.0.0.1: a loopback source is refused before any socket lookup.
struct LoopbackConnection {
  sg::UniqueFd listener, client, server;
  IpAddr client_addr{}, server_addr{};
  uint16_t listen_port = 0;
  uint16_t client_port = 0;
};

sockaddr_storage SockAddr(bool v6, const IpAddr& addr, socklen_t* len) {
  sockaddr_storage ss{};
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    std::memcpy(&a->sin6_addr, addr.data(), 16);
    *len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    std::memcpy(&a->sin_addr, addr.data(), 4);
    *len = sizeof(sockaddr_in);
  }
  return ss;
}

uint16_t PortOf(const sockaddr_storage& ss, bool v6) {
  return ntohs(v6 ? reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port
                  : reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
}

void OpenLoopback(bool v6, std::shared_ptr<LoopbackConnection>* out) {
  auto c = std::make_shared<LoopbackConnection>();
  const int af = v6 ? AF_INET6 : AF_INET;
  const PacketSpec rows = v6 ? SynV6() : SynV4();
  c->client_addr = rows.saddr;
  c->server_addr = rows.daddr;
  socklen_t len = 0, clen = 0;
  sockaddr_storage ss = SockAddr(v6, c->server_addr, &len);
  sockaddr_storage cs = SockAddr(v6, c->client_addr, &clen);
  c->listener.reset(socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(c->listener.valid()) << "socket: " << strerror(errno);
  ASSERT_EQ(bind(c->listener.get(), reinterpret_cast<sockaddr*>(&ss), len), 0) << strerror(errno);
  ASSERT_EQ(listen(c->listener.get(), 4), 0) << strerror(errno);
  ASSERT_EQ(getsockname(c->listener.get(), reinterpret_cast<sockaddr*>(&ss), &len), 0);
  c->client.reset(socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(c->client.valid());
  ASSERT_EQ(bind(c->client.get(), reinterpret_cast<sockaddr*>(&cs), clen), 0) << strerror(errno);
  ASSERT_EQ(connect(c->client.get(), reinterpret_cast<sockaddr*>(&ss), len), 0) << strerror(errno);
  c->server.reset(accept4(c->listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(c->server.valid()) << "accept: " << strerror(errno);

  sockaddr_storage local{};
  socklen_t llen = sizeof(local);
  ASSERT_EQ(getsockname(c->client.get(), reinterpret_cast<sockaddr*>(&local), &llen), 0);
  c->listen_port = PortOf(ss, v6);
  c->client_port = PortOf(local, v6);
  *out = std::move(c);
}

// An ACK from a loopback client to a protected, engaged loopback listener;
// established: the client's own port (else one with no connection).
Row LoopbackAck(std::string name, bool v6, bool established, uint32_t verdict, sg_reason reason,
                uint8_t tcp_flags = kTcpAck) {
  auto prepare = [v6, established, tcp_flags](Scenario& s) {
    std::shared_ptr<LoopbackConnection> c;
    OpenLoopback(v6, &c);
    if (!c) return;
    ASSERT_TRUE(s.fx.SetPort(c->listen_port, SG_PORT_PROTECTED | SG_PORT_ENGAGED).ok());
    PacketSpec ack = v6 ? SynV6() : SynV4();
    ack.saddr = c->client_addr;
    ack.daddr = c->server_addr;
    ack.sport = established ? c->client_port : static_cast<uint16_t>(c->client_port ^ 0x4000);
    ack.dport = c->listen_port;
    ack.tcp_flags = tcp_flags;
    ack.seq = 0x01020304;
    // A made-up cookie. For the listener-only case it names the live key and
    // the current slot, so that only its MAC can be wrong.
    uint32_t slot = (s.fx.NowNs() / sg_slot_ns(&s.fx.config())) & SG_COOKIE_SLOT_MASK;
    ack.ack_seq = established ? 0xdeadbeef : (0xdead00u << 8 | slot << SG_COOKIE_SLOT_SHIFT) + 1;
    s.sent = ack;
    s.frame = BuildFrame(ack);
    s.keep_alive = c;
  };
  return {std::move(name), prepare, verdict, reason, {}};
}

// ---- The table ----------------------------------------------------------

std::vector<Row> Table() {
  const PacketSpec v4 = SynV4();
  const PacketSpec v6 = SynV6();
  const TcpOptions none;
  const TcpOptions linux_set = TcpOptions::LinuxSyn(1460, kClientTsval, 7);
  const TcpOptions linux_set6 = TcpOptions::LinuxSyn(1440, kClientTsval, 7);
  const Offer linux_offer = Offer().Mss(1460).Sack().Ts(kClientTsval).Ws(7);
  const Offer linux_offer6 = Offer().Mss(1440).Sack().Ts(kClientTsval).Ws(7);
  const Offer ts_only = Offer().Ts(kClientTsval);
  const TcpOptions odd_order =
      TcpOptions().WindowScale(5).Nop().Timestamp(kClientTsval, 0).SackPermitted().Nop().Mss(1300);
  const Offer odd_offer = Offer().Mss(1300).Sack().Ts(kClientTsval).Ws(5);
  // Kinds this program does not know (253 experimental, 30 MPTCP, 99
  // unassigned) are stepped over by their length.
  const TcpOptions unknown_kinds = TcpOptions()
                                       .Raw(253, {0xf9, 0x89})
                                       .Mss(1460)
                                       .Raw(30, {0x00, 0x81, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06})
                                       .SackPermitted()
                                       .Raw(99, {})
                                       .WindowScale(2)
                                       .Nop();
  const Offer unknown_offer = Offer().Mss(1460).Sack().Ws(2);
  // EOL ends the list: what follows it is not an offer.
  const TcpOptions eol_middle =
      TcpOptions().Mss(1300).Eol().SackPermitted().Timestamp(kClientTsval, 0).WindowScale(7);
  const TcpOptions eol_middle6 =
      TcpOptions().Mss(1380).Eol().SackPermitted().Timestamp(kClientTsval, 0).WindowScale(7);
  // Other stacks' SYNs, all read by the fast word reader (tcp_options.h).
  const TcpOptions windows =
      TcpOptions().Mss(1460).Nop().WindowScale(8).Nop().Nop().SackPermitted();
  const TcpOptions macos = TcpOptions()
                               .Mss(1460)
                               .Nop()
                               .WindowScale(6)
                               .Nop()
                               .Nop()
                               .Timestamp(kClientTsval, 0)
                               .SackPermitted()
                               .Eol()
                               .Eol();
  const TcpOptions freebsd =
      TcpOptions().Mss(1460).Nop().WindowScale(6).SackPermitted().Timestamp(kClientTsval, 0);
  const uint8_t ecn = kTcpEce | kTcpCwr;
  const uint32_t pass = XDP_PASS, drop = XDP_DROP;
  const VlanTag q{kEth8021Q, 0x0064}, ad{kEth8021AD, 0x20c8};

  std::vector<Row> rows = {
      // SYNs answered, IPv4.
      Answer("v4_syn_no_options", Syn(v4, none), Offer()),
      Answer("v4_syn_mss_only", Syn(v4, TcpOptions().Mss(1460)), Offer().Mss(1460)),
      Answer("v4_syn_mss_below_table", Syn(v4, TcpOptions().Mss(500)), Offer().Mss(500)),
      Answer("v4_syn_mss_jumbo", Syn(v4, TcpOptions().Mss(9000)), Offer().Mss(9000)),
      Answer("v4_syn_linux_set", Syn(v4, linux_set), linux_offer),
      Answer("v4_syn_ts_only", Syn(v4, TcpOptions().Nop().Nop().Timestamp(kClientTsval, 0)),
             ts_only),
      Answer("v4_syn_sack_wscale_no_ts",
             Syn(v4, TcpOptions().Mss(1460).SackPermitted().Nop().WindowScale(0)),
             Offer().Mss(1460).Sack().Ws(0)),
      Answer("v4_syn_wscale_14", Syn(v4, TcpOptions().Mss(1460).Nop().WindowScale(14)),
             Offer().Mss(1460).Ws(14)),
      Answer("v4_syn_wscale_15_clamped", Syn(v4, TcpOptions::LinuxSyn(1460, kClientTsval, 15)),
             Offer().Mss(1460).Sack().Ts(kClientTsval).Ws(15)),
      Answer("v4_syn_odd_order", Syn(v4, odd_order), odd_offer),
      Answer("v4_syn_windows_layout", Syn(v4, windows), Offer().Mss(1460).Sack().Ws(8)),
      Answer("v4_syn_macos_layout", Syn(v4, macos),
             Offer().Mss(1460).Sack().Ts(kClientTsval).Ws(6)),
      Answer("v4_syn_freebsd_layout", Syn(v4, freebsd),
             Offer().Mss(1460).Sack().Ts(kClientTsval).Ws(6)),
      Answer("v4_syn_unknown_kinds", Syn(v4, unknown_kinds), unknown_offer),
      Answer("v4_syn_eol_in_middle", Syn(v4, eol_middle), Offer().Mss(1300)),
      // A length below 2 or past the option space ends the walk, as in the kernel.
      Answer("v4_syn_option_bad_length",
             Syn(v4, TcpOptions().Mss(1460).Bytes({30, 1}).SackPermitted()), Offer().Mss(1460)),
      Answer("v4_syn_option_overruns_header",
             Syn(v4, TcpOptions().Mss(1460).SackPermitted().Bytes({kOptTimestamp, 10, 1, 2})),
             Offer().Mss(1460).Sack()),
      Answer("v4_syn_ecn_with_ts", Syn(v4, linux_set, ecn),
             Offer().Mss(1460).Sack().Ts(kClientTsval).Ws(7).Ecn()),
      Answer("v4_syn_ecn_without_ts", Syn(v4, TcpOptions().Mss(1460), ecn),
             Offer().Mss(1460).Ecn()),
      Answer("v4_syn_ecn_server_off", Syn(v4, linux_set, ecn),
             Offer().Mss(1460).Sack().Ts(kClientTsval).Ws(7).Ecn(), ConfigFlags(0)),
      // Options the server's own sysctls turn off are not offered back.
      Answer("v4_syn_server_no_sack", Syn(v4, linux_set), Offer().Mss(1460).Ts(kClientTsval).Ws(7),
             ConfigFlags(SG_CFG_ECN | SG_CFG_NO_SACK)),
      Answer("v4_syn_server_no_wscale", Syn(v4, linux_set),
             Offer().Mss(1460).Sack().Ts(kClientTsval), ConfigFlags(SG_CFG_ECN | SG_CFG_NO_WSCALE)),
      Answer("v6_syn_server_no_timestamps", Syn(v6, linux_set6), Offer().Mss(1440).Sack().Ws(7),
             ConfigFlags(SG_CFG_ECN | SG_CFG_NO_TS)),
      Answer("v4_syn_ip_options_stripped",
             With(Syn(v4, linux_set),
                  [](PacketSpec& p) { p.ip_options = {7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0}; }),
             linux_offer),
      Answer(
          "v4_syn_payload_trimmed",
          With(Syn(v4, TcpOptions().Mss(1460)), [](PacketSpec& p) { p.payload.assign(300, 0x5a); }),
          Offer().Mss(1460)),
      Answer("v4_syn_ethernet_padding", With(Syn(v4, none), [](PacketSpec& p) { p.pad_to = 60; }),
             {}),
      Answer("v4_syn_vlan_8021q", With(Syn(v4, linux_set), [q](PacketSpec& p) { p.vlans = {q}; }),
             linux_offer),
      Answer("v4_syn_qinq_8021ad",
             With(Syn(v4, linux_set),
                  [q, ad](PacketSpec& p) {
                    p.vlans = {ad, q};
                  }),
             linux_offer),
      Answer("v4_syn_lists_on_source_unlisted", Syn(v4, linux_set), linux_offer,
             Lists({{"192.0.2.0", 24, SG_LIST_DENY}})),

      // SYNs answered, IPv6.
      Answer("v6_syn_no_options", Syn(v6, none), Offer()),
      Answer("v6_syn_mss_only", Syn(v6, TcpOptions().Mss(1440)), Offer().Mss(1440)),
      Answer("v6_syn_linux_set", Syn(v6, linux_set6), linux_offer6),
      Answer("v6_syn_ts_only", Syn(v6, TcpOptions().Nop().Nop().Timestamp(kClientTsval, 0)),
             ts_only),
      Answer("v6_syn_wscale_14", Syn(v6, TcpOptions().Mss(1440).Nop().WindowScale(14)),
             Offer().Mss(1440).Ws(14)),
      Answer("v6_syn_wscale_15_clamped", Syn(v6, TcpOptions::LinuxSyn(1440, kClientTsval, 15)),
             Offer().Mss(1440).Sack().Ts(kClientTsval).Ws(15)),
      Answer("v6_syn_odd_order", Syn(v6, odd_order), odd_offer),
      Answer("v6_syn_macos_layout", Syn(v6, macos),
             Offer().Mss(1460).Sack().Ts(kClientTsval).Ws(6)),
      Answer("v6_syn_unknown_kinds", Syn(v6, unknown_kinds), unknown_offer),
      Answer("v6_syn_eol_in_middle", Syn(v6, eol_middle6), Offer().Mss(1380)),
      Answer("v6_syn_ecn_with_ts", Syn(v6, linux_set6, ecn),
             Offer().Mss(1440).Sack().Ts(kClientTsval).Ws(7).Ecn()),
      Answer("v6_syn_vlan_8021q", With(Syn(v6, linux_set6), [q](PacketSpec& p) { p.vlans = {q}; }),
             linux_offer6),
      Answer("v6_syn_qinq_8021ad",
             With(Syn(v6, linux_set6),
                  [q, ad](PacketSpec& p) {
                    p.vlans = {ad, q};
                  }),
             linux_offer6),

      // Malformed: passed untouched, never answered. BPF_PROG_TEST_RUN refuses
      // frames shorter than an Ethernet header (EINVAL; see the test below),
      // so truncation starts right after the Ethernet header.
      Verdict("eth_vlan_tag_truncated",
              With(Syn(v4, none),
                   [q](PacketSpec& p) {
                     p.vlans = {q};
                     p.truncate_to = 16;
                   }),
              pass, SG_R_PASS_MALFORMED),
      Verdict("v4_ethernet_header_only",
              With(Syn(v4, none), [](PacketSpec& p) { p.truncate_to = 14; }), pass,
              SG_R_PASS_MALFORMED),
      // Two tags are parsed; a third one leaves an ethertype that is not IP.
      Verdict("v4_three_vlan_tags",
              With(Syn(v4, linux_set),
                   [q, ad](PacketSpec& p) {
                     p.vlans = {ad, ad, q};
                   }),
              pass, SG_R_PASS_NOT_IP),
      Verdict("v4_ip_header_truncated",
              With(Syn(v4, none), [](PacketSpec& p) { p.truncate_to = 14 + 12; }), pass,
              SG_R_PASS_MALFORMED),
      Verdict("v4_tcp_header_truncated",
              With(Syn(v4, none),
                   [](PacketSpec& p) {
                     p.ip_total_len = 20 + 12;
                     p.truncate_to = 14 + 20 + 12;
                   }),
              pass, SG_R_PASS_MALFORMED),
      Verdict("v6_ip_header_truncated",
              With(Syn(v6, none), [](PacketSpec& p) { p.truncate_to = 14 + 30; }), pass,
              SG_R_PASS_MALFORMED),
      Verdict("v6_tcp_header_truncated",
              With(Syn(v6, none),
                   [](PacketSpec& p) {
                     p.ip_total_len = 12;
                     p.truncate_to = 14 + 40 + 12;
                   }),
              pass, SG_R_PASS_MALFORMED),
      // Read from 16 bytes in, this frame still looks like a SYN to port 80
      // (the destination address ends in 0x0050, the ACK field holds a data
      // offset of 5 and the SYN flag): only the IHL check can refuse it.
      Verdict("v4_ihl_below_5",
              With(Syn(v4, none),
                   [](PacketSpec& p) {
                     p.ihl = 4;
                     p.daddr = Ip("10.0.0.80");
                     p.ack_seq = 0x50020000;
                   }),
              pass, SG_R_PASS_MALFORMED),
      Verdict("v4_ihl_past_total_length", With(Syn(v4, none), [](PacketSpec& p) { p.ihl = 15; }),
              pass, SG_R_PASS_MALFORMED),
      Verdict("v4_ihl_past_frame_end",
              With(Syn(v4, none),
                   [](PacketSpec& p) {
                     p.ihl = 15;
                     p.ip_total_len = 60;
                   }),
              pass, SG_R_PASS_MALFORMED),
      // The IP header swallows the TCP header: nothing is left for TCP.
      Verdict("v4_ihl_leaves_no_tcp_header",
              With(Syn(v4, none),
                   [](PacketSpec& p) {
                     p.ihl = 10;
                     p.ip_total_len = 40;
                   }),
              pass, SG_R_PASS_MALFORMED),
      Verdict("v4_version_not_4", With(Syn(v4, none), [](PacketSpec& p) { p.ip_version = 6; }),
              pass, SG_R_PASS_MALFORMED),
      Verdict("v4_doff_below_5", With(Syn(v4, none), [](PacketSpec& p) { p.doff = 4; }), pass,
              SG_R_PASS_MALFORMED),
      Verdict("v4_doff_past_frame_end", With(Syn(v4, none), [](PacketSpec& p) { p.doff = 15; }),
              pass, SG_R_PASS_MALFORMED),
      // Ethernet padding follows, so the bytes are there, but not in the IP packet.
      Verdict("v4_doff_past_ip_length",
              With(Syn(v4, none),
                   [](PacketSpec& p) {
                     p.doff = 8;
                     p.pad_to = 14 + 20 + 32;
                   }),
              pass, SG_R_PASS_MALFORMED),
      Verdict("v4_total_length_past_frame",
              With(Syn(v4, linux_set), [](PacketSpec& p) { p.ip_total_len = 20 + 40 + 1; }), pass,
              SG_R_PASS_MALFORMED),
      Verdict("v6_version_not_6", With(Syn(v6, none), [](PacketSpec& p) { p.ip_version = 4; }),
              pass, SG_R_PASS_MALFORMED),
      Verdict("v6_doff_below_5", With(Syn(v6, none), [](PacketSpec& p) { p.doff = 2; }), pass,
              SG_R_PASS_MALFORMED),
      Verdict("v6_doff_past_frame_end", With(Syn(v6, none), [](PacketSpec& p) { p.doff = 15; }),
              pass, SG_R_PASS_MALFORMED),
      Verdict("v6_payload_length_past_frame",
              With(Syn(v6, linux_set6), [](PacketSpec& p) { p.ip_total_len = 40 + 1; }), pass,
              SG_R_PASS_MALFORMED),

      // Fragments and IPv6 extension headers: no common client sends a SYN
      // that way. Dropped while the port is engaged (else each would cost
      // the kernel a request socket: a way around the protection), passed
      // otherwise; other segments in those forms pass.
      Verdict("v4_fragment_first_syn",
              With(Syn(v4, linux_set), [](PacketSpec& p) { p.frag_off = 0x2000; }), drop,
              SG_R_DROP_SYN_FRAGMENT),
      Verdict("v4_fragment_first_syn_not_engaged",
              With(Syn(v4, linux_set),
                   [](PacketSpec& p) {
                     p.frag_off = 0x2000;
                     p.dport = kObservedPort;
                   }),
              pass, SG_R_PASS_FRAGMENT),
      Verdict("v4_fragment_first_syn_unprotected",
              With(Syn(v4, linux_set),
                   [](PacketSpec& p) {
                     p.frag_off = 0x2000;
                     p.dport = kOpenPort;
                   }),
              pass, SG_R_PASS_FRAGMENT),
      Verdict("v4_fragment_first_ack",
              With(Syn(v4, none, kTcpAck),
                   [](PacketSpec& p) {
                     p.frag_off = 0x2000;
                     p.tcp_flags = kTcpAck;
                   }),
              pass, SG_R_PASS_FRAGMENT),
      // RFC 1858's tiny fragment: 8 bytes of TCP, flags in the next one.
      Verdict("v4_fragment_tiny_first",
              With(Syn(v4, none),
                   [](PacketSpec& p) {
                     p.frag_off = 0x2000;
                     p.ip_total_len = 28;
                     p.truncate_to = 14 + 20 + 8;
                   }),
              drop, SG_R_DROP_SYN_FRAGMENT),
      Verdict("v4_fragment_nonzero_offset",
              With(Syn(v4, linux_set), [](PacketSpec& p) { p.frag_off = 0x0010; }), pass,
              SG_R_PASS_FRAGMENT),
      Verdict("v6_hop_by_hop_header",
              With(Syn(v6, linux_set6), [](PacketSpec& p) { p.ipv6_ext_header = 0; }), drop,
              SG_R_DROP_SYN_EXTHDR),
      Verdict("v6_destination_options_header",
              With(Syn(v6, linux_set6), [](PacketSpec& p) { p.ipv6_ext_header = 60; }), drop,
              SG_R_DROP_SYN_EXTHDR),
      Verdict("v6_routing_header_segments_left_0",
              With(Syn(v6, linux_set6),
                   [](PacketSpec& p) {
                     p.ipv6_ext_header = 43;
                     p.ipv6_ext_body = std::array<uint8_t, 6>{4, 0, 0, 0, 0, 0};
                   }),
              drop, SG_R_DROP_SYN_EXTHDR),
      Verdict("v6_routing_header_segments_left",
              With(Syn(v6, linux_set6), [](PacketSpec& p) { p.ipv6_ext_header = 43; }), pass,
              SG_R_PASS_IPV6_EXTHDR),
      Verdict("v6_atomic_fragment",
              With(Syn(v6, linux_set6),
                   [](PacketSpec& p) {
                     p.ipv6_ext_header = 44;
                     p.ipv6_ext_body = std::array<uint8_t, 6>{0, 0, 1, 2, 3, 4};
                   }),
              drop, SG_R_DROP_SYN_EXTHDR),
      Verdict("v6_fragment_first",
              With(Syn(v6, linux_set6),
                   [](PacketSpec& p) {
                     p.ipv6_ext_header = 44;
                     p.ipv6_ext_body = std::array<uint8_t, 6>{0, 1, 1, 2, 3, 4};
                   }),
              drop, SG_R_DROP_SYN_FRAGMENT),
      Verdict("v6_fragment_not_first",
              With(Syn(v6, linux_set6), [](PacketSpec& p) { p.ipv6_ext_header = 44; }), pass,
              SG_R_PASS_FRAGMENT),
      Verdict("v6_hop_by_hop_syn_not_engaged",
              With(Syn(v6, linux_set6),
                   [](PacketSpec& p) {
                     p.ipv6_ext_header = 0;
                     p.dport = kObservedPort;
                   }),
              pass, SG_R_PASS_IPV6_EXTHDR),
      Verdict("v6_hop_by_hop_ack",
              With(Syn(v6, none, kTcpAck),
                   [](PacketSpec& p) {
                     p.ipv6_ext_header = 0;
                     p.tcp_flags = kTcpAck;
                   }),
              pass, SG_R_PASS_IPV6_EXTHDR),
      Verdict("v6_hop_by_hop_syn_allowlisted",
              With(Syn(v6, linux_set6), [](PacketSpec& p) { p.ipv6_ext_header = 0; }), pass,
              SG_R_PASS_IPV6_EXTHDR, Lists({{"2001:db8::1", 128, SG_LIST_ALLOW}})),
      Verdict("v4_fragment_first_syn_denylisted",
              With(Syn(v4, linux_set), [](PacketSpec& p) { p.frag_off = 0x2000; }), drop,
              SG_R_DROP_DENYLIST, Lists({{"10.0.0.1", 32, SG_LIST_DENY}})),

      // A SYN+ACK only where the kernel would accept the handshake: to this
      // interface's MAC and one of the host's unicast addresses (forwarded
      // traffic and broadcasts are the kernel's) ...
      Verdict("v4_syn_other_hosts_mac",
              With(Syn(v4, linux_set), [](PacketSpec& p) { p.eth_dst = {2, 0, 0, 0, 0, 0x99}; }),
              pass, SG_R_PASS_NOT_OUR_MAC),
      Verdict("v4_syn_broadcast_mac",
              With(Syn(v4, linux_set),
                   [](PacketSpec& p) { p.eth_dst = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}; }),
              pass, SG_R_PASS_NOT_OUR_MAC),
      Verdict(
          "v6_syn_multicast_mac",
          With(Syn(v6, linux_set6), [](PacketSpec& p) { p.eth_dst = {0x33, 0x33, 0, 0, 0, 1}; }),
          pass, SG_R_PASS_NOT_OUR_MAC),
      Verdict("v4_ack_other_hosts_mac",
              With(Syn(v4, none, kTcpAck),
                   [](PacketSpec& p) {
                     p.tcp_flags = kTcpAck;
                     p.eth_dst = {2, 0, 0, 0, 0, 0x99};
                   }),
              pass, SG_R_PASS_NOT_OUR_MAC),
      // A device without an Ethernet address: no MAC to check.
      Answer("v4_syn_no_mac_check_without_one",
             With(Syn(v4, none), [](PacketSpec& p) { p.eth_dst = {2, 0, 0, 0, 0, 0x99}; }), Offer(),
             [](XdpFixture& fx) { ASSERT_TRUE(fx.SetInterfaceMac(Mac{}).ok()); }),
  };
  auto dst = [&](const std::string& name, const std::string& addr, sg_reason reason) {
    const bool is6 = addr.find(':') != std::string::npos;
    rows.push_back(Verdict(
        name,
        With(Syn(is6 ? v6 : v4, is6 ? linux_set6 : linux_set),
             [addr](PacketSpec& p) { p.daddr = Ip(addr); }),
        pass, reason, [](XdpFixture& fx) {
          ASSERT_TRUE(
              fx.SetLocalAddresses(XdpFixture::DefaultLocalAddresses(), {"10.0.0.255"}).ok());
        }));
  };
  dst("v4_dst_other_host", "10.231.0.99", SG_R_PASS_DST_NOT_LOCAL);
  dst("v4_dst_remote", "8.8.8.8", SG_R_PASS_DST_NOT_LOCAL);
  dst("v4_dst_subnet_broadcast", "10.0.0.255", SG_R_PASS_DST_NOT_LOCAL);
  dst("v4_dst_loopback", "127.0.0.1", SG_R_PASS_DST_NOT_LOCAL);
  dst("v4_dst_limited_broadcast", "255.255.255.255", SG_R_PASS_DST_NOT_UNICAST);
  dst("v4_dst_multicast_local", "224.0.0.1", SG_R_PASS_DST_NOT_UNICAST);
  dst("v4_dst_multicast", "239.1.2.3", SG_R_PASS_DST_NOT_UNICAST);
  dst("v4_dst_unspecified", "0.0.0.0", SG_R_PASS_DST_NOT_UNICAST);
  dst("v6_dst_link_local_other", "fe80::1234", SG_R_PASS_DST_NOT_LOCAL);
  dst("v6_dst_unspecified", "::", SG_R_PASS_DST_NOT_UNICAST);
  dst("v6_dst_loopback", "::1", SG_R_PASS_DST_NOT_LOCAL);
  dst("v6_dst_other_host", "fd00:231::99", SG_R_PASS_DST_NOT_LOCAL);
  dst("v6_dst_v4_mapped", "::ffff:10.0.0.2", SG_R_PASS_DST_NOT_UNICAST);
  dst("v6_dst_multicast", "ff02::1", SG_R_PASS_DST_NOT_UNICAST);
  // ... from a source that could be one client: not a reflector towards
  // broadcast or multicast, not a "land" SYN from the host itself.
  auto src = [&](const std::string& name, const std::string& addr, sg_reason reason) {
    const bool is6 = addr.find(':') != std::string::npos;
    rows.push_back(Verdict(
        name,
        With(Syn(is6 ? v6 : v4, is6 ? linux_set6 : linux_set),
             [addr](PacketSpec& p) { p.saddr = Ip(addr); }),
        drop, reason, [](XdpFixture& fx) {
          ASSERT_TRUE(
              fx.SetLocalAddresses(XdpFixture::DefaultLocalAddresses(), {"10.0.0.255"}).ok());
        }));
  };
  src("v4_src_unspecified", "0.0.0.0", SG_R_DROP_SRC_NOT_UNICAST);
  src("v4_src_limited_broadcast", "255.255.255.255", SG_R_DROP_SRC_NOT_UNICAST);
  src("v4_src_multicast", "224.0.0.1", SG_R_DROP_SRC_NOT_UNICAST);
  src("v4_src_class_e", "240.0.0.1", SG_R_DROP_SRC_NOT_UNICAST);
  src("v4_src_loopback", "127.0.0.1", SG_R_DROP_SRC_NOT_UNICAST);
  src("v4_src_subnet_broadcast", "10.0.0.255", SG_R_DROP_SRC_LOCAL);
  src("v4_src_land", "10.0.0.2", SG_R_DROP_SRC_LOCAL);
  src("v6_src_unspecified", "::", SG_R_DROP_SRC_NOT_UNICAST);
  src("v6_src_loopback", "::1", SG_R_DROP_SRC_NOT_UNICAST);
  src("v6_src_multicast", "ff02::1", SG_R_DROP_SRC_NOT_UNICAST);
  src("v6_src_v4_mapped", "::ffff:10.0.0.1", SG_R_DROP_SRC_NOT_UNICAST);
  src("v6_src_land", "2001:db8::2", SG_R_DROP_SRC_LOCAL);
  // A host with more addresses than the program's fast copy holds: looked
  // up in the hash maps instead, with the same answers.
  const Setup many_addresses = [](XdpFixture& fx) {
    std::vector<std::string> local;
    for (int i = 10; i < 20; ++i) {
      local.push_back("192.0.2." + std::to_string(i));
      local.push_back("2001:db8:1::" + std::to_string(i));
    }
    local.push_back("10.0.0.2");
    local.push_back("2001:db8::2");
    ASSERT_TRUE(fx.SetLocalAddresses(local, {"10.0.0.255"}).ok());
  };
  rows.push_back(Answer("v4_many_addresses", Syn(v4, linux_set), linux_offer, many_addresses));
  rows.push_back(Answer("v6_many_addresses", Syn(v6, linux_set6), linux_offer6, many_addresses));
  rows.push_back(
      Verdict("v4_many_addresses_other_host",
              With(Syn(v4, linux_set), [](PacketSpec& p) { p.daddr = Ip("192.0.2.99"); }), pass,
              SG_R_PASS_DST_NOT_LOCAL, many_addresses));
  rows.push_back(
      Verdict("v6_many_addresses_land",
              With(Syn(v6, linux_set6), [](PacketSpec& p) { p.saddr = Ip("2001:db8:1::15"); }),
              drop, SG_R_DROP_SRC_LOCAL, many_addresses));
  rows.push_back(
      Verdict("v4_many_addresses_broadcast_source",
              With(Syn(v4, linux_set), [](PacketSpec& p) { p.saddr = Ip("10.0.0.255"); }), drop,
              SG_R_DROP_SRC_LOCAL, many_addresses));
  rows.insert(
      rows.end(),
      {
          // An ACK to another host (this one forwards for it): its cookie is
          // none of ours, and a drop would cut the forwarded connection.
          Verdict("v4_ack_forwarded",
                  With(Syn(v4, none, kTcpAck),
                       [](PacketSpec& p) {
                         p.tcp_flags = kTcpAck;
                         p.daddr = Ip("10.231.0.99");
                       }),
                  pass, SG_R_PASS_DST_NOT_LOCAL),
          Verdict("v6_ack_forwarded",
                  With(Syn(v6, none, kTcpAck),
                       [](PacketSpec& p) {
                         p.tcp_flags = kTcpAck;
                         p.daddr = Ip("fd00:231::99");
                       }),
                  pass, SG_R_PASS_DST_NOT_LOCAL),
          // ... and on a port with a listener: else the kernel answers RST, as
          // without synguard (a SYN+ACK would show a port scan the port open).
          Verdict("v4_syn_no_listener",
                  With(Syn(v4, linux_set), [](PacketSpec& p) { p.dport = kNoListenerPort; }), pass,
                  SG_R_PASS_NO_LISTENER, EngagePort(kNoListenerPort)),
          Verdict("v6_syn_no_listener",
                  With(Syn(v6, linux_set6), [](PacketSpec& p) { p.dport = kNoListenerPort; }), pass,
                  SG_R_PASS_NO_LISTENER, EngagePort(kNoListenerPort)),
      });
  rows.insert(
      rows.end(),
      {
          // Not a SYN and not an ACK, or not TCP at all.
          Verdict("v4_syn_fin", Syn(v4, linux_set, kTcpFin), pass, SG_R_PASS_OTHER_FLAGS),
          Verdict("v4_syn_rst", Syn(v4, linux_set, kTcpRst), pass, SG_R_PASS_OTHER_FLAGS),
          Verdict("v4_syn_ack", Syn(v4, linux_set, kTcpAck), pass, SG_R_PASS_OTHER_FLAGS),
          Verdict("v6_syn_ack", Syn(v6, linux_set6, kTcpAck), pass, SG_R_PASS_OTHER_FLAGS),
          Verdict("v4_rst", With(Syn(v4, none), [](PacketSpec& p) { p.tcp_flags = kTcpRst; }), pass,
                  SG_R_PASS_OTHER_FLAGS),
          Verdict("v4_fin", With(Syn(v4, none), [](PacketSpec& p) { p.tcp_flags = kTcpFin; }), pass,
                  SG_R_PASS_OTHER_FLAGS),
          Verdict("v4_no_flags", With(Syn(v4, none), [](PacketSpec& p) { p.tcp_flags = 0; }), pass,
                  SG_R_PASS_OTHER_FLAGS),
          Verdict("v4_udp", With(v4, [](PacketSpec& p) { p.protocol = kIpProtoUdp; }), pass,
                  SG_R_PASS_NOT_TCP),
          Verdict("v6_udp", With(v6, [](PacketSpec& p) { p.protocol = kIpProtoUdp; }), pass,
                  SG_R_PASS_NOT_TCP),
          Verdict("arp_request", With(v4, [](PacketSpec& p) { p.l3 = L3::kArp; }), pass,
                  SG_R_PASS_NOT_IP),

          // Ports and lists.
          Verdict("v4_syn_unprotected_port",
                  With(Syn(v4, linux_set), [](PacketSpec& p) { p.dport = kOpenPort; }), pass,
                  SG_R_PASS_UNPROTECTED),
          Verdict("v6_syn_unprotected_port",
                  With(Syn(v6, linux_set6), [](PacketSpec& p) { p.dport = kOpenPort; }), pass,
                  SG_R_PASS_UNPROTECTED),
          Verdict("v4_syn_protected_not_engaged",
                  With(Syn(v4, linux_set), [](PacketSpec& p) { p.dport = kObservedPort; }), pass,
                  SG_R_PASS_NOT_ENGAGED),
          Verdict("v6_syn_protected_not_engaged",
                  With(Syn(v6, linux_set6), [](PacketSpec& p) { p.dport = kObservedPort; }), pass,
                  SG_R_PASS_NOT_ENGAGED),
          Verdict("v4_syn_denylisted", Syn(v4, linux_set), drop, SG_R_DROP_DENYLIST,
                  Lists({{"10.0.0.0", 24, SG_LIST_DENY}})),
          // The denylist holds whether or not cookies are engaged on the port.
          Verdict("v4_syn_denylisted_not_engaged",
                  With(Syn(v4, linux_set), [](PacketSpec& p) { p.dport = kObservedPort; }), drop,
                  SG_R_DROP_DENYLIST, Lists({{"10.0.0.0", 24, SG_LIST_DENY}})),
          Verdict("v4_syn_allowlisted_not_engaged",
                  With(Syn(v4, linux_set), [](PacketSpec& p) { p.dport = kObservedPort; }), pass,
                  SG_R_PASS_NOT_ENGAGED, Lists({{"10.0.0.1", 32, SG_LIST_ALLOW}})),
          Verdict("v4_syn_allowlisted", Syn(v4, linux_set), pass, SG_R_PASS_ALLOWLIST,
                  Lists({{"10.0.0.1", 32, SG_LIST_ALLOW}})),
          Verdict("v4_syn_allowlist_inside_denied_range", Syn(v4, linux_set), pass,
                  SG_R_PASS_ALLOWLIST,
                  Lists({{"10.0.0.0", 8, SG_LIST_DENY}, {"10.0.0.1", 32, SG_LIST_ALLOW}})),
          Verdict("v6_syn_denylisted", Syn(v6, linux_set6), drop, SG_R_DROP_DENYLIST,
                  Lists({{"2001:db8::", 64, SG_LIST_DENY}})),
          Verdict("v6_syn_allowlisted", Syn(v6, linux_set6), pass, SG_R_PASS_ALLOWLIST,
                  Lists({{"2001:db8::1", 128, SG_LIST_ALLOW}})),
          // The lists only count when the daemon says they hold entries.
          Answer("v4_syn_denylisted_lists_off", Syn(v4, linux_set), linux_offer,
                 [](XdpFixture& fx) {
                   ASSERT_TRUE(fx.AddListEntry(Ip("10.0.0.0"), false, 24, SG_LIST_DENY).ok());
                 }),

          // ACKs: the cookie of the program's own SYN+ACK.
          CookieAck("v4_ack_cookie_current_key", Syn(v4, TcpOptions().Mss(1460)), {}, pass,
                    SG_R_PASS_COOKIE_VALID),
          CookieAck("v4_ack_cookie_with_timestamps", Syn(v4, linux_set), {}, pass,
                    SG_R_PASS_COOKIE_VALID),
          CookieAck("v6_ack_cookie_current_key", Syn(v6, linux_set6), {}, pass,
                    SG_R_PASS_COOKIE_VALID),
          CookieAck("v4_ack_cookie_vlan",
                    With(Syn(v4, linux_set),
                         [q, ad](PacketSpec& p) {
                           p.vlans = {ad, q};
                         }),
                    {}, pass, SG_R_PASS_COOKIE_VALID),
          CookieAck(
              "v4_ack_cookie_two_slots_old", Syn(v4, linux_set),
              [](XdpFixture& fx, PacketSpec&) { AdvanceSlots(fx, 2); }, pass,
              SG_R_PASS_COOKIE_VALID),
          CookieAck(
              "v4_ack_cookie_previous_key", Syn(v4, linux_set),
              [](XdpFixture& fx,
                 PacketSpec&) { Rotate(fx, fx.NowNs() + 10 * sg_slot_ns(&fx.config())); },
              pass, SG_R_PASS_COOKIE_VALID),
          CookieAck(
              "v6_ack_cookie_previous_key", Syn(v6, linux_set6),
              [](XdpFixture& fx,
                 PacketSpec&) { Rotate(fx, fx.NowNs() + 10 * sg_slot_ns(&fx.config())); },
              pass, SG_R_PASS_COOKIE_VALID),
          CookieAck(
              "v4_ack_cookie_expired", Syn(v4, linux_set),
              [](XdpFixture& fx, PacketSpec&) { AdvanceSlots(fx, 3); }, drop, SG_R_DROP_EXPIRED),
          CookieAck(
              "v6_ack_cookie_expired", Syn(v6, linux_set6),
              [](XdpFixture& fx, PacketSpec&) { AdvanceSlots(fx, 3); }, drop, SG_R_DROP_EXPIRED),
          CookieAck(
              "v4_ack_previous_key_past_grace", Syn(v4, linux_set),
              [](XdpFixture& fx, PacketSpec&) { Rotate(fx, fx.NowNs() - 1000000000ull); }, drop,
              SG_R_DROP_UNKNOWN_KEY),
          CookieAck(
              "v6_ack_previous_key_past_grace", Syn(v6, linux_set6),
              [](XdpFixture& fx, PacketSpec&) { Rotate(fx, fx.NowNs() - 1000000000ull); }, drop,
              SG_R_DROP_UNKNOWN_KEY),
          CookieAck("v4_ack_cookie_wrong_mac", Syn(v4, linux_set), FlipMacBit, drop,
                    SG_R_DROP_BAD_MAC),
          CookieAck("v6_ack_cookie_wrong_mac", Syn(v6, linux_set6), FlipMacBit, drop,
                    SG_R_DROP_BAD_MAC),
          CookieAck("v4_ack_cookie_other_source_port", Syn(v4, linux_set), OtherSourcePort, drop,
                    SG_R_DROP_BAD_MAC),
          CookieAck("v6_ack_cookie_other_source_port", Syn(v6, linux_set6), OtherSourcePort, drop,
                    SG_R_DROP_BAD_MAC),
          CookieAck(
              "v4_ack_cookie_other_isn", Syn(v4, linux_set),
              [](XdpFixture&, PacketSpec& ack) { ack.seq += 1; }, drop, SG_R_DROP_BAD_MAC),
          CookieAck(
              "v4_ack_port_not_engaged", Syn(v4, linux_set),
              [](XdpFixture& fx,
                 PacketSpec&) { ASSERT_TRUE(fx.SetPort(kEngagedPort, SG_PORT_PROTECTED).ok()); },
              pass, SG_R_PASS_NOT_ENGAGED),
          Verdict("v4_ack_unprotected_port",
                  With(v4,
                       [](PacketSpec& p) {
                         p.tcp_flags = kTcpAck;
                         p.dport = kOpenPort;
                       }),
                  pass, SG_R_PASS_UNPROTECTED),

          // ACKs of real sockets pass untouched, whatever their cookie.
          LoopbackAck("v4_ack_existing_socket", false, true, pass, SG_R_PASS_SOCKET),
          LoopbackAck("v6_ack_existing_socket", true, true, pass, SG_R_PASS_SOCKET),
          // A SYN for a 4-tuple that has a socket is the kernel's (TIME_WAIT reuse,
          // challenge ACK): answered with a cookie, the client would hang.
          LoopbackAck("v4_syn_existing_socket", false, true, pass, SG_R_PASS_SOCKET, kTcpSyn),
          LoopbackAck("v6_syn_existing_socket", true, true, pass, SG_R_PASS_SOCKET, kTcpSyn),
          // A listener alone does not make an ACK legitimate.
          LoopbackAck("v4_ack_listener_only", false, false, drop, SG_R_DROP_BAD_MAC),
          LoopbackAck("v6_ack_listener_only", true, false, drop, SG_R_DROP_BAD_MAC),
      });
  return rows;
}

// ---- Checking a SYN+ACK -------------------------------------------------

// Index of the largest table entry <= mss, 0 below them all (cookie.h's rule,
// written again here on purpose).
uint32_t ExpectedMssIndex(const uint16_t* table, uint16_t mss) {
  uint32_t idx = 0;
  for (uint32_t i = 0; i < SG_MSS_TABLE_SIZE; ++i)
    if (mss >= table[i]) idx = i;
  return idx;
}

uint32_t ExpectedWscaleCode(const uint8_t* table, const Offer& o) {
  if (!o.wscale) return 0;
  uint8_t ws = std::min<uint8_t>(*o.wscale, SG_MAX_WSCALE);
  uint32_t code = 1;
  for (uint32_t i = 1; i < SG_WSCALE_TABLE_SIZE; ++i)
    if (ws >= table[i]) code = i;
  return code;
}

void CheckSynAck(const PacketSpec& syn, const Offer& offer, const sg_config& cfg,
                 const sg_secrets& secrets, uint64_t now_ns, const std::vector<uint8_t>& out) {
  auto decoded = DecodeSynAck(out);
  ASSERT_TRUE(decoded.ok()) << "the SYN+ACK does not parse: " << decoded.error().message();
  const DecodedSynAck& d = *decoded;
  const bool v6 = syn.l3 == L3::kIpv6;

  // Layer 2: MACs swapped, tags kept as they were.
  EXPECT_EQ(d.eth_dst, syn.eth_src);
  EXPECT_EQ(d.eth_src, syn.eth_dst);
  ASSERT_EQ(d.vlans.size(), syn.vlans.size());
  for (size_t i = 0; i < d.vlans.size(); ++i) {
    EXPECT_EQ(d.vlans[i].tpid, syn.vlans[i].tpid) << "tag " << i;
    EXPECT_EQ(d.vlans[i].tci, syn.vlans[i].tci) << "tag " << i;
  }

  // Layer 3: addresses swapped, TTL from the config, no IPv4 options, and
  // the frame ends where the TCP header does.
  ASSERT_EQ(d.ipv6, v6);
  EXPECT_EQ(IpText(d.saddr, v6), IpText(syn.daddr, v6));
  EXPECT_EQ(IpText(d.daddr, v6), IpText(syn.saddr, v6));
  EXPECT_EQ(d.ttl, cfg.ttl);
  EXPECT_EQ(d.protocol, kIpProtoTcp);
  EXPECT_EQ(out.size(), d.l4_offset + d.tcp_segment.size()) << "bytes after the SYN+ACK";
  EXPECT_EQ(d.tcp_segment.size(), d.doff_bytes) << "a SYN+ACK carries no payload";
  if (v6) {
    EXPECT_EQ(d.ver_tc_flow >> 28, 6u);
    EXPECT_EQ(d.payload_len, d.tcp_segment.size());
    EXPECT_EQ(TcpChecksumV6(std::span<const uint8_t, 16>(d.saddr.data(), 16),
                            std::span<const uint8_t, 16>(d.daddr.data(), 16), d.tcp_segment),
              0)
        << "TCP checksum (IPv6 pseudo header)";
  } else {
    EXPECT_EQ(d.ihl, 20) << "IPv4 options must be stripped";
    EXPECT_EQ(d.ip_total_len, 20 + d.tcp_segment.size());
    EXPECT_EQ(d.frag_off & 0x3fff, 0) << "a SYN+ACK is not a fragment";
    EXPECT_EQ(InternetChecksum(d.ip_header), 0) << "IPv4 header checksum";
    EXPECT_EQ(TcpChecksumV4(std::span<const uint8_t, 4>(d.saddr.data(), 4),
                            std::span<const uint8_t, 4>(d.daddr.data(), 4), d.tcp_segment),
              0)
        << "TCP checksum (IPv4 pseudo header)";
  }

  // TCP header.
  EXPECT_EQ(d.sport, syn.dport);
  EXPECT_EQ(d.dport, syn.sport);
  EXPECT_EQ(d.ack_seq, syn.seq + 1);
  const bool server_ecn = cfg.flags & SG_CFG_ECN;
  const bool ece = offer.ecn && offer.tsval && server_ecn;
  EXPECT_EQ(d.flags, kTcpSyn | kTcpAck | (ece ? kTcpEce : 0)) << "flags";
  EXPECT_EQ(d.window, cfg.synack_window);
  EXPECT_EQ(d.urg_ptr, 0);

  // Options: ours, present exactly when the client offered them.
  for (const TcpOption& o : d.options)
    EXPECT_TRUE(o.kind == kOptNop || o.kind == kOptMss || o.kind == kOptSackPerm ||
                o.kind == kOptTimestamp || o.kind == kOptWscale)
        << "unexpected option kind " << int(o.kind);
  ASSERT_EQ(d.Count(kOptMss), 1);
  const TcpOption* mss = d.Find(kOptMss);
  ASSERT_EQ(mss->data.size(), 2u);
  EXPECT_EQ(mss->data[0] << 8 | mss->data[1], v6 ? cfg.server_mss_v6 : cfg.server_mss_v4);
  EXPECT_EQ(d.Count(kOptSackPerm), offer.sack ? 1 : 0) << "SACK-permitted";
  EXPECT_EQ(d.Count(kOptTimestamp), offer.tsval ? 1 : 0) << "timestamps";
  EXPECT_EQ(d.Count(kOptWscale), offer.wscale ? 1 : 0) << "window scale";
  if (const TcpOption* ws = d.Find(kOptWscale)) {
    ASSERT_EQ(ws->data.size(), 1u);
    EXPECT_EQ(ws->data[0], cfg.server_wscale);
  }
  if (const TcpOption* ts = d.Find(kOptTimestamp); ts && offer.tsval) {
    ASSERT_EQ(ts->data.size(), 8u);
    uint32_t tsval = Be32(ts->data, 0), tsecr = Be32(ts->data, 4);
    EXPECT_EQ(tsecr, *offer.tsval) << "TSecr must echo the client's TSval";
    uint32_t bits =
        offer.wscale ? std::min<uint8_t>(*offer.wscale, SG_MAX_WSCALE) : SG_TS_WSCALE_MASK;
    if (offer.sack) bits |= SG_TS_SACK;
    if (offer.ecn && server_ecn) bits |= SG_TS_ECN;
    EXPECT_EQ(tsval & SG_TS_OPT_MASK, bits) << "TSval option bits";
    // The rest is the kernel's millisecond clock, never ahead of it.
    uint32_t behind = TsClock() - tsval;
    EXPECT_LT(behind, 64u + 5000u) << "TSval " << tsval << " far from the clock";
  }

  // The cookie's low byte, decoded with the shared header's macros.
  // With timestamps (layout B) SACK and window scale ride in the TSval and
  // the cookie's low 3 bits index the 8-entry MSS table (mss_rows_test.cc).
  const uint32_t cookie = d.seq;
  if (offer.tsval) {
    EXPECT_EQ(cookie & SG_COOKIE_TS_ZERO_MASK, 0u) << "cookie layout B bits 3-4";
  } else {
    const uint16_t* mss_table = v6 ? cfg.mss_v6 : cfg.mss_v4;
    EXPECT_EQ(cookie & SG_COOKIE_MSS_MASK, ExpectedMssIndex(mss_table, offer.mss.value_or(536)))
        << "cookie MSS index";
    EXPECT_EQ(!!(cookie & SG_COOKIE_SACK), offer.sack) << "cookie SACK bit";
    EXPECT_EQ((cookie >> SG_COOKIE_WSCALE_SHIFT) & SG_COOKIE_WSCALE_MASK,
              ExpectedWscaleCode(cfg.wscale_table, offer))
        << "cookie window scale code";
  }
  EXPECT_EQ((cookie >> SG_COOKIE_KEY_SHIFT) & 1, secrets.current & 1) << "cookie key bit";
  EXPECT_EQ((cookie >> SG_COOKIE_SLOT_SHIFT) & SG_COOKIE_SLOT_MASK,
            (sg_cookie_slot(&cfg, now_ns)) & SG_COOKIE_SLOT_MASK)
      << "cookie slot";
  // And the host build of the codec agrees the MAC is right.
  const sg_tuple t = TupleOf(syn);
  EXPECT_EQ(sg_cookie_check(&secrets, &cfg, &t, syn.seq, cookie, now_ns), SG_COOKIE_VALID);
}

// ---- Running the table --------------------------------------------------

class PacketTest : public XdpTableTest<Row> {
 protected:
  void SetUp() override {
    XdpTableTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(fixture_->SetPort(kEngagedPort, SG_PORT_PROTECTED | SG_PORT_ENGAGED).ok());
    ASSERT_TRUE(fixture_->SetPort(kObservedPort, SG_PORT_PROTECTED).ok());
  }
};

TEST_P(PacketTest, Row) {
  const Row& row = GetParam();
  Scenario s{*fixture_, {}, {}, {}};
  row.prepare(s);
  if (HasFatalFailure()) return;
  ASSERT_FALSE(s.frame.empty());

  const sg_config cfg = fixture_->config();
  const sg_secrets secrets = fixture_->secrets();
  const uint64_t now_ns = fixture_->NowNs();
  auto r = fixture_->Run(s.frame);
  ASSERT_TRUE(r.ok()) << r.error().message();

  EXPECT_EQ(sg::XdpActionName(r->verdict), std::string(sg::XdpActionName(row.verdict)));
  for (uint32_t reason = 0; reason < SG_R_MAX; ++reason)
    EXPECT_EQ(r->counted[reason], reason == row.reason ? 1u : 0u)
        << "counter " << sg_reason_verdicts[reason] << "/" << sg_reason_names[reason];

  if (row.verdict == XDP_TX) {
    ASSERT_TRUE(row.synack.has_value()) << "an XDP_TX row must say what the SYN+ACK holds";
    if (r->verdict != XDP_TX) return;
    CheckSynAck(s.sent, *row.synack, cfg, secrets, now_ns, r->frame);
  } else {
    EXPECT_EQ(r->frame, s.frame) << "a frame that is not answered must be left untouched";
  }

  // The XDP -> TC marker: only for ACKs with a socket or a valid cookie.
  std::vector<uint8_t> want_meta;
  const bool ack = (s.sent.tcp_flags & (kTcpSyn | kTcpAck)) == kTcpAck;
  if (ack && (row.reason == SG_R_PASS_SOCKET || row.reason == SG_R_PASS_COOKIE_VALID)) {
    uint32_t word =
        SG_META_MAGIC | (row.reason == SG_R_PASS_SOCKET ? SG_META_SOCKET : SG_META_COOKIE);
    want_meta.resize(sizeof(word));
    std::memcpy(want_meta.data(), &word, sizeof(word));
  }
  EXPECT_EQ(r->meta, want_meta) << "metadata left for the TC program";
}

INSTANTIATE_TEST_SUITE_P(Xdp, PacketTest, ::testing::ValuesIn(Table()),
                         [](const ::testing::TestParamInfo<Row>& info) { return info.param.name; });

// Not a row: the kernel itself refuses frames shorter than an Ethernet
// header, so the program never sees one (which is why no row truncates
// inside the Ethernet header).
TEST(PacketTestRun, KernelRefusesFramesShorterThanEthernet) {
  ASSERT_EQ(geteuid(), 0u) << "BPF tests need root";
  auto f = XdpFixture::Load();
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::vector<uint8_t> frame = BuildFrame(SynV4());
  frame.resize(13);
  auto r = (*f)->Run(frame);
  ASSERT_FALSE(r.ok()) << "a 13-byte frame ran, verdict " << sg::XdpActionName(r->verdict);
  EXPECT_EQ(r.error().err(), EINVAL);
}

}  // namespace
}  // namespace sg::test
