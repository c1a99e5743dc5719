// Rotates the cookie secrets on a wall-clock schedule and publishes them to
// the secrets map (struct sg_secrets, include/synguard/layout.h).
//
// Generations are epochs: generation e = floor(now / interval) starts at
// e * interval, and its key sits in slot e & 1, which is the key bit a cookie
// carries. At a rotation the previous key stays valid for `grace` after the
// rotation time (expires_ns = e * interval + grace), so a handshake in flight
// keeps working; grace <= interval guarantees that the slot the next key
// overwrites has expired by then. With a fleet key every host computes the
// same keys, slots and deadlines for the same time.
//
// A rotation is published in two writes, because a reader may see a map
// update half done: first the new key into the idle slot (current and the
// current key untouched), then the flip of `current` together with the old
// key's deadline. A torn read of either write still yields a usable key.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "secrets/secret_source.h"
#include "synguard/shared.h"
#include "util/clock.h"
#include "util/result.h"

namespace sg {

struct RotationSchedule {
  std::chrono::seconds interval{3600};
  // How long the previous key stays valid after a rotation; <= interval.
  std::chrono::seconds grace{180};
};

// Writes one state to the secrets map (Datapath::WriteSecrets in the daemon).
using PublishSecrets = std::function<Status(const sg_secrets&)>;

// What a rotation did, for the log and the metrics (no key material).
struct Rotation {
  uint64_t generation = 0;
  uint64_t at_ns = 0;  // the scheduled rotation time, generation * interval
  uint32_t slot = 0;
};

class SecretRotator {
 public:
  // clock and source must outlive the rotator.
  SecretRotator(const Clock& clock, SecretSource& source, const RotationSchedule& schedule);

  // Publishes the first state, in one write (nothing reads the map yet): the
  // current generation's key and, for a fleet key, the previous generation's
  // key while its grace lasts, so a restart keeps the fleet's cookies valid.
  Status Start(const PublishSecrets& publish);

  // Like Start(), but carries on from `previous`, the state a previous run
  // (or a reload) left in the map, so that cookies it issued stay valid:
  //  - previous current key in this generation's slot: kept as the current
  //    key (a random source), or replaced by the derived one (a fleet key,
  //    which then equals it unless the key file changed);
  //  - in the other slot: kept there for `grace` from this generation's
  //    start, as a rotation would, and the new key becomes current.
  // An empty or expired previous state is a plain Start().
  Status Resume(const sg_secrets& previous, const PublishSecrets& publish);

  // Rotates if a rotation is due (two writes each). After a long sleep the
  // last skipped generations are stepped through, so that the key left in
  // grace is the previous epoch's. If a write fails nothing is committed: the next call
  // retries. A wall clock that steps back keeps the current keys.
  Result<std::optional<Rotation>> Tick(const PublishSecrets& publish);

  // The state last published. Holds key material: never log it.
  const sg_secrets& state() const { return state_; }
  uint64_t generation() const { return generation_; }
  bool started() const { return started_; }
  // When Tick() rotates next, wall-clock ns.
  uint64_t next_rotation_ns() const { return (generation_ + 1) * interval_ns_; }
  // Age of the current key, for the secret-age metric.
  uint64_t current_key_age_ns() const;

 private:
  uint64_t EpochOf(uint64_t now_ns) const { return now_ns / interval_ns_; }
  // When the key that gen replaces stops being accepted.
  uint64_t GraceEndOf(uint64_t gen) const { return gen * interval_ns_ + grace_ns_; }
  // Makes gen's key the current one in s (slot gen & 1, no expiry); the
  // other slot is left as it is.
  Status PutCurrentKey(uint64_t gen, sg_secrets& s);
  // Rotates from generation_ to gen, whose slot (gen & 1) must be the idle one.
  Status RotateTo(uint64_t gen, const PublishSecrets& publish);
  Status PublishAndCommit(sg_secrets& s, uint64_t gen, const PublishSecrets& publish,
                          const char* what);

  const Clock& clock_;
  SecretSource& source_;
  uint64_t interval_ns_;
  uint64_t grace_ns_;
  sg_secrets state_{};
  uint64_t generation_ = 0;
  bool started_ = false;
};

}  // namespace sg
