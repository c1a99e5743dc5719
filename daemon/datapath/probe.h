// Kernel feature probes for the handoff modes, read from the kernel's BTF.
#pragma once

#include <string>

#include "datapath/datapath.h"
#include "util/result.h"

namespace sg {

struct KernelFeatures {
  bool reqsk_kfunc = false;    // bpf_sk_assign_tcp_reqsk (6.9+)
  bool gen_syncookie = false;  // bpf_tcp_gen_syncookie (5.3+)
  std::string kernel_release;
};

KernelFeatures ProbeKernel();

// The mode to use: the one asked for if the kernel has it, the best one for
// kAuto; an error naming what is missing otherwise.
Result<HandoffMode> ResolveHandoff(HandoffMode wanted, const KernelFeatures& f);

}  // namespace sg
