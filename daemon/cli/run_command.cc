#include "cli/run_command.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <memory>

#include "datapath/probe.h"
#include "metrics/exporter.h"
#include "selftest/self_test.h"
#include "secrets/random_secret.h"
#include "system/sysctl.h"
#include "system/sysctl_guard.h"
#include "util/unique_fd.h"

namespace sg {

namespace {

// The kernel settings each handoff mode depends on (DESIGN.md, facts of the platform).
Status EnsureSysctls(HandoffMode mode, SysctlGuard& guard) {
  auto set = [&](const char* name, const char* value, const char* why) -> Status {
    Result<bool> changed = guard.Set(name, value);
    if (!changed) return changed.take_error();
    if (*changed) spdlog::info("set {} = {} ({})", name, value, why);
    return Ok();
  };
  if (mode == HandoffMode::kKernelCookie) {
    if (Status s = set("net.ipv4.tcp_syncookies", "2",
                       "kernel-cookie mode: bpf_tcp_gen_syncookie needs syncookies always on");
        !s)
      return s;
    return set("net.ipv4.tcp_timestamps", "2",
               "kernel-cookie mode: options survive the cookie only without a per-connection "
               "timestamp offset");
  }
  Result<std::string> cur = ReadSysctl(guard.root(), "net.ipv4.tcp_syncookies");
  if (cur && *cur == "0")
    return set("net.ipv4.tcp_syncookies", "1",
               "reqsk mode: the kernel refuses handed-off requests with syncookies off");
  return Ok();
}

Result<UniqueFd> BlockSignals() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) < 0) return Error::FromErrno("block signals");
  int fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) return Error::FromErrno("create a signalfd");
  return UniqueFd(fd);
}

sg_secrets InitialSecrets(const sg_secret& key) {
  sg_secrets s{};
  s.key[0] = key;
  s.key[0].expires_ns = ~0ull;
  s.current = 0;
  return s;
}

}  // namespace

