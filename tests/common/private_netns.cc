#include "private_netns.h"

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace sg::test {

namespace {

std::string Failed(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

std::string EnterPrivateNetns(const std::vector<std::string>& lo_addresses) {
  static bool entered = false;
  if (entered) return "";
  if (unshare(CLONE_NEWNET)) return Failed("unshare a network namespace for the tests");
  const int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return Failed("open a socket to bring lo up");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  std::string error;
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) == 0) {
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr)) error = Failed("bring lo up in the tests' namespace");
  } else {
    error = Failed("read the flags of lo");
  }
  close(sock);
  if (!error.empty()) return error;
  for (const std::string& a : lo_addresses) {
    const bool v6 = a.find(':') != std::string::npos;
    const std::string cmd =
        (v6 ? "ip -6 addr add " : "ip addr add ") + a + " dev lo" + (v6 ? " nodad" : "");
    if (std::system(cmd.c_str()) != 0) return "in the tests' network namespace: " + cmd;
  }
  entered = true;
  return "";
}

}  // namespace sg::test
