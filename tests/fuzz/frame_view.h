// The fuzzer's own reading of a frame, written from the RFCs rather than
// from bpf/lib/parse.h, so that the oracle does not share the program's
// mistakes. It records where each header sits even when a length is wrong
// (the mutator edits those fields), and says separately whether the frame is
// a well-formed TCP segment by the rules in DESIGN.md: Ethernet with up to
// two 802.1Q/802.1ad tags, IPv4 with a valid IHL and total length inside the
// frame and not a fragment, or IPv6 with next header TCP, and a TCP data
// offset inside the IP payload.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace sg::fuzz {

inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10,
                         kUrg = 0x20, kEce = 0x40, kCwr = 0x80;

// What a SYN's options offer, read as the kernel reads them: EOL or a bad
// length ends the list, an option of the wrong size is ignored, and the last
// copy of an option wins.
struct OptionOffer {
  std::optional<uint16_t> mss;
  bool sack = false;
  std::optional<uint32_t> tsval;
  uint32_t tsecr = 0;  // with tsval: the echo (an ACK's TSecr carries our TSval back)
  std::optional<uint8_t> wscale;
};

struct FrameView {
  size_t size = 0;
  int vlans = 0;             // tags read (0..2)
  size_t ethertype_at = 12;  // offset of the ethertype after the tags
  uint16_t ethertype = 0;    // 0 when the frame is too short to say
  std::optional<size_t> l3;  // where an IPv4/IPv6 header starts, if it fits
  bool ipv6 = false;
  std::optional<size_t> l4;  // where TCP would start (IHL or 40), if 20 bytes fit
  bool tcp_ok = false;       // the whole chain is well formed, as above

  // Valid when tcp_ok (and addresses/ports whenever l4 is set).
  std::array<uint8_t, 16> saddr{};  // IPv4 in the first 4 bytes
  std::array<uint8_t, 16> daddr{};
  size_t ihl = 0;      // IPv4 header bytes, 40 for IPv6
  size_t l4_room = 0;  // bytes the IP header says follow it
  size_t tcp_len = 0;  // data offset in bytes
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack_seq = 0;
  uint8_t flags = 0;
  OptionOffer offer;

  bool IsPureSyn() const { return tcp_ok && (flags & (kSyn | kAck | kRst | kFin)) == kSyn; }
  // The program's ACK path: ACK set, SYN and RST clear (FIN may be set).
  bool IsAckClass() const { return tcp_ok && (flags & (kSyn | kAck | kRst)) == kAck; }
};

FrameView ViewFrame(std::span<const uint8_t> frame);

OptionOffer ReadOffer(std::span<const uint8_t> option_bytes);

// Rewrites the IPv4 header checksum and the TCP checksum when the lengths
// allow it (the program does not check them, but real peers would).
void FixChecksums(std::span<uint8_t> frame);

uint16_t Load16(std::span<const uint8_t> b, size_t at);
uint32_t Load32(std::span<const uint8_t> b, size_t at);
void Store16(std::span<uint8_t> b, size_t at, uint16_t v);
void Store32(std::span<uint8_t> b, size_t at, uint32_t v);

}  // namespace sg::fuzz
