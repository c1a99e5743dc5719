// `synguard run`'s start: one function per step of control/start_order.h,
// which holds the order and the reason for it. A step returns kExitOk, or
// the exit code to stop with (2 for what the operator must change in the
// config or command line, 1 for a failure at run time).
#include <net/if.h>
#include <signal.h>
#include <sys/signalfd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>

#include "config/bpf_config.h"
#include "datapath/probe.h"
#include "secrets/random_secret.h"
#include "service/daemon.h"
#include "system/stale_pins.h"

namespace sg {

namespace {

Result<std::unique_ptr<SecretSource>> MakeSecretSource(const SecretsConfig& s) {
  if (s.source == SecretsConfig::Source::kKeyFile) {
    Result<std::unique_ptr<FleetSecretSource>> f = FleetSecretSource::Load(s.key_file);
    if (!f) return f.take_error();
    return std::unique_ptr<SecretSource>(std::move(*f));
  }
  return std::unique_ptr<SecretSource>(std::make_unique<RandomSecretSource>());
}

}  // namespace

int Daemon::RunStartStep(StartStep step) {
  switch (step) {
    case StartStep::kSignals:
      return BlockSignals();
    case StartStep::kHandoff:
      return ResolveHandoffMode();
    case StartStep::kSecretSource:
      return OpenSecretSource();
    case StartStep::kInterfacesExist:
      return CheckInterfacesExist();
    case StartStep::kInstanceLock:
      return TakeInstanceLock();
    case StartStep::kMetrics:
      return StartMetrics();
    case StartStep::kPins:
      return PreparePins();
    case StartStep::kSysctls:
      return ApplySysctls();
    case StartStep::kAddresses:
      return ReadPortsAndAddresses();
    case StartStep::kLoad:
      return LoadInterfaces();
    case StartStep::kSecrets:
      return StartSecrets();
    case StartStep::kEvents:
      return OpenEvents();
    case StartStep::kAttach:
      return AttachInterfaces();
    case StartStep::kSelfTest:
      return RunStartSelfTest();
    case StartStep::kListenerWatch:
      return OpenListenerWatch();
    case StartStep::kMetricsMaps:
      return PointMetrics();
    case StartStep::kReady:
      return AnnounceReady();
  }
  return Fail(kExitRuntime, Error("unknown start step"));
}

int Daemon::BlockSignals() {
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&mask, sig);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) < 0)
    return Fail(kExitRuntime, Error::FromErrno("block signals"));
  signals_ = UniqueFd(signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals_.valid()) return Fail(kExitRuntime, Error::FromErrno("create a signalfd"));
  return kExitOk;
}

int Daemon::ResolveHandoffMode() {
  Result<HandoffMode> mode = ResolveHandoff(config_.handoff, ProbeKernel());
  if (!mode) return Fail(kExitConfig, mode.error());
  interfaces_.set_handoff(*mode);
  // Each fallback the kernel makes synguard take, said once.
  for (const FeatureRow& f : FeatureRows(ProbeKernel()))
    if (!f.available)
      spdlog::info("kernel {} has no {}: {}", ProbeKernel().kernel_release, f.name, f.fallback);
  return kExitOk;
}

int Daemon::OpenSecretSource() {
  Result<std::unique_ptr<SecretSource>> source = MakeSecretSource(config_.secrets);
  if (!source) return Fail(kExitConfig, source.take_error().Context("secrets"));
  secret_source_ = std::move(*source);
  return kExitOk;
}

int Daemon::CheckInterfacesExist() {
  for (const std::string& ifname : config_.interfaces) {
    if (if_nametoindex(ifname.c_str()) == 0)
      return Fail(kExitConfig, Error("interfaces: no such interface: " + ifname));
  }
  return kExitOk;
}

int Daemon::TakeInstanceLock() {
  Result<uint64_t> ino = NetnsInode();
  if (!ino) return kExitOk;
  Result<InstanceLock> lock = InstanceLock::Take(InstanceLockPath(opts_.state_dir, *ino));
  if (lock) {
    instance_lock_.emplace(std::move(*lock));
  } else if (lock.error().err() == EWOULDBLOCK) {
    return Fail(kExitRuntime,
                Error("another synguard runs in this network namespace (see `synguard "
                      "status`), or `synguard cleanup` is undoing one: not starting"));
  } else {
    spdlog::warn("{}: running without the instance lock, a second synguard here is not refused",
                 lock.error().message());
  }
  return kExitOk;
}

