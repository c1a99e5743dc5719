// sg_connect_loop: the benchmarks' legitimate clients. Starts connections at
// a steady --rate (not back to back, so that a slow server does not slow the
// offered load down), each bounded by --timeout-ms. A connection counts as
// ok only when the server has echoed one byte back: a client whose connect()
// returned can still be refused its socket on the server (a full accept
// queue drops the handshake's last ACK), and that must count as a failure.
// Prints a JSON line per second with --progress and a JSON summary.
#include <CLI/CLI.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "percentile.h"
#include "sock_io.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host;
  uint16_t port = 0;
  double rate = 50;
  double duration = 10;
  int timeout_ms = 2000;
  int max_inflight = 1024;
  bool progress = false;
};

struct Attempt {
  int fd = -1;
  Clock::time_point start;
  double handshake_ms = -1;  // connect() completed
  bool sent = false;
};

struct Tally {
  uint64_t ok = 0, failed = 0;
  std::vector<double> ms;  // start to echoed byte, of the ok ones
  std::map<std::string, uint64_t> errors;
  void Fail(const std::string& why) {
    ++failed;
    ++errors[why];
  }
};

double MsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"legitimate TCP clients at a steady rate; each must get one byte echoed back"};
  app.add_option("-c,--connect", o.host, "server address")->required();
  app.add_option("-p,--port", o.port, "server port")->required();
  app.add_option("--rate", o.rate, "connections started per second")
      ->check(CLI::Range(0.1, 10000.0));
  app.add_option("--duration", o.duration, "seconds to start connections for")
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--timeout-ms", o.timeout_ms, "limit for one connection")
      ->check(CLI::Range(10, 60000));
  app.add_option("--max-inflight", o.max_inflight, "connections open at once")
      ->check(CLI::Range(1, 20000));
  app.add_flag("--progress", o.progress, "print a JSON line every second");
  CLI11_PARSE(app, argc, argv);

  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  if (!sgtest::ParseAddress(o.host, o.port, &addr, &addr_len)) {
    std::printf("{\"error\":\"not an address: %s\"}\n", o.host.c_str());
    return 2;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  std::map<int, Attempt> open;  // by fd
  // (fd, start) in start order: one timeout for all, so the oldest expire first.
  std::deque<std::pair<int, Clock::time_point>> by_age;
  Tally total, second;
  uint64_t started = 0;
  auto t0 = Clock::now();
  auto stop_starting =
      t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  auto next_report = t0 + std::chrono::seconds(1);
  auto timeout = std::chrono::milliseconds(o.timeout_ms);

  auto finish = [&](int fd, const std::string& error, Clock::time_point now) {
    Attempt& a = open[fd];
    if (error.empty()) {
      double ms = MsBetween(a.start, now);
      ++total.ok;
      ++second.ok;
      total.ms.push_back(ms);
      second.ms.push_back(ms);
    } else {
      total.Fail(error);
      second.Fail(error);
    }
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    open.erase(fd);
  };
  auto report = [&](Clock::time_point now) {
    std::printf(
        "{\"t\":%.3f,\"ok\":%llu,\"failed\":%llu,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
        "\"inflight\":%zu}\n",
        std::chrono::duration<double>(now - t0).count(), static_cast<unsigned long long>(second.ok),
        static_cast<unsigned long long>(second.failed), sgtest::Percentile(second.ms, 0.5),
        sgtest::Percentile(second.ms, 0.99), open.size());
    std::fflush(stdout);
    second = Tally{};
  };

  // Every connection ends by its timeout, so this loop ends by
  // stop_starting + timeout at the latest.
  while (true) {
    auto now = Clock::now();
    if (now >= stop_starting && open.empty()) break;
    // Start the connections that are due.
    while (now < stop_starting &&
           static_cast<double>(started) < o.rate * MsBetween(t0, now) / 1000.0) {
      ++started;
      if (static_cast<int>(open.size()) >= o.max_inflight) {
        total.Fail("too_many_inflight");
        second.Fail("too_many_inflight");
        continue;
      }
      int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        total.Fail("socket");
        second.Fail("socket");
        continue;
      }
      open[fd] = Attempt{fd, now};
      by_age.emplace_back(fd, now);
      int r = connect(fd, reinterpret_cast<sockaddr*>(&addr), addr_len);
      if (r < 0 && errno != EINPROGRESS) {
        finish(fd, strerror(errno), now);
        continue;
      }
      epoll_event ev{};
      ev.events = EPOLLOUT | EPOLLIN;
      ev.data.fd = fd;
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    // Expire the oldest ones; skip entries whose fd has finished (and may
    // have been reused by a newer attempt).
    while (!by_age.empty()) {
      auto [fd, start] = by_age.front();
      auto it = open.find(fd);
      if (it == open.end() || it->second.start != start) {
        by_age.pop_front();
        continue;
      }
      if (now - start < timeout) break;
      by_age.pop_front();
      finish(fd, it->second.handshake_ms < 0 ? "connect_timeout" : "echo_timeout", now);
    }
    if (o.progress && now >= next_report) {
      report(now);
      next_report += std::chrono::seconds(1);
    }

    epoll_event evs[64];
    int n = epoll_wait(ep, evs, 64, 2);  // short: keeps the start rate steady
    now = Clock::now();
    for (int i = 0; i < n; ++i) {
      int fd = evs[i].data.fd;
      auto it = open.find(fd);
      if (it == open.end()) continue;
      Attempt& a = it->second;
      int err = 0;
      socklen_t el = sizeof(err);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
      if (err) {
        finish(fd, strerror(err), now);
        continue;
      }
      if (!a.sent && (evs[i].events & EPOLLOUT)) {
        a.handshake_ms = MsBetween(a.start, now);
        char b = 'x';
        if (send(fd, &b, 1, MSG_NOSIGNAL) != 1) {
          finish(fd, "send", now);
          continue;
        }
        a.sent = true;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        continue;
      }
      if (a.sent && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        char b;
        ssize_t r = recv(fd, &b, 1, 0);
        if (r == 1)
          finish(fd, "", now);
        else if (r == 0)
          finish(fd, "closed_by_server", now);
        else if (errno != EAGAIN)
          finish(fd, strerror(errno), now);
      }
    }
  }
  if (o.progress && (second.ok || second.failed)) report(Clock::now());

  std::string errors;
  for (const auto& [why, n] : total.errors)
    errors += (errors.empty() ? "" : ",") + ("\"" + why + "\":" + std::to_string(n));
  uint64_t attempts = total.ok + total.failed;
  std::printf(
      "{\"summary\":true,\"attempted\":%llu,\"ok\":%llu,\"failed\":%llu,\"success_ratio\":%.4f,"
      "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"errors\":{%s}}\n",
      static_cast<unsigned long long>(attempts), static_cast<unsigned long long>(total.ok),
      static_cast<unsigned long long>(total.failed),
      attempts ? static_cast<double>(total.ok) / static_cast<double>(attempts) : 0.0,
      sgtest::Percentile(total.ms, 0.5), sgtest::Percentile(total.ms, 0.99),
      sgtest::Percentile(total.ms, 1.0), errors.c_str());
  close(ep);
  return 0;
}
