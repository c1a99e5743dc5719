// One place per fact in the config: each enum's words (config/modes.h) read
// both ways.
#include <gtest/gtest.h>

#include "config/modes.h"

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

}  // namespace
}  // namespace sg
