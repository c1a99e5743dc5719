// The running daemon: everything `synguard run` does between start and
// exit, built from a validated Config. One job per part (config, tuner,
// datapaths, rotator, detector, watch, metrics); this class only wires them
// and owns their lifetimes:
//   Start()  probe, tune, load and fill each interface's maps, publish the
//            secrets, attach, self-test, READY;
//   Loop()   a 1-second tick (clock, rotation, listeners, detector,
//            watchdog), rtnetlink events (the interface and TC filter checks
//            at once) and the signals: SIGHUP reloads, SIGTERM/SIGINT stop;
//   Stop()   detach and restore the sysctls, or leave everything pinned.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "detector/attack_detector.h"
#include "metrics/exporter.h"
#include "metrics/snapshot.h"
#include "secrets/secret_rotator.h"
#include "system/bpffs.h"
#include "system/instance_lock.h"
#include "system/notifier.h"
#include "control/port_table.h"
#include "service/protected_interface.h"
#include "control/reload_plan.h"
#include "system/restore_record.h"
#include "config/run_flags.h"
#include "system/rtnl_events.h"
#include "system/state_file.h"
#include "datapath/summed_map.h"
#include "tuning/sysctl_tuner.h"
#include "util/clock.h"
#include "util/unique_fd.h"
#include "watch/listener_watch.h"
#include "watch/local_addresses.h"

namespace sg {

struct DaemonOptions {
  RunFlags flags;  // re-applied over the file at every reload
  std::string sysctl_root = "/proc/sys";
  std::string state_dir = kDefaultStateDir;
};

// Exit codes: 0 clean stop, 1 runtime failure, 2 bad config or flags, 3 a
// protected interface disappeared (on_interface_loss: exit).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitConfig = 2;
inline constexpr int kExitInterfaceLost = 3;

class Daemon {
 public:
  Daemon(Config config, DaemonOptions opts);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Prints the sysctl diff and what would be attached; changes nothing.
  int DryRun();
  // Returns an exit code; kExitOk means running (call Loop()).
  int Start();
  // Runs until SIGTERM/SIGINT; returns the exit code.
  int Loop();

 private:
  struct PortRuntime {
    PortConfig config;
    std::optional<AttackDetector> detector;  // engage: auto only
    uint64_t last_syn = 0;
    bool have_last = false;
    bool engaged = false;
  };

  // A reload computed in full before its first write (daemon_reload.cc).
  struct PreparedApply;

