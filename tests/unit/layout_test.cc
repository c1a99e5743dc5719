// Pins the sizes and offsets of everything the BPF side and the daemon
// share: a change to include/synguard/layout.h must be deliberate.
#include <gtest/gtest.h>

#include <cstddef>

#include "synguard/shared.h"

TEST(Layout, SecretsAndConfig) {
  EXPECT_EQ(sizeof(sg_secret), 24u);
  EXPECT_EQ(sizeof(sg_secrets), 56u);
  EXPECT_EQ(offsetof(sg_secrets, current), 48u);
  EXPECT_EQ(sizeof(sg_config), 104u);
  EXPECT_EQ(sizeof(sg_config) % 8, 0u);
  EXPECT_EQ(offsetof(sg_config, slot_shift), 8u);
  EXPECT_EQ(offsetof(sg_config, mss_v4), 24u);
  EXPECT_EQ(offsetof(sg_config, mss_v6), 32u);
  EXPECT_EQ(offsetof(sg_config, server_mss_v4), 40u);
  EXPECT_EQ(offsetof(sg_config, server_wscale), 46u);
  EXPECT_EQ(offsetof(sg_config, ttl), 47u);
  EXPECT_EQ(offsetof(sg_config, wscale_table), 48u);
  EXPECT_EQ(offsetof(sg_config, jiffy_ns), 56u);
  EXPECT_EQ(offsetof(sg_config, jiffies_mono_ns), 64u);
  EXPECT_EQ(offsetof(sg_config, mss_ts_v4), 72u);
  EXPECT_EQ(offsetof(sg_config, mss_ts_v6), 88u);
  EXPECT_EQ(sizeof(sg_clock_sample), 32u);
}

TEST(Layout, PortsListsCounters) {
  EXPECT_EQ(sizeof(sg_port), 8u);
  EXPECT_EQ(sizeof(sg_port_stats), 32u);
  EXPECT_EQ(sizeof(sg_lpm_v4), 8u);
  EXPECT_EQ(sizeof(sg_lpm_v6), 20u);
  EXPECT_EQ(sizeof(sg_tuple), 40u);
  EXPECT_EQ(sizeof(sg_syn_opts), 12u);
  EXPECT_EQ(sizeof(sg_handshake), 8u);
}

TEST(Layout, EveryReasonHasALabelAndVerdict) {
  for (int r = 0; r < SG_R_MAX; ++r) {
    ASSERT_NE(sg_reason_names[r], nullptr) << r;
    ASSERT_NE(sg_reason_verdicts[r], nullptr) << r;
    EXPECT_GT(std::string(sg_reason_names[r]).size(), 0u);
  }
  EXPECT_STREQ(sg_reason_names[SG_R_TX_SYNACK], "syncookie_synack");
  EXPECT_STREQ(sg_reason_verdicts[SG_R_DROP_BAD_MAC], "drop");
}
