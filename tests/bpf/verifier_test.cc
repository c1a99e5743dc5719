// The verifier accepts both programs in both handoff modes on this kernel.
#include <gtest/gtest.h>
#include <unistd.h>

#include "datapath/datapath.h"
#include "datapath/probe.h"

namespace {

void RequireRoot() {
  if (geteuid() != 0) GTEST_FAIL() << "BPF tests need root (CAP_BPF, CAP_NET_ADMIN)";
}

TEST(Verifier, LoadsReqskMode) {
  RequireRoot();
  auto f = sg::ProbeKernel();
  ASSERT_TRUE(f.reqsk_kfunc) << "kernel " << f.kernel_release << " lacks bpf_sk_assign_tcp_reqsk";
  auto dp = sg::Datapath::Load({.handoff = sg::HandoffMode::kReqsk, .pin_dir = {}});
  ASSERT_TRUE(dp.ok()) << dp.error().message();
  EXPECT_NE((*dp)->tc(), nullptr);
  EXPECT_GE((*dp)->xdp_prog_fd(), 0);
}

TEST(Verifier, LoadsKernelCookieMode) {
  RequireRoot();
  auto dp = sg::Datapath::Load({.handoff = sg::HandoffMode::kKernelCookie, .pin_dir = {}});
  ASSERT_TRUE(dp.ok()) << dp.error().message();
  EXPECT_EQ((*dp)->tc(), nullptr);
}

}  // namespace
