#include "service/daemon.h"

#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "config/bpf_config.h"
#include "datapath/probe.h"
#include "secrets/random_secret.h"
#include "selftest/self_test.h"
#include "system/bpffs.h"
#include "system/stale_pins.h"
#include "control/list_entries.h"

namespace sg {

namespace {

Result<UniqueFd> BlockSignals() {
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&mask, sig);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) < 0) return Error::FromErrno("block signals");
  int fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) return Error::FromErrno("create a signalfd");
  return UniqueFd(fd);
}

Result<std::unique_ptr<SecretSource>> MakeSecretSource(const SecretsConfig& s) {
  if (s.source == SecretsConfig::Source::kKeyFile) {
    Result<std::unique_ptr<FleetSecretSource>> f = FleetSecretSource::Load(s.key_file);
    if (!f) return f.take_error();
    return std::unique_ptr<SecretSource>(std::move(*f));
  }
  return std::unique_ptr<SecretSource>(std::make_unique<RandomSecretSource>());
}

void PrintPlan(const std::vector<SysctlChange>& plan, bool manage, std::FILE* out) {
  if (plan.empty()) {
    std::fprintf(out, "sysctls: nothing to change\n");
    return;
  }
  std::fprintf(out, "sysctls%s:\n", manage ? "" : " (not managed: report only)");
  for (const SysctlChange& c : plan)
    std::fprintf(out, "  %s: %s -> %s%s (%s)\n", c.name.c_str(), c.old_value.c_str(),
                 c.new_value.c_str(), c.required ? ", required" : "", c.reason.c_str());
}

}  // namespace

Daemon::Daemon(Config config, DaemonOptions opts)
    : config_(std::move(config)), opts_(std::move(opts)) {}

Daemon::~Daemon() { Stop(); }

int Daemon::Fail(int code, const Error& e) {
  spdlog::error("{}", e.message());
  return code;
}

bool Daemon::CrashKeepsProtecting() const {
  return config_.on_crash == OnCrash::kKeepProtecting && !pin_root_.empty() &&
         pin_lifetime_.survives;
}

std::string Daemon::CrashNote() const {
  if (config_.on_crash != OnCrash::kKeepProtecting) return "";
  if (pin_root_.empty()) return "running unpinned, so nothing holds the XDP link after a crash";
  return pin_lifetime_.survives ? "" : pin_lifetime_.reason;
}

std::vector<uint16_t> Daemon::PortNumbers() const {
  std::vector<uint16_t> out;
  for (const PortConfig& p : config_.ports) out.push_back(p.port);
  return out;
}

int Daemon::DryRun() {
  Result<HandoffMode> mode = ResolveHandoff(config_.handoff, ProbeKernel());
  if (!mode) return Fail(kExitConfig, mode.error());
  SysctlTuner tuner(opts_.sysctl_root, config_.sysctl, *mode);
  Result<std::vector<SysctlChange>> plan = tuner.Plan();
  if (!plan) return Fail(kExitRuntime, plan.error());
  std::printf("dry run: nothing is changed, loaded or attached\n");
  std::printf("handoff: %s\n", ToString(*mode));
  PrintPlan(*plan, config_.sysctl.manage, stdout);
  for (const std::string& i : config_.interfaces)
    std::printf("would attach XDP (%s) to %s%s\n", ToString(config_.xdp_mode), i.c_str(),
                *mode == HandoffMode::kReqsk ? ", TC handoff at ingress" : "");
  for (const PortConfig& p : config_.ports)
    std::printf("would protect port %u (engage %s)\n", p.port, ToString(p.engage));
  return kExitOk;
}

void Daemon::RebuildPorts(const std::vector<PortConfig>& ports) { ports_ = BuildPorts(ports); }

