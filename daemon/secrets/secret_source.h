// Where cookie secrets come from: the kernel's random source (each host its
// own keys) or a fleet key file (every host derives the same key for the same
// epoch). The rotator asks for the key of a generation; a generation is the
// wall-clock epoch floor(now / rotation interval).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "secrets/fleet_key.h"
#include "synguard/shared.h"
#include "util/result.h"

namespace sg {

class SecretSource {
 public:
  virtual ~SecretSource() = default;
  // The key of generation `epoch`; expires_ns is left 0.
  virtual Result<sg_secret> KeyFor(uint64_t epoch) = 0;
  // True when the same epoch always yields the same key (a fleet key): the
  // previous epoch's key can then be rebuilt after a restart.
  virtual bool deterministic() const = 0;
  // For logs and status, never key material: "random (getrandom)".
  virtual std::string Describe() const = 0;
};

// A fresh random key per generation: a cookie is valid only on the host that
// issued it.
class RandomSecretSource : public SecretSource {
 public:
  Result<sg_secret> KeyFor(uint64_t epoch) override;
  bool deterministic() const override { return false; }
  std::string Describe() const override { return "random (getrandom)"; }
};

// Keys derived from a fleet key file (see fleet_key.h).
class FleetSecretSource : public SecretSource {
 public:
  FleetSecretSource(const FleetKey& key, std::string path) : key_(key), path_(std::move(path)) {}
  static Result<std::unique_ptr<FleetSecretSource>> Load(const std::string& path);
  Result<sg_secret> KeyFor(uint64_t epoch) override { return DeriveFleetSecret(key_, epoch); }
  bool deterministic() const override { return true; }
  std::string Describe() const override { return "fleet key file " + path_; }

 private:
  FleetKey key_;
  std::string path_;
};

}  // namespace sg
