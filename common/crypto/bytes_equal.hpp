// SPDX-License-Identifier: Apache-2.0
// Byte-range comparison in constant time, 8 bytes at a time (ICVs, ESP padding).
#pragma once

#include <cstdint>
#include <cstring>

namespace l2tpgw {

// True when the n bytes at a and b are equal. No branch and no early exit depends on the
// bytes, so the time does not tell where a first difference lies (an ICV compare must not
// leak that; OpenSSL's CRYPTO_memcmp is the same idea behind a library call); branches
// depend on n only. Compared as words whose last one overlaps the one before: a 12-byte
// HMAC-*-96 ICV (RFC 2404 §3), a 16-byte one (RFC 4868 §2.3, RFC 4106 §6) or a block
// cipher's padding (at most 15 bytes) is two compares, not 12 or 16, and no loop: a loop the
// compiler vectorises for long ranges costs more than the compare itself at these lengths.
// Both sides are loaded the same way, so byte order does not matter.
inline bool bytes_equal(const uint8_t* a, const uint8_t* b, uint32_t n) {
  auto word64 = [](const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  };
  auto word32 = [](const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  };
  if (n < 4) {
    uint8_t diff = 0;
    for (uint32_t i = 0; i < n; ++i) diff = static_cast<uint8_t>(diff | (a[i] ^ b[i]));
    return diff == 0;
  }
  if (n < 8) return ((word32(a) ^ word32(b)) | (word32(a + n - 4) ^ word32(b + n - 4))) == 0;
  if (n <= 16) return ((word64(a) ^ word64(b)) | (word64(a + n - 8) ^ word64(b + n - 8))) == 0;
  uint64_t diff = 0;
  for (uint32_t i = 0; i + 8 < n; i += 8) diff |= word64(a + i) ^ word64(b + i);
  diff |= word64(a + n - 8) ^ word64(b + n - 8);
  return diff == 0;
}

}  // namespace l2tpgw
