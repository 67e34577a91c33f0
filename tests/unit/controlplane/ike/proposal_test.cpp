// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ike/proposal: what phase-1 (RFC 2409 App. A) and ESP (RFC 2407 §4.5,
// RFC 3947 §5.1, RFC 4106 §8.4) transforms mean, and which proposal the responder picks.
#include "controlplane/ike/proposal.hpp"

#include "controlplane/ike/policy.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace l2tpgw::cp::ike {
namespace {

Transform p1(std::vector<Attribute> attrs) {
  Transform t;
  t.number = 1;
  t.id = kKeyIke;
  t.attributes = std::move(attrs);
  return t;
}
std::vector<Attribute> base(uint16_t enc = kOakleyAesCbc) {
  return {tv_attribute(1, enc), tv_attribute(2, kOakleySha), tv_attribute(3, kAuthPreSharedKey),
          tv_attribute(4, 2)};
}
Transform esp(uint8_t id, std::vector<Attribute> attrs) {
  Transform t;
  t.number = 1;
  t.id = id;
  t.attributes = std::move(attrs);
  return t;
}
constexpr uint8_t kAes = static_cast<uint8_t>(EspTransformId::Aes);
constexpr uint8_t kGcm16 = static_cast<uint8_t>(EspTransformId::AesGcm16);

TEST(IkeProposal, Phase1Attributes) {
  auto s = decode_phase1_transform(p1(base()));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->cipher, (CipherSuite{CipherAlg::AesCbc, 128}));  // RFC 3602 §5.3 default
  EXPECT_EQ(s->hash, HashAlg::Sha1);
  EXPECT_EQ(s->group, DhGroup::Modp1024);
  EXPECT_EQ(s->life_seconds, kDefaultLifetime);
  auto a = base();
  a.push_back(tv_attribute(14, 256));
  a.push_back(tv_attribute(11, kLifeSeconds));
  a.push_back(variable_attribute(12, 86400));
  a.push_back(tv_attribute(11, kLifeKilobytes));
  a.push_back(variable_attribute(12, 1000000));
  s = decode_phase1_transform(p1(a));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->cipher.key_bits, 256);
  EXPECT_EQ(s->life_seconds, 86400u);
  EXPECT_EQ(s->life_kilobytes, 1000000u);
  EXPECT_EQ(describe(*s), "AES-CBC-256/SHA1/MODP1024");
  EXPECT_EQ(decode_phase1_transform(p1(base(kOakley3DesCbc)))->cipher.key_bits, 192);

  auto refuse = [](std::vector<Attribute> attrs, const char* why) {
    EXPECT_FALSE(decode_phase1_transform(p1(std::move(attrs)))) << why;
  };
  a = base();
  a.push_back(tv_attribute(14, 192));
  refuse(a, "AES-192");
  a = base();
  a[2] = tv_attribute(3, 65001);
  refuse(a, "XAUTHInitPreShared");
  a = base();
  a[3] = tv_attribute(4, 15);
  refuse(a, "MODP3072");
  a = base();
  a.pop_back();
  refuse(a, "no group");
  a = base();
  a.push_back(variable_attribute(12, 100));
  refuse(a, "duration without a type");
  // strongSwan with `rekey=no` proposes Life Duration 0: no limit, ours applies.
  a = base();
  a.push_back(tv_attribute(11, kLifeSeconds));
  a.push_back(tv_attribute(12, 0));
  s = decode_phase1_transform(p1(a));
  ASSERT_TRUE(s) << "Life Duration 0";
  EXPECT_EQ(s->life_seconds, std::numeric_limits<uint32_t>::max());
  a = base();
  a.push_back(tv_attribute(13, 1));
  refuse(a, "PRF attribute");
  a = base(2);
  refuse(a, "IDEA");
  a = base(kOakley3DesCbc);
  a.push_back(tv_attribute(14, 128));
  refuse(a, "3DES with a 128-bit key");
  Transform wrong_id = p1(base());
  wrong_id.id = 2;
  EXPECT_FALSE(decode_phase1_transform(wrong_id));
}

