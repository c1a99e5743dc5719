#include "datapath/datapath.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "datapath/map_sync.h"
#include "datapath/probe.h"
#include "datapath/quiet_libbpf.h"
#include "synguard_xdp_compat.skel.h"

namespace sg {

namespace {

// The compat build (no bpf_loop) has the same maps, programs and variables
// as the full one: it is opened through the full build's skeleton, so that
// one set of handles serves both.
synguard_xdp* OpenXdpObject(bool with_bpf_loop) {
  if (with_bpf_loop) return synguard_xdp__open();
  auto* obj = static_cast<synguard_xdp*>(calloc(1, sizeof(synguard_xdp)));
  if (!obj) return nullptr;
  int err = synguard_xdp__create_skeleton(obj);
  if (!err) {
    obj->skeleton->data = synguard_xdp_compat__elf_bytes(&obj->skeleton->data_sz);
    err = bpf_object__open_skeleton(obj->skeleton, nullptr);
  }
  if (err) {
    synguard_xdp__destroy(obj);
    errno = err < 0 ? -err : err;
    return nullptr;
  }
  return obj;
}

Result<int> IfIndex(const std::string& ifname) {
  unsigned idx = if_nametoindex(ifname.c_str());
  if (idx == 0) return Error::FromErrno("interface " + ifname + " not found");
  return static_cast<int>(idx);
}

// The device's Ethernet address; all zero for a device without one (the
// XDP program then skips its MAC check).
Result<sg_iface> InterfaceIdentity(const std::string& ifname, int ifindex) {
  sg_iface id{};
  id.ifindex = static_cast<uint32_t>(ifindex);
  UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return Error::FromErrno("open a socket to read the MAC address of " + ifname);
  ifreq req{};
  std::strncpy(req.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  if (ioctl(sock.get(), SIOCGIFHWADDR, &req) != 0)
    return Error::FromErrno("read the MAC address of " + ifname);
  if (req.ifr_hwaddr.sa_family == ARPHRD_ETHER) std::memcpy(id.mac, req.ifr_hwaddr.sa_data, 6);
  return id;
}

// The map pinned at path has the shape this build declares (type, key and
// value sizes, entries, flags), so that libbpf can reuse it.
bool PinnedMapFits(const std::string& path, const bpf_map* want) {
  UniqueFd fd(bpf_obj_get(path.c_str()));
  if (!fd.valid()) return true;  // not a map we can read: libbpf says why at load
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd.get(), &info, &len)) return true;
  return info.type == bpf_map__type(want) && info.key_size == bpf_map__key_size(want) &&
         info.value_size == bpf_map__value_size(want) &&
         info.max_entries == bpf_map__max_entries(want) &&
         info.map_flags == bpf_map__map_flags(want);
}

// Points the TC object's maps at the XDP object's, so both share one state.
Status ShareMaps(synguard_xdp* xdp, synguard_tc* tc) {
  struct Pair {
    bpf_map* from;
    bpf_map* to;
  } pairs[] = {
      {xdp->maps.sg_config_map, tc->maps.sg_config_map},
      {xdp->maps.sg_secrets_map, tc->maps.sg_secrets_map},
      {xdp->maps.sg_ports_map, tc->maps.sg_ports_map},
      {xdp->maps.sg_counters_map, tc->maps.sg_counters_map},
      // Not used by TC, declared by the shared maps.h: one copy, not two.
      {xdp->maps.sg_iface_map, tc->maps.sg_iface_map},
      {xdp->maps.sg_local_v4_map, tc->maps.sg_local_v4_map},
      {xdp->maps.sg_local_v6_map, tc->maps.sg_local_v6_map},
      {xdp->maps.sg_local_fast_map, tc->maps.sg_local_fast_map},
  };
  for (const auto& p : pairs) {
    int err = bpf_map__reuse_fd(p.to, bpf_map__fd(p.from));
    if (err) return Error(std::string("share map ") + bpf_map__name(p.to), err);
  }
  return Ok();
}

// Frags-aware (5.18+), so that native mode attaches to jumbo-frame
// interfaces. Before 5.18 the kernel refuses the flag: plain XDP, which
// native mode limits to frames of about one page. The programs are
// SEC("xdp") for this: libbpf would add an "xdp.frags" section's flag at
// load whatever was set here.
void MarkFragsAware(synguard_xdp* xdp) {
  for (bpf_program* prog : {xdp->progs.synguard_xdp, xdp->progs.synguard_xdp_pass})
    bpf_program__set_flags(prog, bpf_program__flags(prog) | BPF_F_XDP_HAS_FRAGS);
}

// What pinning found under the pin directory before the load.
struct PinOutcome {
  bool reused = false;                // at least one map pinned there fits and is reused
  std::vector<std::string> replaced;  // maps of another shape, unpinned to make new ones
};

// Gives every map a pin path under pin_dir. libbpf reuses a compatible map
// pinned at the path and pins a new one otherwise; rodata and bss stay per
// load (they are the program's own).
Result<PinOutcome> SetPinPaths(bpf_object* obj, const std::string& pin_dir) {
  PinOutcome out;
  bpf_map* map;
  bpf_object__for_each_map(map, obj) {
    if (bpf_map__is_internal(map)) continue;
    std::string path = pin_dir + "/" + bpf_map__name(map);
    struct stat st {};
    if (stat(path.c_str(), &st) == 0) {
      if (PinnedMapFits(path, map)) {
        out.reused = true;
      } else {
        // Another version's shape (a counter added, a value grown):
        // libbpf would refuse the whole load. Unpinned, the old map lives
        // on as long as the old program that still runs uses it; this
        // load makes and pins a new one.
        if (unlink(path.c_str()) && errno != ENOENT)
          return Error::FromErrno("remove the pinned map " + path + " of another shape");
        out.replaced.push_back(bpf_map__name(map));
      }
    }
    if (int err = bpf_map__set_pin_path(map, path.c_str())) return Error("pin map " + path, err);
  }
  return out;
}

// Why the XDP load failed, with the likeliest cause for the operator: maps
// left by an older synguard when some were reused, else the build chosen.
Error XdpLoadError(int err, const std::string& pin_dir, bool reused_maps, bool bpf_loop,
                   bool frags) {
  if (reused_maps)
    return Error("load the XDP program with the maps pinned under " + pin_dir +
                     " (left by an older synguard? remove that directory)",
                 err);
  return Error(std::string("load the XDP program (") +
                   (bpf_loop ? "" : "compat build without bpf_loop, ") +
                   (frags ? "frags-aware" : "plain XDP") +
                   "; is this root, with BPF enabled? libbpf's log above has the verifier's "
                   "reason)",
               err);
}

// Opens and loads the TC handoff program on the XDP object's maps into tc;
// returns the program's id.
Result<uint32_t> LoadTcHandoff(synguard_xdp* xdp, Skeleton<synguard_tc>& tc) {
  tc = Skeleton<synguard_tc>(synguard_tc__open(), synguard_tc__destroy);
  if (!tc) return Error::FromErrno("open the TC handoff program");
  if (Status s = ShareMaps(xdp, tc.get()); !s) return s.take_error();
  if (int err = synguard_tc__load(tc.get()))
    return Error("load the TC handoff program (needs bpf_sk_assign_tcp_reqsk, kernel 6.9+)", err);
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(bpf_program__fd(tc->progs.synguard_tc), &info, &len))
    return Error::FromErrno("read the TC handoff program's id");
  return info.id;
}

}  // namespace

