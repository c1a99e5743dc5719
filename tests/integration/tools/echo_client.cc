// sg_echo_client: real Linux TCP clients for the integration tests. Opens
// --count connections back to back; on each sends --bytes pseudo-random bytes
// and their FNV-1a trailer, reads the echo and the server's trailer, and
// checks both. Prints a JSON line per connection (with the client's own
// TCP_INFO) and a summary with latencies. Exit 0 only if all succeeded.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "payload.h"
#include "percentile.h"
#include "sock_io.h"
#include "tcp_info_json.h"
#include "util/unique_fd.h"

namespace {

struct Options {
  std::string host;
  uint16_t port = 0;
  int count = 1;
  size_t bytes = 1 << 20;
  int connect_timeout_ms = 3000;
  int conn_timeout_ms = 10000;
  bool quiet = false;  // summary only
};

struct Outcome {
  std::string error;  // "" = success
  double connect_ms = 0;
  double total_ms = 0;
  std::string info;
};

Outcome OneConnection(const Options& o, const sockaddr_storage& addr, socklen_t len,
                      uint64_t seed) {
  Outcome r;
  auto t0 = sgtest::Clock::now();
  auto deadline = t0 + std::chrono::milliseconds(o.connect_timeout_ms);
  sg::UniqueFd fd(sgtest::ConnectBefore(addr, len, deadline, &r.error));
  r.connect_ms = sgtest::MsSince(t0);
  if (!fd.valid()) return r;
  r.info = sgtest::TcpInfoJson(fd.get());

  std::vector<uint8_t> out = sgtest::Payload(o.bytes + 8, seed);
  uint64_t fnv = sgtest::Fnv1a(out.data(), o.bytes);
  sgtest::PutU64(out.data() + o.bytes, fnv);
  std::vector<uint8_t> in(o.bytes + 8);
  deadline = sgtest::Clock::now() + std::chrono::milliseconds(o.conn_timeout_ms);
  r.error = sgtest::WriteAll(fd.get(), out.data(), out.size(), deadline);
  if (r.error.empty()) r.error = sgtest::ReadAll(fd.get(), in.data(), in.size(), deadline);
  if (r.error.empty()) {
    if (sgtest::Fnv1a(in.data(), o.bytes) != fnv)
      r.error = "echoed data differ from what was sent";
    else if (sgtest::GetU64(in.data() + o.bytes) != fnv)
      r.error = "server's checksum differs";
  }
  r.total_ms = sgtest::MsSince(t0);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"connect, send, read the echo and verify it; JSON lines out"};
  app.add_option("-c,--connect", o.host, "server address (IPv4 or IPv6)")->required();
  app.add_option("-p,--port", o.port, "TCP port")->required();
  app.add_option("-n,--count", o.count, "connections, back to back")->check(CLI::Range(1, 100000));
  app.add_option("-b,--bytes", o.bytes, "payload bytes each way")->check(CLI::Range(1, 1 << 28));
  app.add_option("--connect-timeout-ms", o.connect_timeout_ms, "limit for one connect()");
  app.add_option("--conn-timeout-ms", o.conn_timeout_ms, "limit for one transfer");
  app.add_flag("-q,--quiet", o.quiet, "print the summary only");
  CLI11_PARSE(app, argc, argv);

  sockaddr_storage addr{};
  socklen_t len = 0;
  if (!sgtest::ParseAddress(o.host, o.port, &addr, &len)) {
    std::printf("{\"error\":\"not an address: %s\"}\n", o.host.c_str());
    return 2;
  }
  uint64_t base = std::random_device{}() | static_cast<uint64_t>(getpid()) << 32;
  std::vector<double> connect_ms, total_ms;
  int ok = 0;
  auto start = sgtest::Clock::now();
  for (int i = 0; i < o.count; ++i) {
    Outcome r = OneConnection(o, addr, len, base + static_cast<uint64_t>(i));
    if (r.error.empty()) {
      ++ok;
      connect_ms.push_back(r.connect_ms);
      total_ms.push_back(r.total_ms);
    }
    if (!o.quiet || !r.error.empty())
      std::printf(
          "{\"conn\":%d,\"ok\":%s,\"error\":\"%s\",\"connect_ms\":%.3f,\"total_ms\":%.3f%s%s}\n",
          i + 1, r.error.empty() ? "true" : "false", r.error.c_str(), r.connect_ms, r.total_ms,
          r.info.empty() ? "" : ",", r.info.c_str());
  }
  std::printf(
      "{\"summary\":true,\"ok\":%d,\"failed\":%d,\"connect_ms_p50\":%.3f,"
      "\"connect_ms_p99\":%.3f,\"connect_ms_max\":%.3f,\"total_ms_p50\":%.3f,"
      "\"elapsed_ms\":%.1f}\n",
      ok, o.count - ok, sgtest::Percentile(connect_ms, 0.5), sgtest::Percentile(connect_ms, 0.99),
      sgtest::Percentile(connect_ms, 1.0), sgtest::Percentile(total_ms, 0.5),
      sgtest::MsSince(start));
  return ok == o.count ? 0 : 1;
}
