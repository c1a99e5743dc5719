#include "tuning/sysctl_guard.h"

#include <set>

#include "tuning/sysctl.h"

namespace sg {

SavedSysctl* SysctlGuard::Find(const std::string& name) {
  for (SavedSysctl& s : saved_)
    if (s.name == name) return &s;
  return nullptr;
}

Result<bool> SysctlGuard::Set(const std::string& name, const std::string& value) {
  Result<std::string> old = ReadSysctl(root_, name);
  if (!old) return old.take_error();
  if (*old == value) return false;
  // On the journal before the write: killed right after it, the next run
  // still finds the original. Killed between the two, the entry's `set` is
  // not in force, and Adopt() drops it: nothing is lost either way.
  SavedSysctl* known = Find(name);
  const std::string previous_set = known ? known->set : "";
  if (known)
    known->set = value;
  else
    saved_.push_back({name, *old, value});
  Tell();
  if (Status s = WriteSysctl(root_, name, value); !s) {
    if (known)
      Find(name)->set = previous_set;
    else
      saved_.pop_back();
    Tell();
    return s.take_error();
  }
  return true;
}

AdoptedSysctls ClassifySaved(const std::string& root, const std::vector<SavedSysctl>& saved) {
  AdoptedSysctls out;
  std::set<std::string> seen;
  for (const SavedSysctl& s : saved) {
    if (!seen.insert(s.name).second) continue;  // listed twice: the first entry is the oldest
    Result<std::string> cur = ReadSysctl(root, s.name);
    if (cur && *cur == s.set)
      out.adopted.push_back(s);
    else
      out.overridden.push_back({s, cur ? *cur : "unreadable (" + cur.error().message() + ")"});
  }
  return out;
}

AdoptedSysctls SysctlGuard::Adopt(const std::vector<SavedSysctl>& saved) {
  AdoptedSysctls out = ClassifySaved(root_, saved);
  // A sysctl this guard holds already stays as it is (Adopt() comes before
  // Set(), so only a second Adopt() meets one).
  std::erase_if(out.adopted, [this](const SavedSysctl& s) { return Find(s.name) != nullptr; });
  std::erase_if(out.overridden, [this](const AdoptedSysctls::Overridden& o) {
    return Find(o.saved.name) != nullptr;
  });
  for (const SavedSysctl& s : out.adopted) saved_.push_back(s);
  if (!saved.empty()) Tell();
  return out;
}

Status SysctlGuard::RestoreOne(const std::string& name) {
  for (auto it = saved_.begin(); it != saved_.end(); ++it) {
    if (it->name != name) continue;
    if (Status s = WriteSysctl(root_, it->name, it->original); !s)
      return s.take_error().Context("restore " + name);
    saved_.erase(it);
    Tell();
    return Ok();
  }
  return Ok();
}

std::vector<Error> SysctlGuard::Restore() {
  std::vector<Error> errors;
  if (saved_.empty()) return errors;
  std::vector<SavedSysctl> failed;
  for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
    if (Status s = WriteSysctl(root_, it->name, it->original); !s) {
      errors.push_back(s.take_error().Context("restore " + it->name));
      failed.insert(failed.begin(), *it);
    }
  }
  saved_.clear();
  if (journal_) journal_(failed);
  return errors;
}

}  // namespace sg
