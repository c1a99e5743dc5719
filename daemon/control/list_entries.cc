#include "control/list_entries.h"

#include <cstring>

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

}  // namespace sg
