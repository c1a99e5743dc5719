// One interface under protection: its own datapath (programs and maps,
// pinned under <pin root>/<ifname>/), and the writes the daemon makes to
// those maps: run-time config, allow/deny lists, ports, engaged state. It
// shares nothing with the other interfaces but the secrets the one rotator
// publishes to all of them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "datapath/datapath.h"
#include "control/interface_watch.h"
#include "control/list_entries.h"
#include "control/port_table.h"
#include "control/tc_filter_watch.h"

namespace sg {

struct InterfaceSetup {
  std::string ifname;
  HandoffMode handoff = HandoffMode::kReqsk;  // resolved
  std::string pin_dir;                        // empty: unpinned
  std::string sysctl_root = "/proc/sys";
  bool pin_link = true;  // DatapathOptions::pin_link (on_crash: keep_protecting)
};

class ProtectedInterface {
 public:
  static Result<std::unique_ptr<ProtectedInterface>> Load(const InterfaceSetup& setup);

  // sg_config from the cookie settings and the sysctls now in force.
  Status WriteCookies(const CookieSettings& cookies);
  // sg_config computed already (BuildBpfConfig), written as it is; a reload
  // computes it for every interface before its first write.
  Status PutCookieConfig(const sg_config& cfg);
  // The sg_config written last; nullopt before the first write.
  std::optional<sg_config> cookie_config() const {
    return have_cfg_ ? std::optional<sg_config>(cfg_) : std::nullopt;
  }
  // Zeroes one statistics slot (on every CPU).
  Status ClearStatsSlot(uint32_t slot);
  // Keeps the programs' wall clock in step (NTP slews it).
  Status RefreshClock();
  // The tries first, then the flag that makes the program look them up
  // (and the other way round when the lists empty).
  Status WriteLists(const ListEntries& entries);
  // The host's addresses for the program's destination and source checks.
  Status WriteLocalAddresses(const LocalAddressEntries& entries);
  // The device's MAC address into the program again (it may have changed);
  // nothing while the device is missing.
  Status RefreshMac();
  // Writes every configured port, clears the slots in `fresh`, and
  // unprotects `removed` ports. engaged(port) is the detector's state.
  Status WritePorts(const std::vector<PortConfig>& ports, const SlotMap& slots,
                    const std::function<bool(uint16_t)>& engaged,
                    const std::vector<uint32_t>& fresh, const std::vector<uint16_t>& removed);
  // Flips SG_PORT_ENGAGED, keeping the rest of the entry.
  Status SetEngaged(uint16_t port, bool engaged);
  // Ports a previous run left protected in reused maps, with their slots.
  SlotMap PreviousPorts() const;
  // sg_port_stats of one slot, summed over CPUs.
  Result<sg_port_stats> PortStats(uint32_t slot) const;
  // TC (reqsk) before XDP: once XDP answers SYNs, the ACKs must find the handoff.
  // Tells watch() the ifindex it attached to.
  Status Attach(XdpMode mode);

  // The interface's ifindex by name now, and whether our XDP link still
  // runs on the device it was attached to (for watch().Update()).
  LinkSample Sample() const;
  // After watch() said kLost: forget what went with the device
  // (Datapath::ForgetAttachment). When `now` is still that device (our link
  // was detached by something else), its TC filter is taken off first.
  void Lost(const LinkSample& now);
  // reqsk: our TC filter on the device it was attached to (for
  // tc_watch().Update()). Only meaningful while attached and not missing.
  TcSample SampleTc() const;
  // After tc_watch() said kRepair: the filter attached again (same program,
  // same maps), the clsact qdisc created first if it is gone. Returns
  // whether it created the qdisc.
  Result<bool> RepairTc();
  TcFilterWatch& tc_watch() { return tc_watch_; }
  const TcFilterWatch& tc_watch() const { return tc_watch_; }
  // reqsk without its TC filter (gone, and not back yet): every cookie
  // SYN+ACK would end in a reset, so the ports are written disengaged here
  // (the kernel answers SYNs, with its own cookies under a flood) whatever
  // the detector says, until the filter is back. The caller rewrites the
  // ports (WritePorts) after a change.
  bool handoff_down() const { return handoff_down_; }
  void set_handoff_down(bool down) { handoff_down_ = down; }
  // Waiting for the interface to come back (on_interface_loss: wait).
  bool missing() const { return watch_.missing(); }
  // The last self-test on this interface passed (or was not a fault).
  bool self_test_ok() const { return self_test_ok_; }
  void set_self_test_ok(bool ok) { self_test_ok_ = ok; }
  InterfaceWatch& watch() { return watch_; }
  const InterfaceWatch& watch() const { return watch_; }

  const std::string& name() const { return setup_.ifname; }
  Datapath& datapath() { return *dp_; }
  const Datapath& datapath() const { return *dp_; }

 private:
  ProtectedInterface(InterfaceSetup setup, std::unique_ptr<Datapath> dp)
      : setup_(std::move(setup)), dp_(std::move(dp)) {}
  Status PushConfig();

  InterfaceSetup setup_;
  std::unique_ptr<Datapath> dp_;
  sg_config cfg_{};
  bool have_cfg_ = false;
  bool lists_on_ = false;
  InterfaceWatch watch_;
  TcFilterWatch tc_watch_;
  bool handoff_down_ = false;
  bool self_test_ok_ = false;
};

}  // namespace sg
