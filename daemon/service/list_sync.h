// The allow and deny lists as LPM trie entries, and their synchronisation
// into the live tries: new entries are written before stale ones go, and
// an entry moving between lists is one in-place update, so no SYN ever
// sees a half-applied list.
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

// Makes the tries hold exactly `entries` (fds of sg_lists_v4_map / _v6_map).
Status SyncLists(int v4_fd, int v6_fd, const ListEntries& entries);

}  // namespace sg
