// The loaded BPF programs and their maps, for one interface: open, set
// rodata, load, attach (XDP native with fallback to skb mode; TC ingress for
// the reqsk handoff), write maps, detach. Owns every libbpf object it makes.
#pragma once

#include <net/if.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bpf/skeleton.h"
#include "datapath/leftovers.h"
#include "config/modes.h"
#include "datapath/program_clock.h"
#include "synguard/shared.h"
#include "synguard_tc.skel.h"
#include "synguard_xdp.skel.h"
#include "util/result.h"
#include "util/unique_fd.h"
#include "watch/local_addresses.h"

namespace sg {

struct DatapathOptions {
  HandoffMode handoff = HandoffMode::kReqsk;  // resolved: never kAuto here
  // A directory on a BPF filesystem for this interface's maps and XDP link;
  // empty: nothing pinned. Maps already pinned there are reused (a restart
  // takes over the previous run's secrets, ports and counters).
  std::string pin_dir;
  // Pin the XDP link (in pin_dir) while attached (on_crash: keep_protecting):
  // the program outlives this process, a kill -9 included. false
  // (fail_open): only this process holds the link, and the kernel detaches
  // the program when it dies; LeaveAttached() still pins it at a clean stop.
  bool pin_link = true;
  // The XDP object with bpf_loop() (else the compat build, synguard_xdp_compat)
  // and loaded frags-aware (else plain XDP); empty: what ProbeKernel() found.
  // Tests force each to run every fallback on any kernel.
  std::optional<bool> bpf_loop;
  std::optional<bool> xdp_frags;
};

class Datapath {
 public:
  // Opens and loads the programs (nothing attached yet).
  static Result<std::unique_ptr<Datapath>> Load(const DatapathOptions& opts);
  ~Datapath();
  Datapath(const Datapath&) = delete;
  Datapath& operator=(const Datapath&) = delete;

  // Attaches XDP to ifindex. kAuto tries native first and falls back to skb
  // mode; the mode in effect is attached_mode() and fell_back() says so.
  Status AttachXdp(const std::string& ifname, XdpMode mode);
  // Attaches the handoff program at TC ingress (reqsk mode only).
  Status AttachTc(const std::string& ifname);
  // Detaches whatever was attached (and removes the link's pin). Safe to call twice.
  void Detach();
  // The interface went away (deleted, or deleted and re-created): the kernel
  // took the XDP program and the TC filter off it already. Forgets both
  // without touching that ifindex (it may name another device by now),
  // closes the defunct link and removes its pin, so that AttachTc() and
  // AttachXdp() start afresh on the next device. Programs and maps stay.
  void ForgetAttachment();
  // Our XDP link still runs on ifindex(). false: its device is gone, or it
  // was detached; a failed query counts as attached (the caller also checks
  // the name's ifindex, which sees a deleted device).
  bool XdpLinkAttached() const;
  // Leaves the programs attached and pinned when this object goes away, for
  // a restart without a gap (leave_pinned_on_exit). Needs a pin_dir.
  Status LeaveAttached();
  // Pins or unpins the attached XDP link now (on_crash changed at a reload).
  Status SetPinLink(bool pin);
  // The TC filter's clsact qdisc was created by this object, or, per
  // ClaimTcHook(), by an earlier run of synguard: Detach() removes it.
  bool tc_hook_created() const { return tc_hook_created_; }
  // An earlier run (killed, or left pinned) created the clsact qdisc this
  // object found in place: the last run to detach removes it.
  void ClaimTcHook() {
    if (tc_ifindex_) tc_hook_created_ = true;
  }
  // Without a TC program of its own (kernel-cookie), removes the handoff
  // filter a killed reqsk run left on ifname's ingress, if one is there and
  // is synguard's, and the clsact qdisc too when remove_qdisc (that run
  // created it). A filter is not a link: it outlives the process.
  Status RemoveLeftoverTc(const std::string& ifname, bool remove_qdisc);
  // Removes the map pins and the pin directory (after Detach, on a normal exit).
  void Unpin();

  // The TC filter is not a link: anything may remove it (tc qdisc del, tc
  // filter del) and nothing tells the process that attached it.
  // TcFilterProgId() reads the id of the program at our handle and priority
  // on the device it was attached to (tc_ifindex()); the error keeps the
  // kernel's errno: ENOENT no such filter, EINVAL no clsact qdisc (the
  // kernel's "Parent Qdisc doesn't exists") or a filter there that is not
  // BPF, ENODEV no such device.
  Result<uint32_t> TcFilterProgId() const;
  // Our TC program's id, to compare with TcFilterProgId(); 0 without one.
  uint32_t tc_prog_id() const { return tc_prog_id_; }
  // Attaches the handoff filter again (same program, same maps) on the
  // device it was attached to, creating the clsact qdisc first if it is
  // gone; a qdisc created here is ours to remove, as at AttachTc().
  // Returns whether it created the qdisc.
  Result<bool> RepairTc();

