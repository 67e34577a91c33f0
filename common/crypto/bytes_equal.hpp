// SPDX-License-Identifier: Apache-2.0
// Byte-range comparison in constant time, 8 bytes at a time (ICVs, ESP padding).
#pragma once

#include <cstdint>
#include <cstring>

namespace l2tpgw {

// True when the n bytes at a and b are equal. No branch and no early exit depends on the
// bytes, so the time does not tell where a first difference lies (an ICV compare must not
// leak that; OpenSSL's CRYPTO_memcmp is the same idea behind a library call). Compared as
// 64-bit words, the last word overlapping the one before: a 12-byte HMAC-*-96 ICV
// (RFC 2404 §3) or a 16-byte one (RFC 4868 §2.3, RFC 4106 §6) is two compares, not 12 or
// 16. Both sides are loaded the same way, so byte order does not matter.
inline bool bytes_equal(const uint8_t* a, const uint8_t* b, uint32_t n) {
  if (n < 8) {
    uint8_t diff = 0;
    for (uint32_t i = 0; i < n; ++i) diff = static_cast<uint8_t>(diff | (a[i] ^ b[i]));
    return diff == 0;
  }
  auto word = [](const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  };
  uint64_t diff = 0;
  for (uint32_t i = 0; i + 8 < n; i += 8) diff |= word(a + i) ^ word(b + i);
  diff |= word(a + n - 8) ^ word(b + n - 8);
  return diff == 0;
}

}  // namespace l2tpgw
