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

}  // namespace sg::bench
