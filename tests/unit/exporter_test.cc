// The metrics endpoint against slow and half-open clients (issue 11): one
// client that sends half a request used to hold every scrape for 30 s.
// Real sockets on 127.0.0.1, no root needed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "metrics/exporter.h"
#include "fake_per_cpu_map.h"
#include "synguard/shared.h"
#include "util/unique_fd.h"

namespace sg {
namespace {

using Clock = std::chrono::steady_clock;

std::unique_ptr<MetricsExporter> StartExporter() {
  CollectorSources src;
  src.reasons = std::make_shared<testing::FakePerCpuMap>(2, 1);
  src.port_stats = std::make_shared<testing::FakePerCpuMap>(2, sizeof(sg_port_stats) / 8);
  src.snapshot = [] { return MetricsSnapshot{}; };
  src.version = "test";
  Result<std::unique_ptr<MetricsExporter>> e =
      MetricsExporter::Start("127.0.0.1:0", std::make_shared<SynguardCollector>(src));
  EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message());
  return e.ok() ? std::move(*e) : nullptr;
}

UniqueFd Connect(int port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  return fd;
}

// A full scrape: request, then read until the server closes. Returns the
// response and how long it took; gives up after `limit`.
std::pair<std::string, double> Scrape(int port, std::chrono::milliseconds limit) {
  const auto t0 = Clock::now();
  UniqueFd fd = Connect(port);
  const std::string req = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::string out;
  char buf[4096];
  for (;;) {
    const auto left =
        limit - std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
    if (left.count() <= 0) break;
    pollfd p{.fd = fd.get(), .events = POLLIN, .revents = 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = recv(fd.get(), buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return {out, std::chrono::duration<double>(Clock::now() - t0).count()};
}

// True when the server closed fd (EOF or reset) within `limit`.
bool ClosedWithin(int fd, std::chrono::milliseconds limit) {
  const auto end = Clock::now() + limit;
  char buf[512];
  while (Clock::now() < end) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    const int ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count());
    if (poll(&p, 1, ms > 0 ? ms : 0) <= 0) return false;
    if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0) return true;
  }
  return false;
}

TEST(MetricsExporter, ScrapeAnswersWhileSlowClientsHoldConnections) {
  std::unique_ptr<MetricsExporter> e = StartExporter();
  ASSERT_TRUE(e);
  const int port = e->port();
  ASSERT_GT(port, 0);
  // Half-open: connected, nothing sent; half a request line; headers that
  // never end; and one that drips a byte every 200 ms.
  std::vector<UniqueFd> slow;
  for (const char* part : {"", "", "GET /metr", "GET /metrics HTTP/1.1\r\nHost: x\r\n"}) {
    slow.push_back(Connect(port));
    if (*part) ASSERT_GT(send(slow.back().get(), part, strlen(part), MSG_NOSIGNAL), 0);
  }
  UniqueFd drip = Connect(port);
  std::thread dripper([fd = drip.get()] {
    const std::string req = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
    for (char c : req) {
      if (send(fd, &c, 1, MSG_NOSIGNAL) != 1) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // all accepted
  for (int i = 0; i < 5; ++i) {
    auto [body, seconds] = Scrape(port, std::chrono::milliseconds(3000));
    EXPECT_NE(body.find("200 OK"), std::string::npos) << body;
    EXPECT_NE(body.find("synguard_build_info"), std::string::npos);
    EXPECT_LT(seconds, 1.0) << "scrape " << i << " took " << seconds << " s";
  }
  dripper.join();
}

TEST(MetricsExporter, SlowClientsAreDroppedAfterTheRequestTimeout) {
  std::unique_ptr<MetricsExporter> e = StartExporter();
  ASSERT_TRUE(e);
  UniqueFd half = Connect(e->port());
  ASSERT_GT(send(half.get(), "GET /metr", 9, MSG_NOSIGNAL), 0);
  UniqueFd drip = Connect(e->port());
  std::thread dripper([fd = drip.get()] {
    // 60 bytes over 6 s: longer than the request timeout, each byte sooner.
    for (int i = 0; i < 60; ++i) {
      if (send(fd, "a", 1, MSG_NOSIGNAL) != 1) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  const auto limit = std::chrono::milliseconds(MetricsExporter::kRequestTimeoutMs + 1500);
  EXPECT_TRUE(ClosedWithin(half.get(), limit)) << "a half request held its worker";
  EXPECT_TRUE(ClosedWithin(drip.get(), limit)) << "a dripping request held its worker";
  shutdown(drip.get(), SHUT_RDWR);
  dripper.join();
}

}  // namespace
}  // namespace sg
