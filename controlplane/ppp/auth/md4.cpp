// SPDX-License-Identifier: Apache-2.0
// MD4 (RFC 1320 §3): three rounds of sixteen operations over 512-bit blocks.
#include "controlplane/ppp/auth/md4.hpp"

#include <cstring>

namespace l2tpgw::cp::ppp {

namespace {

constexpr uint32_t rotl(uint32_t x, int s) { return (x << s) | (x >> (32 - s)); }
// §3.4: F is a bitwise conditional, G a majority, H a parity.
constexpr uint32_t f(uint32_t x, uint32_t y, uint32_t z) { return (x & y) | (~x & z); }
constexpr uint32_t g(uint32_t x, uint32_t y, uint32_t z) { return (x & y) | (x & z) | (y & z); }
constexpr uint32_t h(uint32_t x, uint32_t y, uint32_t z) { return x ^ y ^ z; }

// §3.4 "Process Message in 16-Word Blocks": the word order and shifts of each round.
constexpr int kRound2Order[16] = {0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15};
constexpr int kRound3Order[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
constexpr int kShift1[4] = {3, 7, 11, 19};
constexpr int kShift2[4] = {3, 5, 9, 13};
constexpr int kShift3[4] = {3, 9, 11, 15};
constexpr uint32_t kRound2Constant = 0x5a827999;  // sqrt(2)
constexpr uint32_t kRound3Constant = 0x6ed9eba1;  // sqrt(3)

void block(uint32_t st[4], const uint8_t* p) {
  uint32_t x[16];
  for (int i = 0; i < 16; ++i)  // §3.4: words are little-endian
    x[i] = uint32_t{p[4 * i]} | uint32_t{p[4 * i + 1]} << 8 | uint32_t{p[4 * i + 2]} << 16 |
           uint32_t{p[4 * i + 3]} << 24;
  uint32_t v[4] = {st[0], st[1], st[2], st[3]};  // a, b, c, d
  // Operation i updates v[(4 - i % 4) % 4] from the other three in the order the RFC's
  // [abcd k s], [dabc k s], [cdab k s], [bcda k s] lines rotate them.
  auto slot = [](int i, int j) { return (4 - i % 4 + j) % 4; };
  for (int i = 0; i < 16; ++i) {
    uint32_t& a = v[slot(i, 0)];
    a = rotl(a + f(v[slot(i, 1)], v[slot(i, 2)], v[slot(i, 3)]) + x[i], kShift1[i % 4]);
  }
  for (int i = 0; i < 16; ++i) {
    uint32_t& a = v[slot(i, 0)];
    a = rotl(a + g(v[slot(i, 1)], v[slot(i, 2)], v[slot(i, 3)]) + x[kRound2Order[i]] + kRound2Constant,
             kShift2[i % 4]);
  }
  for (int i = 0; i < 16; ++i) {
    uint32_t& a = v[slot(i, 0)];
    a = rotl(a + h(v[slot(i, 1)], v[slot(i, 2)], v[slot(i, 3)]) + x[kRound3Order[i]] + kRound3Constant,
             kShift3[i % 4]);
  }
  for (int i = 0; i < 4; ++i) st[i] += v[i];
}

}  // namespace

Md4Digest md4(std::span<const uint8_t> message) {
  // §3.3: A, B, C, D.
  uint32_t st[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  size_t i = 0;
  for (; message.size() - i >= 64; i += 64) block(st, message.data() + i);
  // §3.1, §3.2: a 1 bit, zeros to 56 mod 64 octets, then the bit length (little-endian).
  uint8_t tail[128] = {};
  const size_t rest = message.size() - i;
  if (rest) std::memcpy(tail, message.data() + i, rest);
  tail[rest] = 0x80;
  const size_t tail_len = rest < 56 ? 64 : 128;
  const uint64_t bits = uint64_t{message.size()} * 8;
  for (int k = 0; k < 8; ++k) tail[tail_len - 8 + k] = static_cast<uint8_t>(bits >> (8 * k));
  block(st, tail);
  if (tail_len == 128) block(st, tail + 64);
  Md4Digest out;
  for (int w = 0; w < 4; ++w)
    for (int k = 0; k < 4; ++k) out[4 * w + k] = static_cast<uint8_t>(st[w] >> (8 * k));
  return out;
}

}  // namespace l2tpgw::cp::ppp
