// What the running daemon tells the world about itself: the metrics
// snapshot (copied by the scrape thread), the state file `synguard status`
// reads, and systemd's READY/STATUS lines. It reads the daemon's ports and
// interfaces (references valid for the daemon's life) and owns the rest.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "control/port_engagement.h"
#include "control/port_table.h"
#include "metrics/snapshot.h"
#include "service/interface_set.h"
#include "system/notifier.h"
#include "system/state_file.h"

namespace sg {

class StatusPublisher {
 public:
  struct Live {
    const Config& config;
    const SlotMap& slots;
    const PortRuntimes& ports;
    const InterfaceSet& interfaces;
  };
  // What the state file says about the secrets and a crash, from the
  // daemon's parts that own them.
  struct Extras {
    std::string secret_source;
    double secret_since_unix = 0;  // 0: not started
    bool crash_keeps_protecting = false;
    std::string crash_note;
  };

  explicit StatusPublisher(Live live) : live_(live) {}

  // "protecting 80,443 on eth0 (native, reqsk); 1 port engaged".
  std::string StatusLine() const;
  // The ports and interfaces into the snapshot, the counters kept.
  void RefreshSnapshot();
  // The state file, if there is a path (a namespace inode to name it by).
  void WriteState(const Extras& extras);
  void RemoveStateFile();
  void set_state_path(std::string path) { state_path_ = std::move(path); }

  std::shared_ptr<SnapshotBox> snapshot() const { return snapshot_; }
  DaemonState& state() { return state_; }
  Notifier& notifier() { return notifier_; }

 private:
  Live live_;
  std::shared_ptr<SnapshotBox> snapshot_ = std::make_shared<SnapshotBox>();
  std::string state_path_;
  DaemonState state_;
  Notifier notifier_;
};

}  // namespace sg
