#include "tcp_info_json.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <sstream>

namespace sgtest {

namespace {

// tcpi_options bits (include/uapi/linux/tcp.h); glibc names only some.
constexpr unsigned kOptTimestamps = 1;
constexpr unsigned kOptSack = 2;
constexpr unsigned kOptWscale = 4;
constexpr unsigned kOptEcn = 8;

const char* Bool(bool b) { return b ? "true" : "false"; }

}  // namespace

std::string TcpInfoJson(int fd) {
  tcp_info ti{};
  socklen_t len = sizeof(ti);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
    return std::string("\"tcp_info_error\":\"") + strerror(errno) + "\"";
  std::ostringstream o;
  o << "\"tcpi_options\":" << static_cast<unsigned>(ti.tcpi_options)
    << ",\"ts\":" << Bool(ti.tcpi_options & kOptTimestamps)
    << ",\"sack\":" << Bool(ti.tcpi_options & kOptSack)
    << ",\"wscale\":" << Bool(ti.tcpi_options & kOptWscale)
    << ",\"ecn\":" << Bool(ti.tcpi_options & kOptEcn)
    << ",\"snd_wscale\":" << static_cast<unsigned>(ti.tcpi_snd_wscale)
    << ",\"rcv_wscale\":" << static_cast<unsigned>(ti.tcpi_rcv_wscale)
    << ",\"snd_mss\":" << ti.tcpi_snd_mss << ",\"rcv_mss\":" << ti.tcpi_rcv_mss
    << ",\"advmss\":" << ti.tcpi_advmss << ",\"pmtu\":" << ti.tcpi_pmtu;
  return o.str();
}

}  // namespace sgtest
