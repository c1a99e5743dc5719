// What `synguard status` needs that the pinned maps do not say: the attach
// mode chosen and why, the handoff, the ports and how they engage, when the
// current secret started (never the secret). Written by the running daemon
// to <state dir>/<netns inode>.json (a regular file: bpffs holds only BPF
// objects), atomically, and removed on exit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace sg {

inline constexpr const char* kDefaultStateDir = "/run/synguard";

struct InterfaceState {
  std::string name;
  std::string xdp_mode;  // native | skb
  bool fell_back = false;
  bool took_over = false;  // the previous run's pinned link was reused
  std::string pin_dir;     // empty: unpinned
  bool missing = false;    // gone; the daemon waits for it (on_interface_loss: wait)
};

struct PortState {
  uint16_t port = 0;
  std::string engage;  // always | auto | never
};

// A kernel feature the daemon probed at start (datapath/probe.h).
struct FeatureState {
  std::string name;
  bool available = false;
  std::string fallback;  // what synguard does without it
};

struct DaemonState {
  int64_t pid = 0;
  std::string version;
  std::string config;  // the file, or "command line"
  std::string handoff;
  std::string secret_source;  // "random (getrandom)", "fleet key file /etc/..."
  double started_unix = 0;
  double secret_since_unix = 0;  // when the current key became current
  uint64_t secret_rotations = 0;
  bool self_test_ok = false;
  bool leave_pinned_on_exit = false;
  std::string on_crash;  // keep_protecting | fail_open
  // What a crash really does here: on_crash, unless the pins die with the
  // process (system/bpffs.h PinsOutliveProcess) or there are none.
  bool crash_keeps_protecting = false;
  std::string crash_note;  // why a crash detaches although on_crash says otherwise
  uint64_t reloads_ok = 0;
  uint64_t reloads_failed = 0;
  std::vector<InterfaceState> interfaces;
  std::vector<PortState> ports;
  std::string kernel_release;
  std::vector<FeatureState> features;
};

std::string StateToJson(const DaemonState& s);
Result<DaemonState> ParseState(const std::string& text, const std::string& source);

std::string StateFilePath(const std::string& dir, uint64_t netns_inode);
// Replaces the file atomically (util/atomic_file.h), making its directory.
Status WriteStateFile(const std::string& path, const DaemonState& s);
Result<DaemonState> ReadStateFile(const std::string& path);

}  // namespace sg
