// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ike/main_mode: Main Mode (RFC 2409 §5) as the responder against the
// test-only initiator: a wrong pre-shared key, proposals refused or restricted by policy, the
// half-open timeout and MM4 retransmission, INITIAL-CONTACT (RFC 2407 §4.6.3.3) and a phase-1
// rekey that keeps the peering.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "exchange_fixture.hpp"

namespace l2tpgw::cp::ike::test {
namespace {

using Op = FakeInstaller::Op;

TEST(IkeMainMode, RealStrongSwanMm1GetsMm2WithItsFirstProposal) {
  // Main Mode message 1 of a real strongSwan 5.9.8 client (tests/vectors/ike/strongswan_mm1.txt):
  // AES-256/SHA1/MODP2048, AES-128/SHA1/MODP2048, 3DES/SHA1/MODP1024, NAT-T vendor IDs.
  std::ifstream f(L2TPGW_VECTOR_DIR "/ike/strongswan_mm1.bin", std::ios::binary);
  const Bytes mm1{std::istreambuf_iterator<char>(f), {}};
  ASSERT_EQ(mm1.size(), 248u);
  Lab lab;
  const Path p = direct_path();
  auto out = lab.send(p.client_seen, p.resp_local, mm1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].peer, p.client_seen);
  auto h = decode_header(out[0].message);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->exchange, ExchangeType::IdentityProtection);
  EXPECT_TRUE(std::equal(h->icookie.begin(), h->icookie.end(), mm1.begin()));  // CKY-I echoed
  EXPECT_NE(h->rcookie, Cookie{});
  auto chain = walk_payloads(h->next_payload, ByteView(out[0].message).subspan(28), false);
  ASSERT_TRUE(chain);
  const PayloadView* sa = find_payload(*chain, PayloadType::Sa);
  ASSERT_NE(sa, nullptr);
  auto chosen = decode_sa(sa->body);
  ASSERT_TRUE(chosen);
  // RFC 2409 §5: exactly one transform back, the first acceptable one: transform #1.
  ASSERT_EQ(chosen->proposals.size(), 1u);
  ASSERT_EQ(chosen->proposals[0].transforms.size(), 1u);
  EXPECT_EQ(chosen->proposals[0].transforms[0].number, 1);
  EXPECT_EQ(lab.r.half_open_count(), 1u);
}

TEST(IkeMainMode, WrongPreSharedKeyFailsCountedAndInstallsNothing) {
  Lab lab;
  Session s(direct_path(), "not-the-key");
  auto out = s.send(lab, s.ini.mm1());
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(s.ini.take_mm2(out[0].message));
  out = s.send(lab, s.ini.mm3());
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(s.ini.take_mm4(out[0].message));
  out = s.send(lab, s.ini.mm5());
  EXPECT_TRUE(out.empty());  // no MM6 for a peer that does not know the key
  EXPECT_EQ(lab.c(IkeCounter::AuthFailed), 1u);
  EXPECT_EQ(lab.c(IkeCounter::Phase1Established), 0u);
  EXPECT_EQ(lab.r.ike_sa_count(), 0u);
  EXPECT_EQ(lab.r.half_open_count(), 0u);
  EXPECT_TRUE(lab.inst.fake.calls().empty());
  // Its Quick Mode then names an SA that does not exist.
  out = s.send(lab, s.ini.mm5());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(lab.c(IkeCounter::InvalidCookie), 1u);
}

TEST(IkeMainMode, UnacceptableProposalGetsNoProposalChosen) {
  Lab lab;
  Session s(direct_path());
  // AES-192 and RSA signatures: neither is supported.
  s.ini.offers = {p1(kOakleyAesCbc, 192, kOakleySha, 2), P1Offer{kOakleyAesCbc, 256, kOakleySha, 2, 3, 28800}};
  auto out = s.send(lab, s.ini.mm1());
  ASSERT_EQ(out.size(), 1u);
  IsakmpHeader h;
  auto chain = TestInitiator::plain_chain(out[0].message, &h);
  ASSERT_EQ(chain.size(), 1u);
  EXPECT_EQ(decode_notification(chain[0].body)->type,
            static_cast<uint16_t>(NotifyType::NoProposalChosen));
  EXPECT_EQ(lab.c(IkeCounter::NoProposalChosen), 1u);
  EXPECT_EQ(lab.r.ike_sa_count(), 0u);
}

TEST(IkeMainMode, PolicyRestrictsAlgorithmsAndChoosesByPeerAddress) {
  ResponderConfig cfg;
  PeerPolicy strict = PeerPolicy::all_supported();
  strict.psk = "strict-key";
  strict.ike_ciphers = {{CipherAlg::AesCbc, 128}};
  cfg.policies.set(direct_path().client_seen.addr, strict);
  Lab lab(cfg);  // no `any` policy
  Session s(direct_path(), "strict-key");
  s.ini.offers = {p1(kOakleyAesCbc, 256, kOakleySha, 2), p1(kOakleyAesCbc, 128, kOakleySha, 2)};
  ASSERT_TRUE(s.main_mode(lab));
  EXPECT_EQ(s.ini.chosen.cipher.key_bits, 128);
  EXPECT_EQ(s.ini.chosen_transform, 2u);
  // Another address has no gateway at all.
  Session other(client_nat_path(), "strict-key");
  EXPECT_TRUE(other.send(lab, other.ini.mm1()).empty());
  EXPECT_EQ(lab.c(IkeCounter::NoPolicy), 1u);
}