Result<std::unique_ptr<Datapath>> Datapath::Load(const DatapathOptions& opts) {
  std::unique_ptr<Datapath> dp(new Datapath(opts));
  const XdpBuildFeatures& kernel = ProbeXdpBuild();
  dp->uses_bpf_loop_ = opts.bpf_loop.value_or(kernel.bpf_loop);
  dp->uses_frags_ = opts.xdp_frags.value_or(kernel.xdp_frags);
  dp->xdp_ = Skeleton<synguard_xdp>(OpenXdpObject(dp->uses_bpf_loop_), synguard_xdp__destroy);
  if (!dp->xdp_) return Error::FromErrno("open the XDP program");
  if (dp->uses_frags_) MarkFragsAware(dp->xdp_.get());
  dp->xdp_->rodata->sg_handoff_mode =
      opts.handoff == HandoffMode::kKernelCookie ? SG_HANDOFF_KERNEL_COOKIE : SG_HANDOFF_REQSK;
  if (!opts.pin_dir.empty()) {
    Result<PinOutcome> pins = SetPinPaths(dp->xdp_->obj, opts.pin_dir);
    if (!pins) return pins.take_error();
    dp->reused_maps_ = pins->reused;
    dp->replaced_maps_ = std::move(pins->replaced);
  }
  if (int err = synguard_xdp__load(dp->xdp_.get()))
    return XdpLoadError(err, opts.pin_dir, dp->reused_maps_, dp->uses_bpf_loop_, dp->uses_frags_);
  Result<ProgramClock> clock =
      CalibrateProgramClock(bpf_program__fd(dp->xdp_->progs.synguard_clock_probe));
  if (!clock) return clock.take_error().Context("calibrate the programs' clock");
  dp->clock_ = *clock;

  if (opts.handoff == HandoffMode::kReqsk) {
    Result<uint32_t> tc_id = LoadTcHandoff(dp->xdp_.get(), dp->tc_);
    if (!tc_id) return tc_id.take_error();
    dp->tc_prog_id_ = *tc_id;
  }
  return dp;
}

