#include "control/reload_plan.h"

#include <algorithm>

namespace sg {

namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool SameThresholds(const DetectorThresholds& a, const DetectorThresholds& b) {
  return a.syn_rate_engage == b.syn_rate_engage && a.syn_rate_disengage == b.syn_rate_disengage &&
         a.queue_fill_engage == b.queue_fill_engage && a.quiet_period == b.quiet_period;
}

bool SamePorts(const std::vector<PortConfig>& a, const std::vector<PortConfig>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].port != b[i].port || a[i].engage != b[i].engage ||
        !SameThresholds(a[i].thresholds, b[i].thresholds))
      return false;
  }
  return true;
}

bool SameCookies(const CookieSettings& a, const CookieSettings& b) {
  return a.max_age_seconds == b.max_age_seconds && a.ttl == b.ttl && a.mss_v4 == b.mss_v4 &&
         a.mss_v6 == b.mss_v6 && a.mss_v4_timestamps == b.mss_v4_timestamps &&
         a.mss_v6_timestamps == b.mss_v6_timestamps && a.wscale == b.wscale &&
         a.synack_window == b.synack_window && a.server_mss == b.server_mss;
}

bool SameSysctl(const SysctlProfile& a, const SysctlProfile& b) {
  return a.manage == b.manage && a.tcp_max_syn_backlog == b.tcp_max_syn_backlog &&
         a.somaxconn == b.somaxconn && a.tcp_synack_retries == b.tcp_synack_retries &&
         a.reset_abort_on_overflow == b.reset_abort_on_overflow;
}

bool SameSecrets(const SecretsConfig& a, const SecretsConfig& b) {
  return a.source == b.source && a.key_file == b.key_file &&
         a.rotation.interval == b.rotation.interval && a.rotation.grace == b.rotation.grace;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

ReloadPlan PlanReload(const Config& running, const Config& next) {
  ReloadPlan p;
  for (const std::string& i : next.interfaces)
    (Contains(running.interfaces, i) ? p.keep : p.attach).push_back(i);
  for (const std::string& i : running.interfaces) {
    if (!Contains(next.interfaces, i)) p.detach.push_back(i);
  }
  p.ports_changed = !SamePorts(running.ports, next.ports);
  p.lists_changed = running.allowlist != next.allowlist || running.denylist != next.denylist;
  p.cookies_changed = !SameCookies(running.cookies, next.cookies);
  p.cookie_age_changed = running.cookies.max_age_seconds != next.cookies.max_age_seconds;
  p.leave_pinned_changed = running.leave_pinned_on_exit != next.leave_pinned_on_exit;
  p.on_crash_changed = running.on_crash != next.on_crash;
  p.on_interface_loss_changed = running.on_interface_loss != next.on_interface_loss;
  // These shape what is loaded, the secrets in flight, or the process
  // itself; changing them live would drop handshakes or the endpoint.
  if (running.handoff != next.handoff) p.need_restart.push_back("handoff");
  if (running.xdp_mode != next.xdp_mode) p.need_restart.push_back("xdp_mode");
  if (!SameSecrets(running.secrets, next.secrets)) p.need_restart.push_back("secrets");
  if (!SameSysctl(running.sysctl, next.sysctl)) p.need_restart.push_back("sysctl");
  if (running.metrics_listen.ToString() != next.metrics_listen.ToString())
    p.need_restart.push_back("metrics.listen");
  if (running.pin_dir != next.pin_dir) p.need_restart.push_back("pin_dir");
  return p;
}

std::string ReloadPlan::Summary() const {
  if (empty()) return "nothing changed";
  std::vector<std::string> parts;
  if (ports_changed) parts.push_back("ports");
  if (lists_changed) parts.push_back("allow/deny lists");
  if (cookies_changed) parts.push_back("cookie settings");
  if (leave_pinned_changed) parts.push_back("leave_pinned_on_exit");
  if (on_crash_changed) parts.push_back("on_crash");
  if (on_interface_loss_changed) parts.push_back("on_interface_loss");
  if (!attach.empty()) parts.push_back("attach " + Join(attach));
  if (!detach.empty()) parts.push_back("detach " + Join(detach));
  std::string out = parts.empty() ? "nothing applied" : Join(parts);
  if (!need_restart.empty()) out += "; kept as running until a restart: " + Join(need_restart);
  return out;
}

}  // namespace sg
