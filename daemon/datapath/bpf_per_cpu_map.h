// A per-CPU BPF array read through the kernel: the PerCpuMap the metrics
// and the self-test read counters from (metrics/per_cpu_map.h).
#pragma once

#include "metrics/per_cpu_map.h"

namespace sg {

// A BPF_MAP_TYPE_PERCPU_ARRAY by fd (not owned: the Datapath owns it).
class BpfPerCpuMap : public PerCpuMap {
 public:
  // value_size in bytes, as the map was declared.
  BpfPerCpuMap(int fd, size_t value_size);
  int num_cpus() const override { return ncpus_; }
  size_t value_words() const override { return words_; }
  Status Lookup(uint32_t key, std::span<uint64_t> out) const override;

 private:
  int fd_;
  int ncpus_;
  size_t words_;
};

}  // namespace sg
