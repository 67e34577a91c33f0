// SPDX-License-Identifier: Apache-2.0
// PPP control packets (RFC 1661 §5): the Code/Identifier/Length header shared by LCP, IPCP,
// PAP and CHAP, the Type-Length-Data option list of §6, and a builder for outgoing packets.
//
// Decoders work on the bytes after the PPP Protocol field (what the punt classifier hands
// on). They copy nothing: spans point into the caller's buffer, which must outlive them.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "controlplane/ppp/wire/parse_error.hpp"

namespace l2tpgw::cp::ppp {

// PPP protocol numbers this library speaks or refuses (RFC 1661 §2, "Assigned Numbers").
inline constexpr uint16_t kProtoIpv4 = 0x0021;
inline constexpr uint16_t kProtoIpv6 = 0x0057;
inline constexpr uint16_t kProtoIpcp = 0x8021;    // RFC 1332
inline constexpr uint16_t kProtoIpv6cp = 0x8057;  // RFC 5072
inline constexpr uint16_t kProtoCcp = 0x80fd;     // RFC 1962
inline constexpr uint16_t kProtoLcp = 0xc021;     // RFC 1661
inline constexpr uint16_t kProtoPap = 0xc023;     // RFC 1334
inline constexpr uint16_t kProtoChap = 0xc223;    // RFC 1994

// RFC 1661 §5 (and RFC 1570 §2, §3 for 12 and 13). IPCP uses codes 1..7 only (RFC 1332 §2).
enum class CpCode : uint8_t {
  ConfReq = 1,         // Configure-Request
  ConfAck = 2,         // Configure-Ack
  ConfNak = 3,         // Configure-Nak
  ConfRej = 4,         // Configure-Reject
  TermReq = 5,         // Terminate-Request
  TermAck = 6,         // Terminate-Ack
  CodeRej = 7,         // Code-Reject
  ProtRej = 8,         // Protocol-Reject (LCP only)
  EchoReq = 9,         // Echo-Request (LCP only)
  EchoRep = 10,        // Echo-Reply (LCP only)
  DiscardReq = 11,     // Discard-Request (LCP only)
  Identification = 12, // RFC 1570 §2 (LCP only; Windows sends it)
  TimeRemaining = 13,  // RFC 1570 §3 (LCP only)
};

std::string_view to_string(CpCode c);

// RFC 1661 §5: the header of every LCP and NCP packet (and of PAP, CHAP).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Code      |  Identifier   |            Length             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |    Data ...
//  +-+-+-+-+
//
// "Octets outside the range of the Length field are treated as padding and are ignored on
// reception"; a Length below 4 or past the received octets makes the packet silently
// discarded (§5). `packet` is the header and data up to Length (padding dropped).
inline constexpr size_t kCpHeaderLen = 4;

struct CpPacket {
  uint8_t code = 0;  // a CpCode, or a code the receiver does not know (RUC)
  uint8_t identifier = 0;
  std::span<const uint8_t> data;    // after the header, Length - 4 octets
  std::span<const uint8_t> packet;  // header and data, Length octets
};

PppResult<CpPacket> decode_cp_packet(std::span<const uint8_t> bytes);

// RFC 1661 §6: a configuration option.
//
//   0                   1
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Type      |    Length     |    Data ...
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Length counts Type and Length, so it is at least 2; an option that claims more than the
// packet holds, or less than 2, makes the whole option list malformed (the packet is
// dropped and counted, as accel-ppp does: trusting any part of a list whose framing lies is
// how option parsers overrun, STYLE.md "Lengths are claims").
struct CpOption {
  uint8_t type = 0;
  std::span<const uint8_t> value;  // the Data, Length - 2 octets
  std::span<const uint8_t> raw;    // Type, Length and Data, as received (for Reject/Ack echo)
};

inline constexpr size_t kCpOptionHeaderLen = 2;

PppResult<std::vector<CpOption>> decode_options(std::span<const uint8_t> data);

// Builds one control packet: begin() writes Code and Identifier, finish() fills in Length.
// Sizes are bounded by the caller (a Configure-Nak is never longer than the request it
// answers plus the options it adds; Code-Reject and Protocol-Reject truncate, §5.6, §5.7).
class CpPacketBuilder {
 public:
  CpPacketBuilder(CpCode code, uint8_t identifier) { begin(static_cast<uint8_t>(code), identifier); }
  CpPacketBuilder(uint8_t code, uint8_t identifier) { begin(code, identifier); }

  void u8(uint8_t v) { buf_.push_back(v); }
  void be16(uint16_t v) {
    buf_.push_back(static_cast<uint8_t>(v >> 8));
    buf_.push_back(static_cast<uint8_t>(v));
  }
  void be32(uint32_t v) {
    be16(static_cast<uint16_t>(v >> 16));
    be16(static_cast<uint16_t>(v));
  }
  void bytes(std::span<const uint8_t> b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
  void text(std::string_view s) { buf_.insert(buf_.end(), s.begin(), s.end()); }
  // An option of any value (Type, Length = 2 + value size, value). The value is at most
  // 253 octets: options we build are fixed-size.
  void option(uint8_t type, std::span<const uint8_t> value);
  void option_u16(uint8_t type, uint16_t v);
  void option_u32(uint8_t type, uint32_t v);
  void option_flag(uint8_t type) { option(type, {}); }

  size_t size() const { return buf_.size(); }
  // Writes Length (the whole packet: it must not exceed 65535) and hands the bytes over.
  std::vector<uint8_t> finish() &&;

 private:
  void begin(uint8_t code, uint8_t identifier) {
    buf_.reserve(64);
    buf_.push_back(code);
    buf_.push_back(identifier);
    buf_.push_back(0);
    buf_.push_back(0);
  }
  std::vector<uint8_t> buf_;
};

}  // namespace l2tpgw::cp::ppp
