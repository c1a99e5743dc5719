// A wall clock behind an interface, so that schedules (secret rotation) can
// be tested with a fake one.
#pragma once

#include <time.h>

#include <cstdint>

namespace sg {

// Nanoseconds on one of the kernel's clocks: the one reader every part uses.
inline uint64_t ClockNs(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}
// CLOCK_MONOTONIC: intervals, deadlines, backoffs (never jumps).
inline uint64_t MonotonicNs() { return ClockNs(CLOCK_MONOTONIC); }

class Clock {
 public:
  virtual ~Clock() = default;
  // Nanoseconds since the Unix epoch.
  virtual uint64_t NowNs() const = 0;
};

// CLOCK_REALTIME: the clock the BPF programs see (ktime + clock_offset_ns), and
// the one every host of a fleet agrees on through NTP.
class RealtimeClock : public Clock {
 public:
  uint64_t NowNs() const override { return ClockNs(CLOCK_REALTIME); }
};

}  // namespace sg
