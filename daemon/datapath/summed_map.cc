#include "datapath/summed_map.h"

#include "datapath/bpf_per_cpu_map.h"

#include <bpf/libbpf.h>
#include <fcntl.h>

#include <algorithm>

namespace sg {

SummedPerCpuMap::SummedPerCpuMap(size_t value_size)
    : value_size_(value_size), ncpus_(libbpf_num_possible_cpus()), words_((value_size + 7) / 8) {}

Status SummedPerCpuMap::Set(const std::vector<int>& fds) {
  std::vector<UniqueFd> dups;
  for (int fd : fds) {
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (d < 0) return Error::FromErrno("duplicate a map fd for the metrics");
    dups.emplace_back(d);
  }
  std::lock_guard<std::mutex> lock(mu_);
  fds_ = std::move(dups);
  return Ok();
}

Status SummedPerCpuMap::Lookup(uint32_t key, std::span<uint64_t> out) const {
  if (out.size() != words_ * static_cast<size_t>(ncpus_))
    return Error("per-CPU read buffer has the wrong size");
  std::fill(out.begin(), out.end(), 0);
  std::vector<uint64_t> one(out.size());
  std::lock_guard<std::mutex> lock(mu_);
  for (const UniqueFd& fd : fds_) {
    if (Status s = BpfPerCpuMap(fd.get(), value_size_).Lookup(key, one); !s) return s;
    for (size_t i = 0; i < out.size(); ++i) out[i] += one[i];
  }
  return Ok();
}

}  // namespace sg
