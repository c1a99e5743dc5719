// The seed corpus: the packet table's shapes (tests/bpf/packet_test.cc)
// rebuilt with the same packet builder, plus what only a running program can
// make: the cookie ACKs of SYNs it answered, and segments of the real
// loopback connection. Generated, never checked in as binary files.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "datapath_env.h"

namespace sg::fuzz {

using NamedFrame = std::pair<std::string, std::vector<uint8_t>>;

std::vector<NamedFrame> SeedFrames(DatapathEnv& env);

}  // namespace sg::fuzz
