#include "datapath_env.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "fuzz_world.h"
#include "private_netns.h"
#include "synack_decoder.h"
#include "tuning/sysctl.h"
#include "xdp_fixture.h"

namespace sg::fuzz {

namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "synguard fuzz: cannot set up: %s\n", what.c_str());
  std::abort();
}

bool PrefixMatch(std::span<const uint8_t> addr, const uint8_t* prefix, int bits) {
  for (int i = 0; i < bits; ++i) {
    int byte = i / 8, bit = 7 - i % 8;
    if (((addr[byte] >> bit) & 1) != ((prefix[byte] >> bit) & 1)) return false;
  }
  return true;
}

constexpr uint8_t kDenyV4[4] = {192, 0, 2, 0};
constexpr uint8_t kDenyV6[16] = {0x20, 0x01, 0x0d, 0xb8, 0xde, 0xad};
constexpr uint8_t kAllowV6[16] = {0x20, 0x01, 0x0d, 0xb8, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
constexpr uint8_t kLo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

// A kernel cookie is good for one to two minutes (its counter ticks every
// 60 s and the previous tick is still accepted); entries older than this
// are forgotten, and the oracle only insists on younger ones.
constexpr uint64_t kIssuedKeepNs = 50'000'000'000ull;
constexpr size_t kIssuedMax = 1 << 16;

bool g_env_made = false;

}  // namespace

const char* ToString(FuzzMode mode) {
  switch (mode) {
    case FuzzMode::kReqsk:
      return "reqsk";
    case FuzzMode::kKernelCookie:
      return "kernel-cookie";
    case FuzzMode::kTc:
      return "tc";
  }
  return "?";
}

std::optional<FuzzMode> ParseFuzzMode(std::string_view text) {
  for (FuzzMode m : {FuzzMode::kReqsk, FuzzMode::kKernelCookie, FuzzMode::kTc})
    if (text == ToString(m)) return m;
  return std::nullopt;
}

void DatapathEnv::Configure(FuzzMode mode) {
  if (g_env_made) Die("DatapathEnv::Configure() after the world was made");
  configured_ = mode;
}

FuzzMode DatapathEnv::ModeFromEnvironment(FuzzMode fallback) {
  const char* text = std::getenv("SG_FUZZ_MODE");
  if (!text || !*text) return fallback;
  std::optional<FuzzMode> mode = ParseFuzzMode(text);
  if (!mode) Die(std::string("SG_FUZZ_MODE=") + text + ": expected reqsk, kernel-cookie or tc");
  return *mode;
}

DatapathEnv& DatapathEnv::Get() {
  static DatapathEnv* env = [] {
    auto* e = new DatapathEnv();
    e->mode_ = configured_ ? *configured_ : ModeFromEnvironment(FuzzMode::kReqsk);
    g_env_made = true;
    e->Init();
    return e;
  }();
  return *env;
}

uint64_t DatapathEnv::MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);  // what bpf_ktime_get_ns() reads
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

namespace {

sockaddr_storage SockAddr(bool v6, bool wildcard, uint16_t port) {
  sockaddr_storage ss{};
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_addr = wildcard ? in6addr_any : in6addr_loopback;
    a->sin6_port = htons(port);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(wildcard ? INADDR_ANY : INADDR_LOOPBACK);
    a->sin_port = htons(port);
  }
  return ss;
}

socklen_t SockLen(bool v6) { return v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in); }

}  // namespace

