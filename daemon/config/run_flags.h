// `synguard run` flags and how they combine with the config file: a flag
// given on the command line overrides the file's value; without -c the
// flags alone make the config (the original flag mode, kept for scripts
// and the integration lab).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "util/result.h"

namespace sg {

struct RunFlags {
  std::string config_file;              // -c; empty: flags only
  std::vector<std::string> interfaces;  // -i (repeatable)
  std::vector<uint16_t> ports;          // -p (repeatable)
  std::optional<EngageMode> engage;
  std::optional<HandoffMode> handoff;
  std::optional<XdpMode> xdp_mode;
  std::optional<std::string> metrics_listen;
  std::optional<uint32_t> cookie_max_age;
  std::optional<uint8_t> ttl;
  std::optional<std::string> pin_dir;
  bool dry_run = false;
};

// The config `run` uses: the file (if any) with the flags laid over it,
// validated as a whole (the file's cross-key rules hold after the flags).
// Without a file, interfaces and ports are required and everything else,
// the sysctl profile included, is the config's default.
// Errors are the operator's mistakes (exit code 2).
Result<Config> ResolveRunConfig(const RunFlags& flags);

// The same without reading a file: `file` is the parsed file, or nullopt.
Result<Config> MergeRunFlags(std::optional<Config> file, const RunFlags& flags);

}  // namespace sg
