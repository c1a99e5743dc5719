// The handshake's outcome as the kernel recorded it in TCP_INFO, as JSON
// fields: which options the connection uses, both window scales and MSSes.
// The integration tests compare these with what the client offered.
#pragma once

#include <string>

namespace sgtest {

// `"ts":true,"sack":...` (no braces), or `"tcp_info_error":"..."`.
std::string TcpInfoJson(int fd);

}  // namespace sgtest
