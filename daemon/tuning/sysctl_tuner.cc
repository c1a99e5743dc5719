#include "tuning/sysctl_tuner.h"

#include <utility>

#include "tuning/sysctl.h"

namespace sg {

std::vector<SysctlRule> SysctlRules(const SysctlProfile& p, HandoffMode handoff) {
  using Kind = SysctlRule::Kind;
  std::vector<SysctlRule> rules;
  if (handoff == HandoffMode::kKernelCookie) {
    rules.push_back({"net.ipv4.tcp_syncookies", Kind::kExactly, 2, true,
                     "kernel-cookie handoff: bpf_tcp_gen_syncookie() fails with ENOENT unless "
                     "syncookies are always on (2)"});
    rules.push_back({"net.ipv4.tcp_timestamps", Kind::kExactly, 2, true,
                     "kernel-cookie handoff: the client's window scale and SACK survive the "
                     "kernel's cookie only in timestamps without a per-connection offset (2)"});
  } else if (handoff == HandoffMode::kReqsk) {
    // 2 is fine too: the kfunc only needs cookies not to be off. tcp_timestamps
    // is left alone: reqsk carries options in our own cookie.
    rules.push_back({"net.ipv4.tcp_syncookies", Kind::kAtLeast, 1, true,
                     "reqsk handoff: with syncookies off (0) the kernel refuses the handed-off "
                     "request and resets the connection"});
  }
  if (p.tcp_max_syn_backlog)
    rules.push_back({"net.ipv4.tcp_max_syn_backlog", Kind::kAtLeast, *p.tcp_max_syn_backlog, false,
                     "room for real clients' half-open connections while cookies are not "
                     "engaged (engage: auto/never)"});
  if (p.somaxconn)
    rules.push_back({"net.core.somaxconn", Kind::kAtLeast, *p.somaxconn, false,
                     "caps every listener's accept queue: the completed connections a flood of "
                     "real handshakes leaves waiting for accept()"});
  if (p.tcp_synack_retries)
    rules.push_back({"net.ipv4.tcp_synack_retries", Kind::kExactly, *p.tcp_synack_retries, false,
                     "fewer SYN+ACK retransmits: a spoofed SYN that reaches the kernel holds its "
                     "request socket for less time"});
  if (p.reset_abort_on_overflow)
    rules.push_back({"net.ipv4.tcp_abort_on_overflow", Kind::kExactly, 0, false,
                     "with 1 a full accept queue resets real clients; with 0 their ACK is "
                     "dropped and retransmitted, and the connection survives the burst"});
  return rules;
}

SysctlTuner::SysctlTuner(std::string root, SysctlProfile profile, HandoffMode handoff,
                         SysctlGuard::Journal journal)
    : root_(std::move(root)),
      profile_(profile),
      handoff_(handoff),
      rules_(SysctlRules(profile, handoff)),
      guard_(root_, std::move(journal)) {}

SysctlTuner::Adoption SysctlTuner::Adopt(const std::vector<SavedSysctl>& saved) {
  Adoption a;
  a.found = guard_.Adopt(saved);
  for (const SavedSysctl& s : a.found.adopted) {
    bool ruled = false;
    for (const SysctlRule& r : rules_) ruled = ruled || r.name == s.name;
    if (ruled) continue;
    if (Status st = guard_.RestoreOne(s.name); !st)
      a.errors.push_back(st.take_error());
    else
      a.restored_now.push_back(s);
  }
  return a;
}

Result<std::vector<SysctlChange>> SysctlTuner::Plan() const {
  if (handoff_ == HandoffMode::kAuto)
    return Error("plan sysctl changes: the handoff mode is not resolved yet (auto)");
  std::vector<SysctlChange> changes;
  for (const SysctlRule& r : rules_) {
    Result<long long> cur = ReadSysctlInt(root_, r.name);
    if (!cur) return cur.take_error().Context("plan sysctl changes");
    bool ok = r.kind == SysctlRule::Kind::kExactly ? *cur == r.target : *cur >= r.target;
    if (ok) continue;
    changes.push_back(
        {r.name, std::to_string(*cur), std::to_string(r.target), r.reason, r.required});
  }
  return changes;
}

Result<std::vector<SysctlChange>> SysctlTuner::Apply() {
  Result<std::vector<SysctlChange>> plan = Plan();
  if (!plan) return plan;
  if (!profile_.manage) {
    for (const SysctlChange& c : *plan) {
      if (c.required)
        return Error(c.name + " is " + c.old_value + " but must be " + c.new_value + " (" +
                     c.reason + "), and sysctl.manage is false: set it, or let synguard manage it");
    }
    return std::vector<SysctlChange>{};
  }
  for (const SysctlChange& c : *plan) {
    Result<bool> set = guard_.Set(c.name, c.new_value);
    if (!set) return set.take_error().Context("apply sysctl profile");
  }
  return plan;
}

std::optional<std::string> BacklogWarning(uint32_t listen_backlog, uint32_t somaxconn) {
  // The kernel caps backlog at somaxconn; only a backlog the application chose
  // far lower is worth a word.
  if (static_cast<uint64_t>(listen_backlog) * 4 >= somaxconn) return std::nullopt;
  return "listen() backlog " + std::to_string(listen_backlog) + " is far below " +
         "net.core.somaxconn " + std::to_string(somaxconn) +
         ": the accept queue overflows early under a burst of real clients, and no sysctl can " +
         "raise it; raise the backlog in the application's listen() call";
}

}  // namespace sg
