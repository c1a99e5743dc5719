// An rtnetlink socket subscribed to link, tc and address changes in the
// daemon's network namespace (RTNLGRP_LINK, RTNLGRP_TC, RTNLGRP_IPV4_IFADDR,
// RTNLGRP_IPV6_IFADDR), for Loop()'s poll set.
//
// Why: the interface watch and the TC filter watch sample the kernel once a
// second. A protected interface deleted, or our TC filter removed (`tc qdisc
// del dev X clsact`), leaves XDP answering SYNs with cookies whose ACKs then
// find no handoff: every new connection is reset until the next check. The
// kernel announces each such change on these groups, so the daemon runs the
// same checks within milliseconds; an address added or removed changes
// which destinations the XDP program answers for (Daemon::WatchAddresses). The messages are not parsed: any of them
// only means "look now"; the checks read the kernel's state themselves, so
// a lost message (ENOBUFS) or an unrelated one costs one check, nothing
// more. Without this socket the 1-second tick still does everything.
#pragma once

#include <cstddef>
#include <memory>

#include "util/result.h"

struct mnl_socket;

namespace sg {

class RtnlEvents {
 public:
  // A nonblocking, close-on-exec socket joined to the groups above.
  static Result<RtnlEvents> Open();

  int fd() const;
  // Reads every message queued now, without blocking. Returns how many
  // datagrams it read (an overrun, ENOBUFS, counts as one: something
  // happened); an error other than "nothing left" or an overrun means the
  // socket is broken and should be closed.
  Result<size_t> Drain();

 private:
  struct Closer {
    void operator()(mnl_socket* nl) const;
  };
  explicit RtnlEvents(mnl_socket* nl) : nl_(nl) {}

  std::unique_ptr<mnl_socket, Closer> nl_;
};

}  // namespace sg
