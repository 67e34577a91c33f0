// SPDX-License-Identifier: Apache-2.0
// Punt classifier: decode, then validate, each punt kind's headers (STYLE.md "Parsers").
#include "controlplane/punt/classify.hpp"

#include "common/byte_reader.hpp"
#include "common/wire/ipv4.hpp"
#include "common/wire/l2tp.hpp"
#include "common/wire/ppp.hpp"
#include "common/wire/udp.hpp"

namespace l2tpgw::cp {
namespace {

using wire::ParseError;

constexpr uint32_t kEtherHeaderLen = 14;
constexpr uint16_t kEtherTypeIpv4 = 0x0800;

// data[off, off + len), or an empty span when that is not inside `data`. Every offset below
// comes from a decoder that already checked it; this keeps a mistake from becoming UB.
std::span<const uint8_t> sub(std::span<const uint8_t> data, size_t off, size_t len) {
  if (off > data.size() || len > data.size() - off) return {};
  return data.subspan(off, len);
}

PuntInfo malformed(PuntInfo info, ParseError e) {
  info.cls = PuntClass::Malformed;
  info.error = e;
  return info;
}

// Ethernet / IPv4: returns the IPv4 header's offset and fills `ip`, or an error.
wire::Result<uint32_t> ether_ipv4(std::span<const uint8_t> data, wire::Ipv4Header* ip) {
  ByteReader r(data);
  if (!r.skip(12)) return ParseError::Truncated;
  auto type = r.read_be16();
  if (!type) return ParseError::Truncated;
  if (*type != kEtherTypeIpv4) return ParseError::BadProtocol;
  auto h = wire::decode_ipv4(r);
  if (!h) return h.error();
  *ip = *h;
  return kEtherHeaderLen;
}

PuntInfo classify_ike(PuntInfo info, std::span<const uint8_t> data) {
  wire::Ipv4Header ip;
  auto ip_off = ether_ipv4(data, &ip);
  if (!ip_off) return malformed(info, ip_off.error());
  if (ip.protocol != wire::kIpProtoUdp || ip.is_fragment()) return malformed(info, ParseError::BadProtocol);
  const uint32_t udp_off = *ip_off + ip.ihl_bytes;
  auto udp = wire::decode_udp(ByteReader(sub(data, udp_off, ip.total_length - ip.ihl_bytes)));
  if (!udp) return malformed(info, udp.error());
  info.peer_addr = ip.src;
  info.local_addr = ip.dst;
  info.peer_port = udp->src_port;
  info.local_port = udp->dst_port;
  uint32_t off = udp_off + 8;
  uint32_t len = udp->length - 8u;
  if (udp->dst_port == wire::kPortIke) {
    info.cls = PuntClass::Ike;
  } else if (udp->dst_port == wire::kPortIkeNatT) {
    // RFC 3948 §2.2: four zero bytes, then the IKE header.
    auto marker = ByteReader(sub(data, off, len)).read_be32();
    if (!marker) return malformed(info, ParseError::Truncated);
    if (*marker != 0) return malformed(info, ParseError::BadProtocol);
    off += 4;
    len -= 4;
    info.cls = PuntClass::IkeNatT;
  } else {
    return malformed(info, ParseError::BadProtocol);
  }
  if (len < kIsakmpHeaderLen) return malformed(info, ParseError::Truncated);
  info.payload_off = off;
  info.payload_len = len;
  return info;
}

// The inner UDP / L2TPv2 header both L2TP punt kinds start with.
wire::Result<wire::L2tpHeader> inner_l2tp(std::span<const uint8_t> data, uint32_t* l2tp_off,
                                          uint16_t* l2tp_peer_port) {
  auto udp = wire::decode_udp(ByteReader(data));
  if (!udp) return udp.error();
  if (udp->dst_port != wire::kPortL2tp) return ParseError::BadProtocol;
  *l2tp_off = 8;
  *l2tp_peer_port = udp->src_port;
  return wire::decode_l2tp_v2(ByteReader(sub(data, 8, udp->length - 8u)));
}

PuntInfo classify_l2tp_control(PuntInfo info, std::span<const uint8_t> data) {
  uint32_t off = 0;
  // RFC 3931 §3.2.1 over UDP: an L2TPv3 control message (version 3, T set) goes whole to
  // the LCCE, whose codec checks the rest (Length, the AVPs, the digest).
  if (auto udp = wire::decode_udp(ByteReader(data)); udp && udp->dst_port == wire::kPortL2tp) {
    const std::span<const uint8_t> l2tp = sub(data, 8, udp->length - 8u);
    // §3.2.1: flags, Length, Control Connection ID, Ns, Nr: 12 octets at the least.
    constexpr size_t kControlHeaderLen = 12;
    if (auto v3 = wire::decode_l2tpv3(ByteReader(l2tp)); v3 && v3->control && l2tp.size() >= kControlHeaderLen) {
      info.cls = PuntClass::L2tpControl;
      info.l2tp_peer_port = udp->src_port;
      info.payload_off = 8;
      info.payload_len = static_cast<uint32_t>(l2tp.size());
      return info;
    }
  }
  auto l2 = inner_l2tp(data, &off, &info.l2tp_peer_port);
  if (!l2) return malformed(info, l2.error());
  if (!wire::l2tp_is_control(l2->flags)) return malformed(info, ParseError::BadFlags);
  info.cls = PuntClass::L2tpControl;
  info.l2tp_tunnel_id = l2->tunnel_id;
  info.l2tp_session_id = l2->session_id;
  info.payload_off = off;
  info.payload_len = uint32_t{l2->header_len} + l2->payload_len;
  return info;
}

PuntClass ppp_class(uint16_t protocol) {
  switch (protocol) {
    case wire::kPppLcp: return PuntClass::PppLcp;
    case wire::kPppPap:
    case wire::kPppChap: return PuntClass::PppAuth;
    case wire::kPppIpcp: return PuntClass::PppIpcp;
    case wire::kPppCcp: return PuntClass::PppCcp;
    default: return PuntClass::PppOther;
  }
}

PuntInfo classify_ppp_control(PuntInfo info, std::span<const uint8_t> data) {
  uint32_t off = 0;
  auto l2 = inner_l2tp(data, &off, &info.l2tp_peer_port);
  if (!l2) return malformed(info, l2.error());
  if (wire::l2tp_is_control(l2->flags)) return malformed(info, ParseError::BadFlags);
  const uint32_t ppp_off = off + l2->header_len;
  auto ppp = wire::decode_ppp(ByteReader(sub(data, ppp_off, l2->payload_len)));
  if (!ppp) return malformed(info, ppp.error());
  // IPv4 is forwarded by the dataplane; one punted here is not a control packet.
  if (ppp->protocol == wire::kPppIpv4) return malformed(info, ParseError::BadProtocol);
  info.cls = ppp_class(ppp->protocol);
  info.l2tp_tunnel_id = l2->tunnel_id;
  info.l2tp_session_id = l2->session_id;
  info.ppp_protocol = ppp->protocol;
  info.payload_off = ppp_off + ppp->header_len;
  info.payload_len = l2->payload_len - ppp->header_len;
  return info;
}

PuntInfo classify_to_self(PuntInfo info, std::span<const uint8_t> data, bool ethernet) {
  wire::Ipv4Header ip;
  uint32_t off = 0;
  if (ethernet) {
    auto ip_off = ether_ipv4(data, &ip);
    if (!ip_off) return malformed(info, ip_off.error());
    off = *ip_off;
  } else {
    auto h = wire::decode_ipv4(ByteReader(data));
    if (!h) return malformed(info, h.error());
    ip = *h;
  }
  info.cls = PuntClass::ToSelf;
  info.peer_addr = ip.src;
  info.local_addr = ip.dst;
  info.payload_off = off;
  info.payload_len = ip.total_length;
  return info;
}

}  // namespace

PuntInfo classify_punt(const PktMeta& md, std::span<const uint8_t> data) {
  PuntInfo info;
  switch (md.punt_kind) {
    case PuntKind::Ike: return classify_ike(info, data);
    case PuntKind::L2tpControl:
    case PuntKind::PppControl:
      // Set by the dataplane from the authenticated outer packet (NAT-T aware).
      info.peer_addr = md.outer_src;
      info.local_addr = md.outer_dst;
      info.peer_port = md.outer_sport;
      info.local_port = md.outer_dport;
      return md.punt_kind == PuntKind::L2tpControl ? classify_l2tp_control(info, data)
                                                   : classify_ppp_control(info, data);
    case PuntKind::ToSelf: return classify_to_self(info, data, true);
    case PuntKind::ToSelfTunnel: return classify_to_self(info, data, false);
    case PuntKind::None: break;
  }
  info.cls = PuntClass::Unknown;
  return info;
}

}  // namespace l2tpgw::cp
