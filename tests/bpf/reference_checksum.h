// An Internet checksum (RFC 1071) written for the tests only, deliberately
// unlike bpf/lib/csum.h: it reads the data as big-endian 16-bit words, one
// byte pair at a time, and folds a 32-bit accumulator after every word. A
// mistake in the program's word order, pseudo header or fold therefore
// cannot be repeated here by sharing code.
#pragma once

#include <cstdint>
#include <span>

namespace sg::test {

// The one's complement of the one's complement sum of data (zero-padded to
// an even length), in host order. Over a header whose checksum field is
// right, the result is 0.
uint16_t InternetChecksum(std::span<const uint8_t> data);

// TCP checksum over the pseudo header (RFC 793 / RFC 8200 section 8.1) and
// the segment as it lies in the packet, check field included: 0 when right.
uint16_t TcpChecksumV4(std::span<const uint8_t, 4> saddr, std::span<const uint8_t, 4> daddr,
                       std::span<const uint8_t> segment);
uint16_t TcpChecksumV6(std::span<const uint8_t, 16> saddr, std::span<const uint8_t, 16> daddr,
                       std::span<const uint8_t> segment);

}  // namespace sg::test
