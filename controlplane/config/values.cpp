// SPDX-License-Identifier: Apache-2.0
// Scalar values of the RTX command language: numbers, ranges, IPv4 addresses and prefixes.
#include "controlplane/config/values.hpp"

#include "common/ipv4_text.hpp"

namespace l2tpgw::cp::config {

std::optional<uint32_t> parse_uint(std::string_view s, uint32_t max) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return std::nullopt;
  return static_cast<uint32_t>(v);
}

std::optional<IdRange> parse_id_range(std::string_view s, uint32_t min, uint32_t max) {
  const size_t dash = s.find('-');
  std::optional<uint32_t> a, b;
  if (dash == std::string_view::npos) {
    a = b = parse_uint(s, max);
  } else {
    a = parse_uint(s.substr(0, dash), max);
    b = parse_uint(s.substr(dash + 1), max);
  }
  if (!a || !b || *a < min || *b < min || *a > *b) return std::nullopt;
  return IdRange{*a, *b};
}

std::optional<Ipv4> parse_ipv4(std::string_view s) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    const size_t dot = s.find('.');
    const std::string_view octet = i < 3 ? s.substr(0, dot) : s;
    if (i < 3 && dot == std::string_view::npos) return std::nullopt;
    const auto o = parse_uint(octet, 255);
    if (!o) return std::nullopt;
    v = v << 8 | *o;
    if (i < 3) s.remove_prefix(dot + 1);
  }
  return Ipv4{v};
}

std::optional<Ipv4Prefix> parse_ipv4_prefix(std::string_view s) {
  const size_t slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto addr = parse_ipv4(s.substr(0, slash));
  if (!addr) return std::nullopt;
  const std::string_view len = s.substr(slash + 1);
  if (const auto n = parse_uint(len, 32)) return Ipv4Prefix{*addr, static_cast<uint8_t>(*n)};
  // A netmask: ones then zeros.
  const auto mask = parse_ipv4(len);
  if (!mask) return std::nullopt;
  const uint32_t m = mask->value;
  if ((~m & (~m + 1)) != 0) return std::nullopt;  // ~m must be 2^k - 1
  uint8_t ones = 0;
  for (uint32_t b = m; b & 0x80000000u; b <<= 1) ++ones;
  return Ipv4Prefix{*addr, ones};
}

std::optional<Ipv4Range> parse_ipv4_range(std::string_view s) {
  const size_t dash = s.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto a = parse_ipv4(s.substr(0, dash));
  const auto b = parse_ipv4(s.substr(dash + 1));
  if (!a || !b || b->value < a->value) return std::nullopt;
  return Ipv4Range{*a, *b};
}

std::string format_ipv4(Ipv4 a) {
  return ::l2tpgw::format_ipv4(a.value);
}

std::string format_prefix(const Ipv4Prefix& p) {
  return format_ipv4(p.address) + "/" + std::to_string(p.length);
}

bool is_network(const Ipv4Prefix& p) {
  const uint32_t host = p.length >= 32 ? 0 : (0xffffffffu >> p.length);
  return (p.address.value & host) == 0;
}

bool is_hostname(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  bool only_digits_and_dots = true;
  for (char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != '-' && c != '.') return false;
    if ((c < '0' || c > '9') && c != '.') only_digits_and_dots = false;
  }
  return !only_digits_and_dots;
}

std::string format_id_ranges(const std::vector<uint32_t>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += std::to_string(ids[i]);
    if (j > i) out += "-" + std::to_string(ids[j]);
    i = j + 1;
  }
  return out;
}

std::string pp_name(uint16_t id) {
  return id == kPpAnonymous ? "pp anonymous" : "pp " + std::to_string(id);
}

}  // namespace l2tpgw::cp::config
