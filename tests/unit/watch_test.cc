// The listener watch: the /proc/net/netstat parser on a sample, and the
// sock_diag dump against real listening sockets (no root needed).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "util/unique_fd.h"
#include "watch/listener_watch.h"
#include "watch/tcp_ext.h"

namespace sg {
namespace {

// From a 6.x kernel, trimmed: the real file has ~120 TcpExt fields.
constexpr const char* kNetstat =
    "TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled "
    "ListenOverflows ListenDrops TCPReqQFullDoCookies TCPReqQFullDrop TCPTimeouts\n"
    "TcpExt: 1201 1150 37 0 0 4242 4300 1201 9 77\n"
    "IpExt: InNoRoutes InTruncatedPkts ListenOverflows\n"
    "IpExt: 0 0 999\n"
    "MPTcpExt: MPCapableSYNRX\n"
    "MPTcpExt: 0\n";

TEST(TcpExt, ParsesTheCountersWeWatch) {
  Result<TcpExtCounters> c = ParseTcpExt(kNetstat, "sample");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->syncookies_sent, 1201u);
  EXPECT_EQ(c->syncookies_recv, 1150u);
  EXPECT_EQ(c->syncookies_failed, 37u);
  EXPECT_EQ(c->listen_overflows, 4242u);  // TcpExt's, not IpExt's field of the same name
  EXPECT_EQ(c->listen_drops, 4300u);
  EXPECT_EQ(c->req_q_full_do_cookies, 1201u);
  EXPECT_EQ(c->req_q_full_drop, 9u);
}

TEST(TcpExt, MissingCountersStayZero) {
  Result<TcpExtCounters> c =
      ParseTcpExt("TcpExt: ListenOverflows ListenDrops\nTcpExt: 5 6\n", "old kernel");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->listen_overflows, 5u);
  EXPECT_EQ(c->syncookies_sent, 0u);
}

TEST(TcpExt, Errors) {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"IpExt: A\nIpExt: 1\n", "sample: no TcpExt lines"},
      {"", "no TcpExt lines"},
      {"TcpExt: ListenDrops ListenOverflows\nTcpExt: 1\n", "not followed by a values line"},
      {"TcpExt: ListenDrops\n", "no TcpExt lines"},
      {"TcpExt: ListenDrops\nTcpExt: x1\n", "TcpExt ListenDrops is not a number: 'x1'"},
  };
  for (const Case& c : cases) {
    Result<TcpExtCounters> r = ParseTcpExt(c.text, "sample");
    ASSERT_FALSE(r) << c.text;
    EXPECT_NE(r.error().message().find(c.want), std::string::npos) << r.error().message();
  }
}

TEST(TcpExt, ReadsAFileAndTheRealOne) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("sg-netstat-" + std::to_string(getpid())))
          .string();
  std::ofstream(path) << kNetstat;
  Result<TcpExtCounters> c = ReadTcpExt(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->listen_drops, 4300u);
  EXPECT_TRUE(ReadTcpExt("/proc/net/netstat")) << "this kernel's own file";
  Result<TcpExtCounters> missing = ReadTcpExt("/nonexistent/netstat");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("read /nonexistent/netstat"), std::string::npos);
}

// A listening TCP socket on a loopback address and an ephemeral port.
struct TestListener {
  UniqueFd fd;
  uint16_t port = 0;
};

TestListener Listen(int family, int backlog) {
  TestListener l;
  l.fd.reset(socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!l.fd.valid()) return l;
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(*a);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    len = sizeof(*a);
  }
  if (bind(l.fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0 ||
      listen(l.fd.get(), backlog) < 0 ||
      getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&ss), &len) < 0) {
    l.fd.reset();
    return l;
  }
  l.port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                   : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return l;
}

UniqueFd Connect(uint16_t port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) < 0) fd.reset();
  return fd;
}

