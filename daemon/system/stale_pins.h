// Pins left by runs whose network namespace is gone. A SIGKILLed daemon in a
// namespace that was then deleted leaves maps (kernel memory) under
// <pin_dir>/<netns inode>/, and the kernel reuses namespace inodes: a later
// namespace would find and reuse those maps, ports and all. Removed at start.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "util/result.h"

namespace sg {

// Inodes of the network namespaces alive now: those of every process and of
// the bind mounts under /run/netns. Namespaces we cannot see stay unknown,
// and their pins are kept.
std::set<uint64_t> LiveNetnsInodes(const std::string& proc = "/proc",
                                   const std::string& run_netns = "/run/netns");

// Removes <pin_dir>/<inode>/ trees and <state_dir>/<inode>.json,
// <inode>.restore.json and <inode>.lock files whose inode is not in live;
// returns what it removed, for the log.
// Removes a pin directory and everything in it (pins are files, maps and
// links, in at most two levels of directories). Unpinning drops the pin's
// reference: a map or link nothing else holds is freed. Goes on past a
// failure; the error names the first path that could not be removed.
Status RemovePinTree(const std::string& path);

std::vector<std::string> PruneStalePins(const std::string& pin_dir, const std::string& state_dir,
                                        const std::set<uint64_t>& live);

}  // namespace sg
