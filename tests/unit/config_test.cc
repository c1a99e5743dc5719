// The config file: a good file parses with its defaults, the shipped example
// loads, and every bad file is refused with file:line, key and problem.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/check_config.h"
#include "config/cidr.h"
#include "config/config.h"
#include "config/listen_address.h"

namespace sg {
namespace {

namespace fs = std::filesystem;

const fs::path kRepo = fs::path(__FILE__).parent_path().parent_path().parent_path();

TEST(Config, MinimalFileGetsTheDefaults) {
  Result<Config> c = ParseConfig("interfaces: [eth0]\nports: [443]\n", "min.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->source, "min.yaml");
  EXPECT_EQ(c->interfaces, std::vector<std::string>{"eth0"});
  ASSERT_EQ(c->ports.size(), 1u);
  EXPECT_EQ(c->ports[0].port, 443);
  EXPECT_EQ(c->ports[0].engage, EngageMode::kAuto);
  EXPECT_EQ(c->cookies.max_age_seconds, 120u);
  EXPECT_EQ(c->secrets.source, SecretsConfig::Source::kRandom);
  EXPECT_EQ(c->secrets.rotation.interval, std::chrono::seconds(3600));
  EXPECT_EQ(c->secrets.rotation.grace, std::chrono::seconds(180));  // 1.5 x max age
  EXPECT_EQ(c->handoff, HandoffMode::kAuto);
  EXPECT_EQ(c->xdp_mode, XdpMode::kAuto);
  EXPECT_EQ(c->metrics_listen.ToString(), "127.0.0.1:9479");
  EXPECT_EQ(c->pin_dir, "/sys/fs/bpf/synguard");
  EXPECT_FALSE(c->leave_pinned_on_exit);
  EXPECT_TRUE(c->sysctl.manage);
}

TEST(Config, FullFile) {
  const char* text = R"(
interfaces: [eth0, eth1]
detector:
  syn_rate_engage: 50000
  syn_rate_disengage: 10000
  quiet_period: 2m
ports:
  - port: 443
    engage: auto
    queue_fill_engage: 0.75
  - port: 22
    engage: always
  - 8080
allowlist: ["10.0.0.0/8", "2001:db8::/32", 192.0.2.7]
denylist: ["198.51.100.0/24"]
cookies:
  max_age: 60s
  ttl: 128
  mss_v4: [536, 1200, 1460, 9000]
  mss_v6: [1220, 1400, 1440, 8940]
  mss_v4_timestamps: [536, 1200, 1300, 1380, 1400, 1452, 1460, 9000]
  mss_v6_timestamps: [1220, 1240, 1300, 1360, 1400, 1432, 1440, 8940]
  wscale: [0, 8, 12]
secrets:
  source: random
  rotation_interval: 1h
  grace: 90
handoff: reqsk
xdp_mode: skb
sysctl:
  manage: true
  tcp_max_syn_backlog: 16384
  somaxconn: keep
  tcp_synack_retries: 3
  tcp_abort_on_overflow: keep
metrics:
  listen: "[::1]:9100"
pin_dir: /sys/fs/bpf/sg-test
leave_pinned_on_exit: true
)";
  Result<Config> c = ParseConfig(text, "full.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->interfaces.size(), 2u);
  ASSERT_EQ(c->ports.size(), 3u);
  EXPECT_EQ(c->ports[0].thresholds.syn_rate_engage, 50000);
  EXPECT_EQ(c->ports[0].thresholds.queue_fill_engage, 0.75);
  EXPECT_EQ(c->ports[0].thresholds.quiet_period, std::chrono::seconds(120));
  EXPECT_EQ(c->ports[1].engage, EngageMode::kAlways);
  EXPECT_EQ(c->ports[2].port, 8080);
  EXPECT_EQ(c->ports[2].thresholds.syn_rate_disengage, 10000);
  ASSERT_EQ(c->allowlist.size(), 3u);
  EXPECT_EQ(c->allowlist[1].ToString(), "2001:db8::/32");
  EXPECT_EQ(c->allowlist[2].ToString(), "192.0.2.7/32");
  EXPECT_EQ(c->denylist[0].family, 4);
  EXPECT_EQ(c->cookies.max_age_seconds, 60u);
  EXPECT_EQ(c->cookies.ttl, 128);
  EXPECT_EQ(c->cookies.mss_v4[3], 9000);
  EXPECT_EQ(c->cookies.mss_v4_timestamps,
            (std::array<uint16_t, 8>{536, 1200, 1300, 1380, 1400, 1452, 1460, 9000}));
  EXPECT_EQ(c->cookies.mss_v6_timestamps,
            (std::array<uint16_t, 8>{1220, 1240, 1300, 1360, 1400, 1432, 1440, 8940}));
  EXPECT_EQ(c->cookies.wscale[2], 12);
  EXPECT_EQ(c->secrets.rotation.grace, std::chrono::seconds(90));
  EXPECT_EQ(c->handoff, HandoffMode::kReqsk);
  EXPECT_EQ(c->xdp_mode, XdpMode::kSkb);
  EXPECT_EQ(c->sysctl.tcp_max_syn_backlog, 16384);
  EXPECT_FALSE(c->sysctl.somaxconn);
  EXPECT_EQ(c->sysctl.tcp_synack_retries, 3);
  EXPECT_FALSE(c->sysctl.reset_abort_on_overflow);
  EXPECT_EQ(c->metrics_listen.family, 6);
  EXPECT_EQ(c->metrics_listen.ToString(), "[::1]:9100");
  EXPECT_TRUE(c->leave_pinned_on_exit);

  const std::string text_out = Explain(*c);
  EXPECT_NE(text_out.find("443: auto: cookies engage at 50000 SYN/s or a listener queue 75% full"),
            std::string::npos)
      << text_out;
  EXPECT_NE(text_out.find("22: always"), std::string::npos) << text_out;
  EXPECT_NE(text_out.find("http://[::1]:9100/metrics"), std::string::npos) << text_out;
  EXPECT_NE(text_out.find("(clients with timestamps: v4 536/1200/1300/1380/1400/1452/1460/9000, v6 "
                          "1220/1240/1300/1360/1400/1432/1440/8940)"),
            std::string::npos)
      << text_out;
}

TEST(Config, ShippedExampleLoads) {
  const fs::path example = kRepo / "deploy" / "synguard.yaml";
  Result<Config> c = LoadConfig(example.string());
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_FALSE(c->ports.empty());
  EXPECT_FALSE(Explain(*c).empty());
}

struct BadCase {
  const char* what;
  const char* yaml;
  const char* want;  // substring of the message
};

// file:line, key path, and the problem, for every way a file can be wrong.
const BadCase kBad[] = {
    {"engage word",
     "interfaces: [eth0]\nports:\n  - port: 443\n  - port: 80\n    engage: sometimes\n",
     "bad.yaml:5: ports[1].engage: must be one of always, auto, never (got \"sometimes\")"},
    {"unknown top key", "interfaces: [eth0]\nports: [443]\nportz: [1]\n",
     "bad.yaml:3: portz: unknown key; expected one of interfaces, ports"},
    {"unknown nested key", "interfaces: [eth0]\nports: [443]\ncookies:\n  max_agee: 10\n",
     "bad.yaml:4: cookies.max_agee: unknown key"},
    {"key twice", "interfaces: [eth0]\nports: [443]\nports: [80]\n",
     "bad.yaml:3: ports: given twice (first at line 2)"},
    {"missing interfaces", "ports: [443]\n", "bad.yaml:1: interfaces: required"},
    {"no interfaces", "interfaces: []\nports: [443]\n",
     "bad.yaml:1: interfaces: must name at least one interface"},
    {"interface name", "interfaces: [eth0, averyveryverylongname0]\nports: [443]\n",
     "bad.yaml:1: interfaces[1]: not a valid interface name"},
    {"interfaces not a list", "interfaces: eth0\nports: [443]\n",
     "bad.yaml:1: interfaces: must be a list (got \"eth0\")"},
    {"port range", "interfaces: [eth0]\nports:\n  - 70000\n",
     "bad.yaml:3: ports[0]: must be in 1..65535 (got 70000)"},
    {"port word", "interfaces: [eth0]\nports:\n  - port: https\n",
     "bad.yaml:3: ports[0].port: must be an integer in 1..65535 (got \"https\")"},
    {"port twice", "interfaces: [eth0]\nports:\n  - 443\n  - port: 443\n    engage: always\n",
     "bad.yaml:4: ports[1].port: port 443 is already listed at ports[0] (line 3)"},
    {"port missing", "interfaces: [eth0]\nports:\n  - engage: always\n",
     "bad.yaml:3: ports[0].port: required"},
    {"no ports", "interfaces: [eth0]\nports: []\n",
     "bad.yaml:2: ports: must name at least one port"},
    {"hysteresis",
     "interfaces: [eth0]\nports: [443]\ndetector:\n  syn_rate_engage: 1000\n  syn_rate_disengage: "
     "2000\n",
     "bad.yaml:5: detector.syn_rate_disengage: must be below syn_rate_engage (1000)"},
    {"port hysteresis", "interfaces: [eth0]\nports:\n  - port: 443\n    syn_rate_engage: 4000\n",
     "bad.yaml:4: ports[0].syn_rate_engage: must be above syn_rate_disengage (5000), or the "
     "port flaps (got 4000)"},
    {"queue fill", "interfaces: [eth0]\nports:\n  - port: 443\n    queue_fill_engage: 1.5\n",
     "bad.yaml:4: ports[0].queue_fill_engage: must be in 0.01..1 (got 1.5)"},
    {"quiet period", "interfaces: [eth0]\nports: [443]\ndetector:\n  quiet_period: soon\n",
     "bad.yaml:4: detector.quiet_period: must be a duration"},
    {"malformed cidr", "interfaces: [eth0]\nports: [443]\nallowlist:\n  - 10.0.0.300/8\n",
     "bad.yaml:4: allowlist[0]: not an IPv4 or IPv6 address: \"10.0.0.300/8\""},
    {"prefix length", "interfaces: [eth0]\nports: [443]\ndenylist: [\"2001:db8::/129\"]\n",
     "bad.yaml:3: denylist[0]: prefix length must be 0..128"},
    {"host bits", "interfaces: [eth0]\nports: [443]\nallowlist:\n  - 10.0.0.1/8\n",
     "bad.yaml:4: allowlist[0]: host bits set in \"10.0.0.1/8\": did you mean 10.0.0.0/8?"},
    {"duplicate cidr",
     "interfaces: [eth0]\nports: [443]\nallowlist:\n  - 2001:db8::/32\n  - 2001:db8:0::/32\n",
     "bad.yaml:5: allowlist[1]: 2001:db8::/32 is already listed at allowlist[0] (line 4)"},
    {"nested cidr",
     "interfaces: [eth0]\nports: [443]\ndenylist:\n  - 10.0.0.0/8\n  - 10.1.0.0/16\n",
     "bad.yaml:5: denylist[1]: 10.1.0.0/16 overlaps 10.0.0.0/8 at denylist[0] (line 4)"},
    {"allow/deny overlap",
     "interfaces: [eth0]\nports: [443]\nallowlist:\n  - 10.0.0.0/8\ndenylist:\n  - 10.1.0.0/16\n",
     "bad.yaml:6: denylist[0]: 10.1.0.0/16 overlaps 10.0.0.0/8 at allowlist[0] (line 4); an "
     "address may be on only one list"},
    {"mss not ascending",
     "interfaces: [eth0]\nports: [443]\ncookies:\n  mss_v4: [536, 1460, 1300, 8960]\n",
     "bad.yaml:4: cookies.mss_v4[2]: must be greater than the entry before it (1460)"},
    {"mss v4 too small",
     "interfaces: [eth0]\nports: [443]\ncookies:\n  mss_v4: [500, 1300, 1460, 8960]\n",
     "bad.yaml:4: cookies.mss_v4[0]: must be at least 536"},
    {"mss v6 too small",
     "interfaces: [eth0]\nports: [443]\ncookies:\n  mss_v6:\n    - 1200\n    - 1300\n    - 1440\n  "
     "  - 8940\n",
     "bad.yaml:5: cookies.mss_v6[0]: must be at least 1220"},
    {"mss v6 length", "interfaces: [eth0]\nports: [443]\ncookies:\n  mss_v6: [1220, 1440, 8940]\n",
     "bad.yaml:4: cookies.mss_v6: must be a list of 4 ascending numbers (got 3 entries)"},
    {"mss v4 timestamps length",
     "interfaces: [eth0]\nports: [443]\ncookies:\n  mss_v4_timestamps: [536, 1300, 1460, 8960]\n",
     "bad.yaml:4: cookies.mss_v4_timestamps: must be a list of 8 ascending numbers (got 4 "
     "entries)"},
    {"mss v4 timestamps not ascending",
     "interfaces: [eth0]\nports: [443]\ncookies:\n  mss_v4_timestamps: [536, 1220, 1300, 1360, "
     "1440, 1420, 1460, 8960]\n",
     "bad.yaml:4: cookies.mss_v4_timestamps[5]: must be greater than the entry before it (1440)"},
    {"mss v4 timestamps too small",
     "interfaces: [eth0]\nports: [443]\ncookies:\n  mss_v4_timestamps: [500, 1220, 1300, 1360, "
     "1420, 1440, 1460, 8960]\n",
     "bad.yaml:4: cookies.mss_v4_timestamps[0]: must be at least 536"},
    {"mss v6 timestamps too small",
     "interfaces: [eth0]\nports: [443]\ncookies:\n  mss_v6_timestamps: [536, 1220, 1360, 1400, "
     "1420, 1432, 1440, 8940]\n",
     "bad.yaml:4: cookies.mss_v6_timestamps[0]: must be at least 1220"},
    {"mss v6 timestamps too large",
     "interfaces: [eth0]\nports: [443]\ncookies:\n  mss_v6_timestamps: [1220, 1280, 1340, 1360, "
     "1400, 1420, 1440, 65536]\n",
     "bad.yaml:4: cookies.mss_v6_timestamps[7]: must be in"},
    {"wscale first", "interfaces: [eth0]\nports: [443]\ncookies:\n  wscale: [1, 7, 10]\n",
     "bad.yaml:4: cookies.wscale[0]: must be 0"},
    {"wscale max", "interfaces: [eth0]\nports: [443]\ncookies:\n  wscale: [0, 7, 15]\n",
     "bad.yaml:4: cookies.wscale[2]: must be in 0..14 (got 15)"},
    {"ttl", "interfaces: [eth0]\nports: [443]\ncookies:\n  ttl: 0\n",
     "bad.yaml:4: cookies.ttl: must be in 1..255 (got 0)"},
    {"max age", "interfaces: [eth0]\nports: [443]\ncookies:\n  max_age: 5m\n",
     "bad.yaml:4: cookies.max_age: must be 4..240 seconds (got 5m)"},
    {"interval vs max age", "interfaces: [eth0]\nports: [443]\nsecrets:\n  rotation_interval: 60\n",
     "bad.yaml:4: secrets.rotation_interval: the rotation interval (60 s) must exceed the cookie "
     "max age (120 s)"},
    {"max age vs interval",
     "interfaces: [eth0]\nports: [443]\ncookies:\n  max_age: 200\nsecrets:\n  rotation_interval: "
     "180\n",
     "bad.yaml:6: secrets.rotation_interval: the rotation interval (180 s) must exceed the cookie "
     "max age (200 s)"},
    {"grace short", "interfaces: [eth0]\nports: [443]\nsecrets:\n  grace: 30s\n",
     "bad.yaml:4: secrets.grace: must be at least the cookie max age (120 s)"},
    {"grace long",
     "interfaces: [eth0]\nports: [443]\nsecrets:\n  rotation_interval: 10m\n  grace: 1h\n",
     "bad.yaml:5: secrets.grace: must not exceed rotation_interval (600 s)"},
    {"secret source", "interfaces: [eth0]\nports: [443]\nsecrets:\n  source: vault\n",
     "bad.yaml:4: secrets.source: must be one of random, key_file (got \"vault\")"},
    {"key file missing", "interfaces: [eth0]\nports: [443]\nsecrets:\n  source: key_file\n",
     "bad.yaml:4: secrets.key_file: required with source: key_file"},
    {"key file unused", "interfaces: [eth0]\nports: [443]\nsecrets:\n  key_file: /etc/k\n",
     "bad.yaml:4: secrets.key_file: only used with source: key_file"},
    {"key file relative",
     "interfaces: [eth0]\nports: [443]\nsecrets:\n  source: key_file\n  key_file: fleet.key\n",
     "bad.yaml:5: secrets.key_file: must be an absolute path"},
    {"fleet with kernel-cookie",
     "interfaces: [eth0]\nports: [443]\nhandoff: kernel-cookie\nsecrets:\n  source: key_file\n  "
     "key_file: /etc/k\n",
     "bad.yaml:5: secrets.source: a fleet key has no effect with handoff: kernel-cookie"},
    {"handoff", "interfaces: [eth0]\nports: [443]\nhandoff: magic\n",
     "bad.yaml:3: handoff: must be one of auto, reqsk, kernel-cookie (got \"magic\")"},
    {"xdp mode", "interfaces: [eth0]\nports: [443]\nxdp_mode: driver\n",
     "bad.yaml:3: xdp_mode: must be one of auto, native, skb (got \"driver\")"},
    {"sysctl value", "interfaces: [eth0]\nports: [443]\nsysctl:\n  somaxconn: lots\n",
     "bad.yaml:4: sysctl.somaxconn: must be a number in 128..16777216 or keep (got \"lots\")"},
    {"abort on overflow", "interfaces: [eth0]\nports: [443]\nsysctl:\n  tcp_abort_on_overflow: 1\n",
     "bad.yaml:4: sysctl.tcp_abort_on_overflow: must be in 0..0 (got 1)"},
    {"manage bool", "interfaces: [eth0]\nports: [443]\nsysctl:\n  manage: maybe\n",
     "bad.yaml:4: sysctl.manage: must be true or false (got \"maybe\")"},
    {"v6 listen without brackets",
     "interfaces: [eth0]\nports: [443]\nmetrics:\n  listen: \"::1:9479\"\n",
     "bad.yaml:4: metrics.listen: an IPv6 address needs brackets"},
    {"listen port", "interfaces: [eth0]\nports: [443]\nmetrics:\n  listen: 127.0.0.1:99999\n",
     "bad.yaml:4: metrics.listen: port must be 1..65535 (got \"99999\")"},
    {"listen host name", "interfaces: [eth0]\nports: [443]\nmetrics:\n  listen: localhost:9479\n",
     "bad.yaml:4: metrics.listen: not a literal IPv4 or IPv6 address: \"localhost\""},
    {"pin dir", "interfaces: [eth0]\nports: [443]\npin_dir: bpf/synguard\n",
     "bad.yaml:3: pin_dir: must be an absolute path"},
    {"pinned bool", "interfaces: [eth0]\nports: [443]\nleave_pinned_on_exit: 2\n",
     "bad.yaml:3: leave_pinned_on_exit: must be true or false (got \"2\")"},
    {"yaml syntax", "interfaces: [eth0\nports: [443]\n", "bad.yaml:2: YAML syntax: "},
    {"not a mapping", "- eth0\n",
     "bad.yaml:1: (top level): must be a mapping of keys (got a list)"},
    {"empty", "", "bad.yaml:1: (top level): the file is empty"},
};

TEST(Config, BadFiles) {
  ASSERT_GE(std::size(kBad), 15u);
  for (const BadCase& b : kBad) {
    Result<Config> c = ParseConfig(b.yaml, "bad.yaml");
    if (c) {
      ADD_FAILURE() << b.what << ": accepted";
      continue;
    }
    const std::string msg = c.error().message();
    EXPECT_NE(msg.find(b.want), std::string::npos)
        << b.what << "\n  got:  " << msg << "\n  want: " << b.want;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << b.what << ": one line";
  }
}

TEST(Config, LoadConfigNamesTheFile) {
  const fs::path dir = fs::temp_directory_path() / ("sg-config-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "synguard.yaml").string();
  std::ofstream(path)
      << "interfaces: [eth0]\nports:\n  - port: 443\n  - port: 80\n    engage: sometimes\n";
  Result<Config> c = LoadConfig(path);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(),
            path + ":5: ports[1].engage: must be one of always, auto, never (got \"sometimes\")");
  Result<Config> missing = LoadConfig((dir / "nope.yaml").string());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("nope.yaml: No such file or directory"),
            std::string::npos)
      << missing.error().message();

  // check-config: exit 2 and the one line on stderr, or 0 and the explanation.
  testing::internal::CaptureStderr();
  EXPECT_EQ(CheckConfig(path), 2);
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            path + ":5: ports[1].engage: must be one of always, auto, never (got \"sometimes\")\n");
  std::ofstream(path) << "interfaces: [eth0]\nports: [443]\n";
  testing::internal::CaptureStdout();
  EXPECT_EQ(CheckConfig(path), 0);
  EXPECT_NE(testing::internal::GetCapturedStdout().find("is valid"), std::string::npos);
  // A fleet key file that `run` would refuse fails the check as well.
  const std::string key = (dir / "fleet.key").string();
  std::ofstream(key) << "00112233445566778899aabbccddeeff\n";
  fs::permissions(key, fs::perms::owner_read | fs::perms::group_read);
  std::ofstream(path) << "interfaces: [eth0]\nports: [443]\nsecrets:\n  source: key_file\n"
                         "  key_file: " +
                             key + "\n";
  testing::internal::CaptureStderr();
  EXPECT_EQ(CheckConfig(path), 2);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("secrets.key_file: fleet key file " + key + " has mode 0440"),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find("00112233"), std::string::npos) << err;
  fs::remove_all(dir);
}

