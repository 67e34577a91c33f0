// SPDX-License-Identifier: Apache-2.0
// PAP (RFC 1334 §2.2) and CHAP (RFC 1994 §4, RFC 2433 §4, RFC 2759 §4) packet codecs.
#include "controlplane/ppp/wire/auth_packets.hpp"

#include <optional>

#include "common/byte_reader.hpp"

namespace l2tpgw::cp::ppp {

namespace {

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A one-octet length followed by that many octets.
std::optional<std::span<const uint8_t>> read_counted(ByteReader& r) {
  const auto n = r.read_u8();
  if (!n) return std::nullopt;
  auto field = r.take(*n);
  if (!field) return std::nullopt;
  return field->rest();
}

}  // namespace

PppResult<PapAuthRequest> decode_pap_auth_request(const CpPacket& p) {
  ByteReader r(p.data);
  const auto peer_id = read_counted(r);
  if (!peer_id) return PppParseError::BadFieldLength;
  const auto password = read_counted(r);
  if (!password) return PppParseError::BadFieldLength;
  return PapAuthRequest{*peer_id, *password};
}

std::vector<uint8_t> build_pap_reply(PapCode code, uint8_t identifier, std::string_view message) {
  if (message.size() > 255) message = message.substr(0, 255);
  CpPacketBuilder b(static_cast<uint8_t>(code), identifier);
  b.u8(static_cast<uint8_t>(message.size()));
  b.text(message);
  return std::move(b).finish();
}

std::vector<uint8_t> build_pap_auth_request(uint8_t identifier, std::string_view peer_id,
                                            std::string_view password) {
  if (peer_id.size() > 255) peer_id = peer_id.substr(0, 255);
  if (password.size() > 255) password = password.substr(0, 255);
  CpPacketBuilder b(static_cast<uint8_t>(PapCode::AuthReq), identifier);
  b.u8(static_cast<uint8_t>(peer_id.size()));
  b.text(peer_id);
  b.u8(static_cast<uint8_t>(password.size()));
  b.text(password);
  return std::move(b).finish();
}

PppResult<std::span<const uint8_t>> decode_pap_reply(const CpPacket& p) {
  ByteReader r(p.data);
  const auto msg = read_counted(r);
  if (!msg) return PppParseError::BadFieldLength;
  return *msg;
}

PppResult<ChapValueName> decode_chap_value_name(const CpPacket& p) {
  ByteReader r(p.data);
  const auto size = r.peek_u8();
  if (!size) return PppParseError::BadFieldLength;
  if (*size == 0) return PppParseError::BadValue;
  const auto value = read_counted(r);
  if (!value) return PppParseError::BadFieldLength;
  return ChapValueName{*value, r.rest()};
}

std::vector<uint8_t> build_chap_value_name(ChapCode code, uint8_t identifier,
                                           std::span<const uint8_t> value, std::string_view name) {
  if (value.size() > 255) value = value.first(255);
  CpPacketBuilder b(static_cast<uint8_t>(code), identifier);
  b.u8(static_cast<uint8_t>(value.size()));
  b.bytes(value);
  b.bytes(as_bytes(name));
  return std::move(b).finish();
}

std::vector<uint8_t> build_chap_message(ChapCode code, uint8_t identifier, std::string_view message) {
  CpPacketBuilder b(static_cast<uint8_t>(code), identifier);
  b.text(message);
  return std::move(b).finish();
}

PppResult<MsChapV1Response> decode_ms_chap_v1_response(std::span<const uint8_t> value) {
  if (value.size() != kMsChapV1ResponseLen) return PppParseError::BadFieldLength;
  MsChapV1Response m;
  m.lm_response = value.subspan(0, 24);
  m.nt_response = value.subspan(24, 24);
  m.use_nt = value[48];
  return m;
}

PppResult<MsChapV2Response> decode_ms_chap_v2_response(std::span<const uint8_t> value) {
  if (value.size() != kMsChapV2ResponseLen) return PppParseError::BadFieldLength;
  MsChapV2Response m;
  m.peer_challenge = value.subspan(0, 16);
  m.reserved = value.subspan(16, 8);
  m.nt_response = value.subspan(24, 24);
  m.flags = value[48];
  return m;
}

}  // namespace l2tpgw::cp::ppp
