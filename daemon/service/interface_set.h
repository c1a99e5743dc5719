// Every protected interface, and what the daemon does to all of them: load
// and fill (LoadInterface), attach, publish secrets and ports, follow the
// host's addresses, notice an interface that goes away and attach it again
// when it is back, repair a TC filter something removed, run the self-test,
// detach at stop. The daemon owns one; it reads the config, the stats slots
// and the ports' engaged state the daemon keeps (references that stay valid
// for the daemon's life: a reload assigns them in place).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "control/port_engagement.h"
#include "control/port_table.h"
#include "datapath/summed_map.h"
#include "service/protected_interface.h"
#include "system/restore_record.h"
#include "watch/local_addresses.h"

namespace sg {

class InterfaceSet {
 public:
  // What the set reads from the daemon, always the values in force.
  struct Live {
    const Config& config;
    const SlotMap& slots;
    const PortRuntimes& ports;
  };
  InterfaceSet(Live live, std::string sysctl_root)
      : live_(live), sysctl_root_(std::move(sysctl_root)) {}

  // Set once at start, before the first Load().
  void set_handoff(HandoffMode h) { handoff_ = h; }
  void set_pin_root(std::string root) { pin_root_ = std::move(root); }
  HandoffMode handoff() const { return handoff_; }

  // The host's addresses now (RTM_GETADDR), for the programs' destination
  // and source checks; written by every Load() after it.
  Status ReadLocalAddresses();
  const LocalAddressEntries& local_addresses() const { return local_addresses_; }

  // Loads ifname's programs and fills its maps for `cfg` (not attached);
  // `secrets` published too when set. A failure leaves nothing pinned.
  Result<std::unique_ptr<ProtectedInterface>> Load(const std::string& ifname, const Config& cfg,
                                                   const SlotMap& slots, const PortRuntimes& ports,
                                                   const sg_secrets* secrets);
  void Add(std::unique_ptr<ProtectedInterface> i) { all_.push_back(std::move(i)); }
  // Detaches, unpins and forgets ifname (a reload that drops it); false
  // if there is none of that name.
  bool Remove(const std::string& ifname);

  // Every interface attached, TC before XDP. EEXIST and a native mode the
  // driver refuses get the operator's explanation.
  Status AttachAll(XdpMode mode);
  Status PublishSecrets(const sg_secrets& s);
  // Secrets a previous run left in pinned maps, from the first interface
  // that reused its maps.
  std::optional<sg_secrets> PinnedSecrets() const;
  // The configured ports on i, each engaged as its detector says (and as
  // i's TC filter allows); `fresh` slots cleared, `removed` unprotected.
  Status WritePorts(ProtectedInterface& i, const Config& cfg, const SlotMap& slots,
                    const PortRuntimes& ports, const std::vector<uint16_t>& removed = {},
                    const std::vector<uint32_t>& fresh = {});
  // Cookies engaged or not on one port, on every interface.
  void SetEngaged(uint16_t port, bool engaged);
  // The port's SYNs on every interface, summed.
  uint64_t SynTotal(uint32_t slot) const;
  // The metrics' per-CPU maps read every interface here and `extra`, but
  // not those named in `leaving`.
  Status PointMetrics(SummedPerCpuMap& counters, SummedPerCpuMap& port_stats,
                      const std::vector<std::string>& leaving = {},
                      const std::vector<ProtectedInterface*>& extra = {}) const;

  // A probe SYN through every interface (or only `only`): false if one
  // failed. Needs a port with engage: always and a host IPv4 address.
  bool RunSelfTests(ProtectedInterface* only = nullptr);
  bool self_test_ok() const { return self_test_ok_; }

  // What a tick and an rtnetlink event check (service/interface_set.cc says
  // how). WatchInterfaces returns true when something changed; *exit is set
  // when on_interface_loss: exit says to stop.
  bool WatchInterfaces(uint64_t now_ns, bool* exit);
  bool WatchTcFilters(uint64_t now_ns);
  void WatchAddresses();
  // The programs' wall clock in step, on every interface.
  void RefreshClocks();

  // The clsact qdiscs synguard created, into the restore record; a
  // leftover TC filter of a killed run removed. True if the list changed.
  bool RecordTcHooks(RestoreState& restore);
  // Detached and unpinned, or (leave) left attached and pinned; then closed.
  void Stop(bool leave);

  // "eth0 (native, reqsk), eth1 (missing)" and the like.
  std::string Describe() const;
  std::vector<std::unique_ptr<ProtectedInterface>>& all() { return all_; }
  const std::vector<std::unique_ptr<ProtectedInterface>>& all() const { return all_; }

 private:
  bool Reattach(ProtectedInterface& i, uint32_t ifindex, uint64_t now_ns);
  // Ports on i disengaged while its TC filter is missing, engaged as the
  // detector says once it is back; logs a change.
  void HandoffInPlace(ProtectedInterface& i, bool in_place);
  Status Fill(ProtectedInterface& i, const Config& cfg, const SlotMap& slots,
              const PortRuntimes& ports, const sg_secrets* secrets);

  Live live_;
  std::string sysctl_root_;
  HandoffMode handoff_ = HandoffMode::kAuto;
  std::string pin_root_;                 // empty: unpinned
  LocalAddressEntries local_addresses_;  // as last written to every interface
  std::vector<std::unique_ptr<ProtectedInterface>> all_;
  bool self_test_ok_ = false;
};

}  // namespace sg
