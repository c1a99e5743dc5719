// A network namespace of the test process's own, for the tests that load
// BPF programs and open sockets (packet rows, fuzzers, the XDP bench):
// BPF_PROG_TEST_RUN looks sockets up in the caller's namespace, so the
// tests' listeners are the only ones there, nothing outside sees their
// connections, and parallel runs do not collide.
#pragma once

#include <string>
#include <vector>

namespace sg::test {

// The client and server addresses of the packet rows and the bench
// (10.0.0.1 -> 10.0.0.2, 2001:db8::1 -> 2001:db8::2), for lo.
inline const std::vector<std::string> kRowAddresses = {"10.0.0.1/32", "10.0.0.2/32",
                                                       "2001:db8::1/128", "2001:db8::2/128"};

// Moves the process into a new network namespace (unshare, as root), brings
// lo up and puts each address ("10.0.0.1/32", "2001:db8::1/128") on it.
// Once per process: later calls do nothing. Returns what failed, or "".
std::string EnterPrivateNetns(const std::vector<std::string>& lo_addresses = {});

}  // namespace sg::test
