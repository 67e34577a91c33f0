// SPDX-License-Identifier: Apache-2.0
// Exchange tests for controlplane/ike/responder: the responder against the test-only initiator
// over a FakeInstaller, one message at a time. Full Main Mode + Quick Mode for the real clients'
// proposal sets (Windows, macOS/iOS, Android) and the other groups and ciphers, directly,
// behind a client NAT (RFC 3947 and draft-02), and with the responder behind a NAT; then what
// the dispatcher owns: duplicates, Aggressive Mode, the half-open cap and rate limit, garbage
// and unknown cookies, shutdown, and no secret in any log line. The exchanges' own failures
// are in main_mode_test, quick_mode_test and informational_test.
#include "controlplane/ike/responder.hpp"

#include <algorithm>
#include <cstdio>

#include <gtest/gtest.h>

#include "controlplane/log/log.hpp"
#include "exchange_fixture.hpp"

namespace l2tpgw::cp::ike::test {
namespace {

using Op = FakeInstaller::Op;

// ---- Failures and the rest of the protocol ----

struct Client {
  const char* name;
  std::vector<P1Offer> p1;
  std::vector<EspOffer> esp;  // encapsulation filled in per path
  CipherSuite want_cipher;
  HashAlg want_hash;
  DhGroup want_group;
  EspCipher want_esp;
  EspAuth want_auth;
};

const std::vector<Client>& clients() {
  static const std::vector<Client> c = {
      // Windows: AES-256/SHA1/MODP1024 first, 3DES as a fallback; ESP proposals one per
      // transform with 3600 s and 250000 KB.
      {"windows",
       {p1(kOakleyAesCbc, 256, kOakleySha, 2), p1(kOakley3DesCbc, 0, kOakleySha, 2)},
       {esp(EspTransformId::Aes, 256, kAuthHmacSha, 0, 3600, 250000),
        esp(EspTransformId::Aes, 128, kAuthHmacSha, 0, 3600, 250000),
        esp(EspTransformId::TripleDes, 0, kAuthHmacSha, 0, 3600, 250000)},
       {CipherAlg::AesCbc, 256}, HashAlg::Sha1, DhGroup::Modp1024, EspCipher::AesCbc256,
       EspAuth::HmacSha1_96},
      // macOS/iOS: AES-256/SHA256/MODP2048 with 3600 s.
      {"macos",
       {p1(kOakleyAesCbc, 256, kOakleySha256, 14, 3600), p1(kOakleyAesCbc, 128, kOakleySha, 14, 3600)},
       {esp(EspTransformId::Aes, 256, kAuthHmacSha256), esp(EspTransformId::Aes, 256, kAuthHmacSha)},
       {CipherAlg::AesCbc, 256}, HashAlg::Sha256, DhGroup::Modp2048, EspCipher::AesCbc256,
       EspAuth::HmacSha256_128},
      // Android: 3DES/SHA1/MODP1024.
      {"android",
       {p1(kOakley3DesCbc, 0, kOakleySha, 2)},
       {esp(EspTransformId::Aes, 128, kAuthHmacSha), esp(EspTransformId::TripleDes, 0, kAuthHmacSha)},
       {CipherAlg::TdesCbc, 192}, HashAlg::Sha1, DhGroup::Modp1024, EspCipher::AesCbc128,
       EspAuth::HmacSha1_96},
      // ECP-256 with AES-GCM-256 and PFS in ECP-256 (RFC 5903, RFC 4106).
      {"ecp256_gcm_pfs",
       {p1(kOakleyAesCbc, 128, kOakleySha256, 19)},
       {esp(EspTransformId::AesGcm16, 256, 0, 19)},
       {CipherAlg::AesCbc, 128}, HashAlg::Sha256, DhGroup::Ecp256, EspCipher::AesGcm256,
       EspAuth::None},
      // ECP-384, AES-GCM-128.
      {"ecp384_gcm",
       {p1(kOakleyAesCbc, 256, kOakleySha256, 20)},
       {esp(EspTransformId::AesGcm16, 128, 0)},
       {CipherAlg::AesCbc, 256}, HashAlg::Sha256, DhGroup::Ecp384, EspCipher::AesGcm128,
       EspAuth::None},
      // Single DES / MD5 / MODP768 with DES-CBC + HMAC-MD5 and PFS in MODP768.
      {"des_md5_modp768_pfs",
       {p1(kOakleyDesCbc, 0, kOakleyMd5, 1)},
       {esp(EspTransformId::Des, 0, kAuthHmacMd5, 1)},
       {CipherAlg::DesCbc, 64}, HashAlg::Md5, DhGroup::Modp768, EspCipher::DesCbc,
       EspAuth::HmacMd5_96},
      // AES-128 / MD5 / MODP1536 with 3DES + HMAC-MD5 and PFS in MODP2048.
      {"aes128_md5_modp1536",
       {p1(kOakleyAesCbc, 128, kOakleyMd5, 5)},
       {esp(EspTransformId::TripleDes, 0, kAuthHmacMd5, 14)},
       {CipherAlg::AesCbc, 128}, HashAlg::Md5, DhGroup::Modp1536, EspCipher::TdesCbc,
       EspAuth::HmacMd5_96},
  };
  return c;
}

enum class Net { Direct, ClientNatRfc3947, ClientNatDraft02n, ResponderNat };

const char* net_name(Net n) {
  switch (n) {
    case Net::Direct: return "direct";
    case Net::ClientNatRfc3947: return "client_nat_rfc3947";
    case Net::ClientNatDraft02n: return "client_nat_draft02n";
    case Net::ResponderNat: return "responder_nat";
  }
  return "?";
}

class FullExchange : public ::testing::TestWithParam<std::tuple<size_t, Net>> {};

TEST_P(FullExchange, MainModeAndQuickModeInstallMatchingKeys) {
  const Client& cl = clients()[std::get<0>(GetParam())];
  const Net net = std::get<1>(GetParam());
  const Path path = net == Net::Direct         ? direct_path()
                    : net == Net::ResponderNat ? responder_nat_path()
                                               : client_nat_path();
  const bool nat = net != Net::Direct;
  Lab lab;
  Session s(path);
  s.ini.offers = cl.p1;
  s.ini.natt = net == Net::ClientNatDraft02n ? NatT::Draft02n : NatT::Rfc3947;

  ASSERT_TRUE(s.main_mode(lab));
  EXPECT_EQ(s.ini.chosen.cipher, cl.want_cipher);
  EXPECT_EQ(s.ini.chosen.hash, cl.want_hash);
  EXPECT_EQ(s.ini.chosen.group, cl.want_group);
  EXPECT_EQ(s.ini.chosen_transform, 1u);  // the client's first choice
  EXPECT_EQ(s.ini.natt_agreed, s.ini.natt);
  EXPECT_TRUE(s.ini.responder_dpd);
  EXPECT_EQ(s.ini.nat_detected, nat);
  EXPECT_EQ(s.floated, nat);
  EXPECT_EQ(lab.c(IkeCounter::Phase1Established), 1u);
  EXPECT_EQ(lab.c(IkeCounter::NatDetected), nat ? 1u : 0u);
  ASSERT_EQ(lab.r.ike_sas().size(), 1u);
  const IkeSaView v = lab.r.ike_sas()[0];
  EXPECT_EQ(v.state, MainModeState::Auth);
  EXPECT_EQ(v.nat_peer, net == Net::ClientNatRfc3947 || net == Net::ClientNatDraft02n);
  EXPECT_EQ(v.nat_local, net == Net::ResponderNat);
  EXPECT_EQ(v.peer, s.seen());
  EXPECT_EQ(lab.r.half_open_count(), 0u);

  // Quick Mode: UDP-encapsulated transport behind a NAT (the draft's number with a draft
  // client), transport otherwise.
  const uint16_t encap = !nat ? kEncapTransport
                         : net == Net::ClientNatDraft02n ? kEncapUdpTransportDraft
                                                         : kEncapUdpTransport;
  std::vector<EspOffer> offers = cl.esp;
  for (auto& o : offers) o.encap = encap;
  TestInitiator::Qm q;
  ASSERT_TRUE(s.quick_mode(lab, q, offers));
  EXPECT_EQ(q.chosen.cipher, cl.want_esp);
  EXPECT_EQ(q.chosen.auth, cl.want_auth);
  EXPECT_EQ(q.encap_echo, encap);
  EXPECT_EQ(q.nat_oa_count, nat && s.ini.natt_agreed == NatT::Rfc3947 ? 2u : 0u);
  EXPECT_EQ(lab.c(IkeCounter::Phase2Established), 1u);
  EXPECT_EQ(lab.inst.count(Op::AllocSpi), 1u);
  EXPECT_EQ(lab.inst.count(Op::AddSa), 2u);

  // Both directions installed, keyed as the initiator derived them (RFC 2409 §5.5).
  const auto sas = lab.inst.sas();
  ASSERT_EQ(sas.size(), 2u);
  const auto in = std::find_if(sas.begin(), sas.end(),
                               [](const InstalledSa& a) { return a.direction == tables::SaDirection::Inbound; });
  const auto out = std::find_if(sas.begin(), sas.end(),
                                [](const InstalledSa& a) { return a.direction == tables::SaDirection::Outbound; });
  ASSERT_NE(in, sas.end());
  ASSERT_NE(out, sas.end());
  EXPECT_EQ(in->spi, q.spi_r);
  EXPECT_EQ(out->spi, q.spi_i);
  EXPECT_EQ(in->peer_index, out->peer_index);
  EXPECT_NE(in->peer_index, 0u);
  for (const InstalledSa* a : {&*in, &*out}) {
    EXPECT_EQ(a->cipher, cl.want_esp);
    EXPECT_EQ(a->auth, cl.want_auth);
    EXPECT_EQ(a->natt, nat);
    EXPECT_EQ(a->peer_addr, s.seen().addr);
    EXPECT_EQ(a->local_addr, path.resp_local.addr);
    EXPECT_EQ(a->local_port, nat ? kNatTPort : 0);
    EXPECT_EQ(a->peer_port, nat ? s.seen().port : 0);
  }
  EXPECT_EQ(in->replay_window, 64);
  const auto& kin = lab.inst.added.at(in->slot);
  const auto& kout = lab.inst.added.at(out->slot);
  Bytes want_in(q.keymat_r.begin(), q.keymat_r.end());
  Bytes want_out(q.keymat_i.begin(), q.keymat_i.end());
  Bytes got_in = kin.enc_key, got_out = kout.enc_key;
  got_in.insert(got_in.end(), kin.auth_key.begin(), kin.auth_key.end());
  got_out.insert(got_out.end(), kout.auth_key.begin(), kout.auth_key.end());
  EXPECT_EQ(got_in, want_in);
  EXPECT_EQ(got_out, want_out);
  EXPECT_EQ(kin.enc_key.size(), esp_enc_keymat_len(cl.want_esp));

  ASSERT_EQ(lab.ups.size(), 1u);
  EXPECT_EQ(lab.ups[0].slot_in, in->slot);
  EXPECT_EQ(lab.ups[0].slot_out, out->slot);
  EXPECT_EQ(lab.ups[0].natt, nat);
  EXPECT_EQ(lab.ups[0].lifetime, 3600u);
  if (nat && s.ini.natt_agreed == NatT::Rfc3947) {
    EXPECT_EQ(lab.ups[0].nat_oa_peer, path.client_self.addr);
  }
  EXPECT_EQ(lab.c(IkeCounter::Malformed), 0u);
  EXPECT_EQ(lab.c(IkeCounter::AuthFailed), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    RealClients, FullExchange,
    ::testing::Combine(::testing::Range<size_t>(0, 7),
                       ::testing::Values(Net::Direct, Net::ClientNatRfc3947, Net::ClientNatDraft02n,
                                         Net::ResponderNat)),
    [](const auto& info) {
      return std::string(clients()[std::get<0>(info.param)].name) + "_" +
             net_name(std::get<1>(info.param));
    });

// ---- Failures and the rest of the protocol ----

// What `show ipsec sa` reads: the gateway and lifetimes of the ISAKMP SA, and for the IPsec
// SA pair the ISAKMP SA that negotiated it, its gateway and when it was installed.
TEST(IkeResponder, ViewsTellGatewaysLifetimesAndTheIsakmpSaOfEachPair) {
  Lab lab;
  Session s(direct_path());
  ASSERT_TRUE(s.main_mode(lab));
  const TimePoint mm_done = lab.now;
  lab.now += 5s;
  TestInitiator::Qm q;
  ASSERT_TRUE(s.quick_mode(lab, q, {esp_aes(256, kAuthHmacSha)}));
  ASSERT_EQ(lab.r.ike_sas().size(), 1u);
  const IkeSaView v = lab.r.ike_sas()[0];
  EXPECT_EQ(v.gateway_id, 1u);
  EXPECT_EQ(v.established, mm_done);
  EXPECT_EQ(v.expires, mm_done + 28800s);
  ASSERT_EQ(lab.r.child_sas().size(), 1u);
  const ChildSaEvent c = lab.r.child_sas()[0];
  EXPECT_EQ(c.ike_serial, v.serial);
  EXPECT_EQ(c.gateway_id, 1u);
  EXPECT_EQ(c.installed, mm_done + 5s);
  EXPECT_EQ(c.lifetime, 3600u);
  // A Main Mode still running has no lifetime yet.
  Session other(client_nat_path());
  other.send(lab, other.ini.mm1());
  ASSERT_EQ(lab.r.ike_sas().size(), 2u);
  EXPECT_EQ(lab.r.ike_sas()[1].expires, TimePoint{});
}

TEST(IkeResponder, DuplicatesGetTheSameReplyAndNoSecondSa) {
  Lab lab;
  Session s(direct_path());
  const Bytes mm1 = s.ini.mm1();
  auto a = s.send(lab, mm1);
  auto b = s.send(lab, mm1);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].message, b[0].message);
  EXPECT_EQ(lab.r.ike_sa_count(), 1u);
  ASSERT_TRUE(s.ini.take_mm2(a[0].message));
  const Bytes mm3 = s.ini.mm3();
  a = s.send(lab, mm3);
  b = s.send(lab, mm3);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].message, b[0].message);
  ASSERT_TRUE(s.ini.take_mm4(a[0].message));
  const Bytes mm5 = s.ini.mm5();
  a = s.send(lab, mm5);
  b = s.send(lab, mm5);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].message, b[0].message);
  ASSERT_TRUE(s.ini.take_mm6(a[0].message));
  // An MM1 retransmitted late (after the exchange moved on) is not answered again.
  EXPECT_TRUE(s.send(lab, mm1).empty());
  EXPECT_EQ(lab.c(IkeCounter::Retransmits), 3u);
  EXPECT_EQ(lab.c(IkeCounter::Phase1Established), 1u);

  TestInitiator::Qm q;
  const Bytes qm1 = s.ini.qm1(q, {esp_aes(128, kAuthHmacSha)}, s.l2tp_ids(), false);
  a = s.send(lab, qm1);
  b = s.send(lab, qm1);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].message, b[0].message);
  ASSERT_TRUE(s.ini.take_qm2(q, a[0].message));
  const Bytes qm3 = s.ini.qm3(q);
  EXPECT_TRUE(s.send(lab, qm3).empty());
  EXPECT_TRUE(s.send(lab, qm3).empty());
  EXPECT_TRUE(s.send(lab, qm1).empty());  // QM1 after the exchange finished: nothing to resend
  EXPECT_EQ(lab.c(IkeCounter::Retransmits), 4u);
  EXPECT_EQ(lab.c(IkeCounter::DuplicateIgnored), 3u);
  EXPECT_EQ(lab.inst.count(Op::AllocSpi), 1u);
  EXPECT_EQ(lab.inst.count(Op::AddSa), 2u);
  EXPECT_EQ(lab.inst.sas().size(), 2u);
  EXPECT_EQ(lab.c(IkeCounter::Phase2Established), 1u);
  // Replayed after the finished exchange was forgotten, QM1 still starts nothing.
  lab.advance(120s);
  EXPECT_TRUE(s.send(lab, qm1).empty());
  EXPECT_EQ(lab.inst.count(Op::AllocSpi), 1u);
  EXPECT_EQ(lab.c(IkeCounter::DuplicateIgnored), 4u);
}

