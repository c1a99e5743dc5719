// The host's own addresses, for the XDP program's destination and source
// checks (sg_local_v4_map / sg_local_v6_map, include/synguard/layout.h):
// one RTM_GETADDR dump of every interface in the daemon's network
// namespace, the way `ip -o addr` reads them.
//
// Why a dump and not each event's content: the rtnetlink socket of the
// daemon's loop only says "look now" (system/rtnl_events.h); a dump after
// any address event, and at every tick, makes the maps equal to the
// kernel's list even when events were lost.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace sg {

// One address as rtnetlink reports it.
struct InterfaceAddress {
  int family = 4;                       // 4 or 6
  std::array<uint8_t, 16> local{};      // IFA_LOCAL (IPv4) or IFA_ADDRESS (IPv6)
  std::array<uint8_t, 16> broadcast{};  // IFA_BROADCAST (IPv4), zero without one
  bool has_broadcast = false;
  uint32_t flags = 0;  // IFA_F_*, IFA_FLAGS when present
};

// What the XDP program's maps hold: address (network order) -> SG_ADDR_*.
struct LocalAddressEntries {
  std::vector<std::pair<uint32_t, uint32_t>> v4;
  std::vector<std::pair<std::array<uint8_t, 16>, uint32_t>> v6;
  bool operator==(const LocalAddressEntries&) const = default;
};

// Every address of every interface, both families.
Result<std::vector<InterfaceAddress>> DumpInterfaceAddresses();

// The map entries for those addresses: each unicast address SG_ADDR_LOCAL,
// each IPv4 subnet broadcast SG_ADDR_BROADCAST; loopback addresses left out
// (on the wire the kernel drops them), and so are IPv6 addresses the kernel
// does not accept connections to yet or any more (tentative without
// optimistic DAD, DAD failed). Sorted, without duplicates.
LocalAddressEntries BuildLocalAddressEntries(const std::vector<InterfaceAddress>& addresses);

}  // namespace sg
