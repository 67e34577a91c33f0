// SPDX-License-Identifier: Apache-2.0
// The IKE datagram on the wire: Ethernet / IPv4 (RFC 791) / UDP (RFC 768) [/ the four zero
// bytes of RFC 3948 §2.2's non-ESP marker on port 4500] / ISAKMP. The controlplane sends its
// IKE messages as whole frames through the dataplane's WAN port, addressed back along the
// Ethernet path the peer's last message came in on.
//
// Thread context: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "controlplane/ike/ike_sa.hpp"
#include "controlplane/ike/wire.hpp"

namespace l2tpgw::cp::ike {

using Mac = std::array<uint8_t, 6>;

// The two ends of the link a peer's frames arrive on: our port's address and the next hop's
// (the peer itself on a LAN, else the router in front of us).
struct LinkAddrs {
  Mac ours{};
  Mac theirs{};
  bool operator==(const LinkAddrs&) const = default;
};

inline constexpr size_t kEtherHeaderLen = 14;
inline constexpr size_t kIpv4HeaderLen = 20;
inline constexpr size_t kUdpHeaderLen = 8;
inline constexpr size_t kNonEspMarkerLen = 4;

// The link addresses of a received Ethernet frame (destination = ours, source = theirs), or
// nullopt when it is shorter than an Ethernet header.
std::optional<LinkAddrs> link_of_frame(ByteView frame);

// RFC 3948 §2.2: IKE on port 4500 carries the non-ESP marker.
constexpr bool needs_non_esp_marker(const Endpoint& from, const Endpoint& to) {
  return from.port == kNatTPort || to.port == kNatTPort;
}

// The UDP datagram (header included) for `message` from `from` to `to`, with its checksum over
// the pseudo-header (RFC 768): what the dataplane wraps in IPv4 and Ethernet itself when the
// peer's link is not known yet (Injector::send_udp). `nat_keepalive`: `message` is an RFC 3948
// §2.3 NAT-keepalive, which never carries the non-ESP marker.
Bytes build_ike_udp(const Endpoint& from, const Endpoint& to, ByteView message,
                    bool nat_keepalive = false);

// The frame for `message` from `from` to `to`: IPv4 without options, TTL 64, DF clear (a
// router may fragment a large Main Mode message), the given IP identification, and a UDP
// checksum over the pseudo-header (RFC 768).
Bytes build_ike_frame(const LinkAddrs& link, const Endpoint& from, const Endpoint& to,
                      ByteView message, uint16_t ip_id, bool nat_keepalive = false);

}  // namespace l2tpgw::cp::ike
