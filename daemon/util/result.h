// Errors as values: what was being done, and the errno it failed with.
// The operator sees Error::message(), e.g.
//   "attach XDP to eth0 (native): Operation not supported".
#pragma once

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace sg {

class Error {
 public:
  explicit Error(std::string what, int err = 0)
      : what_(std::move(what)), err_(err < 0 ? -err : err) {}

  // An error from the current errno.
  static Error FromErrno(std::string what) { return Error(std::move(what), errno); }

  // Prefixes what was being done at the outer level.
  Error& Context(const std::string& outer) {
    what_ = outer + ": " + what_;
    return *this;
  }

  int err() const { return err_; }
  const std::string& what() const { return what_; }
  std::string message() const {
    if (err_ == 0) return what_;
    return what_ + ": " + std::strerror(err_);
  }

 private:
  std::string what_;
  int err_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  const Error& error() const { return std::get<1>(v_); }
  Error take_error() { return std::move(std::get<1>(v_)); }

 private:
  std::variant<T, Error> v_;
};

// Success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : e_(std::move(error)) {}  // NOLINT

  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *e_; }
  Error take_error() { return std::move(*e_); }

 private:
  std::optional<Error> e_;
};

inline Status Ok() { return Status(); }

}  // namespace sg
