#include "watch/tcp_ext.h"

#include <charconv>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

namespace sg {

namespace {

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

}  // namespace

Result<TcpExtCounters> ParseTcpExt(std::string_view text, const std::string& source) {
  // The file holds several "Prefix: ..." pairs (TcpExt, IpExt, MPTcpExt);
  // a header line is followed by its values line with the same prefix.
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    if (!lines[i].starts_with("TcpExt:")) continue;
    std::vector<std::string_view> names = Fields(lines[i]);
    std::vector<std::string_view> values = Fields(lines[i + 1]);
    if (values.empty() || values[0] != "TcpExt:" || names.size() != values.size())
      return Error("parse " + source + ": TcpExt header on line " + std::to_string(i + 1) +
                   " is not followed by a values line of the same length");
    TcpExtCounters c;
    const std::pair<std::string_view, uint64_t*> wanted[] = {
        {"ListenOverflows", &c.listen_overflows},
        {"ListenDrops", &c.listen_drops},
        {"SyncookiesSent", &c.syncookies_sent},
        {"SyncookiesRecv", &c.syncookies_recv},
        {"SyncookiesFailed", &c.syncookies_failed},
        {"TCPReqQFullDoCookies", &c.req_q_full_do_cookies},
        {"TCPReqQFullDrop", &c.req_q_full_drop},
    };
    for (size_t f = 1; f < names.size(); ++f) {
      for (const auto& [name, field] : wanted) {
        if (names[f] != name) continue;
        std::string_view v = values[f];
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), *field);
        if (ec != std::errc() || end != v.data() + v.size())
          return Error("parse " + source + ": TcpExt " + std::string(name) + " is not a number: '" +
                       std::string(v) + "'");
      }
    }
    return c;
  }
  return Error("parse " + source + ": no TcpExt lines");
}

Result<TcpExtCounters> ReadTcpExt(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error::FromErrno("read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseTcpExt(ss.str(), path);
}

}  // namespace sg
