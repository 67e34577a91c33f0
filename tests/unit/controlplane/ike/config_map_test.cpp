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
  EXPECT_TRUE(fixed->named_peer);

  auto any = rc.policies.find(0x01020304);
  ASSERT_TRUE(any);
  EXPECT_EQ(any->gateway_id, 1u);
  EXPECT_EQ(any->psk, "secret1");
  EXPECT_TRUE(any->nat_traversal);
  EXPECT_FALSE(any->named_peer);
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

// `ipsec ike nat-traversal G on [keepalive=SECONDS] [force=on]`: RFC 3948 §4 NAT-keepalives
// (used only once NAT-D finds us behind a NAT), 300 s unless given, none with NAT-T off; and
// forced UDP encapsulation.
TEST(IkeConfigMap, NatTraversalKeepaliveInterval) {
  auto loaded = config::load_config(
      "ipsec ike pre-shared-key 1 text k\n"
      "ipsec ike remote address 1 any\n"
      "ipsec ike nat-traversal 1 on\n"
      "ipsec ike pre-shared-key 2 text k2\n"
      "ipsec ike remote address 2 192.0.2.7\n"
      "ipsec ike nat-traversal 2 on keepalive=20 force=on\n"
      "ipsec ike pre-shared-key 3 text k3\n"
      "ipsec ike remote address 3 192.0.2.8\n");
  ASSERT_TRUE(loaded.ok());
  const ResponderConfig rc = responder_config(*loaded.config, nullptr);
  EXPECT_EQ(rc.policies.find(1)->natt_keepalive, std::chrono::seconds(300));
  EXPECT_EQ(rc.policies.find(0xc0000207)->natt_keepalive, std::chrono::seconds(20));
  EXPECT_FALSE(rc.policies.find(1)->natt_force);
  EXPECT_TRUE(rc.policies.find(0xc0000207)->natt_force);
  EXPECT_EQ(rc.policies.find(0xc0000208)->natt_keepalive, std::chrono::seconds(0));
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

// Seed 001 (YAMAHA01): an L2TPv3/IPsec tunnel to a peer named by address, with `ipsec auto
// refresh on`: this side initiates, offering the gateway's defaults (3DES/SHA1/MODP768) and
// its `ipsec sa policy` algorithms.
constexpr const char* kSeed001 =
    "tunnel select 1\n"
    " tunnel encapsulation l2tpv3\n"
    " tunnel endpoint address 192.168.100.1 192.168.2.1\n"
    " ipsec tunnel 100\n"
    "  ipsec sa policy 100 1 esp aes-cbc sha-hmac\n"
    "  ipsec ike keepalive log 1 on\n"
    "  ipsec ike keepalive use 1 on\n"
    "  ipsec ike local address 1 192.168.100.1\n"
    "  ipsec ike pre-shared-key 1 text test1234\n"
    "  ipsec ike remote address 1 192.168.2.1\n"
    " ipsec auto refresh on\n"
    " ipsec transport 1 100 udp 1701\n"
    " l2tp always-on on\n"
    "tunnel enable 1\n";

TEST(IkeConfigMap, Seed001TunnelBecomesAConnectionWeInitiate) {
  auto loaded = config::load_config(kSeed001);
  ASSERT_TRUE(loaded.ok()) << loaded.diagnostics[0].message;
  std::vector<std::string> notes;
  const ResponderConfig rc = responder_config(*loaded.config, &notes);
  EXPECT_TRUE(notes.empty());
  ASSERT_EQ(rc.connections.size(), 1u);
  const Connection& c = rc.connections[0];
  EXPECT_EQ(c.gateway_id, 1u);
  EXPECT_EQ(c.peer_addr, 0xc0a80201u);   // 192.168.2.1
  EXPECT_EQ(c.local_addr, 0xc0a86401u);  // 192.168.100.1
  ASSERT_EQ(c.ike_offers.size(), 1u);
  EXPECT_EQ(c.ike_offers[0].cipher, (CipherSuite{CipherAlg::TdesCbc, 192}));
  EXPECT_EQ(c.ike_offers[0].hash, HashAlg::Sha1);
  EXPECT_EQ(c.ike_offers[0].group, DhGroup::Modp768);
  ASSERT_EQ(c.esp_offers.size(), 1u);
  EXPECT_EQ(c.esp_offers[0].cipher, EspCipher::AesCbc128);
  EXPECT_EQ(c.esp_offers[0].auth, EspAuth::HmacSha1_96);
  EXPECT_FALSE(c.pfs_group);
  EXPECT_TRUE(c.auto_refresh);
  ASSERT_TRUE(rc.policies.find(c.peer_addr));
  EXPECT_EQ(rc.policies.find(c.peer_addr)->psk, "test1234");
}

// `ipsec ike duration ... KBYTES rekey R`: the kilobyte cap, what we offer and when we rekey;
// `ipsec auto refresh` has us refresh a LAN-to-LAN peer's pairs, never a remote-access client's.
TEST(IkeConfigMap, DurationsGiveKilobytesAndRekeyPoints) {
  auto loaded = config::load_config(std::string(kSeed001) +
                                    "ipsec ike duration ipsec-sa 1 3600 5000 rekey 80%\n"
                                    "ipsec ike duration isakmp-sa 1 7200 rekey 70%\n"
                                    "ipsec ike pre-shared-key 2 text two\n"
                                    "ipsec ike remote address 2 any\n");
  ASSERT_TRUE(loaded.ok()) << loaded.diagnostics[0].message;
  const ResponderConfig rc = responder_config(*loaded.config, nullptr);
  ASSERT_EQ(rc.connections.size(), 1u);
  const Connection& c = rc.connections[0];
  EXPECT_EQ(c.rekey_percent, 80u);
  EXPECT_EQ(c.isakmp_rekey_percent, 70u);
  ASSERT_EQ(c.esp_offers.size(), 1u);
  EXPECT_EQ(c.esp_offers[0].life_kilobytes, 5000u);
  auto peer = rc.policies.find(c.peer_addr);
  ASSERT_TRUE(peer);
  EXPECT_EQ(peer->ipsec_kilobytes_max, 5000u);
  EXPECT_EQ(peer->ipsec_lifetime_max, 3600u);
  EXPECT_EQ(peer->rekey_peer_children_percent, 80u) << "auto refresh on, a concrete peer";
  auto any = rc.policies.find(0x01020304);
  ASSERT_TRUE(any);
  EXPECT_EQ(any->ipsec_kilobytes_max, 0u);
  EXPECT_EQ(any->rekey_peer_children_percent, 0u) << "clients rekey their own pairs";
}

// `show ipsec sa`'s tra[T]: the transport whose policy names the gateway, the lowest of several.
TEST(IkeConfigMap, TransportsByGatewayFollowTheirPolicies) {
  auto loaded = config::load_config(kSeed001);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(transports_by_gateway(*loaded.config), (std::map<uint32_t, uint32_t>{{1, 1}}));
  loaded = config::load_config(
      "tunnel select 1\n"
      " ipsec tunnel 101\n"
      "  ipsec sa policy 101 1 esp aes-cbc sha-hmac\n"
      " ipsec transport 4 101 udp 1701\n"
      " ipsec transport 2 101 udp 1701\n"
      "tunnel select 2\n"
      " ipsec tunnel 102\n"
      "  ipsec sa policy 102 2 esp aes-cbc sha-hmac\n"
      " ipsec transport 3 102 udp 1701\n");
  ASSERT_TRUE(loaded.ok()) << loaded.diagnostics[0].message;
  EXPECT_EQ(transports_by_gateway(*loaded.config), (std::map<uint32_t, uint32_t>{{1, 2}, {2, 3}}));
  EXPECT_TRUE(transports_by_gateway(config::Config{}).empty());
}

TEST(IkeConfigMap, OnlyL2tpv3TunnelsOrAutoRefreshInitiate) {
  // A concrete remote address alone (a fixed client we answer) starts nothing.
  auto loaded = config::load_config(
      "ipsec ike pre-shared-key 1 text k1\n"
      "ipsec ike remote address 1 203.0.113.9\n"
      "ipsec ike local address 1 192.0.2.1\n"
      "ipsec sa policy 101 1 esp aes-cbc sha-hmac\n");
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(responder_config(*loaded.config, nullptr).connections.empty());
  // With `ipsec auto refresh on` it does; without a local address it cannot (a note).
  loaded = config::load_config(
      "ipsec ike pre-shared-key 1 text k1\n"
      "ipsec ike remote address 1 203.0.113.9\n"
      "ipsec sa policy 101 1 esp aes-cbc sha-hmac\n"
      "ipsec auto refresh on\n");
  ASSERT_TRUE(loaded.ok());
  std::vector<std::string> notes;
  EXPECT_TRUE(responder_config(*loaded.config, &notes).connections.empty());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("local address"), std::string::npos);
  EXPECT_EQ(notes[0].find("k1"), std::string::npos);
}

}  // namespace
}  // namespace l2tpgw::cp::ike
