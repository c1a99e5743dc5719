// The daemon's configuration (/etc/synguard/synguard.yaml): what it protects
// and how. LoadConfig validates everything it can without touching the
// system, so that `synguard check-config` and a SIGHUP reload refuse a bad
// file before anything changes. Errors name the file, line, key and problem:
//   /etc/synguard/synguard.yaml:12: ports[1].engage: must be one of always,
//   auto, never (got "sometimes")
// deploy/synguard.yaml documents every key.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/cidr.h"
#include "config/listen_address.h"
#include "config/bpf_config.h"
#include "config/modes.h"
#include "detector/attack_detector.h"
#include "secrets/secret_rotator.h"
#include "tuning/sysctl_profile.h"
#include "util/result.h"

namespace sg {

struct PortConfig {
  uint16_t port = 0;
  EngageMode engage = EngageMode::kAuto;
  DetectorThresholds thresholds;  // used with engage: auto
};

struct SecretsConfig {
  using Source = SecretsSource;
  Source source = Source::kRandom;
  std::string key_file;  // with kKeyFile: the fleet key (secrets/fleet_key.h)
  RotationSchedule rotation;
};

struct Config {
  std::string source;  // the file it came from, for messages
  std::vector<std::string> interfaces;
  std::vector<PortConfig> ports;
  std::vector<Cidr> allowlist;  // SYNs from these pass to the kernel, never cookied
  std::vector<Cidr> denylist;   // SYNs from these to protected ports are dropped, engaged or not
  CookieSettings cookies;
  SecretsConfig secrets;
  HandoffMode handoff = HandoffMode::kAuto;
  XdpMode xdp_mode = XdpMode::kAuto;
  SysctlProfile sysctl;
  ListenAddress metrics_listen;
  std::string pin_dir = "/sys/fs/bpf/synguard";
  bool leave_pinned_on_exit = false;
  OnInterfaceLoss on_interface_loss = OnInterfaceLoss::kWait;
  OnCrash on_crash = OnCrash::kKeepProtecting;
};

// Reads and validates a config file.
Result<Config> LoadConfig(const std::string& path);
// Validates config text; `name` stands for the file in messages.
Result<Config> ParseConfig(const std::string& text, const std::string& name);

// A human summary of what the config does, for `synguard check-config`.
// Names the fleet key file, never its contents.
std::string Explain(const Config& config);

}  // namespace sg
