#include "xdp_fixture.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <cstring>

#include "config/bpf_config.h"
#include "private_netns.h"

namespace sg::test {

namespace {

constexpr uint32_t kSlotShift = 35;  // 34.4 s slots
constexpr uint64_t kSlotNs = 1ull << kSlotShift;
// Room for the frame to grow into a SYN+ACK; far more than any test frame.
constexpr size_t kOutRoom = 4096;

uint64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);  // what bpf_ktime_get_ns() reads
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// A listener on [::] (IPv6 only) and one on 0.0.0.0 at port.
sg::Status Listen(uint16_t port, std::vector<sg::UniqueFd>& keep) {
  for (int af : {AF_INET, AF_INET6}) {
    sg::UniqueFd fd(socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return sg::Error::FromErrno("socket for a test listener");
    sockaddr_storage ss{};
    socklen_t len = sizeof(sockaddr_in);
    if (af == AF_INET6) {
      int one = 1;
      setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(port);
      len = sizeof(sockaddr_in6);
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_port = htons(port);
    }
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) || listen(fd.get(), 16))
      return sg::Error::FromErrno("listen on test port " + std::to_string(port));
    keep.push_back(std::move(fd));
  }
  return sg::Ok();
}

}  // namespace

sg::Result<std::unique_ptr<XdpFixture>> XdpFixture::Load() {
  // BPF_PROG_TEST_RUN looks sockets up in the caller's network namespace:
  // listeners on the rows' ports there, and no listener of the machine's in
  // the way. The rows' client and server (SynV4, SynV6) on lo, so that a
  // row can open a real connection between them.
  if (std::string e = EnterPrivateNetns(kRowAddresses); !e.empty()) return sg::Error(e);
  sg::DatapathOptions opts{.handoff = sg::HandoffMode::kReqsk, .pin_dir = {}};
  // SG_XDP_BUILD=compat (CTest's "compat." entries): the build for kernels
  // without bpf_loop, loaded as plain XDP, as 5.10 to 5.16 run it.
  if (const char* build = std::getenv("SG_XDP_BUILD"); build && std::string(build) == "compat") {
    opts.bpf_loop = false;
    opts.xdp_frags = false;
  }
  auto dp = sg::Datapath::Load(opts);
  if (!dp) return dp.take_error().Context("load the XDP program for packet tests");
  std::unique_ptr<XdpFixture> f(new XdpFixture());
  f->dp_ = std::move(*dp);
  for (uint16_t port : kListeningPorts) {
    if (sg::Status s = Listen(port, f->listeners_); !s) return s.take_error();
  }
  if (sg::Status s = f->Reset(); !s) return s.take_error();
  return f;
}

sg_config XdpFixture::DefaultConfig() {
  sg_config c{};
  c.slot_shift = kSlotShift;
  c.max_age_slots = 2;
  c.flags = SG_CFG_ECN;
  const uint16_t v4[] = {536, 1300, 1460, 8960};
  const uint16_t v6[] = {1220, 1380, 1440, 8940};
  std::copy(std::begin(v4), std::end(v4), c.mss_v4);
  std::copy(std::begin(v6), std::end(v6), c.mss_v6);
  const uint16_t ts_v4[] = {536, 1220, 1300, 1360, 1420, 1440, 1460, 8960};
  const uint16_t ts_v6[] = {1220, 1280, 1340, 1360, 1400, 1420, 1440, 8940};
  std::copy(std::begin(ts_v4), std::end(ts_v4), c.mss_ts_v4);
  std::copy(std::begin(ts_v6), std::end(ts_v6), c.mss_ts_v6);
  c.server_mss_v4 = 1400;
  c.server_mss_v6 = 1380;
  c.synack_window = 65535;
  c.server_wscale = 9;
  c.ttl = 61;
  const uint8_t ws[] = {0, 0, 7, 10};
  std::copy(std::begin(ws), std::end(ws), c.wscale_table);
  return c;
}

sg_secrets XdpFixture::DefaultSecrets() {
  sg_secrets s{};
  s.key[0] = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull, ~0ull};
  s.current = 0;
  return s;
}

