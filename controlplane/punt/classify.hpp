// SPDX-License-Identifier: Apache-2.0
// Punt classifier: which protocol machine a punted packet is for, and where its message is.
//
// The dataplane already decided the punt kind (common/punt.hpp), but the bytes came from the
// network: the controlplane decodes them again through ByteReader before any handler sees
// them, and a packet that does not decode is counted as Malformed, never handed on.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/punt.hpp"
#include "common/wire/parse_error.hpp"

namespace l2tpgw::cp {

#define L2TPGW_PUNT_CLASSES(X)                                            \
  X(Ike)          /* UDP 500 (RFC 2409) */                                \
  X(IkeNatT)      /* UDP 4500 after the non-ESP marker (RFC 3948 §2.2) */ \
  X(L2tpControl)  /* L2TPv2 control message (RFC 2661 §3.1, T bit) */     \
  X(PppLcp)       /* 0xc021 (RFC 1661) */                                 \
  X(PppAuth)      /* PAP 0xc023, CHAP 0xc223 (RFC 1334, 1994, 2759) */    \
  X(PppIpcp)      /* 0x8021 (RFC 1332) */                                 \
  X(PppCcp)       /* 0x80fd (RFC 1962) */                                 \
  X(PppOther)     /* any other non-IPv4 PPP protocol (RFC 1661 §5.7) */   \
  X(ToSelf)       /* IPv4 to one of our addresses, from the LAN or a client */ \
  X(Malformed)    /* did not decode as its punt kind says */              \
  X(Unknown)      /* a punt kind this controlplane does not know */

enum class PuntClass : uint8_t {
#define X(n) n,
  L2TPGW_PUNT_CLASSES(X)
#undef X
  Count
};
inline constexpr size_t kPuntClassCount = static_cast<size_t>(PuntClass::Count);

constexpr std::string_view to_string(PuntClass c) {
  switch (c) {
#define X(n) \
  case PuntClass::n: return #n;
    L2TPGW_PUNT_CLASSES(X)
#undef X
    case PuntClass::Count: break;
  }
  return "?";
}

// The minimum ISAKMP header (RFC 2408 §3.1): a shorter "IKE" message is Malformed.
inline constexpr uint32_t kIsakmpHeaderLen = 28;

struct PuntInfo {
  PuntClass cls = PuntClass::Unknown;
  wire::ParseError error = wire::ParseError::Truncated;  // Malformed: why
  // The message for the handler, as an offset and length into the punted bytes:
  //   Ike/IkeNatT  the ISAKMP header onwards (after the non-ESP marker)
  //   L2tpControl  the L2TP header onwards, `Length` bytes (RFC 2661 §3.1)
  //   Ppp*         the PPP packet after the protocol field (Code, Identifier, Length, ...)
  //   ToSelf       the IPv4 header onwards
  uint32_t payload_off = 0;
  uint32_t payload_len = 0;
  // Outer addressing (host order): Ike* from the outer headers; the others from the meta the
  // dataplane filled in (the peer's current, possibly NAT-translated, address and port).
  uint32_t peer_addr = 0, local_addr = 0;
  uint16_t peer_port = 0, local_port = 0;
  uint16_t l2tp_tunnel_id = 0, l2tp_session_id = 0;  // from the L2TP header
  uint16_t l2tp_peer_port = 0;  // the inner UDP source port: the peer's L2TP port (1701 mostly)
  uint16_t ppp_protocol = 0;
};

// Classifies `data` (the punted mbuf's bytes) as `md.punt_kind` says it is laid out.
// Pure: no state, no allocation.
PuntInfo classify_punt(const PktMeta& md, std::span<const uint8_t> data);

}  // namespace l2tpgw::cp
