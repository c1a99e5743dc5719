// HasClsact() (datapath/leftovers.h), apart from the rest: it needs libmnl,
// which the fuzzing build of the datapath does not link.
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cstring>
#include <memory>
#include <vector>

#include "datapath/leftovers.h"

namespace sg {

Result<bool> HasClsact(int ifindex) {
  std::unique_ptr<mnl_socket, decltype(&mnl_socket_close)> nl(
      mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC), mnl_socket_close);
  if (!nl) return Error::FromErrno("open a netlink socket");
  if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0)
    return Error::FromErrno("bind a netlink socket");
  // A kernel that never answers must not hang the caller.
  timeval tv{.tv_sec = 5, .tv_usec = 0};
  setsockopt(mnl_socket_get_fd(nl.get()), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

  std::vector<char> buf(32768);  // libmnl's advice for dumps
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_GETQDISC;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  const unsigned seq = 1;
  nlh->nlmsg_seq = seq;
  auto* req = static_cast<tcmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(tcmsg)));
  req->tcm_family = AF_UNSPEC;
  req->tcm_ifindex = ifindex;  // the kernel may dump every device anyway
  if (mnl_socket_sendto(nl.get(), nlh, nlh->nlmsg_len) < 0)
    return Error::FromErrno("ask the kernel for the qdiscs (RTM_GETQDISC)");

  struct Ctx {
    int ifindex;
    bool found;
  } ctx{ifindex, false};
  auto on_qdisc = [](const nlmsghdr* m, void* data) -> int {
    auto* c = static_cast<Ctx*>(data);
    const auto* t = static_cast<const tcmsg*>(mnl_nlmsg_get_payload(m));
    if (t->tcm_ifindex != c->ifindex) return MNL_CB_OK;
    auto on_attr = [](const nlattr* a, void* d) -> int {
      if (mnl_attr_get_type(a) == TCA_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 &&
          std::strcmp(mnl_attr_get_str(a), "clsact") == 0)
        static_cast<Ctx*>(d)->found = true;
      return MNL_CB_OK;
    };
    return mnl_attr_parse(m, sizeof(tcmsg), on_attr, c) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
  };
  const unsigned portid = mnl_socket_get_portid(nl.get());
  // A dump ends with NLMSG_DONE (MNL_CB_STOP); the bound is a safety net.
  for (int n = 0; n < 4096; ++n) {
    ssize_t len = mnl_socket_recvfrom(nl.get(), buf.data(), buf.size());
    if (len < 0) return Error::FromErrno("read the qdisc dump");
    int r = mnl_cb_run(buf.data(), static_cast<size_t>(len), seq, portid, on_qdisc, &ctx);
    if (r == MNL_CB_ERROR) return Error::FromErrno("read the qdisc dump");
    if (r == MNL_CB_STOP) return ctx.found;
  }
  return Error("read the qdisc dump: it did not end");
}

}  // namespace sg
