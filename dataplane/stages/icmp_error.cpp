// SPDX-License-Identifier: Apache-2.0
// ICMP error messages (RFC 792, RFC 1191 §4, RFC 1812 §4.3.2): the "never send" rules and the
// message builder.
#include "dataplane/stages/icmp_error.hpp"

#include "common/byte_writer.hpp"
#include "common/wire/ipv4.hpp"

namespace l2tpgw::dp {
namespace {

constexpr uint8_t kTosPrecInternetControl = 0xc0;  // precedence 6 (RFC 791 §3.1, RFC 1812 §4.3.2.5)
constexpr uint8_t kTosMask = 0x1e;                 // the RFC 1349 TOS bits, kept from the original

bool is_multicast(uint32_t a) { return (a >> 28) == 0xe; }  // 224.0.0.0/4
bool is_class_e(uint32_t a) { return (a >> 28) == 0xf; }    // 240.0.0.0/4, 255.255.255.255 included

// RFC 792 query messages; every other type, known or not, is treated as an error so that no
// error is ever sent about one.
bool is_icmp_query(uint8_t type) {
  switch (type) {
    case kIcmpEchoReply: case kIcmpEchoRequest:
    case 9: case 10:           // router advertisement / solicitation (RFC 1256)
    case 13: case 14:          // timestamp, timestamp reply
    case 15: case 16:          // information request, reply
    case 17: case 18:          // address mask request, reply (RFC 950)
      return true;
    default:
      return false;
  }
}

}  // namespace

IcmpVerdict icmp_error_verdict(ByteReader orig, bool l2_multicast, uint32_t subnet_broadcast) {
  const uint8_t* ip = orig.cursor();
  auto h = wire::decode_ipv4(orig);
  if (!h) return IcmpVerdict::Malformed;
  if (l2_multicast) return IcmpVerdict::LinkBroadcast;
  if (is_multicast(h->dst) || h->dst == 0xffffffffu ||
      (subnet_broadcast != 0 && h->dst == subnet_broadcast))
    return IcmpVerdict::DstNotUnicast;
  // "a zero address, a loopback address, a broadcast address, a multicast address, or a
  // Class E address" (0.0.0.0/8 and 127.0.0.0/8 as RFC 1122 §3.2.1.3 defines them).
  const uint8_t net = static_cast<uint8_t>(h->src >> 24);
  if (net == 0 || net == 127 || is_multicast(h->src) || is_class_e(h->src) ||
      (subnet_broadcast != 0 && h->src == subnet_broadcast))
    return IcmpVerdict::SrcNotUnicast;
  if (h->flags_frag & wire::kIpv4FragOffsetMask) return IcmpVerdict::NotFirstFragment;
  if (h->protocol == wire::kIpProtoIcmp) {
    // An ICMP datagram too short to carry its type cannot be shown to be a query.
    if (h->total_length <= h->ihl_bytes || !is_icmp_query(ip[h->ihl_bytes]))
      return IcmpVerdict::IcmpError;
  }
  return IcmpVerdict::Send;
}

size_t build_icmp_error(ByteReader orig, const IcmpErrorSpec& spec, std::span<uint8_t> out) {
  const uint8_t* ip = orig.cursor();
  auto h = wire::decode_ipv4(orig);
  if (!h) return 0;
  // RFC 792: "the internet header plus the first 64 bits of the original datagram's data".
  const uint32_t data = h->total_length - h->ihl_bytes;
  const uint32_t quoted = h->ihl_bytes + (data < 8 ? data : 8u);
  const uint32_t icmp_len = 8 + quoted;
  const uint32_t total = 20 + icmp_len;
  if (out.size() < total) return 0;

  ByteWriter w(out);
  // IPv4 header (RFC 791 §3.1); checksum filled in below.
  w.u8(0x45);
  w.u8(static_cast<uint8_t>(kTosPrecInternetControl | (h->tos & kTosMask)));
  w.be16(static_cast<uint16_t>(total));
  w.be16(spec.ip_id);
  w.be16(0);  // DF clear: the message is small and must reach the sender whatever the path
  w.u8(64);
  w.u8(wire::kIpProtoIcmp);
  w.be16(0);
  w.be32(spec.src);
  w.be32(h->src);
  // ICMP header: type, code, checksum, then the word RFC 1191 §4 splits into an unused half
  // and the next-hop MTU (zero for every other error).
  w.u8(spec.type);
  w.u8(spec.code);
  w.be16(0);
  w.be16(0);
  w.be16(spec.type == kIcmpDestUnreachable && spec.code == kIcmpCodeFragNeeded ? spec.next_hop_mtu
                                                                               : uint16_t{0});
  w.bytes(std::span<const uint8_t>(ip, quoted));
  if (!w.ok()) return 0;

  uint8_t* p = out.data();
  const uint16_t ip_ck = wire::fold_checksum(wire::ones_sum(p, 20));
  p[10] = static_cast<uint8_t>(ip_ck >> 8);
  p[11] = static_cast<uint8_t>(ip_ck);
  const uint16_t icmp_ck = wire::fold_checksum(wire::ones_sum(p + 20, icmp_len));
  p[22] = static_cast<uint8_t>(icmp_ck >> 8);
  p[23] = static_cast<uint8_t>(icmp_ck);
  return total;
}

}  // namespace l2tpgw::dp
