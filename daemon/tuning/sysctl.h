// Reading and writing sysctls under a root directory (/proc/sys normally; a
// temporary directory in tests). Names use dots: "net.ipv4.tcp_syncookies".
#pragma once

#include <string>

#include "util/result.h"

namespace sg {

inline constexpr const char* kProcSys = "/proc/sys";

std::string SysctlPath(const std::string& root, const std::string& name);
Result<std::string> ReadSysctl(const std::string& root, const std::string& name);
Result<long long> ReadSysctlInt(const std::string& root, const std::string& name);
Status WriteSysctl(const std::string& root, const std::string& name, const std::string& value);

}  // namespace sg
