// Small daemon parts without a kernel: list entries for the LPM tries, the
// status state file, and resuming secrets left by a previous run.
#include <gtest/gtest.h>

#include <filesystem>

#include "secrets/secret_rotator.h"
#include "control/list_entries.h"
#include "system/state_file.h"

namespace sg {
namespace {

constexpr uint64_t kSec = 1000000000ull;
constexpr uint64_t kNoExpiry = ~0ull;

TEST(ListEntries, FamiliesAndValues) {
  Result<Cidr> a = ParseCidr("10.0.0.0/8"), d = ParseCidr("2001:db8::/32"),
               d4 = ParseCidr("192.0.2.7");
  ASSERT_TRUE(a.ok() && d.ok() && d4.ok());
  ListEntries e = BuildListEntries({*a}, {*d, *d4});
  ASSERT_EQ(e.v4.size(), 2u);
  ASSERT_EQ(e.v6.size(), 1u);
  EXPECT_EQ(e.v4[0].first.prefixlen, 8u);
  EXPECT_EQ(e.v4[0].first.addr[0], 10);
  EXPECT_EQ(e.v4[0].second, SG_LIST_ALLOW);
  EXPECT_EQ(e.v4[1].first.prefixlen, 32u);
  EXPECT_EQ(e.v4[1].first.addr[3], 7);
  EXPECT_EQ(e.v4[1].second, SG_LIST_DENY);
  EXPECT_EQ(e.v6[0].first.prefixlen, 32u);
  EXPECT_EQ(e.v6[0].first.addr[0], 0x20);
  EXPECT_EQ(e.v6[0].second, SG_LIST_DENY);
  EXPECT_TRUE(BuildListEntries({}, {}).empty());
}

TEST(StateFile, RoundTripsAndEscapes) {
  DaemonState s;
  s.pid = 42;
  s.version = "0.1.0";
  s.config = "/etc/syn\"guard.yaml";
  s.handoff = "reqsk";
  s.secret_source = "random (getrandom)";
  s.secret_since_unix = 1700000000.5;
  s.self_test_ok = true;
  s.reloads_failed = 3;
  s.interfaces = {{"eth0", "native", false, true, "/sys/fs/bpf/synguard/1/eth0"},
                  {"eth1", "skb", true, false, ""}};
  s.ports = {{443, "auto"}, {22, "always"}};
  Result<DaemonState> back = ParseState(StateToJson(s), "test");
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->pid, 42);
  EXPECT_EQ(back->config, s.config);
  EXPECT_DOUBLE_EQ(back->secret_since_unix, s.secret_since_unix);
  EXPECT_TRUE(back->self_test_ok);
  EXPECT_EQ(back->reloads_failed, 3u);
  ASSERT_EQ(back->interfaces.size(), 2u);
  EXPECT_TRUE(back->interfaces[0].took_over);
  EXPECT_TRUE(back->interfaces[1].fell_back);
  EXPECT_EQ(back->interfaces[1].xdp_mode, "skb");
  ASSERT_EQ(back->ports.size(), 2u);
  EXPECT_EQ(back->ports[1].port, 22);
  EXPECT_EQ(back->ports[1].engage, "always");
}

TEST(StateFile, WritesAtomicallyAndReadsBack) {
  auto dir = std::filesystem::temp_directory_path() / ("sg-state-" + std::to_string(getpid()));
  std::string path = StateFilePath((dir / "sub").string(), 4026531840ull);
  DaemonState s;
  s.pid = 7;
  ASSERT_TRUE(WriteStateFile(path, s).ok());
  Result<DaemonState> back = ReadStateFile(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->pid, 7);
  EXPECT_FALSE(ReadStateFile(path + ".missing").ok());
  EXPECT_FALSE(ParseState("{not json", "x").ok());
  std::filesystem::remove_all(dir);
}

class FakeClock : public Clock {
 public:
  uint64_t NowNs() const override { return now; }
  uint64_t now = 0;
};

class EpochSource : public SecretSource {
 public:
  explicit EpochSource(bool det) : det_(det) {}
  Result<sg_secret> KeyFor(uint64_t epoch) override {
    return sg_secret{.k0 = epoch + 1000, .k1 = ~epoch, .expires_ns = 0};
  }
  bool deterministic() const override { return det_; }
  std::string Describe() const override { return "epoch"; }

