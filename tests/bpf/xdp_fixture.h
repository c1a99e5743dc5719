// The real XDP program (the compat build with SG_XDP_BUILD=compat) and the
// TC handoff program, loaded with sg::Datapath::Load (reqsk mode, nothing
// attached), and the knobs a
// packet test turns: the config, secrets, ports and allow/deny map entries,
// and the program's clock (clock_offset_ns).
// Run() pushes one frame through BPF_PROG_TEST_RUN and reports the verdict,
// the frame as the program left it, and how much each reason counter moved,
// summed over all possible CPUs as the daemon sums them.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "datapath/datapath.h"
#include "packet_builder.h"
#include "synguard/shared.h"
#include "util/result.h"
#include "util/unique_fd.h"

namespace sg::test {

struct RunResult {
  uint32_t verdict = 0;  // XDP_PASS, XDP_TX, ... (TC_ACT_OK, TC_ACT_SHOT for RunTc)
  std::vector<uint8_t> frame;
  std::vector<uint8_t> meta;  // XDP metadata in front of the frame (the XDP -> TC marker)
  std::array<uint64_t, SG_R_MAX> counted{};  // per reason: after - before
};

class XdpFixture {
 public:
  static sg::Result<std::unique_ptr<XdpFixture>> Load();

  // A config like the daemon's, with values that are easy to tell apart
  // from the client's (TTL 61, server MSS 1400 / 1380, window scale 9).
  static sg_config DefaultConfig();
  // Two live keys are not needed to start: key 0 is current, key 1 empty.
  static sg_secrets DefaultSecrets();

  // Back to DefaultConfig() and DefaultSecrets(), no ports, empty lists,
  // and the clock in the middle of a cookie slot, so that a row never
  // straddles a slot boundary by accident.
  sg::Status Reset();

  const sg_config& config() const { return cfg_; }
  sg::Status SetConfig(const sg_config& cfg);
  const sg_secrets& secrets() const { return secrets_; }
  sg::Status SetSecrets(const sg_secrets& secrets);
  // Ports with a listener (0.0.0.0 and [::]) in the tests' own network
  // namespace, which Load() enters: a SYN is answered only where one listens.
  static constexpr uint16_t kListeningPorts[] = {80, 8080};
  // The host's addresses (SG_ADDR_LOCAL, SG_ADDR_BROADCAST) and the
  // interface's MAC, as the daemon writes them; Reset() restores these.
  static std::vector<std::string> DefaultLocalAddresses();
  static Mac DefaultServerMac();
  sg::Status SetLocalAddresses(const std::vector<std::string>& local,
                               const std::vector<std::string>& broadcast = {});
  sg::Status SetInterfaceMac(const Mac& mac);

  // flags: SG_PORT_*; 0 removes the port.
  sg::Status SetPort(uint16_t port, uint32_t flags);
  // One allow/deny entry; the address family is taken from ipv6.
  sg::Status AddListEntry(const IpAddr& addr, bool ipv6, uint32_t prefixlen, uint32_t action);

  // The program's clock now, give or take two ticks: CLOCK_MONOTONIC +
  // clock_offset_ns (the program reads jiffies; see sg_config.jiffy_ns).
  uint64_t NowNs() const;
  sg::Status AdvanceClock(int64_t ns);

  sg::Result<RunResult> Run(std::span<const uint8_t> frame);
  // The same frame through the TC handoff program, as an skb (verdict:
  // TC_ACT_OK or TC_ACT_SHOT). The skb is not at TC ingress and carries no
  // XDP metadata. Only where the kernel has the reqsk kfunc (has_tc()).
  bool has_tc() const;
  sg::Result<RunResult> RunTc(std::span<const uint8_t> frame);

 private:
  XdpFixture() = default;
  sg::Status ClearLists();
  sg::Result<std::array<uint64_t, SG_R_MAX>> ReadCounters() const;

  std::unique_ptr<sg::Datapath> dp_;
  sg_config cfg_{};
  sg_secrets secrets_{};
  std::vector<uint16_t> ports_;  // written since the last Reset()
  std::vector<sg::UniqueFd> listeners_;
};

// A table of rows run on one loaded program: loaded once per test process
// (gtest runs each row in its own process under CTest, all of them in one
// otherwise), Reset() before every row; SetUp() of a derived table then
// sets its ports.
template <class RowType>
class XdpTableTest : public ::testing::TestWithParam<RowType> {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    auto f = XdpFixture::Load();
    if (f.ok())
      fixture_ = std::move(*f);
    else
      load_error_ = f.error().message();
  }
  static void TearDownTestSuite() { fixture_.reset(); }

  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "BPF tests need root (CAP_BPF, CAP_NET_ADMIN)";
    ASSERT_TRUE(fixture_) << load_error_;
    ASSERT_TRUE(fixture_->Reset().ok());
  }

  static inline std::unique_ptr<XdpFixture> fixture_;
  static inline std::string load_error_;
};

}  // namespace sg::test
