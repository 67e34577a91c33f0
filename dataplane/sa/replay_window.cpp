// SPDX-License-Identifier: Apache-2.0
// RFC 4303 §3.4.3 anti-replay window: reset, and the right edge moving more than one number.
#include "dataplane/sa/replay_window.hpp"

#include <algorithm>
#include <bit>

namespace l2tpgw::dp {

bool ReplayWindow::reset(uint32_t size) {
  if (size == 0 || size > kMaxWindow) return false;
  size_ = size;
  span_mask_ = std::bit_ceil(std::max(size, 64u)) - 1;
  highest_ = 0;
  bits_.fill(0);
  return true;
}

void ReplayWindow::clear_range(uint32_t seq) {
  // Clear the positions the right edge moves over (highest_ + 1 .. seq): they held numbers
  // that are now left of the window (or never-seen ones after a big jump).
  const uint32_t shift = seq - highest_;
  if (shift > span_mask_) {
    std::fill_n(bits_.begin(), span() / 64, 0);
    return;
  }
  uint32_t s = highest_ + 1;
  // Bit by bit up to the next word boundary, then whole words.
  while (s != seq + 1 && (s & 63) != 0) {
    clear_bit(s);
    ++s;
  }
  while (seq + 1 - s >= 64) {
    bits_[(s & span_mask_) >> 6] = 0;
    s += 64;
  }
  while (s != seq + 1) {
    clear_bit(s);
    ++s;
  }
}

}  // namespace l2tpgw::dp
