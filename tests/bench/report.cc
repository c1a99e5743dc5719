#include "report.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sg::bench {

namespace {

std::string Fixed(double v, int prec = 1) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", prec, v);
  return buf;
}

std::string Quote(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

std::string FindInPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string p = dir + "/" + name;
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

}  // namespace

void PrintTable(const Report& r) {
  std::printf("\nxdp_bench: kernel %s, %s\n", r.kernel.c_str(), r.cpu.c_str());
  std::printf("%d runs x %u packets per case; median of the runs' ns/pkt (BPF_PROG_TEST_RUN).\n",
              r.runs, r.repeat);
  std::printf("load average before: %s, after: %s\n", r.loadavg_before.c_str(),
              r.loadavg_after.c_str());
  std::printf("Wrapped cases (*) have the restore + tail-call overhead, %.1f ns, subtracted.\n\n",
              r.wrapper_overhead);
  std::printf("%-44s %-9s %8s %8s %8s %10s %8s\n", "case", "verdict", "ns/pkt", "min", "max",
              "over floor", "vs ref");
  std::printf("%s\n", std::string(101, '-').c_str());
  std::string group;
  for (const CaseResult& c : r.cases) {
    if (c.group != group && !group.empty()) std::printf("\n");
    group = c.group;
    std::string name = c.name + (c.wrapped ? " *" : "");
    std::string ratio = c.ratio ? Fixed(*c.ratio, 2) + "x" : "-";
    std::printf("%-44s %-9s %8s %8s %8s %10s %8s\n", name.c_str(), c.verdict.c_str(),
                Fixed(c.net.median).c_str(), Fixed(c.net.min).c_str(), Fixed(c.net.max).c_str(),
                Fixed(c.over_floor).c_str(), ratio.c_str());
  }
  std::printf(
      "\nover floor: ns/pkt minus the XDP_DROP floor (%.1f ns). vs ref: over floor divided by the\n"
      "reference responder's over floor for the same packet. Other jobs share this machine:\n"
      "compare numbers from one run, not across runs.\n",
      r.floor);

  std::printf(
      "\nTargets (issue 14), each computed run by run within this run; median [min..max]\n"
      "over the %d runs; PASS when the median meets the target:\n\n",
      r.runs);
  std::printf("%-6s %-52s %10s %17s %8s %6s\n", "family", "figure", "median", "[min..max]",
              "target", "");
  std::printf("%s\n", std::string(104, '-').c_str());
  for (const RatioResult& x : r.ratios) {
    int prec = x.unit == "x" ? 2 : 1;
    std::string med = Fixed(x.value.median, prec) + (x.unit == "x" ? "x" : " ns");
    std::string spread = "[" + Fixed(x.value.min, prec) + ".." + Fixed(x.value.max, prec) + "]";
    std::string target =
        x.target ? "<= " + Fixed(*x.target, prec) + (x.unit == "x" ? "x" : "") : std::string("-");
    const char* verdict = !x.target ? "info" : x.pass() ? "PASS" : "FAIL";
    std::printf("IPv%-3d %-52s %10s %17s %8s %6s\n", x.family, x.name.c_str(), med.c_str(),
                spread.c_str(), target.c_str(), verdict);
  }
  std::printf(
      "\nx: synguard's ns over the floor divided by the reference responder's, for the same\n"
      "packet, in the same run. ns: over the restore + tail-call floor.\n");

  if (r.breakdown.empty()) return;
  std::printf(
      "\nBreakdown (--breakdown): where the time goes, by taking stages out of the program one\n"
      "at a time (bpf/lib/bench_skip.h). Each stage is the difference between the build with\n"
      "it and the build without it (every stage above it already out), run by run; median\n"
      "[min..max] of %d runs, share of the path's median total over the floor.\n",
      r.runs);
  for (const BreakdownPath& p : r.breakdown) {
    std::printf("\n%-54s %8s %17s %7s\n", p.name.c_str(), "ns", "[min..max]", "share");
    for (const BreakdownStage& st : p.stages) {
      if (!st.placed) {
        std::printf("  %-52s %8s %17s %7s\n", st.name.c_str(), "-", "(not placed)", "");
        continue;
      }
      std::string spread = "[" + Fixed(st.ns.min) + ".." + Fixed(st.ns.max) + "]";
      std::string share =
          p.total.median > 0 ? Fixed(100 * st.ns.median / p.total.median, 0) + "%" : "-";
      std::printf("  %-52s %8s %17s %7s\n", st.name.c_str(), Fixed(st.ns.median).c_str(),
                  spread.c_str(), share.c_str());
    }
    std::string spread = "[" + Fixed(p.total.min) + ".." + Fixed(p.total.max) + "]";
    std::printf("  %-52s %8s %17s %7s\n", "total over the floor", Fixed(p.total.median).c_str(),
                spread.c_str(), "100%");
  }
  std::printf(
      "\n(not placed): the build with this stage out is the same program as the one before it\n"
      "(same instructions): the stage has no guard in synguard_xdp.bpf.c, or nothing of its own\n"
      "(the listener check reads the socket lookup's answer: with the lookup out, it is gone).\n"
      "Verdicts are kept: with the SYN+ACK rewrite out the SYN goes back unchanged with XDP_TX;\n"
      "with the cookie out a SYN gets a constant sequence number and an ACK's check result is\n"
      "forced to the verdict it has (valid: pass, invalid: drop as a bad MAC), the build loaded\n"
      "once per verdict; with the options out the bench SYN's own options are set; with the\n"
      "live-tuple, listener and local checks out they are taken as passed. Stages interact\n"
      "(cache, branch prediction): the split is the order's, the total is exact.\n");
}

