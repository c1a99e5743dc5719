// xdp_bench: what synguard's XDP program costs per packet, case by case,
// next to an XDP_DROP floor and a reference responder built on the kernel's
// own cookie helpers. Every case's verdict is checked (and, for synguard,
// the counter reason it was recorded under) before any number is trusted.
//
//   xdp_bench [--repeat N] [--runs N] [--quick] [--json FILE] [--plot FILE.png]
//
// Needs root. Runs in a private network namespace of its own.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "bench_setup.h"
#include "measure.h"
#include "packets.h"
#include "report.h"
#include "synguard/shared.h"
#include "datapath/xdp_action.h"

namespace sg::bench {
namespace {

constexpr uint16_t kPort = 443;        // protected and engaged
constexpr uint16_t kOpenPort = 8080;   // not protected
constexpr uint32_t kIsn = 0x12345678;  // the client's ISN in every SYN
constexpr uint32_t kClientTs = 0x00a1b2c3;

struct Options {
  uint32_t repeat = 1000000;
  int runs = 5;
  std::string json, plot;
};

enum class Kind { kFloor, kOverhead, kMeasured };

struct Case {
  std::string name, group;
  Kind kind = Kind::kMeasured;
  bool wrapped = true;
  int prog_fd = -1;  // run directly, or tail-called by the wrapper
  Bytes pkt;
  uint32_t action = XDP_PASS;  // expected verdict
  int reason = -1;             // expected synguard counter reason, if synguard
  std::string ref;             // reference case to compare with
};

Case Baseline(std::string name, Kind kind, bool wrapped, int fd, Bytes pkt) {
  return {std::move(name), "baseline", kind, wrapped, fd, std::move(pkt), XDP_DROP, -1, ""};
}

Case Synguard(std::string name, int fd, Bytes pkt, uint32_t action, int reason,
              std::string ref = "") {
  return {std::move(name), "synguard", Kind::kMeasured, true,          fd,
          std::move(pkt),  action,     reason,          std::move(ref)};
}

Case Reference(std::string name, int fd, Bytes pkt, uint32_t action) {
  return {std::move(name), "reference", Kind::kMeasured, true, fd, std::move(pkt), action, -1, ""};
}

std::string FirstLine(const std::string& path, const std::string& prefix = "") {
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(prefix, 0) == 0) return prefix.empty() ? line : line.substr(line.find(':') + 2);
  return "unknown";
}

// One synguard counter, summed over the CPUs.
uint64_t Counter(int fd, int reason) {
  int ncpu = libbpf_num_possible_cpus();
  std::vector<uint64_t> v(ncpu > 0 ? ncpu : 1);
  uint32_t key = static_cast<uint32_t>(reason);
  if (bpf_map_lookup_elem(fd, &key, v.data())) return 0;
  uint64_t sum = 0;
  for (uint64_t x : v) sum += x;
  return sum;
}

Result<TestRunResult> Run(Harness& h, const Case& c, uint32_t repeat) {
  return c.wrapped ? h.RunWrapped(c.prog_fd, c.pkt, repeat) : h.RunDirect(c.prog_fd, c.pkt, repeat);
}

// The SYN+ACK a responder made of a SYN: checked, then the ACK a client would
// send back (bad_cookie flips a bit of the cookie's MAC, or hash, bits).
Result<Bytes> AckFor(Harness& h, int prog_fd, const TcpSegment& syn, bool bad_cookie) {
  Result<TestRunResult> r = h.RunWrapped(prog_fd, TcpPacket(syn), 1);
  if (!r) return r.take_error();
  std::optional<TcpView> sa = ParseTcp(r->out);
  if (r->action != XDP_TX || !sa || sa->flags != (kSyn | kAck) || sa->ack != syn.seq + 1 ||
      !sa->checksums_ok || !sa->tsval)
    return Error("the responder's answer to a SYN is not a valid SYN+ACK with timestamps");
  TcpSegment ack = syn;
  ack.seq = syn.seq + 1;
  ack.ack = (bad_cookie ? sa->seq ^ (1u << 20) : sa->seq) + 1;
  ack.flags = kAck;
  ack.window = 502;
  ack.options = LinuxAckOptions(kClientTs + 1, *sa->tsval);
  return TcpPacket(ack);
}

// Runs every case once and checks its verdict, counter reason and, for SYNs,
// the SYN+ACK itself. A case that fails here would make its number meaningless.
Status CheckCases(Harness& h, int counters_fd, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    uint64_t before = c.reason >= 0 ? Counter(counters_fd, c.reason) : 0;
    Result<TestRunResult> r = Run(h, c, 1);
    if (!r) return r.take_error().Context(c.name);
    if (r->action != c.action)
      return Error(c.name + ": verdict " + sg::XdpActionName(r->action) + ", expected " +
                   sg::XdpActionName(c.action));
    if (c.reason >= 0 && Counter(counters_fd, c.reason) != before + 1)
      return Error(c.name + ": not counted as " + sg_reason_names[c.reason]);
    if (c.action == XDP_TX) {
      std::optional<TcpView> sa = ParseTcp(r->out);
      if (!sa || sa->flags & ~(kSyn | kAck | 0x40) || sa->ack != kIsn + 1 || !sa->checksums_ok)
        return Error(c.name + ": the answer is not a SYN+ACK to the SYN with good checksums");
    }
  }
  return Ok();
}

