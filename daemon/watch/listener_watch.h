// Watches the protected ports' listeners through NETLINK_SOCK_DIAG
// (inet_diag), as `ss -ltn` does: each listener's listen() backlog and
// accept-queue length, and the request sockets in SYN_RECV for the port.
// Works without privileges, in the caller's network namespace.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/result.h"

struct mnl_socket;

namespace sg {

struct Listener {
  int family = 4;       // 4 or 6 (a dual-stack [::] listener counts as 6)
  std::string address;  // local address, e.g. "0.0.0.0", "::1"
  uint16_t port = 0;
  uint32_t backlog = 0;       // listen() backlog as the kernel holds it (idiag_wqueue)
  uint32_t accept_queue = 0;  // connections waiting for accept() (idiag_rqueue)
  uint64_t inode = 0;
};

struct PortListeners {
  uint16_t port = 0;
  std::vector<Listener> listeners;  // empty: nothing listens on the port
  uint32_t syn_recv = 0;            // request sockets in SYN_RECV, all families

  // Fullest accept queue among the listeners, 0..1.
  double AcceptFill() const;
  // SYN_RECV requests against the summed backlogs (the kernel's SYN queue
  // limit per listener is its backlog), 0..1.
  double SynRecvFill() const;
};

class ListenerWatch {
 public:
  static Result<ListenerWatch> Open();
  ~ListenerWatch();
  ListenerWatch(ListenerWatch&& o) noexcept;
  ListenerWatch& operator=(ListenerWatch&& o) noexcept;
  ListenerWatch(const ListenerWatch&) = delete;
  ListenerWatch& operator=(const ListenerWatch&) = delete;

  // One entry per port, in the order given, listeners or not.
  Result<std::vector<PortListeners>> Scan(const std::vector<uint16_t>& ports);

 private:
  explicit ListenerWatch(mnl_socket* nl) : nl_(nl) {}
  Status Dump(int family, const std::vector<uint16_t>& ports, std::vector<PortListeners>& out);

  mnl_socket* nl_ = nullptr;
  uint32_t seq_ = 0;
};

// The inet_diag bytecode that keeps sockets whose local port is one of ports
// (exposed for its test).
std::vector<uint8_t> PortFilterBytecode(const std::vector<uint16_t>& ports);

}  // namespace sg