std::map<uint16_t, Daemon::PortRuntime> Daemon::BuildPorts(
    const std::vector<PortConfig>& ports) const {
  std::map<uint16_t, PortRuntime> next;
  for (const PortConfig& p : ports) {
    PortRuntime rt;
    auto old = ports_.find(p.port);
    // A port whose mode and thresholds did not change keeps its detector
    // (and so its engaged state and its SYN baseline).
    if (old != ports_.end() && old->second.config.engage == p.engage && old->second.detector &&
        old->second.detector->thresholds().syn_rate_engage == p.thresholds.syn_rate_engage &&
        old->second.detector->thresholds().syn_rate_disengage == p.thresholds.syn_rate_disengage &&
        old->second.detector->thresholds().queue_fill_engage == p.thresholds.queue_fill_engage &&
        old->second.detector->thresholds().quiet_period == p.thresholds.quiet_period) {
      rt = old->second;
    } else if (p.engage == EngageMode::kAuto) {
      rt.detector.emplace(p.port, p.thresholds);
      if (old != ports_.end()) {
        rt.last_syn = old->second.last_syn;
        rt.have_last = old->second.have_last;
      }
    } else if (old != ports_.end()) {
      rt.last_syn = old->second.last_syn;
      rt.have_last = old->second.have_last;
    }
    rt.config = p;
    rt.engaged = p.engage == EngageMode::kAlways ||
                 (p.engage == EngageMode::kAuto && rt.detector && rt.detector->engaged());
    next[p.port] = std::move(rt);
  }
  return next;
}

Status Daemon::WritePortsEverywhere(const std::vector<uint16_t>& removed,
                                    const std::vector<uint32_t>& fresh) {
  for (auto& i : interfaces_) {
    if (Status s = WritePortsTo(*i, removed, fresh); !s) return s;
  }
  return Ok();
}

Status Daemon::WritePortsTo(ProtectedInterface& i, const std::vector<uint16_t>& removed,
                            const std::vector<uint32_t>& fresh) {
  return WritePortsWith(i, config_, slots_, ports_, removed, fresh);
}

Status Daemon::WritePortsWith(ProtectedInterface& i, const Config& cfg, const SlotMap& slots,
                              const std::map<uint16_t, PortRuntime>& ports,
                              const std::vector<uint16_t>& removed,
                              const std::vector<uint32_t>& fresh) {
  auto engaged = [&](uint16_t port) { return ports.at(port).engaged; };
  return i.WritePorts(cfg.ports, slots, engaged, fresh, removed);
}

Status Daemon::PublishSecrets(const sg_secrets& s) {
  for (auto& i : interfaces_) {
    if (Status st = i->datapath().WriteSecrets(s); !st) return st.take_error().Context(i->name());
  }
  return Ok();
}

Status Daemon::StartSecrets() {
  rotator_ = std::make_unique<SecretRotator>(clock_, *secret_source_, config_.secrets.rotation);
  auto publish = [this](const sg_secrets& s) { return PublishSecrets(s); };
  // Keys a previous run left in pinned maps keep its handshakes valid.
  for (auto& i : interfaces_) {
    if (!i->datapath().reused_maps()) continue;
    Result<sg_secrets> prev = i->datapath().ReadSecrets();
    if (!prev) continue;
    spdlog::info("taking over the cookie secrets pinned on {}", i->name());
    return rotator_->Resume(*prev, publish);
  }
  return rotator_->Start(publish);
}

Status Daemon::BringUp(const std::string& ifname, bool attach) {
  Result<std::unique_ptr<ProtectedInterface>> pi = LoadInterface(ifname, config_, slots_, ports_);
  if (!pi) return pi.take_error();
  if (attach) {
    if (Status s = (*pi)->Attach(config_.xdp_mode); !s) return s;
  }
  interfaces_.push_back(std::move(*pi));
  return Ok();
}

