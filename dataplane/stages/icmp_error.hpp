// SPDX-License-Identifier: Apache-2.0
// ICMP error messages a router sends (RFC 792, RFC 1191, RFC 1812 §4.3.2): when one may be sent
// at all, and the message itself written into a caller-owned buffer. Byte logic only (no DPDK).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/byte_reader.hpp"

namespace l2tpgw::dp {

// RFC 792 types and codes used here.
inline constexpr uint8_t kIcmpEchoReply = 0;
inline constexpr uint8_t kIcmpDestUnreachable = 3;
inline constexpr uint8_t kIcmpCodeFragNeeded = 4;  // "fragmentation needed and DF set"
inline constexpr uint8_t kIcmpEchoRequest = 8;
inline constexpr uint8_t kIcmpTimeExceeded = 11;
inline constexpr uint8_t kIcmpCodeTtlExceeded = 0;  // "time to live exceeded in transit"

// IPv4 header (20, no options) + ICMP header (8) + the original's header (<= 60) and first 64
// bits of its data (RFC 792).
inline constexpr size_t kIcmpErrorMaxLen = 20 + 8 + 60 + 8;

// Why no error is sent about a packet (RFC 1812 §4.3.2.7 "An ICMP error message MUST NOT be
// sent as the result of receiving: ..."), or Send.
enum class IcmpVerdict : uint8_t {
  Send = 0,
  Malformed,          // the original is not a whole IPv4 header: nothing to quote
  IcmpError,          // "an ICMP error message" (or an ICMP type we do not know as a query)
  NotFirstFragment,   // "a datagram which is not the first fragment"
  LinkBroadcast,      // "a packet sent as a Link Layer broadcast or multicast"
  DstNotUnicast,      // "a datagram destined to an IP broadcast or IP multicast address"
  SrcNotUnicast,      // "a datagram whose source address does not define a single host"
};

// Whether an ICMP error may be sent about `orig` (its IPv4 header and at least the first 8
// bytes of data when there are some). `l2_multicast`: it arrived in an Ethernet broadcast or
// multicast frame. `subnet_broadcast`: a directed broadcast address of a connected subnet (0
// if none), treated as a broadcast in both source and destination.
IcmpVerdict icmp_error_verdict(ByteReader orig, bool l2_multicast, uint32_t subnet_broadcast);

struct IcmpErrorSpec {
  uint8_t type;
  uint8_t code;
  uint16_t next_hop_mtu;  // Destination Unreachable / Fragmentation Needed (RFC 1191 §4), else 0
  uint32_t src;           // our address the message comes from (host order)
  uint16_t ip_id;         // Identification of the message's own IPv4 header
};

// Writes the error about `orig` into `out`:
//
//   IPv4 (src -> orig.src, TTL 64, precedence 6 per RFC 1812 §4.3.2.5, DF clear)
//   | Type | Code | Checksum | unused (16) or 0 | Next-Hop MTU (16) |   RFC 792 / RFC 1191 §4
//   | the original's IPv4 header, options included, and its first 64 bits of data |
//
// Returns the message length, or 0 if `orig` is not a valid IPv4 header or `out` is too small.
size_t build_icmp_error(ByteReader orig, const IcmpErrorSpec& spec, std::span<uint8_t> out);

}  // namespace l2tpgw::dp
