#include "cli/run_command.h"

#include "service/daemon.h"

namespace sg {

int RunCommand(const RunFlags& flags) {
  DaemonOptions opts;
  opts.flags = flags;
  return RunDaemon(opts);
}

}  // namespace sg
