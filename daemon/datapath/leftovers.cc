#include "datapath/leftovers.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <cerrno>

#include "util/unique_fd.h"

namespace sg {

namespace {

std::string ProgName(uint32_t prog_id) {
  UniqueFd prog(bpf_prog_get_fd_by_id(prog_id));
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (!prog.valid() || bpf_obj_get_info_by_fd(prog.get(), &info, &len) != 0) return "";
  return info.name;
}

Result<bpf_link_info> LinkInfo(int fd, const std::string& what) {
  bpf_link_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return Error::FromErrno("read " + what);
  return info;
}

}  // namespace

Result<uint32_t> PinnedXdpLinkIfindex(const std::string& path) {
  UniqueFd link(bpf_obj_get(path.c_str()));
  if (!link.valid()) return Error::FromErrno("open the pinned XDP link " + path);
  Result<bpf_link_info> info = LinkInfo(link.get(), "the pinned XDP link " + path);
  if (!info) return info.take_error();
  if (info->type != BPF_LINK_TYPE_XDP) return Error(path + " is not an XDP link");
  return info->xdp.ifindex;
}

Status DetachPinnedXdpLink(const std::string& path) {
  UniqueFd link(bpf_obj_get(path.c_str()));
  if (!link.valid()) return Error::FromErrno("open the pinned XDP link " + path);
  // Unpinning alone detaches only if nothing else holds the link (a
  // bpftool, a stuck process); BPF_LINK_DETACH takes it off regardless.
  if (bpf_link_detach(link.get()) != 0)
    return Error::FromErrno("detach the XDP link pinned at " + path);
  return Ok();
}

Result<uint32_t> SynguardXdpLink(int ifindex) {
  LIBBPF_OPTS(bpf_xdp_query_opts, q);
  if (int err = bpf_xdp_query(ifindex, 0, &q))
    return Error("query the XDP programs of ifindex " + std::to_string(ifindex), err);
  uint32_t prog_id = 0;
  for (uint32_t id : {q.prog_id, q.drv_prog_id, q.skb_prog_id, q.hw_prog_id})
    if (id && ProgName(id) == kXdpProgName) prog_id = id;
  if (!prog_id) return 0u;
  // Link ids are global: the one that runs this program on this ifindex is
  // ours (a program id is unique, and one load serves one interface). The
  // walk ends at the last id; the bound only guards against a kernel that
  // kept handing out ids.
  uint32_t id = 0;
  for (int n = 0; n < (1 << 20) && bpf_link_get_next_id(id, &id) == 0; ++n) {
    UniqueFd link(bpf_link_get_fd_by_id(id));
    if (!link.valid()) continue;  // gone meanwhile
    Result<bpf_link_info> info = LinkInfo(link.get(), "link " + std::to_string(id));
    if (info && info->type == BPF_LINK_TYPE_XDP && info->prog_id == prog_id &&
        static_cast<int>(info->xdp.ifindex) == ifindex)
      return id;
  }
  return Error("synguard's XDP program (id " + std::to_string(prog_id) + ") runs on ifindex " +
               std::to_string(ifindex) +
               " without a link: take it off with `ip link set dev IF xdp off`");
}

Status DetachXdpLink(uint32_t link_id) {
  UniqueFd link(bpf_link_get_fd_by_id(link_id));
  if (!link.valid()) {
    if (errno == ENOENT) return Ok();  // released meanwhile: detached with it
    return Error::FromErrno("open XDP link " + std::to_string(link_id));
  }
  if (bpf_link_detach(link.get()) != 0)
    return Error::FromErrno("detach XDP link " + std::to_string(link_id));
  return Ok();
}

Result<uint32_t> TcHandoffFilterProgId(int ifindex) {
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
  LIBBPF_OPTS(bpf_tc_opts, query, .handle = kTcHandoffHandle, .priority = kTcHandoffPriority);
  if (int err = bpf_tc_query(&hook, &query))
    return Error("query the TC ingress filter on ifindex " + std::to_string(ifindex), err);
  return query.prog_id;
}

bool HasSynguardTcFilter(int ifindex) {
  // No clsact qdisc, or no filter with our handle and priority: none.
  Result<uint32_t> id = TcHandoffFilterProgId(ifindex);
  return id && ProgName(*id) == kTcProgName;
}

Status RemoveSynguardTcFilter(int ifindex) {
  if (!HasSynguardTcFilter(ifindex)) return Ok();
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
  LIBBPF_OPTS(bpf_tc_opts, del, .handle = kTcHandoffHandle, .priority = kTcHandoffPriority);
  if (int err = bpf_tc_detach(&hook, &del)) return Error("remove the TC handoff filter", err);
  return Ok();
}

Status RemoveClsact(int ifindex) {
  // libbpf deletes the qdisc only for INGRESS | EGRESS; for INGRESS alone
  // it flushes the ingress filters and leaves the qdisc.
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
              .attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS));
  if (int err = bpf_tc_hook_destroy(&hook)) return Error("remove the clsact qdisc", err);
  return Ok();
}

}  // namespace sg
