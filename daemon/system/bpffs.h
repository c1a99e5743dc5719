// Where this instance pins its objects: <pin_dir>/<netns inode>/<ifname>/,
// so that two daemons in two network namespaces never share (or remove)
// each other's pins. Mounts bpffs at /sys/fs/bpf when it is missing:
// `ip netns exec` remounts /sys in a private mount namespace, which hides
// the host's bpffs (pins made there then live only as long as that mount
// namespace, so a restart cannot take them over).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace sg {

// Inode of this process's network namespace (/proc/self/ns/net).
Result<uint64_t> NetnsInode();

// True if path is on a BPF filesystem.
bool OnBpffs(const std::string& path);

struct PinRoot {
  std::string path;                  // <pin_dir>/<netns inode>
  std::vector<std::string> created;  // directories made for it, outermost first
  bool mounted_here = false;         // synguard mounted the bpffs at /sys/fs/bpf
};

// Makes <pin_dir>/<netns inode> (mounting bpffs at /sys/fs/bpf if pin_dir
// is below it and it is not mounted) and returns it. An error means: run
// unpinned (the caller warns); then nothing was created: a pin_dir that is
// not on a bpffs is refused before any directory is made.
Result<PinRoot> PreparePinRoot(const std::string& pin_dir);

// Removes the directories PreparePinRoot made, innermost first, each only
// if empty (another namespace's synguard may pin below the same pin_dir).
void RemoveCreatedDirs(const PinRoot& root);

// Whether pins under `root` outlive this process. A bpffs that synguard
// mounted itself inside a mount namespace of its own (`ip netns exec`
// remounts /sys privately) is gone with the last process in that
// namespace: its pinned XDP link goes with it, and a crash detaches the
// program whatever on_crash says. `proc`: /proc (a test's stand-in).
struct PinLifetime {
  bool survives = true;
  std::string reason;  // why not, for the log and status
};
PinLifetime PinsOutliveProcess(const PinRoot& root, const std::string& proc = "/proc");

// <pin_dir>/<netns inode>, without creating anything (for `status`).
Result<std::string> PinRootFor(const std::string& pin_dir);

// The first of `paths` this process may not search (EACCES/EPERM), if any:
// `synguard status` run by a user who cannot read the state and pins must
// say so, not that no synguard runs.
std::optional<std::string> FirstDenied(const std::vector<std::string>& paths);

// mkdir -p with mode 0700.
Status MakeDirs(const std::string& path);

}  // namespace sg
