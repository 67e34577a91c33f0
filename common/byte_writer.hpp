// SPDX-License-Identifier: Apache-2.0
// ByteWriter: bounds-checked big-endian writer over a caller-owned buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace l2tpgw {

// Writes stop (and ok() turns false) when the buffer is full; nothing is written past it.
class ByteWriter {
 public:
  explicit ByteWriter(std::span<uint8_t> buf) : buf_(buf) {}

  bool ok() const { return ok_; }
  size_t size() const { return pos_; }
  std::span<const uint8_t> written() const { return buf_.first(pos_); }

  void u8(uint8_t v) { put(&v, 1); }
  void be16(uint16_t v) {
    const uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    put(b, 2);
  }
  void be32(uint32_t v) {
    const uint8_t b[4] = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                          static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    put(b, 4);
  }
  void bytes(std::span<const uint8_t> b) { put(b.data(), b.size()); }

 private:
  void put(const uint8_t* p, size_t n) {
    // memcpy with a null pointer is undefined even for n == 0 (an empty span's data() is null).
    if (n == 0) return;
    if (!ok_ || buf_.size() - pos_ < n) {
      ok_ = false;
      return;
    }
    std::memcpy(buf_.data() + pos_, p, n);
    pos_ += n;
  }
  std::span<uint8_t> buf_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace l2tpgw
