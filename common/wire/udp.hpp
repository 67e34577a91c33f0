// SPDX-License-Identifier: Apache-2.0
// UDP header (RFC 768) and the ports this appliance listens on.
#pragma once

#include <cstdint>

#include "common/byte_reader.hpp"
#include "common/wire/parse_error.hpp"

namespace l2tpgw::wire {

inline constexpr uint16_t kPortIke = 500;      // RFC 2409
inline constexpr uint16_t kPortIkeNatT = 4500; // RFC 3947/3948
inline constexpr uint16_t kPortL2tp = 1701;    // RFC 2661 §8.1

//  0      7 8     15 16    23 24    31
// +--------+--------+--------+--------+
// |     Source      |   Destination   |
// |      Port       |      Port       |
// +--------+--------+--------+--------+
// |                 |                 |
// |     Length      |    Checksum     |
// +--------+--------+--------+--------+
struct UdpHeader {
  uint16_t src_port;
  uint16_t dst_port;
  uint16_t length;  // header + payload
  uint16_t checksum;
};

// Validation: 8 <= length <= bytes available (the enclosing IPv4 payload).
inline Result<UdpHeader> decode_udp(ByteReader r) {
  if (r.remaining() < 8) return ParseError::Truncated;
  UdpHeader h{*r.read_be16(), *r.read_be16(), *r.read_be16(), *r.read_be16()};
  if (h.length < 8 || h.length > r.remaining() + 8) return ParseError::BadLengthField;
  return h;
}

}  // namespace l2tpgw::wire
