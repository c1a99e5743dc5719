// The fixed world every fuzz input runs in: which ports are protected and
// engaged, which sources are listed, the real loopback connections, and the
// program's cookie clock. Fixed so that a crashing input replays the same
// way later (a cookie ACK in the corpus stays valid, see datapath_env.h).
#pragma once

#include <cstdint>

namespace sg::fuzz {

inline constexpr uint16_t kEngagedPort = 80;        // protected, cookies engaged
inline constexpr uint16_t kEngagedPort2 = 443;      // protected, cookies engaged
inline constexpr uint16_t kObservedPort = 8080;     // protected, not engaged
inline constexpr uint16_t kOpenPort = 22;           // not protected
inline constexpr uint16_t kLoopbackPort = 7777;     // engaged, with a real listener
inline constexpr uint16_t kLoopbackClient = 40001;  // the established client's port

// Listeners (kernel-cookie mode needs one to answer a SYN, the TC handoff to
// hand an ACK to): kEngagedPort on the wildcard addresses (0.0.0.0 and [::],
// v6only), so the usual 10.0.0.2 / 2001:db8::2 frames meet one, and
// kLoopbackPort on 127.0.0.1 and [::1] only. kEngagedPort2 has none.
inline constexpr uint16_t kWildcardListenPort = kEngagedPort;

// The usual client and server (10.0.0.1 -> 10.0.0.2, 2001:db8::1 -> ::2).
inline constexpr uint8_t kClientV4[4] = {10, 0, 0, 1};
inline constexpr uint8_t kServerV4[4] = {10, 0, 0, 2};
inline constexpr uint8_t kServerBroadcastV4[4] = {10, 0, 0, 255};  // its subnet's broadcast
inline constexpr uint8_t kServerV6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                          0,    0,    0,    0,    0, 0, 0, 2};  // 2001:db8::2
inline constexpr uint8_t kLoopbackV4[4] = {127, 0, 0, 1};
// Denylisted: 192.0.2.0/24 and 2001:db8:dead::/48. Allowlisted: 198.51.100.7
// and 2001:db8:beef::7.
inline constexpr uint8_t kDeniedV4[4] = {192, 0, 2, 66};
inline constexpr uint8_t kAllowedV4[4] = {198, 51, 100, 7};

// The program's wall clock is held 12 s into one 2^35 ns cookie slot and
// pulled back there before it leaves it.
inline constexpr uint32_t kSlotShift = 35;
inline constexpr uint64_t kEpochNs = (uint64_t{51000} << kSlotShift) + 12'000'000'000ull;
inline constexpr uint64_t kClockRepinNs = 8'000'000'000ull;

}  // namespace sg::fuzz
