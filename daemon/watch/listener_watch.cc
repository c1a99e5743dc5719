#include "watch/listener_watch.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace sg {

namespace {

constexpr size_t kDumpBufferSize = 32768;  // libmnl's advice for dumps

void PutOp(std::vector<uint8_t>& bc, uint8_t code, uint8_t yes, uint16_t no) {
  inet_diag_bc_op op{code, yes, no};
  const auto* p = reinterpret_cast<const uint8_t*>(&op);
  bc.insert(bc.end(), p, p + sizeof(op));
}

struct DumpContext {
  const std::vector<uint16_t>* ports;
  std::vector<PortListeners>* out;
};

int OnMessage(const nlmsghdr* nlh, void* data) {
  auto* ctx = static_cast<DumpContext*>(data);
  if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) return MNL_CB_OK;
  const auto* m = static_cast<const inet_diag_msg*>(mnl_nlmsg_get_payload(nlh));
  const uint16_t port = ntohs(m->id.idiag_sport);
  // The kernel filtered by port already; this keeps us right if it did not.
  auto it = std::find(ctx->ports->begin(), ctx->ports->end(), port);
  if (it == ctx->ports->end()) return MNL_CB_OK;
  PortListeners& p = (*ctx->out)[static_cast<size_t>(it - ctx->ports->begin())];
  if (m->idiag_state == TCP_SYN_RECV) {
    ++p.syn_recv;
  } else if (m->idiag_state == TCP_LISTEN) {
    Listener l;
    l.family = m->idiag_family == AF_INET6 ? 6 : 4;
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(m->idiag_family, m->id.idiag_src, buf, sizeof(buf));
    l.address = buf;
    l.port = port;
    l.backlog = m->idiag_wqueue;
    l.accept_queue = m->idiag_rqueue;
    l.inode = m->idiag_inode;
    p.listeners.push_back(std::move(l));
  }
  return MNL_CB_OK;
}

}  // namespace

double PortListeners::AcceptFill() const {
  double fill = 0;
  for (const Listener& l : listeners) {
    if (l.backlog > 0) fill = std::max(fill, static_cast<double>(l.accept_queue) / l.backlog);
  }
  return std::min(fill, 1.0);
}

double PortListeners::SynRecvFill() const {
  uint64_t backlog = 0;
  for (const Listener& l : listeners) backlog += l.backlog;
  if (backlog == 0) return 0;
  return std::min(1.0, static_cast<double>(syn_recv) / static_cast<double>(backlog));
}

// The kernel audits bytecode by walking the "yes" jumps from the start, and
// accepts a "no" jump only to a place that walk reaches; so each port is a
// block the walk passes through: sport >= P (else next block), sport <= P
// (else next block), then an always-false JMP whose "no" goes to the end
// (= accept). Falling off the last block jumps 4 bytes past the end (= reject).
std::vector<uint8_t> PortFilterBytecode(const std::vector<uint16_t>& ports) {
  constexpr int kOp = sizeof(inet_diag_bc_op);  // 4
  constexpr int kBlock = 5 * kOp;
  const int total = kBlock * static_cast<int>(ports.size());
  std::vector<uint8_t> bc;
  for (size_t i = 0; i < ports.size(); ++i) {
    const int at = kBlock * static_cast<int>(i);
    const bool last = i + 1 == ports.size();
    auto miss = [&](int op_at) {  // to the next block, or reject after the last
      return static_cast<uint16_t>(last ? total - op_at + kOp : at + kBlock - op_at);
    };
    PutOp(bc, INET_DIAG_BC_S_GE, 2 * kOp, miss(at));
    PutOp(bc, 0, 0, ports[i]);
    PutOp(bc, INET_DIAG_BC_S_LE, 2 * kOp, miss(at + 2 * kOp));
    PutOp(bc, 0, 0, ports[i]);
    PutOp(bc, INET_DIAG_BC_JMP, kOp, static_cast<uint16_t>(total - (at + 4 * kOp)));
  }
  return bc;
}

Result<ListenerWatch> ListenerWatch::Open() {
  mnl_socket* nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
  if (!nl) return Error::FromErrno("open a NETLINK_SOCK_DIAG socket to watch listeners");
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    Error e = Error::FromErrno("bind the NETLINK_SOCK_DIAG socket");
    mnl_socket_close(nl);
    return e;
  }
  return ListenerWatch(nl);
}

ListenerWatch::~ListenerWatch() {
  if (nl_) mnl_socket_close(nl_);
}

ListenerWatch::ListenerWatch(ListenerWatch&& o) noexcept
    : nl_(std::exchange(o.nl_, nullptr)), seq_(o.seq_) {}

ListenerWatch& ListenerWatch::operator=(ListenerWatch&& o) noexcept {
  if (this != &o) {
    if (nl_) mnl_socket_close(nl_);
    nl_ = std::exchange(o.nl_, nullptr);
    seq_ = o.seq_;
  }
  return *this;
}

Result<std::vector<PortListeners>> ListenerWatch::Scan(const std::vector<uint16_t>& ports) {
  std::vector<PortListeners> out(ports.size());
  for (size_t i = 0; i < ports.size(); ++i) out[i].port = ports[i];
  if (ports.empty()) return out;
  for (int family : {AF_INET, AF_INET6}) {
    if (Status s = Dump(family, ports, out); !s) return s.take_error();
  }
  return out;
}

Status ListenerWatch::Dump(int family, const std::vector<uint16_t>& ports,
                           std::vector<PortListeners>& out) {
  const char* fam = family == AF_INET ? "IPv4" : "IPv6";
  std::vector<char> buf(kDumpBufferSize);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = ++seq_;
  auto* req =
      static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
  req->sdiag_family = static_cast<uint8_t>(family);
  req->sdiag_protocol = IPPROTO_TCP;
  // SYN_RECV also selects the request sockets (TCP_NEW_SYN_RECV) of listeners.
  req->idiag_states = (1u << TCP_LISTEN) | (1u << TCP_SYN_RECV);
  const std::vector<uint8_t> bc = PortFilterBytecode(ports);
  mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, bc.size(), bc.data());

  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0)
    return Error::FromErrno(std::string("request the ") + fam + " TCP listener dump (sock_diag)");
  const unsigned portid = mnl_socket_get_portid(nl_);
  DumpContext ctx{&ports, &out};
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno(std::string("read the ") + fam + " TCP listener dump (sock_diag)");
    }
    int r = mnl_cb_run(buf.data(), static_cast<size_t>(n), seq_, portid, OnMessage, &ctx);
    if (r == MNL_CB_ERROR)
      return Error::FromErrno(std::string("the kernel refused the ") + fam +
                              " TCP listener dump (sock_diag)");
    if (r == MNL_CB_STOP) return Ok();
  }
}

}  // namespace sg
