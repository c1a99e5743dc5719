// The benchmark's results: a table for people, JSON for tools, a gnuplot PNG.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "measure.h"
#include "util/result.h"

namespace sg::bench {

struct CaseResult {
  std::string name;
  std::string group;            // "baseline", "synguard" or "reference"
  std::string verdict;          // expected and seen: "XDP_TX", ...
  bool wrapped = false;         // ran behind the restore wrapper
  std::vector<double> raw;      // ns/pkt of each run, as measured
  Stats net;                    // per run, wrapper overhead subtracted
  double over_floor = 0;        // net.median - floor
  std::string ref;              // the reference case it is compared with, if any
  std::optional<double> ratio;  // over_floor / the reference's over_floor
};

// One of the figures, computed run by run from runs interleaved
// across cases (so both sides of a ratio saw the same moment's load).
struct RatioResult {
  int family = 4;
  std::string name;
  std::string unit;              // "x" (a ratio) or "ns" (over the floor)
  std::optional<double> target;  // passes when the median is <= target
  Stats value;                   // median, min and max over the runs
  bool pass() const { return !target || value.median <= *target; }
};

// xdp_bench --breakdown: one path's cost by stage, each stage the
// difference between two builds one stage apart, run by run.
struct BreakdownStage {
  std::string name;
  Stats ns;
  bool placed = true;  // false: the build is the same program as the one before
};
struct BreakdownPath {
  std::string name;                    // "SYN -> SYN+ACK, IPv4", ...
  std::vector<BreakdownStage> stages;  // the rest and the total come last
  Stats total;
};

struct Report {
  std::string kernel, cpu;
  std::string loadavg_before, loadavg_after;
  uint32_t repeat = 0;
  int runs = 0;
  double floor = 0;             // median ns/pkt of XDP_DROP
  double wrapper_overhead = 0;  // restore + tail call, subtracted from wrapped cases
  std::vector<CaseResult> cases;
  std::vector<RatioResult> ratios;
  std::vector<BreakdownPath> breakdown;  // empty without --breakdown
};

void PrintTable(const Report& r);
Status WriteJson(const Report& r, const std::string& path);
// Returns a message saying why no plot was made (gnuplot missing), or an error.
Result<std::string> WritePlot(const Report& r, const std::string& png);
// The breakdown as stacked bars, one per path.
Result<std::string> WriteBreakdownPlot(const Report& r, const std::string& png);
// True when every ratio with a target passes.
bool AllPass(const Report& r);

}  // namespace sg::bench
