// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/punt/classify: every punt kind, the payload it points at, and a
// negative table (truncation at every byte, wrong ports, wrong L2TP/PPP kinds).
#include "controlplane/punt/classify.hpp"

#include <gtest/gtest.h>

#include "common/wire/ppp.hpp"
#include "tests/unit/controlplane/packet_builder.hpp"

namespace l2tpgw::cp {
namespace {

using namespace test;

constexpr uint32_t kPeer = 0xcb00710a;  // 203.0.113.10
constexpr uint32_t kUs = 0xcb007101;    // 203.0.113.1

PktMeta meta_for(PuntKind k) {
  PktMeta md{};
  md.punt_kind = k;
  md.outer_src = kPeer;
  md.outer_dst = kUs;
  md.outer_sport = 40000;
  md.outer_dport = 4500;
  return md;
}

PuntInfo classify(PuntKind k, const Bytes& b) { return classify_punt(meta_for(k), b); }

Bytes ike500(size_t extra = 0) {
  return cat({ether(), ipv4(kPeer, kUs, 17, udp(500, 500, isakmp(extra)))});
}
Bytes ike4500(size_t extra = 0) {
  return cat({ether(), ipv4(kPeer, kUs, 17, udp(4501, 4500, cat({Bytes{0, 0, 0, 0}, isakmp(extra)})))});
}
Bytes l2tp_ctl() { return udp(1701, 1701, l2tp_control(5, 0, Bytes{0x80, 0x08, 0, 0, 0, 0, 0, 1})); }
Bytes ppp_ctl(uint16_t proto) {
  return udp(1701, 1701, l2tp_data(5, 9, ppp(proto, Bytes{1, 7, 0, 4})));
}

TEST(PuntClassify, IkeOnPort500) {
  const Bytes b = ike500(12);
  const PuntInfo i = classify(PuntKind::Ike, b);
  ASSERT_EQ(i.cls, PuntClass::Ike);
  EXPECT_EQ(i.payload_off, 14u + 20 + 8);
  EXPECT_EQ(i.payload_len, 40u);
  EXPECT_EQ(i.peer_addr, kPeer);
  EXPECT_EQ(i.local_addr, kUs);
  EXPECT_EQ(i.peer_port, 500);
  EXPECT_EQ(i.local_port, 500);
  EXPECT_EQ(b[i.payload_off + 17], 0x10) << "payload starts at the ISAKMP header";
}

TEST(PuntClassify, IkeOnPort4500AfterTheNonEspMarker) {
  const Bytes b = ike4500();
  const PuntInfo i = classify(PuntKind::Ike, b);
  ASSERT_EQ(i.cls, PuntClass::IkeNatT);
  EXPECT_EQ(i.payload_off, 14u + 20 + 8 + 4);
  EXPECT_EQ(i.payload_len, 28u);
  EXPECT_EQ(i.peer_port, 4501);
}

TEST(PuntClassify, IkeRefusals) {
  // ESP on 4500 is not IKE (the marker is the SPI's place, RFC 3948 §2.2).
  Bytes esp = cat({ether(), ipv4(kPeer, kUs, 17, udp(4500, 4500, cat({Bytes{0, 0, 1, 0}, isakmp()})))});
  EXPECT_EQ(classify(PuntKind::Ike, esp).cls, PuntClass::Malformed);
  // Shorter than an ISAKMP header.
  Bytes short_ike = cat({ether(), ipv4(kPeer, kUs, 17, udp(500, 500, Bytes(27, 0)))});
  EXPECT_EQ(classify(PuntKind::Ike, short_ike).cls, PuntClass::Malformed);
  // Another UDP port, another protocol, another ethertype.
  EXPECT_EQ(classify(PuntKind::Ike, cat({ether(), ipv4(kPeer, kUs, 17, udp(500, 501, isakmp()))})).cls,
            PuntClass::Malformed);
  EXPECT_EQ(classify(PuntKind::Ike, cat({ether(), ipv4(kPeer, kUs, 6, udp(500, 500, isakmp()))})).cls,
            PuntClass::Malformed);
  EXPECT_EQ(classify(PuntKind::Ike, cat({ether(0x86dd), ipv4(kPeer, kUs, 17, udp(500, 500, isakmp()))})).cls,
            PuntClass::Malformed);
  // A bad IPv4 checksum.
  Bytes bad = ike500();
  bad[14 + 10] ^= 0xff;
  const PuntInfo i = classify(PuntKind::Ike, bad);
  EXPECT_EQ(i.cls, PuntClass::Malformed);
  EXPECT_EQ(i.error, wire::ParseError::BadChecksum);
}

TEST(PuntClassify, L2tpControlTakesAddressingFromTheMeta) {
  const Bytes b = l2tp_ctl();
  const PuntInfo i = classify(PuntKind::L2tpControl, b);
  ASSERT_EQ(i.cls, PuntClass::L2tpControl);
  EXPECT_EQ(i.payload_off, 8u);
  EXPECT_EQ(i.payload_len, 20u) << "the L2TP header and its AVP";
  EXPECT_EQ(i.l2tp_tunnel_id, 5);
  EXPECT_EQ(i.peer_addr, kPeer);
  EXPECT_EQ(i.peer_port, 40000);
}

TEST(PuntClassify, L2tpControlRefusals) {
  // A data message is not a control message; nor is a message to another port.
  EXPECT_EQ(classify(PuntKind::L2tpControl, ppp_ctl(wire::kPppLcp)).cls, PuntClass::Malformed);
  EXPECT_EQ(classify(PuntKind::L2tpControl, udp(1701, 1702, l2tp_control(5, 0, {}))).cls, PuntClass::Malformed);
  // Neither L2TPv2 nor L2TPv3.
  Bytes v4 = l2tp_ctl();
  v4[8 + 1] = 0x04;
  EXPECT_EQ(classify(PuntKind::L2tpControl, v4).cls, PuntClass::Malformed);
  // An L2TPv3 data message (T clear) is not a control message either.
  EXPECT_EQ(classify(PuntKind::L2tpControl, udp(1701, 1701, Bytes{0, 3, 0, 0, 0, 0, 0, 9})).cls,
            PuntClass::Malformed);
}

// RFC 3931 §3.2.1 over UDP (`tunnel encapsulation l2tpv3-raw`): the whole message goes to the
// LCCE, which decodes it itself; the peer's port is the UDP source port.
Bytes l2tpv3_ctl() {
  return udp(1702, 1701, Bytes{0xc8, 0x03, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0});  // ZLB, CCID 0
}

TEST(PuntClassify, L2tpv3ControlGoesWholeToTheLcce) {
  const PuntInfo i = classify(PuntKind::L2tpControl, l2tpv3_ctl());
  ASSERT_EQ(i.cls, PuntClass::L2tpControl);
  EXPECT_EQ(i.payload_off, 8u);
  EXPECT_EQ(i.payload_len, 12u);
  EXPECT_EQ(i.l2tp_peer_port, 1702);
  EXPECT_EQ(i.peer_addr, kPeer);
}

TEST(PuntClassify, L2tpv3ControlShorterThanItsHeaderIsNotHandedOn) {
  // Flags, Length and the Control Connection ID, but no Ns/Nr (found by fuzz_punt_classify).
  const PuntInfo i = classify(PuntKind::L2tpControl, udp(1702, 1701, Bytes{0x80, 0x03, 0, 8, 0, 0, 0, 1}));
  EXPECT_NE(i.cls, PuntClass::L2tpControl);
  EXPECT_EQ(i.payload_len, 0u);
}

TEST(PuntClassify, PppControlByProtocol) {
  const std::pair<uint16_t, PuntClass> cases[] = {
      {wire::kPppLcp, PuntClass::PppLcp},   {wire::kPppPap, PuntClass::PppAuth},
      {wire::kPppChap, PuntClass::PppAuth}, {wire::kPppIpcp, PuntClass::PppIpcp},
      {wire::kPppCcp, PuntClass::PppCcp},   {wire::kPppIpv6, PuntClass::PppOther},
      {0x8057, PuntClass::PppOther},
  };
  for (const auto& [proto, cls] : cases) {
    const Bytes b = ppp_ctl(proto);
    const PuntInfo i = classify(PuntKind::PppControl, b);
    EXPECT_EQ(i.cls, cls) << std::hex << proto;
    EXPECT_EQ(i.ppp_protocol, proto);
    EXPECT_EQ(i.l2tp_session_id, 9);
    EXPECT_EQ(i.payload_off, 8u + 6 + 4) << "after UDP, the L2TP data header and FF 03 + protocol";
    EXPECT_EQ(i.payload_len, 4u);
    EXPECT_EQ(b[i.payload_off], 1) << "the PPP Code";
  }
  // IPv4 belongs to the fastpath; a control message is not a PPP frame.
  EXPECT_EQ(classify(PuntKind::PppControl, ppp_ctl(wire::kPppIpv4)).cls, PuntClass::Malformed);
  EXPECT_EQ(classify(PuntKind::PppControl, l2tp_ctl()).cls, PuntClass::Malformed);
}

TEST(PuntClassify, ToSelfFromTheLanAndFromATunnel) {
  const Bytes icmp = {8, 0, 0, 0, 0, 1, 0, 1};
  const Bytes lan = cat({ether(), ipv4(0xc000020a, 0xc0000201, 6, icmp)});
  PuntInfo i = classify(PuntKind::ToSelf, lan);
  ASSERT_EQ(i.cls, PuntClass::ToSelf);
  EXPECT_EQ(i.payload_off, 14u);
  EXPECT_EQ(i.payload_len, 28u);
  EXPECT_EQ(i.peer_addr, 0xc000020au);
  const Bytes inner = ipv4(0xc633640a, 0xc0000201, 6, icmp);
  i = classify(PuntKind::ToSelfTunnel, inner);
  ASSERT_EQ(i.cls, PuntClass::ToSelf);
  EXPECT_EQ(i.payload_off, 0u);
  EXPECT_EQ(i.peer_addr, 0xc633640au);
  // An Ethernet frame where an inner packet is expected does not decode.
  EXPECT_EQ(classify(PuntKind::ToSelfTunnel, lan).cls, PuntClass::Malformed);
}

TEST(PuntClassify, UnknownKinds) {
  EXPECT_EQ(classify(PuntKind::None, ike500()).cls, PuntClass::Unknown);
  EXPECT_EQ(classify(static_cast<PuntKind>(99), ike500()).cls, PuntClass::Unknown);
}

// Every prefix of every valid packet is either Malformed or (when the cut falls after the
// message, e.g. trailing padding) the same class; nothing reads past the end (ASan builds).
TEST(PuntClassify, TruncationAtEveryByte) {
  const std::pair<PuntKind, Bytes> cases[] = {
      {PuntKind::Ike, ike500(8)},
      {PuntKind::Ike, ike4500(8)},
      {PuntKind::L2tpControl, l2tp_ctl()},
      {PuntKind::L2tpControl, l2tpv3_ctl()},
      {PuntKind::PppControl, ppp_ctl(wire::kPppLcp)},
      {PuntKind::ToSelf, cat({ether(), ipv4(1, 2, 17, udp(1, 2, Bytes(5, 0)))})},
      {PuntKind::ToSelfTunnel, ipv4(1, 2, 17, udp(1, 2, Bytes(5, 0)))},
  };
  for (const auto& [kind, full] : cases) {
    const PuntClass want = classify(kind, full).cls;
    ASSERT_NE(want, PuntClass::Malformed) << to_string(kind);
    for (size_t n = 0; n < full.size(); ++n) {
      const Bytes cut(full.begin(), full.begin() + static_cast<long>(n));
      const PuntInfo i = classify(kind, cut);
      EXPECT_EQ(i.cls, PuntClass::Malformed) << to_string(kind) << " cut at " << n;
      EXPECT_LE(uint64_t{i.payload_off} + i.payload_len, cut.size());
    }
  }
}

TEST(PuntClassify, LengthFieldsAreClaims) {
  // UDP length larger than the datagram, L2TP Length larger than the UDP payload.
  Bytes b = l2tp_ctl();
  b[4] = 0x7f;
  EXPECT_EQ(classify(PuntKind::L2tpControl, b).cls, PuntClass::Malformed);
  b = l2tp_ctl();
  b[8 + 3] = 0xff;  // L2TP Length low byte
  EXPECT_EQ(classify(PuntKind::L2tpControl, b).cls, PuntClass::Malformed);
  // IPv4 total length beyond the frame.
  b = ike500();
  b[14 + 2] = 0x7f;
  EXPECT_EQ(classify(PuntKind::Ike, b).cls, PuntClass::Malformed);
}

TEST(PuntClassify, NamesAreStable) {
  EXPECT_EQ(to_string(PuntClass::Ike), "Ike");
  EXPECT_EQ(to_string(PuntClass::PppAuth), "PppAuth");
  EXPECT_EQ(to_string(PuntClass::Unknown), "Unknown");
}

}  // namespace
}  // namespace l2tpgw::cp
