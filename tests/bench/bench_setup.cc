#include "bench_setup.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "bench_shared.h"
#include "config/bpf_config.h"
#include "private_netns.h"
#include "secrets/random_secret.h"

namespace sg::bench {

Status EnterPrivateNetns() {
  // The bench's client and server (BenchClient, BenchServer) on lo: synguard
  // answers only a unicast client, to one of the host's addresses, not
  // loopback.
  if (std::string e = test::EnterPrivateNetns(test::kRowAddresses); !e.empty()) return Error(e);
  return Ok();
}

Addr BenchClient(bool v6) {
  Addr a{.v6 = v6, .bytes = {}};
  inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? "2001:db8::1" : "10.0.0.1", a.bytes.data());
  return a;
}

Addr BenchServer(bool v6) {
  Addr a{.v6 = v6, .bytes = {}};
  inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? "2001:db8::2" : "10.0.0.2", a.bytes.data());
  return a;
}

Result<LoopbackConnection> OpenLoopbackConnection(uint16_t port, bool v6) {
  LoopbackConnection c;
  auto sockaddr_of = [v6](const Addr& a, uint16_t p, sockaddr_storage& ss) -> socklen_t {
    ss = {};
    if (v6) {
      auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
      s6->sin6_family = AF_INET6;
      s6->sin6_port = htons(p);
      std::memcpy(&s6->sin6_addr, a.bytes.data(), 16);
      return sizeof(*s6);
    }
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(p);
    std::memcpy(&s4->sin_addr, a.bytes.data(), 4);
    return sizeof(*s4);
  };
  sockaddr_storage ss{}, cs{};
  const socklen_t alen = sockaddr_of(BenchServer(v6), port, ss);
  const socklen_t clen = sockaddr_of(BenchClient(v6), 0, cs);
  const std::string where = std::string(v6 ? "[2001:db8::2]:" : "10.0.0.2:") + std::to_string(port);
  const int family = v6 ? AF_INET6 : AF_INET;
  auto* addr = reinterpret_cast<sockaddr*>(&ss);
  c.listener.reset(socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!c.listener.valid()) return Error::FromErrno("open the listener socket");
  int one = 1;
  setsockopt(c.listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  // The IPv4 and the IPv6 listener share the port.
  if (v6) setsockopt(c.listener.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(c.listener.get(), addr, alen)) return Error::FromErrno("bind " + where);
  if (listen(c.listener.get(), 16)) return Error::FromErrno("listen on " + where);
  c.client.reset(socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!c.client.valid()) return Error::FromErrno("open the client socket");
  if (bind(c.client.get(), reinterpret_cast<sockaddr*>(&cs), clen))
    return Error::FromErrno("bind the client");
  // No XDP program is attached to lo: this handshake is the kernel's own.
  if (connect(c.client.get(), addr, alen)) return Error::FromErrno("connect to " + where);
  c.server.reset(accept4(c.listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!c.server.valid()) return Error::FromErrno("accept the loopback connection");
  sockaddr_storage local{};
  socklen_t len = sizeof(local);
  if (getsockname(c.client.get(), reinterpret_cast<sockaddr*>(&local), &len))
    return Error::FromErrno("read the client's port");
  c.client_port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                           : reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  return c;
}

Result<std::unique_ptr<Harness>> Harness::Create(uint16_t port) {
  std::unique_ptr<Harness> h(new Harness());
  Result<std::unique_ptr<Datapath>> dp =
      Datapath::Load({.handoff = HandoffMode::kReqsk, .pin_dir = {}});
  if (!dp) return dp.take_error();
  h->dp_ = std::move(*dp);

  Result<sg_config> cfg = BuildBpfConfig(CookieSettings{}, "lo", "/proc/sys");
  if (!cfg) return cfg.take_error().Context("build the config for lo");
  if (Status s = h->dp_->WriteConfig(*cfg); !s) return s.take_error();
  Result<sg_secret> key = RandomSecret();
  if (!key) return key.take_error();
  sg_secrets secrets{};
  secrets.key[0] = *key;
  secrets.key[0].expires_ns = ~0ull;  // the current key; key[1] stays empty
  if (Status s = h->dp_->WriteSecrets(secrets); !s) return s.take_error();
  sg_port p{.flags = SG_PORT_PROTECTED | SG_PORT_ENGAGED, .stats_slot = 0};
  if (Status s = h->dp_->WritePort(port, p); !s) return s.take_error();
  // The host's addresses and the interface's MAC, as the daemon writes them.
  LocalAddressEntries local;
  uint32_t v4 = 0;
  std::memcpy(&v4, BenchServer(false).bytes.data(), 4);
  local.v4.push_back({v4, SG_ADDR_LOCAL});
  local.v6.push_back({BenchServer(true).bytes, SG_ADDR_LOCAL});
  if (Status s = h->dp_->WriteLocalAddresses(local); !s) return s.take_error();
  sg_iface iface{.mac = {0x02, 0, 0, 0, 0, 0x02}, .pad = 0, .ifindex = 1};
  const uint32_t zero = 0;
  if (bpf_map_update_elem(bpf_map__fd(h->dp_->xdp()->maps.sg_iface_map), &zero, &iface, BPF_ANY))
    return Error::FromErrno("write the interface map");

  h->progs_ = Skeleton<bench_progs>(bench_progs__open_and_load(), bench_progs__destroy);
  if (!h->progs_) return Error::FromErrno("load the benchmark's BPF programs");
  uint32_t key32 = port, on = 1;
  if (bpf_map_update_elem(bpf_map__fd(h->progs_->maps.ref_ports), &key32, &on, BPF_ANY))
    return Error::FromErrno("protect port " + std::to_string(port) + " in the reference");
  return h;
}

Result<TestRunResult> Harness::RunDirect(int prog_fd, const Bytes& pkt, uint32_t repeat) {
  return TestRun(prog_fd, pkt, repeat);
}

Result<TestRunResult> Harness::RunWrapped(int target_fd, const Bytes& pkt, uint32_t repeat) {
  if (pkt.size() > BENCH_MAX_PKT) return Error("test packet longer than BENCH_MAX_PKT");
  bench_tmpl t{};
  t.len = static_cast<uint32_t>(pkt.size());
  std::memcpy(t.data, pkt.data(), pkt.size());
  uint32_t zero = 0, slot = BENCH_TARGET_SLOT;
  if (bpf_map_update_elem(bpf_map__fd(progs_->maps.bench_tmpl_map), &zero, &t, BPF_ANY))
    return Error::FromErrno("write the packet template");
  if (bpf_map_update_elem(bpf_map__fd(progs_->maps.bench_target), &slot, &target_fd, BPF_ANY))
    return Error::FromErrno("put the program under test in the tail-call slot");
  return TestRun(bpf_program__fd(progs_->progs.bench_restore), pkt, repeat);
}

}  // namespace sg::bench
