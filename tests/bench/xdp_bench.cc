// xdp_bench: what synguard's XDP program costs per packet, case by case,
// next to an XDP_DROP floor and a reference responder built on the kernel's
// own cookie helpers. Every case's verdict is checked (and, for synguard,
// the counter reason it was recorded under) before any number is trusted.
//
//   xdp_bench [--repeat N] [--runs N] [--quick] [--check] [--breakdown]
//             [--json FILE] [--plot FILE.png]
//
// Every case is measured for IPv4 and IPv6. The summary gives issue 14's
// figures per family, each computed run by run within the run: SYN ->
// SYN+ACK and invalid ACK as synguard / reference (targets <= 0.40x), an
// established connection's ACK in ns over the floor (<= 30 ns), unprotected
// traffic in ns over the floor (reported). --check exits 1 when a target is
// missed. --breakdown adds where the time goes, by stage (variants.h).
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
#include "variants.h"
#include "packets.h"
#include "report.h"
#include "datapath/xdp_action.h"
#include "synguard/shared.h"

namespace sg::bench {
namespace {

constexpr uint16_t kPort = 443;        // protected and engaged
constexpr uint16_t kOpenPort = 8080;   // not protected
constexpr uint32_t kIsn = 0x12345678;  // the client's ISN in every SYN
constexpr uint32_t kClientTs = 0x00a1b2c3;

struct Options {
  uint32_t repeat = 1000000;
  int runs = 5;
  bool check = false, breakdown = false;
  std::string json, plot;
};

enum class Kind { kFloor, kOverhead, kMeasured };

struct Case {
  std::string key;  // "sg.syn.4", ...: what the targets and the breakdown refer to
  std::string name, group;
  Kind kind = Kind::kMeasured;
  bool wrapped = true;
  int prog_fd = -1;  // run directly, or tail-called by the wrapper
  Bytes pkt;
  uint32_t action = XDP_PASS;  // expected verdict
  int reason = -1;             // expected synguard counter reason, if synguard
  std::string ref;             // reference case to compare with
};

Case Baseline(std::string key, std::string name, Kind kind, bool wrapped, int fd, Bytes pkt) {
  return {std::move(key), std::move(name), "baseline", kind, wrapped, fd,
          std::move(pkt), XDP_DROP,        -1,         ""};
}

Case Synguard(std::string key, std::string group, std::string name, int fd, Bytes pkt,
              uint32_t action, int reason, std::string ref = "") {
  return {std::move(key), std::move(name), std::move(group), Kind::kMeasured, true, fd,
          std::move(pkt), action,          reason,           std::move(ref)};
}

Case Reference(std::string key, std::string group, std::string name, int fd, Bytes pkt,
               uint32_t action) {
  return {std::move(key),
          std::move(name),
          std::move(group),
          Kind::kMeasured,
          true,
          fd,
          std::move(pkt),
          action,
          -1,
          ""};
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

// The packets of one family: a SYN, the ACKs a client would send back to
// synguard's and to the reference's SYN+ACK (valid and with a bad cookie),
// the real connection's bare ACK, a SYN to an unprotected port, UDP.
struct FamilyPackets {
  Bytes syn, sg_good, sg_bad, ref_good, ref_bad, est, open, udp;
};

Result<FamilyPackets> MakePackets(Harness& h, const LoopbackConnection& conn, bool v6) {
  Addr client = BenchClient(v6);
  Addr server = BenchServer(v6);
  TcpSegment syn{.src = client,
                 .dst = server,
                 .sport = 40000,
                 .dport = kPort,
                 .seq = kIsn,
                 .flags = kSyn,
                 .options = LinuxSynOptions(v6 ? 1440 : 1460, kClientTs)};
  TcpSegment open = syn;
  open.dport = kOpenPort;
  // The real connection's 4-tuple, as its client would send a bare ACK.
  TcpSegment est{.src = client,
                 .dst = server,
                 .sport = conn.client_port,
                 .dport = kPort,
                 .seq = 1000,
                 .ack = 2000,
                 .flags = kAck,
                 .window = 502,
                 .options = LinuxAckOptions(kClientTs, kClientTs)};
  Result<Bytes> sg_good = AckFor(h, h.synguard_fd(), syn, false);
  Result<Bytes> sg_bad = AckFor(h, h.synguard_fd(), syn, true);
  Result<Bytes> ref_good = AckFor(h, h.ref_fd(), syn, false);
  Result<Bytes> ref_bad = AckFor(h, h.ref_fd(), syn, true);
  for (auto* r : {&sg_good, &sg_bad})
    if (!*r) return r->take_error().Context(std::string("synguard, IPv") + (v6 ? "6" : "4"));
  for (auto* r : {&ref_good, &ref_bad})
    if (!*r)
      return r->take_error().Context(std::string("reference responder, IPv") + (v6 ? "6" : "4"));
  return FamilyPackets{
      TcpPacket(syn), *sg_good,       *sg_bad,         *ref_good,
      *ref_bad,       TcpPacket(est), TcpPacket(open), UdpPacket(client, server, 5353, kPort, 64)};
}

Result<std::vector<Case>> MakeCases(Harness& h, const LoopbackConnection& conn4,
                                    const LoopbackConnection& conn6) {
  Result<FamilyPackets> p4 = MakePackets(h, conn4, false);
  if (!p4) return p4.take_error();
  Result<FamilyPackets> p6 = MakePackets(h, conn6, true);
  if (!p6) return p6.take_error();
  int sg = h.synguard_fd(), ref = h.ref_fd();
  std::vector<Case> c = {
      Baseline("floor", "XDP_DROP floor", Kind::kFloor, false, h.drop_fd(), p4->syn),
      Baseline("wrap", "restore + tail call -> XDP_DROP", Kind::kOverhead, true, h.drop_fd(),
               p4->syn),
  };
  for (int f : {4, 6}) {
    const FamilyPackets& p = f == 4 ? *p4 : *p6;
    const std::string fam = ", IPv" + std::to_string(f), k = "." + std::to_string(f);
    const std::string g = "synguard" + fam;
    c.push_back(Synguard("sg.syn" + k, g, "SYN -> SYN+ACK" + fam, sg, p.syn, XDP_TX, SG_R_TX_SYNACK,
                         "ref.syn" + k));
    c.push_back(Synguard("sg.good" + k, g, "ACK, valid cookie" + fam, sg, p.sg_good, XDP_PASS,
                         SG_R_PASS_COOKIE_VALID, "ref.good" + k));
    c.push_back(Synguard("sg.bad" + k, g, "ACK, invalid cookie (bad MAC)" + fam, sg, p.sg_bad,
                         XDP_DROP, SG_R_DROP_BAD_MAC, "ref.bad" + k));
    c.push_back(Synguard("sg.est" + k, g, "ACK of an established connection" + fam, sg, p.est,
                         XDP_PASS, SG_R_PASS_SOCKET));
    c.push_back(Synguard("sg.open" + k, g, "SYN to an unprotected port" + fam, sg, p.open, XDP_PASS,
                         SG_R_PASS_UNPROTECTED));
    c.push_back(Synguard("sg.udp" + k, g, "UDP" + fam, sg, p.udp, XDP_PASS, SG_R_PASS_NOT_TCP));
  }
  // Issue 14's question: what would a map of live 4-tuples save over the
  // socket lookup every SYN pays? Each alone, on the same SYN.
  for (int f : {4, 6}) {
    const FamilyPackets& p = f == 4 ? *p4 : *p6;
    const std::string fam = ", IPv" + std::to_string(f), k = "." + std::to_string(f);
    c.push_back(Baseline("alt.skc" + k, "alternative: socket lookup alone, SYN" + fam,
                         Kind::kMeasured, true, h.skc_lookup_fd(), p.syn));
    c.push_back(Baseline("alt.lru" + k, "alternative: 4-tuple LRU map lookup alone, SYN" + fam,
                         Kind::kMeasured, true, h.tuple_lru_fd(), p.syn));
  }
  for (int f : {4, 6}) {
    const FamilyPackets& p = f == 4 ? *p4 : *p6;
    const std::string fam = ", IPv" + std::to_string(f), k = "." + std::to_string(f);
    const std::string g = "reference" + fam;
    c.push_back(Reference("ref.syn" + k, g, "reference: SYN -> SYN+ACK" + fam, ref, p.syn, XDP_TX));
    c.push_back(Reference("ref.good" + k, g, "reference: ACK, valid cookie" + fam, ref, p.ref_good,
                          XDP_PASS));
    c.push_back(Reference("ref.bad" + k, g, "reference: ACK, invalid cookie" + fam, ref, p.ref_bad,
                          XDP_DROP));
  }
  return c;
}

const Case* Find(const std::vector<Case>& cases, const std::string& key) {
  for (const Case& c : cases)
    if (c.key == key) return &c;
  return nullptr;
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

// ns over the floor of case key in each run: its time less that of the
// restore wrapper tail-calling XDP_DROP in the same run.
std::vector<double> OverFloor(const std::vector<Case>& cases,
                              const std::vector<std::vector<double>>& ns, const std::string& key) {
  size_t wrap = 0, idx = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (cases[i].kind == Kind::kOverhead) wrap = i;
    if (cases[i].key == key) idx = i;
  }
  std::vector<double> out;
  for (size_t run = 0; run < ns[idx].size(); ++run) out.push_back(ns[idx][run] - ns[wrap][run]);
  return out;
}

// Issue 14's figures, per family, each run by run.
std::vector<RatioResult> Targets(const std::vector<Case>& cases,
                                 const std::vector<std::vector<double>>& ns) {
  std::vector<RatioResult> out;
  auto ratio = [&](int f, const std::string& name, const std::string& what,
                   std::optional<double> target) {
    std::string k = "." + std::to_string(f);
    std::vector<double> a = OverFloor(cases, ns, "sg." + what + k);
    std::vector<double> b = OverFloor(cases, ns, "ref." + what + k);
    std::vector<double> r;
    for (size_t i = 0; i < a.size(); ++i) r.push_back(b[i] > 0 ? a[i] / b[i] : 0);
    out.push_back({f, name, "x", target, Summarize(r)});
  };
  auto over = [&](int f, const std::string& name, const std::string& what,
                  std::optional<double> target) {
    out.push_back({f, name, "ns", target,
                   Summarize(OverFloor(cases, ns, "sg." + what + "." + std::to_string(f)))});
  };
  for (int f : {4, 6}) {
    ratio(f, "SYN -> SYN+ACK, synguard / reference", "syn", 0.40);
    ratio(f, "ACK, invalid cookie, synguard / reference", "bad", 0.40);
    ratio(f, "ACK, valid cookie, synguard / reference", "good", std::nullopt);
    over(f, "ACK of an established connection, over floor", "est", 30.0);
    over(f, "SYN to an unprotected port, over floor", "open", std::nullopt);
    over(f, "UDP, over floor", "udp", std::nullopt);
  }
  return out;
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
    std::vector<double> net = ns[i];
    if (cr.wrapped)
      for (double& v : net) v -= rep.wrapper_overhead;
    cr.net = Summarize(net);
    cr.over_floor = cr.net.median - rep.floor;
    rep.cases.push_back(cr);
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case* ref = cases[i].ref.empty() ? nullptr : Find(cases, cases[i].ref);
    if (!ref) continue;
    for (size_t j = 0; j < cases.size(); ++j)
      if (&cases[j] == ref) {
        rep.cases[i].ref = rep.cases[j].name;
        if (rep.cases[j].over_floor > 0)
          rep.cases[i].ratio = rep.cases[i].over_floor / rep.cases[j].over_floor;
      }
  }
  rep.ratios = Targets(cases, ns);
  return rep;
}

// One path of the breakdown: a case, and the set of builds whose forced
// cookie result keeps its verdict.
struct BreakdownPlan {
  std::string key;
  bool invalid_cookie;
};

// The instructions' tag of a loaded program: two builds with the same tag
// are the same program.
std::string ProgTag(int fd) {
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len)) return "";
  return std::string(reinterpret_cast<const char*>(info.tag), sizeof(info.tag));
}

