// `synguard cleanup`: puts this network namespace back as it was before
// synguard, when no synguard runs here any more (killed, crash-looping,
// or stopped with leave_pinned_on_exit before an uninstall): detaches and
// unpins its programs, removes its TC filter and the clsact qdiscs it
// created, restores the sysctls on its restore record, and removes that
// record and the state file. Starts no protection. system/cleanup.h says
// what exactly, and in which order.
#pragma once

#include <string>

#include "system/state_file.h"

namespace sg {

struct CleanupOptions {
  bool dry_run = false;
  std::string pin_dir = "/sys/fs/bpf/synguard";
  std::string state_dir = kDefaultStateDir;
};

// 0: everything undone, or nothing to do (or a dry run). 1: a synguard
// runs here (nothing changed), or something could not be undone (the
// output says what is left).
int CleanupCommand(const CleanupOptions& opts);

}  // namespace sg
