#include "datapath/bpf_per_cpu_map.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <string>

namespace sg {

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