TEST(IkeResponder, DuplicateRepliesAreBounded) {
  ResponderConfig cfg = default_config();
  cfg.limits.max_duplicate_replies = 3;
  Lab lab(cfg);
  Session s(direct_path());
  const Bytes mm1 = s.ini.mm1();
  ASSERT_EQ(s.send(lab, mm1).size(), 1u);
  size_t replies = 0;
  for (int i = 0; i < 10; ++i) replies += s.send(lab, mm1).size();
  EXPECT_EQ(replies, 3u);
  EXPECT_EQ(lab.c(IkeCounter::DuplicateIgnored), 7u);
}

TEST(IkeResponder, AggressiveModeIsRefusedWithNoProposalChosen) {
  Lab lab;
  Session s(direct_path());
  auto out = s.send(lab, s.ini.mm1(ExchangeType::Aggressive));
  ASSERT_EQ(out.size(), 1u);
  IsakmpHeader h;
  auto chain = TestInitiator::plain_chain(out[0].message, &h);
  EXPECT_EQ(h.exchange, ExchangeType::Informational);
  EXPECT_EQ(h.icookie, s.ini.ci);
  ASSERT_EQ(chain.size(), 1u);
  auto n = decode_notification(chain[0].body);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->type, static_cast<uint16_t>(NotifyType::NoProposalChosen));
  EXPECT_EQ(lab.c(IkeCounter::AggressiveRefused), 1u);
  EXPECT_EQ(lab.r.ike_sa_count(), 0u);
}

