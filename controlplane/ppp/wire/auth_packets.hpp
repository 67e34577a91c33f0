// SPDX-License-Identifier: Apache-2.0
// PAP (RFC 1334 §2.2) and CHAP (RFC 1994 §4) packets, with the MS-CHAP (RFC 2433 §3, §4)
// and MS-CHAP-V2 (RFC 2759 §3, §4) Response values. Both use the RFC 1661 §5 header:
// decode_cp_packet() first, then these on its result.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "controlplane/ppp/wire/cp_packet.hpp"

namespace l2tpgw::cp::ppp {

// RFC 1334 §2.2.
enum class PapCode : uint8_t { AuthReq = 1, AuthAck = 2, AuthNak = 3 };

// RFC 1334 §2.2.1 Authenticate-Request.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Code      |  Identifier   |            Length             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  | Peer-ID Length|  Peer-Id ...
//  +-+-+-+-+-+-+-+-+-+-+-+-+
//  | Passwd-Length |  Password ...
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Octets after the Password (within Length) are ignored, as pppd does.
struct PapAuthRequest {
  std::span<const uint8_t> peer_id;
  std::span<const uint8_t> password;
};
PppResult<PapAuthRequest> decode_pap_auth_request(const CpPacket& p);

// RFC 1334 §2.2.2 Authenticate-Ack/Nak: Msg-Length, Message.
std::vector<uint8_t> build_pap_reply(PapCode code, uint8_t identifier, std::string_view message);
// RFC 1334 §2.2.1 (the peer's side; the tests' scripted clients send it).
std::vector<uint8_t> build_pap_auth_request(uint8_t identifier, std::string_view peer_id,
                                            std::string_view password);
// Authenticate-Ack/Nak Message (the tests read it).
PppResult<std::span<const uint8_t>> decode_pap_reply(const CpPacket& p);

// RFC 1994 §4.
enum class ChapCode : uint8_t { Challenge = 1, Response = 2, Success = 3, Failure = 4 };

// RFC 1994 §4.1 Challenge and Response.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Code      |  Identifier   |            Length             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Value-Size   |  Value ...
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Name ...
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Value-Size is the length of the Value field: a Value-Size of 0, or one past the data, is
// refused. Name is the rest of the packet.
struct ChapValueName {
  std::span<const uint8_t> value;
  std::span<const uint8_t> name;
};
PppResult<ChapValueName> decode_chap_value_name(const CpPacket& p);
std::vector<uint8_t> build_chap_value_name(ChapCode code, uint8_t identifier,
                                           std::span<const uint8_t> value, std::string_view name);
// RFC 1994 §4.2 Success and Failure: Message is the rest of the packet.
std::vector<uint8_t> build_chap_message(ChapCode code, uint8_t identifier, std::string_view message);

// RFC 2433 §4 MS-CHAP Response Value (Value-Size 49).
//   24 octets: LAN Manager compatible challenge response
//   24 octets: Windows NT compatible challenge response
//    1 octet : "use Windows NT compatible challenge response" flag
inline constexpr size_t kMsChapV1ResponseLen = 49;
struct MsChapV1Response {
  std::span<const uint8_t> lm_response;  // 24; ignored (RFC 2433 §12: LM is broken)
  std::span<const uint8_t> nt_response;  // 24
  uint8_t use_nt = 0;                    // 1: nt_response is valid
};
PppResult<MsChapV1Response> decode_ms_chap_v1_response(std::span<const uint8_t> value);

// RFC 2759 §4 MS-CHAP-V2 Response Value (Value-Size 49).
//   16 octets: Peer-Challenge
//    8 octets: Reserved, must be zero
//   24 octets: NT-Response
//    1 octet : Flags (must be zero)
inline constexpr size_t kMsChapV2ResponseLen = 49;
struct MsChapV2Response {
  std::span<const uint8_t> peer_challenge;  // 16
  std::span<const uint8_t> reserved;        // 8
  std::span<const uint8_t> nt_response;     // 24
  uint8_t flags = 0;
};
PppResult<MsChapV2Response> decode_ms_chap_v2_response(std::span<const uint8_t> value);

}  // namespace l2tpgw::cp::ppp
