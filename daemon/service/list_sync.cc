#include "service/list_sync.h"

#include <cstring>

#include "datapath/map_sync.h"

namespace sg {

ListEntries BuildListEntries(const std::vector<Cidr>& allow, const std::vector<Cidr>& deny) {
  ListEntries e;
  auto add = [&](const Cidr& c, uint32_t value) {
    if (c.family == 4) {
      sg_lpm_v4 k{};
      k.prefixlen = c.prefix_len;
      std::memcpy(k.addr, c.addr.data(), 4);
      e.v4.push_back({k, value});
    } else {
      sg_lpm_v6 k{};
      k.prefixlen = c.prefix_len;
      std::memcpy(k.addr, c.addr.data(), 16);
      e.v6.push_back({k, value});
    }
  };
  for (const Cidr& c : allow) add(c, SG_LIST_ALLOW);
  for (const Cidr& c : deny) add(c, SG_LIST_DENY);
  return e;
}

Status SyncLists(int v4_fd, int v6_fd, const ListEntries& entries) {
  if (Status s = SyncMap(v4_fd, entries.v4, "the IPv4 allow/deny list"); !s) return s;
  return SyncMap(v6_fd, entries.v6, "the IPv6 allow/deny list");
}

}  // namespace sg
