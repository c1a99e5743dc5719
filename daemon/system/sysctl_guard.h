// Sets sysctls and remembers what they were, to put them back on exit.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace sg {

class SysctlGuard {
 public:
  explicit SysctlGuard(std::string root) : root_(std::move(root)) {}
  ~SysctlGuard() { Restore(); }
  SysctlGuard(const SysctlGuard&) = delete;
  SysctlGuard& operator=(const SysctlGuard&) = delete;

  // Writes value if different, remembering the old value the first time.
  Result<bool> Set(const std::string& name, const std::string& value);
  // Puts back every value changed, newest first. Errors are returned, not thrown.
  std::vector<Error> Restore();
  // Drops what it remembered: nothing is restored, now or on destruction.
  void Forget() { saved_.clear(); }
  const std::vector<std::pair<std::string, std::string>>& changed() const { return saved_; }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
  std::vector<std::pair<std::string, std::string>> saved_;  // name, old value
};

}  // namespace sg
