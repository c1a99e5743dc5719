// SIGHUP: a reload is all or nothing.
//   1. The new config is read and validated in full (a bad file is refused).
//   2. PrepareReload computes every write before the first one: every new
//      interface resolved, every MTU read, every map value built, the new
//      interfaces' programs loaded and filled but not attached. A failure
//      here is a refusal: nothing running was touched.
//   3. ApplyPrepared (control/reload_txn.h) writes it step by step, each
//      step with its undo; the first failure undoes what was written, so
//      the datapath is back to the running config, and the new interfaces
//      loaded in 2 are unpinned again.
//   4. Only then do the daemon's own state (config, slots, detectors) and
//      the interfaces that leave change: detached last, so that a rollback
//      never has to attach anything again.
// The log and synguard_config_reloads_total{result} say which of success,
// failure (refused) and rolled_back it was. Secrets are never touched, so no
// handshake in flight is lost.
#include <net/if.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "config/bpf_config.h"
#include "service/daemon.h"
#include "control/list_entries.h"
#include "control/reload_txn.h"

namespace sg {

namespace {

// A ProtectedInterface as the transaction writes it.
class LiveTarget : public ReloadTarget {
 public:
  LiveTarget(ProtectedInterface& i, XdpMode mode) : i_(i), mode_(mode) {}
  const std::string& name() const override { return i_.name(); }
  std::optional<sg_config> config() const override { return i_.cookie_config(); }
  Status PutConfig(const sg_config& c) override { return i_.PutCookieConfig(c); }
  Status PutLists(const ListEntries& e) override { return i_.WriteLists(e); }
  Result<sg_port> Port(uint16_t port) const override { return i_.datapath().ReadPort(port); }
  Status PutPort(uint16_t port, const sg_port& v) override {
    if (Status s = i_.datapath().WritePort(port, v); !s) return s.take_error().Context(i_.name());
    return Ok();
  }
  Status ClearSlot(uint32_t slot) override { return i_.ClearStatsSlot(slot); }
  Status SetPinLink(bool pin) override { return i_.datapath().SetPinLink(pin); }
  Status Attach() override { return i_.Attach(mode_); }
  void Detach() override { i_.datapath().Detach(); }

 private:
  ProtectedInterface& i_;
  XdpMode mode_;
};

}  // namespace

struct Daemon::PreparedApply {
  Config config;  // merged: what runs after the commit
  SlotMap slots;
  std::map<uint16_t, PortRuntime> ports;
  std::vector<std::unique_ptr<ProtectedInterface>> fresh;  // loaded, not attached
  std::vector<std::unique_ptr<LiveTarget>> targets;
  PreparedReload writes;

