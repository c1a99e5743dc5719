// The allow and deny lists into the live LPM tries: new entries are written
// before stale ones go, and an entry moving between lists is one in-place
// update, so no SYN ever sees a half-applied list.
#pragma once

#include "control/list_entries.h"
#include "util/result.h"

namespace sg {

// Makes the tries hold exactly `entries` (fds of sg_lists_v4_map / _v6_map).
Status SyncLists(int v4_fd, int v6_fd, const ListEntries& entries);

}  // namespace sg
