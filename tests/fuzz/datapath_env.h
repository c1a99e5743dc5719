// The real XDP program, loaded once per fuzzing process, in a world the
// oracle knows (fuzz_world.h): its own network namespace with loopback up,
// real established TCP connections over loopback (IPv4 and IPv6), the ports,
// allow/deny lists, secrets and a pinned cookie clock. Run() pushes one
// frame through BPF_PROG_TEST_RUN and reports the verdict, the frame and
// metadata as the program left them, and which reason counter moved.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "datapath/datapath.h"
#include "synguard/shared.h"
#include "util/unique_fd.h"

namespace sg::fuzz {

// Frames up to this size sit in one buffer in BPF_PROG_TEST_RUN (a page less
// XDP headroom and the shared-info tailroom); longer ones get fragments.
inline constexpr size_t kMaxLinearFrame = 4096 - 256 - 320;

struct Outcome {
  int error = 0;  // errno of BPF_PROG_TEST_RUN; the rest is unset when nonzero
  uint32_t verdict = 0;
  std::vector<uint8_t> frame;
  std::vector<uint8_t> meta;
  // The reason counters that moved, and by how much (normally exactly one, by 1).
  std::vector<std::pair<uint32_t, uint64_t>> moved;
};

class DatapathEnv {
 public:
  // Sets everything up on first use; aborts with a message if it cannot
  // (a fuzzer with no program would report nothing).
  static DatapathEnv& Get();

  Outcome Run(std::span<const uint8_t> frame);

  // What the oracle needs to know about the world.
  const sg_config& config() const { return cfg_; }
  const sg_secrets& secrets() const { return secrets_; }
  // The program's cookie clock now (pinned near kEpochNs).
  uint64_t NowNs() const;
  uint32_t PortFlags(uint16_t port) const;
  // SG_LIST_DENY, SG_LIST_ALLOW or 0 for a source address.
  static uint32_t ListOf(std::span<const uint8_t> saddr, bool ipv6);
  // The 4-tuple (as the server sees it) of a real established connection.
  bool IsEstablished(std::span<const uint8_t> saddr, std::span<const uint8_t> daddr, uint16_t sport,
                     uint16_t dport, bool ipv6) const;
  // "ok" or what went wrong while making the loopback connections.
  const std::string& connections_status() const { return conn_status_; }

 private:
  DatapathEnv() = default;
  void Init();
  void EnterOwnNetns();
  void OpenConnection(bool v6);
  void PinClock();
  std::vector<uint64_t> ReadCounters();

  std::unique_ptr<sg::Datapath> dp_;
  sg_config cfg_{};
  sg_secrets secrets_{};
  std::array<uint32_t, 65536> port_flags_{};
  uint64_t pinned_mono_ns_ = 0;
  int ncpus_ = 1;
  std::vector<uint64_t> counters_;  // last snapshot, reason-major
  std::vector<uint8_t> out_;        // reused output buffer
  std::vector<sg::UniqueFd> sockets_;
  bool v4_established_ = false, v6_established_ = false;
  std::string conn_status_ = "ok";
};

}  // namespace sg::fuzz