int RunForeground(const RunOptions& opts) {
  KernelFeatures features = ProbeKernel();
  Result<HandoffMode> mode = ResolveHandoff(opts.handoff, features);
  if (!mode) {
    spdlog::error("{}", mode.error().message());
    return 2;
  }
  if (opts.engage == EngageMode::kAuto) {
    spdlog::error("--engage auto needs the attack detector, which this build does not have yet");
    return 2;
  }
  Result<UniqueFd> sigfd = BlockSignals();
  if (!sigfd) {
    spdlog::error("{}", sigfd.error().message());
    return 1;
  }

  SysctlGuard sysctls(opts.sysctl_root);
  if (Status s = EnsureSysctls(*mode, sysctls); !s) {
    spdlog::error("{}", s.error().message());
    return 1;
  }
  // After the sysctls: the SYN+ACK offers what the values now in force let
  // the kernel accept (the guard puts them back if this fails).
  Result<sg_config> cfg = BuildBpfConfig(opts.cookies, opts.interface, opts.sysctl_root);
  if (!cfg) {
    spdlog::error("{}", cfg.error().message());
    return 2;
  }
  Result<std::unique_ptr<Datapath>> dp = Datapath::Load(DatapathOptions{.handoff = *mode});
  if (!dp) {
    spdlog::error("{}", dp.error().message());
    return 1;
  }
  Datapath& d = **dp;
  Result<sg_secret> key = RandomSecret();
  if (!key) {
    spdlog::error("{}", key.error().message());
    return 1;
  }
  for (Status s : {d.WriteConfig(*cfg), d.WriteSecrets(InitialSecrets(*key))}) {
    if (!s) {
      spdlog::error("{}", s.error().message());
      return 1;
    }
  }
  uint32_t slot = 0;
  for (uint16_t port : opts.ports) {
    sg_port p{};
    p.flags = SG_PORT_PROTECTED | (opts.engage == EngageMode::kAlways ? SG_PORT_ENGAGED : 0);
    p.stats_slot = slot++;
    if (Status s = d.WritePort(port, p); !s) {
      spdlog::error("{}", s.error().message());
      return 1;
    }
  }
  // Metrics: BPF counters are read at scrape time; the rest is this snapshot.
  // Started before anything is attached: a port in use changes nothing.
  auto snapshot = std::make_shared<SnapshotBox>();
  snapshot->Update([&](MetricsSnapshot& snap) {
    snap.handoff_mode = ToString(*mode);
    uint32_t stats_slot = 0;
    for (uint16_t port : opts.ports) {
      PortSnapshot ps;
      ps.port = port;
      ps.stats_slot = stats_slot++;
      ps.engaged = opts.engage == EngageMode::kAlways;
      snap.ports.push_back(ps);
    }
    snap.last_reload_unix = static_cast<double>(WallClockNs()) / 1e9;
  });
  CollectorSources sources;
  sources.reasons = std::make_shared<BpfPerCpuMap>(d.counters_fd(), sizeof(uint64_t));
  sources.port_stats = std::make_shared<BpfPerCpuMap>(d.port_stats_fd(), sizeof(sg_port_stats));
  sources.snapshot = [snapshot] { return snapshot->Get(); };
  sources.version = SYNGUARD_VERSION;
  std::unique_ptr<MetricsExporter> exporter;
  if (!opts.metrics_listen.empty()) {
    Result<std::unique_ptr<MetricsExporter>> ex =
        MetricsExporter::Start(opts.metrics_listen, std::make_shared<SynguardCollector>(sources));
    if (!ex) {
      spdlog::error("{}", ex.error().message());
      return 2;
    }
    exporter = std::move(*ex);
    spdlog::info("metrics on http://{}/metrics", opts.metrics_listen);
  }

  // TC first: from the moment XDP answers SYNs, the ACKs must find the handoff.
  if (*mode == HandoffMode::kReqsk) {
    if (Status s = d.AttachTc(opts.interface); !s) {
      spdlog::error("{}", s.error().message());
      return 1;
    }
  }
  if (Status s = d.AttachXdp(opts.interface, opts.xdp_mode); !s) {
    spdlog::error("{}", s.error().message());
    return 1;
  }
  if (d.fell_back())
    spdlog::warn(
        "XDP native mode refused on {} ({}); running in skb (generic) mode, which is "
        "slower: check the driver's XDP support",
        opts.interface, d.fallback_reason());
  bool self_test_ok = false;
  if (opts.engage == EngageMode::kAlways) {
    Result<SelfTestResult> st = RunSelfTest({.prog_fd = d.xdp_prog_fd(),
                                             .port = opts.ports.front(),
                                             .kernel_cookie = *mode == HandoffMode::kKernelCookie});
    if (!st) {
      spdlog::error("self-test: {}", st.error().message());
      return 1;
    }
    self_test_ok = st->answered && st->ack_accepted;
    if (self_test_ok) {
      spdlog::info("self-test passed: a probe SYN got a correct SYN+ACK and its cookie validated");
    } else if (*mode == HandoffMode::kKernelCookie && !st->answered) {
      spdlog::warn("self-test: {}", st->detail);
    } else {
      spdlog::error("self-test failed: {}", st->detail);
      return 1;
    }
  }
  snapshot->Update([&](MetricsSnapshot& snap) {
    snap.interfaces.push_back({opts.interface, ToString(d.attached_mode()), d.fell_back()});
    snap.self_test_ok = self_test_ok;
  });
  spdlog::info("synguard protecting {} port(s) on {}: xdp {} mode, handoff {}, cookies {}",
               opts.ports.size(), opts.interface, ToString(d.attached_mode()), ToString(*mode),
               opts.engage == EngageMode::kAlways ? "engaged" : "observe only");

  // Keep the programs' wall clock in step (NTP slews it) until a signal.
  for (;;) {
    pollfd pfd{.fd = sigfd->get(), .events = POLLIN, .revents = 0};
    int n = poll(&pfd, 1, 1000);
    if (n > 0) {
      signalfd_siginfo si{};
      if (read(sigfd->get(), &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGHUP) {
          spdlog::info("SIGHUP: nothing to reload in flag mode");
          continue;
        }
        spdlog::info("signal {}: detaching", strsignal(static_cast<int>(si.ssi_signo)));
        break;
      }
    }
    cfg->clock_offset_ns = static_cast<uint64_t>(WallClockOffsetNs());
    if (Status s = d.WriteConfig(*cfg); !s) spdlog::warn("{}", s.error().message());
  }
  d.Detach();
  for (const Error& e : sysctls.Restore()) spdlog::warn("{}", e.message());
  return 0;
}

}  // namespace sg
