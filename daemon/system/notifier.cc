#include "system/notifier.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include "util/clock.h"

namespace sg {

Notifier::Notifier() {
  uint64_t us = 0;
  if (sd_watchdog_enabled(0, &us) > 0) watchdog_us_ = us;
}

void Notifier::Ready(const std::string& status) {
  sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str());
}

void Notifier::Reloading() {
  // MONOTONIC_USEC lets systemd (Type=notify-reload) match this to the reload.
  sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu", static_cast<unsigned long long>(MonotonicNs() / 1000));
}

void Notifier::Status(const std::string& status) { sd_notifyf(0, "STATUS=%s", status.c_str()); }

void Notifier::Stopping() { sd_notify(0, "STOPPING=1"); }

void Notifier::Watchdog() {
  if (watchdog_us_) sd_notify(0, "WATCHDOG=1");
}

}  // namespace sg
