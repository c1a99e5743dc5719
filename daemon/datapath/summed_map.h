// One per-CPU map as the metrics collector sees it, made of the same map on
// every protected interface (each interface has its own maps), summed CPU by
// CPU. The interface set changes on reload while a scrape may be reading:
// the fds are duplicates owned here, swapped under a lock.
#pragma once

#include <mutex>
#include <vector>

#include "metrics/per_cpu_map.h"
#include "util/unique_fd.h"

namespace sg {

class SummedPerCpuMap : public PerCpuMap {
 public:
  explicit SummedPerCpuMap(size_t value_size);
  // Replaces the maps (fds are duplicated; the caller keeps its own).
  Status Set(const std::vector<int>& fds);

  int num_cpus() const override { return ncpus_; }
  size_t value_words() const override { return words_; }
  // With no maps, every counter reads 0.
  Status Lookup(uint32_t key, std::span<uint64_t> out) const override;

 private:
  size_t value_size_;
  int ncpus_;
  size_t words_;
  mutable std::mutex mu_;
  std::vector<UniqueFd> fds_;
};

}  // namespace sg
