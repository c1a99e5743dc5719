// One place per fact in the config: each enum's words (config/modes.h) read
// both ways, and the rules across keys (config/validate.h) as the file
// loader and the run flags both apply them.
#include <gtest/gtest.h>

#include "config/modes.h"
#include "config/run_flags.h"
#include "config/validate.h"

namespace sg {
namespace {

template <NamedEnum E>
void ExpectRoundTrip(const std::string& list) {
  EXPECT_EQ(NameList<E>(), list);
  for (const Name<E>& n : EnumNames<E>::kTable) {
    EXPECT_STREQ(ToString(n.value), n.word);
    ASSERT_TRUE(ParseName<E>(n.word).has_value()) << n.word;
    EXPECT_EQ(*ParseName<E>(n.word), n.value) << n.word;
  }
}

// The words are an interface (config files, flags, status, metrics labels):
// a change here is a change for every operator.
TEST(Names, EveryEnumHasItsWordsInMessageOrder) {
  ExpectRoundTrip<XdpMode>("auto, native, skb");
  ExpectRoundTrip<HandoffMode>("auto, reqsk, kernel-cookie");
  ExpectRoundTrip<EngageMode>("always, auto, never");
  ExpectRoundTrip<OnCrash>("keep_protecting, fail_open");
  ExpectRoundTrip<OnInterfaceLoss>("wait, exit");
  ExpectRoundTrip<SecretsSource>("random, key_file");
}

TEST(Names, ParseIsExact) {
  EXPECT_FALSE(ParseName<OnCrash>("Fail_Open"));
  EXPECT_FALSE(ParseName<HandoffMode>("kernel_cookie"));
  EXPECT_FALSE(ParseName<XdpMode>(""));
  EXPECT_STREQ(ToString(static_cast<XdpMode>(42)), "?");
  static_assert(ParseName<EngageMode>("never") == EngageMode::kNever);
}

Config Valid() {
  Result<Config> c = ParseConfig("interfaces: [eth0, eth1]\nports: [443, 80]\n", "t.yaml");
  EXPECT_TRUE(c) << c.error().message();
  return c ? *c : Config{};
}

TEST(Validate, AParsedFileHoldsEveryRule) { EXPECT_FALSE(Validate(Valid())); }

TEST(Validate, NamesTheKeyAndTheClash) {
  Config c = Valid();
  c.ports[1].port = 443;
  std::optional<ConfigFault> f = Validate(c);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->key, "ports[1].port");
  EXPECT_EQ(f->problem, "port 443 is already listed at ports[0]");
  EXPECT_EQ(f->other_key, "ports[0]");

  c = Valid();
  c.secrets.rotation.grace = std::chrono::seconds(c.secrets.rotation.interval.count() + 1);
  f = Validate(c);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->key, "secrets.grace");

  c = Valid();
  c.handoff = HandoffMode::kKernelCookie;
  c.secrets.source = SecretsSource::kKeyFile;
  f = Validate(c);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->key, "secrets.source");
}

TEST(Validate, TheFileBlamesTheLineOfEachKey) {
  Result<Config> c = ParseConfig("interfaces:\n  - eth0\n  - eth0\nports: [443]\n", "bad.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(),
            "bad.yaml:3: interfaces[1]: eth0 is already listed at interfaces[0] (line 2)");
  c = ParseConfig("interfaces: [eth0]\nports:\n  - 443\n  - 443\n", "bad.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(),
            "bad.yaml:4: ports[1]: port 443 is already listed at ports[0] (line 3)");
}

TEST(Validate, FlagsAreCheckedByTheSameRules) {
  RunFlags f;
  f.interfaces = {"eth0", "eth0"};
  f.ports = {80};
  Result<Config> c = MergeRunFlags(std::nullopt, f);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(),
            "command line: interfaces[1]: eth0 is already listed at interfaces[0]");

  RunFlags g;
  g.cookie_max_age = 240;
  Result<Config> file = ParseConfig(
      "interfaces: [eth0]\nports: [443]\nsecrets: {rotation_interval: 200s}\n", "f.yaml");
  ASSERT_TRUE(file) << file.error().message();
  c = MergeRunFlags(*file, g);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(),
            "f.yaml with the command-line flags: secrets.rotation_interval: the rotation interval "
            "(200 s) must exceed the cookie max age (240 s)");
}

TEST(Validate, DefaultGraceIsOneAndAHalfMaxAgeWithinTheInterval) {
  using std::chrono::seconds;
  EXPECT_EQ(DefaultGrace(seconds(120), seconds(3600)), seconds(180));
  EXPECT_EQ(DefaultGrace(seconds(5), seconds(3600)), seconds(8));  // rounded up
  EXPECT_EQ(DefaultGrace(seconds(200), seconds(250)), seconds(250));
  Result<Config> c = ParseConfig(
      "interfaces: [eth0]\nports: [443]\ncookies: {max_age: 200}\nsecrets: {rotation_interval: "
      "250}\n",
      "t.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->secrets.rotation.grace, seconds(250));
}

}  // namespace
}  // namespace sg
