// `synguard check-config FILE`: validates a config and explains it, changing
// nothing on the system.
#pragma once

#include <string>

namespace sg {

// Prints the explanation and returns 0, or prints the one-line error to
// stderr and returns 2.
int CheckConfig(const std::string& path);

}  // namespace sg