TEST(IkeProposal, EspAttributes) {
  auto s = decode_esp_transform(esp(kAes, {tv_attribute(5, kAuthHmacSha), tv_attribute(6, 256)}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->cipher, EspCipher::AesCbc256);
  EXPECT_EQ(s->auth, EspAuth::HmacSha1_96);
  EXPECT_EQ(s->encapsulation, kEncapTransport);  // not given: transport
  EXPECT_FALSE(s->pfs_group);
  s = decode_esp_transform(esp(kGcm16, {tv_attribute(6, 128), tv_attribute(3, 19),
                                        tv_attribute(4, kEncapUdpTransportDraft)}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->cipher, EspCipher::AesGcm128);
  EXPECT_EQ(s->auth, EspAuth::None);
  EXPECT_EQ(s->pfs_group, DhGroup::Ecp256);
  EXPECT_TRUE(s->udp_encapsulated());
  EXPECT_EQ(decode_esp_transform(esp(3, {tv_attribute(5, kAuthHmacSha256)}))->auth,
            EspAuth::HmacSha256_128);
  EXPECT_FALSE(decode_esp_transform(esp(kGcm16, {tv_attribute(5, kAuthHmacSha)})));  // §8.4
  EXPECT_FALSE(decode_esp_transform(esp(kAes, {tv_attribute(6, 128)})));  // no integrity
  EXPECT_FALSE(decode_esp_transform(esp(static_cast<uint8_t>(EspTransformId::AesGcm8), {})));
  EXPECT_FALSE(decode_esp_transform(esp(static_cast<uint8_t>(EspTransformId::Null),
                                        {tv_attribute(5, kAuthHmacSha)})));
  EXPECT_FALSE(decode_esp_transform(esp(kAes, {tv_attribute(5, 3)})));  // DES-MAC
  EXPECT_FALSE(decode_esp_transform(esp(kAes, {tv_attribute(5, 2), tv_attribute(7, 1)})));
  EXPECT_FALSE(decode_esp_transform(esp(2, {tv_attribute(5, 2), tv_attribute(6, 64)})));
}

TEST(IkeProposal, EspAllowedFollowsNatAndPolicy) {
  PeerPolicy p = PeerPolicy::all_supported();
  EspSuite s;
  s.encapsulation = kEncapTransport;
  EXPECT_TRUE(esp_allowed(s, p, false));
  EXPECT_FALSE(esp_allowed(s, p, true));  // behind a NAT only UDP encapsulation works
  s.encapsulation = kEncapUdpTransport;
  EXPECT_TRUE(esp_allowed(s, p, true));
  EXPECT_FALSE(esp_allowed(s, p, false));
  s.encapsulation = kEncapTunnel;
  EXPECT_FALSE(esp_allowed(s, p, false));
  s.encapsulation = kEncapUdpTunnel;
  EXPECT_FALSE(esp_allowed(s, p, true));
  s.encapsulation = kEncapTransport;
  p.pfs_required = true;
  EXPECT_FALSE(esp_allowed(s, p, false));
  s.pfs_group = DhGroup::Modp2048;
  EXPECT_TRUE(esp_allowed(s, p, false));
  p.esp_ciphers = {EspCipher::TdesCbc};
  EXPECT_FALSE(esp_allowed(s, p, false));
  s.cipher = EspCipher::AesGcm128;  // with HMAC-SHA1: not a valid pair
  p.esp_ciphers = {EspCipher::AesGcm128};
  EXPECT_FALSE(esp_allowed(s, p, false));
}

TEST(IkeProposal, ChoosesTheFirstAcceptableAndEchoesIt) {
  const PeerPolicy p = PeerPolicy::all_supported();
  SaPayload sa;
  Proposal ah;  // AH + ESP under number 1: an AND we do not do
  ah.number = 1;
  ah.protocol = static_cast<uint8_t>(ProtocolId::IpsecAh);
  ah.spi = {1, 2, 3, 4};
  ah.transforms = {esp(2, {tv_attribute(5, 2)})};
  Proposal bundled = ah;
  bundled.protocol = static_cast<uint8_t>(ProtocolId::IpsecEsp);
  bundled.transforms = {esp(kAes, {tv_attribute(5, 2)})};
  Proposal nospi = bundled;
  nospi.number = 2;
  nospi.spi = {};
  Proposal good = bundled;
  good.number = 3;
  good.transforms = {esp(kAes, {tv_attribute(5, 99)}), esp(kAes, {tv_attribute(5, 1), tv_attribute(6, 128)})};
  good.transforms[1].number = 2;
  sa.proposals = {ah, bundled, nospi, good};
  auto c = choose_esp(sa, p, false);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->first.proposal, 3u);
  EXPECT_EQ(c->first.transform, 1u);
  EXPECT_EQ(c->second.auth, EspAuth::HmacMd5_96);
  const SaPayload r = reply_sa(sa, c->first, Bytes{9, 9, 9, 9});
  ASSERT_EQ(r.proposals.size(), 1u);
  EXPECT_EQ(r.proposals[0].number, 3);
  EXPECT_EQ(r.proposals[0].spi, (Bytes{9, 9, 9, 9}));
  ASSERT_EQ(r.proposals[0].transforms.size(), 1u);
  EXPECT_EQ(r.proposals[0].transforms[0], good.transforms[1]);  // attributes as offered

  // Phase 1: exactly one ISAKMP proposal.
  SaPayload m1;
  Proposal ip;
  ip.number = 1;
  ip.protocol = static_cast<uint8_t>(ProtocolId::Isakmp);
  ip.transforms = {p1(base())};
  m1.proposals = {ip};
  EXPECT_TRUE(choose_phase1(m1, p));
  m1.proposals = {ip, ip};
  EXPECT_FALSE(choose_phase1(m1, p));
  ip.protocol = static_cast<uint8_t>(ProtocolId::IpsecEsp);
  m1.proposals = {ip};
  EXPECT_FALSE(choose_phase1(m1, p));
}

}  // namespace
}  // namespace l2tpgw::cp::ike