Result<std::unique_ptr<ProtectedInterface>> Daemon::LoadInterface(
    const std::string& ifname, const Config& cfg, const SlotMap& slots,
    const std::map<uint16_t, PortRuntime>& ports) {
  std::string pin_dir = pin_root_.empty() ? "" : pin_root_ + "/" + ifname;
  if (!pin_dir.empty()) {
    if (Status s = MakeDirs(pin_dir); !s) return s.take_error();
  }
  Result<std::unique_ptr<ProtectedInterface>> pi =
      ProtectedInterface::Load({.ifname = ifname,
                                .handoff = handoff_,
                                .pin_dir = pin_dir,
                                .sysctl_root = opts_.sysctl_root,
                                .pin_link = cfg.on_crash == OnCrash::kKeepProtecting});
  if (!pi) {
    if (!pin_dir.empty()) rmdir(pin_dir.c_str());  // made above, and empty
    return pi.take_error();
  }
  ProtectedInterface& i = **pi;
  // A failure below unpins what was loaded: nothing of it is in force yet.
  // Maps a previous run left pinned stay: its link may still run on them.
  auto discard = [&](Error e) -> Error {
    if (!i.datapath().reused_maps()) {
      i.datapath().Unpin();
      if (!pin_dir.empty()) rmdir(pin_dir.c_str());
    }
    return e;
  };
  if (i.datapath().reused_maps())
    spdlog::info("{}: reusing the maps pinned under {}", ifname, pin_dir);
  if (!i.datapath().replaced_maps().empty()) {
    std::string names;
    for (const std::string& n : i.datapath().replaced_maps())
      names += (names.empty() ? "" : ", ") + n;
    spdlog::warn(
        "{}: maps pinned under {} by another synguard version ({}) do not fit this one: made "
        "anew (their counters start from zero; with sg_secrets_map, cookies sent in the last "
        "seconds fail and those clients retry)",
        ifname, pin_dir, names);
  }
  // After the sysctls: the SYN+ACK offers what the values in force allow.
  if (Status s = i.WriteCookies(cfg.cookies); !s) return discard(s.take_error());
  if (Status s = i.WriteLists(BuildListEntries(cfg.allowlist, cfg.denylist)); !s)
    return discard(s.take_error());
  if (Status s = i.WriteLocalAddresses(local_addresses_); !s) return discard(s.take_error());
  // Ports a previous run protected but this config does not are cleared.
  std::vector<uint16_t> removed;
  SlotMap previous = i.PreviousPorts();
  for (const auto& [port, slot] : previous) {
    if (!slots.count(port)) removed.push_back(port);
  }
  std::vector<uint32_t> fresh;
  for (const auto& [port, slot] : slots) {
    auto it = previous.find(port);
    if (it == previous.end() || it->second != slot) fresh.push_back(slot);
  }
  if (Status s = WritePortsWith(i, cfg, slots, ports, removed, fresh); !s)
    return discard(s.take_error());
  if (rotator_ && rotator_->started()) {
    if (Status s = i.datapath().WriteSecrets(rotator_->state()); !s)
      return discard(s.take_error().Context(ifname));
  }
  return std::move(*pi);
}

bool Daemon::RunSelfTests(ProtectedInterface* only) {
  // The probe needs an engaged port; ports in auto or never are not.
  const PortConfig* probe_port = nullptr;
  for (const PortConfig& p : config_.ports) {
    if (p.engage == EngageMode::kAlways) {
      probe_port = &p;
      break;
    }
  }
  if (!probe_port) {
    if (only) return true;  // said at start
    spdlog::info("self-test skipped: no port has engage: always, so none answers a probe SYN yet");
    self_test_ok_ = false;
    return true;
  }
  // The probe goes to one of the host's IPv4 addresses, as a client's SYN
  // must to be answered.
  uint32_t server_addr = 0;
  for (const auto& [addr, kind] : local_addresses_.v4) {
    if (kind == SG_ADDR_LOCAL) {
      server_addr = addr;
      break;
    }
  }
  if (server_addr == 0) {
    if (only) return true;
    spdlog::info("self-test skipped: the host has no IPv4 address for a probe SYN");
    self_test_ok_ = false;
    return true;
  }
  bool ok = true;
  for (auto& i : interfaces_) {
    if (only && i.get() != only) continue;
    SelfTestOptions probe{.prog_fd = i->datapath().xdp_prog_fd(),
                          .port = probe_port->port,
                          .server_addr = server_addr,
                          .counters_fd = i->datapath().counters_fd()};
    if (Result<sg_iface> id = i->datapath().ReadInterface(); id)
      std::copy(std::begin(id->mac), std::end(id->mac), probe.mac.begin());
    Result<SelfTestResult> st = RunSelfTest(probe);
    bool passed = true;
    if (!st) {
      spdlog::error("self-test on {}: {}", i->name(), st.error().message());
      passed = false;
    } else if (st->answered && st->ack_accepted) {
      spdlog::info(
          "self-test passed on {}: a probe SYN got a correct SYN+ACK and its cookie "
          "validated",
          i->name());
    } else if (st->no_listener) {
      // No listener, no handshake to answer (the kernel resets it, as it
      // must): nothing to test yet, not a fault.
      spdlog::warn("self-test on {}: {}", i->name(), st->detail);
    } else {
      spdlog::error("self-test failed on {}: {}", i->name(), st->detail);
      passed = false;
    }
    i->set_self_test_ok(passed);
    ok = ok && passed;
  }
  // Every interface's last result counts: a re-attached interface that now
  // passes clears its own earlier failure, never another's.
  self_test_ok_ = true;
  for (const auto& i : interfaces_) self_test_ok_ = self_test_ok_ && i->self_test_ok();
  return ok;
}

