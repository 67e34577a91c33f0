// SPDX-License-Identifier: Apache-2.0
// BasicAvp: one Attribute Value Pair as L2TPv2 (RFC 2661 §4.1) and L2TPv3 (RFC 3931 §5.1)
// both lay it out (M and H bits, Length, Vendor ID, Attribute Type, value), over each
// version's attribute-type enum. What a hidden value holds (revealed or not) is the version's
// codec's business, said where it decodes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace l2tpgw::cp::l2tp {

template <class Type>
struct BasicAvp {
  bool mandatory = false;   // M bit
  bool hidden = false;      // H bit
  uint16_t vendor = 0;
  uint16_t type = 0;
  std::vector<uint8_t> value;

  bool is(Type t) const { return vendor == 0 && type == static_cast<uint16_t>(t); }
  // The value as a big-endian integer of exactly 2, 4 or 8 octets.
  std::optional<uint16_t> u16() const { return value.size() == 2 ? std::optional<uint16_t>(be()) : std::nullopt; }
  std::optional<uint32_t> u32() const { return value.size() == 4 ? std::optional<uint32_t>(be()) : std::nullopt; }
  std::optional<uint64_t> u64() const { return value.size() == 8 ? std::optional<uint64_t>(be()) : std::nullopt; }
  std::string_view text() const {
    return {reinterpret_cast<const char*>(value.data()), value.size()};
  }

 private:
  uint64_t be() const {
    uint64_t v = 0;
    for (uint8_t b : value) v = (v << 8) | b;
    return v;
  }
};

}  // namespace l2tpgw::cp::l2tp
