#include "service/status_publisher.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "datapath/probe.h"

namespace sg {

std::string StatusPublisher::StatusLine() const {
  std::string ports;
  for (const auto& [port, rt] : live_.ports)
    ports += (ports.empty() ? "" : ",") + std::to_string(port);
  const size_t engaged = EngagedCount(live_.ports);
  return "protecting " + ports + " on " + live_.interfaces.Describe() + "; " +
         std::to_string(engaged) + " port" + (engaged == 1 ? "" : "s") + " engaged";
}

void StatusPublisher::RefreshSnapshot() {
  snapshot_->Update([&](MetricsSnapshot& s) {
    std::vector<PortSnapshot> ports;
    for (const auto& [port, rt] : live_.ports) {
      PortSnapshot ps;
      for (const PortSnapshot& old : s.ports) {
        if (old.port == port) ps = old;
      }
      ps.port = port;
      ps.stats_slot = live_.slots.at(port);
      ps.engaged = rt.engaged;
      ports.push_back(ps);
    }
    s.ports = std::move(ports);
    s.interfaces.clear();
    for (const auto& i : live_.interfaces.all())
      s.interfaces.push_back({i->name(), ToString(i->datapath().attached_mode()),
                              i->datapath().fell_back(), !i->missing(), i->watch().losses(),
                              i->tc_watch().repairs()});
  });
}

void StatusPublisher::WriteState(const Extras& extras) {
  if (state_path_.empty()) return;
  DaemonState& st = state_;
  const Config& cfg = live_.config;
  st.pid = getpid();
  st.version = SYNGUARD_VERSION;
  st.config = cfg.source;
  st.handoff = ToString(live_.interfaces.handoff());
  st.secret_source = extras.secret_source;
  if (extras.secret_since_unix > 0) st.secret_since_unix = extras.secret_since_unix;
  st.self_test_ok = live_.interfaces.self_test_ok();
  st.leave_pinned_on_exit = cfg.leave_pinned_on_exit;
  st.on_crash = ToString(cfg.on_crash);
  st.crash_keeps_protecting = extras.crash_keeps_protecting;
  st.crash_note = extras.crash_note;
  st.interfaces.clear();
  for (const auto& i : live_.interfaces.all())
    st.interfaces.push_back({i->name(), ToString(i->datapath().attached_mode()),
                             i->datapath().fell_back(), i->datapath().took_over_link(),
                             i->datapath().pin_dir(), i->missing()});
  st.ports.clear();
  for (const PortConfig& p : cfg.ports) st.ports.push_back({p.port, ToString(p.engage)});
  const KernelFeatures& kernel = ProbeKernel();
  st.kernel_release = kernel.kernel_release;
  st.features.clear();
  for (const FeatureRow& f : FeatureRows(kernel))
    st.features.push_back({f.name, f.available, f.fallback});
  if (Status s = WriteStateFile(state_path_, st); !s)
    spdlog::warn("state for `synguard status`: {}", s.error().message());
}

void StatusPublisher::RemoveStateFile() {
  if (!state_path_.empty()) unlink(state_path_.c_str());
}

}  // namespace sg
