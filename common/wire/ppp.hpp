// SPDX-License-Identifier: Apache-2.0
// PPP framing inside L2TP (RFC 1661 §2, RFC 2661 §3.1): address/control and protocol field.
#pragma once

#include <cstdint>

#include "common/byte_reader.hpp"
#include "common/wire/parse_error.hpp"

namespace l2tpgw::wire {

inline constexpr uint16_t kPppIpv4 = 0x0021;    // RFC 1332
inline constexpr uint16_t kPppIpv6 = 0x0057;
inline constexpr uint16_t kPppCcp = 0x80fd;
inline constexpr uint16_t kPppIpcp = 0x8021;
inline constexpr uint16_t kPppLcp = 0xc021;
inline constexpr uint16_t kPppPap = 0xc023;
inline constexpr uint16_t kPppChap = 0xc223;
inline constexpr uint8_t kPppAddress = 0xff;    // All-Stations (RFC 1662 §3.1)
inline constexpr uint8_t kPppControl = 0x03;    // Unnumbered Information

struct PppHeader {
  uint16_t protocol;
  uint8_t header_len;  // 1..4: [FF 03] + 1 or 2 protocol bytes
};

// Address and Control may be absent (ACFC, RFC 1661 §6.6) and the Protocol may be one byte
// (PFC, §6.5). RFC 1661 §2: protocol values are odd in the low byte and even in the high byte,
// so a first byte with its low bit set is a compressed one-byte protocol.
inline Result<PppHeader> decode_ppp(ByteReader r) {
  PppHeader h{};
  auto b0 = r.peek_u8(0);
  if (!b0) return ParseError::Truncated;
  if (*b0 == kPppAddress) {
    auto b1 = r.peek_u8(1);
    if (!b1) return ParseError::Truncated;
    if (*b1 != kPppControl) return ParseError::BadFlags;
    r.skip(2);
    h.header_len = 2;
  }
  auto p0 = r.read_u8();
  if (!p0) return ParseError::Truncated;
  if (*p0 & 0x01) {
    h.protocol = *p0;
    h.header_len += 1;
  } else {
    auto p1 = r.read_u8();
    if (!p1) return ParseError::Truncated;
    if (!(*p1 & 0x01)) return ParseError::BadProtocol;
    h.protocol = static_cast<uint16_t>((*p0 << 8) | *p1);
    h.header_len += 2;
  }
  return h;
}

}  // namespace l2tpgw::wire
