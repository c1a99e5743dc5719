// What the echo tools send and how both ends check it: a pseudo-random
// payload (different per connection, so a mixed-up stream cannot pass) and a
// 64-bit FNV-1a checksum sent after it. No kernel offload or copy bug can
// make both sides agree on a wrong stream by accident.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sgtest {

inline constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
inline constexpr uint64_t kFnvPrime = 0x100000001b3ull;

// FNV-1a, continued from h (start with kFnvOffset).
inline uint64_t Fnv1a(const uint8_t* data, size_t len, uint64_t h = kFnvOffset) {
  for (size_t i = 0; i < len; ++i) {
    h ^= data[i];
    h *= kFnvPrime;
  }
  return h;
}

// splitmix64 stream seeded by seed: cheap, and every byte depends on the seed.
inline std::vector<uint8_t> Payload(size_t len, uint64_t seed) {
  std::vector<uint8_t> out(len);
  uint64_t x = seed;
  for (size_t i = 0; i < len; i += 8) {
    x += 0x9e3779b97f4a7c15ull;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    for (size_t b = 0; b < 8 && i + b < len; ++b) out[i + b] = static_cast<uint8_t>(z >> (8 * b));
  }
  return out;
}

// The checksum trailer, little-endian on the wire.
inline void PutU64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

inline uint64_t GetU64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

}  // namespace sgtest
