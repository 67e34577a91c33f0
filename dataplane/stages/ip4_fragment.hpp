// SPDX-License-Identifier: Apache-2.0
// IPv4 fragmentation (RFC 791 §2.3, §3.2): a plan over one packet, then each fragment written
// into a buffer the caller owns. Byte logic only (no DPDK), so it is unit-tested and fuzzed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/byte_reader.hpp"

namespace l2tpgw::dp {

// RFC 791 §3.2: "Every internet module must be able to forward a datagram of 68 octets without
// further fragmentation" (a 60-byte header and 8 bytes of data).
inline constexpr uint16_t kIpv4MinMtu = 68;

// A packet is cut into at most this many fragments. One 2 KB mbuf at the minimum MTU of 68
// makes 43 (2028 bytes of data, 48 per fragment), so only a bigger buffer could hit it.
inline constexpr uint16_t kMaxFragments = 64;

enum class FragError : uint8_t {
  None = 0,
  Malformed,         // not a valid IPv4 header, or the last offset would not fit 13 bits
  BadOptions,        // an option's length field runs past the header (RFC 791 §3.1)
  MtuTooSmall,       // fewer than 8 data bytes would fit beside the header
  TooManyFragments,  // more than kMaxFragments
};

// How one packet is cut. Fragment 0 keeps the original header with every option; fragments
// 1.. carry the options whose copied flag is set (RFC 791 §3.1, option-type bit 0), padded to
// a 32-bit boundary. Every fragment but the last carries a multiple of 8 data bytes.
struct FragPlan {
  const uint8_t* ip = nullptr;  // the original packet (header + data); not owned
  uint16_t ihl = 0;             // fragment 0's header length: the original's
  uint16_t rest_ihl = 0;        // fragments 1..'s header length (20 + copied options + pad)
  uint16_t data_len = 0;        // the original's data bytes (total length - ihl)
  uint16_t first_data = 0;      // data bytes in fragment 0
  uint16_t rest_data = 0;       // data bytes in each of fragments 1.. but the last
  uint16_t count = 0;           // fragments
  uint16_t base_offset = 0;     // the original's own offset (8-byte units): a fragment may be cut again
  bool last_mf = false;         // the original's MF: the last fragment inherits it
  uint8_t rest_options[40] = {};

  // Where fragment k's data starts in the original's data, and how much it carries.
  uint32_t data_offset(uint16_t k) const {
    return k == 0 ? 0u : first_data + uint32_t{rest_data} * (k - 1u);
  }
  uint16_t fragment_data(uint16_t k) const {
    const uint32_t off = data_offset(k);
    const uint32_t left = data_len - off;
    const uint32_t cap = k == 0 ? first_data : rest_data;
    return static_cast<uint16_t>(left < cap ? left : cap);
  }
  uint16_t header_len(uint16_t k) const { return k == 0 ? ihl : rest_ihl; }
  uint16_t fragment_len(uint16_t k) const {
    return static_cast<uint16_t>(header_len(k) + fragment_data(k));
  }
};

// Plans the fragments of `packet` (an IPv4 packet of at least its total length) for a link of
// `mtu` bytes. The DF bit is the caller's business: this cuts whatever it is given. A packet
// that already fits gives a plan of one fragment.
FragError plan_ipv4_fragments(ByteReader packet, uint16_t mtu, FragPlan* plan);

// Writes fragment k (1 <= k < count) into `out`: its header (total length, MF, offset and
// checksum set) and its slice of the data. Returns the bytes written, or 0 if `out` is too
// small.
size_t write_ipv4_fragment(const FragPlan& plan, uint16_t k, std::span<uint8_t> out);

// Turns the original packet, in place, into fragment 0: total length, MF and checksum are
// rewritten; the caller then trims the buffer to plan.fragment_len(0). Call it after every
// other fragment has been written, since they read their data from the original.
void make_first_fragment(uint8_t* ip, const FragPlan& plan);

}  // namespace l2tpgw::dp
