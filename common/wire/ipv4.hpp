// SPDX-License-Identifier: Apache-2.0
// IPv4 header (RFC 791 §3.1): decode + validate, checksum (RFC 1071) and incremental update (RFC 1624).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

#include "common/byte_reader.hpp"
#include "common/wire/parse_error.hpp"

namespace l2tpgw::wire {

inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoEsp = 50;
inline constexpr uint16_t kIpv4FlagDf = 0x4000;
inline constexpr uint16_t kIpv4FlagMf = 0x2000;
inline constexpr uint16_t kIpv4FragOffsetMask = 0x1fff;

//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version|  IHL  |Type of Service|          Total Length         |
//   |         Identification        |Flags|      Fragment Offset    |
//   |  Time to Live |    Protocol   |         Header Checksum       |
//   |                       Source Address                          |
//   |                    Destination Address                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct Ipv4Header {
  uint8_t ihl_bytes;
  uint8_t tos;
  uint16_t total_length;
  uint16_t id;
  uint16_t flags_frag;  // flags (3 bits) and fragment offset (13 bits, in 8-byte units)
  uint8_t ttl;
  uint8_t protocol;
  uint16_t checksum;
  uint32_t src;  // host order
  uint32_t dst;  // host order

  bool is_fragment() const { return (flags_frag & (kIpv4FlagMf | kIpv4FragOffsetMask)) != 0; }
};

// One's-complement sum over a byte range, folded (RFC 1071).
// The one's complement sum of big-endian 16-bit words (RFC 1071), `sum` added. Summed as
// native 32-bit words and byte-swapped once at the end: the sum is byte-order independent
// (RFC 1071 §2(B)), so a 20-byte header costs five adds instead of ten byte pairs.
inline uint32_t ones_sum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  static_assert(std::endian::native == std::endian::little);
  uint64_t acc = 0;
  for (; n >= 4; p += 4, n -= 4) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    acc += v;
  }
  if (n >= 2) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    acc += v;
    p += 2;
    n -= 2;
  }
  if (n) acc += p[0];  // a last odd byte is the high-order byte of its word (little-endian: low)
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return sum + static_cast<uint16_t>((acc >> 8) | (acc << 8));
}
inline uint16_t fold_checksum(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}
// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for one 16-bit field changing from m to m'.
inline uint16_t checksum_update16(uint16_t hc, uint16_t old_v, uint16_t new_v) {
  uint32_t sum = uint32_t{static_cast<uint16_t>(~hc)} + static_cast<uint16_t>(~old_v) + new_v;
  return fold_checksum(sum);
}

// Whether an IPv4 header's checksum verifies (RFC 1071 §1: the sum over the header, checksum
// included, is all ones). The 20-byte header without options, nearly every packet's, is five
// word loads and adds with no loop; the byte order of the words does not matter for all ones.
// Headers with options take the general sum, out of line so that the callers stay small
// enough to inline decode_ipv4.
[[gnu::noinline, gnu::cold]] inline bool ipv4_options_checksum_ok(const uint8_t* h, size_t ihl_bytes) {
  return fold_checksum(ones_sum(h, ihl_bytes)) == 0;
}
inline bool ipv4_header_checksum_ok(const uint8_t* h, size_t ihl_bytes) {
  if (ihl_bytes != 20) [[unlikely]] return ipv4_options_checksum_ok(h, ihl_bytes);
  uint64_t acc = 0;
  for (size_t i = 0; i < 20; i += 4) {
    uint32_t v;
    std::memcpy(&v, h + i, 4);
    acc += v;
  }
  acc = (acc & 0xffffffff) + (acc >> 32);  // 64 -> 33 bits
  acc = (acc & 0xffff) + (acc >> 16);      // -> 18 bits
  acc = (acc & 0xffff) + (acc >> 16);      // -> 17 bits
  acc = (acc & 0xffff) + (acc >> 16);      // -> 16 bits
  return acc == 0xffff;
}

// Decodes the header at the reader's cursor; `available` bytes of the packet follow it.
// Validation: version 4, IHL >= 5, IHL <= total length <= bytes available.
inline Result<Ipv4Header> decode_ipv4(ByteReader r) {
  const uint8_t* base = r.cursor();
  const size_t available = r.remaining();
  if (available < 20) return ParseError::Truncated;
  Ipv4Header h{};
  uint8_t vihl = *r.read_u8();
  if ((vihl >> 4) != 4) return ParseError::BadVersion;
  h.ihl_bytes = static_cast<uint8_t>((vihl & 0x0f) * 4);
  if (h.ihl_bytes < 20) return ParseError::BadHeaderLength;
  if (h.ihl_bytes > available) return ParseError::Truncated;
  h.tos = *r.read_u8();
  h.total_length = *r.read_be16();
  h.id = *r.read_be16();
  h.flags_frag = *r.read_be16();
  h.ttl = *r.read_u8();
  h.protocol = *r.read_u8();
  h.checksum = *r.read_be16();
  h.src = *r.read_be32();
  h.dst = *r.read_be32();
  if (h.total_length < h.ihl_bytes || h.total_length > available) return ParseError::BadTotalLength;
  if (!ipv4_header_checksum_ok(base, h.ihl_bytes)) return ParseError::BadChecksum;
  return h;
}

}  // namespace l2tpgw::wire
