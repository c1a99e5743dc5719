// The protected ports at run time: each port's config, its attack detector
// (engage: auto), its SYN counter baseline and whether cookies are engaged
// on it. Pure: the caller reads the counters and the listener queues, this
// decides; the daemon writes the result into every interface's ports map.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "config/config.h"
#include "detector/attack_detector.h"

namespace sg {

struct PortRuntime {
  PortConfig config;
  std::optional<AttackDetector> detector;  // engage: auto only
  uint64_t last_syn = 0;                   // the SYN counter at the last tick
  bool have_last = false;
  bool engaged = false;
};

using PortRuntimes = std::map<uint16_t, PortRuntime>;

// The runtime of `ports`, carrying over what `current` knows: a port whose
// mode and thresholds did not change keeps its detector (its engaged state
// and its SYN baseline); any port keeps its SYN baseline.
PortRuntimes BuildPortRuntimes(const PortRuntimes& current, const std::vector<PortConfig>& ports);

// What one tick reads for a port: its SYN counter summed over interfaces
// and CPUs, and its listeners' queue fills (0..1) from the last scan.
struct PortTraffic {
  uint64_t syn_total = 0;
  double accept_fill = 0;
  double syn_recv_fill = 0;
};

// One tick: each port's SYNs since the last tick go to its detector; the
// ports whose engaged state changed are returned (and updated in `ports`).
std::vector<EngageEvent> DetectEngagement(PortRuntimes& ports, uint64_t now_ns,
                                          const std::function<PortTraffic(uint16_t)>& traffic);

size_t EngagedCount(const PortRuntimes& ports);

}  // namespace sg
