// The restore record (system/restore_record.h): what this run, or one
// killed before its clean stop, changed in the namespace and has to put back.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "service/daemon.h"

namespace sg {

void Daemon::StartTuner() {
  const std::string me = NetnsIdentity(opts_.state_dir);
  RestoreState previous;
  if (!restore_path_.empty()) {
    Result<RestoreState> r = ReadRestoreRecord(restore_path_);
    if (!r)
      spdlog::warn("{}; ignoring it: the sysctls it listed are not put back", r.error().message());
    else if (!RecordedHere(*r, me))
      spdlog::warn(
          "{} was left by another network namespace (or boot) with the same inode; ignoring it",
          restore_path_);
    else
      previous = std::move(*r);
  }
  restore_ = RestoreState{.netns_id = me, .sysctls = {}, .clsact = previous.clsact};
  tuner_ = std::make_unique<SysctlTuner>(opts_.sysctl_root, config_.sysctl, interfaces_.handoff(),
                                         [this](const std::vector<SavedSysctl>& saved) {
                                           restore_.sysctls = saved;
                                           SaveRestoreRecord();
                                         });
  if (previous.sysctls.empty()) return;
  SysctlTuner::Adoption a = tuner_->Adopt(previous.sysctls);
  for (const SavedSysctl& s : a.found.adopted)
    spdlog::info("{} = {} was set by a synguard that did not stop cleanly: {} goes back on exit",
                 s.name, s.set, s.original);
  for (const AdoptedSysctls::Overridden& o : a.found.overridden)
    spdlog::info(
        "{} is {}, not the {} a synguard that did not stop cleanly set: changed since, so it "
        "stands, and the older value {} is forgotten",
        o.saved.name, o.current, o.saved.set, o.saved.original);
  for (const SavedSysctl& s : a.restored_now)
    spdlog::info(
        "put back {} = {} (set to {} by a synguard that did not stop cleanly; not needed now)",
        s.name, s.original, s.set);
  for (const Error& e : a.errors) spdlog::warn("restore sysctl: {}", e.message());
}

void Daemon::SaveRestoreRecord() {
  if (restore_path_.empty()) return;
  if (Status s = WriteRestoreRecord(restore_path_, restore_); !s)
    spdlog::warn("{}: after a crash, what synguard changed would not be put back",
                 s.error().message());
}

void Daemon::RecordTcHooks() {
  if (interfaces_.RecordTcHooks(restore_)) SaveRestoreRecord();
}

}  // namespace sg
