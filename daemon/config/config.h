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

// When cookies answer SYNs to a port.
enum class EngageMode { kAlways, kAuto, kNever };

struct PortConfig {
  uint16_t port = 0;
  EngageMode engage = EngageMode::kAuto;
  DetectorThresholds thresholds;  // used with engage: auto
};

// What a crash of the daemon (kill -9, OOM, a bug) leaves on the interfaces.
enum class OnCrash {
  // The XDP link is pinned while running: the program outlives the process
  // and keeps answering SYNs; a restart takes it over without a gap.
  kKeepProtecting,
  // The link is held by the process only: it dies with it, and the kernel
  // answers SYNs again. leave_pinned_on_exit still pins it at a clean stop.
  kFailOpen,
};

// What the daemon does when a protected interface disappears while attached
// (deleted, or deleted and re-created: either way its XDP program and TC
// filter go with the device).
enum class OnInterfaceLoss {
  // Log it once, keep the maps (ports, secrets, counters), and attach again
  // when an interface of that name appears; the other interfaces go on.
  kWait,
  // Log it and stop as on SIGTERM, with exit code 3 (kExitInterfaceLost),
  // for a supervisor to act on.
  kExit,
};

struct SecretsConfig {
  enum class Source { kRandom, kKeyFile };
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

const char* ToString(EngageMode m);
const char* ToString(OnInterfaceLoss m);
const char* ToString(OnCrash m);

}  // namespace sg
