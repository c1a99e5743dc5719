// JSON as synguard writes and reads it: the state file, the restore record
// and `synguard status --json`. nlohmann-json (Debian's nlohmann-json3-dev)
// does the escaping and the parsing, rather than code of our own: a string
// from a config path or an interface name must come out as valid JSON
// whatever bytes it holds. Keys keep the order they are written in.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <type_traits>

#include "util/result.h"

namespace sg {

using Json = nlohmann::ordered_json;

// One line and a newline. Bytes that are not UTF-8 become U+FFFD rather
// than an exception.
std::string JsonText(const Json& j);

// A parse error names what is wrong and where, e.g. "syntax error while
// parsing object key - unexpected end of input; expected string literal".
Result<Json> ParseJson(const std::string& text);

// obj[key] when it is there with the type of fallback, else fallback: files
// written by an older synguard lack the keys added since.
template <class T>
T JsonField(const Json& obj, const char* key, T fallback) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if constexpr (std::is_same_v<T, bool>) {
    return it->is_boolean() ? it->template get<bool>() : fallback;
  } else if constexpr (std::is_arithmetic_v<T>) {
    return it->is_number() ? it->template get<T>() : fallback;
  } else {
    return it->is_string() ? it->template get<std::string>() : fallback;
  }
}

// obj[key] when it is an array, else an empty one.
const Json& JsonArray(const Json& obj, const char* key);

}  // namespace sg
