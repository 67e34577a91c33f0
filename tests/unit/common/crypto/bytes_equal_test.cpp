// SPDX-License-Identifier: Apache-2.0
// Tests for common/crypto/bytes_equal.hpp: every length up to a few words, every position.
#include "common/crypto/bytes_equal.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace l2tpgw {
namespace {

TEST(BytesEqual, EveryLengthEveryDifferingByte) {
  for (uint32_t n = 0; n <= 40; ++n) {
    SCOPED_TRACE(n);
    std::vector<uint8_t> a(n), b(n);
    for (uint32_t i = 0; i < n; ++i) a[i] = b[i] = static_cast<uint8_t>(0x5a + 7 * i);
    EXPECT_TRUE(bytes_equal(a.data(), b.data(), n));
    for (uint32_t at = 0; at < n; ++at) {
      for (uint8_t bit : {0x01, 0x80}) {
        b[at] ^= bit;
        EXPECT_FALSE(bytes_equal(a.data(), b.data(), n)) << "byte " << at;
        b[at] ^= bit;
      }
    }
  }
}

TEST(BytesEqual, ReadsOnlyTheRange) {
  // Equal ranges inside unequal surroundings: nothing outside [0, n) counts.
  std::vector<uint8_t> a(64, 0x11), b(64, 0x22);
  for (uint32_t n = 0; n <= 24; ++n) {
    for (uint32_t i = 0; i < n; ++i) a[20 + i] = b[20 + i] = static_cast<uint8_t>(i);
    EXPECT_TRUE(bytes_equal(a.data() + 20, b.data() + 20, n)) << n;
  }
}

}  // namespace
}  // namespace l2tpgw
