// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ppp/policy: the seed configurations as PPP policies, and PpContext.
#include "controlplane/ppp/policy.hpp"

#include <gtest/gtest.h>

#include "controlplane/config/config_test_util.hpp"

namespace l2tpgw::cp::ppp {
namespace {

constexpr uint32_t ip(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return a << 24 | b << 16 | c << 8 | d; }

const config::PpConfig& pp(const config::Config& cfg, uint16_t id) { return cfg.pps.at(id); }

TEST(PppPolicy, AuthRequestMethods) {
  using M = config::PpAuthMethod;
  EXPECT_TRUE(auth_protocols({}).empty());
  EXPECT_EQ(auth_protocols({M::Pap, false}), (std::vector<AuthProtocol>{AuthProtocol::Pap}));
  EXPECT_EQ(auth_protocols({M::Chap, false}), (std::vector<AuthProtocol>{AuthProtocol::ChapMd5}));
  EXPECT_EQ(auth_protocols({M::Mschap, false}), (std::vector<AuthProtocol>{AuthProtocol::MsChapV1}));
  EXPECT_EQ(auth_protocols({M::MschapV2, true}), (std::vector<AuthProtocol>{AuthProtocol::MsChapV2}));
  EXPECT_EQ(auth_protocols({M::ChapPap, false}),
            (std::vector<AuthProtocol>{AuthProtocol::ChapMd5, AuthProtocol::Pap}));
}

TEST(PppPolicy, SeedMultipleClients) {
  // Seed 000 "multiple clients": pp select anonymous, mschap-v2, three users, the pool.
  const auto r = config::test::load_fixture("000_multiple_clients_filled.txt");
  ASSERT_TRUE(r.ok());
  const config::Config& cfg = *r.config;
  EXPECT_EQ(lan_address(cfg), ip(192, 168, 100, 1));
  const PppPolicy p = ppp_policy(cfg, pp(cfg, config::kPpAnonymous), lan_address(cfg));
  EXPECT_EQ(p.lcp.auth, (std::vector<AuthProtocol>{AuthProtocol::MsChapV2}));
  EXPECT_EQ(p.lcp.mru, 1500);  // `ppp lcp mru` default: on, 1500
  EXPECT_TRUE(p.ipcp.request_local_address);
  EXPECT_EQ(p.ipcp.local_address, ip(192, 168, 100, 1));
  EXPECT_EQ(p.ipcp.dns[0], 0u);  // msext on, but no `dns server` in this block
  ASSERT_EQ(p.pool.size(), 1u);
  EXPECT_EQ(p.pool[0].first, ip(192, 168, 100, 10));
  EXPECT_EQ(p.pool[0].last, ip(192, 168, 100, 20));
  EXPECT_FALSE(p.remote_address);
  EXPECT_EQ(p.mtu, 1500);

  PpContext ctx(p, pp(cfg, config::kPpAnonymous).users);
  EXPECT_EQ(ctx.users().size(), 3u);
  ASSERT_NE(ctx.users().find("l2tp_user2"), nullptr);
  EXPECT_EQ(ctx.users().find("l2tp_user2")->password.reveal(), "l2tp_password2");
  EXPECT_EQ(ctx.users().find("L2TP_USER2"), nullptr);  // case-sensitive
  EXPECT_EQ(ctx.pool().capacity(), 11u);

}

TEST(PppPolicy, MruMtuAndCcpLines) {
  // The seeds' PPPoE pp settings (an uplink there, ignored by l2tpgw) on an anonymous pp.
  const config::Config cfg = config::test::must_load(
      "pp select anonymous\n"
      " ppp lcp mru on 1454\n"
      " ip pp mtu 1454\n"
      " ppp ccp type none\n");
  const PppPolicy p = ppp_policy(cfg, pp(cfg, config::kPpAnonymous), 0);
  EXPECT_EQ(p.lcp.mru, 1454);
  EXPECT_EQ(p.mtu, 1454);
  EXPECT_EQ(p.ccp_type, config::CcpType::None);
}

TEST(PppPolicy, SeedFixedIpClient) {
  // Seed 000 "fixed IP client": `ip pp remote address 192.168.100.10`, `dns server`.
  const auto r = config::test::load_fixture("000_fixed_ip_client_filled.txt");
  ASSERT_TRUE(r.ok());
  const config::Config& cfg = *r.config;
  const PppPolicy p = ppp_policy(cfg, pp(cfg, 2), lan_address(cfg));
  EXPECT_EQ(p.remote_address, ip(192, 168, 100, 10));
  EXPECT_TRUE(p.pool.empty());
  EXPECT_EQ(p.ipcp.dns[0], ip(192, 0, 2, 53));
  EXPECT_EQ(p.ipcp.dns[1], 0u);
}

TEST(PppPolicy, MsextOffOffersNoServersAndMruOff) {
  const config::Config cfg = config::test::must_load(
      "ip lan1 address 10.0.0.1/24\n"
      "dns server 10.0.0.53 10.0.0.54 10.0.0.55\n"
      "pp select anonymous\n"
      " ppp ipcp msext off\n"
      " ppp lcp mru off\n"
      " ip pp mtu 1400\n");
  PppPolicy p = ppp_policy(cfg, pp(cfg, config::kPpAnonymous), lan_address(cfg));
  EXPECT_EQ(p.ipcp.dns[0], 0u);
  EXPECT_FALSE(p.lcp.mru);
  EXPECT_EQ(p.mtu, 1400);
  EXPECT_FALSE(p.ipcp.request_local_address);  // `ppp ipcp ipaddress` default off
  const config::Config on = config::test::must_load(
      "dns server 10.0.0.53 10.0.0.54 10.0.0.55\n"
      "pp select anonymous\n"
      " ppp ipcp msext on\n");
  p = ppp_policy(on, pp(on, config::kPpAnonymous), 0);
  EXPECT_EQ(p.ipcp.dns[0], ip(10, 0, 0, 53));
  EXPECT_EQ(p.ipcp.dns[1], ip(10, 0, 0, 54));  // the first two
  EXPECT_EQ(lan_address(on), 0u);
  EXPECT_EQ(p.ipcp.nbns[0], 0u) << "no wins server";
}

TEST(PppPolicy, WinsServersAndMultiConnectProhibit) {
  const config::Config cfg = config::test::must_load(
      "wins server 10.0.0.137 10.0.0.138\n"
      "pp select anonymous\n"
      " ppp ipcp msext on\n"
      " pp auth multi connect prohibit on\n");
  PppPolicy p = ppp_policy(cfg, pp(cfg, config::kPpAnonymous), 0);
  EXPECT_EQ(p.ipcp.nbns[0], ip(10, 0, 0, 137));
  EXPECT_EQ(p.ipcp.nbns[1], ip(10, 0, 0, 138));
  EXPECT_TRUE(p.multi_connect_prohibit);
  const config::Config def = config::test::must_load("wins server 10.0.0.137\npp select anonymous\n");
  p = ppp_policy(def, pp(def, config::kPpAnonymous), 0);
  EXPECT_FALSE(p.multi_connect_prohibit) << "the RTX default is off";
  EXPECT_EQ(p.ipcp.nbns[0], 0u) << "NBNS only with ppp ipcp msext on";
}

TEST(PpContext, TheLocalAddressIsNeverHandedOut) {
  PppPolicy p;
  p.ipcp.local_address = ip(10, 0, 0, 1);
  p.pool = {{ip(10, 0, 0, 1), ip(10, 0, 0, 2)}};
  PpContext ctx(p, {});
  EXPECT_EQ(*ctx.pool().allocate(), ip(10, 0, 0, 2));
  EXPECT_FALSE(ctx.pool().allocate());
}

TEST(PpContext, LoggedInUsers) {
  PppPolicy p;
  PpContext allow(p, {});
  EXPECT_TRUE(allow.claim_user("a"));
  EXPECT_TRUE(allow.claim_user("a"));
  EXPECT_EQ(allow.sessions_of("a"), 2u);
  allow.release_user("a");
  allow.release_user("a");
  allow.release_user("a");  // one too many: harmless
  EXPECT_EQ(allow.sessions_of("a"), 0u);
  p.multi_connect_prohibit = true;
  PpContext prohibit(p, {});
  EXPECT_TRUE(prohibit.claim_user("a"));
  EXPECT_FALSE(prohibit.claim_user("a"));
  EXPECT_TRUE(prohibit.claim_user("b"));
  prohibit.release_user("a");
  EXPECT_TRUE(prohibit.claim_user("a"));
}

}  // namespace
}  // namespace l2tpgw::cp::ppp
