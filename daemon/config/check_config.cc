#include "config/check_config.h"

#include <cstdio>

#include "config/config.h"
#include "secrets/fleet_key.h"

namespace sg {

int CheckConfig(const std::string& path) {
  Result<Config> config = LoadConfig(path);
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message().c_str());
    return 2;
  }
  // A fleet key that `run` would refuse (mode, owner, format) is a config
  // error too; the key itself is read and dropped, never shown.
  if (config->secrets.source == SecretsConfig::Source::kKeyFile) {
    if (Result<FleetKey> key = LoadFleetKey(config->secrets.key_file); !key) {
      std::fprintf(stderr, "%s: secrets.key_file: %s\n", path.c_str(),
                   key.error().message().c_str());
      return 2;
    }
  }
  std::fputs(Explain(*config).c_str(), stdout);
  return 0;
}

}  // namespace sg
