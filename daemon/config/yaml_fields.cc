#include "config/yaml_fields.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace sg::config_internal {

int LineOf(const YAML::Node& n) {
  if (!n.IsDefined()) return 0;
  const YAML::Mark m = n.Mark();
  return m.is_null() ? 0 : m.line + 1;
}

void Fail(int line, const std::string& path, const std::string& problem) {
  throw ConfigProblem{line, path, problem};
}

std::string Got(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "nothing";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return "\"" + n.Scalar() + "\"";
}

std::string Join(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string Index(const std::string& parent, size_t i) {
  return parent + "[" + std::to_string(i) + "]";
}

Fields::Fields(const YAML::Node& map, std::string path, std::initializer_list<const char*> known)
    : map_(map), path_(std::move(path)) {
  if (!map.IsMap())
    Fail(map, path_.empty() ? "(top level)" : path_,
         "must be a mapping of keys (got " + Got(map) + ")");
  // By value: yaml-cpp's iterators hand out temporaries.
  for (const auto kv : map) {
    const YAML::Node key = kv.first;
    if (!key.IsScalar()) Fail(key, path_.empty() ? "(top level)" : path_, "keys must be words");
    const std::string name = key.Scalar();
    bool ok = false;
    std::string list;
    for (const char* k : known) {
      ok = ok || name == k;
      list += list.empty() ? k : std::string(", ") + k;
    }
    if (!ok) Fail(key, Join(path_, name), "unknown key; expected one of " + list);
    for (const auto& [seen, value] : values_) {
      if (seen == name)
        Fail(key, Join(path_, name),
             "given twice (first at line " + std::to_string(LineOf(value)) + ")");
    }
    values_.emplace_back(name, kv.second);
  }
}

const YAML::Node* Fields::Find(const std::string& key) const {
  for (const auto& [name, value] : values_) {
    if (name == key) return &value;
  }
  return nullptr;
}

std::string String(const YAML::Node& n, const std::string& path) {
  if (!n.IsScalar() || n.Scalar().empty()) Fail(n, path, "must be a string (got " + Got(n) + ")");
  return n.Scalar();
}

int64_t Integer(const YAML::Node& n, const std::string& path, int64_t min, int64_t max) {
  const std::string range = std::to_string(min) + ".." + std::to_string(max);
  if (!n.IsScalar()) Fail(n, path, "must be an integer in " + range + " (got " + Got(n) + ")");
  const std::string& s = n.Scalar();
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range ||
      (ec == std::errc() && end == s.data() + s.size() && (v < min || v > max)))
    Fail(n, path, "must be in " + range + " (got " + s + ")");
  if (ec != std::errc() || end != s.data() + s.size())
    Fail(n, path, "must be an integer in " + range + " (got " + Got(n) + ")");
  return v;
}

double Real(const YAML::Node& n, const std::string& path, double min, double max) {
  auto range = [&] {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%g..%g", min, max);
    return std::string(buf);
  };
  if (!n.IsScalar()) Fail(n, path, "must be a number in " + range() + " (got " + Got(n) + ")");
  const std::string& s = n.Scalar();
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v))
    Fail(n, path, "must be a number in " + range() + " (got " + Got(n) + ")");
  if (v < min || v > max) Fail(n, path, "must be in " + range() + " (got " + s + ")");
  return v;
}

bool Bool(const YAML::Node& n, const std::string& path) {
  if (n.IsScalar() && n.Scalar() == "true") return true;
  if (n.IsScalar() && n.Scalar() == "false") return false;
  Fail(n, path, "must be true or false (got " + Got(n) + ")");
}

std::chrono::seconds Duration(const YAML::Node& n, const std::string& path,
                              std::chrono::seconds min, std::chrono::seconds max) {
  const std::string range =
      std::to_string(min.count()) + ".." + std::to_string(max.count()) + " seconds";
  auto bad = [&] {
    Fail(n, path,
         "must be a duration: seconds, or a number followed by s, m or h (got " + Got(n) + ")");
  };
  if (!n.IsScalar() || n.Scalar().empty()) bad();
  std::string s = n.Scalar();
  int64_t unit = 1;
  switch (s.back()) {
    case 's':
      unit = 1;
      s.pop_back();
      break;
    case 'm':
      unit = 60;
      s.pop_back();
      break;
    case 'h':
      unit = 3600;
      s.pop_back();
      break;
    default:
      break;
  }
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 0) bad();
  if (v > max.count() / unit + 1 || v * unit < min.count() || v * unit > max.count())
    Fail(n, path, "must be " + range + " (got " + n.Scalar() + ")");
  return std::chrono::seconds(v * unit);
}

void ForEach(const YAML::Node& n, const std::string& path,
             const std::function<void(const YAML::Node&, const std::string&, size_t)>& fn) {
  if (!n.IsSequence()) Fail(n, path, "must be a list (got " + Got(n) + ")");
  for (size_t i = 0; i < n.size(); ++i) fn(n[i], Index(path, i), i);
}

}  // namespace sg::config_internal
