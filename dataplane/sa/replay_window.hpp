// SPDX-License-Identifier: Apache-2.0
// RFC 4303 §3.4.3 anti-replay window for 32-bit sequence numbers (no ESN).
#pragma once

#include <array>
#include <cstdint>

namespace l2tpgw::dp {

// Receiver-side sliding window, owned by the one worker that owns the inbound SA.
// Storage is fixed (kMaxWindow bits); the window size is chosen per SA at runtime.
//
//        left edge                        right edge = highest()
//            |<------------ size() ------------>|
//   too old  |  seen / not seen bitmap          |  new: always acceptable
//
// The bitmap is circular over the first span() bits of the storage, the smallest power of
// two that holds the window and at least one 64-bit word: sequence number s lives at bit
// (s mod span()). Positions of numbers left of the window are stale but never consulted,
// because the age test comes first; they are cleared when the right edge moves over them.
// A window of up to 128 packets stays within the storage's first 16 bytes, so with the
// owner's other per-SA state and the SA's counters it is one cache line (SaRuntime): with
// thousands of clients that line is cold for every packet.
//
// Two steps, as RFC 4303 §3.4.3 orders them: check() before the ICV is verified (cheap
// rejection of replays), update() only after the ICV verified, so that forged packets
// cannot move the window.
class ReplayWindow {
 public:
  static constexpr uint32_t kDefaultWindow = 64;  // RFC 4303 §3.4.3: default 64
  static constexpr uint32_t kMaxWindow = 2048;    // bits of storage

  ReplayWindow() { reset(kDefaultWindow); }

  // Forgets everything and sets the size. Returns false (and changes nothing) unless
  // 1 <= size <= kMaxWindow.
  bool reset(uint32_t size);

  // True if `seq` may be accepted: not 0 (RFC 4303 §3.3.3: the first packet has
  // sequence number 1), not left of the window, not already marked.
  bool check(uint32_t seq) const {
    if (seq == 0) return false;
    if (seq > highest_) return true;
    if (highest_ - seq >= size_) return false;  // left of the window
    return !test_bit(seq);
  }

  // Marks `seq` as received, moving the right edge if it is new. Re-checks first and
  // returns false if `seq` is (now) a replay or too old; then nothing changes.
  // Inline: esp_decrypt calls it for every packet, and the usual step (the next number)
  // is a few instructions.
  bool update(uint32_t seq) {
    if (!check(seq)) return false;
    if (seq > highest_) advance(seq);
    set_bit(seq);
    return true;
  }

  // Highest sequence number marked so far (0 before the first update).
  uint32_t highest() const { return highest_; }
  uint32_t size() const { return size_; }
  // Bits of storage in use: the smallest power of two >= max(size(), 64).
  uint32_t span() const { return span_mask_ + 1; }

 private:
  static constexpr uint32_t kWords = kMaxWindow / 64;
  static_assert(kMaxWindow % 64 == 0 && (kMaxWindow & (kMaxWindow - 1)) == 0);

  bool test_bit(uint32_t seq) const {
    const uint32_t b = seq & span_mask_;
    return (bits_[b >> 6] >> (b & 63)) & 1;
  }
  // Moves the right edge to seq (> highest_), clearing the positions it moves over.
  void advance(uint32_t seq) {
    const uint32_t shift = seq - highest_;
    if (shift == 1) {
      clear_bit(seq);
    } else {
      clear_range(seq);
    }
    highest_ = seq;
  }
  void clear_range(uint32_t seq);
  void clear_bit(uint32_t seq) {
    const uint32_t b = seq & span_mask_;
    bits_[b >> 6] &= ~(uint64_t{1} << (b & 63));
  }
  void set_bit(uint32_t seq) {
    const uint32_t b = seq & span_mask_;
    bits_[b >> 6] |= uint64_t{1} << (b & 63);
  }

  uint32_t highest_ = 0;
  uint32_t size_ = kDefaultWindow;
  uint32_t span_mask_ = kDefaultWindow - 1;  // span() - 1 (then 4 bytes of padding)
  std::array<uint64_t, kWords> bits_{};
};

static_assert(sizeof(ReplayWindow) == 16 + ReplayWindow::kMaxWindow / 8);

}  // namespace l2tpgw::dp
