#include "secrets/secret_source.h"

#include "secrets/random_secret.h"

namespace sg {

Result<sg_secret> RandomSecretSource::KeyFor(uint64_t /*epoch*/) { return RandomSecret(); }

Result<std::unique_ptr<FleetSecretSource>> FleetSecretSource::Load(const std::string& path) {
  Result<FleetKey> key = LoadFleetKey(path);
  if (!key) return key.take_error();
  return std::make_unique<FleetSecretSource>(*key, path);
}

}  // namespace sg
