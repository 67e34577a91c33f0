// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ike/config_map: `ipsec ike` gateways become the responder's policies
// (by remote address, `any` as the fallback), with notes for what cannot be used and never a
// key in a note.
#include "controlplane/ike/config_map.hpp"

#include <gtest/gtest.h>

#include "controlplane/config/loader.hpp"

namespace l2tpgw::cp::ike {
namespace {

constexpr const char* kConfig =
    "ipsec ike pre-shared-key 1 text secret1\n"
    "ipsec ike remote address 1 any\n"
    "ipsec ike nat-traversal 1 on\n"
    "ipsec ike pre-shared-key 2 text secret2\n"
    "ipsec ike remote address 2 203.0.113.9\n"
    "ipsec ike duration isakmp-sa 2 3600\n"
    "ipsec ike duration ipsec-sa 2 1800\n"
    "ipsec sa policy 102 2 esp aes-cbc sha-hmac anti-replay-check=off\n"
    "ipsec ike remote address 3 any\n"
    "ipsec ike pre-shared-key 4 text other-key\n"
    "ipsec ike remote address 4 any\n"
    "ipsec ike pre-shared-key 5 text five\n"
    "ipsec ike remote address 5 vpn.example.com\n";

TEST(IkeConfigMap, GatewaysBecomePoliciesByAddressThenAny) {
  auto loaded = config::load_config(kConfig);
  ASSERT_TRUE(loaded.ok());
  std::vector<std::string> notes;
  const ResponderConfig rc = responder_config(*loaded.config, &notes);

  auto fixed = rc.policies.find(0xcb007109);
  ASSERT_TRUE(fixed);
  EXPECT_EQ(fixed->gateway_id, 2u);
  EXPECT_EQ(fixed->psk, "secret2");
  EXPECT_EQ(fixed->isakmp_lifetime_max, 3600u);
  EXPECT_EQ(fixed->ipsec_lifetime_max, 1800u);
  EXPECT_FALSE(fixed->anti_replay);
  EXPECT_FALSE(fixed->nat_traversal);  // Yamaha's default: off

  auto any = rc.policies.find(0x01020304);
  ASSERT_TRUE(any);
  EXPECT_EQ(any->gateway_id, 1u);
  EXPECT_EQ(any->psk, "secret1");
  EXPECT_TRUE(any->nat_traversal);
  EXPECT_TRUE(any->anti_replay);
  EXPECT_EQ(any->isakmp_lifetime_max, 28800u);
  // Every supported algorithm is acceptable from a client.
  EXPECT_EQ(any->ike_groups.size(), 6u);
  EXPECT_EQ(any->esp_ciphers.size(), 6u);

  // Gateway 3 has no key, 4 is a second `any` with another key, 5 names a host.
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_NE(notes[0].find("gateway 3"), std::string::npos);
  EXPECT_NE(notes[1].find("gateway 4"), std::string::npos);
  EXPECT_NE(notes[2].find("gateway 5"), std::string::npos);
  for (const auto& n : notes) {
    for (const char* secret : {"secret1", "secret2", "other-key", "five"})
      EXPECT_EQ(n.find(secret), std::string::npos) << n;
  }
}

TEST(IkeConfigMap, KeepaliveDpdTurnsOnDeadPeerDetection) {
  auto loaded = config::load_config(
      "ipsec ike pre-shared-key 1 text k\n"
      "ipsec ike remote address 1 any\n"
      "ipsec ike keepalive use 1 on dpd 20 4\n"
      "ipsec ike pre-shared-key 2 text k2\n"
      "ipsec ike remote address 2 192.0.2.7\n"
      "ipsec ike keepalive use 2 off\n");
  ASSERT_TRUE(loaded.ok());
  const ResponderConfig rc = responder_config(*loaded.config, nullptr);
  EXPECT_EQ(rc.policies.find(1)->dpd_interval, std::chrono::seconds(20));
  EXPECT_EQ(rc.policies.find(1)->dpd_tries, 4);
  EXPECT_EQ(rc.policies.find(0xc0000207)->dpd_interval, std::chrono::seconds(0));
}

TEST(IkeConfigMap, EmptyConfigurationHasNoPolicy) {
  const ResponderConfig rc = responder_config(config::Config{}, nullptr);
  EXPECT_TRUE(rc.policies.empty());
  EXPECT_FALSE(rc.policies.find(1));
}

TEST(IkeConfigMap, NegotiateStrictlyAcceptsOnlyWhatTheGatewayNames) {
  auto loaded = config::load_config(
      "ipsec ike pre-shared-key 1 text k\n"
      "ipsec ike remote address 1 any\n"
      "ipsec ike encryption 1 aes256-cbc\n"
      "ipsec ike hash 1 sha256\n"
      "ipsec ike group 1 modp2048\n"
      "ipsec ike negotiate-strictly 1 on\n"
      "ipsec sa policy 101 1 esp aes256-cbc sha256-hmac\n"
      "ipsec ike pre-shared-key 2 text k2\n"
      "ipsec ike remote address 2 203.0.113.9\n"
      "ipsec ike encryption 2 3des-cbc\n");
  ASSERT_TRUE(loaded.ok()) << loaded.diagnostics[0].message;
  const ResponderConfig rc = responder_config(*loaded.config, nullptr);
  auto strict = rc.policies.find(0x01020304);
  ASSERT_TRUE(strict);
  ASSERT_EQ(strict->ike_ciphers.size(), 1u);
  EXPECT_EQ(strict->ike_ciphers[0].alg, CipherAlg::AesCbc);
  EXPECT_EQ(strict->ike_ciphers[0].key_bits, 256);
  EXPECT_EQ(strict->ike_hashes, std::vector<HashAlg>{HashAlg::Sha256});
  EXPECT_EQ(strict->ike_groups, std::vector<DhGroup>{DhGroup::Modp2048});
  EXPECT_EQ(strict->esp_ciphers, std::vector<EspCipher>{EspCipher::AesCbc256});
  EXPECT_EQ(strict->esp_auths, std::vector<EspAuth>{EspAuth::HmacSha256_128});
  // negotiate-strictly off (the default): `ipsec ike encryption` is what we would propose,
  // not a limit on what a client may propose.
  auto lax = rc.policies.find(0xcb007109);
  ASSERT_TRUE(lax);
  EXPECT_EQ(lax->ike_ciphers.size(), PeerPolicy::all_supported().ike_ciphers.size());
  EXPECT_EQ(lax->esp_ciphers.size(), PeerPolicy::all_supported().esp_ciphers.size());
}

}  // namespace
}  // namespace l2tpgw::cp::ike
