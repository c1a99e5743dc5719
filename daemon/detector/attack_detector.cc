#include "detector/attack_detector.h"

#include <algorithm>
#include <cstdio>

namespace sg {

namespace {

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f", v);
  return buf;
}

std::string Percent(double fill) { return Num(fill * 100) + "%"; }

}  // namespace

AttackDetector::AttackDetector(uint16_t port, const DetectorThresholds& t) : port_(port), t_(t) {}

std::optional<EngageEvent> AttackDetector::Update(const DetectorSample& s) {
  // The first sample, or a clock that did not advance, gives no rate: judge
  // by the queues alone and keep the counter baseline.
  double rate = 0;
  bool have_rate = have_prev_ && s.time_ns > prev_time_ns_;
  if (have_rate) rate = static_cast<double>(s.syn_delta) * 1e9 / (s.time_ns - prev_time_ns_);
  const uint64_t interval_start = have_rate ? prev_time_ns_ : s.time_ns;
  if (!have_prev_ || s.time_ns > prev_time_ns_) {
    prev_time_ns_ = s.time_ns;
    have_prev_ = true;
  }
  if (have_rate) last_rate_ = rate;
  const double fill = std::max(s.accept_fill, s.syn_recv_fill);

  if (!engaged_) {
    if (have_rate && rate >= t_.syn_rate_engage)
      return Change(true, s, rate, fill,
                    "SYN rate " + Num(rate) + "/s >= " + Num(t_.syn_rate_engage) + "/s");
    if (fill >= t_.queue_fill_engage)
      return Change(
          true, s, rate, fill,
          "listener queue " + Percent(fill) + " full >= " + Percent(t_.queue_fill_engage));
    return std::nullopt;
  }

  // Engaged: quiet means well below both engage thresholds, not merely below
  // them; the gap between the two is what stops flapping.
  const bool quiet =
      (!have_rate || rate < t_.syn_rate_disengage) && fill < t_.queue_fill_engage / 2;
  if (!quiet) {
    quiet_since_ns_.reset();
    return std::nullopt;
  }
  // The rate covers the interval since the previous sample, so the quiet
  // stretch began when that interval began.
  if (!quiet_since_ns_) quiet_since_ns_ = interval_start;
  const uint64_t quiet_ns = s.time_ns - *quiet_since_ns_;
  const uint64_t need_ns = static_cast<uint64_t>(std::chrono::nanoseconds(t_.quiet_period).count());
  if (quiet_ns < need_ns) return std::nullopt;
  return Change(false, s, rate, fill,
                "quiet for " + Num(quiet_ns / 1e9) + " s: SYN rate " + Num(rate) + "/s < " +
                    Num(t_.syn_rate_disengage) + "/s and listener queue " + Percent(fill) +
                    " full < " + Percent(t_.queue_fill_engage / 2));
}

std::optional<EngageEvent> AttackDetector::Change(bool engaged, const DetectorSample& s,
                                                  double rate, double fill, std::string reason) {
  engaged_ = engaged;
  quiet_since_ns_.reset();
  ++transitions_;
  return EngageEvent{.port = port_,
                     .engaged = engaged,
                     .time_ns = s.time_ns,
                     .syn_rate = rate,
                     .queue_fill = fill,
                     .reason = std::move(reason)};
}

}  // namespace sg
