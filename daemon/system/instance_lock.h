// One synguard at a time per network namespace: `synguard run` holds
// <state dir>/<netns inode>.lock for its whole life, and `synguard cleanup`
// while it undoes a dead one's changes. Two of them at once would write the
// same pins, TC filter and sysctls (a daemon restarted by systemd in the
// middle of a cleanup, say).
//
// The lock is an open-file-description lock (F_OFD_SETLK): the kernel drops
// it when the holder dies, kill -9 included, so a stale file never blocks,
// and F_OFD_GETLK asks whether it is held without taking it, so that
// `status` cannot make a daemon that starts at that moment fail. The empty
// file stays: removing a lock file races with whoever opens it next.
//
// The lock answers across PID namespaces, where the state file's pid
// means nothing; the pid check (DaemonRunning) covers a daemon that runs
// without it (an older synguard, or a state dir it could not write).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "system/state_file.h"
#include "util/result.h"
#include "util/unique_fd.h"

namespace sg {

// <state_dir>/<netns_inode>.lock
std::string InstanceLockPath(const std::string& state_dir, uint64_t netns_inode);

class InstanceLock {
 public:
  // Takes the lock at path (creating the file and its directory). Fails with
  // err() == EWOULDBLOCK when another process holds it; any other error
  // means the lock could not be used at all.
  static Result<InstanceLock> Take(const std::string& path);
  // Whether another process holds the lock at path now (a missing file: no).
  static bool HeldByOther(const std::string& path);

  InstanceLock(InstanceLock&&) = default;
  InstanceLock& operator=(InstanceLock&&) = default;

 private:
  explicit InstanceLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // the lock goes with the file description
};

// The process pid is alive and is a synguard (its command name), in the
// network namespace whose inode is netns_inode.
bool IsSynguardProcess(int64_t pid, uint64_t netns_inode, const std::string& proc = "/proc");

// A synguard runs in this network namespace: the lock is held, or the state
// file names a live synguard process here. Used by `status` and `cleanup`.
bool DaemonRunning(const std::string& state_dir, uint64_t netns_inode,
                   const std::optional<DaemonState>& state);

// What `status` and `cleanup` start from: this network namespace, the state
// file a synguard keeps in it (if any), and whether one runs here now.
struct LocalDaemon {
  uint64_t netns_inode = 0;
  std::optional<DaemonState> state;  // none: no (readable) state file
  bool running = false;
};
Result<LocalDaemon> FindLocalDaemon(const std::string& state_dir);

}  // namespace sg