TEST(IkeResponder, HalfOpenCapEvictsSpoofedSourcesAndKeepsServingRealClients) {
  ResponderConfig cfg = default_config();
  cfg.limits.max_half_open = 8;
  Lab lab(cfg);
  // A real client established before the flood.
  Session early(direct_path());
  ASSERT_TRUE(early.main_mode(lab));
  // 200 MM1s from spoofed sources (each a different address): memory stays bounded.
  for (uint32_t i = 0; i < 200; ++i) {
    TestInitiator spoof({ip(100, 64, 0, 0) + i, 500}, {ip(192, 0, 2, 1), 500}, kPsk);
    lab.send({ip(100, 64, 0, 0) + i, 500}, {ip(192, 0, 2, 1), 500}, spoof.mm1());
    EXPECT_LE(lab.r.half_open_count(), 8u);
  }
  EXPECT_EQ(lab.r.ike_sa_count(), 9u);  // 8 half-open + the established one
  EXPECT_EQ(lab.c(IkeCounter::HalfOpenEvicted), 192u);
  // A real client still gets through while the flood goes on: it answers MM2 (reaching Ke)
  // before enough new spoofed MM1s arrive to evict it... and an SA in Ke is never evicted.
  Session late(client_nat_path());
  auto out = late.send(lab, late.ini.mm1());
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(late.ini.take_mm2(out[0].message));
  out = late.send(lab, late.ini.mm3());
  ASSERT_EQ(out.size(), 1u);
  for (uint32_t i = 0; i < 50; ++i) {
    TestInitiator spoof({ip(100, 65, 0, 0) + i, 500}, {ip(192, 0, 2, 1), 500}, kPsk);
    lab.send({ip(100, 65, 0, 0) + i, 500}, {ip(192, 0, 2, 1), 500}, spoof.mm1());
  }
  ASSERT_TRUE(late.ini.take_mm4(out[0].message));
  late.floated = true;
  late.ini.self.port = kNatTPort;
  late.ini.responder.port = kNatTPort;
  out = late.send(lab, late.ini.mm5());
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(late.ini.take_mm6(out[0].message));
  // The established client's Quick Mode and DPD are served throughout.
  TestInitiator::Qm q;
  EXPECT_TRUE(early.quick_mode(lab, q, {esp_aes(256, kAuthHmacSha)}));
  EXPECT_EQ(early.send(lab, early.ini.dpd(1, 0x99)).size(), 1u);
  EXPECT_EQ(lab.c(IkeCounter::Phase1Established), 2u);
  // Once every half-open slot holds a peer in Ke, new MM1s are refused, not admitted.
  EXPECT_LE(lab.r.half_open_count(), 8u);
}

