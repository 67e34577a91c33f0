// SPDX-License-Identifier: Apache-2.0
// RFC 4303 §3.4.3 anti-replay window: reset and update (moving the right edge).
#include "dataplane/sa/replay_window.hpp"

namespace l2tpgw::dp {

bool ReplayWindow::reset(uint32_t size) {
  if (size == 0 || size > kMaxWindow) return false;
  size_ = size;
  highest_ = 0;
  bits_.fill(0);
  return true;
}

bool ReplayWindow::update(uint32_t seq) {
  if (!check(seq)) return false;
  if (seq > highest_) {
    // Clear the positions the right edge moves over: they held numbers that are now
    // left of the window (or never-seen ones after a big jump).
    const uint32_t shift = seq - highest_;
    if (shift >= kMaxWindow) {
      bits_.fill(0);
    } else {
      uint32_t s = highest_ + 1;
      // Bit by bit up to the next word boundary, then whole words.
      while (s != seq + 1 && (s & 63) != 0) {
        const uint32_t b = s & (kMaxWindow - 1);
        bits_[b >> 6] &= ~(uint64_t{1} << (b & 63));
        ++s;
      }
      while (seq + 1 - s >= 64) {
        bits_[(s & (kMaxWindow - 1)) >> 6] = 0;
        s += 64;
      }
      while (s != seq + 1) {
        const uint32_t b = s & (kMaxWindow - 1);
        bits_[b >> 6] &= ~(uint64_t{1} << (b & 63));
        ++s;
      }
    }
    highest_ = seq;
  }
  set_bit(seq);
  return true;
}

}  // namespace l2tpgw::dp
