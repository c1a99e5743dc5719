// Whether a protected interface is still the device synguard attached to,
// and when to try again once it is gone. Deleting an interface takes its XDP
// program and TC filter with it (the XDP link stays open, defunct); one
// re-created under the same name is a new device with a new ifindex, bare.
// The daemon samples the kernel each tick and acts on what this says; the
// decisions are pure, so that tests feed it sequences without a kernel.
#pragma once

#include <cstdint>

namespace sg {

// What the kernel says about one interface, read once per tick.
struct LinkSample {
  uint32_t ifindex = 0;        // the name's ifindex now; 0: no such interface
  bool link_attached = false;  // our XDP link still runs on the ifindex it was attached to
};

class InterfaceWatch {
 public:
  enum class Action {
    kNone,      // nothing to do
    kLost,      // the device we attached to is gone (once per loss)
    kReattach,  // the name exists again: attach to sample.ifindex now
  };

  // Retry delays after a failed re-attach: doubled each time, up to the max,
  // so that a device that keeps refusing costs a log line a minute at most.
  static constexpr uint64_t kFirstRetryNs = 1000000000ull;
  static constexpr uint64_t kMaxRetryNs = 60000000000ull;

  // The programs now run on ifindex (at start, at a reload, after a re-attach).
  void Attached(uint32_t ifindex);
  // One tick. kLost comes once, when the ifindex we attached to is no longer
  // the name's (deleted, or deleted and re-created between two ticks) or our
  // link was detached; call Update() again in the same tick, since a device
  // that is already back gives kReattach at once.
  Action Update(const LinkSample& s, uint64_t now_ns);
  // The attempt kReattach asked for failed: the next waits; returns how long.
  // The wait starts over when the name disappears (a new device comes next).
  uint64_t AttemptFailed(uint64_t now_ns);

  bool missing() const { return missing_; }
  uint32_t attached_ifindex() const { return attached_; }  // 0 while missing
  uint32_t lost_ifindex() const { return lost_; }          // the last ifindex that went
  uint64_t losses() const { return losses_; }

 private:
  uint32_t attached_ = 0;
  uint32_t lost_ = 0;
  bool missing_ = false;
  uint64_t next_try_ns_ = 0;
  uint64_t retry_ns_ = kFirstRetryNs;
  uint64_t losses_ = 0;
};

}  // namespace sg