TEST(IkeMainMode, HalfOpenTimeoutRemovesAnMm1OnlySa) {
  Lab lab;
  Session s(direct_path());
  ASSERT_EQ(s.send(lab, s.ini.mm1()).size(), 1u);
  EXPECT_TRUE(lab.advance(29s).empty());  // MM2 is never resent on a timer
  EXPECT_EQ(lab.r.ike_sa_count(), 1u);
  lab.advance(2s);
  EXPECT_EQ(lab.r.ike_sa_count(), 0u);
  EXPECT_EQ(lab.r.half_open_count(), 0u);
  EXPECT_EQ(lab.c(IkeCounter::HalfOpenTimeout), 1u);
}

TEST(IkeMainMode, Mm4IsRetransmittedThenTheSaIsDropped) {
  Lab lab;
  Session s(direct_path());
  auto out = s.send(lab, s.ini.mm1());
  ASSERT_TRUE(s.ini.take_mm2(out[0].message));
  out = s.send(lab, s.ini.mm3());
  const Bytes mm4 = out[0].message;
  size_t resent = 0;
  for (int i = 0; i < 123; ++i) {
    for (const auto& d : lab.advance(1s)) {
      EXPECT_EQ(d.message, mm4);
      ++resent;
    }
  }
  // Resent after 4, 12, 28 and 60 s (4 s doubling); given up 64 s after the last.
  EXPECT_EQ(resent, 4u);
  EXPECT_EQ(lab.r.ike_sa_count(), 1u);
  lab.advance(1s);
  EXPECT_EQ(lab.c(IkeCounter::TimerRetransmits), 4u);
  EXPECT_EQ(lab.c(IkeCounter::RetransmitLimit), 1u);
  EXPECT_EQ(lab.r.ike_sa_count(), 0u);
}

TEST(IkeMainMode, InitialContactDropsTheRebootedClientsOldSas) {
  Established e;
  Lab& lab = e.lab;
  ASSERT_EQ(lab.inst.sas().size(), 2u);
  const uint32_t old_peer_index = lab.ups.at(0).peer_index;
  // The client reboots and connects again from the same address, with INITIAL-CONTACT.
  Session again(direct_path());
  ASSERT_TRUE(again.main_mode(lab, true));
  EXPECT_EQ(lab.c(IkeCounter::InitialContact), 1u);
  EXPECT_EQ(lab.r.ike_sa_count(), 1u);
  EXPECT_EQ(lab.inst.sas().size(), 0u);
  ASSERT_EQ(lab.downs.size(), 1u);
  TestInitiator::Qm q;
  ASSERT_TRUE(again.quick_mode(lab, q, {esp_aes(128, kAuthHmacSha)}));
  EXPECT_NE(lab.ups.at(1).peer_index, old_peer_index);
}

TEST(IkeMainMode, PhaseOneRekeyKeepsThePeering) {
  Established e;
  Lab& lab = e.lab;
  // The same client negotiates a new ISAKMP SA (no INITIAL-CONTACT): the old SAs stay and the
  // new Quick Mode installs under the same peering, so L2TP keeps its tunnel.
  Session again(direct_path());
  ASSERT_TRUE(again.main_mode(lab));
  TestInitiator::Qm q;
  ASSERT_TRUE(again.quick_mode(lab, q, {esp_aes(128, kAuthHmacSha)}));
  EXPECT_EQ(lab.r.ike_sa_count(), 2u);
  EXPECT_EQ(lab.inst.sas().size(), 4u);
  EXPECT_EQ(lab.ups.at(0).peer_index, lab.ups.at(1).peer_index);
}

TEST(IkeMainMode, ARestartedResponderNumbersNewPeeringsPastTheInstalledOnes) {
  // A previous controlplane left a peering's SAs forwarding (peer index 41): a new client must
  // not share its number, or the dataplane would take its SAs for the old client's.
  Lab lab(default_config(), [](RecordingInstaller& inst) {
    tables::SaParams in;
    in.direction = tables::SaDirection::Inbound;
    in.peer_index = 41;
    in.peer_addr = ip(198, 51, 100, 99);
    tables::SaParams out = in;
    out.direction = tables::SaDirection::Outbound;
    out.spi = 0x4100;
    ASSERT_TRUE(inst.fake.add_sa(in));
    ASSERT_TRUE(inst.fake.add_sa(out));
  });
  Session s(direct_path());
  ASSERT_TRUE(s.main_mode(lab));
  TestInitiator::Qm q;
  ASSERT_TRUE(s.quick_mode(lab, q, {esp_aes(128, kAuthHmacSha)}));
  ASSERT_EQ(lab.ups.size(), 1u);
  EXPECT_GT(lab.ups[0].peer_index, 41u);
}

}  // namespace
}  // namespace l2tpgw::cp::ike::test
