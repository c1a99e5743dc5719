// IPv4 / IPv6 prefixes for the allow and deny lists (LPM trie keys).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace sg {

struct Cidr {
  int family = 4;                  // 4 or 6
  std::array<uint8_t, 16> addr{};  // network byte order; IPv4 uses the first 4
  uint8_t prefix_len = 0;

  // True if every address of `other` is also in this prefix.
  bool Contains(const Cidr& other) const;
  // True if the two prefixes share any address (one contains the other).
  bool Overlaps(const Cidr& other) const { return Contains(other) || other.Contains(*this); }
  // Canonical text, e.g. "10.0.0.0/8", "2001:db8::/32".
  std::string ToString() const;
  bool operator==(const Cidr&) const = default;
};

// "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128). Refuses a
// prefix with host bits set ("10.0.0.1/8"), naming the network it probably meant.
Result<Cidr> ParseCidr(std::string_view text);

}  // namespace sg
