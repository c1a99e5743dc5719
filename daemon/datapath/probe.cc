#include "datapath/probe.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>

#include "bpf/skeleton.h"
#include "datapath/quiet_libbpf.h"
#include "synguard_tc.skel.h"
#include "util/unique_fd.h"

namespace sg {

namespace {

// The verifier's word on a helper in an XDP program: libbpf loads a tiny
// program that calls it.
bool XdpHelperLoads(bpf_func_id helper) {
  return libbpf_probe_bpf_helper(BPF_PROG_TYPE_XDP, helper, nullptr) == 1;
}

// "return XDP_PASS", loaded as a frags-aware program: kernels before 5.18
// refuse the flag.
bool XdpFragsLoad() {
  const bpf_insn insns[] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS},
      {.code = BPF_JMP | BPF_EXIT},
  };
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .prog_flags = BPF_F_XDP_HAS_FRAGS);
  UniqueFd fd(bpf_prog_load(BPF_PROG_TYPE_XDP, "sg_probe_frags", "GPL", insns,
                            sizeof(insns) / sizeof(insns[0]), &opts));
  return fd.valid();
}

// reqsk: the kfunc must be in the kernel's BTF, and the verifier must take
// the real TC program's call to it (a kfunc's name alone says nothing about
// the arguments this kernel's version wants).
bool ReqskLoads(const btf* vmlinux, std::string* why) {
  if (!vmlinux || btf__find_by_name_kind(vmlinux, "bpf_sk_assign_tcp_reqsk", BTF_KIND_FUNC) <= 0) {
    *why = "no kfunc bpf_sk_assign_tcp_reqsk (Linux 6.9+)";
    return false;
  }
  Skeleton<synguard_tc> tc(synguard_tc__open(), synguard_tc__destroy);
  if (!tc) {
    *why = "the TC handoff program does not open";
    return false;
  }
  if (int err = synguard_tc__load(tc.get())) {
    *why = std::string("the verifier refuses the TC handoff program (") +
           std::strerror(err < 0 ? -err : err) + ")";
    return false;
  }
  return true;
}

KernelFeatures Probe() {
  KernelFeatures f;
  utsname u{};
  if (uname(&u) == 0) f.kernel_release = u.release;
  f.btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
  const XdpBuildFeatures& xdp = ProbeXdpBuild();
  f.bpf_loop = xdp.bpf_loop;
  f.xdp_frags = xdp.xdp_frags;
  QuietLibbpf quiet;  // each "no" is an answer
  f.xdp_sock_lookup = XdpHelperLoads(BPF_FUNC_skc_lookup_tcp);
  f.jiffies64 = XdpHelperLoads(BPF_FUNC_jiffies64);
  f.gen_syncookie = XdpHelperLoads(BPF_FUNC_tcp_gen_syncookie);
  btf* vmlinux = f.btf ? btf__load_vmlinux_btf() : nullptr;
  if (libbpf_get_error(vmlinux)) vmlinux = nullptr;
  if (!vmlinux) {
    f.reqsk_reason = "no kernel BTF";
  } else {
    f.reqsk_kfunc = ReqskLoads(vmlinux, &f.reqsk_reason);
    btf__free(vmlinux);
  }
  return f;
}

}  // namespace

const XdpBuildFeatures& ProbeXdpBuild() {
  static const XdpBuildFeatures features = [] {
    QuietLibbpf quiet;
    return XdpBuildFeatures{.bpf_loop = XdpHelperLoads(BPF_FUNC_loop), .xdp_frags = XdpFragsLoad()};
  }();
  return features;
}

const KernelFeatures& ProbeKernel() {
  static const KernelFeatures features = Probe();
  return features;
}

std::vector<FeatureRow> FeatureRows(const KernelFeatures& f) {
  return {
      {"btf", f.btf, "none: synguard needs BTF (exit 2)"},
      {"xdp_socket_lookup", f.xdp_sock_lookup, "none: needs Linux 5.2+ (exit 2)"},
      {"jiffies64", f.jiffies64, "none: needs Linux 5.5+ (exit 2)"},
      {"tcp_gen_syncookie", f.gen_syncookie, "no kernel-cookie mode"},
      {"bpf_loop", f.bpf_loop, "compat program: options walked in a bounded loop"},
      {"xdp_frags", f.xdp_frags, "plain XDP: native mode limited to about one page MTU"},
      {"reqsk_kfunc", f.reqsk_kfunc, "kernel-cookie handoff"},
  };
}

Status CheckBaseline(const KernelFeatures& f) {
  const std::string k = "kernel " + f.kernel_release;
  if (!f.btf)
    return Error(k +
                 " has no BTF (/sys/kernel/btf/vmlinux): synguard needs a kernel built with "
                 "CONFIG_DEBUG_INFO_BTF (Debian 11's 5.10 and later have it)");
  if (!f.xdp_sock_lookup)
    return Error(k + " cannot look sockets up from XDP (bpf_skc_lookup_tcp, Linux 5.2+)");
  if (!f.jiffies64) return Error(k + " lacks the BPF helper bpf_jiffies64 (Linux 5.5+)");
  return Ok();
}

Result<HandoffMode> ResolveHandoff(HandoffMode wanted, const KernelFeatures& f) {
  if (Status s = CheckBaseline(f); !s) return s.take_error();
  const std::string k = "kernel " + f.kernel_release;
  switch (wanted) {
    case HandoffMode::kReqsk:
      if (!f.reqsk_kfunc)
        return Error("handoff mode reqsk needs Linux 6.9+ (bpf_sk_assign_tcp_reqsk); " + k + ": " +
                     f.reqsk_reason + ". Use --handoff kernel-cookie (or auto)");
      return HandoffMode::kReqsk;
    case HandoffMode::kKernelCookie:
      if (!f.gen_syncookie)
        return Error("handoff mode kernel-cookie needs bpf_tcp_gen_syncookie (Linux 5.3+); " + k +
                     " does not have it");
      return HandoffMode::kKernelCookie;
    case HandoffMode::kAuto:
      if (f.reqsk_kfunc) return HandoffMode::kReqsk;
      if (f.gen_syncookie) return HandoffMode::kKernelCookie;
      return Error(k + " supports no handoff mode: it lacks bpf_tcp_gen_syncookie (Linux 5.3+)");
  }
  return Error("unknown handoff mode");
}

}  // namespace sg
