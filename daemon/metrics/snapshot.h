// What the daemon knows that is not in a BPF map, handed to the collector at
// scrape time (engaged state, listener queues, rotations, reloads, attach).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sg {

struct PortSnapshot {
  uint16_t port = 0;
  uint32_t stats_slot = 0;  // index into the per-port statistics map
  bool engaged = false;
  uint64_t engage_events = 0;     // changes to engaged
  uint64_t disengage_events = 0;  // changes to not engaged
  bool listener_seen = false;     // a listener was found on the last watch
  uint64_t listen_backlog = 0;    // listen() backlog (max accept queue)
  uint64_t accept_queue = 0;      // connections waiting for accept()
  uint64_t syn_recv = 0;          // request sockets in the kernel's SYN queue
};

struct InterfaceSnapshot {
  std::string name;
  std::string xdp_mode;  // native | skb
  bool fell_back = false;
  bool attached = true;     // false: the interface is gone, synguard waits for it
  uint64_t losses = 0;      // times it went away while attached
  uint64_t tc_repairs = 0;  // reqsk: times its TC filter was removed and attached again
};

struct MetricsSnapshot {
  std::vector<PortSnapshot> ports;
  std::vector<InterfaceSnapshot> interfaces;
  std::string handoff_mode;
  uint64_t secret_rotations = 0;
  double last_rotation_unix = 0;  // seconds; 0: not rotated yet
  uint64_t reloads_ok = 0;
  uint64_t reloads_failed = 0;       // refused: nothing was written
  uint64_t reloads_rolled_back = 0;  // a write failed: what was written was undone
  bool crash_keeps_protecting = false;  // on_crash as it really holds (daemon.h)
  bool last_reload_ok = true;
  double last_reload_unix = 0;
  bool self_test_ok = false;
};

}  // namespace sg

#include <mutex>

namespace sg {

// The daemon updates it; the scrape thread copies it.
class SnapshotBox {
 public:
  MetricsSnapshot Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return snap_;
  }
  template <class F>
  void Update(F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    f(snap_);
  }

 private:
  mutable std::mutex mu_;
  MetricsSnapshot snap_;
};

}  // namespace sg