int Daemon::StartMetrics() {
  counters_map_ = std::make_shared<SummedPerCpuMap>(sizeof(uint64_t));
  port_stats_map_ = std::make_shared<SummedPerCpuMap>(sizeof(sg_port_stats));
  CollectorSources sources;
  sources.reasons = counters_map_;
  sources.port_stats = port_stats_map_;
  std::shared_ptr<SnapshotBox> box = publisher_.snapshot();
  sources.snapshot = [box] { return box->Get(); };
  sources.version = SYNGUARD_VERSION;
  for (const FeatureRow& f : FeatureRows(ProbeKernel()))
    sources.kernel_features.emplace_back(f.name, f.available);
  const std::string listen = config_.metrics_listen.ToString();
  Result<std::unique_ptr<MetricsExporter>> ex =
      MetricsExporter::Start(listen, std::make_shared<SynguardCollector>(sources));
  // A port in use is a run-time failure (exit 1), not a bad config.
  if (!ex) return Fail(kExitRuntime, ex.error());
  exporter_ = std::move(*ex);
  spdlog::info("metrics on http://{}/metrics", listen);
  return kExitOk;
}

int Daemon::PreparePins() {
  Result<PinRoot> root = PreparePinRoot(config_.pin_dir);
  if (root) {
    pin_root_ = root->path;
    pin_root_made_ = *root;
    pin_lifetime_ = PinsOutliveProcess(*root);
    interfaces_.set_pin_root(pin_root_);
    for (const std::string& gone :
         PruneStalePins(config_.pin_dir, opts_.state_dir, LiveNetnsInodes()))
      spdlog::info("removed {}: its network namespace no longer exists", gone);
  } else {
    spdlog::warn(
        "running unpinned ({}): `synguard status` and a restart without a gap "
        "need the pins",
        root.error().message());
    if (config_.leave_pinned_on_exit)
      spdlog::warn("leave_pinned_on_exit has no effect without pins: programs detach on exit");
  }
  if (Result<uint64_t> ino = NetnsInode(); ino) {
    publisher_.set_state_path(StateFilePath(opts_.state_dir, *ino));
    restore_path_ = RestoreRecordPath(opts_.state_dir, *ino);
  }
  return kExitOk;
}

int Daemon::ApplySysctls() {
  StartTuner();  // adopts what a run killed before its clean stop left to put back
  Result<std::vector<SysctlChange>> applied = tuner_->Apply();
  if (!applied) return Fail(kExitRuntime, applied.error());
  for (const SysctlChange& c : *applied)
    spdlog::info("set {} = {} (was {}): {}", c.name, c.new_value, c.old_value, c.reason);
  return kExitOk;
}

int Daemon::ReadPortsAndAddresses() {
  slots_ = AssignStatsSlots({}, config_.ports);
  ports_ = BuildPortRuntimes(ports_, config_.ports);
  if (Status s = interfaces_.ReadLocalAddresses(); !s) return Fail(kExitRuntime, s.error());
  return kExitOk;
}

int Daemon::LoadInterfaces() {
  for (const std::string& ifname : config_.interfaces) {
    Result<std::unique_ptr<ProtectedInterface>> pi =
        interfaces_.Load(ifname, config_, slots_, ports_, /*secrets=*/nullptr);
    if (!pi) return Fail(kExitRuntime, pi.error());
    interfaces_.Add(std::move(*pi));
  }
  return kExitOk;
}

int Daemon::StartSecrets() {
  rotator_ = std::make_unique<SecretRotator>(clock_, *secret_source_, config_.secrets.rotation);
  auto publish = [this](const sg_secrets& s) { return interfaces_.PublishSecrets(s); };
  // Keys a previous run left in pinned maps keep its handshakes valid.
  std::optional<sg_secrets> pinned = interfaces_.PinnedSecrets();
  Status s = pinned ? rotator_->Resume(*pinned, publish) : rotator_->Start(publish);
  return s ? kExitOk : Fail(kExitRuntime, s.error());
}