Result<std::vector<Case>> MakeCases(Harness& h, const LoopbackConnection& conn) {
  Addr client = Ipv4(127, 0, 0, 2), server = Ipv4(127, 0, 0, 1), v6 = Ipv6Loopback();
  TcpSegment syn4{.src = client,
                  .dst = server,
                  .sport = 40000,
                  .dport = kPort,
                  .seq = kIsn,
                  .flags = kSyn,
                  .options = LinuxSynOptions(1460, kClientTs)};
  TcpSegment syn6 = syn4;
  syn6.src = syn6.dst = v6;
  syn6.options = LinuxSynOptions(1440, kClientTs);
  TcpSegment open = syn4;
  open.dport = kOpenPort;
  // The real connection's 4-tuple, as its client would send a bare ACK.
  TcpSegment est{.src = server,
                 .dst = server,
                 .sport = conn.client_port,
                 .dport = kPort,
                 .seq = 1000,
                 .ack = 2000,
                 .flags = kAck,
                 .window = 502,
                 .options = LinuxAckOptions(kClientTs, kClientTs)};

  int sg = h.synguard_fd(), ref = h.ref_fd();
  Result<Bytes> sg_good = AckFor(h, sg, syn4, false), sg_bad = AckFor(h, sg, syn4, true);
  Result<Bytes> ref_good = AckFor(h, ref, syn4, false), ref_bad = AckFor(h, ref, syn4, true);
  for (auto* r : {&sg_good, &sg_bad})
    if (!*r) return r->take_error().Context("synguard");
  for (auto* r : {&ref_good, &ref_bad})
    if (!*r) return r->take_error().Context("reference responder");

  const std::string ref_syn4 = "reference: SYN -> SYN+ACK, IPv4";
  const std::string ref_syn6 = "reference: SYN -> SYN+ACK, IPv6";
  const std::string ref_good_name = "reference: ACK, valid cookie";
  const std::string ref_bad_name = "reference: ACK, invalid cookie";
  Bytes p_syn4 = TcpPacket(syn4), p_syn6 = TcpPacket(syn6);
  std::vector<Case> c = {
      Baseline("XDP_DROP floor", Kind::kFloor, false, h.drop_fd(), p_syn4),
      Baseline("restore + tail call -> XDP_DROP", Kind::kOverhead, true, h.drop_fd(), p_syn4),
      Synguard("SYN -> SYN+ACK, IPv4", sg, p_syn4, XDP_TX, SG_R_TX_SYNACK, ref_syn4),
      Synguard("SYN -> SYN+ACK, IPv6", sg, p_syn6, XDP_TX, SG_R_TX_SYNACK, ref_syn6),
      Synguard("ACK, valid cookie", sg, *sg_good, XDP_PASS, SG_R_PASS_COOKIE_VALID, ref_good_name),
      Synguard("ACK, invalid cookie (bad MAC)", sg, *sg_bad, XDP_DROP, SG_R_DROP_BAD_MAC,
               ref_bad_name),
      Synguard("ACK of an established connection", sg, TcpPacket(est), XDP_PASS, SG_R_PASS_SOCKET),
      Synguard("SYN to an unprotected port", sg, TcpPacket(open), XDP_PASS, SG_R_PASS_UNPROTECTED),
      Synguard("UDP", sg, UdpPacket(client, server, 5353, kPort, 64), XDP_PASS, SG_R_PASS_NOT_TCP),
      Reference(ref_syn4, ref, p_syn4, XDP_TX),
      Reference(ref_syn6, ref, p_syn6, XDP_TX),
      Reference(ref_good_name, ref, *ref_good, XDP_PASS),
      Reference(ref_bad_name, ref, *ref_bad, XDP_DROP),
  };
  return c;
}