Result<std::vector<BreakdownPath>> Breakdown(Harness& h, const std::vector<Case>& cases,
                                             const Options& o) {
  const Datapath& dp = h.datapath();
  if (!dp.uses_bpf_loop())
    return Error(
        "--breakdown needs a kernel with bpf_loop() (5.17+): its builds are of the "
        "full program, not the compat one");
  Result<std::vector<LoadedVariant>> valid =
      LoadVariants(h.synguard_fd(), dp.uses_frags(), SG_COOKIE_VALID);
  if (!valid) return valid.take_error();
  Result<std::vector<LoadedVariant>> invalid =
      LoadVariants(h.synguard_fd(), dp.uses_frags(), SG_COOKIE_BAD_MAC);
  if (!invalid) return invalid.take_error();
  const std::vector<VariantStep>& steps = VariantSteps();
  std::vector<bool> placed;
  std::string prev = ProgTag(h.synguard_fd());
  for (const LoadedVariant& v : *valid) {
    std::string tag = ProgTag(v.prog_fd);
    placed.push_back(tag.empty() || tag != prev);
    prev = tag;
  }

  const std::vector<BreakdownPlan> plans = {
      {"sg.syn.4", false}, {"sg.syn.6", false},  {"sg.good.4", false},
      {"sg.bad.4", true},  {"sg.good.6", false}, {"sg.bad.6", true},
  };
  // builds[p]: the real program, then each step's build.
  std::vector<std::vector<int>> builds;
  for (const BreakdownPlan& pl : plans) {
    const Case* c = Find(cases, pl.key);
    std::vector<int> fds = {h.synguard_fd()};
    for (const LoadedVariant& v : pl.invalid_cookie ? *invalid : *valid) fds.push_back(v.prog_fd);
    for (size_t b = 1; b < fds.size(); ++b) {
      Result<TestRunResult> r = h.RunWrapped(fds[b], c->pkt, 1);
      if (!r) return r.take_error().Context(c->name);
      if (r->action != c->action)
        return Error(c->name + ": the build without \"" + steps[b - 1].name + "\" gives " +
                     sg::XdpActionName(r->action) + ", expected " + sg::XdpActionName(c->action) +
                     " (bpf/lib/bench_skip.h: a guard that changes the verdict?)");
    }
    builds.push_back(std::move(fds));
  }

  std::printf("xdp_bench: breakdown, %zu builds x %zu paths, %d runs...\n", steps.size() + 1,
              plans.size(), o.runs);
  std::vector<double> wrap;
  std::vector<std::vector<std::vector<double>>> ns(
      plans.size(), std::vector<std::vector<double>>(steps.size() + 1));
  for (int run = 0; run < o.runs; ++run) {
    Result<TestRunResult> w = h.RunWrapped(h.drop_fd(), cases.front().pkt, o.repeat);
    if (!w) return w.take_error();
    wrap.push_back(w->ns_per_pkt);
    for (size_t p = 0; p < plans.size(); ++p) {
      const Case* c = Find(cases, plans[p].key);
      for (size_t b = 0; b < builds[p].size(); ++b) {
        Result<TestRunResult> r = h.RunWrapped(builds[p][b], c->pkt, o.repeat);
        if (!r) return r.take_error().Context(c->name);
        ns[p][b].push_back(r->ns_per_pkt);
      }
    }
  }

  std::vector<BreakdownPath> out;
  for (size_t p = 0; p < plans.size(); ++p) {
    BreakdownPath path;
    path.name = Find(cases, plans[p].key)->name;
    for (size_t k = 1; k <= steps.size(); ++k) {
      std::vector<double> d;
      for (int run = 0; run < o.runs; ++run) d.push_back(ns[p][k - 1][run] - ns[p][k][run]);
      std::string name = steps[k - 1].name;
      bool on_path = path.name.rfind("SYN", 0) == 0 ? steps[k - 1].syn : steps[k - 1].ack;
      if (!on_path) name += " (not on this path)";
      path.stages.push_back({name, Summarize(d), placed[k - 1]});
    }
    std::vector<double> rest, total;
    for (int run = 0; run < o.runs; ++run) {
      rest.push_back(ns[p][steps.size()][run] - wrap[run]);
      total.push_back(ns[p][0][run] - wrap[run]);
    }
    path.stages.push_back(
        {"rest: parse, port, config and key lookups, verdict", Summarize(rest), true});
    path.total = Summarize(total);
    out.push_back(std::move(path));
  }
  return out;
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
  app.add_flag("--check", o.check, "exit 1 when a figure misses its target (issue 14)");
  app.add_flag("--breakdown", o.breakdown,
               "also measure where the time goes, by stage (builds with stages taken out)");
  app.add_option("--json", o.json, "write the results as JSON to FILE");
  app.add_option("--plot", o.plot,
                 "draw a bar chart to FILE.png (needs gnuplot); with --breakdown, the stages "
                 "to FILE-breakdown.png too");
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
  Result<LoopbackConnection> conn4 = OpenLoopbackConnection(kPort, false);
  if (!conn4) return fail(conn4.error());
  Result<LoopbackConnection> conn6 = OpenLoopbackConnection(kPort, true);
  if (!conn6) return fail(conn6.error());
  Result<std::unique_ptr<Harness>> h = Harness::Create(kPort);
  if (!h) return fail(h.error());
  Result<std::vector<Case>> cases = MakeCases(**h, *conn4, *conn6);
  if (!cases) return fail(cases.error());
  if (Status s = CheckCases(**h, (*h)->counters_fd(), *cases); !s) return fail(s.error());
  std::printf("xdp_bench: all %zu cases gave their expected verdicts; measuring...\n",
              cases->size());

  std::string load_before = FirstLine("/proc/loadavg");
  Result<std::vector<std::vector<double>>> ns = Measure(**h, *cases, o);
  if (!ns) return fail(ns.error());
  Report rep = Analyze(*cases, *ns, o);
  if (o.breakdown) {
    Result<std::vector<BreakdownPath>> bd = Breakdown(**h, *cases, o);
    if (!bd) return fail(bd.error());
    rep.breakdown = std::move(*bd);
  }
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
    if (o.breakdown) {
      std::string png = o.plot;
      size_t dot = png.rfind(".png");
      png = (dot == std::string::npos ? png : png.substr(0, dot)) + "-breakdown.png";
      Result<std::string> bmsg = WriteBreakdownPlot(rep, png);
      if (!bmsg) return fail(bmsg.error());
      std::printf("%s\n", bmsg->c_str());
    }
  }
  if (o.check && !AllPass(rep)) {
    std::printf("xdp_bench --check: a figure misses its target (FAIL above)\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace sg::bench

int main(int argc, char** argv) { return sg::bench::Main(argc, argv); }
