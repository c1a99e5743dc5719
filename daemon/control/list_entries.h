// The allow and deny lists as LPM trie entries (written into the live tries
// by datapath/list_sync.h).
#pragma once

#include <cstdint>
#include <vector>

#include "config/cidr.h"
#include "synguard/shared.h"
#include "util/result.h"

namespace sg {

struct ListEntries {
  std::vector<std::pair<sg_lpm_v4, uint32_t>> v4;  // key, SG_LIST_*
  std::vector<std::pair<sg_lpm_v6, uint32_t>> v6;
  bool empty() const { return v4.empty() && v6.empty(); }
};

ListEntries BuildListEntries(const std::vector<Cidr>& allow, const std::vector<Cidr>& deny);

}  // namespace sg