namespace l2tpgw::cp::ike {
namespace {

// The initiator's transforms decode back to the suites they were built from, and the
// responder's answer is checked against what was offered (RFC 2408 §4.2).
TEST(IkeProposal, InitiatorTransformsRoundTripAndChoicesAreChecked) {
  const Phase1Suite p1s[] = {
      {{CipherAlg::AesCbc, 128}, HashAlg::Sha1, DhGroup::Modp1024, 28800, 0},
      {{CipherAlg::AesCbc, 256}, HashAlg::Sha256, DhGroup::Modp2048, 3600, 0},
      {{CipherAlg::TdesCbc, 192}, HashAlg::Md5, DhGroup::Modp1024, 600, 1000},
  };
  for (const Phase1Suite& s : p1s) {
    auto d = decode_phase1_transform(encode_phase1_transform(s, 3));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, s);
  }
  EspSuite gcm;
  gcm.cipher = EspCipher::AesGcm256;
  gcm.auth = EspAuth::None;
  gcm.pfs_group = DhGroup::Modp2048;
  EspSuite cbc;
  cbc.cipher = EspCipher::AesCbc128;
  cbc.auth = EspAuth::HmacSha1_96;
  cbc.encapsulation = kEncapUdpTransport;
  cbc.life_seconds = 1200;
  for (const EspSuite& s : {gcm, cbc}) {
    auto d = decode_esp_transform(encode_esp_transform(s, 1));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, s);
  }

  SaPayload reply;
  Proposal p;
  p.number = 1;
  p.protocol = static_cast<uint8_t>(ProtocolId::Isakmp);
  p.transforms = {encode_phase1_transform(p1s[1], 2)};
  reply.proposals = {p};
  EXPECT_TRUE(check_phase1_choice(reply, {p1s[0], p1s[1]}));
  EXPECT_FALSE(check_phase1_choice(reply, {p1s[0], p1s[2]}));  // not offered
  reply.proposals[0].transforms.push_back(encode_phase1_transform(p1s[0], 1));
  EXPECT_FALSE(check_phase1_choice(reply, {p1s[0], p1s[1]}));  // two transforms

  p.protocol = static_cast<uint8_t>(ProtocolId::IpsecEsp);
  p.spi = {1, 2, 3, 4};
  p.transforms = {encode_esp_transform(cbc, 1)};
  reply.proposals = {p};
  EXPECT_TRUE(check_esp_choice(reply, {gcm, cbc}));
  EXPECT_FALSE(check_esp_choice(reply, {gcm}));
  reply.proposals[0].spi = {1, 2};
  EXPECT_FALSE(check_esp_choice(reply, {cbc}));  // an ESP SPI is 4 bytes
}

}  // namespace
}  // namespace l2tpgw::cp::ike