std::string Daemon::StatusLine() const {
  std::string ports, ifs;
  size_t engaged = 0;
  for (const auto& [port, rt] : ports_) {
    ports += (ports.empty() ? "" : ",") + std::to_string(port);
    engaged += rt.engaged ? 1 : 0;
  }
  for (const auto& i : interfaces_)
    ifs += (ifs.empty() ? "" : ", ") + i->name() + " (" +
           (i->missing() ? std::string("missing")
                         : std::string(ToString(i->datapath().attached_mode())) + ", " +
                               ToString(handoff_)) +
           ")";
  return "protecting " + ports + " on " + ifs + "; " + std::to_string(engaged) + " port" +
         (engaged == 1 ? "" : "s") + " engaged";
}

int Daemon::Start() {
  Result<UniqueFd> sigfd = BlockSignals();
  if (!sigfd) return Fail(kExitRuntime, sigfd.error());
  signals_ = std::move(*sigfd);

  Result<HandoffMode> mode = ResolveHandoff(config_.handoff, ProbeKernel());
  if (!mode) return Fail(kExitConfig, mode.error());
  handoff_ = *mode;
  // Each fallback the kernel makes synguard take, said once.
  for (const FeatureRow& f : FeatureRows(ProbeKernel()))
    if (!f.available)
      spdlog::info("kernel {} has no {}: {}", ProbeKernel().kernel_release, f.name, f.fallback);
  Result<std::unique_ptr<SecretSource>> source = MakeSecretSource(config_.secrets);
  if (!source) return Fail(kExitConfig, source.take_error().Context("secrets"));
  secret_source_ = std::move(*source);

  // A missing interface is a bad config or command line: refuse it before
  // anything changes (metrics, pins, sysctls), with exit 2 as documented.
  for (const std::string& ifname : config_.interfaces) {
    if (if_nametoindex(ifname.c_str()) == 0)
      return Fail(kExitConfig, Error("interfaces: no such interface: " + ifname));
  }

  // A second synguard here, or one started while `synguard cleanup` puts
  // back what a dead one left, would fight over the same pins and sysctls.
  if (Result<uint64_t> ino = NetnsInode(); ino) {
    Result<InstanceLock> lock = InstanceLock::Take(InstanceLockPath(opts_.state_dir, *ino));
    if (lock)
      instance_lock_.emplace(std::move(*lock));
    else if (lock.error().err() == EWOULDBLOCK)
      return Fail(kExitRuntime,
                  Error("another synguard runs in this network namespace (see `synguard "
                        "status`), or `synguard cleanup` is undoing one: not starting"));
    else
      spdlog::warn("{}: running without the instance lock, a second synguard here is not refused",
                   lock.error().message());
  }

  // Metrics before anything changes: a port in use fails the start cleanly.
  counters_map_ = std::make_shared<SummedPerCpuMap>(sizeof(uint64_t));
  port_stats_map_ = std::make_shared<SummedPerCpuMap>(sizeof(sg_port_stats));
  CollectorSources sources;
  sources.reasons = counters_map_;
  sources.port_stats = port_stats_map_;
  std::shared_ptr<SnapshotBox> box = snapshot_;
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

  Result<PinRoot> root = PreparePinRoot(config_.pin_dir);
  if (root) {
    pin_root_ = root->path;
    pin_root_made_ = *root;
    pin_lifetime_ = PinsOutliveProcess(*root);
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
    state_path_ = StateFilePath(opts_.state_dir, *ino);
    restore_path_ = RestoreRecordPath(opts_.state_dir, *ino);
  }

  StartTuner();  // adopts what a run killed before its clean stop left to put back
  Result<std::vector<SysctlChange>> applied = tuner_->Apply();
  if (!applied) return Fail(kExitRuntime, applied.error());
  for (const SysctlChange& c : *applied)
    spdlog::info("set {} = {} (was {}): {}", c.name, c.new_value, c.old_value, c.reason);

  slots_ = AssignStatsSlots({}, config_.ports);
  RebuildPorts(config_.ports);
  // Before any program loads: a SYN is answered only to these addresses.
  Result<std::vector<InterfaceAddress>> addresses = DumpInterfaceAddresses();
  if (!addresses) return Fail(kExitRuntime, addresses.error());
  local_addresses_ = BuildLocalAddressEntries(*addresses);
  for (const std::string& ifname : config_.interfaces) {
    if (Status s = BringUp(ifname, /*attach=*/false); !s) return Fail(kExitRuntime, s.error());
  }
  if (Status s = StartSecrets(); !s) return Fail(kExitRuntime, s.error());
  // Before the attach, so that no change after it goes unseen; the events
  // our own attach makes cost one check in the first loop.
  Result<RtnlEvents> rtnl = RtnlEvents::Open();
  if (rtnl)
    rtnl_.emplace(std::move(*rtnl));
  else
    spdlog::warn(
        "{}: a deleted interface or a removed TC filter is noticed at the 1-second tick "
        "only",
        rtnl.error().message());
  for (auto& i : interfaces_) {
    if (Status s = i->Attach(config_.xdp_mode); !s) {
      Error e = s.take_error();
      // Found by the chaos soak: a synguard killed after an nsenter start
      // leaves its link pinned in the host's bpffs, which a start with
      // `ip netns exec` (a private /sys) cannot see or take over.
      if (e.err() == EEXIST)
        e.Context("another XDP program is attached to " + i->name() +
                  " (a crashed synguard's, pinned in a bpffs this process cannot see? "
                  "start synguard with `nsenter --net=/run/netns/NAME` to take it over "
                  "without a gap, or run `synguard cleanup` there first)");
      // A forced native mode the driver cannot run is the operator's choice
      // to change, not a fault of this run: exit 2, as for a bad config.
      if (config_.xdp_mode == XdpMode::kNative && e.err() == EOPNOTSUPP)
        return Fail(
            kExitConfig,
            Error("xdp_mode native: the driver of " + i->name() + " cannot run XDP natively (" +
                  e.message() + "); use xdp_mode auto (native where it can, else skb) or skb"));
      return Fail(kExitRuntime, e);
    }
    if (i->datapath().took_over_link())
      spdlog::info("{}: took over the pinned XDP link (no gap)", i->name());
    if (i->datapath().fell_back()) spdlog::warn("{}", i->datapath().FallbackWarning(i->name()));
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
  snapshot_->Update([&](MetricsSnapshot& s) { s.crash_keeps_protecting = CrashKeepsProtecting(); });
  RunSelfTests();
  if (!self_test_ok_ && std::any_of(config_.ports.begin(), config_.ports.end(),
                                    [](auto& p) { return p.engage == EngageMode::kAlways; })) {
    // A program that answers SYNs wrongly would break every connection.
    if (handoff_ != HandoffMode::kKernelCookie)
      return Fail(kExitRuntime, Error("self-test failed: detaching"));
  }
  Result<ListenerWatch> watch = ListenerWatch::Open();
  if (watch)
    watch_.emplace(std::move(*watch));
  else
    spdlog::warn("listener watch off: {}", watch.error().message());

  std::vector<int> counters, stats;
  for (auto& i : interfaces_) {
    counters.push_back(i->datapath().counters_fd());
    stats.push_back(i->datapath().port_stats_fd());
  }
  if (Status s = counters_map_->Set(counters); !s) return Fail(kExitRuntime, s.error());
  if (Status s = port_stats_map_->Set(stats); !s) return Fail(kExitRuntime, s.error());

  state_.started_unix = static_cast<double>(WallClockNs()) / 1e9;
  snapshot_->Update([&](MetricsSnapshot& s) {
    s.handoff_mode = ToString(handoff_);
    s.last_reload_unix = state_.started_unix;
    s.self_test_ok = self_test_ok_;
  });
  RefreshSnapshot();
  WriteState();

  std::string ifs, modes;
  for (const auto& i : interfaces_) {
    ifs += (ifs.empty() ? "" : ", ") + i->name();
    modes += std::string(modes.empty() ? "" : "/") + ToString(i->datapath().attached_mode());
  }
  size_t engaged = 0;
  for (const auto& [port, rt] : ports_) engaged += rt.engaged ? 1 : 0;
  // tests/integration/lab/daemon.py waits for this line's first two words.
  spdlog::info("synguard protecting {} port(s) on {}: xdp {} mode, handoff {}, cookies {}",
               ports_.size(), ifs, modes, ToString(handoff_),
               engaged == ports_.size() ? "engaged"
               : engaged == 0           ? "observe only"
                                        : std::to_string(engaged) + " port(s) engaged");
  notifier_.Ready(StatusLine());
  return kExitOk;
}

int Daemon::Loop() {
  const uint64_t tick_ns = 1000000000ull;
  uint64_t next_tick = MonotonicNs() + tick_ns;
  for (;;) {
    uint64_t now = MonotonicNs();
    int wait_ms = now >= next_tick ? 0 : static_cast<int>((next_tick - now) / 1000000);
    // poll() skips a negative fd: without the rtnetlink socket, the tick.
    pollfd pfds[2] = {{.fd = signals_.get(), .events = POLLIN, .revents = 0},
                      {.fd = rtnl_ ? rtnl_->fd() : -1, .events = POLLIN, .revents = 0}};
    int n = poll(pfds, 2, wait_ms);
    if (n > 0 && pfds[0].revents) {
      signalfd_siginfo si{};
      while (read(signals_.get(), &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGHUP) {
          Reload();
          continue;
        }
        spdlog::info("signal {}: {}", strsignal(static_cast<int>(si.ssi_signo)),
                     config_.leave_pinned_on_exit && !pin_root_.empty()
                         ? "leaving the programs attached and pinned"
                         : "detaching");
        Stop();
        return kExitOk;
      }
    }
    if (n > 0 && rtnl_ && pfds[1].revents) {
      // A link or tc change: the interface and TC filter checks now, once
      // for whatever burst is queued, not at the next tick.
      Result<size_t> events = rtnl_->Drain();
      if (!events) {
        spdlog::warn("{}; from now on the 1-second tick alone watches interfaces and TC filters",
                     events.error().message());
        rtnl_.reset();
      } else if (*events > 0) {
        WatchAttachments(MonotonicNs());
        if (exit_code_) {
          Stop();
          return *exit_code_;
        }
      }
    }
    if (MonotonicNs() >= next_tick) {
      Tick();
      if (exit_code_) {
        Stop();
        return *exit_code_;
      }
      next_tick += tick_ns;
      // After a long stall, do not run a burst of ticks to catch up.
      if (next_tick < MonotonicNs()) next_tick = MonotonicNs() + tick_ns;
    }
  }
}

void Daemon::Stop() {
  if (stopped_) return;
  stopped_ = true;
  notifier_.Stopping();
  const bool leave = config_.leave_pinned_on_exit && !pin_root_.empty();
  for (auto& i : interfaces_) {
    if (leave) {
      if (Status s = i->datapath().LeaveAttached(); !s) spdlog::warn("{}", s.error().message());
    } else {
      i->datapath().Detach();
      i->datapath().Unpin();
    }
  }
  // Detached (or left pinned) before the objects close.
  interfaces_.clear();
  if (!leave && !pin_root_.empty()) {
    rmdir(pin_root_.c_str());
    RemoveCreatedDirs(pin_root_made_);  // e.g. /sys/fs/bpf/synguard, if this run made it
  }
  if (tuner_ && leave) {
    // The programs left running depend on them (tcp_syncookies above all).
    spdlog::info("sysctls left as set: the pinned programs need them");
    tuner_->Keep();
  } else if (tuner_) {
    // The qdiscs went with Detach(); the sysctls that fail to go back stay
    // on the record for the next run.
    restore_.clsact.clear();
    for (const Error& e : tuner_->Restore()) spdlog::warn("restore sysctl: {}", e.message());
    SaveRestoreRecord();
  }
  if (!state_path_.empty() && !leave) unlink(state_path_.c_str());
  exporter_.reset();
}

int RunDaemon(const DaemonOptions& opts) {
  Result<Config> config = ResolveRunConfig(opts.flags);
  if (!config) {
    spdlog::error("{}", config.error().message());
    return kExitConfig;
  }
  Daemon d(std::move(*config), opts);
  if (opts.flags.dry_run) return d.DryRun();
  int rc = d.Start();
  if (rc != kExitOk) return rc;
  return d.Loop();
}

}  // namespace sg
