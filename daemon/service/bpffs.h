// Where this instance pins its objects: <pin_dir>/<netns inode>/<ifname>/,
// so that two daemons in two network namespaces never share (or remove)
// each other's pins. Mounts bpffs at /sys/fs/bpf when it is missing:
// `ip netns exec` remounts /sys in a private mount namespace, which hides
// the host's bpffs (pins made there then live only as long as that mount
// namespace, so a restart cannot take them over).
#pragma once

#include <cstdint>
#include <string>

#include "util/result.h"

namespace sg {

// Inode of this process's network namespace (/proc/self/ns/net).
Result<uint64_t> NetnsInode();

// True if path is on a BPF filesystem.
bool OnBpffs(const std::string& path);

// Makes <pin_dir>/<netns inode> (mounting bpffs at /sys/fs/bpf if pin_dir
// is below it and it is not mounted) and returns it. An error means: run
// unpinned (the caller warns).
Result<std::string> PreparePinRoot(const std::string& pin_dir);

// <pin_dir>/<netns inode>, without creating anything (for `status`).
Result<std::string> PinRootFor(const std::string& pin_dir);

// mkdir -p with mode 0700.
Status MakeDirs(const std::string& path);

}  // namespace sg
