// SPDX-License-Identifier: Apache-2.0
// BasicAvp: one Attribute Value Pair as L2TPv2 (RFC 2661 §4.1) and L2TPv3 (RFC 3931 §5.1)
// both lay it out (M and H bits, Length, Vendor ID, Attribute Type, value), over each
// version's attribute-type enum. What a hidden value holds (revealed or not) is the version's
// codec's business, said where it decodes. The wire layout itself (read_avp, put_avp_header)
// and the typed AVP writers (BasicAvpWriter) are shared by both codecs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/byte_reader.hpp"

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

inline constexpr size_t kAvpHeaderLen = 6;
inline constexpr uint16_t kAvpM = 0x8000, kAvpH = 0x4000, kAvpLength = 0x03FF;  // 0x3C00: reserved
inline constexpr size_t kMaxAvpValue = kAvpLength - kAvpHeaderLen;

// One AVP as it is on the wire: the header's fields and the value as sent (hidden or not).
struct WireAvp {
  bool mandatory = false, hidden = false;
  uint16_t vendor = 0, type = 0;
  std::span<const uint8_t> value;
};
enum class AvpReadError : uint8_t { Truncated, BadLength };

// The next AVP of a control message body. The reserved bits are ignored: "MUST be set to 0",
// nothing says to refuse. nullopt with `*error` when the body ends inside the AVP or its
// Length is shorter than its header.
inline std::optional<WireAvp> read_avp(ByteReader& body, AvpReadError* error) {
  auto word = body.read_be16();
  auto vendor = body.read_be16();
  auto type = body.read_be16();
  if (!type) {
    *error = AvpReadError::Truncated;
    return std::nullopt;
  }
  const size_t len = *word & kAvpLength;
  if (len < kAvpHeaderLen) {
    *error = AvpReadError::BadLength;
    return std::nullopt;
  }
  auto value = body.take(len - kAvpHeaderLen);
  if (!value) {
    *error = AvpReadError::Truncated;
    return std::nullopt;
  }
  return WireAvp{(*word & kAvpM) != 0, (*word & kAvpH) != 0, *vendor, *type, value->rest()};
}

// The typed AVP readers of a decoded control message over its find(type) (CRTP: `Message`
// derives from this): the first such AVP's value as a 2-, 4- or 8-octet integer.
template <class Message, class Type>
struct BasicAvpLookup {
  std::optional<uint16_t> u16(Type t) const {
    const auto* a = self().find(t);
    return a ? a->u16() : std::nullopt;
  }
  std::optional<uint32_t> u32(Type t) const {
    const auto* a = self().find(t);
    return a ? a->u32() : std::nullopt;
  }
  std::optional<uint64_t> u64(Type t) const {
    const auto* a = self().find(t);
    return a ? a->u64() : std::nullopt;
  }

 private:
  const Message& self() const { return static_cast<const Message&>(*this); }
};

inline void put_be16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

inline void put_avp_header(std::vector<uint8_t>& out, bool mandatory, bool hidden, size_t value_len,
                           uint16_t vendor, uint16_t type) {
  const size_t len = kAvpHeaderLen + value_len;
  put_be16(out, static_cast<uint16_t>((mandatory ? kAvpM : 0) | (hidden ? kAvpH : 0) | (len & kAvpLength)));
  put_be16(out, vendor);
  put_be16(out, type);
}

// The typed AVP writers of a control message builder over its raw(vendor, type, value,
// mandatory), in the order the caller gives them (CRTP: `Builder` derives from this).
template <class Builder, class Type>
class BasicAvpWriter {
 public:
  Builder& bytes(Type t, std::span<const uint8_t> v, bool mandatory = true) {
    return static_cast<Builder&>(*this).raw(0, static_cast<uint16_t>(t), v, mandatory);
  }
  Builder& u16(Type t, uint16_t v, bool mandatory = true) {
    const uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    return bytes(t, b, mandatory);
  }
  Builder& u32(Type t, uint32_t v, bool mandatory = true) {
    const uint8_t b[4] = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                          static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    return bytes(t, b, mandatory);
  }
  Builder& u64(Type t, uint64_t v, bool mandatory = true) {
    uint8_t b[8];
    for (int i = 7; i >= 0; --i, v >>= 8) b[i] = static_cast<uint8_t>(v);
    return bytes(t, b, mandatory);
  }
  Builder& text(Type t, std::string_view v, bool mandatory = true) {
    return bytes(t, {reinterpret_cast<const uint8_t*>(v.data()), v.size()}, mandatory);
  }
  // Result Code (RFC 2661 §4.4.2, RFC 3931 §5.4.2): result, then the error code when there is
  // one or a message follows, then the message. Always mandatory.
  Builder& result(uint16_t result, std::optional<uint16_t> error = std::nullopt,
                  std::string_view message = {}) {
    std::vector<uint8_t> v;
    put_be16(v, result);
    if (error || !message.empty()) put_be16(v, error.value_or(0));
    v.insert(v.end(), message.begin(), message.end());
    return bytes(Type::ResultCode, v, true);
  }
};

}  // namespace l2tpgw::cp::l2tp
