#include "config/cidr.h"

#include <arpa/inet.h>

#include <charconv>

namespace sg {

namespace {

int MaxPrefix(int family) { return family == 4 ? 32 : 128; }

// Clears every bit after the first `len`.
std::array<uint8_t, 16> Masked(const std::array<uint8_t, 16>& a, int len) {
  std::array<uint8_t, 16> m = a;
  for (int i = 0; i < 16; ++i) {
    int keep = len - 8 * i;
    if (keep >= 8) continue;
    m[i] = keep <= 0 ? 0 : static_cast<uint8_t>(m[i] & (0xff << (8 - keep)));
  }
  return m;
}

}  // namespace

bool Cidr::Contains(const Cidr& other) const {
  if (family != other.family || other.prefix_len < prefix_len) return false;
  return Masked(other.addr, prefix_len) == addr;
}

std::string Cidr::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == 4 ? AF_INET : AF_INET6, addr.data(), buf, sizeof(buf));
  return std::string(buf) + "/" + std::to_string(prefix_len);
}

Result<Cidr> ParseCidr(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  Cidr c;
  std::string_view host = text;
  std::string_view len_text;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    host = text.substr(0, slash);
    len_text = text.substr(slash + 1);
  }
  const std::string host_str(host);
  if (inet_pton(AF_INET, host_str.c_str(), c.addr.data()) == 1) {
    c.family = 4;
  } else if (inet_pton(AF_INET6, host_str.c_str(), c.addr.data()) == 1) {
    c.family = 6;
  } else {
    return Error("not an IPv4 or IPv6 address: " + quoted);
  }
  int len = MaxPrefix(c.family);
  if (text.find('/') != std::string_view::npos) {
    auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
    if (ec != std::errc() || end != len_text.data() + len_text.size() || len_text.empty() ||
        len < 0 || len > MaxPrefix(c.family))
      return Error("prefix length must be 0.." + std::to_string(MaxPrefix(c.family)) + " (got " +
                   quoted + ")");
  }
  c.prefix_len = static_cast<uint8_t>(len);
  std::array<uint8_t, 16> net = Masked(c.addr, len);
  if (net != c.addr) {
    Cidr meant = c;
    meant.addr = net;
    return Error("host bits set in " + quoted + ": did you mean " + meant.ToString() + "?");
  }
  return c;
}

}  // namespace sg
