#include "datapath/list_sync.h"

#include "datapath/map_sync.h"

namespace sg {

Status SyncLists(int v4_fd, int v6_fd, const ListEntries& entries) {
  if (Status s = SyncMap(v4_fd, entries.v4, "the IPv4 allow/deny list"); !s) return s;
  return SyncMap(v6_fd, entries.v6, "the IPv6 allow/deny list");
}

}  // namespace sg
