#include "system/rtnl_events.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

namespace sg {

namespace {

// A burst larger than this is read at the next wake-up: Drain() returns to
// the loop (and its signals) after this many datagrams.
constexpr size_t kMaxReadsPerDrain = 1024;

}  // namespace

void RtnlEvents::Closer::operator()(mnl_socket* nl) const {
  if (nl) mnl_socket_close(nl);
}

Result<RtnlEvents> RtnlEvents::Open() {
  mnl_socket* raw = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (!raw) return Error::FromErrno("open an rtnetlink socket for link and tc events");
  RtnlEvents ev(raw);
  // Port id chosen by the kernel; groups joined below by their RTNLGRP_*
  // numbers (the RTMGRP_* bitmask of bind() is the legacy spelling).
  if (mnl_socket_bind(raw, 0, MNL_SOCKET_AUTOPID) < 0)
    return Error::FromErrno("bind the rtnetlink event socket");
  const std::pair<int, const char*> groups[] = {{RTNLGRP_LINK, "RTNLGRP_LINK"},
                                                {RTNLGRP_TC, "RTNLGRP_TC"},
                                                {RTNLGRP_IPV4_IFADDR, "RTNLGRP_IPV4_IFADDR"},
                                                {RTNLGRP_IPV6_IFADDR, "RTNLGRP_IPV6_IFADDR"}};
  for (auto [group, name] : groups) {
    if (mnl_socket_setsockopt(raw, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
      return Error::FromErrno(std::string("join rtnetlink group ") + name);
  }
  return ev;
}

int RtnlEvents::fd() const { return mnl_socket_get_fd(nl_.get()); }

Result<size_t> RtnlEvents::Drain() {
  // The content is not needed (see the header): one page-sized buffer is
  // enough, a longer datagram is truncated and still counts.
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  size_t reads = 0;
  while (reads < kMaxReadsPerDrain) {
    const ssize_t n = recv(fd(), buf.data(), buf.size(), MSG_DONTWAIT | MSG_TRUNC);
    if (n >= 0) {
      ++reads;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    // The socket's queue overflowed and messages were dropped: the checks
    // read the kernel's state anyway, so an overrun is one more event.
    if (errno == ENOBUFS) {
      ++reads;
      continue;
    }
    return Error::FromErrno("read the rtnetlink event socket");
  }
  return reads;
}

}  // namespace sg