Datapath::~Datapath() {
  if (!leave_attached_) Detach();
}

namespace {

// A crashed synguard's XDP link on ifindex, found by id: its pin may be in
// a bpffs this process cannot see (a start with `ip netns exec` mounts a
// private /sys, and a daemon started with nsenter pinned it in the host's).
// Only the link whose program is the one attached to this namespace's
// ifindex (an ifindex alone names a device in every namespace), and only a
// synguard_xdp program: another XDP program is not ours to replace.
UniqueFd FindSynguardXdpLink(int ifindex) {
  LIBBPF_OPTS(bpf_xdp_query_opts, q);
  if (bpf_xdp_query(ifindex, 0, &q) != 0) return UniqueFd();
  const uint32_t attached = q.attach_mode == XDP_ATTACHED_SKB ? q.skb_prog_id : q.drv_prog_id;
  if (attached == 0) return UniqueFd();
  UniqueFd prog(bpf_prog_get_fd_by_id(attached));
  bpf_prog_info pi{};
  uint32_t plen = sizeof(pi);
  if (!prog.valid() || bpf_obj_get_info_by_fd(prog.get(), &pi, &plen) ||
      std::string(pi.name) != "synguard_xdp")
    return UniqueFd();
  for (uint32_t id = 0; bpf_link_get_next_id(id, &id) == 0;) {
    UniqueFd link(bpf_link_get_fd_by_id(id));
    bpf_link_info li{};
    uint32_t llen = sizeof(li);
    if (!link.valid() || bpf_obj_get_info_by_fd(link.get(), &li, &llen)) continue;
    if (li.type == BPF_LINK_TYPE_XDP && li.prog_id == attached &&
        static_cast<int>(li.xdp.ifindex) == ifindex)
      return link;
  }
  return UniqueFd();
}

}  // namespace

bool Datapath::TakeOverLink(int ifindex) {
  const std::string path = opts_.pin_dir.empty() ? "" : LinkPinPath();
  UniqueFd link(path.empty() ? -1 : bpf_obj_get(path.c_str()));
  const bool pinned = link.valid();
  if (!pinned) link = FindSynguardXdpLink(ifindex);
  if (!link.valid()) return false;
  bpf_link_info info{};
  uint32_t len = sizeof(info);
  // A link whose interface is gone (or was recreated) is useless: drop it.
  if (bpf_obj_get_info_by_fd(link.get(), &info, &len) || info.type != BPF_LINK_TYPE_XDP ||
      static_cast<int>(info.xdp.ifindex) != ifindex ||
      bpf_link_update(link.get(), xdp_prog_fd(), nullptr)) {
    if (pinned) unlink(path.c_str());
    return false;
  }
  LIBBPF_OPTS(bpf_xdp_query_opts, q);
  if (bpf_xdp_query(ifindex, 0, &q) == 0)
    attached_mode_ = q.attach_mode == XDP_ATTACHED_SKB ? XdpMode::kSkb : XdpMode::kNative;
  // fail_open: from now on only this process holds the link. A link found
  // by id is pinned here as one this run attached would be.
  if (pinned && !opts_.pin_link) unlink(path.c_str());
  if (!pinned && !path.empty() && opts_.pin_link) bpf_obj_pin(link.get(), path.c_str());
  xdp_link_ = std::move(link);
  ifindex_ = ifindex;
  took_over_link_ = true;
  return true;
}

