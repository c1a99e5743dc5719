// Which addresses the XDP program answers for (include/synguard/address.h)
// and which of the host's addresses the daemon lists as local
// (watch/local_addresses.h).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_addr.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "synguard/shared.h"
#include "watch/local_addresses.h"

namespace sg {
namespace {

std::array<__u32, 4> Addr(const std::string& text) {
  std::array<__u32, 4> a{};
  const int af = text.find(':') == std::string::npos ? AF_INET : AF_INET6;
  EXPECT_EQ(inet_pton(af, text.c_str(), a.data()), 1) << text;
  return a;
}

__u8 Family(const std::string& text) {
  return text.find(':') == std::string::npos ? SG_AF_INET : SG_AF_INET6;
}

bool SourceRefused(const std::string& text) {
  return sg_source_not_unicast(Family(text), Addr(text).data());
}

bool DestinationRefused(const std::string& text) {
  return sg_destination_not_unicast(Family(text), Addr(text).data());
}

TEST(AddressForm, SourcesNoSingleHostCanHaveAreRefused) {
  for (const char* a : {"0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.0.9", "224.0.0.1",
                        "239.255.255.250", "240.0.0.1", "255.255.255.255", "::", "::1", "ff02::1",
                        "ff05::1:3", "::ffff:10.0.0.1", "::ffff:0.0.0.0"})
    EXPECT_TRUE(SourceRefused(a)) << a;
}

TEST(AddressForm, UnicastSourcesAreClients) {
  for (const char* a :
       {"10.0.0.1", "1.1.1.1", "8.8.8.8", "126.255.255.255", "128.0.0.1", "223.255.255.254",
        "2001:db8::1", "fe80::1", "fd00::1", "::2", "::ffff:0:0:1", "64:ff9b::1.2.3.4", "fe00::1"})
    EXPECT_FALSE(SourceRefused(a)) << a;
}

TEST(AddressForm, DestinationsThatAreNoHostsAreRefused) {
  for (const char* a : {"0.0.0.0", "224.0.0.1", "239.1.2.3", "240.0.0.1", "255.255.255.255",
                        "::", "ff02::1", "::ffff:10.0.0.2"})
    EXPECT_TRUE(DestinationRefused(a)) << a;
  // Loopback is left to the host's address list (a program on lo may answer it).
  for (const char* a : {"10.0.0.2", "127.0.0.1", "::1", "2001:db8::2", "fe80::1"})
    EXPECT_FALSE(DestinationRefused(a)) << a;
}

InterfaceAddress If(const std::string& local, const std::string& broadcast = "",
                    uint32_t flags = 0) {
  InterfaceAddress a;
  a.family = local.find(':') == std::string::npos ? 4 : 6;
  std::memcpy(a.local.data(), Addr(local).data(), 16);
  if (!broadcast.empty()) {
    std::memcpy(a.broadcast.data(), Addr(broadcast).data(), 16);
    a.has_broadcast = true;
  }
  a.flags = flags;
  return a;
}

uint32_t V4(const std::string& text) { return Addr(text)[0]; }

std::array<uint8_t, 16> V6(const std::string& text) {
  std::array<uint8_t, 16> out{};
  std::memcpy(out.data(), Addr(text).data(), 16);
  return out;
}

TEST(LocalAddresses, HostAddressesAndSubnetBroadcastsWithoutLoopback) {
  const LocalAddressEntries e = BuildLocalAddressEntries({
      If("127.0.0.1"), If("::1"), If("10.231.0.2", "10.231.0.255"),
      If("192.0.2.7", "192.0.2.7"),  // a /32: its "broadcast" is itself
      If("2001:db8::2"), If("fe80::2"), If("2001:db8::3", "", IFA_F_TENTATIVE),
      If("2001:db8::4", "", IFA_F_TENTATIVE | IFA_F_OPTIMISTIC),
      If("2001:db8::5", "", IFA_F_DADFAILED | IFA_F_TENTATIVE),
      If("10.231.0.2", "10.231.0.255"),  // the same address on a second device
  });
  LocalAddressEntries want;
  want.v4 = {{V4("10.231.0.2"), SG_ADDR_LOCAL},
             {V4("10.231.0.255"), SG_ADDR_BROADCAST},
             {V4("192.0.2.7"), SG_ADDR_LOCAL}};
  want.v6 = {{V6("2001:db8::2"), SG_ADDR_LOCAL},
             {V6("2001:db8::4"), SG_ADDR_LOCAL},
             {V6("fe80::2"), SG_ADDR_LOCAL}};
  std::sort(want.v4.begin(), want.v4.end());
  std::sort(want.v6.begin(), want.v6.end());
  EXPECT_EQ(e.v4, want.v4);
  EXPECT_EQ(e.v6, want.v6);
}

TEST(LocalAddresses, TheDumpSeesLoopbackAndListsNothingOfIt) {
  Result<std::vector<InterfaceAddress>> dump = DumpInterfaceAddresses();
  ASSERT_TRUE(dump.ok()) << dump.error().message();
  bool saw_loopback = false;
  for (const InterfaceAddress& a : *dump) saw_loopback |= a.family == 4 && a.local[0] == 127;
  EXPECT_TRUE(saw_loopback) << "every namespace with lo up has 127.0.0.1";
  for (const auto& [addr, kind] : BuildLocalAddressEntries(*dump).v4)
    EXPECT_NE(reinterpret_cast<const uint8_t*>(&addr)[0], 127);
}

}  // namespace
}  // namespace sg
