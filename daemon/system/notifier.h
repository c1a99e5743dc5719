// systemd's notify protocol (Type=notify): READY once protecting,
// RELOADING around a SIGHUP, STATUS lines, and the watchdog heartbeat.
// Every call is a no-op when not started by systemd (no NOTIFY_SOCKET).
#pragma once

#include <cstdint>
#include <string>

namespace sg {

class Notifier {
 public:
  Notifier();
  void Ready(const std::string& status);
  void Reloading();
  void Status(const std::string& status);
  void Stopping();
  // Sends WATCHDOG=1 when systemd asked for it (WatchdogSec=).
  void Watchdog();
  // Half the watchdog interval, or 0 when there is no watchdog.
  uint64_t watchdog_interval_us() const { return watchdog_us_ / 2; }

 private:
  uint64_t watchdog_us_ = 0;
};

}  // namespace sg