Status Datapath::AttachXdp(const std::string& ifname, XdpMode mode) {
  Result<int> idx = IfIndex(ifname);
  if (!idx) return idx.take_error().Context("attach XDP");
  int prog = bpf_program__fd(xdp_->progs.synguard_xdp);
  // Before the program runs there: it answers only frames to this MAC.
  if (Status s = WriteInterface(ifname, *idx); !s) return s.take_error().Context("attach XDP");
  // A previous run left its link pinned: swap the program in place, so that
  // no SYN meets an interface without synguard.
  fell_back_ = false;
  if (TakeOverLink(*idx)) return Ok();
  auto pin = [&]() -> Status {
    if (opts_.pin_dir.empty() || !opts_.pin_link) return Ok();
    if (bpf_obj_pin(xdp_link_.get(), LinkPinPath().c_str()))
      return Error::FromErrno("pin the XDP link at " + LinkPinPath());
    return Ok();
  };
  auto attach = [&](XdpMode m) -> Status {
    LIBBPF_OPTS(bpf_link_create_opts, lopts);
    lopts.flags = m == XdpMode::kNative ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
    int fd = bpf_link_create(prog, *idx, BPF_XDP, &lopts);
    if (fd < 0)
      return Error::FromErrno(std::string("attach XDP to ") + ifname + " (" + ToString(m) + ")");
    xdp_link_.reset(fd);
    attached_mode_ = m;
    ifindex_ = *idx;
    return Ok();
  };
  if (mode != XdpMode::kAuto) {
    Status s = attach(mode);
    return s ? pin() : s;
  }
  Status native = attach(XdpMode::kNative);
  if (native) return pin();
  Status skb = attach(XdpMode::kSkb);
  if (!skb) return skb;
  fell_back_ = true;
  fallback_reason_ = native.error().message();
  return pin();
}

std::string Datapath::FallbackWarning(const std::string& ifname) const {
  return "XDP native mode refused on " + ifname + " (" + fallback_reason_ +
         "); running in skb (generic) mode: the kernel allocates an skb for every packet "
         "before synguard sees it, a cost per spoofed SYN that native mode avoids. Check the "
         "driver's XDP support, or set xdp_mode: skb to say this is meant";
}

Status Datapath::AttachTc(const std::string& ifname) {
  if (!tc_) return Error("attach TC: the reqsk handoff program is not loaded in this mode");
  Result<int> idx = IfIndex(ifname);
  if (!idx) return idx.take_error().Context("attach TC");
  Result<bool> created = AttachTcAt(*idx, ifname);
  if (!created) return created.take_error();
  return Ok();
}

Result<bool> Datapath::AttachTcAt(int ifindex, const std::string& ifname) {
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
  int err = 0;
  {
    QuietLibbpf quiet;
    err = bpf_tc_hook_create(&hook);
  }
  // EEXIST: the clsact qdisc is there already (ours from before, or another tool's).
  if (err && err != -EEXIST) return Error("create the TC ingress hook on " + ifname, err);
  const bool created = err == 0;
  // A qdisc found on the device we attached to before is the one we knew
  // (our filter went, the qdisc stayed): whoever made it still owns it.
  // Known limit: a clsact qdisc deleted and made again by another tool
  // between two checks (the rtnetlink event makes that a matter of
  // milliseconds, unless the daemon stalls) is taken for the one we knew.
  tc_hook_created_ = created || (tc_hook_created_ && tc_ifindex_ == ifindex);
  LIBBPF_OPTS(bpf_tc_opts, topts, .prog_fd = bpf_program__fd(tc_->progs.synguard_tc),
              .flags = BPF_TC_F_REPLACE, .handle = kTcHandle, .priority = kTcPriority);
  err = bpf_tc_attach(&hook, &topts);
  if (err) return Error("attach the TC handoff program to " + ifname + " ingress", err);
  tc_ifindex_ = ifindex;
  return created;
}

Result<uint32_t> Datapath::TcFilterProgId() const {
  if (!tc_ || !tc_ifindex_) return Error("no TC filter attached", ENOENT);
  QuietLibbpf quiet;  // ENOENT and EINVAL are answers (see the header)
  return TcHandoffFilterProgId(tc_ifindex_);
}

Result<bool> Datapath::RepairTc() {
  if (!tc_ || !tc_ifindex_) return Error("attach TC: no device to attach the filter to again");
  // By ifindex, not by name: only the device we attached to is ours to touch
  // (a device re-created under the name is the interface watch's business).
  char name[IF_NAMESIZE] = {};
  const std::string ifname = if_indextoname(static_cast<unsigned>(tc_ifindex_), name)
                                 ? std::string(name)
                                 : "ifindex " + std::to_string(tc_ifindex_);
  return AttachTcAt(tc_ifindex_, ifname);
}

