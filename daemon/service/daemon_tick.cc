// The daemon's 1-second tick: the programs' clock, secret rotation, the
// listener watch, the attack detector, the watchdog.
#include <spdlog/spdlog.h>
#include <time.h>

#include <algorithm>
#include <unistd.h>

#include "config/bpf_config.h"
#include "service/daemon.h"

#include "datapath/probe.h"
#include "tuning/sysctl.h"

namespace sg {

void Daemon::Tick() {
  // First: an interface that went away is noticed (or exits) before the
  // rest of the tick writes to its maps; then the TC filters.
  WatchAttachments(MonotonicNs());
  if (exit_code_) return;
  for (auto& i : interfaces_) {
    if (Status s = i->RefreshClock(); !s) spdlog::warn("{}", s.error().message());
  }
  if (rotator_) {
    Result<std::optional<Rotation>> r =
        rotator_->Tick([this](const sg_secrets& s) { return PublishSecrets(s); });
    if (!r) {
      spdlog::warn("secret rotation: {} (retried next second)", r.error().message());
    } else if (*r) {
      spdlog::info("cookie secret rotated: generation {}, slot {}", (*r)->generation, (*r)->slot);
      state_.secret_rotations++;
      snapshot_->Update([&](MetricsSnapshot& s) {
        s.secret_rotations++;
        s.last_rotation_unix = static_cast<double>((*r)->at_ns) / 1e9;
      });
      WriteState();
    }
  }
  WatchListeners();
  DetectAttacks(MonotonicNs());
  notifier_.Watchdog();
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
  snapshot_->Update([&](MetricsSnapshot& s) {
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
  bool changed = false;
  for (auto& [port, rt] : ports_) {
    // SYNs to the port on every interface, summed over CPUs.
    uint64_t syn = 0;
    for (auto& i : interfaces_) {
      Result<sg_port_stats> st = i->PortStats(slots_.at(port));
      if (st) syn += st->syn;
    }
    const uint64_t delta = rt.have_last && syn >= rt.last_syn ? syn - rt.last_syn : 0;
    rt.last_syn = syn;
    rt.have_last = true;
    if (!rt.detector) continue;
    DetectorSample sample{.time_ns = now_ns, .syn_delta = delta};
    for (const PortListeners& pl : last_scan_) {
      if (pl.port != port) continue;
      sample.accept_fill = pl.AcceptFill();
      sample.syn_recv_fill = pl.SynRecvFill();
    }
    std::optional<EngageEvent> ev = rt.detector->Update(sample);
    if (!ev) continue;
    rt.engaged = ev->engaged;
    changed = true;
    spdlog::warn("port {}: cookies {} ({})", port, ev->engaged ? "engaged" : "disengaged",
                 ev->reason);
    for (auto& i : interfaces_) {
      if (Status s = i->SetEngaged(port, ev->engaged); !s) spdlog::error("{}", s.error().message());
    }
    snapshot_->Update([&](MetricsSnapshot& s) {
      for (PortSnapshot& ps : s.ports) {
        if (ps.port != port) continue;
        ps.engaged = ev->engaged;
        (ev->engaged ? ps.engage_events : ps.disengage_events)++;
      }
    });
  }
  if (changed) {
    notifier_.Status(StatusLine());
    WriteState();
  }
}

void Daemon::RefreshSnapshot() {
  snapshot_->Update([&](MetricsSnapshot& s) {
    std::vector<PortSnapshot> ports;
    for (const auto& [port, rt] : ports_) {
      PortSnapshot ps;
      for (const PortSnapshot& old : s.ports) {
        if (old.port == port) ps = old;
      }
      ps.port = port;
      ps.stats_slot = slots_.at(port);
      ps.engaged = rt.engaged;
      ports.push_back(ps);
    }
    s.ports = std::move(ports);
    s.interfaces.clear();
    for (const auto& i : interfaces_)
      s.interfaces.push_back({i->name(), ToString(i->datapath().attached_mode()),
                              i->datapath().fell_back(), !i->missing(), i->watch().losses(),
                              i->tc_watch().repairs()});
  });
}

void Daemon::WriteState() {
  if (state_path_.empty()) return;
  DaemonState& st = state_;
  st.pid = getpid();
  st.version = SYNGUARD_VERSION;
  st.config = config_.source;
  st.handoff = ToString(handoff_);
  st.secret_source = secret_source_ ? secret_source_->Describe() : "";
  if (rotator_ && rotator_->started())
    st.secret_since_unix =
        static_cast<double>(clock_.NowNs() - rotator_->current_key_age_ns()) / 1e9;
  st.self_test_ok = self_test_ok_;
  st.leave_pinned_on_exit = config_.leave_pinned_on_exit;
  st.on_crash = ToString(config_.on_crash);
  st.crash_keeps_protecting = CrashKeepsProtecting();
  st.crash_note = CrashNote();
  st.interfaces.clear();
  for (const auto& i : interfaces_)
    st.interfaces.push_back({i->name(), ToString(i->datapath().attached_mode()),
                             i->datapath().fell_back(), i->datapath().took_over_link(),
                             i->datapath().pin_dir(), i->missing()});
  st.ports.clear();
  for (const PortConfig& p : config_.ports) st.ports.push_back({p.port, ToString(p.engage)});
  const KernelFeatures& kernel = ProbeKernel();
  st.kernel_release = kernel.kernel_release;
  st.features.clear();
  for (const FeatureRow& f : FeatureRows(kernel))
    st.features.push_back({f.name, f.available, f.fallback});
  if (Status s = WriteStateFile(state_path_, st); !s)
    spdlog::warn("state for `synguard status`: {}", s.error().message());
}

}  // namespace sg
