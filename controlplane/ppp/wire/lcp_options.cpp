// SPDX-License-Identifier: Apache-2.0
// LCP option decoders (RFC 1661 §6, RFC 1662 §7.1, RFC 1994 §3).
#include "controlplane/ppp/wire/lcp_options.hpp"

#include "common/byte_reader.hpp"

namespace l2tpgw::cp::ppp {

std::string_view to_string(AuthProtocol p) {
  switch (p) {
    case AuthProtocol::Pap: return "PAP";
    case AuthProtocol::ChapMd5: return "CHAP";
    case AuthProtocol::MsChapV1: return "MSCHAP";
    case AuthProtocol::MsChapV2: return "MSCHAP-V2";
  }
  return "?";
}

namespace {

// An option of exactly `len` octets (Type and Length included).
bool sized(const CpOption& o, uint8_t len) { return o.raw.size() == len; }

}  // namespace

PppResult<uint16_t> decode_mru(const CpOption& o) {
  if (!sized(o, kLcpMruLen)) return PppParseError::BadOptionSize;
  return *ByteReader(o.value).read_be16();
}

PppResult<uint32_t> decode_accm(const CpOption& o) {
  if (!sized(o, kLcpAccmLen)) return PppParseError::BadOptionSize;
  return *ByteReader(o.value).read_be32();
}

PppResult<uint32_t> decode_magic_number(const CpOption& o) {
  if (!sized(o, kLcpMagicLen)) return PppParseError::BadOptionSize;
  return *ByteReader(o.value).read_be32();
}

PppResult<AuthProtocolOption> decode_auth_protocol(const CpOption& o) {
  ByteReader r(o.value);
  const auto proto = r.read_be16();
  if (!proto) return PppParseError::BadOptionSize;
  return AuthProtocolOption{*proto, r.rest()};
}

PppResult<bool> decode_flag_option(const CpOption& o) {
  if (!sized(o, kLcpFlagLen)) return PppParseError::BadOptionSize;
  return true;
}

std::optional<AuthProtocol> auth_protocol_of(const AuthProtocolOption& a) {
  if (a.protocol == kProtoPap) {
    if (!a.data.empty()) return std::nullopt;
    return AuthProtocol::Pap;
  }
  if (a.protocol != kProtoChap || a.data.size() != 1) return std::nullopt;
  switch (a.data[0]) {
    case kChapAlgorithmMd5: return AuthProtocol::ChapMd5;
    case kChapAlgorithmMsChapV1: return AuthProtocol::MsChapV1;
    case kChapAlgorithmMsChapV2: return AuthProtocol::MsChapV2;
    default: return std::nullopt;
  }
}

void put_auth_protocol(CpPacketBuilder& b, AuthProtocol p) {
  const auto t = static_cast<uint8_t>(LcpOption::AuthProtocol);
  switch (p) {
    case AuthProtocol::Pap: b.option_u16(t, kProtoPap); return;
    case AuthProtocol::ChapMd5: {
      const uint8_t v[3] = {0xc2, 0x23, kChapAlgorithmMd5};
      b.option(t, v);
      return;
    }
    case AuthProtocol::MsChapV1: {
      const uint8_t v[3] = {0xc2, 0x23, kChapAlgorithmMsChapV1};
      b.option(t, v);
      return;
    }
    case AuthProtocol::MsChapV2: {
      const uint8_t v[3] = {0xc2, 0x23, kChapAlgorithmMsChapV2};
      b.option(t, v);
      return;
    }
  }
}

PppResult<bool> check_lcp_option_size(const CpOption& o) {
  switch (static_cast<LcpOption>(o.type)) {
    case LcpOption::Mru:
      if (!decode_mru(o)) return PppParseError::BadOptionSize;
      break;
    case LcpOption::Accm:
      if (!decode_accm(o)) return PppParseError::BadOptionSize;
      break;
    case LcpOption::MagicNumber:
      if (!decode_magic_number(o)) return PppParseError::BadOptionSize;
      break;
    case LcpOption::AuthProtocol:
      if (!decode_auth_protocol(o)) return PppParseError::BadOptionSize;
      break;
    case LcpOption::Pfc:
    case LcpOption::Acfc:
      if (!decode_flag_option(o)) return PppParseError::BadOptionSize;
      break;
    default: break;
  }
  return true;
}

}  // namespace l2tpgw::cp::ppp
