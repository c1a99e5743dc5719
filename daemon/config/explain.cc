// Explain(): what a config does, in the operator's words, for
// `synguard check-config`. Secrets are named by where they come from only.
#include <ostream>
#include <sstream>

#include "config/config.h"

namespace sg {

namespace {

std::string Join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

template <class T, size_t N>
std::string Table(const std::array<T, N>& t) {
  std::vector<std::string> items;
  for (T v : t) items.push_back(std::to_string(v));
  return Join(items, "/");
}

std::string Cidrs(const std::vector<Cidr>& list) {
  if (list.empty()) return "none";
  // A long list (thousands of prefixes from a feed) is summarized, not dumped.
  constexpr size_t kShown = 8;
  std::vector<std::string> items;
  for (size_t i = 0; i < list.size() && i < kShown; ++i) items.push_back(list[i].ToString());
  if (list.size() > kShown)
    items.push_back("and " + std::to_string(list.size() - kShown) + " more");
  return std::to_string(list.size()) + " prefix(es): " + Join(items, ", ");
}

std::string Sysctl(const std::optional<int64_t>& v, const char* how) {
  return v ? std::string(how) + std::to_string(*v) : "left as is";
}

// One function per section of the explanation, each writing its own lines
// to `o`, in the order Explain() prints them.

void ExplainAttachment(std::ostream& o, const Config& c) {
  o << "interfaces: " << Join(c.interfaces, ", ") << " (XDP mode " << ToString(c.xdp_mode)
    << (c.xdp_mode == XdpMode::kAuto ? ": native, falling back to skb" : "") << ")\n";
  o << "handoff: " << ToString(c.handoff)
    << (c.handoff == HandoffMode::kAuto ? " (reqsk on kernels with bpf_sk_assign_tcp_reqsk, "
                                          "else kernel-cookie)"
                                        : "")
    << "\n";
}

// When cookies answer this port's SYNs, in the operator's terms.
void ExplainEngage(std::ostream& o, const PortConfig& p) {
  switch (p.engage) {
    case EngageMode::kAlways:
      o << "always: cookies answer every SYN";
      break;
    case EngageMode::kNever:
      o << "never: observe and count only";
      break;
    case EngageMode::kAuto: {
      const DetectorThresholds& t = p.thresholds;
      o << "auto: cookies engage at " << t.syn_rate_engage << " SYN/s or a listener queue "
        << t.queue_fill_engage * 100 << "% full; disengage after " << t.quiet_period.count()
        << " s below " << t.syn_rate_disengage << " SYN/s and " << t.queue_fill_engage * 50
        << "% full";
      break;
    }
  }
}

void ExplainPorts(std::ostream& o, const Config& c) {
  o << "ports:\n";
  for (const PortConfig& p : c.ports) {
    o << "  " << p.port << ": ";
    ExplainEngage(o, p);
    o << "\n";
  }
}

void ExplainAddressLists(std::ostream& o, const Config& c) {
  o << "allowlist (SYNs pass to the kernel untouched): " << Cidrs(c.allowlist) << "\n";
  o << "denylist (SYNs to protected ports dropped, cookies engaged or not): " << Cidrs(c.denylist)
    << "\n";
}

void ExplainCookies(std::ostream& o, const CookieSettings& k) {
  o << "cookies: valid " << k.max_age_seconds << " s (at most " << k.max_age_seconds * 3 / 2
    << " s), TTL/hop limit " << int{k.ttl} << ", MSS table v4 " << Table(k.mss_v4) << ", v6 "
    << Table(k.mss_v6) << " (clients with timestamps: v4 " << Table(k.mss_v4_timestamps) << ", v6 "
    << Table(k.mss_v6_timestamps) << "), window scales " << Table(k.wscale) << "\n";
}

// Named by where they come from only: a secret never reaches the output.
void ExplainSecrets(std::ostream& o, const Config& c) {
  o << "secrets: ";
  if (c.secrets.source == SecretsConfig::Source::kKeyFile)
    o << "derived from the fleet key file " << c.secrets.key_file
      << " (every host with this file and interval validates the others' cookies)";
  else
    o << "random (getrandom), this host only";
  o << "; rotated every " << c.secrets.rotation.interval.count() << " s, the previous key accepted "
    << c.secrets.rotation.grace.count() << " s more";
  if (c.handoff == HandoffMode::kKernelCookie)
    o << " (unused: kernel-cookie uses the kernel's own)";
  o << "\n";
}

void ExplainSysctls(std::ostream& o, const SysctlProfile& s) {
  o << "sysctls: " << (s.manage ? "managed, restored on exit" : "not managed (report only)")
    << "; tcp_syncookies and tcp_timestamps as the handoff needs; tcp_max_syn_backlog "
    << Sysctl(s.tcp_max_syn_backlog, ">= ") << "; somaxconn " << Sysctl(s.somaxconn, ">= ")
    << "; tcp_synack_retries " << Sysctl(s.tcp_synack_retries, "= ") << "; tcp_abort_on_overflow "
    << (s.reset_abort_on_overflow ? "= 0" : "left as is") << "\n";
}

// What happens on exit, on a crash and when an interface goes away.
void ExplainLifecycle(std::ostream& o, const Config& c) {
  o << "pinned objects: " << c.pin_dir << ", "
    << (c.leave_pinned_on_exit ? "left attached on exit (restart without a gap)"
                               : "detached and removed on exit")
    << "\n";
  o << "on a crash (kill -9): "
    << (c.on_crash == OnCrash::kKeepProtecting
            ? "keep_protecting: the XDP link is pinned, the programs keep answering SYNs "
              "with the last secret, and a restart takes them over without a gap"
            : "fail_open: the XDP program goes with the process and the kernel answers SYNs "
              "again until a restart attaches anew")
    << "; the sysctls' original values are saved, and the next clean stop puts them back\n";
  o << "if an interface disappears: "
    << (c.on_interface_loss == OnInterfaceLoss::kWait
            ? "wait: logged once, the others go on, and it is protected again when an "
              "interface of that name comes back"
            : "exit: synguard stops as on SIGTERM, with exit code 3")
    << "\n";
}

}  // namespace

std::string Explain(const Config& c) {
  std::ostringstream o;
  o << "config " << (c.source.empty() ? "(text)" : c.source) << " is valid.\n";
  ExplainAttachment(o, c);
  ExplainPorts(o, c);
  ExplainAddressLists(o, c);
  ExplainCookies(o, c.cookies);
  ExplainSecrets(o, c);
  ExplainSysctls(o, c.sysctl);
  o << "metrics: http://" << c.metrics_listen.ToString() << "/metrics\n";
  ExplainLifecycle(o, c);
  return o.str();
}

}  // namespace sg
