// The ports map's contents for a config: which statistics slot each port
// counts into, and its flags. Pure.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <map>
#include <vector>

#include "config/config.h"
#include "synguard/shared.h"

namespace sg {

using SlotMap = std::map<uint16_t, uint32_t>;  // port -> sg_port.stats_slot

// Slots for `ports`: a port that already has one keeps it (its counters run
// on across a reload); a new port takes the lowest free slot. The config
// caps ports at SG_MAX_PROTECTED_PORTS, so a slot is always free.
SlotMap AssignStatsSlots(const SlotMap& current, const std::vector<PortConfig>& ports);

// Slots in `next` that its port did not hold in `current`: their counters
// may be a removed port's, so they are zeroed before use.
std::vector<uint32_t> FreshSlots(const SlotMap& current, const SlotMap& next);

// The map value: protected, engaged when the mode says always or (auto)
// when the detector says so; never is never engaged.
sg_port PortEntry(const PortConfig& p, uint32_t slot, bool detector_engaged);

// What a reload writes into one interface's ports map: every port of
// `next` (engaged as engaged(port) says, and never while the interface's
// TC handoff is down), then an empty entry for each port of `current` that
// `next` drops.
std::vector<std::pair<uint16_t, sg_port>> PortWrites(const std::vector<PortConfig>& current,
                                                     const std::vector<PortConfig>& next,
                                                     const SlotMap& slots,
                                                     const std::function<bool(uint16_t)>& engaged,
                                                     bool handoff_down);

}  // namespace sg
