// The start-up self-test: a probe SYN and its ACK run through the LIVE
// program with BPF_PROG_TEST_RUN, against the live maps. It proves that the
// program, its config, its secrets and the port's state produce a correct
// SYN+ACK (checksums included) and accept their own cookie, before the
// daemon says READY. The probe counts once in the counters (one SYN+ACK,
// one valid cookie ACK).
#pragma once

#include <cstdint>
#include <array>
#include <string>

#include "util/result.h"

namespace sg {

struct SelfTestOptions {
  int prog_fd = -1;
  uint16_t port = 0;  // a protected, engaged port
  // The probe is what the program answers: a frame to the interface's MAC
  // and one of the host's IPv4 addresses (network order), from a TEST-NET
  // client.
  std::array<uint8_t, 6> mac{};
  uint32_t server_addr = 0;
  // sg_counters_map, to tell "nothing listens on the port yet" (not a fault:
  // the SYN goes to the kernel, as it must) from a broken program.
  int counters_fd = -1;
};

struct SelfTestResult {
  bool answered = false;      // the probe SYN got a correct SYN+ACK
  bool ack_accepted = false;  // its cookie ACK passed
  bool no_listener = false;   // not answered: no listener on the port and address yet
  std::string detail;         // why not, in plain words
};

Result<SelfTestResult> RunSelfTest(const SelfTestOptions& opts);

// One's complement checksum (RFC 1071), written independently of the BPF side.
uint16_t InternetChecksum(const uint8_t* data, size_t len, uint32_t seed = 0);

}  // namespace sg