bool AllPass(const Report& r) {
  for (const RatioResult& x : r.ratios)
    if (!x.pass()) return false;
  return true;
}

Status WriteJson(const Report& r, const std::string& path) {
  std::ofstream f(path);
  if (!f) return Error::FromErrno("open " + path);
  f << "{\n  \"kernel\": " << Quote(r.kernel) << ",\n  \"cpu\": " << Quote(r.cpu)
    << ",\n  \"loadavg_before\": " << Quote(r.loadavg_before)
    << ",\n  \"loadavg_after\": " << Quote(r.loadavg_after) << ",\n  \"repeat\": " << r.repeat
    << ",\n  \"runs\": " << r.runs << ",\n  \"floor_ns\": " << Fixed(r.floor, 2)
    << ",\n  \"wrapper_overhead_ns\": " << Fixed(r.wrapper_overhead, 2) << ",\n  \"cases\": [";
  for (size_t i = 0; i < r.cases.size(); ++i) {
    const CaseResult& c = r.cases[i];
    f << (i ? "," : "") << "\n    {\"name\": " << Quote(c.name) << ", \"group\": " << Quote(c.group)
      << ", \"verdict\": " << Quote(c.verdict)
      << ", \"wrapped\": " << (c.wrapped ? "true" : "false")
      << ", \"median_ns\": " << Fixed(c.net.median, 2) << ", \"min_ns\": " << Fixed(c.net.min, 2)
      << ", \"max_ns\": " << Fixed(c.net.max, 2)
      << ", \"over_floor_ns\": " << Fixed(c.over_floor, 2)
      << ", \"reference\": " << (c.ref.empty() ? "null" : Quote(c.ref))
      << ", \"ratio_to_reference\": " << (c.ratio ? Fixed(*c.ratio, 3) : "null")
      << ", \"raw_ns\": [";
    for (size_t j = 0; j < c.raw.size(); ++j) f << (j ? ", " : "") << Fixed(c.raw[j], 0);
    f << "]}";
  }
  f << "\n  ],\n  \"targets\": [";
  for (size_t i = 0; i < r.ratios.size(); ++i) {
    const RatioResult& x = r.ratios[i];
    f << (i ? "," : "") << "\n    {\"family\": " << x.family << ", \"name\": " << Quote(x.name)
      << ", \"unit\": " << Quote(x.unit) << ", \"median\": " << Fixed(x.value.median, 3)
      << ", \"min\": " << Fixed(x.value.min, 3) << ", \"max\": " << Fixed(x.value.max, 3)
      << ", \"target\": " << (x.target ? Fixed(*x.target, 3) : "null") << ", \"result\": "
      << Quote(!x.target  ? "info"
               : x.pass() ? "PASS"
                          : "FAIL")
      << "}";
  }
  f << "\n  ],\n  \"breakdown\": [";
  for (size_t i = 0; i < r.breakdown.size(); ++i) {
    const BreakdownPath& p = r.breakdown[i];
    f << (i ? "," : "") << "\n    {\"path\": " << Quote(p.name)
      << ", \"total_ns\": " << Fixed(p.total.median, 2) << ", \"stages\": [";
    for (size_t j = 0; j < p.stages.size(); ++j) {
      const BreakdownStage& st = p.stages[j];
      f << (j ? ", " : "") << "{\"stage\": " << Quote(st.name)
        << ", \"placed\": " << (st.placed ? "true" : "false")
        << ", \"median_ns\": " << Fixed(st.ns.median, 2) << ", \"min_ns\": " << Fixed(st.ns.min, 2)
        << ", \"max_ns\": " << Fixed(st.ns.max, 2) << "}";
    }
    f << "]}";
  }
  f << "\n  ]\n}\n";
  f.close();
  if (!f) return Error::FromErrno("write " + path);
  return Ok();
}

