#include "datapath_env.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fuzz_world.h"
#include "xdp_fixture.h"

namespace sg::fuzz {

namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "fuzz_xdp: cannot set up: %s\n", what.c_str());
  std::abort();
}

uint64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);  // what bpf_ktime_get_ns() reads
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
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

}  // namespace

DatapathEnv& DatapathEnv::Get() {
  static DatapathEnv* env = [] {
    auto* e = new DatapathEnv();
    e->Init();
    return e;
  }();
  return *env;
}

void DatapathEnv::EnterOwnNetns() {
  // A namespace of our own: the loopback ports are ours, nothing outside
  // sees the connections, and parallel fuzzing jobs do not collide.
  if (unshare(CLONE_NEWNET)) Die(std::string("unshare(CLONE_NEWNET): ") + strerror(errno));
  sg::UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (!s.valid() || ioctl(s.get(), SIOCGIFFLAGS, &ifr)) Die("read the flags of lo");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s.get(), SIOCSIFFLAGS, &ifr)) Die(std::string("bring lo up: ") + strerror(errno));
}

void DatapathEnv::OpenConnection(bool v6) {
  int af = v6 ? AF_INET6 : AF_INET;
  auto addr = [v6](uint16_t port) {
    sockaddr_storage ss{};
    if (v6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      a->sin6_port = htons(port);
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a->sin_port = htons(port);
    }
    return ss;
  };
  socklen_t len = v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  const char* fam = v6 ? "IPv6" : "IPv4";
  auto fail = [&](const char* step) {
    conn_status_ = std::string(fam) + " loopback " + step + ": " + strerror(errno);
  };
  int one = 1;
  sg::UniqueFd listener(socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_storage la = addr(kLoopbackPort);
  if (v6) setsockopt(listener.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(listener.get(), reinterpret_cast<sockaddr*>(&la), len) || listen(listener.get(), 4))
    return fail("listen");
  // A fixed client port, so the established 4-tuple is the same in every run
  // and corpus entries that hit it keep hitting it.
  sg::UniqueFd client(socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_storage ca = addr(kLoopbackClient);
  if (bind(client.get(), reinterpret_cast<sockaddr*>(&ca), len)) return fail("bind client");
  if (connect(client.get(), reinterpret_cast<sockaddr*>(&la), len)) return fail("connect");
  sg::UniqueFd server(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!server.valid()) return fail("accept");
  sockets_.push_back(std::move(listener));
  sockets_.push_back(std::move(client));
  sockets_.push_back(std::move(server));
  (v6 ? v6_established_ : v4_established_) = true;
}

void DatapathEnv::PinClock() {
  pinned_mono_ns_ = MonotonicNs();
  cfg_.clock_offset_ns = kEpochNs - pinned_mono_ns_;
  if (sg::Status s = dp_->WriteConfig(cfg_); !s) Die(s.error().message());
}

void DatapathEnv::Init() {
  EnterOwnNetns();
  auto dp = sg::Datapath::Load({.handoff = sg::HandoffMode::kReqsk});
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

  OpenConnection(false);
  OpenConnection(true);
  if (!v4_established_) Die(conn_status_);  // the IPv4 one is required
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
    static const uint8_t kLo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return v6_established_ && std::memcmp(saddr.data(), kLo6, 16) == 0 &&
           std::memcmp(daddr.data(), kLo6, 16) == 0;
  }
  return v4_established_ && std::memcmp(saddr.data(), kLoopbackV4, 4) == 0 &&
         std::memcmp(daddr.data(), kLoopbackV4, 4) == 0;
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
  if (bpf_prog_test_run_opts(dp_->xdp_prog_fd(), &opts)) {
    o.error = errno;
    return o;
  }
  o.verdict = opts.retval;
  size_t n = std::min<size_t>(opts.data_size_out, out_.size());
  size_t meta = std::min<size_t>(ctx_out.data, n);
  o.meta.assign(out_.begin(), out_.begin() + meta);
  o.frame.assign(out_.begin() + meta, out_.begin() + n);

  std::vector<uint64_t> now = ReadCounters();
  for (uint32_t r = 0; r < SG_R_MAX; ++r)
    if (now[r] != counters_[r]) o.moved.emplace_back(r, now[r] - counters_[r]);
  counters_ = std::move(now);
  return o;
}

}  // namespace sg::fuzz