sg::Status XdpFixture::Reset() {
  sg_config cfg = DefaultConfig();
  // The middle of the wall clock's current slot, in the program's clock.
  uint64_t wall = sg::WallClockNs();
  uint64_t target = wall / kSlotNs * kSlotNs + kSlotNs / 2;
  cfg.clock_offset_ns = target - MonotonicNs();
  if (sg::Status s = SetConfig(cfg); !s) return s;
  if (sg::Status s = SetSecrets(DefaultSecrets()); !s) return s;
  for (uint16_t port : std::vector<uint16_t>(ports_))
    if (sg::Status s = SetPort(port, 0); !s) return s;
  ports_.clear();
  if (sg::Status s = SetLocalAddresses(DefaultLocalAddresses()); !s) return s;
  if (sg::Status s = SetInterfaceMac(DefaultServerMac()); !s) return s;
  return ClearLists();
}

std::vector<std::string> XdpFixture::DefaultLocalAddresses() {
  // The rows' server (SynV4/SynV6's destination). Its client's address is
  // on lo too, for the rows with a real connection, but not "local" to the
  // program: a SYN from it is a client's.
  return {"10.0.0.2", "2001:db8::2"};
}

Mac XdpFixture::DefaultServerMac() { return PacketSpec().eth_dst; }

sg::Status XdpFixture::SetLocalAddresses(const std::vector<std::string>& local,
                                         const std::vector<std::string>& broadcast) {
  sg::LocalAddressEntries e;
  auto add = [&e](const std::string& text, uint32_t kind) {
    const IpAddr a = Ip(text);
    if (text.find(':') == std::string::npos) {
      uint32_t v4 = 0;
      std::memcpy(&v4, a.data(), 4);
      e.v4.push_back({v4, kind});
    } else {
      std::array<uint8_t, 16> v6{};
      std::memcpy(v6.data(), a.data(), 16);
      e.v6.push_back({v6, kind});
    }
  };
  for (const std::string& a : local) add(a, SG_ADDR_LOCAL);
  for (const std::string& a : broadcast) add(a, SG_ADDR_BROADCAST);
  return dp_->WriteLocalAddresses(e);
}

sg::Status XdpFixture::SetInterfaceMac(const Mac& mac) {
  sg_iface id{};
  std::memcpy(id.mac, mac.data(), 6);
  const uint32_t zero = 0;
  if (bpf_map_update_elem(bpf_map__fd(dp_->xdp()->maps.sg_iface_map), &zero, &id, BPF_ANY))
    return sg::Error::FromErrno("write the interface map");
  return sg::Ok();
}

sg::Status XdpFixture::SetConfig(const sg_config& cfg) {
  cfg_ = cfg;
  return dp_->WriteConfig(cfg);
}

sg::Status XdpFixture::SetSecrets(const sg_secrets& secrets) {
  secrets_ = secrets;
  return dp_->WriteSecrets(secrets);
}

sg::Status XdpFixture::SetPort(uint16_t port, uint32_t flags) {
  if (std::find(ports_.begin(), ports_.end(), port) == ports_.end()) ports_.push_back(port);
  return dp_->WritePort(port, sg_port{.flags = flags, .stats_slot = 0});
}

sg::Status XdpFixture::AddListEntry(const IpAddr& addr, bool ipv6, uint32_t prefixlen,
                                    uint32_t action) {
  if (ipv6) {
    sg_lpm_v6 key{.prefixlen = prefixlen, .addr = {}};
    std::memcpy(key.addr, addr.data(), 16);
    if (bpf_map_update_elem(bpf_map__fd(dp_->xdp()->maps.sg_lists_v6_map), &key, &action, BPF_ANY))
      return sg::Error::FromErrno("add an IPv6 list entry");
  } else {
    sg_lpm_v4 key{.prefixlen = prefixlen, .addr = {}};
    std::memcpy(key.addr, addr.data(), 4);
    if (bpf_map_update_elem(bpf_map__fd(dp_->xdp()->maps.sg_lists_v4_map), &key, &action, BPF_ANY))
      return sg::Error::FromErrno("add an IPv4 list entry");
  }
  return sg::Ok();
}

