#include "secrets/secret_rotator.h"

#include <cstring>

namespace sg {

namespace {

constexpr uint64_t kNoExpiry = ~0ull;

uint64_t Ns(std::chrono::seconds s) {
  return static_cast<uint64_t>(std::chrono::nanoseconds(s).count());
}

// Overwrites key material before the memory is reused.
void Wipe(sg_secrets& s) {
  volatile uint8_t* p = reinterpret_cast<volatile uint8_t*>(&s);
  for (size_t i = 0; i < sizeof(s); ++i) p[i] = 0;
}

}  // namespace

SecretRotator::SecretRotator(const Clock& clock, SecretSource& source,
                             const RotationSchedule& schedule)
    : clock_(clock),
      source_(source),
      // A zero interval would divide by zero; the config refuses it, this guards.
      interval_ns_(Ns(schedule.interval) ? Ns(schedule.interval) : 1000000000ull),
      grace_ns_(Ns(schedule.grace)) {}

uint64_t SecretRotator::current_key_age_ns() const {
  uint64_t now = clock_.NowNs(), start = generation_ * interval_ns_;
  return now > start ? now - start : 0;
}

// Publishes s; only once the map holds it does s become the rotator's state
// (a failed publish commits nothing, and the next Tick retries). Secrets on
// the stack are wiped either way.
Status SecretRotator::PublishAndCommit(sg_secrets& s, uint64_t gen, const PublishSecrets& publish,
                                       const char* what) {
  Status st = publish(s);
  if (st) {
    Wipe(state_);
    state_ = s;
    generation_ = gen;
    started_ = true;
  }
  Wipe(s);
  if (!st) return st.take_error().Context(what);
  return Ok();
}

Status SecretRotator::PutCurrentKey(uint64_t gen, sg_secrets& s) {
  Result<sg_secret> key = source_.KeyFor(gen);
  if (!key) return key.take_error();
  s.current = gen & 1;
  s.key[gen & 1] = *key;
  s.key[gen & 1].expires_ns = kNoExpiry;
  return Ok();
}

Status SecretRotator::Start(const PublishSecrets& publish) {
  const uint64_t now = clock_.NowNs();
  const uint64_t gen = EpochOf(now);
  sg_secrets s{};
  if (Status st = PutCurrentKey(gen, s); !st)
    return st.take_error().Context("make the first cookie secret");
  // The previous epoch's key matters only when other hosts (or our previous
  // run) issued cookies with it: a fleet key yields the same key again, a
  // random source would yield a useless new one.
  const uint64_t prev_expires = GraceEndOf(gen);
  if (gen > 0 && prev_expires > now && source_.deterministic()) {
    Result<sg_secret> prev = source_.KeyFor(gen - 1);
    if (!prev) return prev.take_error().Context("derive the previous cookie secret");
    s.key[(gen - 1) & 1] = *prev;
    s.key[(gen - 1) & 1].expires_ns = prev_expires;
  }
  return PublishAndCommit(s, gen, publish, "publish the first cookie secret");
}

Status SecretRotator::Resume(const sg_secrets& previous, const PublishSecrets& publish) {
  const uint64_t now = clock_.NowNs();
  const uint64_t gen = EpochOf(now);
  const uint32_t prev_slot = previous.current;
  const bool usable = prev_slot < 2 && previous.key[prev_slot].expires_ns > now &&
                      (previous.key[prev_slot].k0 | previous.key[prev_slot].k1) != 0;
  if (!usable) return Start(publish);
  if (prev_slot == (gen & 1)) {
    if (source_.deterministic()) return Start(publish);
    // Same slot as this generation's: the old key simply stays current.
    sg_secrets s = previous;
    s.key[prev_slot].expires_ns = kNoExpiry;
    return PublishAndCommit(s, gen, publish, "publish the resumed cookie secret");
  }
  // The old key sits in the other slot: keep it there for its grace.
  sg_secrets s{};
  if (Status st = PutCurrentKey(gen, s); !st)
    return st.take_error().Context("make the first cookie secret");
  s.key[prev_slot] = previous.key[prev_slot];
  const uint64_t grace_end = GraceEndOf(gen);
  s.key[prev_slot].expires_ns = grace_end > now ? grace_end : now + grace_ns_;
  return PublishAndCommit(s, gen, publish, "publish the resumed cookie secrets");
}

Status SecretRotator::RotateTo(uint64_t gen, const PublishSecrets& publish) {
  const uint32_t slot = gen & 1;
  Result<sg_secret> key = source_.KeyFor(gen);
  if (!key) return key.take_error().Context("make the next cookie secret");

  // Step 1: the new key into the idle slot; `current` and its key unchanged.
  sg_secrets next = state_;
  next.key[slot] = *key;
  next.key[slot].expires_ns = kNoExpiry;
  if (Status st = publish(next); !st) {
    Wipe(next);
    return st.take_error().Context("publish the next cookie secret (step 1 of 2)");
  }
  // Step 2: flip, and give the old key its grace from the rotation time.
  next.current = slot;
  next.key[slot ^ 1].expires_ns = GraceEndOf(gen);
  return PublishAndCommit(next, gen, publish, "switch to the next cookie secret (step 2 of 2)");
}

Result<std::optional<Rotation>> SecretRotator::Tick(const PublishSecrets& publish) {
  if (!started_) return Error("rotate cookie secrets: Start() was not called");
  const uint64_t gen = EpochOf(clock_.NowNs());
  if (gen <= generation_) return std::optional<Rotation>();
  // After a sleep that skipped generations, step through the last ones, each
  // into the then idle slot, so that the key left in grace is gen - 1's, as
  // on every other host of a fleet.
  const uint64_t skipped = gen - generation_;
  uint64_t first = skipped == 1 ? gen : skipped % 2 == 0 ? gen - 1 : gen - 2;
  for (uint64_t g = first; g <= gen; ++g) {
    if (Status st = RotateTo(g, publish); !st) return st.take_error();
  }
  return std::optional<Rotation>(Rotation{
      .generation = gen, .at_ns = gen * interval_ns_, .slot = static_cast<uint32_t>(gen & 1)});
}

}  // namespace sg
