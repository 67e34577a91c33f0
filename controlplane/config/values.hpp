// SPDX-License-Identifier: Apache-2.0
// Scalar values of the RTX command language: numbers, ranges, IPv4 addresses and prefixes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/config/model.hpp"

namespace l2tpgw::cp::config {

// A decimal number without sign or leading zeros ("0" itself is fine), at most `max`.
std::optional<uint32_t> parse_uint(std::string_view s, uint32_t max);

// "N" or "N-M" with N <= M, both in [min, max].
struct IdRange {
  uint32_t first = 0, last = 0;
};
std::optional<IdRange> parse_id_range(std::string_view s, uint32_t min, uint32_t max);

// Dotted quad, four decimal octets 0..255 without leading zeros (a leading zero reads as octal
// to some parsers; refusing it avoids the ambiguity).
std::optional<Ipv4> parse_ipv4(std::string_view s);
// "A.B.C.D/LEN" (0..32) or "A.B.C.D/M.M.M.M" with a contiguous mask.
std::optional<Ipv4Prefix> parse_ipv4_prefix(std::string_view s);
// "A.B.C.D-E.F.G.H" with first <= last.
std::optional<Ipv4Range> parse_ipv4_range(std::string_view s);

std::string format_ipv4(Ipv4 a);
std::string format_prefix(const Ipv4Prefix& p);

// True when the bits past the prefix length are zero (a network, not a host address).
bool is_network(const Ipv4Prefix& p);

// A hostname as `ipsec ike remote address` accepts it: letters, digits, '-' and '.', at most
// 255 characters, not all digits and dots (that would be a broken address instead).
bool is_hostname(std::string_view s);

// Ascending ids as runs: {1, 2, 3, 5} -> "1-3, 5".
std::string format_id_ranges(const std::vector<uint32_t>& ids);

// "pp anonymous" or "pp 2", as messages name a pp.
std::string pp_name(uint16_t id);

}  // namespace l2tpgw::cp::config
