// `synguard status`: what the synguard of this network namespace does, read
// from its pinned maps and links (live counters, engaged ports) and its
// state file (attach choices, secret age). Never shows key material.
#pragma once

#include <string>

#include "system/state_file.h"

namespace sg {

struct StatusOptions {
  bool json = false;
  std::string pin_dir = "/sys/fs/bpf/synguard";
  std::string state_dir = kDefaultStateDir;
};

// 0 when a synguard is found (running or left pinned), 1 when none is.
int StatusCommand(const StatusOptions& opts);

}  // namespace sg
