// sg_echo_server: the integration tests' listener. Accepts --count
// connections on [::]:PORT (IPv4 too, through v4-mapped addresses), one
// after another; from each reads --bytes bytes and their FNV-1a trailer,
// checks it, echoes the bytes with its own checksum, and prints one JSON line
// with the accepted socket's TCP_INFO, the kernel's word on which options the
// handshake (through synguard) gave the connection. Everything is bounded by
// --timeout-ms; exit 0 only if every connection checked out.
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "payload.h"
#include "sock_io.h"
#include "tcp_info_json.h"
#include "util/unique_fd.h"

namespace {

struct Options {
  uint16_t port = 0;
  int count = 1;
  size_t bytes = 1 << 20;
  int backlog = 128;
  int timeout_ms = 60000;       // the whole run
  int conn_timeout_ms = 10000;  // one connection's transfer
};

sg::UniqueFd Listen(const Options& o) {
  sg::UniqueFd fd(socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return fd;
  int one = 1, zero = 0;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_any;
  a.sin6_port = htons(o.port);
  // No SO_RCVBUF: a locked receive buffer changes the kernel's window scale,
  // which kernel-cookie mode must predict.
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) < 0 ||
      listen(fd.get(), o.backlog) < 0)
    fd.reset();
  return fd;
}

// Reads the client's payload and trailer, checks it, echoes it. "" = ok.
std::string Serve(int fd, const Options& o, uint64_t* fnv) {
  auto deadline = sgtest::Clock::now() + std::chrono::milliseconds(o.conn_timeout_ms);
  std::vector<uint8_t> buf(o.bytes + 8);
  if (std::string e = sgtest::ReadAll(fd, buf.data(), buf.size(), deadline); !e.empty()) return e;
  *fnv = sgtest::Fnv1a(buf.data(), o.bytes);
  if (*fnv != sgtest::GetU64(buf.data() + o.bytes)) return "checksum mismatch on receive";
  sgtest::PutU64(buf.data() + o.bytes, *fnv);
  if (std::string e = sgtest::WriteAll(fd, buf.data(), buf.size(), deadline); !e.empty()) return e;
  // The client closes first, so TIME_WAIT stays on its side: a server-side
  // TIME_WAIT would send a client that reuses the port to the kernel, and
  // the lab's netfilter drops every SYN that reaches the kernel.
  return sgtest::WaitForEof(fd, deadline);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"accept, check and echo test connections; print TCP_INFO as JSON lines"};
  app.add_option("-p,--port", o.port, "TCP port")->required();
  app.add_option("-n,--count", o.count, "connections to accept")->check(CLI::Range(1, 100000));
  app.add_option("-b,--bytes", o.bytes, "payload bytes each way")->check(CLI::Range(1, 1 << 28));
  app.add_option("--backlog", o.backlog, "listen() backlog");
  app.add_option("--timeout-ms", o.timeout_ms, "give up after this long");
  app.add_option("--conn-timeout-ms", o.conn_timeout_ms, "limit for one transfer");
  CLI11_PARSE(app, argc, argv);

  sg::UniqueFd lfd = Listen(o);
  if (!lfd.valid()) {
    std::printf("{\"error\":\"listen on port %u: %s\"}\n", o.port, strerror(errno));
    return 2;
  }
  std::printf("{\"listening\":%u}\n", o.port);
  std::fflush(stdout);

  auto start = sgtest::Clock::now();
  auto end = start + std::chrono::milliseconds(o.timeout_ms);
  int accepted = 0, ok = 0;
  while (accepted < o.count) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - sgtest::Clock::now());
    if (left.count() <= 0) break;
    pollfd p{.fd = lfd.get(), .events = POLLIN, .revents = 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    sg::UniqueFd c(accept4(lfd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!c.valid()) continue;
    ++accepted;
    // TCP_INFO first: the options were fixed by the handshake.
    std::string info = sgtest::TcpInfoJson(c.get());
    auto t0 = sgtest::Clock::now();
    uint64_t fnv = 0;
    std::string err = Serve(c.get(), o, &fnv);
    if (err.empty()) ++ok;
    std::printf(
        "{\"conn\":%d,\"peer\":\"%s\",\"ok\":%s,\"error\":\"%s\",\"fnv\":\"%016llx\","
        "\"ms\":%.3f,%s}\n",
        accepted, sgtest::PeerAddress(c.get()).c_str(), err.empty() ? "true" : "false", err.c_str(),
        static_cast<unsigned long long>(fnv), sgtest::MsSince(t0), info.c_str());
    std::fflush(stdout);
  }
  std::printf("{\"summary\":true,\"accepted\":%d,\"ok\":%d,\"wanted\":%d,\"ms\":%.1f}\n", accepted,
              ok, o.count, sgtest::MsSince(start));
  return ok == o.count ? 0 : 1;
}
