#include "seeds.h"

#include <functional>

#include "frame_edit.h"
#include "frame_view.h"
#include "fuzz_world.h"
#include "packet_builder.h"

namespace sg::fuzz {

namespace {

using test::PacketSpec;
using test::TcpOptions;

using test::Syn;
using test::With;

}  // namespace

std::vector<NamedFrame> SeedFrames(DatapathEnv& env) {
  const PacketSpec v4 = test::SynV4(), v6 = test::SynV6();
  const TcpOptions none, linux4 = TcpOptions::LinuxSyn(1460, 0x5eed0001, 7),
                         linux6 = TcpOptions::LinuxSyn(1440, 0x5eed0001, 7);
  const test::VlanTag q{0x8100, 100}, ad{0x88a8, 200};

  // Option lists of the packet table, for both families.
  const std::vector<std::pair<std::string, TcpOptions>> option_sets = {
      {"none", none},
      {"mss", TcpOptions().Mss(1460)},
      {"linux", linux4},
      {"ts_only", TcpOptions().Nop().Nop().Timestamp(0x5eed0001, 0)},
      {"sack_ws", TcpOptions().Mss(1460).SackPermitted().Nop().WindowScale(0)},
      {"ws15", TcpOptions::LinuxSyn(1460, 1, 15)},
      {"odd_order",
       TcpOptions().WindowScale(5).Nop().Timestamp(1, 0).SackPermitted().Nop().Mss(1300)},
      {"unknown_kinds", TcpOptions()
                            .Raw(253, {0xf9, 0x89})
                            .Mss(1460)
                            .Raw(30, {0, 0x81, 1, 2, 3, 4, 5, 6})
                            .SackPermitted()
                            .Raw(99, {})
                            .WindowScale(2)},
      {"eol_middle", TcpOptions().Mss(1300).Eol().SackPermitted().Timestamp(1, 0)},
      {"bad_length", TcpOptions().Mss(1460).Bytes({30, 1}).SackPermitted()},
      {"overrun", TcpOptions().Mss(1460).SackPermitted().Bytes({8, 10, 1, 2})},
  };

  std::vector<std::pair<std::string, PacketSpec>> specs;
  for (const auto& [name, opts] : option_sets) {
    specs.emplace_back("v4_syn_" + name, Syn(v4, opts));
    specs.emplace_back("v6_syn_" + name, Syn(v6, opts));
  }
  auto add = [&specs](std::string name, PacketSpec s) { specs.emplace_back(std::move(name), s); };
  add("v4_syn_ecn", Syn(v4, linux4, kEce | kCwr));
  add("v6_syn_ecn", Syn(v6, linux6, kEce | kCwr));
  add("v4_syn_vlan", With(Syn(v4, linux4), [&](PacketSpec& p) { p.vlans = {q}; }));
  add("v4_syn_qinq", With(Syn(v4, linux4), [&](PacketSpec& p) { p.vlans = {ad, q}; }));
  add("v6_syn_qinq", With(Syn(v6, linux6), [&](PacketSpec& p) { p.vlans = {ad, q}; }));
  add("v4_syn_three_tags", With(Syn(v4, linux4), [&](PacketSpec& p) { p.vlans = {ad, ad, q}; }));
  add("v4_syn_ip_options", With(Syn(v4, linux4), [](PacketSpec& p) {
        p.ip_options = {7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0};
      }));
  add("v4_syn_payload", With(Syn(v4, none), [](PacketSpec& p) { p.payload.assign(300, 0x5a); }));
  add("v4_syn_padding", With(Syn(v4, none), [](PacketSpec& p) { p.pad_to = 60; }));
  add("v4_syn_multibuffer",
      With(Syn(v4, linux4), [](PacketSpec& p) { p.payload.assign(kMaxLinearFrame, 0x11); }));
  add("v4_syn_port_443", With(Syn(v4, linux4), [](PacketSpec& p) { p.dport = kEngagedPort2; }));
  add("v4_syn_observed", With(Syn(v4, linux4), [](PacketSpec& p) { p.dport = kObservedPort; }));
  add("v4_syn_open", With(Syn(v4, linux4), [](PacketSpec& p) { p.dport = kOpenPort; }));
  add("v4_syn_denied",
      With(Syn(v4, linux4), [](PacketSpec& p) { p.saddr = test::Ip("192.0.2.66"); }));
  add("v4_syn_allowed",
      With(Syn(v4, linux4), [](PacketSpec& p) { p.saddr = test::Ip("198.51.100.7"); }));
  add("v6_syn_denied",
      With(Syn(v6, linux6), [](PacketSpec& p) { p.saddr = test::Ip("2001:db8:dead::9"); }));
  add("v6_syn_allowed",
      With(Syn(v6, linux6), [](PacketSpec& p) { p.saddr = test::Ip("2001:db8:beef::7"); }));
  // Malformed, as in the table.
  add("v4_truncated_ip", With(Syn(v4, none), [](PacketSpec& p) { p.truncate_to = 26; }));
  add("v4_ihl_4", With(Syn(v4, none), [](PacketSpec& p) {
        p.ihl = 4;
        p.daddr = test::Ip("10.0.0.80");
        p.ack_seq = 0x50020000;
      }));
  add("v4_ihl_15", With(Syn(v4, none), [](PacketSpec& p) { p.ihl = 15; }));
  add("v4_ihl_10_no_tcp", With(Syn(v4, none), [](PacketSpec& p) {
        p.ihl = 10;
        p.ip_total_len = 40;
      }));
  add("v4_version_6", With(Syn(v4, none), [](PacketSpec& p) { p.ip_version = 6; }));
  add("v4_doff_4", With(Syn(v4, none), [](PacketSpec& p) { p.doff = 4; }));
  add("v4_doff_15", With(Syn(v4, none), [](PacketSpec& p) { p.doff = 15; }));
  add("v4_doff_past_ip", With(Syn(v4, linux4), [](PacketSpec& p) {
        p.ip_total_len = 40;
        p.pad_to = 120;
      }));
  add("v4_fragment_mf", With(Syn(v4, linux4), [](PacketSpec& p) { p.frag_off = 0x2000; }));
  add("v4_fragment_offset", With(Syn(v4, linux4), [](PacketSpec& p) { p.frag_off = 0x0010; }));
  add("v6_exthdr", With(Syn(v6, linux6), [](PacketSpec& p) { p.ipv6_ext_header = 60; }));
  add("v6_payload_len_long", With(Syn(v6, none), [](PacketSpec& p) { p.ip_total_len = 400; }));
  add("v4_udp", With(v4, [](PacketSpec& p) { p.protocol = 17; }));
  add("arp", With(v4, [](PacketSpec& p) { p.l3 = test::L3::kArp; }));
  // Other flags.
  for (auto [name, flags] :
       std::initializer_list<std::pair<const char*, uint8_t>>{{"rst", kRst},
                                                              {"synack", kSyn | kAck},
                                                              {"synfin", kSyn | kFin},
                                                              {"finack", kFin | kAck},
                                                              {"ack_bad_cookie", kAck}}) {
    add(std::string("v4_") + name, With(v4, [flags](PacketSpec& p) {
          p.tcp_flags = flags;
          p.ack_seq = 0xdeadbeef;
        }));
  }
  add("v6_ack_bad_cookie", With(v6, [](PacketSpec& p) { p.tcp_flags = kAck; }));
  add("v4_ack_listener_only", With(v4, [](PacketSpec& p) {
        p.saddr = p.daddr = test::Ip("127.0.0.1");
        p.sport = kLoopbackClient + 1;
        p.dport = kLoopbackPort;
        p.tcp_flags = kAck;
      }));

  // SYNs to the world's listeners: kernel-cookie mode answers only those,
  // and the TC program hands ACKs only to them (their ACKs are below).
  Rng listener_rng(2);
  for (int i = 0; i < 12; ++i) add("listener_syn_" + std::to_string(i), ListenerSyn(listener_rng));

  // Segments of the real connections.
  Rng rng(1);
  for (bool ipv6 : {false, true}) {
    for (uint8_t flags : {kAck, uint8_t{kAck | kPsh}, uint8_t{kAck | kFin}, kRst, kSyn}) {
      add(std::string(ipv6 ? "v6" : "v4") + "_established_" + std::to_string(flags),
          EstablishedSegment(rng, ipv6, flags));
    }
  }

  std::vector<NamedFrame> out;
  for (const auto& [name, spec] : specs) out.emplace_back(name, test::BuildFrame(spec));
  // The client's ACK to each SYN+ACK the program gives, in the pinned clock's
  // slot (fuzz_world.h), so they stay valid whenever the corpus is replayed.
  size_t n = out.size();
  for (size_t i = 0; i < n; ++i) {
    if (auto ack = CookieAckFor(env, out[i].second))
      out.emplace_back(out[i].first + "_cookie_ack", std::move(*ack));
  }
  // The host codec's ACKs to the listener SYNs: valid (in the pinned slot,
  // as above), with a spoiled timestamp echo, and with a forged cookie.
  for (size_t i = 0; i < n; ++i) {
    const std::string name = out[i].first;
    if (name.rfind("listener_syn_", 0) != 0) continue;
    const std::vector<uint8_t> syn = out[i].second;
    auto ack = HostCookieAckFor(env, syn);
    if (!ack) continue;
    std::vector<uint8_t> forged = *ack;
    FrameView v = ViewFrame(forged);
    Store32(forged, *v.l4 + 8, v.ack_seq ^ 0x5a5a5a00u);
    FixChecksums(forged);
    out.emplace_back(name + "_host_ack", std::move(*ack));
    out.emplace_back(name + "_forged_ack", std::move(forged));
    if (auto spoiled = HostCookieAckFor(env, syn, true))
      out.emplace_back(name + "_host_ack_spoiled_echo", std::move(*spoiled));
  }
  return out;
}

}  // namespace sg::fuzz
