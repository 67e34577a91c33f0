// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ike/quick_mode: Quick Mode (RFC 2409 §5.5): the inbound SA installed
// before QM2 (make-before-break), QM2 retransmission and the inbound SA it announced, IDs that must name L2TP, tunnel mode and plain ESP behind a NAT refused,
// PFS required, install failures rolled back, and lifetimes (RESPONDER-LIFETIME, expiry with
// Delete).
#include <gtest/gtest.h>

#include "exchange_fixture.hpp"

namespace l2tpgw::cp::ike::test {
namespace {

using Op = FakeInstaller::Op;

TEST(IkeQuickMode, InboundSaIsInstalledBeforeQm2AnnouncesItsSpi) {
  // strongSwan installs both directions when QM2 arrives and sends on the new SA at once: its
  // first ESP packets can reach the fastpath before QM3 reaches us (seen as an EspNoSa drop and
  // a lost ping on every few rekeys in tests/interop/ike_e2e.py). The SA we receive on must be
  // in place when QM2 leaves; the one we send on waits for HASH(3).
  Established e(false);
  TestInitiator::Qm q;
  auto out = e.s.send(e.lab, e.s.ini.qm1(q, {esp_aes(256, kAuthHmacSha)}, e.s.l2tp_ids(), false));
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(e.s.ini.take_qm2(q, out[0].message));
  auto sas = e.lab.inst.sas();
  ASSERT_EQ(sas.size(), 1u);
  EXPECT_EQ(sas[0].direction, tables::SaDirection::Inbound);
  EXPECT_EQ(sas[0].spi, q.spi_r);
  EXPECT_NE(sas[0].peer_index, 0u);
  const auto& k = e.lab.inst.added.at(sas[0].slot);
  Bytes got = k.enc_key;
  got.insert(got.end(), k.auth_key.begin(), k.auth_key.end());
  EXPECT_EQ(got, Bytes(q.keymat_r.begin(), q.keymat_r.end()));  // as the initiator keys it
  EXPECT_TRUE(e.lab.ups.empty());
  EXPECT_EQ(e.lab.r.child_sa_count(), 0u);

  e.s.send(e.lab, e.s.ini.qm3(q));
  sas = e.lab.inst.sas();
  ASSERT_EQ(sas.size(), 2u);
  EXPECT_EQ(e.lab.inst.count(Op::AddSa), 2u);
  ASSERT_EQ(e.lab.ups.size(), 1u);
  EXPECT_EQ(e.lab.ups[0].slot_in, sas[0].direction == tables::SaDirection::Inbound
                                       ? sas[0].slot : sas[1].slot);
}

TEST(IkeQuickMode, Qm2IsRetransmittedThenTheInboundSaIsRemoved) {
  Established e(false);
  TestInitiator::Qm q;
  auto out = e.s.send(e.lab, e.s.ini.qm1(q, {esp_aes(256, kAuthHmacSha)}, e.s.l2tp_ids(), false));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(e.lab.inst.sas().size(), 1u);
  size_t resent = 0;
  for (int i = 0; i < 124; ++i) resent += e.lab.advance(1s).size();
  EXPECT_EQ(resent, 4u);
  EXPECT_EQ(e.lab.c(IkeCounter::RetransmitLimit), 1u);
  EXPECT_EQ(e.lab.inst.count(Op::AllocSpi), 1u);
  EXPECT_EQ(e.lab.inst.count(Op::DelSa), 1u);  // the SPI goes with it
  EXPECT_EQ(e.lab.inst.sas().size(), 0u);
  EXPECT_TRUE(e.lab.ups.empty());
  EXPECT_EQ(e.lab.r.ike_sas()[0].quick_modes, 0u);
  // A QM3 retransmission of QM2 makes the initiator send lands nowhere now.
  ASSERT_TRUE(e.s.ini.take_qm2(q, out[0].message));
  e.s.send(e.lab, e.s.ini.qm3(q));
  EXPECT_EQ(e.lab.inst.sas().size(), 0u);
}

TEST(IkeQuickMode, Qm2RetransmissionLetsALostQm3Through) {
  Established e(false);
  TestInitiator::Qm q;
  auto out = e.s.send(e.lab, e.s.ini.qm1(q, {esp_aes(256, kAuthHmacSha)}, e.s.l2tp_ids(), false));
  ASSERT_TRUE(e.s.ini.take_qm2(q, out[0].message));
  const Bytes qm3 = e.s.ini.qm3(q);  // lost on the way
  ASSERT_EQ(e.lab.advance(5s).size(), 1u);  // QM2 again
  e.s.send(e.lab, qm3);  // the initiator answers the duplicate QM2 with QM3 again
  EXPECT_EQ(e.lab.inst.sas().size(), 2u);
  EXPECT_TRUE(e.lab.advance(60s).empty());  // no more retransmissions
}

TEST(IkeQuickMode, QuickModeIdsMustNameL2tp) {
  Established e(false);
  TestInitiator::Qm q;
  // UDP port 80 instead of 1701.
  auto ids = std::make_pair(ipv4_id(e.s.path.client_self.addr, 17, 80),
                            ipv4_id(e.s.path.resp_public.addr, 17, 1701));
  auto out = e.s.send(e.lab, e.s.ini.qm1(q, {esp_aes(256, kAuthHmacSha)}, ids, false));
  ASSERT_EQ(out.size(), 1u);
  TestInitiator::Info info;
  ASSERT_TRUE(e.s.ini.take_info(out[0].message, info));
  ASSERT_EQ(info.notifications.size(), 1u);
  EXPECT_EQ(info.notifications[0].type, static_cast<uint16_t>(NotifyType::InvalidIdInformation));
  EXPECT_EQ(e.lab.c(IkeCounter::InvalidId), 1u);
  EXPECT_EQ(e.lab.inst.count(Op::AllocSpi), 0u);
  // Without a NAT the client's ID must be its own address.
  auto spoofed = std::make_pair(ipv4_id(ip(198, 51, 100, 99), 17, 1701),
                                ipv4_id(e.s.path.resp_public.addr, 17, 1701));
  TestInitiator::Qm q2;
  e.s.send(e.lab, e.s.ini.qm1(q2, {esp_aes(256, kAuthHmacSha)}, spoofed, false));
  EXPECT_EQ(e.lab.c(IkeCounter::InvalidId), 2u);
  // No IDs at all: the phase-1 endpoints are implied (RFC 2409 §5.5), accepted.
  TestInitiator::Qm q3;
  EXPECT_TRUE(e.s.quick_mode(e.lab, q3, {esp_aes(256, kAuthHmacSha)}, false));
}

TEST(IkeQuickMode, TunnelModeAndUnencapsulatedEspBehindNatAreRefused) {
  Established e(false);
  TestInitiator::Qm q;
  auto out = e.s.send(e.lab, e.s.ini.qm1(q, {esp_aes(256, kAuthHmacSha, kEncapTunnel)},
                                         e.s.l2tp_ids(), false));
  ASSERT_EQ(out.size(), 1u);
  TestInitiator::Info info;
  ASSERT_TRUE(e.s.ini.take_info(out[0].message, info));
  EXPECT_EQ(info.notifications.at(0).type, static_cast<uint16_t>(NotifyType::NoProposalChosen));
  EXPECT_EQ(e.lab.c(IkeCounter::NoProposalChosen), 1u);

  Lab lab2;
  Session nat(client_nat_path());
  ASSERT_TRUE(nat.main_mode(lab2));
  TestInitiator::Qm q2;
  out = nat.send(lab2, nat.ini.qm1(q2, {esp_aes(256, kAuthHmacSha, kEncapTransport)},
                                   nat.l2tp_ids(), true));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(lab2.c(IkeCounter::NoProposalChosen), 1u);
  EXPECT_EQ(lab2.inst.sas().size(), 0u);
}

TEST(IkeQuickMode, PfsRequiredRefusesQuickModeWithoutKe) {
  ResponderConfig cfg = default_config();
  PeerPolicy p = PeerPolicy::all_supported();
  p.psk = kPsk;
  p.pfs_required = true;
  cfg.policies.set_any(p);
  Lab lab(cfg);
  Session s(direct_path());
  ASSERT_TRUE(s.main_mode(lab));
  TestInitiator::Qm q;
  s.send(lab, s.ini.qm1(q, {esp_aes(256, kAuthHmacSha)}, s.l2tp_ids(), false));
  EXPECT_EQ(lab.c(IkeCounter::NoProposalChosen), 1u);
  EspOffer pfs = esp_aes(256, kAuthHmacSha);
  pfs.group = 14;
  TestInitiator::Qm q2;
  EXPECT_TRUE(s.quick_mode(lab, q2, {pfs}));
  EXPECT_EQ(lab.inst.sas().size(), 2u);
}

TEST(IkeQuickMode, InboundInstallFailureReleasesTheSpi) {
  Established e(false);
  TestInitiator::Qm q;
  e.lab.inst.fake.fail_next(Op::AddSa);  // the first add_sa (inbound, before QM2) is refused
  auto out = e.s.send(e.lab, e.s.ini.qm1(q, {esp_aes(256, kAuthHmacSha)}, e.s.l2tp_ids(), false));
  EXPECT_TRUE(out.empty());  // no QM2 announces an SPI that has no SA
  EXPECT_EQ(e.lab.c(IkeCounter::InstallFailed), 1u);
  EXPECT_EQ(e.lab.r.ike_sas()[0].quick_modes, 0u);
  EXPECT_EQ(e.lab.inst.sas().size(), 0u);
  EXPECT_EQ(e.lab.inst.count(Op::ReleaseSpi), 1u);
  EXPECT_TRUE(e.lab.ups.empty());
  // The next Quick Mode works.
  TestInitiator::Qm q2;
  EXPECT_TRUE(e.s.quick_mode(e.lab, q2, {esp_aes(256, kAuthHmacSha)}));
  EXPECT_EQ(e.lab.inst.sas().size(), 2u);
}

TEST(IkeQuickMode, OutboundInstallFailureDeletesTheInboundSa) {
  // An SA table with room for one SA: the inbound one fits, the outbound one does not.
  Lab lab;
  lab.inst.fake = FakeInstaller(1);
  Session s(direct_path());
  ASSERT_TRUE(s.main_mode(lab));
  TestInitiator::Qm q;
  auto out = s.send(lab, s.ini.qm1(q, {esp_aes(256, kAuthHmacSha)}, s.l2tp_ids(), false));
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(s.ini.take_qm2(q, out[0].message));
  s.send(lab, s.ini.qm3(q));
  EXPECT_EQ(lab.c(IkeCounter::InstallFailed), 1u);
  EXPECT_EQ(lab.inst.sas().size(), 0u);
  EXPECT_EQ(lab.inst.count(Op::DelSa), 1u);
  EXPECT_EQ(lab.r.child_sa_count(), 0u);
}

TEST(IkeQuickMode, LifetimesExpireSasAndTellThePeer) {
  ResponderConfig cfg = default_config();
  PeerPolicy p = PeerPolicy::all_supported();
  p.psk = kPsk;
  p.ipsec_lifetime_max = 600;
  p.isakmp_lifetime_max = 1200;
  cfg.policies.set_any(p);
  Lab lab(cfg);
  Session s(direct_path());
  ASSERT_TRUE(s.main_mode(lab));
  TestInitiator::Qm q;
  ASSERT_TRUE(s.quick_mode(lab, q, {esp_aes(256, kAuthHmacSha)}));  // proposes 3600 s
  // RFC 2407 §4.6.3.1: the shorter lifetime was announced in QM2.
  ASSERT_EQ(q.notifications.size(), 1u);
  EXPECT_EQ(q.notifications[0].type, static_cast<uint16_t>(NotifyType::ResponderLifetime));
  EXPECT_EQ(q.notifications[0].spi, be32b(q.spi_r));
  auto attrs = decode_attributes(q.notifications[0].data);
  ASSERT_TRUE(attrs);
  ASSERT_EQ(attrs->size(), 2u);
  EXPECT_EQ((*attrs)[1].integer(), 600u);
  EXPECT_EQ(lab.ups.at(0).lifetime, 600u);

  EXPECT_TRUE(lab.advance(599s).empty());
  auto out = lab.advance(1s);
  EXPECT_EQ(lab.inst.sas().size(), 0u);
  EXPECT_EQ(lab.c(IkeCounter::Phase2Expired), 1u);
  ASSERT_EQ(out.size(), 1u);
  TestInitiator::Info info;
  ASSERT_TRUE(s.ini.take_info(out[0].message, info));
  ASSERT_EQ(info.deletes.size(), 1u);
  EXPECT_EQ(info.deletes[0].protocol, static_cast<uint8_t>(ProtocolId::IpsecEsp));
  EXPECT_EQ(info.deletes[0].spis.at(0), be32b(q.spi_r));
  ASSERT_EQ(lab.downs.size(), 1u);

  out = lab.advance(600s);
  EXPECT_EQ(lab.r.ike_sa_count(), 0u);
  EXPECT_EQ(lab.c(IkeCounter::Phase1Expired), 1u);
  ASSERT_EQ(out.size(), 1u);
  TestInitiator::Info info2;
  ASSERT_TRUE(s.ini.take_info(out[0].message, info2));
  ASSERT_EQ(info2.deletes.size(), 1u);
  EXPECT_EQ(info2.deletes[0].spis.at(0), s.ini.cookies_spi());
}

}  // namespace
}  // namespace l2tpgw::cp::ike::test
