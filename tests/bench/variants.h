// The builds of synguard's XDP program with stages taken out
// (bpf/lib/bench_skip.h), loaded next to the real one and sharing its maps,
// for xdp_bench --breakdown.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/result.h"

namespace sg::bench {

// One step of the breakdown: a build with every stage of the steps before
// it taken out too (the masks grow), so each stage's cost is the difference
// between two neighbouring builds, and the stages add up.
struct VariantStep {
  uint32_t mask;     // SG_BENCH_SKIP of this build
  uint32_t stage;    // the bit this step takes out
  const char* name;  // the stage, for the table
  bool syn, ack;     // on the SYN path, on the cookie ACK path
};
const std::vector<VariantStep>& VariantSteps();

struct LoadedVariant {
  uint32_t mask = 0;
  int prog_fd = -1;
  bool forcible = false;        // the build has sg_bench_cookie_result
  std::shared_ptr<void> owner;  // the libbpf object
};

// Loads every step's build (reqsk handoff, frags-aware like the real one),
// its maps replaced by those of main_prog_fd (the loaded real program), with
// an ACK's cookie result forced to cookie_result where the hash is out.
Result<std::vector<LoadedVariant>> LoadVariants(int main_prog_fd, bool frags,
                                                uint32_t cookie_result);

}  // namespace sg::bench