// Runs are interleaved across cases, so a burst of load from other jobs
// spreads over all of them instead of spoiling one.
Result<std::vector<std::vector<double>>> Measure(Harness& h, const std::vector<Case>& cases,
                                                 const Options& o) {
  std::vector<std::vector<double>> ns(cases.size());
  for (int run = 0; run < o.runs; ++run) {
    for (size_t i = 0; i < cases.size(); ++i) {
      Result<TestRunResult> r = Run(h, cases[i], o.repeat);
      if (!r) return r.take_error().Context(cases[i].name);
      if (r->action != cases[i].action)
        return Error(cases[i].name + ": verdict changed to " + sg::XdpActionName(r->action) +
                     " in run " + std::to_string(run + 1));
      ns[i].push_back(r->ns_per_pkt);
    }
  }
  return ns;
}

Report Analyze(const std::vector<Case>& cases, const std::vector<std::vector<double>>& ns,
               const Options& o) {
  Report rep;
  utsname u{};
  uname(&u);
  rep.kernel = u.release;
  rep.cpu = FirstLine("/proc/cpuinfo", "model name") + ", " +
            std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " CPUs";
  rep.repeat = o.repeat;
  rep.runs = o.runs;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (cases[i].kind == Kind::kFloor) rep.floor = Summarize(ns[i]).median;
    if (cases[i].kind == Kind::kOverhead) rep.wrapper_overhead = Summarize(ns[i]).median;
  }
  rep.wrapper_overhead -= rep.floor;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    CaseResult cr;
    cr.name = c.name;
    cr.group = c.group;
    cr.verdict = sg::XdpActionName(c.action);
    cr.wrapped = c.wrapped && c.kind == Kind::kMeasured;
    cr.raw = ns[i];
    cr.ref = c.ref;
    std::vector<double> net = ns[i];
    if (cr.wrapped)
      for (double& v : net) v -= rep.wrapper_overhead;
    cr.net = Summarize(net);
    cr.over_floor = cr.net.median - rep.floor;
    rep.cases.push_back(cr);
  }
  for (CaseResult& c : rep.cases)
    for (const CaseResult& r : rep.cases)
      if (!c.ref.empty() && r.name == c.ref && r.over_floor > 0)
        c.ratio = c.over_floor / r.over_floor;
  return rep;
}

int Main(int argc, char** argv) {
  Options o;
  bool quick = false;
  CLI::App app{"Per-packet cost of synguard's XDP program (BPF_PROG_TEST_RUN)"};
  app.add_option("--repeat", o.repeat, "packets per run and case (>= 1000000 for real numbers)")
      ->check(CLI::Range(1u, 100000000u));
  app.add_option("--runs", o.runs, "runs per case; the median is reported")
      ->check(CLI::Range(1, 1000));
  app.add_flag("--quick", quick, "smoke test for CI: --repeat 10000 --runs 3");
  app.add_option("--json", o.json, "write the results as JSON to FILE");
  app.add_option("--plot", o.plot, "draw a bar chart to FILE.png (needs gnuplot)");
  CLI11_PARSE(app, argc, argv);
  if (quick) {
    o.repeat = 10000;
    o.runs = 3;
  }
  if (geteuid() != 0) {
    std::fprintf(stderr, "xdp_bench: needs root (BPF programs, a network namespace)\n");
    return 1;
  }
  auto fail = [](const Error& e) {
    std::fprintf(stderr, "xdp_bench: %s\n", e.message().c_str());
    return 1;
  };

  if (Status s = EnterPrivateNetns(); !s) return fail(s.error());
  Result<LoopbackConnection> conn = OpenLoopbackConnection(kPort);
  if (!conn) return fail(conn.error());
  Result<std::unique_ptr<Harness>> h = Harness::Create(kPort);
  if (!h) return fail(h.error());
  Result<std::vector<Case>> cases = MakeCases(**h, *conn);
  if (!cases) return fail(cases.error());
  if (Status s = CheckCases(**h, (*h)->counters_fd(), *cases); !s) return fail(s.error());
  std::printf("xdp_bench: all %zu cases gave their expected verdicts; measuring...\n",
              cases->size());

  std::string load_before = FirstLine("/proc/loadavg");
  Result<std::vector<std::vector<double>>> ns = Measure(**h, *cases, o);
  if (!ns) return fail(ns.error());
  Report rep = Analyze(*cases, *ns, o);
  rep.loadavg_before = load_before;
  rep.loadavg_after = FirstLine("/proc/loadavg");
  PrintTable(rep);
  if (!o.json.empty()) {
    if (Status s = WriteJson(rep, o.json); !s) return fail(s.error());
    std::printf("results written to %s\n", o.json.c_str());
  }
  if (!o.plot.empty()) {
    Result<std::string> msg = WritePlot(rep, o.plot);
    if (!msg) return fail(msg.error());
    std::printf("%s\n", msg->c_str());
  }
  return 0;
}

}  // namespace
}  // namespace sg::bench

int main(int argc, char** argv) { return sg::bench::Main(argc, argv); }
