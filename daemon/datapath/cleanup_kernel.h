// The kernel side of `synguard cleanup` (system/cleanup.h): synguard's XDP
// links, programs, TC filters and clsact qdiscs, found and removed through
// libbpf and rtnetlink (datapath/leftovers.h).
#pragma once

#include <memory>

#include "system/cleanup.h"

namespace sg {

std::unique_ptr<CleanupKernel> SystemCleanupKernel();

}  // namespace sg
