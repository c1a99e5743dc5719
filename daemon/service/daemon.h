// The running daemon: everything `synguard run` does between start and
// exit, built from a validated Config. It wires the parts and owns their
// lifetimes; each part has one job:
//   InterfaceSet      (service/interface_set.h) the protected interfaces:
//                     load, attach, loss and return, TC repair, self-test;
//   PortRuntimes      (control/port_engagement.h) the ports' engaged state;
//   StatusPublisher   (service/status_publisher.h) metrics snapshot, state
//                     file, systemd notify;
//   SysctlTuner, SecretRotator, ListenerWatch, MetricsExporter.
//   Start()  the steps of control/start_order.h, in that order
//            (daemon_start.cc);
//   Loop()   a 1-second tick (daemon_tick.cc), rtnetlink events (the
//            interface and TC filter checks at once) and the signals:
//            SIGHUP reloads (daemon_reload.cc), SIGTERM/SIGINT stop;
//   Stop()   detach and restore the sysctls, or leave everything pinned.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/run_flags.h"
#include "control/port_engagement.h"
#include "control/port_table.h"
#include "control/reload_plan.h"
#include "control/start_order.h"
#include "datapath/summed_map.h"
#include "metrics/exporter.h"
#include "secrets/secret_rotator.h"
#include "service/exit_codes.h"
#include "service/interface_set.h"
#include "service/status_publisher.h"
#include "system/bpffs.h"
#include "system/instance_lock.h"
#include "system/restore_record.h"
#include "system/rtnl_events.h"
#include "tuning/sysctl_tuner.h"
#include "util/clock.h"
#include "util/unique_fd.h"
#include "watch/listener_watch.h"

namespace sg {

struct DaemonOptions {
  RunFlags flags;  // re-applied over the file at every reload
  std::string sysctl_root = "/proc/sys";
  std::string state_dir = kDefaultStateDir;
};

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
  // A reload computed in full before its first write (daemon_reload.cc).
  struct PreparedApply;

  int Fail(int code, const Error& e);
  // daemon_start.cc: one function per step of control/start_order.h, each
  // returning kExitOk or the exit code to stop with.
  int RunStartStep(StartStep step);
  int BlockSignals();
  int ResolveHandoffMode();
  int OpenSecretSource();
  int CheckInterfacesExist();
  int TakeInstanceLock();
  int StartMetrics();
  int PreparePins();
  int ApplySysctls();
  int ReadPortsAndAddresses();
  int LoadInterfaces();
  int StartSecrets();
  int OpenEvents();
  int AttachInterfaces();
  int RunStartSelfTest();
  int OpenListenerWatch();
  int PointMetrics();
  int AnnounceReady();

  // daemon_tick.cc
  void Tick();
  // The interface and TC filter checks and the address list, at each tick
  // and at once on an rtnetlink event.
  void WatchAttachments(uint64_t now_ns);
  void RotateSecrets();
  void WatchListeners();
  void DetectAttacks(uint64_t now_ns);
  // daemon_reload.cc
  void Reload();
  // All or nothing: a failure before the first write refuses the reload;
  // one after it rolls back what was written (*rolled_back set).
  Status ApplyReload(const Config& next, const ReloadPlan& plan, bool* rolled_back);
  Result<std::unique_ptr<PreparedApply>> PrepareReload(const Config& merged,
                                                       const ReloadPlan& plan);
  void Stop();
  // daemon_restore.cc: the restore record (system/restore_record.h).
  void StartTuner();
  void SaveRestoreRecord();
  void RecordTcHooks();

  // What a crash does now: keep_protecting holds only with the XDP link
  // pinned on a bpffs that outlives the process.
  bool CrashKeepsProtecting() const;
  std::string CrashNote() const;
  StatusPublisher::Extras StateExtras() const;
  void WriteState() { publisher_.WriteState(StateExtras()); }
  std::vector<uint16_t> PortNumbers() const;

  Config config_;
  DaemonOptions opts_;
  // One synguard per namespace (system/instance_lock.h). Declared before
  // everything it guards, so that it is released after them.
  std::optional<InstanceLock> instance_lock_;
  std::string restore_path_;  // empty: nothing survives a crash
  RestoreState restore_;      // before tuner_, whose journal writes it
  std::unique_ptr<SysctlTuner> tuner_;
  std::unique_ptr<SecretSource> secret_source_;
  RealtimeClock clock_;
  std::unique_ptr<SecretRotator> rotator_;
  std::string pin_root_;   // empty: unpinned
  PinRoot pin_root_made_;  // what PreparePinRoot made, removed at a clean stop
  PinLifetime pin_lifetime_;
  PortRuntimes ports_;
  SlotMap slots_;
  InterfaceSet interfaces_{{config_, slots_, ports_}, opts_.sysctl_root};
  StatusPublisher publisher_{{config_, slots_, ports_, interfaces_}};
  std::optional<ListenerWatch> watch_;
  std::map<uint64_t, bool> warned_backlog_;  // listener inode -> warned
  std::vector<PortListeners> last_scan_;
  std::shared_ptr<SummedPerCpuMap> counters_map_;
  std::shared_ptr<SummedPerCpuMap> port_stats_map_;
  std::unique_ptr<MetricsExporter> exporter_;
  UniqueFd signals_;
  std::optional<RtnlEvents> rtnl_;  // absent: the tick alone watches
  bool stopped_ = false;
  std::optional<int> exit_code_;  // set by the tick: Loop() stops with it
};

// `synguard run`: resolves the config (exit 2 on a bad one), then runs.
int RunDaemon(const DaemonOptions& opts);

}  // namespace sg
