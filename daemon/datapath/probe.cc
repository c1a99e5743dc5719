#include "datapath/probe.h"

#include <bpf/btf.h>
#include <linux/btf.h>
#include <sys/utsname.h>

namespace sg {

namespace {

bool BtfHasFunc(const btf* vmlinux, const char* name) {
  return vmlinux && btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) > 0;
}

}  // namespace

KernelFeatures ProbeKernel() {
  KernelFeatures f;
  utsname u{};
  if (uname(&u) == 0) f.kernel_release = u.release;
  btf* vmlinux = btf__load_vmlinux_btf();
  if (libbpf_get_error(vmlinux)) vmlinux = nullptr;
  f.reqsk_kfunc = BtfHasFunc(vmlinux, "bpf_sk_assign_tcp_reqsk");
  // Helpers are not BTF functions; their implementation is: bpf_tcp_gen_syncookie
  // is backed by the kernel function of the same name.
  f.gen_syncookie =
      BtfHasFunc(vmlinux, "bpf_tcp_gen_syncookie") || BtfHasFunc(vmlinux, "tcp_v4_get_syncookie");
  btf__free(vmlinux);
  return f;
}

Result<HandoffMode> ResolveHandoff(HandoffMode wanted, const KernelFeatures& f) {
  switch (wanted) {
    case HandoffMode::kReqsk:
      if (!f.reqsk_kfunc)
        return Error(
            "handoff mode reqsk needs the kfunc bpf_sk_assign_tcp_reqsk (Linux 6.9+); "
            "kernel " +
            f.kernel_release + " does not have it: use --handoff kernel-cookie");
      return HandoffMode::kReqsk;
    case HandoffMode::kKernelCookie:
      if (!f.gen_syncookie)
        return Error(
            "handoff mode kernel-cookie needs bpf_tcp_gen_syncookie (Linux 5.3+); kernel " +
            f.kernel_release + " does not have it");
      return HandoffMode::kKernelCookie;
    case HandoffMode::kAuto:
      if (f.reqsk_kfunc) return HandoffMode::kReqsk;
      if (f.gen_syncookie) return HandoffMode::kKernelCookie;
      return Error("kernel " + f.kernel_release +
                   " supports no handoff mode (needs Linux 5.3+ with BTF)");
  }
  return Error("unknown handoff mode");
}

}  // namespace sg
