// Secret rotation with a fake clock: the schedule, the grace period, the
// two-step publish, fleet determinism, and the fleet key file's checks.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "config/config.h"
#include "secrets/fleet_key.h"
#include "secrets/secret_rotator.h"
#include "secrets/secret_source.h"

namespace sg {
namespace {

namespace fs = std::filesystem;
constexpr uint64_t kSec = 1000000000ull;
constexpr uint64_t kNoExpiry = ~0ull;
constexpr const char* kKeyHex = "00112233445566778899aabbccddeeff";

class FakeClock : public Clock {
 public:
  uint64_t NowNs() const override { return now; }
  uint64_t now = 0;
};

// Keys that name their epoch, so the tests can tell which key is where.
class CountingSource : public SecretSource {
 public:
  explicit CountingSource(bool deterministic) : deterministic_(deterministic) {}
  Result<sg_secret> KeyFor(uint64_t epoch) override {
    ++calls;
    return sg_secret{.k0 = epoch, .k1 = ~epoch, .expires_ns = 0};
  }
  bool deterministic() const override { return deterministic_; }
  std::string Describe() const override { return "counting"; }
  int calls = 0;

 private:
  bool deterministic_;
};

// Records every state written to the "map"; can fail on request.
struct Recorder {
  std::vector<sg_secrets> writes;
  int fail_at = -1;  // index of the write to refuse
  PublishSecrets Fn() {
    return [this](const sg_secrets& s) -> Status {
      if (static_cast<int>(writes.size()) == fail_at) {
        fail_at = -1;
        return Error("write secrets map", EIO);
      }
      writes.push_back(s);
      return Ok();
    };
  }
};

// What the BPF side does with a cookie carrying key bit `slot` at `now`.
bool Usable(const sg_secrets& s, uint32_t slot, uint64_t now) {
  return now < s.key[slot].expires_ns;
}

const RotationSchedule kSchedule{.interval = std::chrono::seconds(60),
                                 .grace = std::chrono::seconds(30)};

TEST(SecretRotator, StartPublishesTheCurrentEpochsKey) {
  FakeClock clock;
  clock.now = 1000 * 60 * kSec + 10 * kSec;  // epoch 1000, 10 s in
  CountingSource source(false);
  SecretRotator r(clock, source, kSchedule);
  Recorder rec;
  ASSERT_TRUE(r.Start(rec.Fn()));
  ASSERT_EQ(rec.writes.size(), 1u);
  const sg_secrets& s = rec.writes[0];
  EXPECT_EQ(s.current, 0u);  // 1000 is even
  EXPECT_EQ(s.key[0].k0, 1000u);
  EXPECT_EQ(s.key[0].expires_ns, kNoExpiry);
  EXPECT_EQ(s.key[1].expires_ns, 0u);  // random keys: no previous key to restore
  EXPECT_EQ(r.generation(), 1000u);
  EXPECT_EQ(r.next_rotation_ns(), 1001 * 60 * kSec);
  EXPECT_EQ(r.current_key_age_ns(), 10 * kSec);
}

TEST(SecretRotator, RotatesEveryIntervalWithGrace) {
  FakeClock clock;
  clock.now = 1000 * 60 * kSec + 10 * kSec;
  CountingSource source(false);
  SecretRotator r(clock, source, kSchedule);
  Recorder rec;
  ASSERT_TRUE(r.Start(rec.Fn()));

  clock.now = 1000 * 60 * kSec + 59 * kSec;
  auto t = r.Tick(rec.Fn());
  ASSERT_TRUE(t);
  EXPECT_FALSE(*t);
  EXPECT_EQ(rec.writes.size(), 1u);

  const uint64_t rotation = 1001 * 60 * kSec;
  clock.now = rotation + 1 * kSec;  // the daemon ticks a little late
  t = r.Tick(rec.Fn());
  ASSERT_TRUE(t);
  ASSERT_TRUE(*t);
  EXPECT_EQ((*t)->generation, 1001u);
  EXPECT_EQ((*t)->at_ns, rotation);
  EXPECT_EQ((*t)->slot, 1u);
  const sg_secrets& s = r.state();
  EXPECT_EQ(s.current, 1u);
  EXPECT_EQ(s.key[1].k0, 1001u);
  EXPECT_EQ(s.key[1].expires_ns, kNoExpiry);
  EXPECT_EQ(s.key[0].k0, 1000u);
  // Grace counts from the scheduled rotation time, as on every fleet host.
  EXPECT_EQ(s.key[0].expires_ns, rotation + 30 * kSec);
  EXPECT_TRUE(Usable(s, 0, rotation + 29 * kSec));
  EXPECT_FALSE(Usable(s, 0, rotation + 30 * kSec));
  EXPECT_TRUE(Usable(s, 1, rotation + 3600 * kSec));

  // The next rotation overwrites slot 0, whose key expired by then.
  clock.now = 1002 * 60 * kSec;
  t = r.Tick(rec.Fn());
  ASSERT_TRUE(t && *t);
  EXPECT_EQ(r.state().current, 0u);
  EXPECT_EQ(r.state().key[0].k0, 1002u);
  EXPECT_EQ(r.state().key[1].expires_ns, 1002 * 60 * kSec + 30 * kSec);
}

TEST(SecretRotator, PublishesInTwoSteps) {
  FakeClock clock;
  clock.now = 1000 * 60 * kSec;
  CountingSource source(false);
  SecretRotator r(clock, source, kSchedule);
  Recorder rec;
  ASSERT_TRUE(r.Start(rec.Fn()));
  const sg_secrets before = rec.writes.back();
  clock.now = 1001 * 60 * kSec;
  ASSERT_TRUE(r.Tick(rec.Fn()));
  ASSERT_EQ(rec.writes.size(), 3u);
  const sg_secrets& step1 = rec.writes[1];
  const sg_secrets& step2 = rec.writes[2];
  // Step 1: the new key in the idle slot; current and its key untouched.
  EXPECT_EQ(step1.current, before.current);
  EXPECT_EQ(std::memcmp(&step1.key[0], &before.key[0], sizeof(sg_secret)), 0);
  EXPECT_EQ(step1.key[1].k0, 1001u);
  EXPECT_EQ(step1.key[1].expires_ns, kNoExpiry);
  // Step 2: the flip, and the old key's deadline; the new key as in step 1.
  EXPECT_EQ(step2.current, 1u);
  EXPECT_EQ(std::memcmp(&step2.key[1], &step1.key[1], sizeof(sg_secret)), 0);
  EXPECT_EQ(step2.key[0].k0, before.key[0].k0);
  EXPECT_EQ(step2.key[0].expires_ns, 1001 * 60 * kSec + 30 * kSec);
}

TEST(SecretRotator, AFailedWriteIsRetriedNextTick) {
  FakeClock clock;
  clock.now = 1000 * 60 * kSec;
  CountingSource source(false);
  SecretRotator r(clock, source, kSchedule);
  Recorder rec;
  ASSERT_TRUE(r.Start(rec.Fn()));
  clock.now = 1001 * 60 * kSec;
  rec.fail_at = 2;  // the flip fails
  auto t = r.Tick(rec.Fn());
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message().find("step 2 of 2"), std::string::npos) << t.error().message();
  EXPECT_EQ(r.generation(), 1000u);
  EXPECT_EQ(r.state().current, 0u);
  t = r.Tick(rec.Fn());
  ASSERT_TRUE(t && *t);
  EXPECT_EQ(r.generation(), 1001u);
  EXPECT_EQ(rec.writes.back().current, 1u);
}

TEST(SecretRotator, SkippedGenerationsKeepTheSlotParity) {
  for (uint64_t jump : {2u, 3u, 4u, 5u}) {
    FakeClock clock;
    clock.now = 1000 * 60 * kSec;
    CountingSource source(false);
    SecretRotator r(clock, source, kSchedule);
    Recorder rec;
    ASSERT_TRUE(r.Start(rec.Fn()));
    const uint64_t gen = 1000 + jump;
    clock.now = gen * 60 * kSec + 5 * kSec;
    auto t = r.Tick(rec.Fn());
    ASSERT_TRUE(t && *t) << jump;
    const sg_secrets& s = r.state();
    EXPECT_EQ(s.current, gen & 1) << jump;
    EXPECT_EQ(s.key[gen & 1].k0, gen) << jump;
    EXPECT_EQ(s.key[(gen - 1) & 1].k0, gen - 1) << jump;
    EXPECT_EQ(s.key[(gen - 1) & 1].expires_ns, gen * 60 * kSec + 30 * kSec) << jump;
    // Every write kept `current` pointing at a live key.
    for (const sg_secrets& w : rec.writes) EXPECT_EQ(w.key[w.current].expires_ns, kNoExpiry);
    // Two-step rotations through the last generations, each into the idle slot.
    EXPECT_EQ(rec.writes.size(), 1u + (jump % 2 ? 6u : 4u)) << jump;
  }
}

TEST(SecretRotator, AClockSteppingBackKeepsTheKeys) {
  FakeClock clock;
  clock.now = 1000 * 60 * kSec;
  CountingSource source(false);
  SecretRotator r(clock, source, kSchedule);
  Recorder rec;
  ASSERT_TRUE(r.Start(rec.Fn()));
  clock.now = 990 * 60 * kSec;
  auto t = r.Tick(rec.Fn());
  ASSERT_TRUE(t);
  EXPECT_FALSE(*t);
  EXPECT_EQ(rec.writes.size(), 1u);
}

TEST(SecretRotator, TickBeforeStartIsAnError) {
  FakeClock clock;
  CountingSource source(false);
  SecretRotator r(clock, source, kSchedule);
  Recorder rec;
  EXPECT_FALSE(r.Tick(rec.Fn()));
}

TEST(SecretRotator, RandomSourceGivesFreshKeys) {
  FakeClock clock;
  clock.now = 1000 * 60 * kSec;
  RandomSecretSource source;
  SecretRotator r(clock, source, kSchedule);
  Recorder rec;
  ASSERT_TRUE(r.Start(rec.Fn()));
  clock.now = 1001 * 60 * kSec;
  ASSERT_TRUE(r.Tick(rec.Fn()));
  const sg_secrets& s = r.state();
  EXPECT_TRUE(s.key[0].k0 != s.key[1].k0 || s.key[0].k1 != s.key[1].k1);
}

// ---- fleet keys ----

class KeyFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sg-keys-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& contents, mode_t mode = 0600) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << contents;
    ::chmod(path.c_str(), mode);
    return path;
  }
  fs::path dir_;
};

