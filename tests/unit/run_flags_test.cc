// `synguard run` flags over the config file: what overrides what, flag
// mode's defaults, and the cross-key rules checked after the merge.
#include <gtest/gtest.h>

#include <unistd.h>

#include "fake_proc_sys.h"
#include "config/run_flags.h"
#include "tuning/sysctl_tuner.h"

namespace sg {
namespace {

RunFlags Flags(std::vector<std::string> ifs, std::vector<uint16_t> ports) {
  RunFlags f;
  f.interfaces = std::move(ifs);
  f.ports = std::move(ports);
  return f;
}

Config FromText(const std::string& text) {
  Result<Config> c = ParseConfig(text, "test.yaml");
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message());
  return c.ok() ? *c : Config{};
}

TEST(RunFlags, FlagModeNeedsInterfaceAndPort) {
  RunFlags f;
  EXPECT_FALSE(MergeRunFlags(std::nullopt, f).ok());
  f.interfaces = {"eth0"};
  EXPECT_FALSE(MergeRunFlags(std::nullopt, f).ok());
  f.ports = {443};
  Result<Config> c = MergeRunFlags(std::nullopt, f);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->source, "command line");
}

TEST(RunFlags, FlagModeEngagesAlwaysAndTunesWhatAFileWithTheSamePortsTunes) {
  RunFlags f = Flags({"eth0"}, {80, 443});
  Result<Config> c = MergeRunFlags(std::nullopt, f);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->ports.size(), 2u);
  EXPECT_EQ(c->ports[0].engage, EngageMode::kAlways);
  // issue 11: flag mode used to drop everything but what the handoff needs.
  const Config file = FromText(
      "interfaces: [eth0]\nports: [{port: 80, engage: always}, {port: 443, engage: "
      "always}]\n");
  EXPECT_EQ(c->sysctl.manage, file.sysctl.manage);
  EXPECT_EQ(c->sysctl.somaxconn, file.sysctl.somaxconn);
  EXPECT_EQ(c->sysctl.tcp_max_syn_backlog, file.sysctl.tcp_max_syn_backlog);
  EXPECT_EQ(c->sysctl.tcp_synack_retries, file.sysctl.tcp_synack_retries);
  EXPECT_EQ(c->sysctl.reset_abort_on_overflow, file.sysctl.reset_abort_on_overflow);
  EXPECT_TRUE(c->sysctl.somaxconn.has_value());
  EXPECT_TRUE(c->sysctl.manage);
}

// What `--dry-run` prints and Start() applies: the tuner's plan, the same
// change for change with flags as with a file naming the same ports.
TEST(RunFlags, FlagModePlansTheSameSysctlChangesAsTheFile) {
  test::FakeProcSysTree sys("/tmp/sg_run_flags_sysctl_" + std::to_string(getpid()));
  for (auto [name, v] : {std::pair{"net.ipv4.tcp_syncookies", "1"},
                         {"net.ipv4.tcp_timestamps", "1"},
                         {"net.ipv4.tcp_max_syn_backlog", "128"},
                         {"net.core.somaxconn", "128"},
                         {"net.ipv4.tcp_synack_retries", "5"},
                         {"net.ipv4.tcp_abort_on_overflow", "1"}})
    sys.Set(name, v);
  auto plan = [&](const Config& c) {
    std::vector<std::string> out;
    SysctlTuner t(sys.root(), c.sysctl, HandoffMode::kKernelCookie);
    Result<std::vector<SysctlChange>> p = t.Plan();
    EXPECT_TRUE(p.ok());
    if (p) {
      for (const SysctlChange& ch : *p) out.push_back(ch.name + "=" + ch.new_value);
    }
    return out;
  };
  Result<Config> flags = MergeRunFlags(std::nullopt, Flags({"eth0"}, {7000}));
  ASSERT_TRUE(flags.ok());
  const std::vector<std::string> from_flags = plan(*flags);
  const std::vector<std::string> from_file =
      plan(FromText("interfaces: [eth0]\nports: [{port: 7000, engage: always}]\n"));
  EXPECT_EQ(from_flags, from_file);
  EXPECT_GT(from_file.size(), 2u);  // more than the handoff's two
  std::filesystem::remove_all(sys.root());
}

