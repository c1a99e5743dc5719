// Kernel feature probes. Each feature synguard relies on is proven by
// loading a tiny program that uses it (as the kernel's verifier will judge
// the real one), not only by finding its name in BTF. A missing feature
// picks a documented fallback; what every mode needs and is missing is an
// error naming the first kernel that has it.
#pragma once

#include <string>
#include <vector>

#include "config/modes.h"
#include "util/result.h"

namespace sg {

struct KernelFeatures {
  std::string kernel_release;
  bool btf = false;              // /sys/kernel/btf/vmlinux: CO-RE needs it (5.4+ with BTF)
  bool xdp_sock_lookup = false;  // bpf_skc_lookup_tcp from XDP (5.2)
  bool jiffies64 = false;        // bpf_jiffies64 (5.5): the programs' clock
  bool gen_syncookie = false;    // bpf_tcp_gen_syncookie (5.3): kernel-cookie mode
  bool bpf_loop = false;         // bpf_loop (5.17): without it, the compat object
  bool xdp_frags = false;        // BPF_F_XDP_HAS_FRAGS (5.18): without it, plain XDP
  bool reqsk_kfunc = false;      // bpf_sk_assign_tcp_reqsk in BTF and the TC program loads (6.9)
  std::string reqsk_reason;      // why reqsk_kfunc is false, for the log
};

// One feature for status, --json and synguard_kernel_feature_info.
struct FeatureRow {
  const char* name;
  bool available;
  const char* fallback;  // what synguard does without it
};
std::vector<FeatureRow> FeatureRows(const KernelFeatures& f);

// Probes the running kernel once per process (later calls return the same).
const KernelFeatures& ProbeKernel();

// The two that choose how the XDP program loads, alone: cheaper than
// ProbeKernel() (no TC program loaded), for the loader.
struct XdpBuildFeatures {
  bool bpf_loop = false;
  bool xdp_frags = false;
};
const XdpBuildFeatures& ProbeXdpBuild();

// What every mode needs: an error naming the missing feature and the first
// kernel that has it, or Ok.
Status CheckBaseline(const KernelFeatures& f);

// The mode to use: the one asked for if the kernel has it, the best one for
// kAuto; an error naming what is missing otherwise (and CheckBaseline's).
Result<HandoffMode> ResolveHandoff(HandoffMode wanted, const KernelFeatures& f);

}  // namespace sg
