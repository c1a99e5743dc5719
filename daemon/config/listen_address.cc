#include "config/listen_address.h"

#include <arpa/inet.h>

#include <charconv>

namespace sg {

std::string ListenAddress::ToString() const {
  if (family == 6) return "[" + address + "]:" + std::to_string(port);
  return address + ":" + std::to_string(port);
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  std::string_view host, port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return Error("expected [IPv6]:PORT (got " + quoted + ")");
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return Error("expected ADDR:PORT (got " + quoted + ")");
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return Error("an IPv6 address needs brackets: [ADDR]:PORT (got " + quoted + ")");
  }
  ListenAddress a;
  a.address = std::string(host);
  unsigned char buf[16];
  if (inet_pton(AF_INET, a.address.c_str(), buf) == 1) {
    a.family = 4;
  } else if (inet_pton(AF_INET6, a.address.c_str(), buf) == 1) {
    a.family = 6;
  } else {
    return Error("not a literal IPv4 or IPv6 address: \"" + a.address + "\"");
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 || port > 65535)
    return Error("port must be 1..65535 (got \"" + std::string(port_text) + "\")");
  a.port = static_cast<uint16_t>(port);
  return a;
}

}  // namespace sg
