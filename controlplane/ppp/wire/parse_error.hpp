// SPDX-License-Identifier: Apache-2.0
// PppParseError: why a PPP control packet (LCP, IPCP, PAP, CHAP) was refused, and PppResult,
// a decoded value or that reason. Every kind is a named counter (PppCounters); a log line
// names the kind at most, never the packet's bytes.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

namespace l2tpgw::cp::ppp {

#define L2TPGW_PPP_PARSE_ERRORS(X)                                                      \
  X(Truncated)       /* fewer octets than the 4-octet header, or than Length claims */  \
  X(BadLength)       /* RFC 1661 §5: Length below the 4-octet Code/Identifier/Length */ \
  X(BadOptionLength) /* RFC 1661 §6: an option's Length below 2 or past the packet */   \
  X(BadOptionSize)   /* a known option whose Length is not the size its RFC gives it */ \
  X(BadFieldLength)  /* PAP Peer-ID/Passwd-Length, CHAP Value-Size past the data */     \
  X(BadValue)        /* a field whose value its RFC forbids (CHAP Value-Size 0, ...) */

enum class PppParseError : uint8_t {
#define X(n) n,
  L2TPGW_PPP_PARSE_ERRORS(X)
#undef X
      Count
};
inline constexpr size_t kPppParseErrorCount = static_cast<size_t>(PppParseError::Count);

constexpr std::string_view to_string(PppParseError e) {
  switch (e) {
#define X(n) \
  case PppParseError::n: return #n;
    L2TPGW_PPP_PARSE_ERRORS(X)
#undef X
    case PppParseError::Count: break;
  }
  return "?";
}

// A decoded value or the reason it could not be decoded (C++20 has no std::expected).
template <class T>
class PppResult {
 public:
  PppResult(T value) : value_(std::move(value)), ok_(true) {}          // NOLINT: implicit by design
  PppResult(PppParseError error) : error_(error), ok_(false) {}        // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const T& value() const { return value_; }
  const T& operator*() const { return value_; }
  const T* operator->() const { return &value_; }
  PppParseError error() const { return error_; }

 private:
  T value_{};
  PppParseError error_{};
  bool ok_;
};

}  // namespace l2tpgw::cp::ppp
