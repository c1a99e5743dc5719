#include "selftest/self_test.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <cstring>
#include <string>
#include <vector>

#include "datapath/bpf_per_cpu_map.h"
#include "synguard/shared.h"

namespace sg {

namespace {

// A TEST-NET client: the probe never leaves the test run, and no real
// client has this address.
constexpr uint32_t kProbeClient = 0xc0000201;  // 192.0.2.1
constexpr uint16_t kProbeSport = 61000;
constexpr uint32_t kProbeIsn = 0x5eed1234;
constexpr size_t kEth = 14, kIp = 20, kTcp = 20;

void Put16(std::vector<uint8_t>& b, size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v >> 8);
  b[off + 1] = static_cast<uint8_t>(v);
}
void Put32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
uint16_t Get16(const std::vector<uint8_t>& b, size_t off) {
  return static_cast<uint16_t>(b[off] << 8 | b[off + 1]);
}
uint32_t Get32(const std::vector<uint8_t>& b, size_t off) {
  return static_cast<uint32_t>(b[off]) << 24 | b[off + 1] << 16 | b[off + 2] << 8 | b[off + 3];
}

// Ethernet + IPv4 + TCP with the given options, checksums filled in.
std::vector<uint8_t> Frame(const SelfTestOptions& to, uint8_t flags, uint32_t seq, uint32_t ack,
                           const std::vector<uint8_t>& opts) {
  const size_t tcp_len = kTcp + opts.size();
  std::vector<uint8_t> f(kEth + kIp + tcp_len, 0);
  const uint8_t smac[6] = {0x02, 0, 0, 0, 0, 0x01};
  std::memcpy(&f[0], to.mac.data(), 6);
  std::memcpy(&f[6], smac, 6);
  Put16(f, 12, 0x0800);
  uint8_t* ip = &f[kEth];
  ip[0] = 0x45;
  Put16(f, kEth + 2, static_cast<uint16_t>(kIp + tcp_len));
  Put16(f, kEth + 6, 0x4000);
  ip[8] = 64;
  ip[9] = 6;
  Put32(f, kEth + 12, kProbeClient);
  std::memcpy(&f[kEth + 16], &to.server_addr, 4);
  Put16(f, kEth + 10, InternetChecksum(ip, kIp));
  size_t t = kEth + kIp;
  Put16(f, t, kProbeSport);
  Put16(f, t + 2, to.port);
  Put32(f, t + 4, seq);
  Put32(f, t + 8, ack);
  f[t + 12] = static_cast<uint8_t>((tcp_len / 4) << 4);
  f[t + 13] = flags;
  Put16(f, t + 14, 64240);
  std::memcpy(&f[t + kTcp], opts.data(), opts.size());
  return f;
}

bool TcpChecksumOk(const std::vector<uint8_t>& f, size_t ip_off, size_t tcp_off, size_t tcp_len) {
  uint8_t pseudo[12];
  std::memcpy(pseudo, &f[ip_off + 12], 8);
  pseudo[8] = 0;
  pseudo[9] = 6;
  pseudo[10] = static_cast<uint8_t>(tcp_len >> 8);
  pseudo[11] = static_cast<uint8_t>(tcp_len);
  uint32_t seed = 0;
  for (int i = 0; i < 12; i += 2) seed += static_cast<uint32_t>(pseudo[i] << 8 | pseudo[i + 1]);
  return InternetChecksum(&f[tcp_off], tcp_len, seed) == 0;
}

struct Run {
  uint32_t action = 0;
  std::vector<uint8_t> out;
};

// One reason counter summed over the CPUs; 0 when it cannot be read.
uint64_t ReasonCount(int counters_fd, uint32_t reason) {
  if (counters_fd < 0) return 0;
  Result<std::vector<uint64_t>> sum =
      SumAcrossCpus(BpfPerCpuMap(counters_fd, sizeof(uint64_t)), reason);
  return sum && !sum->empty() ? (*sum)[0] : 0;
}

Result<Run> TestRun(int prog_fd, const std::vector<uint8_t>& in) {
  Run r;
  r.out.resize(in.size() + 256);
  LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = in.data(), .data_out = r.out.data(),
              .data_size_in = static_cast<uint32_t>(in.size()),
              .data_size_out = static_cast<uint32_t>(r.out.size()), .repeat = 1);
  if (bpf_prog_test_run_opts(prog_fd, &topts))
    return Error::FromErrno("run the self-test probe through the XDP program");
  r.action = topts.retval;
  r.out.resize(topts.data_size_out);
  return r;
}

// The TCP header's length in the SYN+ACK, from its data offset.
size_t TcpHeaderLen(const std::vector<uint8_t>& o) {
  return static_cast<size_t>(o[kEth + kIp + 12] >> 4) * 4;
}