TEST(FleetKey, DerivationIsPinned) {
  // Hosts running different synguard versions must derive the same keys:
  // a change here breaks mixed fleets, so it must be deliberate.
  FleetKey key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  sg_secret e0 = DeriveFleetSecret(key, 0);
  sg_secret e1 = DeriveFleetSecret(key, 1);
  EXPECT_NE(e0.k0, e1.k0);
  EXPECT_NE(e0.k0, e0.k1);
  EXPECT_EQ(e0.expires_ns, 0u);
  // Independent computation of the spec: SipHash-2-4 over the label, the
  // epoch and the half.
  uint8_t msg[20];
  std::memcpy(msg, "synguard-v1", 11);
  for (int i = 0; i < 8; ++i) msg[11 + i] = i == 0 ? 1 : 0;
  msg[19] = 1;
  EXPECT_EQ(e1.k1, sg_siphash24_bytes(key.k0, key.k1, msg, 20));
  EXPECT_EQ(e0.k0, 17181564659454109545ull);
  EXPECT_EQ(e0.k1, 6106523918464508681ull);
}

TEST_F(KeyFiles, HexAndRawFormsGiveTheSameKey) {
  Result<FleetKey> hex = LoadFleetKey(Write("hex", std::string(kKeyHex) + "\n"));
  ASSERT_TRUE(hex) << hex.error().message();
  EXPECT_EQ(hex->k0, 0x7766554433221100ull);
  EXPECT_EQ(hex->k1, 0xffeeddccbbaa9988ull);
  Result<FleetKey> upper = LoadFleetKey(Write("upper", "00112233445566778899AABBCCDDEEFF"));
  ASSERT_TRUE(upper);
  EXPECT_EQ(upper->k1, hex->k1);
  const uint8_t raw_bytes[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
  Result<FleetKey> raw =
      LoadFleetKey(Write("raw", std::string(reinterpret_cast<const char*>(raw_bytes), 16)));
  ASSERT_TRUE(raw) << raw.error().message();
  EXPECT_EQ(raw->k0, hex->k0);
  EXPECT_EQ(raw->k1, hex->k1);
  EXPECT_TRUE(LoadFleetKey(Write("stricter", kKeyHex, 0400)));
}

TEST_F(KeyFiles, Errors) {
  struct Case {
    const char* name;
    std::string contents;
    mode_t mode;
    const char* want;
  };
  const Case cases[] = {
      {"group-readable", kKeyHex, 0640, "has mode 0640: group and others must have no access"},
      {"world-readable", kKeyHex, 0644, "chmod 600"},
      {"short", "00112233", 0600, "expected 32 hex digits or 16 raw bytes, found 8 characters"},
      {"not-hex", "00112233445566778899aabbccddeeZZ", 0600, "character 31 is not a hex digit"},
      {"zeros", std::string(32, '0'), 0600, "the key is all zeros"},
      {"huge", std::string(4096, 'a'), 0600, "too long for a key"},
  };
  for (const Case& c : cases) {
    Result<FleetKey> key = LoadFleetKey(Write(c.name, c.contents, c.mode));
    ASSERT_FALSE(key) << c.name;
    const std::string msg = key.error().message();
    EXPECT_NE(msg.find(c.want), std::string::npos) << c.name << ": " << msg;
    EXPECT_NE(msg.find((dir_ / c.name).string()), std::string::npos) << c.name << ": " << msg;
    // Never the contents, not even a piece of them.
    EXPECT_EQ(msg.find("00112233"), std::string::npos) << c.name << ": " << msg;
    EXPECT_EQ(msg.find("ccddee"), std::string::npos) << c.name << ": " << msg;
  }
  Result<FleetKey> missing = LoadFleetKey((dir_ / "nope").string());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().err(), ENOENT);
  Result<FleetKey> dir = LoadFleetKey(dir_.string());
  ASSERT_FALSE(dir);
  EXPECT_NE(dir.error().message().find("not a regular file"), std::string::npos);
}

