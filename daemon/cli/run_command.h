// `synguard run`: resolve the config (file and flags), then run the daemon
// (service/daemon.h) until SIGTERM/SIGINT.
#pragma once

#include "config/run_flags.h"

namespace sg {

// Returns the process exit code: 0, 1 (runtime failure) or 2 (bad config).
int RunCommand(const RunFlags& flags);

}  // namespace sg
