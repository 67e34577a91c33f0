// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/config/expand: `tunnel template` and `ipsec transport template` as seed
// 000 describes them (which numbers are rewritten, which values are copied, what wins).
#include "controlplane/config/expand.hpp"

#include <gtest/gtest.h>

#include "controlplane/config/values.hpp"
#include "tests/unit/controlplane/config/config_test_util.hpp"

namespace l2tpgw::cp::config {
namespace {

using test::errors;
using test::must_load;

// Seed 000, "以下の2つの設定は同じ内容を示している": tunnel 1 with `tunnel template 2`.
TEST(TunnelTemplate, SeedExampleRewritesPolicyGatewayAndTunnelNumbers) {
  const LoadResult r = test::load_fixture("000_tunnel_template_example.txt");
  ASSERT_TRUE(r.ok());
  const Config& c = *r.config;
  const TunnelConfig& t2 = c.tunnels.at(2);
  EXPECT_EQ(t2.template_source, 1);
  EXPECT_EQ(t2.ipsec_policy.value, 2u);  // ipsec tunnel 1 -> ipsec tunnel 2
  EXPECT_EQ(t2.ipsec_policy.line, 2u);   // a copy carries the `tunnel template` line
  EXPECT_TRUE(t2.enabled.value);         // tunnel enable 1 -> tunnel enable 2
  const SaPolicy& p2 = c.policies.at(2);  // ipsec sa policy 1 1 -> ipsec sa policy 2 2
  EXPECT_EQ(p2.gateway, 2u);
  EXPECT_EQ(p2.cipher, EspCipher::AesCbc128);
  EXPECT_EQ(p2.auth, EspAuth::HmacSha1_96);
  const IkeGateway& g2 = c.gateways.at(2);  // ipsec ike ... 1 -> ipsec ike ... 2
  EXPECT_EQ(g2.encryption.value, IkeEncryption::AesCbc);
  EXPECT_EQ(g2.group.value, std::vector<IkeGroup>{IkeGroup::Modp1024});
  EXPECT_EQ(g2.local_address.value, parse_ipv4("192.168.0.1"));  // values are copied as written
  EXPECT_EQ(g2.remote_address.value->kind, IkeRemoteAddress::Kind::Any);
  EXPECT_EQ(g2.remote_name.value->name, "pc");
  // The target's own `ipsec ike pre-shared-key 2` (line 13) wins over the copy.
  EXPECT_EQ(g2.pre_shared_key.value->key.reveal(), "himitsu2");
  EXPECT_EQ(g2.pre_shared_key.line, 13u);
  EXPECT_EQ(c.gateways.at(1).pre_shared_key.value->key.reveal(), "himitsu1");
}

// The seed's written-out form equals the template form but for `ipsec ike remote name 2 pc2`,
// which no template can produce (see tests/vectors/config/README.md).
TEST(TunnelTemplate, SeedExampleEqualsItsWrittenOutFormButForTheSeedsPc2) {
  const LoadResult a = test::load_fixture("000_tunnel_template_example.txt");
  const LoadResult b = test::load_fixture("000_tunnel_template_example_expanded.txt");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.config->gateways.at(2).remote_name.value->name, "pc2");
  Config fixed = *b.config;
  fixed.gateways.at(2).remote_name.value->name = "pc";
  EXPECT_EQ(*a.config, fixed);
  EXPECT_NE(*a.config, *b.config);
}

TEST(TunnelTemplate, SeedSyntaxExampleMakesEveryTargetTunnel) {
  const LoadResult r = test::load_fixture("000_tunnel_template_syntax.txt");
  ASSERT_TRUE(r.ok());
  std::vector<uint16_t> ids;
  for (const auto& [id, t] : r.config->tunnels) ids.push_back(id);
  std::vector<uint16_t> want = {1, 2, 8};
  for (uint16_t i = 10; i <= 20; ++i) want.push_back(i);
  want.push_back(100);
  for (uint16_t i = 200; i <= 300; ++i) want.push_back(i);
  want.push_back(400);
  EXPECT_EQ(ids, want);
  EXPECT_EQ(r.config->tunnels.at(250).template_source, 2);
}

TEST(TunnelTemplate, PolicyIdsOtherThanTheTunnelNumberAreRewrittenToo) {
  // The seed's remote-access blocks use ipsec tunnel 101 / ipsec sa policy 101 1 for tunnel 1.
  const Config c = must_load(R"(tunnel select 1
 tunnel template 5
 tunnel encapsulation l2tp
 tunnel endpoint address 203.0.113.1
 ipsec tunnel 101
  ipsec sa policy 101 1 esp 3des-cbc md5-hmac
  ipsec ike pre-shared-key 1 text yamaha1
  ipsec ike remote address 1 any
  ipsec auto refresh 1 off
 l2tp keepalive use on 10 3
 ip tunnel tcp mss limit auto
 tunnel enable 1
ipsec transport 1 101 udp 1701
ipsec transport template 1 5
)");
  const TunnelConfig& t = c.tunnels.at(5);
  EXPECT_EQ(t.encapsulation.value, TunnelEncapsulation::L2tp);
  EXPECT_EQ(t.endpoint.value->remote, *parse_ipv4("203.0.113.1"));  // not rewritten
  EXPECT_EQ(t.ipsec_policy.value, 5u);
  EXPECT_EQ(c.policies.at(5).gateway, 5u);
  EXPECT_EQ(c.policies.at(5).cipher, EspCipher::TdesCbc);
  EXPECT_FALSE(c.gateways.at(5).auto_refresh.value);  // ipsec auto refresh 1 -> 5
  EXPECT_EQ(t.l2tp_keepalive.value.interval, 10);
  EXPECT_EQ(t.tcp_mss_limit.value.mode, TcpMssLimit::Mode::Auto);
  EXPECT_EQ(c.transports.at(5).policy, 5u);
  EXPECT_EQ(c.transports.at(5).src_ports, c.transports.at(1).src_ports);
}

TEST(TunnelTemplate, TheTargetsOwnSettingsWin) {
  const Config c = must_load(R"(tunnel select 1
 tunnel template 2-3
 tunnel encapsulation l2tp
 ipsec tunnel 101
  ipsec sa policy 101 1 esp aes-cbc sha-hmac
  ipsec ike pre-shared-key 1 text yamaha1
 l2tp syslog on
 tunnel enable 1
tunnel select 3
 ipsec tunnel 300
  ipsec sa policy 300 30 esp aes256-cbc sha256-hmac
 l2tp syslog off
tunnel disable 2
)");
  const TunnelConfig& t2 = c.tunnels.at(2);
  EXPECT_FALSE(t2.enabled.value);  // tunnel disable 2 wins over tunnel enable 1's copy
  EXPECT_TRUE(t2.l2tp_syslog.value);
  const TunnelConfig& t3 = c.tunnels.at(3);
  EXPECT_TRUE(t3.enabled.value);
  EXPECT_FALSE(t3.l2tp_syslog.value);
  EXPECT_EQ(t3.ipsec_policy.value, 300u);   // its own policy stays
  EXPECT_FALSE(c.policies.contains(3));     // and no copy of policy 101 is made for it
  EXPECT_EQ(c.policies.at(300).gateway, 30u);
  // The gateway copy goes to the tunnel's number whatever its policy says (the seed's table).
  EXPECT_EQ(c.gateways.at(3).pre_shared_key.value->key.reveal(), "yamaha1");
}

TEST(TunnelTemplate, EnableAllReachesTemplateTargets) {
  const Config c = must_load("tunnel select 1\n tunnel template 2\n tunnel encapsulation l2tpv3-raw\ntunnel enable all\n");
  EXPECT_TRUE(c.tunnels.at(2).enabled.value);
}

TEST(TunnelTemplate, ShapesWithoutAMeaningAreErrors) {
  EXPECT_EQ(errors(load_config("tunnel select 1\n tunnel template 1\n")),
            (test::Lines{{2, "tunnel template: tunnel 1 is this template's own tunnel"}}));
  EXPECT_EQ(errors(load_config("tunnel select 1\n tunnel template 2\ntunnel select 2\n tunnel template 3\n")),
            (test::Lines{{2, "tunnel template: tunnel 2 has a tunnel template of its own (line 4); templates do not chain"}}));
  EXPECT_EQ(errors(load_config("tunnel select 1\n tunnel template 3\ntunnel select 2\n tunnel template 3\n")),
            (test::Lines{{4, "tunnel template: tunnel 3 is also filled by tunnel 1's template (line 2)"}}));
}

TEST(TunnelTemplate, NoTunnelTemplateRemovesIt) {
  const Config c = must_load("tunnel select 1\n tunnel template 2\n no tunnel template\n");
  EXPECT_FALSE(c.tunnels.contains(2));
}

// Seed 000: `ipsec transport 1 1 udp 1701 *` + `ipsec transport template 1 2 10-12` equals the
// five written-out transports.
TEST(TransportTemplate, SeedExampleEqualsItsWrittenOutForm) {
  const LoadResult a = test::load_fixture("000_transport_template_example_complete.txt");
  const LoadResult b = test::load_fixture("000_transport_template_example_expanded_complete.txt");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a.config, *b.config);
  std::vector<uint32_t> ids;
  for (const auto& [id, t] : a.config->transports) {
    ids.push_back(id);
    EXPECT_EQ(t.policy, id);
    EXPECT_EQ(t.protocol, 17);
    EXPECT_EQ(t.src_ports, (std::vector<PortRange>{{1701, 1701}}));
  }
  EXPECT_EQ(ids, (std::vector<uint32_t>{1, 2, 10, 11, 12}));
}

