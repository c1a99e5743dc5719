// Decides, for one port in `engage: auto`, whether the server is under a SYN
// flood: cookies engage when the SYN rate or a listener queue crosses a
// threshold and disengage only after a quiet period well below it, so a rate
// that hovers around the threshold does not make the port flap.
//
// Pure logic: the caller feeds samples (time, SYNs seen since the previous
// sample, queue fills) from the BPF per-port counters and the listener watch.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace sg {

struct DetectorThresholds {
  double syn_rate_engage = 20000;         // SYN/s at or above which cookies engage
  double syn_rate_disengage = 5000;       // SYN/s the rate must stay below to disengage
  double queue_fill_engage = 0.5;         // listener queue fill (0..1) that engages
  std::chrono::seconds quiet_period{60};  // how long it must be quiet to disengage
};

struct DetectorSample {
  uint64_t time_ns = 0;      // monotonic time of the sample
  uint64_t syn_delta = 0;    // SYNs to the port since the previous sample
  double accept_fill = 0;    // accept-queue length / listen backlog, 0..1
  double syn_recv_fill = 0;  // SYN_RECV request sockets / SYN backlog, 0..1
};

// A change of state, for the log line and the transitions counter.
struct EngageEvent {
  uint16_t port = 0;
  bool engaged = false;
  uint64_t time_ns = 0;
  double syn_rate = 0;    // SYN/s over the last sample interval
  double queue_fill = 0;  // the larger of the two fills
  std::string reason;     // plain words, e.g. "SYN rate 25000/s >= 20000/s"
};

class AttackDetector {
 public:
  AttackDetector(uint16_t port, const DetectorThresholds& t);

  // Feeds one sample; returns an event when the engaged state changes.
  std::optional<EngageEvent> Update(const DetectorSample& s);

  bool engaged() const { return engaged_; }
  uint16_t port() const { return port_; }
  double last_syn_rate() const { return last_rate_; }
  uint64_t transitions() const { return transitions_; }
  const DetectorThresholds& thresholds() const { return t_; }

 private:
  std::optional<EngageEvent> Change(bool engaged, const DetectorSample& s, double rate, double fill,
                                    std::string reason);

  uint16_t port_;
  DetectorThresholds t_;
  bool engaged_ = false;
  bool have_prev_ = false;
  uint64_t prev_time_ns_ = 0;
  // Start of the current quiet stretch while engaged; nullopt while it is loud.
  std::optional<uint64_t> quiet_since_ns_;
  double last_rate_ = 0;
  uint64_t transitions_ = 0;
};

}  // namespace sg
