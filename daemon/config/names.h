// Enum <-> word, for every choice the config offers: the one place where an
// enum's words are spelled. config/modes.h gives each enum its table (a
// constexpr array of {value, "word"}, in the order messages list them);
// the config parser, the CLI's option checks, the status command and the
// metrics labels all read the words from there through these functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sg {

template <class E>
struct Name {
  E value;
  const char* word;
};

// Specialized next to each enum (config/modes.h) with
//   static constexpr std::array<Name<E>, N> kTable{...};
template <class E>
struct EnumNames;

template <class E>
concept NamedEnum = requires {
  EnumNames<E>::kTable;
};

// The word for v ("?" for a value outside the table).
template <NamedEnum E>
constexpr const char* ToString(E v) {
  for (const Name<E>& n : EnumNames<E>::kTable) {
    if (n.value == v) return n.word;
  }
  return "?";
}

// The value a word names, exactly as spelled in the table.
template <NamedEnum E>
constexpr std::optional<E> ParseName(std::string_view word) {
  for (const Name<E>& n : EnumNames<E>::kTable) {
    if (word == n.word) return n.value;
  }
  return std::nullopt;
}

// "always, auto, never": the words in table order, for messages.
template <NamedEnum E>
std::string NameList() {
  std::string out;
  for (const Name<E>& n : EnumNames<E>::kTable)
    out += (out.empty() ? "" : ", ") + std::string(n.word);
  return out;
}

}  // namespace sg