Status Datapath::LeaveAttached() {
  if (opts_.pin_dir.empty())
    return Error("leave the programs attached: no BPF filesystem to pin them on");
  // fail_open ran the link unpinned; a planned restart still gets no gap.
  if (Status s = SetPinLink(true); !s) return s.take_error().Context("leave the programs attached");
  leave_attached_ = true;
  return Ok();
}

Status Datapath::RemoveLeftoverTc(const std::string& ifname, bool remove_qdisc) {
  if (tc_) return Ok();  // reqsk: AttachTc() replaced it in place
  Result<int> idx = IfIndex(ifname);
  if (!idx) return Ok();  // the device is gone, and its filters with it
  // The same check and removal as `synguard cleanup` (datapath/leftovers.h).
  if (Status s = RemoveSynguardTcFilter(*idx); !s)
    return Error("remove the TC handoff filter a previous run left on " + ifname, s.error().err());
  if (remove_qdisc) (void)RemoveClsact(*idx);  // gone already: nothing to do
  return Ok();
}

Status Datapath::SetPinLink(bool pin) {
  opts_.pin_link = pin;
  if (opts_.pin_dir.empty() || !xdp_link_.valid()) return Ok();
  const std::string path = LinkPinPath();
  if (!pin) {
    if (unlink(path.c_str()) != 0 && errno != ENOENT)
      return Error::FromErrno("unpin the XDP link at " + path);
    return Ok();
  }
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) return Ok();  // pinned already (by this run)
  if (bpf_obj_pin(xdp_link_.get(), path.c_str()))
    return Error::FromErrno("pin the XDP link at " + path);
  return Ok();
}

void Datapath::Unpin() {
  if (opts_.pin_dir.empty()) return;
  bpf_map* map;
  bpf_object__for_each_map(map, xdp_->obj) {
    if (!bpf_map__is_internal(map)) bpf_map__unpin(map, nullptr);
  }
  unlink(LinkPinPath().c_str());
  rmdir(opts_.pin_dir.c_str());
}

void Datapath::Detach() {
  // The pin holds the link too: without removing it the program stays.
  if (xdp_link_.valid() && !opts_.pin_dir.empty()) unlink(LinkPinPath().c_str());
  // A link taken over by id may also be pinned where this process cannot
  // unlink it (another bpffs): detach it from the device explicitly.
  if (xdp_link_.valid()) bpf_link_detach(xdp_link_.get());
  xdp_link_.reset();
  if (tc_ifindex_) {
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = tc_ifindex_, .attach_point = BPF_TC_INGRESS);
    LIBBPF_OPTS(bpf_tc_opts, topts, .handle = kTcHandle, .priority = kTcPriority);
    bpf_tc_detach(&hook, &topts);
    // Remove the clsact qdisc only if we created it: it may carry others'
    // filters. The same removal as `synguard cleanup` (datapath/leftovers.h).
    if (tc_hook_created_) (void)RemoveClsact(tc_ifindex_);
    tc_ifindex_ = 0;
    tc_hook_created_ = false;
  }
}

void Datapath::ForgetAttachment() {
  // The defunct link's pin would make the next start "take over" a link
  // that runs nowhere; TakeOverLink() drops such a pin too, this is sooner.
  if (!opts_.pin_dir.empty()) unlink(LinkPinPath().c_str());
  xdp_link_.reset();
  ifindex_ = 0;
  took_over_link_ = false;
  // The filter and the clsact qdisc went with the device.
  tc_ifindex_ = 0;
  tc_hook_created_ = false;
}

bool Datapath::XdpLinkAttached() const {
  if (!xdp_link_.valid()) return false;
  bpf_link_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(xdp_link_.get(), &info, &len)) return true;
  // The kernel reports ifindex 0 for a link whose device was unregistered.
  return static_cast<int>(info.xdp.ifindex) == ifindex_;
}

namespace {

template <class T>
Status UpdateElem(bpf_map* map, uint32_t key, const T& value) {
  if (bpf_map__value_size(map) != sizeof(T))
    return Error(std::string("map ") + bpf_map__name(map) + " has an unexpected value size");
  if (bpf_map_update_elem(bpf_map__fd(map), &key, &value, BPF_ANY))
    return Error::FromErrno(std::string("update map ") + bpf_map__name(map));
  return Ok();
}

template <class T>
Result<T> LookupElem(bpf_map* map, uint32_t key) {
  T value{};
  if (bpf_map_lookup_elem(bpf_map__fd(map), &key, &value))
    return Error::FromErrno(std::string("read map ") + bpf_map__name(map));
  return value;
}

}  // namespace

