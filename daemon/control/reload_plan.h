// What a SIGHUP changes: the difference between the running config and a
// new, fully validated one, decided before anything is touched. Pure, so
// that the decisions are tested without a kernel.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"

namespace sg {

struct ReloadPlan {
  std::vector<std::string> attach;  // interfaces new in the config
  std::vector<std::string> detach;  // interfaces no longer in it
  std::vector<std::string> keep;    // interfaces in both
  bool ports_changed = false;       // ports, engage modes or thresholds
  bool lists_changed = false;       // allowlist / denylist
  bool cookies_changed = false;     // sg_config: rewritten with WriteConfig
  // Cookie time slots change with max_age: cookies issued just before may
  // be judged with the new slot length.
  bool cookie_age_changed = false;
  bool leave_pinned_changed = false;
  bool on_crash_changed = false;  // the XDP links are pinned or unpinned live
  bool on_interface_loss_changed = false;
  // Settings that take effect only at a restart, named for the log.
  std::vector<std::string> need_restart;

  bool empty() const {
    return attach.empty() && detach.empty() && !ports_changed && !lists_changed &&
           !cookies_changed && !leave_pinned_changed && !on_crash_changed &&
           !on_interface_loss_changed && need_restart.empty();
  }
  // One line for the log: "ports, lists; attach eth1; restart needed for handoff".
  std::string Summary() const;
};

ReloadPlan PlanReload(const Config& running, const Config& next);

}  // namespace sg
