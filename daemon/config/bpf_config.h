// Builds the BPF programs' run-time config (struct sg_config) from the
// operator's cookie settings and what the system says: the interface MTU,
// the kernel's window scale, whether it accepts ECN, and the wall clock.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "synguard/shared.h"
#include "util/result.h"

namespace sg {

struct CookieSettings {
  uint32_t max_age_seconds = 120;  // a cookie lives between this and 1.5x this
  uint8_t ttl = 64;
  std::array<uint16_t, SG_MSS_TABLE_SIZE> mss_v4 = {536, 1300, 1460, 8960};
  std::array<uint16_t, SG_MSS_TABLE_SIZE> mss_v6 = {1220, 1380, 1440, 8940};
  // For clients that offer timestamps (most): eight entries, so that every
  // common MSS keeps at least 97% (1452 PPPoE -> 1440, 1380 tunnels -> 1360).
  std::array<uint16_t, SG_MSS_TS_TABLE_SIZE> mss_v4_timestamps = {536,  1220, 1300, 1360,
                                                                  1420, 1440, 1460, 8960};
  std::array<uint16_t, SG_MSS_TS_TABLE_SIZE> mss_v6_timestamps = {1220, 1280, 1340, 1360,
                                                                  1400, 1420, 1440, 8940};
  // Window scales for clients without timestamps (codes 1..3); the first must be 0.
  std::array<uint8_t, SG_WSCALE_TABLE_SIZE - 1> wscale = {0, 7, 10};
  uint16_t synack_window = 65535;
  uint16_t server_mss = 0;  // 0: from the interface MTU
};

// log2 of the cookie time slot for a max age: slots of at least max_age / 2,
// so a cookie is accepted for at least max_age and less than 1.5 x the
// next power of two above it (120 s -> 68.7 s slots, 137 to 206 s).
uint32_t SlotShift(uint32_t max_age_seconds);

// CLOCK_REALTIME - CLOCK_MONOTONIC: what the programs add to bpf_ktime_get_ns().
int64_t WallClockOffsetNs();
// Current wall-clock time in the programs' clock.
uint64_t WallClockNs();

// The window scale the kernel advertises: ilog2(max(tcp_rmem[2], rmem_max)) - 15, in 0..14.
uint8_t KernelWindowScale(uint64_t tcp_rmem_max, uint64_t rmem_max);

Result<uint32_t> InterfaceMtu(const std::string& ifname);

// Reads sysctls under sysctl_root (/proc/sys) and the MTU of ifname. Call it
// after the handoff's sysctls are set: the SYN+ACK offers only the options
// (SACK, window scaling, timestamps) that the values in force allow.
Result<sg_config> BuildBpfConfig(const CookieSettings& s, const std::string& ifname,
                                 const std::string& sysctl_root);

}  // namespace sg
