// SPDX-License-Identifier: Apache-2.0
// PPP control packet header and option list (RFC 1661 §5, §6).
#include "controlplane/ppp/wire/cp_packet.hpp"

#include "common/byte_reader.hpp"

namespace l2tpgw::cp::ppp {

std::string_view to_string(CpCode c) {
  switch (c) {
    case CpCode::ConfReq: return "Configure-Request";
    case CpCode::ConfAck: return "Configure-Ack";
    case CpCode::ConfNak: return "Configure-Nak";
    case CpCode::ConfRej: return "Configure-Reject";
    case CpCode::TermReq: return "Terminate-Request";
    case CpCode::TermAck: return "Terminate-Ack";
    case CpCode::CodeRej: return "Code-Reject";
    case CpCode::ProtRej: return "Protocol-Reject";
    case CpCode::EchoReq: return "Echo-Request";
    case CpCode::EchoRep: return "Echo-Reply";
    case CpCode::DiscardReq: return "Discard-Request";
    case CpCode::Identification: return "Identification";
    case CpCode::TimeRemaining: return "Time-Remaining";
  }
  return "?";
}

PppResult<CpPacket> decode_cp_packet(std::span<const uint8_t> bytes) {
  ByteReader r(bytes);
  const auto code = r.read_u8();
  const auto id = r.read_u8();
  const auto length = r.read_be16();
  if (!code || !id || !length) return PppParseError::Truncated;
  // §5: the Length claim is checked against the header minimum, then against what arrived.
  if (*length < kCpHeaderLen) return PppParseError::BadLength;
  if (*length > bytes.size()) return PppParseError::Truncated;
  CpPacket p;
  p.code = *code;
  p.identifier = *id;
  p.packet = bytes.first(*length);
  p.data = p.packet.subspan(kCpHeaderLen);
  return p;
}

PppResult<std::vector<CpOption>> decode_options(std::span<const uint8_t> data) {
  std::vector<CpOption> out;
  ByteReader r(data);
  while (!r.empty()) {
    const size_t at = r.position();
    const auto type = r.read_u8();
    const auto len = r.read_u8();
    if (!type || !len) return PppParseError::BadOptionLength;  // a lone Type octet at the end
    if (*len < kCpOptionHeaderLen) return PppParseError::BadOptionLength;
    const size_t value_len = size_t{*len} - kCpOptionHeaderLen;  // after the comparison
    auto value = r.take(value_len);
    if (!value) return PppParseError::BadOptionLength;
    CpOption o;
    o.type = *type;
    o.value = value->rest();
    o.raw = data.subspan(at, *len);
    out.push_back(o);
  }
  return out;
}

void CpPacketBuilder::option(uint8_t type, std::span<const uint8_t> value) {
  // Options built here are fixed-size; a longer value is a programming error, cut rather than
  // let the Length octet wrap.
  const size_t n = value.size() > 253 ? 253 : value.size();
  u8(type);
  u8(static_cast<uint8_t>(kCpOptionHeaderLen + n));
  bytes(value.first(n));
}

void CpPacketBuilder::option_u16(uint8_t type, uint16_t v) {
  const uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  option(type, b);
}

void CpPacketBuilder::option_u32(uint8_t type, uint32_t v) {
  const uint8_t b[4] = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                        static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  option(type, b);
}

std::vector<uint8_t> CpPacketBuilder::finish() && {
  if (buf_.size() > 0xffff) buf_.resize(0xffff);
  buf_[2] = static_cast<uint8_t>(buf_.size() >> 8);
  buf_[3] = static_cast<uint8_t>(buf_.size());
  return std::move(buf_);
}

}  // namespace l2tpgw::cp::ppp
