// `synguard reload`: asks the synguard of this network namespace to reload
// its config (SIGHUP) and waits for the result, so that `systemctl reload`
// says whether it worked. The unit's ExecReload= runs it instead of
// /bin/kill, which comes from procps and is missing from minimal images.
#pragma once

#include <cstdint>
#include <string>

#include "system/state_file.h"

namespace sg {

struct ReloadOptions {
  int64_t pid = 0;  // 0: the pid in the state file (systemd passes $MAINPID)
  std::string state_dir = kDefaultStateDir;
  double timeout_sec = 30;
};

// 0: reloaded. 1: refused (the running config stays; the daemon's log says
// why), no synguard runs here, or no answer within the timeout.
int ReloadCommand(const ReloadOptions& opts);

}  // namespace sg
