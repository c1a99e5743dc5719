#include "control/port_table.h"

#include <algorithm>
#include <set>

namespace sg {

SlotMap AssignStatsSlots(const SlotMap& current, const std::vector<PortConfig>& ports) {
  SlotMap next;
  std::set<uint32_t> used;
  for (const PortConfig& p : ports) {
    auto it = current.find(p.port);
    if (it != current.end()) {
      next[p.port] = it->second;
      used.insert(it->second);
    }
  }
  uint32_t free = 0;
  for (const PortConfig& p : ports) {
    if (next.count(p.port)) continue;
    while (used.count(free)) ++free;
    next[p.port] = free;
    used.insert(free);
  }
  return next;
}

std::vector<uint32_t> FreshSlots(const SlotMap& current, const SlotMap& next) {
  std::vector<uint32_t> out;
  for (const auto& [port, slot] : next) {
    auto it = current.find(port);
    if (it == current.end() || it->second != slot) out.push_back(slot);
  }
  return out;
}

sg_port PortEntry(const PortConfig& p, uint32_t slot, bool detector_engaged) {
  sg_port v{};
  v.flags = SG_PORT_PROTECTED;
  if (p.engage == EngageMode::kAlways || (p.engage == EngageMode::kAuto && detector_engaged))
    v.flags |= SG_PORT_ENGAGED;
  v.stats_slot = slot;
  return v;
}

std::vector<std::pair<uint16_t, sg_port>> PortWrites(const std::vector<PortConfig>& current,
                                                     const std::vector<PortConfig>& next,
                                                     const SlotMap& slots,
                                                     const std::function<bool(uint16_t)>& engaged,
                                                     bool handoff_down) {
  std::vector<std::pair<uint16_t, sg_port>> out;
  for (const PortConfig& q : next) {
    sg_port v = PortEntry(q, slots.at(q.port), engaged(q.port));
    if (handoff_down) v.flags &= ~SG_PORT_ENGAGED;
    out.emplace_back(q.port, v);
  }
  for (const PortConfig& q : current) {
    if (std::none_of(next.begin(), next.end(),
                     [&](const PortConfig& r) { return r.port == q.port; }))
      out.emplace_back(q.port, sg_port{});
  }
  return out;
}

}  // namespace sg