TEST_F(KeyFiles, TwoHostsDeriveIdenticalStates) {
  const std::string path = Write("fleet.key", kKeyHex);
  auto a_src = FleetSecretSource::Load(path);
  auto b_src = FleetSecretSource::Load(path);
  ASSERT_TRUE(a_src && b_src);
  EXPECT_EQ((*a_src)->Describe(), "fleet key file " + path);
  FakeClock a_clock, b_clock;
  // Host A has run for hours; host B starts (or restarts) 10 s after a rotation.
  a_clock.now = 500 * 60 * kSec;
  SecretRotator a(a_clock, **a_src, kSchedule);
  Recorder a_rec, b_rec;
  ASSERT_TRUE(a.Start(a_rec.Fn()));
  for (uint64_t t = 500 * 60; t <= 777 * 60 + 10; t += 7) {
    a_clock.now = t * kSec;
    ASSERT_TRUE(a.Tick(a_rec.Fn()));
  }
  a_clock.now = 777 * 60 * kSec + 10 * kSec;
  ASSERT_TRUE(a.Tick(a_rec.Fn()));
  b_clock.now = a_clock.now;
  SecretRotator b(b_clock, **b_src, kSchedule);
  ASSERT_TRUE(b.Start(b_rec.Fn()));
  EXPECT_EQ(a.generation(), 777u);
  EXPECT_EQ(b.generation(), 777u);
  EXPECT_EQ(std::memcmp(&a.state(), &b.state(), sizeof(sg_secrets)), 0);
  // B restored the previous epoch's key with the same deadline as A.
  EXPECT_EQ(b.state().key[0].expires_ns, 777 * 60 * kSec + 30 * kSec);
  EXPECT_EQ(b.state().current, 1u);
  // And they stay in step.
  a_clock.now = b_clock.now = 778 * 60 * kSec + 2 * kSec;
  ASSERT_TRUE(a.Tick(a_rec.Fn()));
  ASSERT_TRUE(b.Tick(b_rec.Fn()));
  EXPECT_EQ(std::memcmp(&a.state(), &b.state(), sizeof(sg_secrets)), 0);
  // Past the grace, a restarted host leaves the idle slot empty.
  b_clock.now = 778 * 60 * kSec + 31 * kSec;
  SecretRotator c(b_clock, **b_src, kSchedule);
  Recorder c_rec;
  ASSERT_TRUE(c.Start(c_rec.Fn()));
  EXPECT_EQ(c.state().key[1].expires_ns, 0u);
  EXPECT_EQ(c.state().key[0].k0, a.state().key[0].k0);
}

TEST_F(KeyFiles, ExplainNamesTheFileNotTheKey) {
  const std::string path = Write("fleet.key", kKeyHex);
  Result<Config> c = ParseConfig(
      "interfaces: [eth0]\nports: [443]\nsecrets:\n  source: key_file\n  key_file: " + path + "\n",
      "test.yaml");
  ASSERT_TRUE(c) << c.error().message();
  Result<FleetKey> key = LoadFleetKey(path);
  ASSERT_TRUE(key);
  const std::string text = Explain(*c);
  EXPECT_NE(text.find(path), std::string::npos) << text;
  EXPECT_EQ(text.find(kKeyHex), std::string::npos) << text;
  EXPECT_EQ(text.find(std::to_string(key->k0)), std::string::npos) << text;
  char hex[32];
  std::snprintf(hex, sizeof(hex), "%llx", static_cast<unsigned long long>(key->k0));
  EXPECT_EQ(text.find(hex), std::string::npos) << text;
}

}  // namespace
}  // namespace sg
