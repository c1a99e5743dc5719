// Applies a sysctl profile for the chosen handoff mode, remembering the old
// values (through SysctlGuard, and its journal on disk) so that they are
// restored on exit, even by the next run after a crash. Plan() shows the
// same diff without changing anything, for --dry-run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/modes.h"
#include "tuning/sysctl_guard.h"
#include "tuning/sysctl_profile.h"
#include "util/result.h"

namespace sg {

// One setting the tuner wants, whatever the current value.
struct SysctlRule {
  enum class Kind {
    kExactly,  // value must equal target
    kAtLeast,  // value must be >= target (a higher operator value is kept)
  };
  std::string name;  // dotted, e.g. "net.ipv4.tcp_syncookies"
  Kind kind = Kind::kExactly;
  int64_t target = 0;
  bool required = false;  // the handoff does not work without it, even with manage: false
  std::string reason;
};

// One change: what Plan() would do and Apply() did.
struct SysctlChange {
  std::string name;
  std::string old_value;
  std::string new_value;
  std::string reason;
  bool required = false;
};

// Every rule for a profile and handoff mode, with reasons (for docs and logs).
// handoff is the resolved mode; kAuto yields only the profile's own rules.
std::vector<SysctlRule> SysctlRules(const SysctlProfile& profile, HandoffMode handoff);

class SysctlTuner {
 public:
  // root is /proc/sys normally, a temporary directory in tests. handoff is the
  // mode the datapath really runs: Plan() and Apply() refuse kAuto, whose
  // requirements are not known yet.
  // journal: see SysctlGuard (nullptr: the originals live in memory only).
  SysctlTuner(std::string root, SysctlProfile profile, HandoffMode handoff,
              SysctlGuard::Journal journal = nullptr);

  // What Adopt() did.
  struct Adoption {
    AdoptedSysctls found;                   // adopted, or overridden by the operator
    std::vector<SavedSysctl> restored_now;  // adopted, but this run has no rule for them
    std::vector<Error> errors;
  };
  // Before Apply(): takes over the originals a previous run saved but could
  // not restore (it was killed); SysctlGuard::Adopt() states the rule. An
  // adopted sysctl this run has no rule for (the handoff mode or the profile
  // changed) is put back at once; the others are restored by Restore(), as
  // if this run had changed them.
  Adoption Adopt(const std::vector<SavedSysctl>& saved);

  // Reads the current values and returns what would change (nothing written).
  Result<std::vector<SysctlChange>> Plan() const;
  // Makes the changes and returns them. With manage: false, changes nothing
  // and fails if a required setting is wrong. Restored by Restore() or on
  // destruction.
  Result<std::vector<SysctlChange>> Apply();
  // Puts back every value Apply() changed or Adopt() took over.
  std::vector<Error> Restore() { return guard_.Restore(); }
  // Leaves the values as set (programs left pinned depend on them); the
  // journal keeps the originals for the next run.
  void Keep() { guard_.Forget(); }

  const std::vector<SysctlRule>& rules() const { return rules_; }

 private:
  std::string root_;
  SysctlProfile profile_;
  HandoffMode handoff_;
  std::vector<SysctlRule> rules_;
  SysctlGuard guard_;
};

// A warning when a listener's listen() backlog is far below somaxconn (less
// than a quarter): no sysctl can raise it, only the application can. nullopt
// when the backlog is fine.
std::optional<std::string> BacklogWarning(uint32_t listen_backlog, uint32_t somaxconn);

}  // namespace sg