void DatapathEnv::OpenListener(bool v6, bool wildcard, uint16_t port) {
  const char* fam = v6 ? "IPv6" : "IPv4";
  int one = 1;
  sg::UniqueFd listener(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_storage la = SockAddr(v6, wildcard, port);
  // v6only: an IPv4 frame must never meet the IPv6 listener (kernel-cookie
  // mode would refuse it, the oracle keeps the families apart).
  if (v6) setsockopt(listener.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(listener.get(), reinterpret_cast<sockaddr*>(&la), SockLen(v6)) ||
      listen(listener.get(), 64) || fcntl(listener.get(), F_SETFL, O_NONBLOCK)) {
    conn_status_ =
        std::string(fam) + " listener on port " + std::to_string(port) + ": " + strerror(errno);
    return;
  }
  if (!wildcard) (v6 ? loopback_listener_v6_ : loopback_listener_v4_) = listener.get();
  listeners_.push_back(std::move(listener));
  (wildcard ? (v6 ? wildcard_v6_ : wildcard_v4_) : (v6 ? loopback_v6_ : loopback_v4_)) = true;
}

void DatapathEnv::OpenConnection(bool v6) {
  const char* fam = v6 ? "IPv6" : "IPv4";
  auto fail = [&](const char* step) {
    conn_status_ = std::string(fam) + " loopback " + step + ": " + strerror(errno);
  };
  if (!(v6 ? loopback_v6_ : loopback_v4_)) return;  // no listener: said so already
  // A fixed client port, so the established 4-tuple is the same in every run
  // and corpus entries that hit it keep hitting it.
  sockaddr_storage la = SockAddr(v6, false, kLoopbackPort);
  sg::UniqueFd client(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_storage ca = SockAddr(v6, false, kLoopbackClient);
  if (bind(client.get(), reinterpret_cast<sockaddr*>(&ca), SockLen(v6))) return fail("bind client");
  if (connect(client.get(), reinterpret_cast<sockaddr*>(&la), SockLen(v6))) return fail("connect");
  // The listener is non-blocking: the server's end may take a moment.
  int listener = v6 ? loopback_listener_v6_ : loopback_listener_v4_;
  sg::UniqueFd server;
  for (int i = 0; i < 1000 && !server.valid(); ++i) {
    server.reset(accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (!server.valid()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!server.valid()) return fail("accept");
  sockets_.push_back(std::move(client));
  sockets_.push_back(std::move(server));
  (v6 ? v6_established_ : v4_established_) = true;
}

void DatapathEnv::SetSysctls() {
  // Per namespace, so only the fuzzer's own. kernel-cookie mode needs
  // tcp_syncookies = 2 (bpf_tcp_gen_syncookie() fails otherwise) and runs
  // with tcp_timestamps = 2 as the daemon sets it; reqsk needs >= 1.
  const bool kc = mode_ == FuzzMode::kKernelCookie;
  const std::pair<const char*, const char*> values[] = {
      {"net.ipv4.tcp_syncookies", kc ? "2" : "1"}, {"net.ipv4.tcp_timestamps", kc ? "2" : "1"}};
  for (auto [name, value] : values)
    if (sg::Status s = sg::WriteSysctl(sg::kProcSys, name, value); !s) Die(s.error().message());
  // kTc sends frames from 127.0.0.1 to 127.0.0.1 on lo from a packet
  // socket: they have no route yet, and the input route lookup calls a 127/8
  // destination martian without route_localnet, a local source without
  // accept_local.
  if (mode_ == FuzzMode::kTc)
    for (const char* name : {"net.ipv4.conf.lo.route_localnet", "net.ipv4.conf.lo.accept_local"})
      if (sg::Status s = sg::WriteSysctl(sg::kProcSys, name, "1"); !s) Die(s.error().message());
}

void DatapathEnv::SetUpLoopbackTc() {
  // The handoff program at lo's ingress: a cookie ACK sent on lo meets it
  // with the skb at TC ingress, which bpf_sk_assign_tcp_reqsk() insists on
  // (a BPF_PROG_TEST_RUN skb is not), and the listener then makes a socket.
  if (sg::Status s = dp_->AttachTc("lo"); !s) Die(s.error().message());
  lo_ifindex_ = static_cast<int>(if_nametoindex("lo"));
  packet_socket_.reset(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));  // protocol 0: send only
  if (!packet_socket_.valid() || lo_ifindex_ <= 0)
    Die(std::string("open a packet socket on lo: ") + strerror(errno));
}

size_t DatapathEnv::ProbeMaxTcFrame() {
  // The largest frame an skb test run takes (one linear buffer: a page less
  // NET_SKB_PAD and the shared info, 3712 bytes on x86-64 / 6.18).
  std::vector<uint8_t> frame(8192, 0);
  auto fits = [&](size_t n) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
                .data_size_in = static_cast<uint32_t>(n), .repeat = 1);
    return bpf_prog_test_run_opts(bpf_program__fd(dp_->tc()->progs.synguard_tc), &opts) == 0;
  };
  size_t lo = 14, hi = frame.size();
  if (!fits(lo)) Die(std::string("BPF_PROG_TEST_RUN of the TC program: ") + strerror(errno));
  while (lo + 1 < hi) {
    size_t mid = (lo + hi) / 2;
    (fits(mid) ? lo : hi) = mid;
  }
  return lo;
}

void DatapathEnv::PinClock() {
  pinned_mono_ns_ = MonotonicNs();
  cfg_.clock_offset_ns = kEpochNs - pinned_mono_ns_;
  if (sg::Status s = dp_->WriteConfig(cfg_); !s) Die(s.error().message());
}

void DatapathEnv::Init() {
  // A namespace of our own: the loopback ports are ours, nothing outside
  // sees the connections, and parallel fuzzing jobs do not collide.
  if (std::string e = test::EnterPrivateNetns(); !e.empty()) Die(e);
  SetSysctls();
  auto dp = sg::Datapath::Load(
      {.handoff = kernel_cookie() ? sg::HandoffMode::kKernelCookie : sg::HandoffMode::kReqsk});
  if (!dp) Die(dp.error().message());
  dp_ = std::move(*dp);
  ncpus_ = libbpf_num_possible_cpus();
  if (ncpus_ <= 0) Die("count the possible CPUs");

  cfg_ = test::XdpFixture::DefaultConfig();
  cfg_.slot_shift = kSlotShift;
  cfg_.flags |= SG_CFG_LISTS;
  PinClock();
  // Key 0 current, key 1 the previous one still in its grace period: both
  // key bits of a cookie lead to a live key.
  secrets_ = test::XdpFixture::DefaultSecrets();
  secrets_.key[1] = {0x1122334455667788ull, 0x99aabbccddeeff00ull, kEpochNs + 3600'000'000'000ull};
  if (sg::Status s = dp_->WriteSecrets(secrets_); !s) Die(s.error().message());

  const std::pair<uint16_t, uint32_t> ports[] = {
      {kEngagedPort, SG_PORT_PROTECTED | SG_PORT_ENGAGED},
      {kEngagedPort2, SG_PORT_PROTECTED | SG_PORT_ENGAGED},
      {kObservedPort, SG_PORT_PROTECTED},
      {kLoopbackPort, SG_PORT_PROTECTED | SG_PORT_ENGAGED}};
  for (auto [port, flags] : ports) {
    port_flags_[port] = flags;
    if (sg::Status s = dp_->WritePort(port, sg_port{.flags = flags, .stats_slot = 0}); !s)
      Die(s.error().message());
  }

  uint32_t deny = SG_LIST_DENY, allow = SG_LIST_ALLOW;
  sg_lpm_v4 d4{.prefixlen = 24, .addr = {}}, a4{.prefixlen = 32, .addr = {}};
  std::memcpy(d4.addr, kDenyV4, 4);
  std::memcpy(a4.addr, kAllowedV4, 4);
  sg_lpm_v6 d6{.prefixlen = 48, .addr = {}}, a6{.prefixlen = 128, .addr = {}};
  std::memcpy(d6.addr, kDenyV6, 16);
  std::memcpy(a6.addr, kAllowV6, 16);
  if (bpf_map_update_elem(dp_->lists_v4_fd(), &d4, &deny, BPF_ANY) ||
      bpf_map_update_elem(dp_->lists_v4_fd(), &a4, &allow, BPF_ANY) ||
      bpf_map_update_elem(dp_->lists_v6_fd(), &d6, &deny, BPF_ANY) ||
      bpf_map_update_elem(dp_->lists_v6_fd(), &a6, &allow, BPF_ANY))
    Die(std::string("fill the allow/deny lists: ") + strerror(errno));

  // The host's addresses and the interface's MAC, as the daemon writes them.
  // Loopback counts as local here: the real sockets live on lo, the "wire"
  // of a test run.
  sg::LocalAddressEntries local;
  auto v4 = [](const uint8_t* a) {
    uint32_t w = 0;
    std::memcpy(&w, a, 4);
    return w;
  };
  local.v4 = {{v4(kServerV4), SG_ADDR_LOCAL},
              {v4(kLoopbackV4), SG_ADDR_LOCAL},
              {v4(kServerBroadcastV4), SG_ADDR_BROADCAST}};
  for (const uint8_t* a : {kServerV6, kLo6}) {
    std::array<uint8_t, 16> w{};
    std::memcpy(w.data(), a, 16);
    local.v6.push_back({w, SG_ADDR_LOCAL});
  }
  if (sg::Status s = dp_->WriteLocalAddresses(local); !s) Die(s.error().message());
  sg_iface iface{};
  std::memcpy(iface.mac, ServerMac().data(), 6);
  const uint32_t zero = 0;
  if (bpf_map_update_elem(bpf_map__fd(dp_->xdp()->maps.sg_iface_map), &zero, &iface, BPF_ANY))
    Die(std::string("write the interface map: ") + strerror(errno));

  OpenListener(false, true, kWildcardListenPort);
  OpenListener(true, true, kWildcardListenPort);
  OpenListener(false, false, kLoopbackPort);
  OpenListener(true, false, kLoopbackPort);
  OpenConnection(false);
  OpenConnection(true);
  if (!v4_established_ || !wildcard_v4_) Die(conn_status_);  // the IPv4 ones are required
  if (mode_ == FuzzMode::kTc) {
    max_tc_frame_ = ProbeMaxTcFrame();
    SetUpLoopbackTc();
  }
  counters_ = ReadCounters();
}

uint64_t DatapathEnv::NowNs() const { return MonotonicNs() + cfg_.clock_offset_ns; }

uint32_t DatapathEnv::PortFlags(uint16_t port) const { return port_flags_[port]; }

uint32_t DatapathEnv::ListOf(std::span<const uint8_t> saddr, bool ipv6) {
  // Longest prefix first, as the LPM trie decides.
  if (ipv6) {
    if (PrefixMatch(saddr, kAllowV6, 128)) return SG_LIST_ALLOW;
    if (PrefixMatch(saddr, kDenyV6, 48)) return SG_LIST_DENY;
    return 0;
  }
  if (PrefixMatch(saddr, kAllowedV4, 32)) return SG_LIST_ALLOW;
  if (PrefixMatch(saddr, kDenyV4, 24)) return SG_LIST_DENY;
  return 0;
}

bool DatapathEnv::IsEstablished(std::span<const uint8_t> saddr, std::span<const uint8_t> daddr,
                                uint16_t sport, uint16_t dport, bool ipv6) const {
  if (sport != kLoopbackClient || dport != kLoopbackPort) return false;
  if (ipv6) {
    return v6_established_ && std::memcmp(saddr.data(), kLo6, 16) == 0 &&
           std::memcmp(daddr.data(), kLo6, 16) == 0;
  }
  return v4_established_ && std::memcmp(saddr.data(), kLoopbackV4, 4) == 0 &&
         std::memcmp(daddr.data(), kLoopbackV4, 4) == 0;
}

uint32_t DatapathEnv::LocalKind(std::span<const uint8_t> addr, bool ipv6) {
  if (ipv6)
    return std::memcmp(addr.data(), kServerV6, 16) == 0 || std::memcmp(addr.data(), kLo6, 16) == 0
               ? SG_ADDR_LOCAL
               : 0;
  if (std::memcmp(addr.data(), kServerV4, 4) == 0 || std::memcmp(addr.data(), kLoopbackV4, 4) == 0)
    return SG_ADDR_LOCAL;
  return std::memcmp(addr.data(), kServerBroadcastV4, 4) == 0 ? SG_ADDR_BROADCAST : 0;
}

const std::array<uint8_t, 6>& DatapathEnv::ServerMac() {
  static const std::array<uint8_t, 6> mac = test::PacketSpec().eth_dst;
  return mac;
}

bool DatapathEnv::HasListener(std::span<const uint8_t> daddr, uint16_t dport, bool ipv6) const {
  // The kernel's listener lookup: a wildcard socket takes any destination
  // address (local or not), a bound one only its own.
  if (dport == kWildcardListenPort) return ipv6 ? wildcard_v6_ : wildcard_v4_;
  if (dport != kLoopbackPort) return false;
  if (ipv6) return loopback_v6_ && std::memcmp(daddr.data(), kLo6, 16) == 0;
  return loopback_v4_ && std::memcmp(daddr.data(), kLoopbackV4, 4) == 0;
}

std::string DatapathEnv::IssuedKey(std::span<const uint8_t> saddr, std::span<const uint8_t> daddr,
                                   uint16_t sport, uint16_t dport, bool ipv6, uint32_t isn,
                                   uint32_t cookie) {
  const size_t alen = ipv6 ? 16 : 4;
  std::string key(1, ipv6 ? '6' : '4');
  key.append(reinterpret_cast<const char*>(saddr.data()), alen);
  key.append(reinterpret_cast<const char*>(daddr.data()), alen);
  for (uint32_t v : {uint32_t{sport}, uint32_t{dport}, isn, cookie})
    key.append(reinterpret_cast<const char*>(&v), sizeof(v));
  return key;
}

void DatapathEnv::NoteIssued(const std::vector<uint8_t>& synack) {
  auto d = test::DecodeSynAck(synack);
  if (!d) return;  // the checker says what is wrong with it
  uint64_t now = MonotonicNs();
  if (issued_.size() >= kIssuedMax) {
    std::erase_if(issued_, [now](const auto& e) { return now - e.second > kIssuedKeepNs; });
    if (issued_.size() >= kIssuedMax) issued_.clear();
  }
  // The SYN+ACK goes server -> client; the ACK that answers it comes back.
  size_t alen = d->ipv6 ? 16 : 4;
  issued_[IssuedKey({d->daddr.data(), alen}, {d->saddr.data(), alen}, d->dport, d->sport, d->ipv6,
                    d->ack_seq - 1, d->seq)] = now;
}

std::optional<uint64_t> DatapathEnv::IssuedAgeNs(std::span<const uint8_t> saddr,
                                                 std::span<const uint8_t> daddr, uint16_t sport,
                                                 uint16_t dport, bool ipv6, uint32_t isn,
                                                 uint32_t cookie) const {
  auto it = issued_.find(IssuedKey(saddr, daddr, sport, dport, ipv6, isn, cookie));
  if (it == issued_.end()) return std::nullopt;
  return MonotonicNs() - it->second;
}

std::vector<uint64_t> DatapathEnv::ReadCounters() {
  // One batched lookup for every reason on every CPU: a syscall, not 27.
  std::vector<uint32_t> keys(SG_R_MAX);
  std::vector<uint64_t> values(SG_R_MAX * static_cast<size_t>(ncpus_));
  uint32_t out_batch = 0, count = SG_R_MAX;
  int err = bpf_map_lookup_batch(dp_->counters_fd(), nullptr, &out_batch, keys.data(),
                                 values.data(), &count, nullptr);
  if ((err && errno != ENOENT) || count != SG_R_MAX)
    Die(std::string("read sg_counters_map: ") + strerror(errno));
  std::vector<uint64_t> sums(SG_R_MAX);
  for (uint32_t i = 0; i < count; ++i)
    for (int cpu = 0; cpu < ncpus_; ++cpu) sums[keys[i]] += values[i * ncpus_ + cpu];
  return sums;
}

std::vector<std::pair<uint32_t, uint64_t>> DatapathEnv::CountersMoved() {
  std::vector<std::pair<uint32_t, uint64_t>> moved;
  std::vector<uint64_t> now = ReadCounters();
  for (uint32_t r = 0; r < SG_R_MAX; ++r)
    if (now[r] != counters_[r]) moved.emplace_back(r, now[r] - counters_[r]);
  counters_ = std::move(now);
  return moved;
}

Outcome DatapathEnv::Run(std::span<const uint8_t> frame) {
  if (MonotonicNs() - pinned_mono_ns_ > kClockRepinNs) PinClock();
  Outcome o;
  // Room for the frame to grow into a SYN+ACK (a SYN without options grows).
  out_.resize(frame.size() + 256);
  xdp_md ctx_in{}, ctx_out{};
  ctx_in.data_end = static_cast<uint32_t>(frame.size());
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = out_.data(),
              .data_size_in = static_cast<uint32_t>(frame.size()),
              .data_size_out = static_cast<uint32_t>(out_.size()), .ctx_in = &ctx_in,
              .ctx_out = &ctx_out, .ctx_size_in = sizeof(ctx_in), .ctx_size_out = sizeof(ctx_out),
              .repeat = 1);
  o.mono_before_ns = MonotonicNs();
  int err = bpf_prog_test_run_opts(dp_->xdp_prog_fd(), &opts);
  o.mono_after_ns = MonotonicNs();
  if (err) {
    o.error = errno;
    return o;
  }
  o.verdict = opts.retval;
  size_t n = std::min<size_t>(opts.data_size_out, out_.size());
  size_t meta = std::min<size_t>(ctx_out.data, n);
  o.meta.assign(out_.begin(), out_.begin() + meta);
  o.frame.assign(out_.begin() + meta, out_.begin() + n);
  o.moved = CountersMoved();
  if (kernel_cookie() && o.verdict == XDP_TX) NoteIssued(o.frame);
  return o;
}

Outcome DatapathEnv::RunTc(std::span<const uint8_t> frame) {
  if (MonotonicNs() - pinned_mono_ns_ > kClockRepinNs) PinClock();
  if (sent_on_lo_) {
    CountersMoved();  // late answers of the kernel on lo, not this run's
    sent_on_lo_ = false;
  }
  Outcome o;
  out_.resize(frame.size() + 256);
  // No context: the kernel makes the skb on this namespace's lo, with
  // data_meta == data (an skb test run cannot carry XDP metadata).
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = out_.data(),
              .data_size_in = static_cast<uint32_t>(frame.size()),
              .data_size_out = static_cast<uint32_t>(out_.size()), .repeat = 1);
  o.mono_before_ns = MonotonicNs();
  int err = bpf_prog_test_run_opts(bpf_program__fd(dp_->tc()->progs.synguard_tc), &opts);
  o.mono_after_ns = MonotonicNs();
  if (err) {
    o.error = errno;
    return o;
  }
  o.verdict = opts.retval;
  o.frame.assign(out_.begin(), out_.begin() + std::min<size_t>(opts.data_size_out, out_.size()));
  o.moved = CountersMoved();
  return o;
}

