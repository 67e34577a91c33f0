// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ike/frame: IKE frames byte for byte as scapy builds them (Ethernet,
// IPv4 and UDP with checksums, the RFC 3948 non-ESP marker on 4500), and read back by the punt
// classifier the way the dataplane's punts are.
#include "controlplane/ike/frame.hpp"

#include <gtest/gtest.h>

#include "common/wire/esp.hpp"
#include "common/wire/ipv4.hpp"
#include "controlplane/punt/classify.hpp"
#include "vector_file.hpp"

namespace l2tpgw::cp::ike {
namespace {

using l2tpgw::test::from_hex;

constexpr uint32_t kOurs = 0xc0000201;    // 192.0.2.1
constexpr uint32_t kPeer = 0xcb007107;    // 203.0.113.7
const LinkAddrs kLink{{0x02, 0, 0, 0, 0, 0x01}, {0x02, 0, 0, 0, 0, 0x02}};

TEST(IkeFrame, MatchesScapyAndClassifiesAsIke) {
  int seen = 0;
  for (const auto& r : l2tpgw::test::load_vectors("ike/wire.txt")) {
    if (!r.contains("frame")) continue;
    SCOPED_TRACE(r.at("name"));
    ++seen;
    const Bytes msg = from_hex(r.at("msg"));
    const Endpoint from{kOurs, static_cast<uint16_t>(std::stoi(r.at("sport")))};
    const Endpoint to{kPeer, static_cast<uint16_t>(std::stoi(r.at("dport")))};
    const Bytes f = build_ike_frame(kLink, from, to, msg, static_cast<uint16_t>(std::stoi(r.at("ip_id"))));
    EXPECT_EQ(f, from_hex(r.at("frame")));

    // The controlplane's own classifier reads the same framing when a peer sends it to us.
    const Bytes rx = build_ike_frame(LinkAddrs{kLink.theirs, kLink.ours}, to, from, msg, 9);
    PktMeta md{};
    md.punt_kind = PuntKind::Ike;
    const PuntInfo info = classify_punt(md, rx);
    EXPECT_EQ(info.cls, from.port == kNatTPort ? PuntClass::IkeNatT : PuntClass::Ike);
    EXPECT_EQ(info.peer_addr, kPeer);
    EXPECT_EQ(info.local_addr, kOurs);
    EXPECT_EQ(info.peer_port, to.port);
    EXPECT_EQ(info.local_port, from.port);
    ASSERT_EQ(info.payload_len, msg.size());
    EXPECT_TRUE(std::equal(msg.begin(), msg.end(), rx.begin() + info.payload_off));
  }
  EXPECT_EQ(seen, 2);
}

// RFC 3948 §2.3: a NAT-keepalive is the one octet 0xFF after the UDP header, on port 4500
// but without the non-ESP marker; the dataplane's classifier (what the peer runs) knows it.
TEST(IkeFrame, NatKeepaliveHasNoMarker) {
  const Endpoint from{kOurs, kNatTPort}, to{kPeer, kNatTPort};
  const Bytes f = build_ike_frame(kLink, from, to, Bytes{0xFF}, 7, true);
  ASSERT_EQ(f.size(), kEtherHeaderLen + kIpv4HeaderLen + kUdpHeaderLen + 1);
  const uint8_t* udp = f.data() + kEtherHeaderLen + kIpv4HeaderLen;
  EXPECT_EQ((udp[0] << 8 | udp[1]), kNatTPort);
  EXPECT_EQ((udp[2] << 8 | udp[3]), kNatTPort);
  EXPECT_EQ((udp[4] << 8 | udp[5]), kUdpHeaderLen + 1);
  EXPECT_EQ(udp[8], 0xFF);
  // The UDP checksum verifies over the pseudo-header (RFC 768).
  const uint8_t pseudo[12] = {0xc0, 0x00, 0x02, 0x01, 0xcb, 0x00, 0x71, 0x07, 0, 17, 0, 9};
  EXPECT_EQ(wire::fold_checksum(wire::ones_sum(udp, 9, wire::ones_sum(pseudo, 12))), 0);
  auto kind = wire::classify_natt_payload(ByteReader(udp + kUdpHeaderLen, 1));
  ASSERT_TRUE(kind);
  EXPECT_EQ(*kind, wire::NatTKind::Keepalive);
  // The same octet as an IKE message would carry the marker.
  EXPECT_EQ(build_ike_udp(from, to, Bytes{0xFF}).size(), kUdpHeaderLen + kNonEspMarkerLen + 1);
}

TEST(IkeFrame, LinkAddressesComeFromTheFrame) {
  const Bytes f = build_ike_frame(kLink, {kOurs, 500}, {kPeer, 500}, Bytes(28, 0), 1);
  auto l = link_of_frame(f);
  ASSERT_TRUE(l);
  // As received by the peer: destination = theirs.
  EXPECT_EQ(l->ours, kLink.theirs);
  EXPECT_EQ(l->theirs, kLink.ours);
  EXPECT_FALSE(link_of_frame(Bytes(13, 0)));
  EXPECT_TRUE(needs_non_esp_marker({1, 4500}, {2, 1234}));
  EXPECT_TRUE(needs_non_esp_marker({1, 500}, {2, 4500}));
  EXPECT_FALSE(needs_non_esp_marker({1, 500}, {2, 500}));
}

}  // namespace
}  // namespace l2tpgw::cp::ike
