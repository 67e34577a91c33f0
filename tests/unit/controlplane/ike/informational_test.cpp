// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ike/informational: Informational exchanges (RFC 2409 §5.7): Delete of
// IPsec and ISAKMP SAs (only the peer's own), and Dead Peer Detection both ways (RFC 3706).
#include <gtest/gtest.h>

#include "exchange_fixture.hpp"

namespace l2tpgw::cp::ike::test {
namespace {

using Op = FakeInstaller::Op;

TEST(IkeInformational, PeerDeletesIpsecThenIsakmpSa) {
  Established e;
  Lab& lab = e.lab;
  ASSERT_EQ(lab.inst.sas().size(), 2u);
  // Windows names its own inbound SPI (our outbound).
  EXPECT_TRUE(e.s.send(lab, e.s.ini.delete_esp(e.q.spi_i, 0x7001)).empty());
  EXPECT_EQ(lab.inst.sas().size(), 0u);
  EXPECT_EQ(lab.inst.count(Op::DelSa), 2u);
  EXPECT_EQ(lab.r.child_sa_count(), 0u);
  ASSERT_EQ(lab.downs.size(), 1u);
  EXPECT_EQ(lab.downs[0].spi_in, e.q.spi_r);
  EXPECT_EQ(lab.c(IkeCounter::DeleteReceived), 1u);
  EXPECT_EQ(lab.r.ike_sa_count(), 1u);
  EXPECT_TRUE(e.s.send(lab, e.s.ini.delete_isakmp(0x7002)).empty());
  EXPECT_EQ(lab.r.ike_sa_count(), 0u);
  EXPECT_EQ(lab.c(IkeCounter::Phase1Deleted), 1u);
  EXPECT_EQ(lab.c(IkeCounter::DeleteReceived), 2u);
}

TEST(IkeInformational, DeleteOfAnotherPeersSpiIsIgnored) {
  Established a;
  Lab& lab = a.lab;
  Session b(client_nat_path());
  ASSERT_TRUE(b.main_mode(lab));
  TestInitiator::Qm qb;
  ASSERT_TRUE(b.quick_mode(lab, qb, {esp_aes(128, kAuthHmacSha, kEncapUdpTransport)}));
  ASSERT_EQ(lab.inst.sas().size(), 4u);
  // Peer b names a's SPIs: nothing happens.
  b.send(lab, b.ini.delete_esp(a.q.spi_i, 0x5001));
  b.send(lab, b.ini.delete_esp(a.q.spi_r, 0x5002));
  EXPECT_EQ(lab.inst.sas().size(), 4u);
  EXPECT_EQ(lab.c(IkeCounter::DeleteReceived), 0u);
}

TEST(IkeInformational, DeletePeerRemovesOnePeeringAndTellsIt) {
  // L2TP found client a gone (keepalive): its SAs go with Delete notifications; b's stay.
  Established a;
  Lab& lab = a.lab;
  Session b(client_nat_path());
  ASSERT_TRUE(b.main_mode(lab));
  TestInitiator::Qm qb;
  ASSERT_TRUE(b.quick_mode(lab, qb, {esp_aes(128, kAuthHmacSha, kEncapUdpTransport)}));
  ASSERT_EQ(lab.ups.size(), 2u);
  const uint32_t pa = lab.ups[0].peer_index, pb = lab.ups[1].peer_index;
  ASSERT_NE(pa, pb);
  EXPECT_TRUE(lab.r.delete_peer(pa, lab.now, "L2TP peer unreachable"));
  auto out = lab.r.take_outbox();
  ASSERT_EQ(out.size(), 2u);  // Delete ESP, then Delete ISAKMP, both to a
  TestInitiator::Info esp, isakmp;
  ASSERT_TRUE(a.s.ini.take_info(out[0].message, esp));
  ASSERT_TRUE(a.s.ini.take_info(out[1].message, isakmp));
  EXPECT_EQ(out[0].peer, a.s.seen());
  EXPECT_EQ(esp.deletes.at(0).protocol, static_cast<uint8_t>(ProtocolId::IpsecEsp));
  EXPECT_EQ(isakmp.deletes.at(0).protocol, static_cast<uint8_t>(ProtocolId::Isakmp));
  ASSERT_EQ(lab.downs.size(), 1u);
  EXPECT_EQ(lab.downs[0].peer_index, pa);
  EXPECT_EQ(lab.inst.sas().size(), 2u);
  EXPECT_EQ(lab.r.ike_sa_count(), 1u);
  EXPECT_EQ(lab.c(IkeCounter::PeerDeleted), 1u);
  // Nothing left of a: a second call has nothing to do; b is untouched.
  EXPECT_FALSE(lab.r.delete_peer(pa, lab.now, "again"));
  EXPECT_TRUE(lab.r.take_outbox().empty());
  EXPECT_EQ(lab.r.child_sa_count(), 1u);
  EXPECT_EQ(lab.r.child_sas().at(0).peer_index, pb);
}

TEST(IkeInformational, DeadPeerDetectionIsAcknowledgedWithTheSequenceNumber) {
  Established e(false);
  auto out = e.s.send(e.lab, e.s.ini.dpd(0x01020304, 0x4242));
  ASSERT_EQ(out.size(), 1u);
  TestInitiator::Info info;
  ASSERT_TRUE(e.s.ini.take_info(out[0].message, info));
  ASSERT_EQ(info.notifications.size(), 1u);
  const Notification& n = info.notifications[0];
  EXPECT_EQ(n.type, static_cast<uint16_t>(NotifyType::RUThereAck));
  EXPECT_EQ(n.data, be32b(0x01020304));
  EXPECT_EQ(n.spi, e.s.ini.cookies_spi());
  EXPECT_EQ(e.lab.c(IkeCounter::DpdRequest), 1u);
  EXPECT_EQ(e.lab.c(IkeCounter::DpdAck), 1u);
  // A tampered R-U-THERE (HASH(1) no longer matches) is dropped.
  Bytes bad = e.s.ini.dpd(5, 0x4243);
  bad.back() ^= 1;
  EXPECT_TRUE(e.s.send(e.lab, bad).empty());
  EXPECT_EQ(e.lab.c(IkeCounter::DpdRequest), 1u);
}

TEST(IkeInformational, DeadPeerDetectionAsksAnIdlePeerThenDropsADeadOne) {
  Lab lab(dpd_config(10s, 3));
  Session s(direct_path());
  ASSERT_TRUE(s.main_mode(lab));
  TestInitiator::Qm q;
  ASSERT_TRUE(s.quick_mode(lab, q, {esp_aes(256, kAuthHmacSha)}));
  // The Quick Mode came after Main Mode armed DPD: the first check has heard from the peer.
  EXPECT_TRUE(lab.advance(10s).empty());
  // Idle for an interval: R-U-THERE; the ACK brings the peer back to life.
  auto n = r_u_there(s.ini, lab.advance(10s));
  ASSERT_TRUE(n);
  EXPECT_TRUE(s.send(lab, s.ini.dpd_ack(n->data, 0x3001)).empty());
  EXPECT_TRUE(lab.advance(10s).empty());  // heard from since the last check: nothing sent
  // Then silence: R-U-THERE with increasing sequence numbers, three times, then the end.
  uint32_t last = 0;
  for (int i = 0; i < 3; ++i) {
    auto m = r_u_there(s.ini, lab.advance(10s));
    ASSERT_TRUE(m) << i;
    const uint32_t seq = be32v(m->data);
    if (i) {
      EXPECT_EQ(seq, last + 1);
    }
    last = seq;
  }
  EXPECT_EQ(lab.c(IkeCounter::DpdSent), 4u);
  EXPECT_EQ(lab.inst.sas().size(), 2u);
  lab.advance(10s);
  EXPECT_EQ(lab.c(IkeCounter::DpdPeerDead), 1u);
  EXPECT_EQ(lab.r.ike_sa_count(), 0u);
  EXPECT_EQ(lab.inst.sas().size(), 0u);
  ASSERT_EQ(lab.downs.size(), 1u);
  EXPECT_TRUE(lab.advance(60s).empty());
}

TEST(IkeInformational, InboundEspIsProofOfLife) {
  Lab lab(dpd_config(10s, 2));
  Session s(direct_path());
  ASSERT_TRUE(s.main_mode(lab));
  TestInitiator::Qm q;
  ASSERT_TRUE(s.quick_mode(lab, q, {esp_aes(256, kAuthHmacSha)}));
  const uint32_t slot_in = lab.ups.at(0).slot_in;
  for (uint64_t i = 1; i <= 6; ++i) {
    lab.inst.fake.set_sa_usage(slot_in, SaUsage{i * 100, i * 100000});
    EXPECT_TRUE(lab.advance(10s).empty()) << i;
  }
  EXPECT_EQ(lab.c(IkeCounter::DpdSent), 0u);
  EXPECT_TRUE(r_u_there(s.ini, lab.advance(10s)));  // traffic stopped
}

TEST(IkeInformational, NoDpdForAPeerWithoutItsVendorId) {
  Lab lab(dpd_config(10s, 2));
  Session s(direct_path());
  s.ini.dpd_vid = false;
  ASSERT_TRUE(s.main_mode(lab));
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(lab.advance(10s).empty());
  EXPECT_EQ(lab.r.ike_sa_count(), 1u);
}

}  // namespace
}  // namespace l2tpgw::cp::ike::test
