// The rules a whole Config obeys across its keys, whichever way it was made:
// the file loader (config.cc) checks them after parsing, and `synguard run`
// again after its flags are laid over the file (run_flags.cc), because a
// flag may break a rule the file kept. Rules on one key's value (ranges,
// syntax) and on the file's own shape (list overlaps, a key used without
// the key it needs) stay with the parser, which reads them with their line.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "config/config.h"

namespace sg {

// A rule the config breaks: the key to blame, in the file's terms
// ("secrets.grace", "ports[1].port", "interfaces[1]"), and the problem.
struct ConfigFault {
  std::string key;
  std::string problem;
  std::string other_key;  // the earlier key it clashes with, or empty
};

// The first rule c breaks, or nullopt when it holds them all.
std::optional<ConfigFault> Validate(const Config& c);

// The old secret's grace when none is given: as long as the codec accepts a
// cookie (1.5 x max age, rounded up), within the rotation interval.
std::chrono::seconds DefaultGrace(std::chrono::seconds max_age, std::chrono::seconds interval);

}  // namespace sg
