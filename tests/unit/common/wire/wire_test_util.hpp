// SPDX-License-Identifier: Apache-2.0
// Helpers for the wire decoder tests: hex literals and exact-size buffers for truncation tables.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "common/byte_reader.hpp"

namespace l2tpgw::wire::test {

// "45 00 0073" -> {0x45, 0x00, 0x00, 0x73}; spaces and '|' are ignored so that the bytes can be
// grouped as in the RFC diagrams. A malformed literal aborts: it is a bug in the test.
inline std::vector<uint8_t> hex(std::string_view s) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    std::abort();
  };
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : s) {
    if (c == ' ' || c == '|' || c == '\n') continue;
    if (hi < 0) {
      hi = nibble(c);
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | nibble(c)));
      hi = -1;
    }
  }
  if (hi >= 0) std::abort();
  return out;
}

inline std::vector<uint8_t> cat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A heap copy of exactly `n` bytes of `v`, so that AddressSanitizer reports any read past the
// end (a std::vector may have spare capacity behind its size).
class Exact {
 public:
  Exact(const std::vector<uint8_t>& v, size_t n) : n_(n), p_(new uint8_t[n ? n : 1]) {
    for (size_t i = 0; i < n; ++i) p_[i] = v[i];
  }
  explicit Exact(const std::vector<uint8_t>& v) : Exact(v, v.size()) {}
  ByteReader reader() const { return ByteReader(p_.get(), n_); }
  const uint8_t* data() const { return p_.get(); }
  size_t size() const { return n_; }

 private:
  size_t n_;
  std::unique_ptr<uint8_t[]> p_;
};

}  // namespace l2tpgw::wire::test
