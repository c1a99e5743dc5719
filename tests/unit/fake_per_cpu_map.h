// A per-CPU BPF array in memory, for the metrics tests (no kernel, no libbpf).
#pragma once

#include <cerrno>
#include <map>
#include <span>
#include <vector>

#include "metrics/per_cpu_map.h"

namespace sg::testing {

// A per-CPU array in memory: values[key][cpu * words + w].
class FakePerCpuMap : public PerCpuMap {
 public:
  FakePerCpuMap(int ncpus, size_t words) : ncpus_(ncpus), words_(words) {}
  int num_cpus() const override { return ncpus_; }
  size_t value_words() const override { return words_; }
  Status Lookup(uint32_t key, std::span<uint64_t> out) const override {
    if (fail_) return Error("read per-CPU counters", EPERM);
    auto it = values_.find(key);
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = it == values_.end() || i >= it->second.size() ? 0 : it->second[i];
    return Ok();
  }
  void Set(uint32_t key, int cpu, size_t word, uint64_t v) {
    auto& vec = values_[key];
    vec.resize(static_cast<size_t>(ncpus_) * words_);
    vec[static_cast<size_t>(cpu) * words_ + word] = v;
  }
  void set_fail(bool f) { fail_ = f; }

 private:
  int ncpus_;
  size_t words_;
  bool fail_ = false;
  std::map<uint32_t, std::vector<uint64_t>> values_;
};

}  // namespace sg::testing
