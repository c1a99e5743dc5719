// When the daemon's loop runs its 1-second tick: a fixed cadence on the
// monotonic clock that neither drifts (the next tick is one period after the
// last one was due, not after it ran) nor bursts (after a stall, such as a
// suspended VM or a slow reload, it starts afresh instead of catching up).
#pragma once

#include <cstdint>

namespace sg {

class TickSchedule {
 public:
  static constexpr uint64_t kPeriodNs = 1000000000ull;

  explicit TickSchedule(uint64_t now_ns, uint64_t period_ns = kPeriodNs)
      : period_ns_(period_ns), next_ns_(now_ns + period_ns) {}

  // How long poll() may wait for events before the tick is due (>= 0).
  int WaitMs(uint64_t now_ns) const {
    return now_ns >= next_ns_ ? 0 : static_cast<int>((next_ns_ - now_ns) / 1000000);
  }
  bool Due(uint64_t now_ns) const { return now_ns >= next_ns_; }
  // The tick ran; `now_ns` is the time after it.
  void Ran(uint64_t now_ns) {
    next_ns_ += period_ns_;
    if (next_ns_ < now_ns) next_ns_ = now_ns + period_ns_;
  }
  uint64_t next_ns() const { return next_ns_; }

 private:
  uint64_t period_ns_;
  uint64_t next_ns_;
};

}  // namespace sg