TEST(Cidr, ParseAndOverlap) {
  auto p = [](const char* s) { return *ParseCidr(s); };
  EXPECT_EQ(p("10.0.0.0/8").ToString(), "10.0.0.0/8");
  EXPECT_EQ(p("0.0.0.0/0").prefix_len, 0);
  EXPECT_EQ(p("::/0").family, 6);
  EXPECT_EQ(p("2001:db8::1").ToString(), "2001:db8::1/128");
  EXPECT_TRUE(p("10.0.0.0/8").Contains(p("10.255.0.0/16")));
  EXPECT_FALSE(p("10.255.0.0/16").Contains(p("10.0.0.0/8")));
  EXPECT_TRUE(p("10.255.0.0/16").Overlaps(p("10.0.0.0/8")));
  EXPECT_FALSE(p("10.0.0.0/9").Overlaps(p("10.128.0.0/9")));
  EXPECT_FALSE(p("0.0.0.0/0").Overlaps(p("::/0")));  // families never overlap
  EXPECT_TRUE(p("2001:db8::/31").Contains(p("2001:db9:1::/48")));
  EXPECT_FALSE(ParseCidr("10.0.0.0/"));
  EXPECT_FALSE(ParseCidr("10.0.0.0/33"));
  EXPECT_FALSE(ParseCidr("10.0.0.0/8x"));
  EXPECT_FALSE(ParseCidr("fe80::1%eth0/64"));
  Result<Cidr> host = ParseCidr("2001:db8::1/32");
  ASSERT_FALSE(host);
  EXPECT_NE(host.error().message().find("did you mean 2001:db8::/32?"), std::string::npos);
}

TEST(ListenAddress, Parse) {
  auto ok = [](const char* s) { return ParseListenAddress(s).value().ToString(); };
  EXPECT_EQ(ok("127.0.0.1:9479"), "127.0.0.1:9479");
  EXPECT_EQ(ok("0.0.0.0:1"), "0.0.0.0:1");
  EXPECT_EQ(ok("[::]:9479"), "[::]:9479");
  EXPECT_EQ(ok("[2001:db8::1]:65535"), "[2001:db8::1]:65535");
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", ":9479", "127.0.0.1:0", "[::1]9479", "[::1",
                          "::1:9479", "host:80", "127.0.0.1:80x", "[127.0.0.1]:80x"}) {
    EXPECT_FALSE(ParseListenAddress(bad)) << bad;
  }
}

}  // namespace
}  // namespace sg
