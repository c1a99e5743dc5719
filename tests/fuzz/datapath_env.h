// The real programs, loaded once per fuzzing process, in a world the oracle
// knows (fuzz_world.h): its own network namespace with loopback up, real
// listeners and established TCP connections over loopback (IPv4 and IPv6),
// the ports, allow/deny lists, secrets and a pinned cookie clock.
//
// Three modes (FuzzMode), one world:
//  - kReqsk: the XDP program as the reqsk handoff loads it (our cookies);
//  - kKernelCookie: the XDP program in kernel-cookie mode, which asks the
//    listener for the kernel's cookie (bpf_tcp_gen_syncookie) and checks ACKs
//    with bpf_tcp_check_syncookie; the namespace has tcp_syncookies = 2;
//  - kTc: the TC handoff program (reqsk), run with BPF_PROG_TEST_RUN on an
//    skb and, for cookie ACKs to a loopback listener, also attached at lo's
//    TC ingress and sent there for real, so that a handoff makes a socket.
//
// Run() / RunTc() push one frame through BPF_PROG_TEST_RUN and report the
// verdict, the frame and metadata as the program left them, and which reason
// counters moved.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "datapath/datapath.h"
#include "synguard/shared.h"
#include "util/unique_fd.h"

namespace sg::fuzz {

// Frames up to this size sit in one buffer in BPF_PROG_TEST_RUN (a page less
// XDP headroom and the shared-info tailroom); longer ones get fragments.
inline constexpr size_t kMaxLinearFrame = 4096 - 256 - 320;

enum class FuzzMode { kReqsk, kKernelCookie, kTc };

const char* ToString(FuzzMode mode);
// "reqsk", "kernel-cookie" or "tc"; nothing for anything else.
std::optional<FuzzMode> ParseFuzzMode(std::string_view text);

struct Outcome {
  int error = 0;         // errno of BPF_PROG_TEST_RUN; the rest is unset when nonzero
  uint32_t verdict = 0;  // XDP action, or TC action for RunTc()
  std::vector<uint8_t> frame;
  std::vector<uint8_t> meta;  // XDP only: BPF_PROG_TEST_RUN gives an skb none
  // The reason counters that moved, and by how much (normally exactly one, by 1).
  std::vector<std::pair<uint32_t, uint64_t>> moved;
  // CLOCK_MONOTONIC (what bpf_ktime_get_ns() reads) just before and after the run.
  uint64_t mono_before_ns = 0, mono_after_ns = 0;
};

// A frame sent on lo for real (kTc): what the TC program counted, and how
// many connections reached the listeners' accept queues (accepted and reset).
struct LiveOutcome {
  int error = 0;  // errno of sendto()
  std::vector<std::pair<uint32_t, uint64_t>> moved;
  int accepted = 0;
};

class DatapathEnv {
 public:
  // Picks the mode before the first Get(); without a call, SG_FUZZ_MODE
  // decides (reqsk when unset). Aborts when called after Get().
  static void Configure(FuzzMode mode);
  // The mode SG_FUZZ_MODE names; aborts with a message on an unknown one.
  static FuzzMode ModeFromEnvironment(FuzzMode fallback);
  // Sets everything up on first use; aborts with a message if it cannot
  // (a fuzzer with no program would report nothing).
  static DatapathEnv& Get();

  FuzzMode mode() const { return mode_; }
  bool kernel_cookie() const { return mode_ == FuzzMode::kKernelCookie; }

  // The XDP program.
  Outcome Run(std::span<const uint8_t> frame);
  // The TC program (kTc only); frames longer than max_tc_frame() are refused
  // by the kernel (an skb test run is one linear buffer).
  Outcome RunTc(std::span<const uint8_t> frame);
  size_t max_tc_frame() const { return max_tc_frame_; }
  // kTc: sends frame on lo, where the TC program is attached at ingress;
  // waits (bounded) until a reason counter moves, then drains the
  // listeners' accept queues, waiting up to wait_for_socket_ms for one.
  LiveOutcome SendOnLoopback(std::span<const uint8_t> frame, int wait_for_socket_ms);
  // Accepts and resets whatever waits in the listeners' queues; returns how many.
  int DrainAcceptQueues();

