// Reading typed values out of yaml-cpp nodes with the messages an operator
// needs: the line, the key path and what is wrong. Internal to config/.
//
// A problem throws ConfigProblem, caught once at the parser's boundary and
// turned into an sg::Error: yaml-cpp reports its own errors by exception, and
// a validator that returned at every one of its hundred checks would hide
// the checks themselves.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/names.h"

namespace sg::config_internal {

struct ConfigProblem {
  int line = 0;  // 1-based; 0 when unknown
  std::string path;
  std::string problem;
};

// 1-based line of a node, or 0 when yaml-cpp has no mark for it.
int LineOf(const YAML::Node& n);

[[noreturn]] void Fail(int line, const std::string& path, const std::string& problem);
[[noreturn]] inline void Fail(const YAML::Node& at, const std::string& path,
                              const std::string& problem) {
  Fail(LineOf(at), path, problem);
}

// How a node appears in "(got ...)": a scalar quoted, else its kind.
std::string Got(const YAML::Node& n);

// "parent.key" or "key" at the top level; "parent[3]" for list items.
std::string Join(const std::string& parent, const std::string& key);
std::string Index(const std::string& parent, size_t i);

// The keys of one mapping, checked against the ones we know: an unknown key
// (often a typo) or a key given twice is an error, never silently ignored.
class Fields {
 public:
  Fields(const YAML::Node& map, std::string path, std::initializer_list<const char*> known);

  // The value of key, or nullptr when absent.
  const YAML::Node* Find(const std::string& key) const;
  std::string PathOf(const std::string& key) const { return Join(path_, key); }
  const YAML::Node& node() const { return map_; }
  const std::string& path() const { return path_; }

 private:
  YAML::Node map_;
  std::string path_;
  std::vector<std::pair<std::string, YAML::Node>> values_;
};

std::string String(const YAML::Node& n, const std::string& path);
int64_t Integer(const YAML::Node& n, const std::string& path, int64_t min, int64_t max);
double Real(const YAML::Node& n, const std::string& path, double min, double max);
bool Bool(const YAML::Node& n, const std::string& path);
// Seconds: 90, "90s", "15m", "1h".
std::chrono::seconds Duration(const YAML::Node& n, const std::string& path,
                              std::chrono::seconds min, std::chrono::seconds max);

// One of an enum's words (its table in config/modes.h).
template <NamedEnum E>
E Choice(const YAML::Node& n, const std::string& path) {
  if (n.IsScalar()) {
    if (std::optional<E> v = ParseName<E>(n.Scalar())) return *v;
  }
  Fail(n, path, "must be one of " + NameList<E>() + " (got " + Got(n) + ")");
}

// Calls fn(item, item_path, index) for each item; the node must be a list.
void ForEach(const YAML::Node& n, const std::string& path,
             const std::function<void(const YAML::Node&, const std::string&, size_t)>& fn);

}  // namespace sg::config_internal