Result<std::string> WritePlot(const Report& r, const std::string& png) {
  std::string gnuplot = FindInPath("gnuplot");
  if (gnuplot.empty())
    return std::string("gnuplot is not installed: no plot (apt-get install gnuplot-nox)");
  std::string cmd = gnuplot + " 2>&1";
  FILE* p = popen(cmd.c_str(), "w");
  if (!p) return Error::FromErrno("start gnuplot");
  std::fprintf(p,
               "set terminal pngcairo size 1200,600 noenhanced\nset output %s\n"
               "set title 'XDP per-packet cost over the XDP_DROP floor (%.1f ns), median of %d "
               "runs x %u; bars: min..max'\n"
               "set ylabel 'ns per packet over floor'\nset style data histogram\n"
               "set style histogram errorbars gap 1 lw 1\nset style fill solid 0.6 border -1\n"
               "set xtics rotate by -30 left\nset grid ytics\nset key off\nset bmargin 10\n"
               "$d << EOD\n",
               Quote(png).c_str(), r.floor, r.runs, r.repeat);
  for (const CaseResult& c : r.cases) {
    if (c.group == "baseline") continue;
    std::fprintf(p, "%s %.2f %.2f %.2f\n", Quote(c.name).c_str(), c.over_floor, c.net.min - r.floor,
                 c.net.max - r.floor);
  }
  std::fprintf(p, "EOD\nplot $d using 2:3:4:xtic(1)\n");
  int rc = pclose(p);
  if (rc != 0) return Error("gnuplot failed (exit status " + std::to_string(rc) + ")");
  return "plot written to " + png;
}

Result<std::string> WriteBreakdownPlot(const Report& r, const std::string& png) {
  std::string gnuplot = FindInPath("gnuplot");
  if (gnuplot.empty())
    return std::string("gnuplot is not installed: no plot (apt-get install gnuplot-nox)");
  if (r.breakdown.empty()) return std::string("no breakdown to plot");
  std::string cmd = gnuplot + " 2>&1";
  FILE* p = popen(cmd.c_str(), "w");
  if (!p) return Error::FromErrno("start gnuplot");
  const std::vector<BreakdownStage>& names = r.breakdown.front().stages;
  std::fprintf(p,
               "set terminal pngcairo size 1200,650 noenhanced\nset output %s\n"
               "set title 'Where the time goes: ns over the XDP_DROP floor by stage, median of %d "
               "runs x %u'\n"
               "set ylabel 'ns per packet over floor'\nset style data histogram\n"
               "set style histogram rowstacked\nset style fill solid 0.8 border -1\n"
               "set boxwidth 0.6\nset xtics rotate by -20 left\nset grid ytics\n"
               "set key outside right\nset bmargin 6\n$d << EOD\n",
               Quote(png).c_str(), r.runs, r.repeat);
  std::fprintf(p, "path");
  for (const BreakdownStage& st : names) std::fprintf(p, " %s", Quote(st.name).c_str());
  std::fprintf(p, "\n");
  for (const BreakdownPath& path : r.breakdown) {
    std::fprintf(p, "%s", Quote(path.name).c_str());
    for (const BreakdownStage& st : path.stages)
      std::fprintf(p, " %.2f", st.placed && st.ns.median > 0 ? st.ns.median : 0.0);
    std::fprintf(p, "\n");
  }
  std::fprintf(p, "EOD\nplot for [i=2:%zu] $d using i:xtic(1) title columnheader(i)\n",
               names.size() + 1);
  int rc = pclose(p);
  if (rc != 0) return Error("gnuplot failed (exit status " + std::to_string(rc) + ")");
  return "breakdown plot written to " + png;
}

}  // namespace sg::bench