TEST(IkeResponder, HalfOpenTableOfProvenPeersRefusesNewOnes) {
  ResponderConfig cfg = default_config();
  cfg.limits.max_half_open = 2;
  Lab lab(cfg);
  std::vector<std::unique_ptr<Session>> ss;
  for (uint8_t i = 0; i < 2; ++i) {
    Path p = direct_path();
    p.client_self.addr = p.client_seen.addr = ip(198, 51, 100, 20 + i);
    ss.push_back(std::make_unique<Session>(p));
    auto out = ss.back()->send(lab, ss.back()->ini.mm1());
    ASSERT_TRUE(ss.back()->ini.take_mm2(out[0].message));
    ASSERT_EQ(ss.back()->send(lab, ss.back()->ini.mm3()).size(), 1u);  // now in Ke
  }
  Session third(client_nat_path());
  EXPECT_TRUE(third.send(lab, third.ini.mm1()).empty());
  EXPECT_EQ(lab.c(IkeCounter::HalfOpenFull), 1u);
  EXPECT_EQ(lab.r.half_open_count(), 2u);
}

TEST(IkeResponder, NewSaRateIsLimitedPerSource) {
  ResponderConfig cfg = default_config();
  cfg.limits.new_sa_rate_per_source = 1;
  cfg.limits.new_sa_burst_per_source = 5;
  Lab lab(cfg);
  size_t answered = 0;
  for (int i = 0; i < 20; ++i) {
    TestInitiator t(direct_path().client_self, direct_path().resp_public, kPsk);
    answered += lab.send(direct_path().client_seen, direct_path().resp_local, t.mm1()).size();
  }
  EXPECT_EQ(answered, 5u);
  EXPECT_EQ(lab.c(IkeCounter::RateLimited), 15u);
  // Another source is not affected; the first one gets tokens back with time.
  Session other(client_nat_path());
  EXPECT_EQ(other.send(lab, other.ini.mm1()).size(), 1u);
  lab.now += 3s;
  TestInitiator t(direct_path().client_self, direct_path().resp_public, kPsk);
  EXPECT_EQ(lab.send(direct_path().client_seen, direct_path().resp_local, t.mm1()).size(), 1u);
}

