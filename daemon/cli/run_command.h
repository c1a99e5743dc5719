// `synguard run`: load, attach, protect, and detach on SIGTERM/SIGINT.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datapath/bpf_config.h"
#include "datapath/datapath.h"

namespace sg {

enum class EngageMode { kAlways, kAuto, kNever };

struct RunOptions {
  std::string interface;
  std::vector<uint16_t> ports;
  EngageMode engage = EngageMode::kAlways;
  HandoffMode handoff = HandoffMode::kAuto;
  XdpMode xdp_mode = XdpMode::kAuto;
  std::string metrics_listen = "127.0.0.1:9479";
  CookieSettings cookies;
  std::string sysctl_root = "/proc/sys";
};

// Returns the process exit code.
int RunForeground(const RunOptions& opts);

}  // namespace sg
