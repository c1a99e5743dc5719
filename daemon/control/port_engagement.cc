#include "control/port_engagement.h"

namespace sg {

namespace {

bool SameDetector(const PortRuntime& old, const PortConfig& p) {
  if (old.config.engage != p.engage || !old.detector) return false;
  const DetectorThresholds& t = old.detector->thresholds();
  return t.syn_rate_engage == p.thresholds.syn_rate_engage &&
         t.syn_rate_disengage == p.thresholds.syn_rate_disengage &&
         t.queue_fill_engage == p.thresholds.queue_fill_engage &&
         t.quiet_period == p.thresholds.quiet_period;
}

}  // namespace

PortRuntimes BuildPortRuntimes(const PortRuntimes& current, const std::vector<PortConfig>& ports) {
  PortRuntimes next;
  for (const PortConfig& p : ports) {
    PortRuntime rt;
    auto old = current.find(p.port);
    if (old != current.end() && SameDetector(old->second, p)) {
      rt = old->second;
    } else {
      if (p.engage == EngageMode::kAuto) rt.detector.emplace(p.port, p.thresholds);
      if (old != current.end()) {
        rt.last_syn = old->second.last_syn;
        rt.have_last = old->second.have_last;
      }
    }
    rt.config = p;
    rt.engaged = p.engage == EngageMode::kAlways ||
                 (p.engage == EngageMode::kAuto && rt.detector && rt.detector->engaged());
    next[p.port] = std::move(rt);
  }
  return next;
}

std::vector<EngageEvent> DetectEngagement(PortRuntimes& ports, uint64_t now_ns,
                                          const std::function<PortTraffic(uint16_t)>& traffic) {
  std::vector<EngageEvent> changes;
  for (auto& [port, rt] : ports) {
    const PortTraffic t = traffic(port);
    // A counter that went backwards (maps made anew) restarts the baseline.
    const uint64_t delta =
        rt.have_last && t.syn_total >= rt.last_syn ? t.syn_total - rt.last_syn : 0;
    rt.last_syn = t.syn_total;
    rt.have_last = true;
    if (!rt.detector) continue;
    std::optional<EngageEvent> ev = rt.detector->Update({.time_ns = now_ns,
                                                         .syn_delta = delta,
                                                         .accept_fill = t.accept_fill,
                                                         .syn_recv_fill = t.syn_recv_fill});
    if (!ev) continue;
    rt.engaged = ev->engaged;
    changes.push_back(std::move(*ev));
  }
  return changes;
}

size_t EngagedCount(const PortRuntimes& ports) {
  size_t n = 0;
  for (const auto& [port, rt] : ports) n += rt.engaged ? 1 : 0;
  return n;
}

}  // namespace sg
