#include "reference_checksum.h"

namespace sg::test {

namespace {

// Adds big-endian 16-bit words to a running sum, with end-around carry.
class OnesComplementSum {
 public:
  void Add(std::span<const uint8_t> data) {
    for (uint8_t byte : data) {
      if (odd_) {
        AddWord(static_cast<uint16_t>(pending_ << 8 | byte));
      } else {
        pending_ = byte;
      }
      odd_ = !odd_;
    }
  }
  void AddWord(uint16_t word) {
    sum_ += word;
    sum_ = (sum_ & 0xffff) + (sum_ >> 16);
  }
  uint16_t Finish() {
    if (odd_) AddWord(static_cast<uint16_t>(pending_ << 8));
    odd_ = false;
    return static_cast<uint16_t>(~sum_ & 0xffff);
  }

 private:
  uint32_t sum_ = 0;
  uint8_t pending_ = 0;
  bool odd_ = false;
};

}  // namespace

uint16_t InternetChecksum(std::span<const uint8_t> data) {
  OnesComplementSum s;
  s.Add(data);
  return s.Finish();
}

uint16_t TcpChecksumV4(std::span<const uint8_t, 4> saddr, std::span<const uint8_t, 4> daddr,
                       std::span<const uint8_t> segment) {
  OnesComplementSum s;
  s.Add(saddr);
  s.Add(daddr);
  s.AddWord(6);  // zero byte, protocol TCP
  s.AddWord(static_cast<uint16_t>(segment.size()));
  s.Add(segment);
  return s.Finish();
}

uint16_t TcpChecksumV6(std::span<const uint8_t, 16> saddr, std::span<const uint8_t, 16> daddr,
                       std::span<const uint8_t> segment) {
  OnesComplementSum s;
  s.Add(saddr);
  s.Add(daddr);
  // 32-bit upper-layer length, then three zero bytes and the next header.
  s.AddWord(static_cast<uint16_t>(segment.size() >> 16));
  s.AddWord(static_cast<uint16_t>(segment.size() & 0xffff));
  s.AddWord(0);
  s.AddWord(6);
  s.Add(segment);
  return s.Finish();
}

}  // namespace sg::test
