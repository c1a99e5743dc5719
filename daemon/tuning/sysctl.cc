#include "tuning/sysctl.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sg {

std::string SysctlPath(const std::string& root, const std::string& name) {
  std::string rel = name;
  std::replace(rel.begin(), rel.end(), '.', '/');
  return root + "/" + rel;
}

Result<std::string> ReadSysctl(const std::string& root, const std::string& name) {
  std::ifstream in(SysctlPath(root, name));
  if (!in) return Error::FromErrno("read sysctl " + name);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string v = ss.str();
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
  return v;
}

Result<long long> ReadSysctlInt(const std::string& root, const std::string& name) {
  Result<std::string> s = ReadSysctl(root, name);
  if (!s) return s.take_error();
  // Vector sysctls (tcp_rmem) yield their first field; callers wanting others split.
  char* end = nullptr;
  long long v = std::strtoll(s->c_str(), &end, 10);
  if (end == s->c_str()) return Error("sysctl " + name + " is not a number: '" + *s + "'");
  return v;
}

Status WriteSysctl(const std::string& root, const std::string& name, const std::string& value) {
  std::ofstream out(SysctlPath(root, name));
  if (!out) return Error::FromErrno("open sysctl " + name + " for writing");
  out << value << "\n";
  out.flush();
  if (!out) return Error::FromErrno("write sysctl " + name + " = " + value);
  return Ok();
}

}  // namespace sg
