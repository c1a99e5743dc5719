// What synguard changed in one network namespace and has to put back, kept
// where a crash cannot take it: <state dir>/<netns inode>.restore.json.
//   - sysctls: every one it changed, with the value before synguard and the
//     value it set (SysctlGuard's journal, written before each first change);
//   - clsact: the interfaces whose clsact qdisc it created for the TC
//     handoff, so that whichever run finally detaches removes the qdisc too.
// A clean stop that puts everything back removes the file; a stop that
// leaves the programs pinned, and a kill -9, leave it for the next run,
// which adopts it (SysctlGuard::Adopt states the rule for sysctls).
//
// /run is a tmpfs: the record goes with a reboot, as do the values it
// guards. It also names the namespace by boot and SO_NETNS_COOKIE, not only
// by inode: the kernel reuses inodes, and a record left by a deleted
// namespace must not be applied to a new one that got the same number.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tuning/sysctl_guard.h"
#include "util/result.h"

namespace sg {

struct RestoreState {
  std::string netns_id;              // NetnsIdentity() of the writer; empty: unknown
  std::vector<SavedSysctl> sysctls;  // in the order they were first changed
  std::vector<std::string> clsact;   // interfaces whose clsact qdisc synguard created
  bool empty() const { return sysctls.empty() && clsact.empty(); }
};

// <state_dir>/<netns_inode>.restore.json
std::string RestoreRecordPath(const std::string& state_dir, uint64_t netns_inode);

// "<boot id>/<netns cookie>" of this process's network namespace; empty when
// the kernel cannot say (SO_NETNS_COOKIE needs Linux 5.14). When state_dir
// is a tmpfs (/run), which no record outlives a boot in, the boot is not
// named: a systemd sandbox (ProtectProc, a fresh /proc) and a container's
// shell (nspawn mounts its own boot_id) read different boot ids in one boot.
std::string NetnsIdentity(const std::string& state_dir = "");
// The record was written in the network namespace whose NetnsIdentity() is
// me. An identity missing on either side (an old kernel) cannot tell, and
// counts as this namespace: the inode in the file name matched already.
bool RecordedHere(const RestoreState& s, const std::string& me);

std::string RestoreToJson(const RestoreState& s);
Result<RestoreState> ParseRestore(const std::string& text, const std::string& source);

// A missing file is an empty state.
Result<RestoreState> ReadRestoreRecord(const std::string& path);
// Replaces the file atomically (util/atomic_file.h), so that a kill -9
// never leaves half a record; an empty state removes the file.
Status WriteRestoreRecord(const std::string& path, const RestoreState& s);

}  // namespace sg
