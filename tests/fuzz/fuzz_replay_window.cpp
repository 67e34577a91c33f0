// SPDX-License-Identifier: Apache-2.0
// Differential libFuzzer target: ReplayWindow against a std::set model (RFC 4303 §3.4.3).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>

#include "dataplane/sa/replay_window.hpp"

using l2tpgw::dp::ReplayWindow;

// Input: 2 bytes window size, then 5-byte records: op (bit 0: check only; bit 1: delta
// relative to the highest, else absolute) and a 32-bit big-endian value.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint32_t wsize = 1 + ((uint32_t{data[0]} << 8 | data[1]) % ReplayWindow::kMaxWindow);
  ReplayWindow w;
  if (!w.reset(wsize)) std::abort();
  std::set<uint32_t> seen;
  uint32_t hi = 0;
  auto model_check = [&](uint32_t s) {
    if (s == 0) return false;
    if (s > hi) return true;
    if (hi - s >= wsize) return false;
    return !seen.contains(s);
  };
  for (size_t i = 2; i + 5 <= size; i += 5) {
    const uint8_t op = data[i];
    uint32_t v = uint32_t{data[i + 1]} << 24 | uint32_t{data[i + 2]} << 16 |
                 uint32_t{data[i + 3]} << 8 | data[i + 4];
    // Relative values land near the window, where the interesting cases are.
    const uint32_t s = (op & 2) ? hi + static_cast<int32_t>(v % 8192) - 4096 : v;
    const bool want = model_check(s);
    if (w.check(s) != want) std::abort();
    if ((op & 1) == 0) {
      if (w.update(s) != want) std::abort();
      if (want) {
        seen.insert(s);
        if (s > hi) hi = s;
      }
      // Keep the model small: forget numbers that can never matter again.
      while (!seen.empty() && hi - *seen.begin() >= wsize) seen.erase(seen.begin());
    }
    if (w.highest() != hi) std::abort();
  }
  return 0;
}