TEST(IkeResponder, GarbageAndUnknownCookiesAreCounted) {
  Lab lab;
  const Endpoint peer{ip(198, 51, 100, 10), 500}, local{ip(192, 0, 2, 1), 500};
  EXPECT_TRUE(lab.send(peer, local, Bytes(10, 0xab)).empty());
  EXPECT_EQ(lab.c(IkeCounter::Malformed), 1u);
  EXPECT_EQ(lab.r.counters()[WireError::Truncated], 1u);
  Session s(direct_path());
  // An encrypted Informational naming an SA that does not exist.
  IsakmpHeader h = s.ini.header(ExchangeType::Informational, 9);
  h.rcookie = Cookie{1, 2, 3, 4, 5, 6, 7, 8};
  PayloadChain c;
  c.add(PayloadType::Hash, Bytes(20, 1));
  Bytes info = build_plain_message(h, c);
  info[19] = kFlagEncryption;
  EXPECT_TRUE(lab.send(peer, local, info).empty());
  EXPECT_EQ(lab.c(IkeCounter::InvalidCookie), 1u);
  // An IKEv2 message (MjVer 2).
  Bytes v2 = s.ini.mm1();
  v2[17] = 0x20;
  lab.send(peer, local, v2);
  EXPECT_EQ(lab.r.counters()[WireError::BadMajorVersion], 1u);
  // New Group Mode is not implemented.
  Bytes ngm = s.ini.mm1();
  ngm[18] = static_cast<uint8_t>(ExchangeType::NewGroupMode);
  lab.send(peer, local, ngm);
  EXPECT_EQ(lab.c(IkeCounter::UnsupportedExchange), 1u);
  EXPECT_EQ(lab.r.ike_sa_count(), 0u);
}