int Daemon::OpenEvents() {
  // The events our own attach makes cost one check in the first loop.
  Result<RtnlEvents> rtnl = RtnlEvents::Open();
  if (rtnl)
    rtnl_.emplace(std::move(*rtnl));
  else
    spdlog::warn(
        "{}: a deleted interface or a removed TC filter is noticed at the 1-second tick "
        "only",
        rtnl.error().message());
  return kExitOk;
}

int Daemon::AttachInterfaces() {
  if (Status s = interfaces_.AttachAll(config_.xdp_mode); !s) {
    // A forced native mode the driver cannot run is the operator's choice
    // to change, not a fault of this run: exit 2, as for a bad config.
    const bool refused_native =
        config_.xdp_mode == XdpMode::kNative && s.error().err() == EOPNOTSUPP;
    return Fail(refused_native ? kExitConfig : kExitRuntime, s.error());
  }
  RecordTcHooks();
  // The promise a crash keeps, said once, true however synguard was started.
  if (CrashKeepsProtecting())
    spdlog::info(
        "on_crash: keep_protecting (the XDP link is pinned: a crash leaves it protecting)");
  else if (config_.on_crash == OnCrash::kFailOpen)
    spdlog::info("on_crash: fail_open (the XDP link is not pinned: a crash detaches it)");
  else
    spdlog::warn(
        "on_crash: keep_protecting cannot hold here: {}. A crash (kill -9) detaches the XDP "
        "program and the kernel answers SYNs again, as with fail_open, until synguard runs "
        "again. To keep protecting across a crash, start synguard where the host's bpffs is "
        "mounted at /sys/fs/bpf (`nsenter --net=/run/netns/NAME`, or systemd's "
        "NetworkNamespacePath=) instead of `ip netns exec`",
        CrashNote());
  publisher_.snapshot()->Update(
      [&](MetricsSnapshot& s) { s.crash_keeps_protecting = CrashKeepsProtecting(); });
  return kExitOk;
}

int Daemon::RunStartSelfTest() {
  interfaces_.RunSelfTests();
  const bool probes_expected = std::any_of(config_.ports.begin(), config_.ports.end(),
                                           [](auto& p) { return p.engage == EngageMode::kAlways; });
  // A program that answers SYNs wrongly would break every connection.
  if (!interfaces_.self_test_ok() && probes_expected &&
      interfaces_.handoff() != HandoffMode::kKernelCookie)
    return Fail(kExitRuntime, Error("self-test failed: detaching"));
  return kExitOk;
}

int Daemon::OpenListenerWatch() {
  Result<ListenerWatch> watch = ListenerWatch::Open();
  if (watch)
    watch_.emplace(std::move(*watch));
  else
    spdlog::warn("listener watch off: {}", watch.error().message());
  return kExitOk;
}

int Daemon::PointMetrics() {
  if (Status s = interfaces_.PointMetrics(*counters_map_, *port_stats_map_); !s)
    return Fail(kExitRuntime, s.error());
  return kExitOk;
}

int Daemon::AnnounceReady() {
  DaemonState& state = publisher_.state();
  state.started_unix = static_cast<double>(WallClockNs()) / 1e9;
  publisher_.snapshot()->Update([&](MetricsSnapshot& s) {
    s.handoff_mode = ToString(interfaces_.handoff());
    s.last_reload_unix = state.started_unix;
    s.self_test_ok = interfaces_.self_test_ok();
  });
  publisher_.RefreshSnapshot();
  WriteState();
  std::string ifs, modes;
  for (const auto& i : interfaces_.all()) {
    ifs += (ifs.empty() ? "" : ", ") + i->name();
    modes += std::string(modes.empty() ? "" : "/") + ToString(i->datapath().attached_mode());
  }
  const size_t engaged = EngagedCount(ports_);
  // tests/integration/lab/daemon.py waits for this line's first two words.
  spdlog::info("synguard protecting {} port(s) on {}: xdp {} mode, handoff {}, cookies {}",
               ports_.size(), ifs, modes, ToString(interfaces_.handoff()),
               engaged == ports_.size() ? "engaged"
               : engaged == 0           ? "observe only"
                                        : std::to_string(engaged) + " port(s) engaged");
  publisher_.notifier().Ready(publisher_.StatusLine());
  return kExitOk;
}

}  // namespace sg
