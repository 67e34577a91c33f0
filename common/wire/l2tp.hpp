// SPDX-License-Identifier: Apache-2.0
// L2TPv2 header (RFC 2661 §3.1): flags, ids, optional Length, Ns/Nr and Offset.
#pragma once

#include <cstdint>

#include "common/byte_reader.hpp"
#include "common/wire/parse_error.hpp"

namespace l2tpgw::wire {

//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |T|L|x|x|S|x|O|P|x|x|x|x|  Ver  |          Length (opt)         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           Tunnel ID           |           Session ID          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |             Ns (opt)          |             Nr (opt)          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |      Offset Size (opt)        |    Offset pad... (opt)
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
inline constexpr uint16_t kL2tpFlagT = 0x8000;  // control message
inline constexpr uint16_t kL2tpFlagL = 0x4000;  // Length present
inline constexpr uint16_t kL2tpFlagS = 0x0800;  // Ns/Nr present
inline constexpr uint16_t kL2tpFlagO = 0x0200;  // Offset Size present
inline constexpr uint16_t kL2tpFlagP = 0x0100;  // priority (data only)
inline constexpr uint16_t kL2tpVersionMask = 0x000f;
inline constexpr uint16_t kL2tpVersion2 = 2;
inline constexpr uint16_t kL2tpVersion3 = 3;     // RFC 3931 over UDP
// Reserved bits that RFC 2661 §3.1 says must be 0.
inline constexpr uint16_t kL2tpReservedMask = 0x34f0;

constexpr bool l2tp_is_control(uint16_t flags) { return (flags & kL2tpFlagT) != 0; }
constexpr uint16_t l2tp_version(uint16_t flags) { return flags & kL2tpVersionMask; }

struct L2tpHeader {
  uint16_t flags;
  uint16_t length;      // valid when kL2tpFlagL
  uint16_t tunnel_id;
  uint16_t session_id;
  uint16_t ns, nr;      // valid when kL2tpFlagS
  uint16_t header_len;  // bytes up to the payload (after the offset pad)
  uint16_t payload_len;
};

// Decodes an L2TPv2 header over the UDP payload in `r`. Validation (RFC 2661 §3.1): version 2;
// reserved bits zero; control messages carry L and S and no O; Length, when present, covers
// at least the header and no more than the bytes available; the offset pad fits.
inline Result<L2tpHeader> decode_l2tp_v2(ByteReader r) {
  const size_t available = r.remaining();
  L2tpHeader h{};
  auto flags = r.read_be16();
  if (!flags) return ParseError::Truncated;
  h.flags = *flags;
  if (l2tp_version(h.flags) != kL2tpVersion2) return ParseError::BadVersion;
  if (h.flags & kL2tpReservedMask) return ParseError::BadFlags;
  // RFC 2661 §3.1: control messages have L and S set, O and P clear.
  if (l2tp_is_control(h.flags) &&
      ((h.flags & (kL2tpFlagL | kL2tpFlagS | kL2tpFlagO | kL2tpFlagP)) != (kL2tpFlagL | kL2tpFlagS)))
    return ParseError::BadFlags;
  if (h.flags & kL2tpFlagL) {
    auto len = r.read_be16();
    if (!len) return ParseError::Truncated;
    h.length = *len;
  }
  auto tid = r.read_be16();
  auto sid = r.read_be16();
  if (!sid) return ParseError::Truncated;
  h.tunnel_id = *tid;
  h.session_id = *sid;
  if (h.flags & kL2tpFlagS) {
    auto ns = r.read_be16();
    auto nr = r.read_be16();
    if (!nr) return ParseError::Truncated;
    h.ns = *ns;
    h.nr = *nr;
  }
  if (h.flags & kL2tpFlagO) {
    auto off = r.read_be16();
    if (!off) return ParseError::Truncated;
    if (!r.skip(*off)) return ParseError::Truncated;
  }
  // Lengths are 16 bits on the wire; a longer reader (more than any UDP payload) must not
  // wrap header_len or payload_len into small, wrong values.
  const size_t header_len = r.position();
  size_t total = available;
  if (h.flags & kL2tpFlagL) {
    if (h.length < header_len || h.length > available) return ParseError::BadLengthField;
    total = h.length;
  }
  if (header_len > 0xffff || total - header_len > 0xffff) return ParseError::BadLengthField;
  h.header_len = static_cast<uint16_t>(header_len);
  h.payload_len = static_cast<uint16_t>(total - header_len);
  return h;
}

// RFC 3931 §4.1.2.1: the L2TPv3 header over UDP. Its first 16 bits are shared with L2TPv2
// (T bit, version); then 16 reserved bits and, for a data message, the 32-bit Session ID, then
// the session's cookie (0, 4 or 8 octets) and L2-Specific Sublayer, whose lengths only the
// session knows. A control message (T set) carries the Control Connection ID there instead.
inline constexpr size_t kL2tpv3DataHeaderLen = 8;
inline constexpr uint16_t kL2tpv3DataFlags = kL2tpVersion3;  // T = 0, reserved 0, Ver = 3

struct L2tpv3Header {
  bool control;
  uint32_t id;  // data: Session ID (never 0, §4.1); control: Control Connection ID
};

// Decodes the fixed part of an L2TPv3 header over the UDP payload in `r`: version 3; in a
// data message the x bits zero and the Session ID non-zero (0 is reserved for control over IP).
inline Result<L2tpv3Header> decode_l2tpv3(ByteReader r) {
  auto flags = r.read_be16();
  if (!flags) return ParseError::Truncated;
  if (l2tp_version(*flags) != kL2tpVersion3) return ParseError::BadVersion;
  const bool control = l2tp_is_control(*flags);
  if (!control && (*flags & ~kL2tpVersionMask) != 0) return ParseError::BadFlags;
  if (control && r.remaining() >= 2) r.skip(2);  // Length (L is always set, §3.2.1)
  else if (!control && !r.skip(2)) return ParseError::Truncated;  // Reserved
  auto id = r.read_be32();
  if (!id) return ParseError::Truncated;
  if (!control && *id == 0) return ParseError::ZeroSessionId;
  return L2tpv3Header{control, *id};
}

}  // namespace l2tpgw::wire