Status Datapath::WriteConfig(const sg_config& cfg) {
  sg_config c = cfg;
  c.jiffy_ns = clock_.jiffy_ns;
  c.jiffies_mono_ns = clock_.jiffies_mono_ns;
  return UpdateElem(xdp_->maps.sg_config_map, 0, c);
}

Status Datapath::WriteSecrets(const sg_secrets& secrets) {
  return UpdateElem(xdp_->maps.sg_secrets_map, 0, secrets);
}

Status Datapath::WritePort(uint16_t port, const sg_port& value) {
  return UpdateElem(xdp_->maps.sg_ports_map, port, value);
}

Result<sg_config> Datapath::ReadConfig() const {
  return LookupElem<sg_config>(xdp_->maps.sg_config_map, 0);
}

Result<sg_port> Datapath::ReadPort(uint16_t port) const {
  return LookupElem<sg_port>(xdp_->maps.sg_ports_map, port);
}

Result<sg_secrets> Datapath::ReadSecrets() const {
  return LookupElem<sg_secrets>(xdp_->maps.sg_secrets_map, 0);
}

int Datapath::counters_fd() const { return bpf_map__fd(xdp_->maps.sg_counters_map); }
int Datapath::port_stats_fd() const { return bpf_map__fd(xdp_->maps.sg_port_stats_map); }
int Datapath::xdp_prog_fd() const { return bpf_program__fd(xdp_->progs.synguard_xdp); }
int Datapath::ports_fd() const { return bpf_map__fd(xdp_->maps.sg_ports_map); }
int Datapath::lists_v4_fd() const { return bpf_map__fd(xdp_->maps.sg_lists_v4_map); }
int Datapath::lists_v6_fd() const { return bpf_map__fd(xdp_->maps.sg_lists_v6_map); }

Status Datapath::WriteInterface(const std::string& ifname, int ifindex) {
  Result<sg_iface> id = InterfaceIdentity(ifname, ifindex);
  if (!id) return id.take_error();
  const uint32_t zero = 0;
  if (bpf_map_update_elem(bpf_map__fd(xdp_->maps.sg_iface_map), &zero, &*id, BPF_ANY))
    return Error::FromErrno("write the interface map (MAC address of " + ifname + ")");
  return Ok();
}

Result<sg_iface> Datapath::ReadInterface() const {
  const uint32_t zero = 0;
  sg_iface id{};
  if (bpf_map_lookup_elem(bpf_map__fd(xdp_->maps.sg_iface_map), &zero, &id))
    return Error::FromErrno("read the interface map");
  return id;
}

Status Datapath::WriteLocalAddresses(const LocalAddressEntries& entries) {
  std::vector<std::pair<sg_addr6, uint32_t>> v6;
  v6.reserve(entries.v6.size());
  for (const auto& [addr, kind] : entries.v6) {
    sg_addr6 key{};
    std::memcpy(key.addr, addr.data(), 16);
    v6.push_back({key, kind});
  }
  // The hash maps first: a family that outgrows the fast copy is looked up
  // there as soon as its *_more flag is set.
  if (Status s =
          SyncMap(bpf_map__fd(xdp_->maps.sg_local_v4_map), entries.v4, "the host's IPv4 addresses");
      !s)
    return s;
  if (Status s = SyncMap(bpf_map__fd(xdp_->maps.sg_local_v6_map), v6, "the host's IPv6 addresses");
      !s)
    return s;
  sg_local_fast fast{};
  fast.v4_more = entries.v4.size() > SG_LOCAL_FAST;
  fast.v6_more = v6.size() > SG_LOCAL_FAST;
  for (size_t i = 0; i < entries.v4.size() && !fast.v4_more; ++i) {
    fast.v4[i] = entries.v4[i].first;
    fast.v4_kind[i] = entries.v4[i].second;
  }
  for (size_t i = 0; i < v6.size() && !fast.v6_more; ++i) {
    fast.v6[i] = v6[i].first;
    fast.v6_kind[i] = v6[i].second;
  }
  const uint32_t zero = 0;
  if (bpf_map_update_elem(bpf_map__fd(xdp_->maps.sg_local_fast_map), &zero, &fast, BPF_ANY))
    return Error::FromErrno("write the host's addresses (sg_local_fast_map)");
  return Ok();
}

}  // namespace sg
