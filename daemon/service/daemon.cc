#include "service/daemon.h"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cstdio>

#include "control/tick_schedule.h"
#include "datapath/probe.h"

namespace sg {

namespace {

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

StatusPublisher::Extras Daemon::StateExtras() const {
  StatusPublisher::Extras e;
  e.secret_source = secret_source_ ? secret_source_->Describe() : "";
  if (rotator_ && rotator_->started())
    e.secret_since_unix =
        static_cast<double>(clock_.NowNs() - rotator_->current_key_age_ns()) / 1e9;
  e.crash_keeps_protecting = CrashKeepsProtecting();
  e.crash_note = CrashNote();
  return e;
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

int Daemon::Start() {
  // The order, and why each step comes where it does: control/start_order.h.
  for (StartStep step : kStartOrder) {
    if (int rc = RunStartStep(step); rc != kExitOk) return rc;
  }
  return kExitOk;
}

int Daemon::Loop() {
  TickSchedule ticks(MonotonicNs());
  for (;;) {
    // poll() skips a negative fd: without the rtnetlink socket, the tick.
    pollfd pfds[2] = {{.fd = signals_.get(), .events = POLLIN, .revents = 0},
                      {.fd = rtnl_ ? rtnl_->fd() : -1, .events = POLLIN, .revents = 0}};
    int n = poll(pfds, 2, ticks.WaitMs(MonotonicNs()));
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
      }
    }
    if (!exit_code_ && ticks.Due(MonotonicNs())) {
      Tick();
      ticks.Ran(MonotonicNs());
    }
    if (exit_code_) {
      Stop();
      return *exit_code_;
    }
  }
}

void Daemon::Stop() {
  if (stopped_) return;
  stopped_ = true;
  publisher_.notifier().Stopping();
  const bool leave = config_.leave_pinned_on_exit && !pin_root_.empty();
  interfaces_.Stop(leave);
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
  if (!leave) publisher_.RemoveStateFile();
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
