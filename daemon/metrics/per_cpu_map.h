// Per-CPU BPF array elements, summed over CPUs at scrape time. The reading
// is behind an interface so the summing and the error handling are tested
// without a kernel (tests/unit/metrics_collector_test.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "util/result.h"

namespace sg {

class PerCpuMap {
 public:
  virtual ~PerCpuMap() = default;
  virtual int num_cpus() const = 0;
  // 64-bit words in one CPU's copy of a value.
  virtual size_t value_words() const = 0;
  // Fills out (num_cpus() * value_words() words, CPU-major) for one key.
  virtual Status Lookup(uint32_t key, std::span<uint64_t> out) const = 0;
};

// The element's words summed over every CPU.
Result<std::vector<uint64_t>> SumAcrossCpus(const PerCpuMap& map, uint32_t key);

}  // namespace sg
