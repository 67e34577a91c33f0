// SPDX-License-Identifier: Apache-2.0
// LCP configuration options (RFC 1661 §6, RFC 1662 §7.1, RFC 1994 §3, RFC 2433 §2,
// RFC 2759 §2): their types, fixed sizes and typed decoders.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "controlplane/ppp/wire/cp_packet.hpp"

namespace l2tpgw::cp::ppp {

// RFC 1661 §6 and the types peers are known to send that an LNS refuses.
enum class LcpOption : uint8_t {
  Mru = 1,                    // §6.1, Length 4
  Accm = 2,                   // RFC 1662 §7.1, Length 6
  AuthProtocol = 3,           // §6.2, Length >= 4
  QualityProtocol = 4,        // §6.3 (LQR): refused
  MagicNumber = 5,            // §6.4, Length 6
  Pfc = 7,                    // §6.5 Protocol-Field-Compression, Length 2
  Acfc = 8,                   // §6.6 Address-and-Control-Field-Compression, Length 2
  Callback = 13,              // RFC 1570 §2.3 (Windows): refused
  Mrru = 17,                  // RFC 1990 §5.1.1 multilink (Windows): refused
  ShortSequenceNumber = 18,   // RFC 1990 §5.1.2: refused
  EndpointDiscriminator = 19, // RFC 1990 §5.1.3 (Windows): refused
};

inline constexpr uint8_t kLcpMruLen = 4;
inline constexpr uint8_t kLcpAccmLen = 6;
inline constexpr uint8_t kLcpMagicLen = 6;
inline constexpr uint8_t kLcpFlagLen = 2;
inline constexpr uint16_t kDefaultMru = 1500;  // §6.1: what both ends assume until negotiated

// The authentication protocols an LNS can ask for (§6.2 with the CHAP Algorithm octet of
// RFC 1994 §3: 5 = MD5; RFC 2433 §2: 0x80 = MS-CHAP; RFC 2759 §2: 0x81 = MS-CHAP-V2).
enum class AuthProtocol : uint8_t { Pap, ChapMd5, MsChapV1, MsChapV2 };
inline constexpr uint8_t kChapAlgorithmMd5 = 0x05;
inline constexpr uint8_t kChapAlgorithmMsChapV1 = 0x80;
inline constexpr uint8_t kChapAlgorithmMsChapV2 = 0x81;

// The names Yamaha's `pp auth request` and `show status pp` use.
std::string_view to_string(AuthProtocol p);

//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Type      |    Length     |     Authentication-Protocol   |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |    Data ...
//  +-+-+-+-+
struct AuthProtocolOption {
  uint16_t protocol = 0;
  std::span<const uint8_t> data;  // CHAP: the Algorithm octet
};

// §6.1 Maximum-Receive-Unit: Length 4.
PppResult<uint16_t> decode_mru(const CpOption& o);
// RFC 1662 §7.1 Async-Control-Character-Map: Length 6.
PppResult<uint32_t> decode_accm(const CpOption& o);
// §6.4 Magic-Number: Length 6 (a value of zero is decoded; the policy Naks it).
PppResult<uint32_t> decode_magic_number(const CpOption& o);
// §6.2 Authentication-Protocol: Length >= 4.
PppResult<AuthProtocolOption> decode_auth_protocol(const CpOption& o);
// §6.5, §6.6 (PFC, ACFC): Length 2.
PppResult<bool> decode_flag_option(const CpOption& o);

// Which of our protocols an Authentication-Protocol option names: PAP with no data, CHAP with
// exactly one known Algorithm octet. Anything else (CHAP-SHA1, EAP, PAP with data) is none.
std::optional<AuthProtocol> auth_protocol_of(const AuthProtocolOption& a);

// Writes the Authentication-Protocol option for `p`.
void put_auth_protocol(CpPacketBuilder& b, AuthProtocol p);

// Checks the size of every option type above whose size the RFCs fix; other types pass
// (their meaning is the policy's). The fuzzer and the LCP policy share it.
PppResult<bool> check_lcp_option_size(const CpOption& o);

}  // namespace l2tpgw::cp::ppp