 private:
  bool det_;
};

struct Sink {
  std::vector<sg_secrets> writes;
  PublishSecrets Fn() {
    return [this](const sg_secrets& s) -> Status {
      writes.push_back(s);
      return Ok();
    };
  }
};

const RotationSchedule kSchedule{.interval = std::chrono::seconds(100),
                                 .grace = std::chrono::seconds(30)};

sg_secrets Previous(uint32_t slot, uint64_t k0) {
  sg_secrets s{};
  s.current = slot;
  s.key[slot] = {.k0 = k0, .k1 = 9, .expires_ns = kNoExpiry};
  return s;
}

TEST(SecretResume, SameSlotKeepsTheRandomKey) {
  FakeClock clock;
  clock.now = 1005 * kSec;  // epoch 10, slot 0
  EpochSource src(false);
  SecretRotator r(clock, src, kSchedule);
  Sink sink;
  ASSERT_TRUE(r.Resume(Previous(0, 77), sink.Fn()).ok());
  ASSERT_EQ(sink.writes.size(), 1u);
  EXPECT_EQ(sink.writes[0].current, 0u);
  EXPECT_EQ(sink.writes[0].key[0].k0, 77u);
  EXPECT_EQ(r.generation(), 10u);
  // The next rotation goes into the other slot as usual.
  clock.now = 1100 * kSec;
  Result<std::optional<Rotation>> rot = r.Tick(sink.Fn());
  ASSERT_TRUE(rot.ok() && rot->has_value());
  EXPECT_EQ(sink.writes.back().current, 1u);
  EXPECT_EQ(sink.writes.back().key[0].k0, 77u);
  EXPECT_EQ(sink.writes.back().key[0].expires_ns, 1130 * kSec);
}

TEST(SecretResume, OtherSlotKeepsTheOldKeyForItsGrace) {
  FakeClock clock;
  clock.now = 1105 * kSec;  // epoch 11, slot 1
  EpochSource src(false);
  SecretRotator r(clock, src, kSchedule);
  Sink sink;
  ASSERT_TRUE(r.Resume(Previous(0, 77), sink.Fn()).ok());
  const sg_secrets& s = sink.writes.back();
  EXPECT_EQ(s.current, 1u);
  EXPECT_EQ(s.key[1].k0, 1011u);
  EXPECT_EQ(s.key[1].expires_ns, kNoExpiry);
  EXPECT_EQ(s.key[0].k0, 77u);
  EXPECT_EQ(s.key[0].expires_ns, 1130 * kSec);
}

TEST(SecretResume, ExpiredOrEmptyStateIsAFreshStart) {
  FakeClock clock;
  clock.now = 1005 * kSec;
  EpochSource src(false);
  SecretRotator r(clock, src, kSchedule);
  Sink sink;
  ASSERT_TRUE(r.Resume(sg_secrets{}, sink.Fn()).ok());
  EXPECT_EQ(sink.writes.back().key[0].k0, 1010u);
  sg_secrets expired = Previous(0, 77);
  expired.key[0].expires_ns = 1 * kSec;
  ASSERT_TRUE(r.Resume(expired, sink.Fn()).ok());
  EXPECT_EQ(sink.writes.back().key[0].k0, 1010u);
}

TEST(SecretResume, FleetKeyRederivesInTheSameSlot) {
  FakeClock clock;
  clock.now = 1005 * kSec;
  EpochSource src(true);
  SecretRotator r(clock, src, kSchedule);
  Sink sink;
  ASSERT_TRUE(r.Resume(Previous(0, 77), sink.Fn()).ok());
  EXPECT_EQ(sink.writes.back().key[0].k0, 1010u);
}

}  // namespace
}  // namespace sg
