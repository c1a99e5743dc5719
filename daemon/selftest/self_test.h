// The start-up self-test: a probe SYN and its ACK run through the LIVE
// program with BPF_PROG_TEST_RUN, against the live maps. It proves that the
// program, its config, its secrets and the port's state produce a correct
// SYN+ACK (checksums included) and accept their own cookie, before the
// daemon says READY. The probe counts once in the counters (one SYN+ACK,
// one valid cookie ACK).
#pragma once

#include <cstdint>
#include <string>

#include "util/result.h"

namespace sg {

struct SelfTestOptions {
  int prog_fd = -1;
  uint16_t port = 0;           // a protected, engaged port
  bool kernel_cookie = false;  // kernel-cookie mode: no listener means nothing to test yet
};

struct SelfTestResult {
  bool answered = false;      // the probe SYN got a correct SYN+ACK
  bool ack_accepted = false;  // its cookie ACK passed
  std::string detail;         // why not, in plain words
};

Result<SelfTestResult> RunSelfTest(const SelfTestOptions& opts);

// One's complement checksum (RFC 1071), written independently of the BPF side.
uint16_t InternetChecksum(const uint8_t* data, size_t len, uint32_t seed = 0);

}  // namespace sg
