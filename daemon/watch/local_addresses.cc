#include "watch/local_addresses.h"

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "synguard/shared.h"

namespace sg {

namespace {

constexpr size_t kDumpBufferSize = 32768;  // libmnl's advice for dumps

struct MnlCloser {
  void operator()(mnl_socket* nl) const { mnl_socket_close(nl); }
};

int OnAttribute(const nlattr* attr, void* data) {
  auto* tb = static_cast<const nlattr**>(data);
  const int type = mnl_attr_get_type(attr);
  if (type >= 0 && type <= IFA_MAX) tb[type] = attr;
  return MNL_CB_OK;
}

void CopyAddress(const nlattr* attr, size_t len, std::array<uint8_t, 16>& out) {
  if (attr && mnl_attr_get_payload_len(attr) >= len)
    std::memcpy(out.data(), mnl_attr_get_payload(attr), len);
}

int OnMessage(const nlmsghdr* nlh, void* data) {
  auto* out = static_cast<std::vector<InterfaceAddress>*>(data);
  if (nlh->nlmsg_type != RTM_NEWADDR) return MNL_CB_OK;
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return MNL_CB_OK;
  const nlattr* tb[IFA_MAX + 1] = {};
  mnl_attr_parse(nlh, sizeof(*ifa), OnAttribute, tb);
  InterfaceAddress a;
  a.family = ifa->ifa_family == AF_INET6 ? 6 : 4;
  const size_t len = a.family == 6 ? 16 : 4;
  // IPv4: IFA_LOCAL is the address, IFA_ADDRESS the peer's on a
  // point-to-point link. IPv6 has IFA_ADDRESS only (IFA_LOCAL on a peer link).
  const nlattr* local = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
  if (!local) return MNL_CB_OK;
  CopyAddress(local, len, a.local);
  if (tb[IFA_BROADCAST]) {
    CopyAddress(tb[IFA_BROADCAST], len, a.broadcast);
    a.has_broadcast = true;
  }
  a.flags = tb[IFA_FLAGS] ? mnl_attr_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
  out->push_back(a);
  return MNL_CB_OK;
}

bool IsLoopback(const InterfaceAddress& a) {
  if (a.family == 4) return a.local[0] == 127;
  static const std::array<uint8_t, 16> kLoopback6 = {0, 0, 0, 0, 0, 0, 0, 0,
                                                     0, 0, 0, 0, 0, 0, 0, 1};
  return a.local == kLoopback6;
}

}  // namespace

Result<std::vector<InterfaceAddress>> DumpInterfaceAddresses() {
  std::unique_ptr<mnl_socket, MnlCloser> nl(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
  if (!nl) return Error::FromErrno("open an rtnetlink socket to read the host's addresses");
  if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0)
    return Error::FromErrno("bind the rtnetlink socket for the host's addresses");
  std::vector<char> buf(kDumpBufferSize);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_GETADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  const uint32_t seq = static_cast<uint32_t>(time(nullptr));
  nlh->nlmsg_seq = seq;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_UNSPEC;
  if (mnl_socket_sendto(nl.get(), nlh, nlh->nlmsg_len) < 0)
    return Error::FromErrno("ask rtnetlink for the host's addresses");
  const uint32_t portid = mnl_socket_get_portid(nl.get());
  std::vector<InterfaceAddress> out;
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(nl.get(), buf.data(), buf.size());
    if (n < 0) return Error::FromErrno("read the host's addresses from rtnetlink");
    const int r = mnl_cb_run(buf.data(), static_cast<size_t>(n), seq, portid, OnMessage, &out);
    if (r == MNL_CB_STOP) break;
    if (r < 0) return Error::FromErrno("read the host's addresses from rtnetlink");
  }
  return out;
}

LocalAddressEntries BuildLocalAddressEntries(const std::vector<InterfaceAddress>& addresses) {
  LocalAddressEntries e;
  for (const InterfaceAddress& a : addresses) {
    if (IsLoopback(a)) continue;
    if (a.family == 6) {
      const bool tentative = (a.flags & IFA_F_TENTATIVE) && !(a.flags & IFA_F_OPTIMISTIC);
      if (tentative || (a.flags & IFA_F_DADFAILED)) continue;
      e.v6.push_back({a.local, SG_ADDR_LOCAL});
      continue;
    }
    uint32_t local = 0, broadcast = 0;
    std::memcpy(&local, a.local.data(), 4);
    e.v4.push_back({local, SG_ADDR_LOCAL});
    std::memcpy(&broadcast, a.broadcast.data(), 4);
    if (a.has_broadcast && broadcast != local) e.v4.push_back({broadcast, SG_ADDR_BROADCAST});
  }
  // A host address wins over a broadcast address with the same bytes (a /31
  // or /32 reports its own address as the broadcast).
  auto dedupe = [](auto& v) {
    std::sort(v.begin(), v.end());
    std::vector<typename std::decay_t<decltype(v)>::value_type> kept;
    for (const auto& entry : v) {
      if (!kept.empty() && kept.back().first == entry.first) continue;  // LOCAL (1) sorts first
      kept.push_back(entry);
    }
    v = std::move(kept);
  };
  dedupe(e.v4);
  dedupe(e.v6);
  return e;
}

}  // namespace sg