  // What the oracle needs to know about the world.
  const sg_config& config() const { return cfg_; }
  const sg_secrets& secrets() const { return secrets_; }
  // The program's cookie clock now (pinned near kEpochNs).
  uint64_t NowNs() const;
  static uint64_t MonotonicNs();
  uint32_t PortFlags(uint16_t port) const;
  // SG_LIST_DENY, SG_LIST_ALLOW or 0 for a source address.
  static uint32_t ListOf(std::span<const uint8_t> saddr, bool ipv6);
  // The 4-tuple (as the server sees it) of a real established connection.
  bool IsEstablished(std::span<const uint8_t> saddr, std::span<const uint8_t> daddr, uint16_t sport,
                     uint16_t dport, bool ipv6) const;
  // The host's addresses as the program's maps hold them (written by Init()
  // as the daemon would): SG_ADDR_LOCAL, SG_ADDR_BROADCAST or 0.
  static uint32_t LocalKind(std::span<const uint8_t> addr, bool ipv6);
  // The interface's MAC in the program's map: a SYN+ACK only for frames to it.
  static const std::array<uint8_t, 6>& ServerMac();
  // A listening socket would take a connection to daddr:dport.
  bool HasListener(std::span<const uint8_t> daddr, uint16_t dport, bool ipv6) const;
  // kernel-cookie: how long ago this process saw the program answer a SYN
  // with this cookie for this 4-tuple and ISN (nothing if it did not).
  std::optional<uint64_t> IssuedAgeNs(std::span<const uint8_t> saddr,
                                      std::span<const uint8_t> daddr, uint16_t sport,
                                      uint16_t dport, bool ipv6, uint32_t isn,
                                      uint32_t cookie) const;
  // "ok" or what went wrong while making the loopback connections.
  const std::string& connections_status() const { return conn_status_; }

 private:
  DatapathEnv() = default;
  void Init();
  void SetSysctls();
  void OpenListener(bool v6, bool wildcard, uint16_t port);
  void OpenConnection(bool v6);
  void SetUpLoopbackTc();
  size_t ProbeMaxTcFrame();
  void PinClock();
  std::vector<uint64_t> ReadCounters();
  std::vector<std::pair<uint32_t, uint64_t>> CountersMoved();
  void NoteIssued(const std::vector<uint8_t>& synack);
  static std::string IssuedKey(std::span<const uint8_t> saddr, std::span<const uint8_t> daddr,
                               uint16_t sport, uint16_t dport, bool ipv6, uint32_t isn,
                               uint32_t cookie);

  static inline std::optional<FuzzMode> configured_;
  FuzzMode mode_ = FuzzMode::kReqsk;
  std::unique_ptr<sg::Datapath> dp_;
  sg_config cfg_{};
  sg_secrets secrets_{};
  std::array<uint32_t, 65536> port_flags_{};
  uint64_t pinned_mono_ns_ = 0;
  int ncpus_ = 1;
  std::vector<uint64_t> counters_;  // last snapshot, reason-major
  std::vector<uint8_t> out_;        // reused output buffer
  std::vector<sg::UniqueFd> sockets_;
  std::vector<sg::UniqueFd> listeners_;  // non-blocking, drained by DrainAcceptQueues()
  bool v4_established_ = false, v6_established_ = false;
  bool wildcard_v4_ = false, wildcard_v6_ = false, loopback_v4_ = false, loopback_v6_ = false;
  int loopback_listener_v4_ = -1, loopback_listener_v6_ = -1;  // owned by listeners_
  std::string conn_status_ = "ok";
  size_t max_tc_frame_ = 0;
  sg::UniqueFd packet_socket_;  // AF_PACKET on lo (kTc)
  int lo_ifindex_ = 0;
  // A frame went out on lo: what the kernel answers may still reach the TC
  // program there, and is not counted against the next test run.
  bool sent_on_lo_ = false;
  // kernel-cookie cookies the program issued, by IssuedKey(), with the
  // monotonic time; old entries are dropped when it grows.
  std::unordered_map<std::string, uint64_t> issued_;
};

}  // namespace sg::fuzz
