#include "config/bpf_config.h"

#include <cerrno>

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include <cstring>
#include <sstream>

#include "tuning/sysctl.h"
#include "util/clock.h"
#include "util/unique_fd.h"

namespace sg {

namespace {

// Third field of a vector sysctl such as net.ipv4.tcp_rmem.
Result<uint64_t> ThirdField(const std::string& root, const std::string& name) {
  Result<std::string> s = ReadSysctl(root, name);
  if (!s) return s.take_error();
  std::istringstream in(*s);
  uint64_t a = 0, b = 0, c = 0;
  if (!(in >> a >> b >> c)) return Error("sysctl " + name + " has not three fields: '" + *s + "'");
  return c;
}

}  // namespace

uint32_t SlotShift(uint32_t max_age_seconds) {
  // The smallest power of two >= max_age / 2: two slots of age are always
  // at least max_age, and the programs divide by shifting.
  const uint64_t half = static_cast<uint64_t>(max_age_seconds) * 1000000000ull / 2;
  uint32_t shift = 0;
  while (shift < 63 && (1ull << shift) < half) ++shift;
  return shift;
}

int64_t WallClockOffsetNs() {
  return static_cast<int64_t>(ClockNs(CLOCK_REALTIME) - ClockNs(CLOCK_MONOTONIC));
}

uint64_t WallClockNs() { return ClockNs(CLOCK_REALTIME); }

uint8_t KernelWindowScale(uint64_t tcp_rmem_max, uint64_t rmem_max) {
  uint64_t space = tcp_rmem_max > rmem_max ? tcp_rmem_max : rmem_max;
  int log = 0;
  while (space > 1) {
    space >>= 1;
    ++log;
  }
  int ws = log - 15;
  if (ws < 0) ws = 0;
  if (ws > SG_MAX_WSCALE) ws = SG_MAX_WSCALE;
  return static_cast<uint8_t>(ws);
}

Result<uint32_t> InterfaceMtu(const std::string& ifname) {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Error::FromErrno("open a socket to read the MTU of " + ifname);
  ifreq ifr{};
  if (ifname.size() >= IFNAMSIZ) return Error("interface name too long: " + ifname);
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd.get(), SIOCGIFMTU, &ifr) < 0) return Error::FromErrno("read the MTU of " + ifname);
  return static_cast<uint32_t>(ifr.ifr_mtu);
}

namespace {

// The cookie tables the operator configured. The window scale table's slot
// 0 stays 0: it stands for a client that offered no window scale.
void CopyCookieTables(const CookieSettings& s, sg_config& c) {
  for (int i = 0; i < SG_MSS_TABLE_SIZE; ++i) {
    c.mss_v4[i] = s.mss_v4[i];
    c.mss_v6[i] = s.mss_v6[i];
  }
  for (int i = 0; i < SG_MSS_TS_TABLE_SIZE; ++i) {
    c.mss_ts_v4[i] = s.mss_v4_timestamps[i];
    c.mss_ts_v6[i] = s.mss_v6_timestamps[i];
  }
  for (int i = 1; i < SG_WSCALE_TABLE_SIZE; ++i) c.wscale_table[i] = s.wscale[i - 1];
}

// The MSS the SYN+ACK announces: what the interface's MTU allows, capped by
// the operator's server_mss when set.
Status SetServerMss(const CookieSettings& s, const std::string& ifname, sg_config& c) {
  Result<uint32_t> mtu = InterfaceMtu(ifname);
  if (!mtu) return mtu.take_error();
  uint32_t v4 = *mtu > 40 ? *mtu - 40 : 536, v6 = *mtu > 60 ? *mtu - 60 : 1220;
  if (s.server_mss) {
    v4 = v4 < s.server_mss ? v4 : s.server_mss;
    v6 = v6 < s.server_mss ? v6 : s.server_mss;
  }
  c.server_mss_v4 = static_cast<uint16_t>(v4 > 65535 ? 65535 : v4);
  c.server_mss_v6 = static_cast<uint16_t>(v6 > 65535 ? 65535 : v6);
  return Ok();
}

// The window scale the kernel itself would announce, from its receive
// buffer sysctls.
Status SetServerWindowScale(const std::string& sysctl_root, sg_config& c) {
  Result<uint64_t> tcp_rmem = ThirdField(sysctl_root, "net.ipv4.tcp_rmem");
  if (!tcp_rmem) return tcp_rmem.take_error();
  // Before 5.19 (seen on 5.10) net.core.rmem_max exists only in the initial
  // network namespace, while the kernel still takes the global value into
  // its window scale. Unreadable here, it counts as the default (212992),
  // which is below every tcp_rmem[2] default: only a host that raised
  // rmem_max above tcp_rmem[2] gets a smaller window scale than the
  // kernel's in kernel-cookie mode (docs/operations.md, "Supported kernels
  // and fallbacks").
  Result<long long> rmem_max = ReadSysctlInt(sysctl_root, "net.core.rmem_max");
  if (!rmem_max && rmem_max.error().err() != ENOENT) return rmem_max.take_error();
  const uint64_t rmem = rmem_max ? static_cast<uint64_t>(*rmem_max) : 212992;
  c.server_wscale = KernelWindowScale(*tcp_rmem, rmem);
  return Ok();
}

// The TCP options the server's sysctls turn on (ECN) or off.
Status SetOptionFlags(const std::string& sysctl_root, sg_config& c) {
  Result<long long> ecn = ReadSysctlInt(sysctl_root, "net.ipv4.tcp_ecn");
  if (!ecn) return ecn.take_error();
  if (*ecn != 0) c.flags |= SG_CFG_ECN;

  // An option the server turned off must not be offered: both handoffs
  // refuse a connection that has it, so every client offering it would fail.
  struct {
    const char* sysctl;
    uint32_t flag;
  } const off[] = {{"net.ipv4.tcp_sack", SG_CFG_NO_SACK},
                   {"net.ipv4.tcp_window_scaling", SG_CFG_NO_WSCALE},
                   {"net.ipv4.tcp_timestamps", SG_CFG_NO_TS}};
  for (const auto& o : off) {
    Result<long long> v = ReadSysctlInt(sysctl_root, o.sysctl);
    if (!v) return v.take_error();
    if (*v == 0) c.flags |= o.flag;
  }
  return Ok();
}

}  // namespace

Result<sg_config> BuildBpfConfig(const CookieSettings& s, const std::string& ifname,
                                 const std::string& sysctl_root) {
  sg_config c{};
  c.clock_offset_ns = static_cast<uint64_t>(WallClockOffsetNs());
  c.slot_shift = SlotShift(s.max_age_seconds);
  c.max_age_slots = 2;
  CopyCookieTables(s, c);
  c.synack_window = s.synack_window;
  c.ttl = s.ttl;
  // In this order, so that the first unreadable source is the one reported.
  if (Status st = SetServerMss(s, ifname, c); !st) return st.take_error();
  if (Status st = SetServerWindowScale(sysctl_root, c); !st) return st.take_error();
  if (Status st = SetOptionFlags(sysctl_root, c); !st) return st.take_error();
  return c;
}

}  // namespace sg