TEST(RunFlags, FlagsOverrideTheFile) {
  Config file = FromText(
      "interfaces: [eth0]\nports: [{port: 443, engage: auto}, 80]\nhandoff: reqsk\n"
      "metrics: {listen: '127.0.0.1:9000'}\n");
  RunFlags f;
  f.interfaces = {"eth1", "eth2"};
  f.handoff = HandoffMode::kKernelCookie;
  f.metrics_listen = "[::1]:9100";
  f.ttl = 32;
  Result<Config> c = MergeRunFlags(file, f);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->interfaces, (std::vector<std::string>{"eth1", "eth2"}));
  EXPECT_EQ(c->handoff, HandoffMode::kKernelCookie);
  EXPECT_EQ(c->metrics_listen.ToString(), "[::1]:9100");
  EXPECT_EQ(c->cookies.ttl, 32);
  // The file's ports stay when -p is not given; so do its sysctl defaults.
  ASSERT_EQ(c->ports.size(), 2u);
  EXPECT_EQ(c->ports[0].engage, EngageMode::kAuto);
  EXPECT_TRUE(c->sysctl.somaxconn.has_value());
}

TEST(RunFlags, EngageAloneAppliesToEveryFilePort) {
  Config file = FromText("interfaces: [eth0]\nports: [443, {port: 22, engage: always}]\n");
  RunFlags f;
  f.engage = EngageMode::kNever;
  Result<Config> c = MergeRunFlags(file, f);
  ASSERT_TRUE(c.ok());
  for (const PortConfig& p : c->ports) EXPECT_EQ(p.engage, EngageMode::kNever);
}

TEST(RunFlags, PortFlagsReplaceTheFilePorts) {
  Config file = FromText("interfaces: [eth0]\nports: [443, 80]\n");
  RunFlags f;
  f.ports = {8443};
  Result<Config> c = MergeRunFlags(file, f);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->ports.size(), 1u);
  EXPECT_EQ(c->ports[0].port, 8443);
  EXPECT_EQ(c->ports[0].engage, EngageMode::kAlways);
}

TEST(RunFlags, CookieMaxAgeStretchesTheGrace) {
  RunFlags f = Flags({"eth0"}, {80});
  f.cookie_max_age = 200;
  Result<Config> c = MergeRunFlags(std::nullopt, f);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->secrets.rotation.grace.count(), 300);
}

TEST(RunFlags, CrossKeyRulesHoldAfterTheFlags) {
  Config file = FromText(
      "interfaces: [eth0]\nports: [443]\nsecrets: {rotation_interval: 60s, grace: 30s}\n"
      "cookies: {max_age: 20}\n");
  RunFlags f;
  f.cookie_max_age = 120;  // not below the 60 s rotation interval
  Result<Config> c = MergeRunFlags(file, f);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("rotation interval"), std::string::npos);

  RunFlags dup = Flags({"eth0", "eth0"}, {80});
  EXPECT_FALSE(MergeRunFlags(std::nullopt, dup).ok());
  RunFlags dup_port = Flags({"eth0"}, {80, 80});
  EXPECT_FALSE(MergeRunFlags(std::nullopt, dup_port).ok());
}

TEST(RunFlags, BadMetricsAddressAndPinDirAreRefused) {
  RunFlags f = Flags({"eth0"}, {80});
  f.metrics_listen = "localhost:9479";
  EXPECT_FALSE(MergeRunFlags(std::nullopt, f).ok());
  RunFlags g = Flags({"eth0"}, {80});
  g.pin_dir = "relative/dir";
  EXPECT_FALSE(MergeRunFlags(std::nullopt, g).ok());
}

TEST(RunFlags, AMissingFileIsAConfigError) {
  RunFlags f;
  f.config_file = "/nonexistent/synguard.yaml";
  Result<Config> c = ResolveRunConfig(f);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("/nonexistent/synguard.yaml"), std::string::npos);
}

}  // namespace
}  // namespace sg