int DatapathEnv::DrainAcceptQueues() {
  int n = 0;
  for (const sg::UniqueFd& l : listeners_) {
    for (;;) {
      sg::UniqueFd c(accept4(l.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!c.valid()) break;
      // A reset, not a FIN: nothing lingers, and no segment of ours is
      // counted by the TC program on its way back through lo.
      linger lg{.l_onoff = 1, .l_linger = 0};
      setsockopt(c.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
      ++n;
    }
  }
  return n;
}

LiveOutcome DatapathEnv::SendOnLoopback(std::span<const uint8_t> frame, int wait_for_socket_ms) {
  LiveOutcome o;
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = lo_ifindex_;
  to.sll_halen = 6;
  if (sendto(packet_socket_.get(), frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to),
             sizeof(to)) != static_cast<ssize_t>(frame.size())) {
    o.error = errno;
    return o;
  }
  // lo delivers in the sender's softirq, normally before sendto() returns;
  // the waits are for a loaded machine, and bounded.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while ((o.moved = CountersMoved()).empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  const auto socket_deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_for_socket_ms);
  o.accepted = DrainAcceptQueues();
  while (o.accepted == 0 && std::chrono::steady_clock::now() < socket_deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    o.accepted = DrainAcceptQueues();
  }
  // The kernel's answers on lo (the RSTs of the resets above among them)
  // pass the TC program too: counted with the send.
  for (auto [r, n] : CountersMoved()) {
    auto same = std::find_if(o.moved.begin(), o.moved.end(), [r](auto& m) { return m.first == r; });
    if (same == o.moved.end())
      o.moved.emplace_back(r, n);
    else
      same->second += n;
  }
  sent_on_lo_ = true;
  return o;
}

}  // namespace sg::fuzz