TEST(TransportTemplate, AWrittenTransportWinsWhereverItIs) {
  const Config c = must_load(R"(ipsec transport template 1 2-3
ipsec transport 1 101 udp 1701
ipsec transport 3 300 tcp 80
tunnel select 1
 tunnel template 2-3
 ipsec tunnel 101
  ipsec sa policy 101 1 esp aes-cbc sha-hmac
tunnel select 3
 ipsec tunnel 300
  ipsec sa policy 300 3 esp aes-cbc sha-hmac
)");
  EXPECT_EQ(c.transports.at(2).policy, 2u);
  EXPECT_EQ(c.transports.at(2).line, 1u);
  EXPECT_EQ(c.transports.at(3).policy, 300u);
  EXPECT_EQ(c.transports.at(3).protocol, 6);
}

TEST(TransportTemplate, Errors) {
  EXPECT_EQ(errors(load_config("ipsec transport template 1 2\n")),
            (test::Lines{{1, "ipsec transport template: there is no ipsec transport 1 to copy"}}));
  EXPECT_EQ(errors(load_config("ipsec transport 1 1 udp 1701\nipsec transport template 1 1\n")),
            (test::Lines{{2, "ipsec transport template: transport 1 is this template's own source"}}));
  EXPECT_EQ(errors(load_config("ipsec transport 1 1 udp 1701\nipsec transport 2 2 udp 1701\n"
                               "ipsec transport template 1 5\nipsec transport template 2 5\n")),
            (test::Lines{{4, "ipsec transport template: transport 5 is also made by the template of transport 1 (line 3)"}}));
}

TEST(Expand, EmptyGatewaysAndInterfacesAreDropped) {
  std::vector<Diagnostic> d;
  ParsedConfig p;
  p.config.gateways[7].id = 7;
  p.config.interfaces["lan3"].name = "lan3";
  p.config.interfaces["lan1"].proxyarp.set(true, 4);
  const Config c = expand(std::move(p), d);
  EXPECT_TRUE(d.empty());
  EXPECT_TRUE(c.gateways.empty());
  EXPECT_EQ(c.interfaces.size(), 1u);
}

}  // namespace
}  // namespace l2tpgw::cp::config
