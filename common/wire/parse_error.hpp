// SPDX-License-Identifier: Apache-2.0
// ParseError: why a wire decoder refused its input. Counted in the dataplane, logged in the controlplane.
#pragma once

#include <cstdint>
#include <string_view>

namespace l2tpgw::wire {

#define L2TPGW_PARSE_ERRORS(X) \
  X(Truncated)                 \
  X(BadVersion)                \
  X(BadHeaderLength)           \
  X(BadTotalLength)            \
  X(BadChecksum)               \
  X(BadLengthField)            \
  X(BadFlags)                  \
  X(BadPadding)                \
  X(BadProtocol)               \
  X(ZeroSpi)                   \
  X(ZeroSequence)              \
  X(ZeroSessionId)

enum class ParseError : uint8_t {
#define X(n) n,
  L2TPGW_PARSE_ERRORS(X)
#undef X
};

constexpr std::string_view to_string(ParseError e) {
  switch (e) {
#define X(n) \
  case ParseError::n: return #n;
    L2TPGW_PARSE_ERRORS(X)
#undef X
  }
  return "?";
}

// A decoded value or the reason it could not be decoded (C++20 has no std::expected).
template <class T>
class Result {
 public:
  Result(T value) : value_(value), ok_(true) {}                 // NOLINT: implicit by design
  Result(ParseError error) : error_(error), ok_(false) {}       // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const T& value() const { return value_; }
  const T& operator*() const { return value_; }
  const T* operator->() const { return &value_; }
  ParseError error() const { return error_; }

 private:
  T value_{};
  ParseError error_{};
  bool ok_;
};

}  // namespace l2tpgw::wire
