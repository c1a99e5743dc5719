#include "sock_io.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sgtest {

namespace {

// Waits for events on fd until deadline; "" when ready.
std::string WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return "timeout";
    pollfd p{.fd = fd, .events = events, .revents = 0};
    int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return "";
    if (n < 0 && errno != EINTR) return std::string("poll: ") + strerror(errno);
  }
}

}  // namespace

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string WriteAll(int fd, const uint8_t* data, size_t len, Clock::time_point deadline) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = send(fd, data + done, len - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return std::string("send: ") + strerror(errno);
    if (std::string e = WaitFor(fd, POLLOUT, deadline); !e.empty()) return "send: " + e;
  }
  return "";
}

std::string ReadAll(int fd, uint8_t* data, size_t len, Clock::time_point deadline) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = recv(fd, data + done, len - done, 0);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) return "recv: EOF after " + std::to_string(done) + " bytes";
    if (errno != EAGAIN && errno != EINTR) return std::string("recv: ") + strerror(errno);
    if (std::string e = WaitFor(fd, POLLIN, deadline); !e.empty()) return "recv: " + e;
  }
  return "";
}

std::string WaitForEof(int fd, Clock::time_point deadline) {
  uint8_t sink[256];
  for (;;) {
    ssize_t n = recv(fd, sink, sizeof(sink), 0);
    if (n == 0) return "";
    if (n > 0) continue;
    if (errno != EAGAIN && errno != EINTR) return std::string("recv: ") + strerror(errno);
    if (std::string e = WaitFor(fd, POLLIN, deadline); !e.empty()) return "waiting for EOF: " + e;
  }
}

int ConnectBefore(const sockaddr_storage& addr, socklen_t len, Clock::time_point deadline,
                  std::string* err) {
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = std::string("socket: ") + strerror(errno);
    return -1;
  }
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), len) < 0 && errno != EINPROGRESS) {
    *err = std::string("connect: ") + strerror(errno);
    close(fd);
    return -1;
  }
  if (std::string e = WaitFor(fd, POLLOUT, deadline); !e.empty()) {
    *err = "connect: " + e;
    close(fd);
    return -1;
  }
  int so_error = 0;
  socklen_t sl = sizeof(so_error);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &sl);
  if (so_error) {
    *err = std::string("connect: ") + strerror(so_error);
    close(fd);
    return -1;
  }
  return fd;
}

bool ParseAddress(const std::string& host, uint16_t port, sockaddr_storage* out, socklen_t* len) {
  *out = {};
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *len = sizeof(*v4);
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *len = sizeof(*v6);
    return true;
  }
  return false;
}

std::string PeerAddress(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  char buf[INET6_ADDRSTRLEN] = "?";
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    if (ss.ss_family == AF_INET)
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, buf, sizeof(buf));
    else
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof(buf));
  }
  return buf;
}

}  // namespace sgtest
