#include "service/protected_interface.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>

#include <cerrno>

#include "config/bpf_config.h"
#include "datapath/list_sync.h"
#include "datapath/bpf_per_cpu_map.h"

namespace sg {

Result<std::unique_ptr<ProtectedInterface>> ProtectedInterface::Load(const InterfaceSetup& setup) {
  Result<std::unique_ptr<Datapath>> dp = Datapath::Load(DatapathOptions{
      .handoff = setup.handoff, .pin_dir = setup.pin_dir, .pin_link = setup.pin_link});
  if (!dp) return dp.take_error().Context(setup.ifname);
  return std::unique_ptr<ProtectedInterface>(new ProtectedInterface(setup, std::move(*dp)));
}

Status ProtectedInterface::PushConfig() {
  sg_config c = cfg_;
  if (lists_on_)
    c.flags |= SG_CFG_LISTS;
  else
    c.flags &= ~SG_CFG_LISTS;
  if (Status s = dp_->WriteConfig(c); !s) return s.take_error().Context(setup_.ifname);
  return Ok();
}

Status ProtectedInterface::WriteCookies(const CookieSettings& cookies) {
  Result<sg_config> cfg = BuildBpfConfig(cookies, setup_.ifname, setup_.sysctl_root);
  if (!cfg) return cfg.take_error().Context(setup_.ifname);
  return PutCookieConfig(*cfg);
}

Status ProtectedInterface::PutCookieConfig(const sg_config& cfg) {
  const sg_config prev = cfg_;
  const bool had = have_cfg_;
  cfg_ = cfg;
  have_cfg_ = true;
  Status s = PushConfig();
  if (!s) {
    // What the map holds is still the previous value.
    cfg_ = prev;
    have_cfg_ = had;
  }
  return s;
}

Status ProtectedInterface::ClearStatsSlot(uint32_t slot) {
  const int ncpus = libbpf_num_possible_cpus();
  std::vector<sg_port_stats> zeros(static_cast<size_t>(ncpus > 0 ? ncpus : 1));
  if (bpf_map_update_elem(dp_->port_stats_fd(), &slot, zeros.data(), BPF_ANY))
    return Error::FromErrno("clear statistics slot " + std::to_string(slot) + " on " +
                            setup_.ifname);
  return Ok();
}

Status ProtectedInterface::RefreshClock() {
  if (!have_cfg_) return Ok();
  cfg_.clock_offset_ns = static_cast<uint64_t>(WallClockOffsetNs());
  return PushConfig();
}

Status ProtectedInterface::WriteLists(const ListEntries& entries) {
  const int v4 = dp_->lists_v4_fd(), v6 = dp_->lists_v6_fd();
  if (!entries.empty()) {
    if (Status s = SyncLists(v4, v6, entries); !s) return s.take_error().Context(setup_.ifname);
    lists_on_ = true;
    return have_cfg_ ? PushConfig() : Ok();
  }
  lists_on_ = false;
  if (have_cfg_) {
    if (Status s = PushConfig(); !s) return s;
  }
  if (Status s = SyncLists(v4, v6, entries); !s) return s.take_error().Context(setup_.ifname);
  return Ok();
}

Status ProtectedInterface::WritePorts(const std::vector<PortConfig>& ports, const SlotMap& slots,
                                      const std::function<bool(uint16_t)>& engaged,
                                      const std::vector<uint32_t>& fresh,
                                      const std::vector<uint16_t>& removed) {
  // Zero a reused slot before a port starts counting into it.
  for (uint32_t slot : fresh) {
    if (Status s = ClearStatsSlot(slot); !s) return s;
  }
  for (const PortConfig& p : ports) {
    sg_port entry = PortEntry(p, slots.at(p.port), engaged(p.port));
    if (handoff_down_) entry.flags &= ~SG_PORT_ENGAGED;  // engage: always included
    if (Status s = dp_->WritePort(p.port, entry); !s) return s.take_error().Context(setup_.ifname);
  }
  for (uint16_t port : removed) {
    if (Status s = dp_->WritePort(port, sg_port{}); !s)
      return s.take_error().Context(setup_.ifname);
  }
  return Ok();
}

Status ProtectedInterface::SetEngaged(uint16_t port, bool engaged) {
  Result<sg_port> cur = dp_->ReadPort(port);
  if (!cur) return cur.take_error().Context(setup_.ifname);
  sg_port v = *cur;
  v.flags = engaged && !handoff_down_ ? (v.flags | SG_PORT_ENGAGED) : (v.flags & ~SG_PORT_ENGAGED);
  if (Status s = dp_->WritePort(port, v); !s) return s.take_error().Context(setup_.ifname);
  return Ok();
}

SlotMap ProtectedInterface::PreviousPorts() const {
  SlotMap out;
  if (!dp_->reused_maps()) return out;
  // An array map of 65536 entries: one pass at start-up, a few ms.
  for (uint32_t port = 1; port < 65536; ++port) {
    sg_port v{};
    if (bpf_map_lookup_elem(dp_->ports_fd(), &port, &v) == 0 && (v.flags & SG_PORT_PROTECTED))
      out[static_cast<uint16_t>(port)] = v.stats_slot;
  }
  return out;
}

Result<sg_port_stats> ProtectedInterface::PortStats(uint32_t slot) const {
  BpfPerCpuMap map(dp_->port_stats_fd(), sizeof(sg_port_stats));
  Result<std::vector<uint64_t>> sum = SumAcrossCpus(map, slot);
  if (!sum) return sum.take_error().Context(setup_.ifname);
  sg_port_stats st{};
  st.syn = (*sum)[0];
  st.synack_sent = (*sum)[1];
  st.ack_valid = (*sum)[2];
  st.ack_invalid = (*sum)[3];
  return st;
}

Status ProtectedInterface::WriteLocalAddresses(const LocalAddressEntries& entries) {
  if (Status s = dp_->WriteLocalAddresses(entries); !s)
    return s.take_error().Context(setup_.ifname);
  return Ok();
}

Status ProtectedInterface::RefreshMac() {
  if (missing() || dp_->ifindex() == 0) return Ok();
  return dp_->WriteInterface(setup_.ifname, dp_->ifindex());
}

Status ProtectedInterface::Attach(XdpMode mode) {
  if (setup_.handoff == HandoffMode::kReqsk) {
    if (Status s = dp_->AttachTc(setup_.ifname); !s) return s;
  }
  if (Status s = dp_->AttachXdp(setup_.ifname, mode); !s) return s;
  // Each attach looks the name up: a device replaced in between leaves the
  // two halves on different ones.
  if (setup_.handoff == HandoffMode::kReqsk && dp_->tc_ifindex() != dp_->ifindex())
    return Error(setup_.ifname + " was replaced while synguard attached to it (ifindex " +
                 std::to_string(dp_->tc_ifindex()) + ", then " + std::to_string(dp_->ifindex()) +
                 ")");
  watch_.Attached(static_cast<uint32_t>(dp_->ifindex()));
  if (setup_.handoff == HandoffMode::kReqsk) tc_watch_.Attached();
  return Ok();
}

TcSample ProtectedInterface::SampleTc() const {
  TcSample s;
  Result<uint32_t> id = dp_->TcFilterProgId();
  if (id) {
    s.state = *id == dp_->tc_prog_id() ? TcSample::State::kOurs : TcSample::State::kReplaced;
    s.prog_id = *id;
    return s;
  }
  // ENOENT: no filter at our handle and priority; EINVAL: no clsact qdisc.
  // Anything else (ENODEV: the device is going away) is not ours to act on.
  const int err = id.error().err();
  s.state = err == ENOENT || err == EINVAL ? TcSample::State::kGone : TcSample::State::kUnknown;
  s.error = id.error().message();
  s.err = err;
  return s;
}

Result<bool> ProtectedInterface::RepairTc() {
  // Its errors name the device already.
  return dp_->RepairTc();
}

void ProtectedInterface::Lost(const LinkSample& now) {
  // Only the device we attached to may be touched: another one may have
  // been given a number that was ours.
  if (now.ifindex != 0 && now.ifindex == watch_.lost_ifindex()) dp_->Detach();
  dp_->ForgetAttachment();
}

LinkSample ProtectedInterface::Sample() const {
  LinkSample s;
  // The link first, then the name: the kernel unregisters a device by
  // unlisting its name and only then detaching its XDP program, so a link
  // read as detached means the name is already gone (or another device's).
  // The other order, sampled in the middle of an `ip link del` (which an
  // rtnetlink event makes likely: the device's going down is announced
  // first), sees our device's name with our link off it, and takes a
  // deletion for a detach by someone else.
  s.link_attached = dp_->XdpLinkAttached();
  s.ifindex = if_nametoindex(setup_.ifname.c_str());
  // Only ENODEV means "no such interface": a failed lookup (no fd left,
  // say) must not take the programs off a device that is there. The link's
  // own state still tells a device that went.
  if (s.ifindex == 0 && errno != ENODEV) s.ifindex = static_cast<uint32_t>(dp_->ifindex());
  return s;
}

}  // namespace sg
