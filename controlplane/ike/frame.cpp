// SPDX-License-Identifier: Apache-2.0
// Ethernet / IPv4 / UDP framing of IKE messages (RFC 791, RFC 768, RFC 3948 §2.2).
#include "controlplane/ike/frame.hpp"

#include <algorithm>

#include "common/wire/ipv4.hpp"

namespace l2tpgw::cp::ike {
namespace {

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint8_t kIpProtoUdp = 17;
constexpr uint8_t kTtl = 64;

void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, static_cast<uint16_t>(v >> 16));
  put16(p + 2, static_cast<uint16_t>(v));
}

}  // namespace

std::optional<LinkAddrs> link_of_frame(ByteView frame) {
  if (frame.size() < kEtherHeaderLen) return std::nullopt;
  LinkAddrs l;
  std::copy(frame.begin(), frame.begin() + 6, l.ours.begin());
  std::copy(frame.begin() + 6, frame.begin() + 12, l.theirs.begin());
  return l;
}

Bytes build_ike_udp(const Endpoint& from, const Endpoint& to, ByteView message,
                    bool nat_keepalive) {
  const size_t marker = !nat_keepalive && needs_non_esp_marker(from, to) ? kNonEspMarkerLen : 0;
  const size_t udp_len = kUdpHeaderLen + marker + message.size();
  Bytes d(udp_len, 0);
  // RFC 768, with the checksum over the pseudo-header (source, destination, zero, protocol,
  // UDP length) and the whole datagram.
  uint8_t* udp = d.data();
  put16(udp, from.port);
  put16(udp + 2, to.port);
  put16(udp + 4, static_cast<uint16_t>(udp_len));
  if (!message.empty()) std::copy(message.begin(), message.end(), udp + kUdpHeaderLen + marker);
  uint8_t pseudo[12] = {};
  put32(pseudo, from.addr);
  put32(pseudo + 4, to.addr);
  pseudo[9] = kIpProtoUdp;
  put16(pseudo + 10, static_cast<uint16_t>(udp_len));
  uint16_t sum = wire::fold_checksum(wire::ones_sum(udp, udp_len, wire::ones_sum(pseudo, 12)));
  if (sum == 0) sum = 0xffff;  // RFC 768: a computed zero is sent as all ones
  put16(udp + 6, sum);
  return d;
}

Bytes build_ike_frame(const LinkAddrs& link, const Endpoint& from, const Endpoint& to,
                      ByteView message, uint16_t ip_id, bool nat_keepalive) {
  const Bytes udp = build_ike_udp(from, to, message, nat_keepalive);
  const size_t ip_len = kIpv4HeaderLen + udp.size();
  Bytes f(kEtherHeaderLen + ip_len, 0);
  uint8_t* p = f.data();
  std::copy(link.theirs.begin(), link.theirs.end(), p);
  std::copy(link.ours.begin(), link.ours.end(), p + 6);
  put16(p + 12, kEtherTypeIpv4);

  // RFC 791 §3.1.
  uint8_t* ip = p + kEtherHeaderLen;
  ip[0] = 0x45;
  put16(ip + 2, static_cast<uint16_t>(ip_len));
  put16(ip + 4, ip_id);
  ip[8] = kTtl;
  ip[9] = kIpProtoUdp;
  put32(ip + 12, from.addr);
  put32(ip + 16, to.addr);
  put16(ip + 10, wire::fold_checksum(wire::ones_sum(ip, kIpv4HeaderLen)));
  std::copy(udp.begin(), udp.end(), ip + kIpv4HeaderLen);
  return f;
}

}  // namespace l2tpgw::cp::ike