  int Fail(int code, const Error& e);
  Status BringUp(const std::string& ifname, bool attach);
  // Loads ifname's programs and fills its maps for `cfg` (not attached).
  Result<std::unique_ptr<ProtectedInterface>> LoadInterface(
      const std::string& ifname, const Config& cfg, const SlotMap& slots,
      const std::map<uint16_t, PortRuntime>& ports);
  Status WritePortsEverywhere(const std::vector<uint16_t>& removed,
                              const std::vector<uint32_t>& fresh);
  // The configured ports on i, each engaged as its detector says (and as
  // i's TC filter allows); `fresh` slots cleared, `removed` ports unprotected.
  Status WritePortsTo(ProtectedInterface& i, const std::vector<uint16_t>& removed = {},
                      const std::vector<uint32_t>& fresh = {});
  // The same for ports not yet in force (a reload being prepared).
  Status WritePortsWith(ProtectedInterface& i, const Config& cfg, const SlotMap& slots,
                        const std::map<uint16_t, PortRuntime>& ports,
                        const std::vector<uint16_t>& removed, const std::vector<uint32_t>& fresh);
  Status PublishSecrets(const sg_secrets& s);
  Status StartSecrets();
  // Every interface, or only `only` (after a re-attach); false if one failed.
  bool RunSelfTests(ProtectedInterface* only = nullptr);
  void Tick();
  // daemon_interfaces.cc: interfaces that go away and come back, and TC
  // filters that something else removes. WatchAttachments() runs both, at
  // each tick and at once on an rtnetlink event.
  void WatchAttachments(uint64_t now_ns);
  void WatchInterfaces(uint64_t now_ns);
  bool Reattach(ProtectedInterface& i, uint32_t ifindex, uint64_t now_ns);
  void WatchTcFilters(uint64_t now_ns);
  // The host's addresses and the devices' MACs into every program, when
  // they changed (an address added or removed, a MAC set).
  void WatchAddresses();
  // Ports on i disengaged while its TC filter is missing, engaged as the
  // detector says once it is back; logs a change.
  void HandoffInPlace(ProtectedInterface& i, bool in_place);
  void WatchListeners();
  void DetectAttacks(uint64_t now_ns);
  void Reload();
  // All or nothing: a failure before the first write refuses the reload;
  // one after it rolls back what was written (*rolled_back set).
  Status ApplyReload(const Config& next, const ReloadPlan& plan, bool* rolled_back);
  Result<std::unique_ptr<PreparedApply>> PrepareReload(const Config& merged,
                                                       const ReloadPlan& plan);
  void Stop();
  // daemon_restore.cc: the restore record (service/restore_record.h).
  void StartTuner();
  void SaveRestoreRecord();
  void RecordTcHooks();
  void RefreshSnapshot();
  void WriteState();
  void RebuildPorts(const std::vector<PortConfig>& ports);
  // The runtime of `ports`, carrying over what ports_ knows; ports_ unchanged.
  std::map<uint16_t, PortRuntime> BuildPorts(const std::vector<PortConfig>& ports) const;
  std::string StatusLine() const;
  std::vector<uint16_t> PortNumbers() const;

  Config config_;
  DaemonOptions opts_;
  // One synguard per namespace (service/instance_lock.h). Declared before
  // everything it guards, so that it is released after them.
  std::optional<InstanceLock> instance_lock_;
  HandoffMode handoff_ = HandoffMode::kAuto;
  std::string restore_path_;  // empty: nothing survives a crash
  RestoreState restore_;      // before tuner_, whose journal writes it
  std::unique_ptr<SysctlTuner> tuner_;
  std::unique_ptr<SecretSource> secret_source_;
  RealtimeClock clock_;
  std::unique_ptr<SecretRotator> rotator_;
  std::string pin_root_;   // empty: unpinned
  PinRoot pin_root_made_;  // what PreparePinRoot made, removed at a clean stop
  PinLifetime pin_lifetime_;
  // What a crash does now: keep_protecting holds only with the XDP link
  // pinned on a bpffs that outlives the process.
  bool CrashKeepsProtecting() const;
  std::string CrashNote() const;
  std::vector<std::unique_ptr<ProtectedInterface>> interfaces_;
  LocalAddressEntries local_addresses_;  // as last written to every interface
  std::map<uint16_t, PortRuntime> ports_;
  SlotMap slots_;
  std::optional<ListenerWatch> watch_;
  std::map<uint64_t, bool> warned_backlog_;  // listener inode -> warned
  std::vector<PortListeners> last_scan_;
  std::shared_ptr<SnapshotBox> snapshot_ = std::make_shared<SnapshotBox>();
  std::shared_ptr<SummedPerCpuMap> counters_map_;
  std::shared_ptr<SummedPerCpuMap> port_stats_map_;
  std::unique_ptr<MetricsExporter> exporter_;
  Notifier notifier_;
  UniqueFd signals_;
  std::optional<RtnlEvents> rtnl_;  // absent: the tick alone watches
  std::string state_path_;
  DaemonState state_;
  bool self_test_ok_ = false;
  bool stopped_ = false;
  std::optional<int> exit_code_;  // set by the tick: Loop() stops with it
};

// `synguard run`: resolves the config (exit 2 on a bad one), then runs.
int RunDaemon(const DaemonOptions& opts);

}  // namespace sg
