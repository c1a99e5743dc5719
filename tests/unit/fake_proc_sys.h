// A directory standing in for /proc/sys, for the tuner and restore tests:
// values written and read through the same path mapping the daemon uses.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "tuning/sysctl.h"

namespace sg::test {

// The sysctls synguard manages (deploy/sysctl.d/60-synguard.conf).
inline constexpr const char* kManagedSysctls[] = {
    "net.ipv4.tcp_syncookies", "net.ipv4.tcp_timestamps",     "net.ipv4.tcp_max_syn_backlog",
    "net.core.somaxconn",      "net.ipv4.tcp_synack_retries", "net.ipv4.tcp_abort_on_overflow"};

class FakeProcSysTree {
 public:
  // root: the directory to stand in for /proc/sys (emptied first).
  explicit FakeProcSysTree(std::string root) : root_(std::move(root)) {
    std::filesystem::remove_all(root_);
  }
  const std::string& root() const { return root_; }

  void Set(const std::string& name, const std::string& value) const {
    std::filesystem::path p = SysctlPath(root_, name);
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << value << "\n";
  }
  std::string Get(const std::string& name) const {
    Result<std::string> v = ReadSysctl(root_, name);
    return v ? *v : "<" + v.error().message() + ">";
  }
  // Every managed sysctl's value, by name.
  std::map<std::string, std::string> Snapshot() const {
    std::map<std::string, std::string> m;
    for (const char* n : kManagedSysctls) m[n] = Get(n);
    return m;
  }

 private:
  std::string root_;
};

}  // namespace sg::test
