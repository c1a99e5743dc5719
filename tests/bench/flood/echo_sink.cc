// sg_echo_sink: the benchmarks' server. Listens on [::]:PORT (IPv4 too),
// accepts everything, echoes the first byte of each connection and closes
// it. One epoll thread, like an event-driven server; its listen() backlog is
// an option because it bounds the kernel's SYN queue (the no-defense case
// lives or dies by it). Bounded by --duration; prints a JSON summary.
#include <CLI/CLI.hpp>

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  uint16_t port = 0;
  int backlog = 1024;
  double duration = 60;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"accept, echo one byte, close; for the flood benchmark"};
  app.add_option("-p,--port", o.port, "TCP port")->required();
  app.add_option("--backlog", o.backlog, "listen() backlog")->check(CLI::Range(1, 65535));
  app.add_option("--duration", o.duration, "seconds to serve for")->check(CLI::Range(0.1, 3600.0));
  CLI11_PARSE(app, argc, argv);

  int lfd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1, zero = 0;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_any;
  a.sin6_port = htons(o.port);
  if (bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) < 0 || listen(lfd, o.backlog) < 0) {
    std::printf("{\"error\":\"listen on port %u: %s\"}\n", o.port, strerror(errno));
    return 2;
  }
  std::printf("{\"listening\":%u}\n", o.port);
  std::fflush(stdout);

  int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  unsigned long long accepted = 0, echoed = 0;
  auto end = Clock::now() +
             std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  while (Clock::now() < end) {
    epoll_event evs[64];
    int n = epoll_wait(ep, evs, 64, 100);
    for (int i = 0; i < n; ++i) {
      int fd = evs[i].data.fd;
      if (fd == lfd) {
        int c;
        while ((c = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          ++accepted;
          epoll_event cev{};
          cev.events = EPOLLIN | EPOLLRDHUP;
          cev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      char b;
      ssize_t r = recv(fd, &b, 1, 0);
      if (r < 0 && errno == EAGAIN) continue;
      if (r == 1 && send(fd, &b, 1, MSG_NOSIGNAL) == 1) ++echoed;
      // Clients that never send stay open until they time out and close:
      // EPOLLRDHUP then lands here with r == 0.
      epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
      close(fd);
    }
  }
  std::printf("{\"summary\":true,\"accepted\":%llu,\"echoed\":%llu}\n", accepted, echoed);
  return 0;
}