TEST(IkeResponder, ShutdownDeletesEverythingAndTellsThePeers) {
  Established e;
  e.lab.r.shutdown(e.lab.now);
  auto out = e.lab.r.take_outbox();
  ASSERT_EQ(out.size(), 2u);  // Delete ESP, then Delete ISAKMP
  TestInitiator::Info a, b;
  ASSERT_TRUE(e.s.ini.take_info(out[0].message, a));
  ASSERT_TRUE(e.s.ini.take_info(out[1].message, b));
  EXPECT_EQ(a.deletes.at(0).protocol, static_cast<uint8_t>(ProtocolId::IpsecEsp));
  EXPECT_EQ(b.deletes.at(0).protocol, static_cast<uint8_t>(ProtocolId::Isakmp));
  EXPECT_EQ(e.lab.inst.sas().size(), 0u);
  EXPECT_EQ(e.lab.r.ike_sa_count(), 0u);
}

TEST(IkeResponder, NoSecretReachesTheLog) {
  std::vector<std::string> lines;
  log_capture(&lines);
  {
    Established e;
    Lab lab2;
    Session wrong(direct_path(), "wrong-key-xyz");
    auto out = wrong.send(lab2, wrong.ini.mm1());
    ASSERT_TRUE(wrong.ini.take_mm2(out[0].message));
    out = wrong.send(lab2, wrong.ini.mm3());
    ASSERT_TRUE(wrong.ini.take_mm4(out[0].message));
    wrong.send(lab2, wrong.ini.mm5());
    ASSERT_EQ(lab2.c(IkeCounter::AuthFailed), 1u);
    auto hex = [](const uint8_t* p, size_t n) {
      std::string out;
      for (size_t i = 0; i < n; ++i) {
        char b[3];
        std::snprintf(b, sizeof(b), "%02x", p[i]);
        out += b;
      }
      return out;
    };
    const std::string psk_hex = hex(reinterpret_cast<const uint8_t*>(kPsk), 8);
    const std::string key_hex = hex(e.s.ini.keys.enc_key.data(), 8);
    const std::string keymat_hex = hex(e.q.keymat_r.data(), 8);
    ASSERT_FALSE(lines.empty());
    for (const std::string& l : lines) {
      EXPECT_EQ(l.find(kPsk), std::string::npos) << l;
      EXPECT_EQ(l.find("wrong-key-xyz"), std::string::npos) << l;
      EXPECT_EQ(l.find(psk_hex), std::string::npos) << l;
      EXPECT_EQ(l.find(key_hex), std::string::npos) << l;
      EXPECT_EQ(l.find(keymat_hex), std::string::npos) << l;
    }
  }
  log_capture(nullptr);
}

