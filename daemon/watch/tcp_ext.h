// The kernel's TCP listen and syncookie counters from /proc/net/netstat
// (TcpExt lines), per network namespace. They tell what the kernel did with
// the SYNs synguard let through: queue overflows, its own cookies, drops.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace sg {

struct TcpExtCounters {
  uint64_t listen_overflows = 0;       // ListenOverflows: accept queue full
  uint64_t listen_drops = 0;           // ListenDrops: every SYN/ACK dropped by a listener
  uint64_t syncookies_sent = 0;        // SyncookiesSent: the kernel's own cookies
  uint64_t syncookies_recv = 0;        // SyncookiesRecv: valid kernel cookie ACKs
  uint64_t syncookies_failed = 0;      // SyncookiesFailed: invalid kernel cookie ACKs
  uint64_t req_q_full_do_cookies = 0;  // TCPReqQFullDoCookies: SYN queue full, cookie sent
  uint64_t req_q_full_drop = 0;        // TCPReqQFullDrop: SYN queue full, SYN dropped
};

// Parses the text of /proc/net/netstat: pairs of "TcpExt: names..." and
// "TcpExt: values..." lines. Counters the kernel does not have stay 0.
// `source` names the file in errors.
Result<TcpExtCounters> ParseTcpExt(std::string_view text, const std::string& source);

// Reads and parses a netstat file (/proc/net/netstat, or a sample in tests).
Result<TcpExtCounters> ReadTcpExt(const std::string& path = "/proc/net/netstat");

}  // namespace sg
