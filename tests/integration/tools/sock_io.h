// Socket I/O with a deadline: every wait is a poll() bounded by the time
// left, so a test tool never hangs on a connection that synguard (or a bug)
// left half-open.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace sgtest {

using Clock = std::chrono::steady_clock;

// Milliseconds from start to now.
double MsSince(Clock::time_point start);

// Writes or reads exactly len bytes on a non-blocking fd before deadline.
// Returns "" on success, else what went wrong ("timeout", "EOF", strerror).
std::string WriteAll(int fd, const uint8_t* data, size_t len, Clock::time_point deadline);
std::string ReadAll(int fd, uint8_t* data, size_t len, Clock::time_point deadline);
// Waits for the peer's FIN (discarding any bytes). "" once it came.
std::string WaitForEof(int fd, Clock::time_point deadline);

// Non-blocking connect to addr that completes before deadline. Returns the
// connected fd (>= 0) or -1 with *err set.
int ConnectBefore(const sockaddr_storage& addr, socklen_t len, Clock::time_point deadline,
                  std::string* err);

// Parses "10.0.0.1" or "fd00::1" with a port.
bool ParseAddress(const std::string& host, uint16_t port, sockaddr_storage* out, socklen_t* len);

// The peer's address as text.
std::string PeerAddress(int fd);

}  // namespace sgtest