// A NAT-T client whose NAT mapping changed mid-session (the router rebooted or forgot the
// mapping): an authenticated packet of its inbound SA from the new port moves the peering
// there, its IPsec and ISAKMP SAs both (RFC 3947 §4, RFC 7296 §2.23); the same port again,
// an unknown slot or a client without a NAT moves nothing.
TEST(IkeResponder, NatPeeringFollowsAChangedMappingOnAuthenticatedPackets) {
  for (const bool nat : {true, false}) {
    SCOPED_TRACE(nat ? "behind a NAT" : "direct");
    Lab lab;
    Session s(nat ? client_nat_path() : direct_path());
    ASSERT_TRUE(s.main_mode(lab));
    std::vector<EspOffer> offers = clients()[0].esp;
    for (auto& o : offers) o.encap = nat ? kEncapUdpTransport : kEncapTransport;
    TestInitiator::Qm q;
    ASSERT_TRUE(s.quick_mode(lab, q, offers));
    ASSERT_EQ(lab.ups.size(), 1u);
    const uint32_t slot_in = lab.ups[0].slot_in;
    const Endpoint old = s.seen();
    const Endpoint moved{old.addr, static_cast<uint16_t>(old.port + 1000)};

    EXPECT_FALSE(lab.r.nat_peer_seen(slot_in, old, lab.now));
    EXPECT_FALSE(lab.r.nat_peer_seen(slot_in + 100, moved, lab.now));
    EXPECT_EQ(lab.r.nat_peer_seen(slot_in, moved, lab.now), nat);
    EXPECT_EQ(lab.c(IkeCounter::NatPeerMoved), nat ? 1u : 0u);
    const Endpoint want = nat ? moved : old;
    ASSERT_EQ(lab.r.child_sas().size(), 1u);
    EXPECT_EQ(lab.r.child_sas()[0].peer, want);
    ASSERT_EQ(lab.r.ike_sas().size(), 1u);
    EXPECT_EQ(lab.r.ike_sas()[0].peer, want);
    EXPECT_FALSE(lab.r.nat_peer_seen(slot_in, want, lab.now));
  }
}

}  // namespace
}  // namespace l2tpgw::cp::ike::test