TEST(ListenerWatch, FindsARealListenerAndItsQueue) {
  TestListener l = Listen(AF_INET, 7);
  ASSERT_TRUE(l.fd.valid()) << strerror(errno);
  Result<ListenerWatch> w = ListenerWatch::Open();
  ASSERT_TRUE(w) << w.error().message();

  auto scan = w->Scan({l.port});
  ASSERT_TRUE(scan) << scan.error().message();
  ASSERT_EQ(scan->size(), 1u);
  const PortListeners& p = (*scan)[0];
  EXPECT_EQ(p.port, l.port);
  ASSERT_EQ(p.listeners.size(), 1u);
  EXPECT_EQ(p.listeners[0].family, 4);
  EXPECT_EQ(p.listeners[0].address, "127.0.0.1");
  EXPECT_EQ(p.listeners[0].port, l.port);
  EXPECT_EQ(p.listeners[0].backlog, 7u);
  EXPECT_EQ(p.listeners[0].accept_queue, 0u);
  EXPECT_GT(p.listeners[0].inode, 0u);
  EXPECT_EQ(p.syn_recv, 0u);
  EXPECT_DOUBLE_EQ(p.AcceptFill(), 0);

  // Two connections nobody accepts wait in the accept queue.
  UniqueFd c1 = Connect(l.port), c2 = Connect(l.port);
  ASSERT_TRUE(c1.valid() && c2.valid()) << strerror(errno);
  scan = w->Scan({l.port});
  ASSERT_TRUE(scan) << scan.error().message();
  ASSERT_EQ((*scan)[0].listeners.size(), 1u);
  EXPECT_EQ((*scan)[0].listeners[0].accept_queue, 2u);
  EXPECT_DOUBLE_EQ((*scan)[0].AcceptFill(), 2.0 / 7);
}

TEST(ListenerWatch, FiltersByPortAcrossFamilies) {
  TestListener a = Listen(AF_INET, 7);
  TestListener b = Listen(AF_INET, 9);
  TestListener v6 = Listen(AF_INET6, 5);
  ASSERT_TRUE(a.fd.valid() && b.fd.valid());
  Result<ListenerWatch> w = ListenerWatch::Open();
  ASSERT_TRUE(w) << w.error().message();

  // A port nobody listens on, then both of ours (every block of the filter).
  TestListener gone = Listen(AF_INET, 1);
  const uint16_t unused = gone.port;
  gone.fd.reset();
  auto scan = w->Scan({unused, b.port, a.port});
  ASSERT_TRUE(scan) << scan.error().message();
  ASSERT_EQ(scan->size(), 3u);
  EXPECT_TRUE((*scan)[0].listeners.empty());
  ASSERT_EQ((*scan)[1].listeners.size(), 1u);
  EXPECT_EQ((*scan)[1].listeners[0].backlog, 9u);
  ASSERT_EQ((*scan)[2].listeners.size(), 1u);
  EXPECT_EQ((*scan)[2].listeners[0].backlog, 7u);

  // Only the port asked for: b's listener is not in a scan of a.
  scan = w->Scan({a.port});
  ASSERT_TRUE(scan);
  ASSERT_EQ((*scan)[0].listeners.size(), 1u);
  EXPECT_EQ((*scan)[0].listeners[0].backlog, 7u);

  if (v6.fd.valid()) {  // hosts without IPv6 loopback skip this part
    scan = w->Scan({v6.port});
    ASSERT_TRUE(scan) << scan.error().message();
    ASSERT_EQ((*scan)[0].listeners.size(), 1u);
    EXPECT_EQ((*scan)[0].listeners[0].family, 6);
    EXPECT_EQ((*scan)[0].listeners[0].address, "::1");
    EXPECT_EQ((*scan)[0].listeners[0].backlog, 5u);
  }
  auto none = w->Scan({});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(ListenerWatch, SynRecvFillAgainstTheBacklogs) {
  PortListeners p;
  p.listeners.resize(2);
  p.listeners[0].backlog = 100;
  p.listeners[0].accept_queue = 10;
  p.listeners[1].backlog = 300;
  p.listeners[1].accept_queue = 150;
  p.syn_recv = 100;
  EXPECT_DOUBLE_EQ(p.AcceptFill(), 0.5);
  EXPECT_DOUBLE_EQ(p.SynRecvFill(), 0.25);
  p.syn_recv = 1000;
  EXPECT_DOUBLE_EQ(p.SynRecvFill(), 1.0);
  EXPECT_DOUBLE_EQ(PortListeners{}.SynRecvFill(), 0);
}

}  // namespace
}  // namespace sg
