// SPDX-License-Identifier: Apache-2.0
// Result<T, E>: a value or the enum that says why there is none (STYLE.md: Result at protocol
// boundaries; C++20 has no std::expected). Unlike wire::Result it moves its value, so decoded
// payloads that own vectors are not copied on the way out.
#pragma once

#include <optional>
#include <utility>

namespace l2tpgw::cp::ike {

template <class T, class E>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(E error) : error_(error) {}             // NOLINT
  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return *value_; }
  T& value() & { return *value_; }
  T&& value() && { return std::move(*value_); }
  const T& operator*() const& { return *value_; }
  T& operator*() & { return *value_; }
  const T* operator->() const { return &*value_; }
  T* operator->() { return &*value_; }
  // Meaningful only when !ok().
  E error() const { return error_; }

 private:
  std::optional<T> value_;
  E error_{};
};

}  // namespace l2tpgw::cp::ike
