// ADDR:PORT for the metrics endpoint: "127.0.0.1:9479", "[::1]:9479",
// "0.0.0.0:9479". The address must be literal: a host name would make the
// daemon's start depend on DNS.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace sg {

struct ListenAddress {
  int family = 4;                     // 4 or 6
  std::string address = "127.0.0.1";  // without brackets
  uint16_t port = 9479;

  // "127.0.0.1:9479" or "[::1]:9479": what the exposer binds to.
  std::string ToString() const;
};

Result<ListenAddress> ParseListenAddress(std::string_view text);

}  // namespace sg
