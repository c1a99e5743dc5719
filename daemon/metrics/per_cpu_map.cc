#include "metrics/per_cpu_map.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

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

BpfPerCpuMap::BpfPerCpuMap(int fd, size_t value_size)
    : fd_(fd), ncpus_(libbpf_num_possible_cpus()), words_((value_size + 7) / 8) {}

Status BpfPerCpuMap::Lookup(uint32_t key, std::span<uint64_t> out) const {
  // The kernel writes round_up(value_size, 8) bytes for each possible CPU.
  if (out.size() != words_ * static_cast<size_t>(ncpus_))
    return Error("per-CPU read buffer has the wrong size");
  if (bpf_map_lookup_elem(fd_, &key, out.data()))
    return Error::FromErrno("read per-CPU counters (key " + std::to_string(key) + ")");
  return Ok();
}

}  // namespace sg