// Why the probe SYN got no SYN+ACK: nothing listens yet (not a fault), or
// the program did something else with it.
std::string UnansweredDetail(const SelfTestOptions& opts, uint32_t action, bool no_listener) {
  char server[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &opts.server_addr, server, sizeof(server));
  return "the probe SYN to " + std::string(server) + " port " + std::to_string(opts.port) +
         (no_listener ? " was passed to the kernel: nothing listens there yet"
                      : " was not answered (XDP action " + std::to_string(action) + ")");
}

// What is wrong with the SYN+ACK o, checked as a client would (framing,
// both checksums, that it answers the probe); null when nothing is.
const char* SynAckProblem(const std::vector<uint8_t>& o, const SelfTestOptions& opts) {
  if (o.size() < kEth + kIp + kTcp || Get16(o, 12) != 0x0800 || (o[kEth] & 0x0f) != 5)
    return "the SYN+ACK is not an IPv4 frame with a plain header";
  const size_t t = kEth + kIp;
  const size_t tcp_len = TcpHeaderLen(o);
  if (t + tcp_len > o.size() || tcp_len < kTcp)
    return "the SYN+ACK's TCP header runs past the frame";
  if (InternetChecksum(&o[kEth], kIp) != 0) return "the SYN+ACK's IPv4 checksum is wrong";
  if (!TcpChecksumOk(o, kEth, t, tcp_len)) return "the SYN+ACK's TCP checksum is wrong";
  if ((o[t + 13] & 0x12) != 0x12 || Get32(o, t + 8) != kProbeIsn + 1 ||
      std::memcmp(&o[kEth + 12], &opts.server_addr, 4) != 0 || Get16(o, t + 2) != kProbeSport)
    return "the SYN+ACK does not answer the probe (flags, ack, address or port)";
  return nullptr;
}

// The client ACK's options: the SYN+ACK's TSval echoed when it has one (a
// cookie with timestamps carries SACK and the window scale there), else none.
std::vector<uint8_t> AckOptions(const std::vector<uint8_t>& o) {
  const size_t t = kEth + kIp;
  const size_t tcp_len = TcpHeaderLen(o);
  std::vector<uint8_t> ack_opts;
  for (size_t i = t + kTcp; i + 10 <= t + tcp_len;) {
    if (o[i] == 1) {
      ++i;
      continue;
    }
    if (o[i] == 8 && o[i + 1] == 10) {
      uint32_t tsval = Get32(o, i + 2);
      ack_opts = {1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 0};
      for (int k = 0; k < 4; ++k) ack_opts[8 + k] = static_cast<uint8_t>(tsval >> (24 - 8 * k));
      break;
    }
    if (o[i] < 2 || i + 1 >= t + tcp_len || o[i + 1] < 2) break;
    i += o[i + 1];
  }
  return ack_opts;
}

}  // namespace

uint16_t InternetChecksum(const uint8_t* data, size_t len, uint32_t seed) {
  uint64_t sum = seed;
  for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  if (len & 1) sum += static_cast<uint32_t>(data[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

Result<SelfTestResult> RunSelfTest(const SelfTestOptions& opts) {
  SelfTestResult res;
  // MSS 1460, SACK-permitted, timestamps, NOP, window scale 7: Linux's SYN.
  const std::vector<uint8_t> syn_opts = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                         0, 1, 0,    0,    0, 0, 1, 3,  3, 7};
  const uint64_t no_listener_before = ReasonCount(opts.counters_fd, SG_R_PASS_NO_LISTENER);
  Result<Run> syn = TestRun(opts.prog_fd, Frame(opts, 0x02, kProbeIsn, 0, syn_opts));
  if (!syn) return syn.take_error();
  if (syn->action != XDP_TX) {
    res.no_listener = syn->action == XDP_PASS &&
                      ReasonCount(opts.counters_fd, SG_R_PASS_NO_LISTENER) > no_listener_before;
    res.detail = UnansweredDetail(opts, syn->action, res.no_listener);
    return res;
  }
  if (const char* problem = SynAckProblem(syn->out, opts)) {
    res.detail = problem;
    return res;
  }
  res.answered = true;
  const uint32_t cookie = Get32(syn->out, kEth + kIp + 4);

  const uint64_t valid_before = ReasonCount(opts.counters_fd, SG_R_PASS_COOKIE_VALID);
  Result<Run> ack =
      TestRun(opts.prog_fd, Frame(opts, 0x10, kProbeIsn + 1, cookie + 1, AckOptions(syn->out)));
  if (!ack) return ack.take_error();
  // Passed for its valid cookie, not for some other reason to pass.
  if (ack->action != XDP_PASS ||
      (opts.counters_fd >= 0 &&
       ReasonCount(opts.counters_fd, SG_R_PASS_COOKIE_VALID) == valid_before)) {
    res.detail = "the program refused its own cookie (XDP action " + std::to_string(ack->action) +
                 "): check the secrets and the clock";
    return res;
  }
  res.ack_accepted = true;
  return res;
}

}  // namespace sg