  // Unpins the new interfaces' programs and maps (not attached: a rollback
  // detached them already).
  void Discard() {
    for (auto& i : fresh) {
      i->datapath().Detach();
      if (!i->datapath().reused_maps()) i->datapath().Unpin();
    }
    fresh.clear();
  }
};

void Daemon::Reload() {
  if (opts_.flags.config_file.empty()) {
    spdlog::info("SIGHUP: no config file (-c) to reload; running unchanged");
    return;
  }
  publisher_.notifier().Reloading();
  Result<Config> next = ResolveRunConfig(opts_.flags);
  Status applied = next ? Ok() : Status(next.take_error());
  ReloadPlan plan;
  bool rolled_back = false;
  if (applied) {
    plan = PlanReload(config_, *next);
    applied = ApplyReload(*next, plan, &rolled_back);
  }
  const double now = static_cast<double>(WallClockNs()) / 1e9;
  if (!applied) {
    if (rolled_back)
      spdlog::error("reload failed and rolled back, running unchanged: {}",
                    applied.error().message());
    else
      spdlog::error("reload refused, running unchanged: {}", applied.error().message());
    publisher_.state().reloads_failed++;
    publisher_.snapshot()->Update([&](MetricsSnapshot& s) {
      (rolled_back ? s.reloads_rolled_back : s.reloads_failed)++;
      s.last_reload_ok = false;
    });
  } else {
    spdlog::info("reloaded {}: {}", config_.source, plan.Summary());
    for (const std::string& key : plan.need_restart)
      spdlog::warn("reload: {} changed, but takes effect only at a restart", key);
    publisher_.state().reloads_ok++;
    publisher_.snapshot()->Update([&](MetricsSnapshot& s) {
      s.reloads_ok++;
      s.last_reload_ok = true;
      s.last_reload_unix = now;
      s.crash_keeps_protecting = CrashKeepsProtecting();  // on_crash may have changed
    });
  }
  publisher_.RefreshSnapshot();
  WriteState();
  publisher_.notifier().Ready(publisher_.StatusLine());
}

Result<std::unique_ptr<Daemon::PreparedApply>> Daemon::PrepareReload(const Config& merged,
                                                                     const ReloadPlan& plan) {
  auto p = std::make_unique<PreparedApply>();
  p->config = merged;
  p->slots = AssignStatsSlots(slots_, merged.ports);
  p->ports = BuildPortRuntimes(ports_, merged.ports);

  // Every new interface exists and has an MTU to read before anything loads.
  for (const std::string& ifname : plan.attach) {
    if (if_nametoindex(ifname.c_str()) == 0)
      return Error("interfaces: " + ifname + ": no such interface", errno == 0 ? ENODEV : errno);
    Result<sg_config> c = BuildBpfConfig(merged.cookies, ifname, opts_.sysctl_root);
    if (!c) return c.take_error().Context(ifname);
  }

  const ListEntries old_lists = BuildListEntries(config_.allowlist, config_.denylist);
  const ListEntries new_lists = BuildListEntries(merged.allowlist, merged.denylist);
  const std::vector<uint32_t> fresh_slots = FreshSlots(slots_, p->slots);
  for (auto& i : interfaces_.all()) {
    if (std::find(plan.keep.begin(), plan.keep.end(), i->name()) == plan.keep.end()) continue;
    p->targets.push_back(std::make_unique<LiveTarget>(*i, config_.xdp_mode));
    InterfaceChange c;
    c.target = p->targets.back().get();
    // A missing interface has no MTU to read: it gets its config when it is back.
    if (plan.cookies_changed && !i->missing()) {
      Result<sg_config> cfg = BuildBpfConfig(merged.cookies, i->name(), opts_.sysctl_root);
      if (!cfg) return cfg.take_error().Context(i->name());
      c.config = *cfg;
    }
    if (plan.lists_changed) {
      c.lists = new_lists;
      c.old_lists = old_lists;
    }
    if (plan.ports_changed) {
      c.fresh_slots = fresh_slots;
      auto engaged = [&](uint16_t port) { return p->ports.at(port).engaged; };
      c.ports = PortWrites(config_.ports, merged.ports, p->slots, engaged, i->handoff_down());
    }
    if (plan.on_crash_changed) c.pin_link = merged.on_crash == OnCrash::kKeepProtecting;
    p->writes.keep.push_back(std::move(c));
  }
  // New interfaces: loaded and filled for the new config, not attached.
  for (const std::string& ifname : plan.attach) {
    Result<std::unique_ptr<ProtectedInterface>> pi =
        interfaces_.Load(ifname, merged, p->slots, p->ports,
                         rotator_ && rotator_->started() ? &rotator_->state() : nullptr);
    if (!pi) {
      p->Discard();
      return pi.take_error().Context(ifname);
    }
    p->fresh.push_back(std::move(*pi));
    p->targets.push_back(std::make_unique<LiveTarget>(*p->fresh.back(), merged.xdp_mode));
    p->writes.attach.push_back(p->targets.back().get());
  }
  return p;
}

Status Daemon::ApplyReload(const Config& next, const ReloadPlan& plan, bool* rolled_back) {
  *rolled_back = false;
  // Settings that need a restart stay as they run now.
  Config merged = next;
  merged.handoff = config_.handoff;
  merged.xdp_mode = config_.xdp_mode;
  merged.secrets = config_.secrets;
  merged.sysctl = config_.sysctl;
  merged.metrics_listen = config_.metrics_listen;
  merged.pin_dir = config_.pin_dir;

  Result<std::unique_ptr<PreparedApply>> prepared = PrepareReload(merged, plan);
  if (!prepared) return prepared.take_error();
  PreparedApply& p = **prepared;

  Transaction t;
  Status s = ApplyPrepared(p.writes, t);
  // The metrics read the new interfaces' maps, and no longer the leaving ones'.
  if (s && (!plan.attach.empty() || !plan.detach.empty())) {
    std::vector<ProtectedInterface*> fresh;
    for (auto& i : p.fresh) fresh.push_back(i.get());
    s = t.Step(
        "point the metrics at the new interfaces",
        [&] {
          return interfaces_.PointMetrics(*counters_map_, *port_stats_map_, plan.detach, fresh);
        },
        [&] { return interfaces_.PointMetrics(*counters_map_, *port_stats_map_); });
  }
  if (!s) {
    const size_t steps = t.done().size();
    for (const Error& e : t.Rollback())
      spdlog::error("reload rollback incomplete: {}; the next reload writes it again", e.message());
    p.Discard();
    *rolled_back = true;
    return s.take_error().Context("after " + std::to_string(steps) + " step(s), all undone");
  }

  // Commit: nothing below fails.
  for (const std::string& ifname : plan.detach) {
    if (interfaces_.Remove(ifname)) spdlog::info("{}: detached (no longer in the config)", ifname);
  }
  for (auto& i : p.fresh) {
    spdlog::info("{}: attached ({} mode)", i->name(), ToString(i->datapath().attached_mode()));
    interfaces_.Add(std::move(i));
  }
  p.fresh.clear();
  if (plan.cookie_age_changed)
    spdlog::warn(
        "reload: cookies.max_age changed ({} s -> {} s): cookies issued in the last "
        "{} s may be judged with the new time slots",
        config_.cookies.max_age_seconds, merged.cookies.max_age_seconds,
        config_.cookies.max_age_seconds * 3 / 2);
  config_ = std::move(merged);
  slots_ = std::move(p.slots);
  ports_ = std::move(p.ports);
  if (!plan.attach.empty() || !plan.detach.empty()) RecordTcHooks();
  return Ok();
}

}  // namespace sg
