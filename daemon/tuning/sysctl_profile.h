// Which kernel settings synguard may change, as the operator configured them.
// The handoff mode adds what it strictly needs (tcp_syncookies,
// tcp_timestamps); the rest is a profile for a server that takes floods.
#pragma once

#include <cstdint>
#include <optional>

namespace sg {

struct SysctlProfile {
  // false: change nothing; the tuner only reports, and start-up fails if the
  // handoff mode's requirements are not met.
  bool manage = true;
  // Raised to at least this (never lowered); nullopt leaves it alone.
  std::optional<int64_t> tcp_max_syn_backlog = 8192;
  std::optional<int64_t> somaxconn = 8192;
  // Set exactly; nullopt leaves it alone.
  std::optional<int64_t> tcp_synack_retries = 2;
  // Set net.ipv4.tcp_abort_on_overflow to 0.
  bool reset_abort_on_overflow = true;
};

}  // namespace sg
