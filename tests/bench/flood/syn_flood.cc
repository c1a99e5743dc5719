// sg_syn_flood: the benchmarks' attacker. Sends spoofed TCP SYNs (or pure
// ACKs carrying random "cookies") to one address and port from an AF_PACKET
// socket that bypasses the qdisc, in batches with sendmmsg(). Over IPv4 the
// sources are random addresses of the benchmark range 198.18.0.0/15
// (RFC 2544), over IPv6 of 2001:2::/48 (RFC 5180), with random ports, ISNs,
// IP ids or flow labels and TSvals, Linux's SYN options and correct
// checksums. The family is the destination's. Bounded by --duration and
// --count; the destination must be a lab address. Prints one JSON summary
// line (and one per second with --progress).
#include <CLI/CLI.hpp>

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "flood_packet.h"

namespace {

using Clock = std::chrono::steady_clock;
using sgbench::FloodKind;

// The lab's networks (tests/integration/lab/topology.py): the only
// destinations this tool sends to.
constexpr uint32_t kLabNet = 0x0ac80000;  // 10.200.0.0/24
constexpr uint32_t kLabMask = 0xffffff00;
constexpr char kLabNet6[] = "fd00:5347::/64";
// The benchmark ranges, RFC 2544's and RFC 5180's: the only sources allowed.
constexpr uint32_t kBenchNet = 0xc6120000;  // 198.18.0.0/15
constexpr uint32_t kBenchMask = 0xfffe0000;
constexpr char kBenchNet4Text[] = "198.18.0.0/15";
constexpr char kBenchNet6[] = "2001:2::/48";
constexpr double kMaxSeconds = 600;
constexpr int kMaxBatch = 256;

struct Options {
  std::string interface;
  std::string dst_mac;
  std::string dst_ip;
  uint16_t dport = 0;
  std::string src_net;  // empty: the whole benchmark range of the family
  std::string mode = "syn";
  double rate = 0;  // packets per second, 0 = as fast as possible
  double duration = 10;
  uint64_t count = 0;  // 0 = no limit but the duration
  int batch = 64;
  uint64_t seed = 0;
  std::string flow_label = "random";
  bool progress = false;
};

bool ParseMac(const std::string& s, uint8_t out[6]) {
  unsigned b[6];
  if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
    return false;
  for (int i = 0; i < 6; ++i) {
    if (b[i] > 255) return false;
    out[i] = static_cast<uint8_t>(b[i]);
  }
  return true;
}

bool ParseIp(const std::string& s, uint32_t* out) {
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) return false;
  *out = ntohl(a.s_addr);
  return true;
}

bool ParseNet(const std::string& s, uint32_t* net, uint32_t* mask) {
  size_t slash = s.find('/');
  if (slash == std::string::npos) return false;
  int bits = std::atoi(s.c_str() + slash + 1);
  if (bits < 1 || bits > 32 || !ParseIp(s.substr(0, slash), net)) return false;
  *mask = bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
  *net &= *mask;
  return true;
}

// An IPv6 prefix: the network (masked) and its mask, both network order.
bool ParseNet6(const std::string& s, uint8_t net[16], uint8_t mask[16]) {
  size_t slash = s.find('/');
  if (slash == std::string::npos) return false;
  int bits = std::atoi(s.c_str() + slash + 1);
  if (bits < 1 || bits > 128 || inet_pton(AF_INET6, s.substr(0, slash).c_str(), net) != 1)
    return false;
  for (int i = 0; i < 16; ++i) {
    int here = std::clamp(bits - 8 * i, 0, 8);
    mask[i] = static_cast<uint8_t>(0xff00 >> here);
    net[i] &= mask[i];
  }
  return true;
}

// Whether the prefix (net, mask) lies inside (outer_net, outer_mask).
bool Inside6(const uint8_t net[16], const uint8_t mask[16], const uint8_t outer_net[16],
             const uint8_t outer_mask[16]) {
  for (int i = 0; i < 16; ++i) {
    if ((mask[i] & outer_mask[i]) != outer_mask[i]) return false;
    if ((net[i] & outer_mask[i]) != outer_net[i]) return false;
  }
  return true;
}

