// SPDX-License-Identifier: Apache-2.0
// IPCP configuration options (RFC 1332 §3, RFC 1877 §1): types, sizes and typed decoders.
#pragma once

#include <cstdint>
#include <span>

#include "controlplane/ppp/wire/cp_packet.hpp"

namespace l2tpgw::cp::ppp {

enum class IpcpOption : uint8_t {
  IpAddresses = 1,           // RFC 1332 §3.1 (deprecated, RFC 1172): refused
  IpCompressionProtocol = 2, // RFC 1332 §3.2, Length >= 4 (Van Jacobson 0x002d): refused
  IpAddress = 3,             // RFC 1332 §3.3, Length 6
  PrimaryDns = 129,          // RFC 1877 §1.1, Length 6
  PrimaryNbns = 130,         // RFC 1877 §1.2, Length 6
  SecondaryDns = 131,        // RFC 1877 §1.3, Length 6
  SecondaryNbns = 132,       // RFC 1877 §1.4, Length 6
};

inline constexpr uint8_t kIpcpAddressLen = 6;
inline constexpr uint16_t kIpCompressionVj = 0x002d;  // RFC 1332 §3.2

// RFC 1332 §3.3 IP-Address and RFC 1877 §1 (DNS, NBNS): one IPv4 address.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Type      |    Length     |           IP-Address
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//          IP-Address (cont)       |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Returns the address in host order.
PppResult<uint32_t> decode_ipv4_option(const CpOption& o);

// RFC 1332 §3.2: IP-Compression-Protocol (two octets) and its data.
struct IpCompressionOption {
  uint16_t protocol = 0;
  std::span<const uint8_t> data;
};
PppResult<IpCompressionOption> decode_ip_compression(const CpOption& o);

// Size check for the IPCP types whose size the RFCs fix; others pass.
PppResult<bool> check_ipcp_option_size(const CpOption& o);

}  // namespace l2tpgw::cp::ppp
