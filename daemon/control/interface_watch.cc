#include "control/interface_watch.h"

#include <algorithm>

namespace sg {

void InterfaceWatch::Attached(uint32_t ifindex) {
  attached_ = ifindex;
  missing_ = false;
  next_try_ns_ = 0;
  retry_ns_ = kFirstRetryNs;
}

InterfaceWatch::Action InterfaceWatch::Update(const LinkSample& s, uint64_t now_ns) {
  if (!missing_) {
    // Never attached (still starting): nothing to watch yet.
    if (attached_ == 0) return Action::kNone;
    if (s.ifindex == attached_ && s.link_attached) return Action::kNone;
    lost_ = attached_;
    attached_ = 0;
    missing_ = true;
    next_try_ns_ = 0;  // a device already back is attached in this tick
    retry_ns_ = kFirstRetryNs;
    ++losses_;
    return Action::kLost;
  }
  if (s.ifindex == 0) {
    // The device that kept failing is gone: the next one is tried at once.
    next_try_ns_ = 0;
    retry_ns_ = kFirstRetryNs;
    return Action::kNone;
  }
  if (now_ns < next_try_ns_) return Action::kNone;
  return Action::kReattach;
}

uint64_t InterfaceWatch::AttemptFailed(uint64_t now_ns) {
  missing_ = true;
  attached_ = 0;
  const uint64_t wait = retry_ns_;
  next_try_ns_ = now_ns + wait;
  retry_ns_ = std::min(retry_ns_ * 2, kMaxRetryNs);
  return wait;
}

}  // namespace sg
