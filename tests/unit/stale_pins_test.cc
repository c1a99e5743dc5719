// Pins of network namespaces that no longer exist are removed; live ones,
// and everything when nothing could be seen alive, are kept.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "system/stale_pins.h"

namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/sg_stale_pins_XXXXXX";
  return mkdtemp(tmpl);
}

void Touch(const std::string& p) { std::ofstream(p) << "x"; }
bool Exists(const std::string& p) { return access(p.c_str(), F_OK) == 0; }

TEST(StalePins, RemovesDeadNamespacesOnly) {
  std::string pins = TempDir(), state = TempDir();
  for (const char* ino : {"100", "200"}) {
    std::string dir = pins + "/" + ino;
    mkdir(dir.c_str(), 0700);
    mkdir((dir + "/eth0").c_str(), 0700);
    Touch(dir + "/eth0/sg_ports_map");
    Touch(dir + "/eth0/xdp_link");
    Touch(state + "/" + ino + ".json");
  }
  mkdir((pins + "/not-a-netns").c_str(), 0700);

  auto removed = sg::PruneStalePins(pins, state, {200});
  EXPECT_EQ(removed.size(), 2u);
  EXPECT_FALSE(Exists(pins + "/100"));
  EXPECT_FALSE(Exists(state + "/100.json"));
  EXPECT_TRUE(Exists(pins + "/200/eth0/sg_ports_map"));
  EXPECT_TRUE(Exists(state + "/200.json"));
  EXPECT_TRUE(Exists(pins + "/not-a-netns"));

  // Nothing seen alive: keep everything rather than guess.
  EXPECT_TRUE(sg::PruneStalePins(pins, state, {}).empty());
  EXPECT_TRUE(Exists(pins + "/200"));
  std::system(("rm -rf " + pins + " " + state).c_str());
}

TEST(StalePins, OwnNamespaceIsAlive) {
  struct stat st {};
  ASSERT_EQ(stat("/proc/self/ns/net", &st), 0);
  EXPECT_TRUE(sg::LiveNetnsInodes().count(st.st_ino));
}

}  // namespace