  // Writes cfg with this load's program clock calibration (jiffy_ns,
  // jiffies_mono_ns) filled in: callers set everything else.
  Status WriteConfig(const sg_config& cfg);
  Status WriteSecrets(const sg_secrets& secrets);
  Status WritePort(uint16_t port, const sg_port& value);
  Result<sg_config> ReadConfig() const;
  Result<sg_port> ReadPort(uint16_t port) const;
  // The device's MAC address into the program's interface map (AttachXdp
  // does it; again when the device's address changes).
  Status WriteInterface(const std::string& ifname, int ifindex);
  Result<sg_iface> ReadInterface() const;
  // Makes the program's maps of the host's addresses equal to entries.
  Status WriteLocalAddresses(const LocalAddressEntries& entries);
  // Key material: for handing the keys on (restart, reload), never for logs.
  Result<sg_secrets> ReadSecrets() const;

  HandoffMode handoff() const { return opts_.handoff; }
  // Which build of the XDP program runs, and whether it is frags-aware.
  bool uses_bpf_loop() const { return uses_bpf_loop_; }
  bool uses_frags() const { return uses_frags_; }
  XdpMode attached_mode() const { return attached_mode_; }
  bool fell_back() const { return fell_back_; }
  // Why native mode was refused, when fell_back().
  const std::string& fallback_reason() const { return fallback_reason_; }
  // The operator's warning when fell_back(): what was refused and what skb
  // mode costs.
  std::string FallbackWarning(const std::string& ifname) const;
  int ifindex() const { return ifindex_; }
  int tc_ifindex() const { return tc_ifindex_; }
  // The maps were found pinned by a previous run and reused.
  bool reused_maps() const { return reused_maps_; }
  // Maps pinned by a previous run with another shape (another synguard
  // version): their pins were replaced by new, empty maps.
  const std::vector<std::string>& replaced_maps() const { return replaced_maps_; }
  // The XDP link was found pinned and now runs this program (no gap).
  bool took_over_link() const { return took_over_link_; }
  const std::string& pin_dir() const { return opts_.pin_dir; }
  const ProgramClock& program_clock() const { return clock_; }

  synguard_xdp* xdp() const { return xdp_.get(); }
  synguard_tc* tc() const { return tc_.get(); }
  int counters_fd() const;
  int port_stats_fd() const;
  int xdp_prog_fd() const;
  int ports_fd() const;
  int lists_v4_fd() const;
  int lists_v6_fd() const;

 private:
  explicit Datapath(const DatapathOptions& opts) : opts_(opts) {}

  DatapathOptions opts_;
  ProgramClock clock_;
  Skeleton<synguard_xdp> xdp_;
  Skeleton<synguard_tc> tc_;
  UniqueFd xdp_link_;  // closing the link detaches the program
  int ifindex_ = 0;
  int tc_ifindex_ = 0;
  bool tc_hook_created_ = false;
  uint32_t tc_prog_id_ = 0;
  XdpMode attached_mode_ = XdpMode::kAuto;
  bool fell_back_ = false;
  std::string fallback_reason_;
  bool reused_maps_ = false;
  std::vector<std::string> replaced_maps_;
  bool took_over_link_ = false;
  bool leave_attached_ = false;
  bool uses_bpf_loop_ = true;
  bool uses_frags_ = true;

  // Runs this program on the link a previous run pinned for ifindex; false
  // when there is none (or it is stale), and then the caller attaches anew.
  bool TakeOverLink(int ifindex);
  // AttachTc() and RepairTc(): hook and filter on ifindex; whether it
  // created the clsact qdisc.
  Result<bool> AttachTcAt(int ifindex, const std::string& ifname);
  std::string LinkPinPath() const { return opts_.pin_dir + "/xdp_link"; }

  // Our TC filter's identity at the ingress hook.
  static constexpr uint32_t kTcHandle = kTcHandoffHandle;  // "SG" (datapath/leftovers.h)
  static constexpr uint32_t kTcPriority = kTcHandoffPriority;
};

}  // namespace sg
