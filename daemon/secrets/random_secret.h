// Cookie secrets from the kernel's random source (getrandom(2)).
#pragma once

#include "synguard/shared.h"
#include "util/result.h"

namespace sg {

// A fresh 128-bit SipHash key; expires_ns is left 0 for the caller to set.
Result<sg_secret> RandomSecret();

}  // namespace sg
