// SIGHUP: the new config is read and validated in full before anything
// changes. A bad file is one log line and a failed-reload count; a good one
// is applied as a difference, without detaching and without touching the
// secrets, so no handshake in flight is lost.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "datapath/bpf_config.h"
#include "service/daemon.h"
#include "service/list_sync.h"

namespace sg {

void Daemon::Reload() {
  if (opts_.flags.config_file.empty()) {
    spdlog::info("SIGHUP: no config file (-c) to reload; running unchanged");
    return;
  }
  notifier_.Reloading();
  Result<Config> next = ResolveRunConfig(opts_.flags);
  Status applied = next ? Ok() : Status(next.take_error());
  ReloadPlan plan;
  if (applied) {
    plan = PlanReload(config_, *next);
    applied = ApplyReload(*next, plan);
  }
  const double now = static_cast<double>(WallClockNs()) / 1e9;
  if (!applied) {
    spdlog::error("reload refused, running unchanged: {}", applied.error().message());
    state_.reloads_failed++;
    snapshot_->Update([&](MetricsSnapshot& s) {
      s.reloads_failed++;
      s.last_reload_ok = false;
    });
  } else {
    spdlog::info("reloaded {}: {}", config_.source, plan.Summary());
    for (const std::string& key : plan.need_restart)
      spdlog::warn("reload: {} changed, but takes effect only at a restart", key);
    state_.reloads_ok++;
    snapshot_->Update([&](MetricsSnapshot& s) {
      s.reloads_ok++;
      s.last_reload_ok = true;
      s.last_reload_unix = now;
    });
  }
  RefreshSnapshot();
  WriteState();
  notifier_.Ready(StatusLine());
}

Status Daemon::ApplyReload(const Config& next, const ReloadPlan& plan) {
  // Settings that need a restart stay as they run now.
  Config merged = next;
  merged.handoff = config_.handoff;
  merged.xdp_mode = config_.xdp_mode;
  merged.secrets = config_.secrets;
  merged.sysctl = config_.sysctl;
  merged.metrics_listen = config_.metrics_listen;
  merged.pin_dir = config_.pin_dir;

  // Ports first in memory (new interfaces write them as they come up).
  std::vector<uint16_t> removed;
  for (const PortConfig& p : config_.ports) {
    if (std::none_of(next.ports.begin(), next.ports.end(),
                     [&](const PortConfig& q) { return q.port == p.port; }))
      removed.push_back(p.port);
  }
  SlotMap old_slots = slots_;
  Config old = config_;
  config_ = merged;
  slots_ = AssignStatsSlots(old_slots, config_.ports);
  RebuildPorts(config_.ports);
  std::vector<uint32_t> fresh = FreshSlots(old_slots, slots_);

  // Interfaces that leave: detached and unpinned, the others untouched.
  for (const std::string& ifname : plan.detach) {
    auto it = std::find_if(interfaces_.begin(), interfaces_.end(),
                           [&](const auto& i) { return i->name() == ifname; });
    if (it == interfaces_.end()) continue;
    (*it)->datapath().Detach();
    (*it)->datapath().Unpin();
    interfaces_.erase(it);
    spdlog::info("{}: detached (no longer in the config)", ifname);
  }
  // Changes to the interfaces that stay; a failure here leaves a partly
  // applied config, which the error says.
  for (auto& i : interfaces_) {
    // A missing interface has no MTU to read: it gets them when it is back.
    if (plan.cookies_changed && !i->missing()) {
      if (Status s = i->WriteCookies(config_.cookies); !s) return s.take_error().Context("reload");
    }
    if (plan.lists_changed) {
      if (Status s = i->WriteLists(BuildListEntries(config_.allowlist, config_.denylist)); !s)
        return s.take_error().Context("reload");
    }
    if (plan.ports_changed) {
      if (Status s = WritePortsTo(*i, removed, fresh); !s) return s.take_error().Context("reload");
    }
  }
  if (plan.on_crash_changed) {
    // keep_protecting pins the links now; fail_open unpins them, so that a
    // crash from now on detaches.
    const bool pin = config_.on_crash == OnCrash::kKeepProtecting;
    for (auto& i : interfaces_) {
      if (Status s = i->datapath().SetPinLink(pin); !s) return s.take_error().Context("reload");
    }
  }
  if (plan.cookie_age_changed)
    spdlog::warn(
        "reload: cookies.max_age changed ({} s -> {} s): cookies issued in the last "
        "{} s may be judged with the new time slots",
        old.cookies.max_age_seconds, config_.cookies.max_age_seconds,
        old.cookies.max_age_seconds * 3 / 2);
  for (const std::string& ifname : plan.attach) {
    if (Status s = BringUp(ifname, /*attach=*/true); !s) return s.take_error().Context("reload");
    spdlog::info("{}: attached ({} mode)", ifname,
                 ToString(interfaces_.back()->datapath().attached_mode()));
  }
  if (!plan.attach.empty() || !plan.detach.empty()) {
    RecordTcHooks();
    std::vector<int> counters, stats;
    for (auto& i : interfaces_) {
      counters.push_back(i->datapath().counters_fd());
      stats.push_back(i->datapath().port_stats_fd());
    }
    if (Status s = counters_map_->Set(counters); !s) return s;
    if (Status s = port_stats_map_->Set(stats); !s) return s;
  }
  return Ok();
}

}  // namespace sg