sg::Status XdpFixture::ClearLists() {
  // Delete the first key until there is none: deleting while walking with
  // get_next_key would skip entries of a trie.
  for (bpf_map* map : {dp_->xdp()->maps.sg_lists_v4_map, dp_->xdp()->maps.sg_lists_v6_map}) {
    int fd = bpf_map__fd(map);
    sg_lpm_v6 key{};  // large enough for either key type
    while (bpf_map_get_next_key(fd, nullptr, &key) == 0) {
      if (bpf_map_delete_elem(fd, &key))
        return sg::Error::FromErrno(std::string("clear map ") + bpf_map__name(map));
    }
  }
  return sg::Ok();
}

uint64_t XdpFixture::NowNs() const { return MonotonicNs() + cfg_.clock_offset_ns; }

sg::Status XdpFixture::AdvanceClock(int64_t ns) {
  sg_config cfg = cfg_;
  cfg.clock_offset_ns += static_cast<uint64_t>(ns);
  return SetConfig(cfg);
}

sg::Result<std::array<uint64_t, SG_R_MAX>> XdpFixture::ReadCounters() const {
  int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) return sg::Error("count the possible CPUs", ncpus);
  std::array<uint64_t, SG_R_MAX> sums{};
  std::vector<uint64_t> per_cpu(static_cast<size_t>(ncpus));
  for (uint32_t reason = 0; reason < SG_R_MAX; ++reason) {
    if (bpf_map_lookup_elem(dp_->counters_fd(), &reason, per_cpu.data()))
      return sg::Error::FromErrno("read sg_counters_map");
    for (uint64_t n : per_cpu) sums[reason] += n;
  }
  return sums;
}

sg::Result<RunResult> XdpFixture::Run(std::span<const uint8_t> frame) {
  auto before = ReadCounters();
  if (!before) return before.take_error();

  RunResult r;
  r.frame.resize(frame.size() + kOutRoom);
  // The context tells where the frame starts after any metadata the program added.
  xdp_md ctx_in{}, ctx_out{};
  ctx_in.data_end = static_cast<uint32_t>(frame.size());
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = r.frame.data(),
              .data_size_in = static_cast<uint32_t>(frame.size()),
              .data_size_out = static_cast<uint32_t>(r.frame.size()), .ctx_in = &ctx_in,
              .ctx_out = &ctx_out, .ctx_size_in = sizeof(ctx_in), .ctx_size_out = sizeof(ctx_out),
              .repeat = 1);
  if (bpf_prog_test_run_opts(dp_->xdp_prog_fd(), &opts))
    return sg::Error::FromErrno("BPF_PROG_TEST_RUN of a " + std::to_string(frame.size()) +
                                "-byte frame");
  r.verdict = opts.retval;
  r.frame.resize(opts.data_size_out);
  if (ctx_out.data > r.frame.size()) return sg::Error("test run reported metadata past the frame");
  r.meta.assign(r.frame.begin(), r.frame.begin() + ctx_out.data);
  r.frame.erase(r.frame.begin(), r.frame.begin() + ctx_out.data);

  auto after = ReadCounters();
  if (!after) return after.take_error();
  for (size_t i = 0; i < SG_R_MAX; ++i) r.counted[i] = (*after)[i] - (*before)[i];
  return r;
}

bool XdpFixture::has_tc() const { return dp_->tc() != nullptr; }

sg::Result<RunResult> XdpFixture::RunTc(std::span<const uint8_t> frame) {
  if (!has_tc()) return sg::Error("no TC handoff program on this kernel");
  auto before = ReadCounters();
  if (!before) return before.take_error();
  RunResult r;
  r.frame.resize(frame.size() + kOutRoom);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = r.frame.data(),
              .data_size_in = static_cast<uint32_t>(frame.size()),
              .data_size_out = static_cast<uint32_t>(r.frame.size()), .repeat = 1);
  if (bpf_prog_test_run_opts(bpf_program__fd(dp_->tc()->progs.synguard_tc), &opts))
    return sg::Error::FromErrno("BPF_PROG_TEST_RUN (TC) of a " + std::to_string(frame.size()) +
                                "-byte frame");
  r.verdict = opts.retval;
  r.frame.resize(std::min<size_t>(opts.data_size_out, r.frame.size()));
  auto after = ReadCounters();
  if (!after) return after.take_error();
  for (size_t i = 0; i < SG_R_MAX; ++i) r.counted[i] = (*after)[i] - (*before)[i];
  return r;
}

}  // namespace sg::test
