#include "metrics/per_cpu_map.h"

#include <string>

namespace sg {

Result<std::vector<uint64_t>> SumAcrossCpus(const PerCpuMap& map, uint32_t key) {
  const size_t words = map.value_words();
  const int ncpus = map.num_cpus();
  if (ncpus <= 0) return Error("no CPUs to read counters from");
  std::vector<uint64_t> raw(words * static_cast<size_t>(ncpus));
  if (Status s = map.Lookup(key, raw); !s) return s.take_error();
  std::vector<uint64_t> sum(words, 0);
  for (int cpu = 0; cpu < ncpus; ++cpu)
    for (size_t w = 0; w < words; ++w) sum[w] += raw[static_cast<size_t>(cpu) * words + w];
  return sum;
}

}  // namespace sg
