// The daemon's 1-second tick: the interfaces (lost, back, TC filter,
// addresses), the programs' clock, secret rotation, the listener watch, the
// attack detector, the watchdog.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "config/bpf_config.h"
#include "service/daemon.h"
#include "tuning/sysctl.h"

namespace sg {

void Daemon::Tick() {
  // First: an interface that went away is noticed (or exits) before the
  // rest of the tick writes to its maps; then the TC filters.
  WatchAttachments(MonotonicNs());
  if (exit_code_) return;
  interfaces_.RefreshClocks();
  RotateSecrets();
  WatchListeners();
  DetectAttacks(MonotonicNs());
  publisher_.notifier().Watchdog();
}

void Daemon::WatchAttachments(uint64_t now_ns) {
  // Interfaces first: a device that went takes its filter with it, and is
  // not a filter to repair.
  bool exit = false;
  const bool changed = interfaces_.WatchInterfaces(now_ns, &exit);
  if (exit) {
    exit_code_ = kExitInterfaceLost;
    return;
  }
  // A re-attach runs the self-test, whether it then succeeds or not.
  publisher_.snapshot()->Update(
      [&](MetricsSnapshot& m) { m.self_test_ok = interfaces_.self_test_ok(); });
  if (changed) {
    // The lost interfaces' qdiscs went with them; a re-attach made new ones.
    RecordTcHooks();
    publisher_.RefreshSnapshot();
    WriteState();
    publisher_.notifier().Status(publisher_.StatusLine());
  }
  if (interfaces_.WatchTcFilters(now_ns)) {
    // A qdisc created by a repair is ours to remove at stop, and after a crash.
    RecordTcHooks();
    publisher_.RefreshSnapshot();
  }
  interfaces_.WatchAddresses();
}

void Daemon::RotateSecrets() {
  if (!rotator_) return;
  Result<std::optional<Rotation>> r =
      rotator_->Tick([this](const sg_secrets& s) { return interfaces_.PublishSecrets(s); });
  if (!r) {
    spdlog::warn("secret rotation: {} (retried next second)", r.error().message());
    return;
  }
  if (!*r) return;
  spdlog::info("cookie secret rotated: generation {}, slot {}", (*r)->generation, (*r)->slot);
  publisher_.state().secret_rotations++;
  publisher_.snapshot()->Update([&](MetricsSnapshot& s) {
    s.secret_rotations++;
    s.last_rotation_unix = static_cast<double>((*r)->at_ns) / 1e9;
  });
  WriteState();
}

void Daemon::WatchListeners() {
  if (!watch_) return;
  Result<std::vector<PortListeners>> scan = watch_->Scan(PortNumbers());
  if (!scan) {
    spdlog::warn("listener watch: {}", scan.error().message());
    return;
  }
  Result<long long> somaxconn = ReadSysctlInt(opts_.sysctl_root, "net.core.somaxconn");
  for (const PortListeners& pl : *scan) {
    for (const Listener& l : pl.listeners) {
      if (!somaxconn || warned_backlog_.count(l.inode)) continue;
      warned_backlog_[l.inode] = true;
      if (std::optional<std::string> w =
              BacklogWarning(l.backlog, static_cast<uint32_t>(*somaxconn)))
        spdlog::warn("port {} listener on {}: {}", pl.port, l.address, *w);
    }
  }
  publisher_.snapshot()->Update([&](MetricsSnapshot& s) {
    for (PortSnapshot& ps : s.ports) {
      for (const PortListeners& pl : *scan) {
        if (pl.port != ps.port) continue;
        ps.listener_seen = !pl.listeners.empty();
        ps.listen_backlog = 0;
        ps.accept_queue = 0;
        for (const Listener& l : pl.listeners) {
          ps.listen_backlog = std::max<uint64_t>(ps.listen_backlog, l.backlog);
          ps.accept_queue = std::max<uint64_t>(ps.accept_queue, l.accept_queue);
        }
        ps.syn_recv = pl.syn_recv;
      }
    }
  });
  // The detector reads the queue fills from the last scan.
  last_scan_ = std::move(*scan);
}

void Daemon::DetectAttacks(uint64_t now_ns) {
  auto traffic = [&](uint16_t port) {
    PortTraffic t{.syn_total = interfaces_.SynTotal(slots_.at(port))};
    for (const PortListeners& pl : last_scan_) {
      if (pl.port != port) continue;
      t.accept_fill = pl.AcceptFill();
      t.syn_recv_fill = pl.SynRecvFill();
    }
    return t;
  };
  const std::vector<EngageEvent> changes = DetectEngagement(ports_, now_ns, traffic);
  for (const EngageEvent& ev : changes) {
    spdlog::warn("port {}: cookies {} ({})", ev.port, ev.engaged ? "engaged" : "disengaged",
                 ev.reason);
    interfaces_.SetEngaged(ev.port, ev.engaged);
    publisher_.snapshot()->Update([&](MetricsSnapshot& s) {
      for (PortSnapshot& ps : s.ports) {
        if (ps.port != ev.port) continue;
        ps.engaged = ev.engaged;
        (ev.engaged ? ps.engage_events : ps.disengage_events)++;
      }
    });
  }
  if (changes.empty()) return;
  publisher_.notifier().Status(publisher_.StatusLine());
  WriteState();
}

}  // namespace sg
