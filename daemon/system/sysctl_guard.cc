#include "system/sysctl_guard.h"

#include "system/sysctl.h"

namespace sg {

Result<bool> SysctlGuard::Set(const std::string& name, const std::string& value) {
  Result<std::string> old = ReadSysctl(root_, name);
  if (!old) return old.take_error();
  if (*old == value) return false;
  if (Status s = WriteSysctl(root_, name, value); !s) return s.take_error();
  bool seen = false;
  for (const auto& [n, v] : saved_) seen = seen || n == name;
  if (!seen) saved_.emplace_back(name, *old);
  return true;
}

std::vector<Error> SysctlGuard::Restore() {
  std::vector<Error> errors;
  for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
    if (Status s = WriteSysctl(root_, it->first, it->second); !s)
      errors.push_back(s.take_error().Context("restore " + it->first));
  }
  saved_.clear();
  return errors;
}

}  // namespace sg
