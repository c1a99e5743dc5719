// The fleet key: a 128-bit key shared by every host behind one ECMP / anycast
// address, from which each host derives the same cookie secret for the same
// wall-clock epoch, so that any host validates a cookie another one issued.
//
// The key never leaves this struct in text form: there is no operator<<, and
// no error message quotes the file's contents.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "synguard/shared.h"
#include "util/result.h"

namespace sg {

struct FleetKey {
  uint64_t k0 = 0;  // bytes 0..7 of the key, little-endian
  uint64_t k1 = 0;  // bytes 8..15
};

// Contents: 32 hex digits (surrounding whitespace allowed), or exactly 16 raw
// bytes. `source` names the file in errors.
Result<FleetKey> ParseFleetKey(std::string_view contents, const std::string& source);

// Reads a key file that only root (or the daemon's own user) owns and only
// its owner may read: mode 0600 or stricter.
Result<FleetKey> LoadFleetKey(const std::string& path);

// The secret of epoch e: SipHash-2-4 keyed by the fleet key over
// "synguard-v1" || e (64-bit little-endian) || half (0 for k0, 1 for k1).
// expires_ns is left 0.
sg_secret DeriveFleetSecret(const FleetKey& key, uint64_t epoch);

}  // namespace sg