bool InterfaceMac(int fd, const std::string& name, uint8_t out[6]) {
  ifreq ifr{};
  std::snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name.c_str());
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) return false;
  std::memcpy(out, ifr.ifr_hwaddr.sa_data, 6);
  return true;
}

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int Fail(const std::string& what) {
  std::printf("{\"error\":\"%s\"}\n", what.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"spoofed SYN (or ACK) flood into the lab, from an AF_PACKET socket"};
  app.add_option("-i,--interface", o.interface, "interface to send on")->required();
  app.add_option("--dst-mac", o.dst_mac, "destination MAC (the server's)")->required();
  app.add_option("--dst-ip", o.dst_ip,
                 "destination address, in 10.200.0.0/24 or fd00:5347::/64; its family is the "
                 "flood's")
      ->required();
  app.add_option("--dport", o.dport, "destination TCP port")
      ->required()
      ->check(CLI::Range(1, 65535));
  app.add_option("--src-net", o.src_net,
                 "spoofed sources, inside 198.18.0.0/15 or 2001:2::/48 (default: all of it)");
  app.add_option("--mode", o.mode, "syn, or ack (random cookies)")
      ->check(CLI::IsMember({"syn", "ack"}));
  app.add_option("--rate", o.rate, "packets per second, 0 = as fast as possible")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--duration", o.duration, "seconds to send for")
      ->check(CLI::Range(0.1, kMaxSeconds));
  app.add_option("--flow-label", o.flow_label,
                 "IPv6: random, or nft-synproxy (one that nftables synproxy's IPv4-only "
                 "checksum check also passes; see flood_packet.h)")
      ->check(CLI::IsMember({"random", "nft-synproxy"}));
  app.add_option("--count", o.count, "stop after this many packets (0: duration only)");
  app.add_option("--batch", o.batch, "frames per sendmmsg()")->check(CLI::Range(1, kMaxBatch));
  app.add_option("--seed", o.seed, "random seed (0: from the kernel)");
  app.add_flag("--progress", o.progress, "print packets sent every second");
  CLI11_PARSE(app, argc, argv);

  sgbench::FloodTarget target{};
  if (!ParseMac(o.dst_mac, target.dst_mac)) return Fail("bad --dst-mac " + o.dst_mac);
  if (ParseIp(o.dst_ip, &target.dst_ip)) {
    target.family = 4;
    if ((target.dst_ip & kLabMask) != kLabNet)
      return Fail("refusing to send to " + o.dst_ip + ": not a lab address (10.200.0.0/24)");
    if (o.src_net.empty()) o.src_net = kBenchNet4Text;
    if (!ParseNet(o.src_net, &target.src_net, &target.src_mask) ||
        (target.src_net & kBenchMask) != kBenchNet || (target.src_mask & kBenchMask) != kBenchMask)
      return Fail("--src-net " + o.src_net + " must lie inside 198.18.0.0/15");
  } else if (inet_pton(AF_INET6, o.dst_ip.c_str(), target.dst_ip6) == 1) {
    target.family = 6;
    uint8_t lab_net[16], lab_mask[16], host_mask[16], bench_net[16], bench_mask[16];
    ParseNet6(kLabNet6, lab_net, lab_mask);
    ParseNet6(kBenchNet6, bench_net, bench_mask);
    std::memset(host_mask, 0xff, sizeof(host_mask));
    if (!Inside6(target.dst_ip6, host_mask, lab_net, lab_mask))
      return Fail("refusing to send to " + o.dst_ip + ": not a lab address (" + kLabNet6 + ")");
    if (o.src_net.empty()) o.src_net = kBenchNet6;
    if (!ParseNet6(o.src_net, target.src_net6, target.src_mask6) ||
        !Inside6(target.src_net6, target.src_mask6, bench_net, bench_mask))
      return Fail("--src-net " + o.src_net + " must lie inside " + kBenchNet6);
  } else {
    return Fail("bad --dst-ip " + o.dst_ip);
  }
  target.dst_port = o.dport;
  target.nft_synproxy_flow_label = o.flow_label == "nft-synproxy";
  FloodKind kind = o.mode == "ack" ? FloodKind::kAck : FloodKind::kSyn;

  int fd = socket(AF_PACKET, SOCK_RAW, 0);  // protocol 0: receives nothing
  if (fd < 0) return Fail(std::string("AF_PACKET socket: ") + strerror(errno));
  unsigned ifindex = if_nametoindex(o.interface.c_str());
  if (ifindex == 0) return Fail("no interface " + o.interface);
  if (!InterfaceMac(fd, o.interface, target.src_mac))
    return Fail("MAC of " + o.interface + ": " + strerror(errno));
  // Straight to the driver: a flood measures the receiver, not our qdisc.
  int one = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
    return Fail(std::string("PACKET_QDISC_BYPASS: ") + strerror(errno));
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(target.family == 6 ? ETH_P_IPV6 : ETH_P_IP);
  to.sll_ifindex = static_cast<int>(ifindex);
  to.sll_halen = 6;
  std::memcpy(to.sll_addr, target.dst_mac, 6);

  uint64_t seed =
      o.seed ? o.seed
             : (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  sgbench::FastRandom rng(seed);
  std::vector<uint8_t> frames(static_cast<size_t>(o.batch) * sgbench::kMaxFrame);
  std::vector<iovec> iov(static_cast<size_t>(o.batch));
  std::vector<mmsghdr> msgs(static_cast<size_t>(o.batch));
  size_t len = 0;
  for (int i = 0; i < o.batch; ++i) {
    uint8_t* f = &frames[static_cast<size_t>(i) * sgbench::kMaxFrame];
    len = sgbench::BuildTemplate(kind, target, f);
    iov[i] = {f, len};
    msgs[i].msg_hdr = {};
    msgs[i].msg_hdr.msg_name = &to;
    msgs[i].msg_hdr.msg_namelen = sizeof(to);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }

  uint64_t limit = o.count ? o.count : UINT64_MAX;
  uint64_t sent = 0, dropped = 0, last_report = 0;
  auto t0 = Clock::now();
  auto end =
      t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  auto next_report = t0 + std::chrono::seconds(1);
  while (sent + dropped < limit) {
    auto now = Clock::now();
    if (now >= end) break;
    if (o.progress && now >= next_report) {
      std::printf("{\"t\":%.3f,\"sent\":%llu,\"pps\":%llu}\n", SecondsSince(t0),
                  static_cast<unsigned long long>(sent),
                  static_cast<unsigned long long>(sent - last_report));
      std::fflush(stdout);
      last_report = sent;
      next_report += std::chrono::seconds(1);
    }
    uint64_t n = std::min<uint64_t>(static_cast<uint64_t>(o.batch), limit - sent - dropped);
    if (o.rate > 0) {
      // Paced: packet k is due at t0 + k / rate; sleep while ahead of that.
      auto due = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                          static_cast<double>(sent + dropped) / o.rate));
      if (due > now) {
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(due - now).count();
        timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
        nanosleep(&ts, nullptr);
        continue;
      }
      // Never more than one batch behind schedule's worth at a time.
      n = std::min<uint64_t>(n, static_cast<uint64_t>(o.batch));
    }
    for (uint64_t i = 0; i < n; ++i)
      sgbench::Randomize(kind, target, rng, &frames[i * sgbench::kMaxFrame], len);
    uint64_t done = 0;
    while (done < n) {
      int r = sendmmsg(fd, &msgs[done], static_cast<unsigned>(n - done), 0);
      if (r > 0) {
        done += static_cast<uint64_t>(r);
        sent += static_cast<uint64_t>(r);
      } else if (errno == ENOBUFS || errno == EAGAIN) {
        ++done;  // the device refused this frame: count it and go on
        ++dropped;
      } else if (errno != EINTR) {
        return Fail(std::string("sendmmsg: ") + strerror(errno));
      }
    }
  }
  double secs = SecondsSince(t0);
  std::printf(
      "{\"summary\":true,\"mode\":\"%s\",\"family\":%d,\"sent\":%llu,\"refused\":%llu,"
      "\"seconds\":%.3f,\"pps\":%.0f,\"frame_bytes\":%zu}\n",
      o.mode.c_str(), target.family, static_cast<unsigned long long>(sent),
      static_cast<unsigned long long>(dropped), secs, static_cast<double>(sent) / secs, len);
  close(fd);
  return 0;
}
