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

struct Report {
  std::string kernel, cpu;
  std::string loadavg_before, loadavg_after;
  uint32_t repeat = 0;
  int runs = 0;
  double floor = 0;             // median ns/pkt of XDP_DROP
  double wrapper_overhead = 0;  // restore + tail call, subtracted from wrapped cases
  std::vector<CaseResult> cases;
};

void PrintTable(const Report& r);
Status WriteJson(const Report& r, const std::string& path);
// Returns a message saying why no plot was made (gnuplot missing), or an error.
Result<std::string> WritePlot(const Report& r, const std::string& png);

}  // namespace sg::bench
