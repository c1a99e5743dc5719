#include "control/tc_filter_watch.h"

#include <algorithm>

namespace sg {

void TcFilterWatch::Attached() {
  next_try_ns_ = 0;
  fail_retry_ns_ = kFirstRetryNs;
  failing_ = false;
  unknown_ = false;
  loss_seen_ = false;
}

TcFilterWatch::Action TcFilterWatch::Update(const TcSample& s, uint64_t now_ns) {
  unknown_ = s.state == TcSample::State::kUnknown;
  switch (s.state) {
    case TcSample::State::kUnknown:
      // Not knowing is no reason to touch the hook; the interface watch
      // sees a device that went.
      return Action::kNone;
    case TcSample::State::kOurs:
      // In place again (someone put it back): a failure's backoff ends. A
      // fight's does not: it ends when the filter stays (Repaired()).
      loss_seen_ = false;
      if (failing_) {
        failing_ = false;
        fail_retry_ns_ = kFirstRetryNs;
        next_try_ns_ = 0;
      }
      return Action::kNone;
    case TcSample::State::kGone:
    case TcSample::State::kReplaced:
      break;
  }
  if (!loss_seen_) {
    // When the loss is first seen, not when it is repaired: a repair held
    // back for a fight comes late by design.
    loss_seen_ = true;
    loss_quick_ = have_repair_ && now_ns - last_repair_ns_ < kFightWindowNs;
  }
  if (now_ns < next_try_ns_) return Action::kNone;
  return Action::kRepair;
}

uint64_t TcFilterWatch::Repaired(uint64_t now_ns) {
  ++repairs_;
  failing_ = false;
  fail_retry_ns_ = kFirstRetryNs;
  const bool quick = loss_seen_ && loss_quick_;
  loss_seen_ = false;
  quick_repairs_ = quick ? quick_repairs_ + 1 : 1;
  if (!quick) fight_retry_ns_ = kFirstRetryNs;
  last_repair_ns_ = now_ns;
  have_repair_ = true;
  if (quick_repairs_ < kFreeRepairs) {
    next_try_ns_ = 0;
    return 0;
  }
  const uint64_t wait = fight_retry_ns_;
  next_try_ns_ = now_ns + wait;
  fight_retry_ns_ = std::min(fight_retry_ns_ * 2, kMaxRetryNs);
  return wait;
}

uint64_t TcFilterWatch::AttemptFailed(uint64_t now_ns) {
  failing_ = true;
  const uint64_t wait = fail_retry_ns_;
  next_try_ns_ = now_ns + wait;
  fail_retry_ns_ = std::min(fail_retry_ns_ * 2, kMaxRetryNs);
  return wait;
}

std::string TcFindingText(const std::string& ifname, const TcSample& found) {
  const std::string what = "synguard's TC filter on " + ifname;
  switch (found.state) {
    case TcSample::State::kReplaced:
      return what + " was replaced by something else with another program (id " +
             std::to_string(found.prog_id) + ")";
    case TcSample::State::kGone:
      return what + " was removed by something else";
    case TcSample::State::kOurs:
      return what + " is in place";
    case TcSample::State::kUnknown:
      return what + " cannot be checked (" + found.error + ")";
  }
  return what;
}

std::string TcRepairLine(const std::string& ifname, const TcSample& found, bool qdisc_created) {
  const std::string what = "synguard's TC filter on " + ifname;
  if (found.state == TcSample::State::kReplaced)
    return TcFindingText(ifname, found) + " (tc filter replace?); attached ours again";
  // The query cannot tell a deleted filter from a deleted qdisc; creating
  // the hook again can.
  if (qdisc_created)
    return what +
           " was removed with its clsact qdisc by something else (tc qdisc del?); created the "
           "qdisc and attached the filter again";
  return what + " was removed by something else (tc filter del?); attached again";
}

}  // namespace sg
