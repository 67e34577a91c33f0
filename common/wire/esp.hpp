// SPDX-License-Identifier: Apache-2.0
// ESP (RFC 4303) header and trailer, and the UDP-encapsulation formats of NAT-T (RFC 3948).
#pragma once

#include <array>
#include <cstdint>

#include "common/byte_reader.hpp"
#include "common/crypto/bytes_equal.hpp"
#include "common/wire/parse_error.hpp"

namespace l2tpgw::wire {

// RFC 4303 §2:
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |               Security Parameters Index (SPI)                 |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                      Sequence Number                          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    IV + Payload Data (variable)               |
// ~               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |               |     Padding (0-255 bytes)                     |
// +-+-+-+-+-+-+-+-+               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                               |  Pad Length   | Next Header   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Integrity Check Value-ICV   (variable)                |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
inline constexpr size_t kEspHeaderLen = 8;
inline constexpr size_t kEspTrailerLen = 2;  // Pad Length + Next Header
inline constexpr uint32_t kEspSpiReservedMax = 255;  // RFC 4303 §2.1: 1..255 reserved

struct EspHeader {
  uint32_t spi;
  uint32_t seq;
};

inline Result<EspHeader> decode_esp_header(ByteReader r) {
  if (r.remaining() < kEspHeaderLen) return ParseError::Truncated;
  EspHeader h{*r.read_be32(), *r.read_be32()};
  if (h.spi == 0) return ParseError::ZeroSpi;
  return h;
}

struct EspTrailer {
  uint8_t pad_length;
  uint8_t next_header;
  uint32_t payload_length;  // bytes of the protected payload before the padding
};

// RFC 4303 §2.4's default padding, 1, 2, ..., 255: the first n bytes are the padding of
// length n.
inline constexpr std::array<uint8_t, 255> kEspDefaultPadding = [] {
  std::array<uint8_t, 255> a{};
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i + 1);
  return a;
}();

// Decodes the trailer at the end of the decrypted `plaintext` (payload + padding + 2 bytes).
// RFC 4303 §2.4: the padding, when the default scheme is used, is 1, 2, 3, ...; a receiver
// that checks it (we do) rejects anything else.
inline Result<EspTrailer> decode_esp_trailer(const uint8_t* plaintext, uint32_t len) {
  if (len < kEspTrailerLen) return ParseError::Truncated;
  EspTrailer t{plaintext[len - 2], plaintext[len - 1], 0};
  if (uint32_t{t.pad_length} + kEspTrailerLen > len) return ParseError::BadPadding;
  t.payload_length = len - kEspTrailerLen - t.pad_length;
  // Word-wide (bytes_equal): a 16-byte block's padding, at most 15 bytes, is two compares.
  if (!bytes_equal(plaintext + t.payload_length, kEspDefaultPadding.data(), t.pad_length)) {
    return ParseError::BadPadding;
  }
  return t;
}

// Padding for an ESP payload of `len` bytes so that payload + pad + 2 is a multiple of `align`,
// a power of two (4 or a cipher's block size, RFC 4303 §2.4): a mask, not a division.
constexpr uint32_t esp_pad_length(uint32_t len, uint32_t align) {
  return (0u - (len + kEspTrailerLen)) & (align - 1);
}
static_assert(esp_pad_length(0, 16) == 14 && esp_pad_length(14, 16) == 0 && esp_pad_length(15, 16) == 15);
static_assert(esp_pad_length(2, 4) == 0 && esp_pad_length(3, 8) == 3);

// RFC 3948 §2: what follows the UDP header on port 4500.
enum class NatTKind : uint8_t {
  Esp,            // first 32 bits non-zero: an ESP header (§2.1)
  NonEspMarker,   // four zero bytes: IKE follows (§2.2)
  Keepalive,      // one byte 0xFF (§2.3)
};

inline Result<NatTKind> classify_natt_payload(ByteReader r) {
  if (r.remaining() == 1 && *r.peek_u8() == 0xff) return NatTKind::Keepalive;
  if (r.remaining() < 4) return ParseError::Truncated;
  auto marker = *ByteReader(r).read_be32();
  return marker == 0 ? NatTKind::NonEspMarker : NatTKind::Esp;
}

}  // namespace l2tpgw::wire
