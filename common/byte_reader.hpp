// SPDX-License-Identifier: Apache-2.0
// ByteReader: the only way parsers touch untrusted bytes. Every read is bounds-checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace l2tpgw {

class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  ByteReader(const uint8_t* data, size_t len) : bytes_(data, len) {}

  size_t remaining() const { return bytes_.size() - pos_; }
  size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }
  const uint8_t* cursor() const { return bytes_.data() + pos_; }
  std::span<const uint8_t> rest() const { return bytes_.subspan(pos_); }

  std::optional<uint8_t> read_u8() {
    if (remaining() < 1) return std::nullopt;
    return bytes_[pos_++];
  }
  std::optional<uint16_t> read_be16() {
    if (remaining() < 2) return std::nullopt;
    uint16_t v = static_cast<uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  std::optional<uint32_t> read_be32() {
    if (remaining() < 4) return std::nullopt;
    uint32_t v = (uint32_t{bytes_[pos_]} << 24) | (uint32_t{bytes_[pos_ + 1]} << 16) |
                 (uint32_t{bytes_[pos_ + 2]} << 8) | uint32_t{bytes_[pos_ + 3]};
    pos_ += 4;
    return v;
  }
  // Peeks without consuming.
  std::optional<uint8_t> peek_u8(size_t at = 0) const {
    if (remaining() <= at) return std::nullopt;
    return bytes_[pos_ + at];
  }
  std::optional<uint16_t> peek_be16(size_t at = 0) const {
    // Compare without computing at + 2, which wraps for offsets near SIZE_MAX.
    if (remaining() < 2 || remaining() - 2 < at) return std::nullopt;
    return static_cast<uint16_t>((bytes_[pos_ + at] << 8) | bytes_[pos_ + at + 1]);
  }
  // A sub-reader over the next n bytes, which are consumed.
  std::optional<ByteReader> take(size_t n) {
    if (remaining() < n) return std::nullopt;
    ByteReader sub(bytes_.subspan(pos_, n));
    pos_ += n;
    return sub;
  }
  bool skip(size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

}  // namespace l2tpgw
