// SPDX-License-Identifier: Apache-2.0
// Result<T>: a value or an Error, for failures that are expected (bad input, kernel errors).
// Its member names follow std::expected so that a later switch to C++23 is a type alias.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace stas {

// code: a positive errno value (EINVAL, ENOENT, ETIMEDOUT...), 0 when there is none.
struct Error {
  int code = 0;
  std::string message;
};

// Wraps an Error so that `return Fail(...)` converts to any Result<T>.
struct Unexpected {
  Error error;
};

inline Unexpected Fail(int code, std::string message) {
  return Unexpected{Error{code, std::move(message)}};
}
inline Unexpected Fail(Error error) {
  return Unexpected{std::move(error)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  // Implicit, as std::expected's: `return value;` and `return Fail(...);` both convert.
  Result(T value) : v_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Unexpected u) : v_(std::move(u.error)) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    assert(!has_value());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  // NOLINTNEXTLINE(google-explicit-constructor): implicit, so that `return Fail(...);` converts.
  Result(Unexpected u) : error_(std::move(u.error)), ok_(false) {}

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace stas
