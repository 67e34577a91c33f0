// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/config/parser: every command, Yamaha's defaults, `no`, contexts, each
// error class, the unsupported-function warnings, and secrets kept out of every message.
#include "controlplane/config/parser.hpp"
#include "controlplane/config/loader.hpp"
#include "controlplane/config/printer.hpp"

#include <gtest/gtest.h>

#include "controlplane/config/values.hpp"
#include "tests/unit/controlplane/config/config_test_util.hpp"

namespace l2tpgw::cp::config {
namespace {

using test::errors;
using test::must_load;
using test::the_error;
using test::warnings;

Ipv4 ip(const char* s) { return *parse_ipv4(s); }

// ---- Yamaha's defaults (defaults.hpp) ----

TEST(Defaults, AnEmptyFileIsTheRouterAtItsDefaults) {
  const Config c = must_load("");
  EXPECT_EQ(c, Config{});
  EXPECT_FALSE(c.l2tp_service.value.on);
  EXPECT_TRUE(c.l2tp_service.value.l2tpv2);
  EXPECT_TRUE(c.l2tp_service.value.l2tpv3);
  EXPECT_FALSE(c.pptp_service.value);
  EXPECT_FALSE(c.ipsec_auto_refresh.value);
  EXPECT_FALSE(c.ipsec_auto_refresh.is_set());
}

TEST(Defaults, PpSection) {
  const Config c = must_load("pp select anonymous\n");
  const PpConfig& pp = c.pps.at(kPpAnonymous);
  EXPECT_EQ(pp.select_line, 1u);
  EXPECT_FALSE(pp.auth_request.value.method);  // no authentication requested
  EXPECT_TRUE(pp.auth_accept.value.empty());
  EXPECT_FALSE(pp.ipcp_ipaddress.value);
  EXPECT_FALSE(pp.ipcp_msext.value);
  EXPECT_TRUE(pp.lcp_mru.value.on);
  EXPECT_EQ(pp.lcp_mru.value.mru, 1500);
  EXPECT_EQ(pp.ccp_type.value, CcpType::Stac);
  EXPECT_EQ(pp.mtu.value, 1500);
  EXPECT_FALSE(pp.enabled.value);
  EXPECT_FALSE(pp.remote_address.value.address);
  EXPECT_TRUE(pp.remote_address.value.pool.empty());
}

TEST(Defaults, TunnelSection) {
  const Config c = must_load("tunnel select 1\n");
  const TunnelConfig& t = c.tunnels.at(1);
  EXPECT_EQ(t.encapsulation.value, TunnelEncapsulation::Ipsec);
  EXPECT_FALSE(t.encapsulation.is_set());
  EXPECT_EQ(t.l2tp_disconnect_time.value, 60u);
  EXPECT_TRUE(t.l2tp_keepalive.value.on);
  EXPECT_EQ(t.l2tp_keepalive.value.interval, 60);
  EXPECT_EQ(t.l2tp_keepalive.value.count, 3);
  EXPECT_FALSE(t.l2tp_keepalive_log.value);
  EXPECT_FALSE(t.l2tp_syslog.value);
  EXPECT_FALSE(t.l2tp_always_on.value);
  EXPECT_FALSE(t.l2tp_tunnel_auth.value.on);
  EXPECT_EQ(t.tcp_mss_limit.value.mode, TcpMssLimit::Mode::Off);
  EXPECT_FALSE(t.enabled.value);
  EXPECT_FALSE(t.ipsec_policy.value);
}

TEST(Defaults, IkeGateway) {
  const Config c = must_load("ipsec ike remote address 1 any\n");
  const IkeGateway& g = c.gateways.at(1);
  EXPECT_EQ(g.encryption.value, IkeEncryption::TdesCbc);
  EXPECT_EQ(g.hash.value, IkeHash::Sha);
  EXPECT_EQ(g.group.value, std::vector<IkeGroup>{IkeGroup::Modp768});
  EXPECT_FALSE(g.nat_traversal.value.on);
  EXPECT_EQ(g.keepalive.value.use, IkeKeepalive::Use::Auto);
  EXPECT_TRUE(g.keepalive_log.value);
  EXPECT_FALSE(g.pfs.value);
  EXPECT_EQ(g.isakmp_sa_lifetime.value, 28800u);
  EXPECT_EQ(g.ipsec_sa_lifetime.value, 28800u);
  EXPECT_TRUE(g.auto_refresh.value);
  EXPECT_EQ(g.version.value, 1);
  EXPECT_FALSE(g.pre_shared_key.value);
}

TEST(Defaults, SaPolicyAntiReplayIsOn) {
  const Config c = must_load("ipsec sa policy 1 1 esp aes-cbc sha-hmac\n");
  EXPECT_TRUE(c.policies.at(1).anti_replay_check);
}

// ---- every command sets the model ----

TEST(Commands, PpSection) {
  const Config c = must_load(R"(pp select anonymous
 pp bind tunnel1-tunnel3 tunnel5 tunnel7-8
 pp auth request chap-pap arrive-only
 pp auth accept pap chap mschap mschap-v2
 pp auth username alice secret1
 pp auth username bob secret2 192.168.100.50
 pp auth username "carol c" "pass word"
 ppp ipcp ipaddress on
 ppp ipcp msext on
 ppp lcp mru on 1454
 ppp ccp type none
 ip pp mtu 1454
 ip pp remote address pool 192.168.100.10-192.168.100.20 192.168.100.30
 pp enable anonymous
pp select 2
 ip pp remote address 192.168.100.60
)");
  const PpConfig& pp = c.pps.at(kPpAnonymous);
  EXPECT_EQ(pp.bind.value, (std::vector<uint16_t>{1, 2, 3, 5, 7, 8}));
  EXPECT_EQ(pp.bind.line, 2u);
  EXPECT_EQ(pp.auth_request.value.method, PpAuthMethod::ChapPap);
  EXPECT_TRUE(pp.auth_request.value.arrive_only);
  EXPECT_EQ(pp.auth_accept.value.size(), 4u);
  ASSERT_EQ(pp.users.size(), 3u);
  EXPECT_EQ(pp.users[0].name, "alice");
  EXPECT_EQ(pp.users[0].password.reveal(), "secret1");
  EXPECT_EQ(pp.users[1].address, ip("192.168.100.50"));
  EXPECT_EQ(pp.users[2].name, "carol c");
  EXPECT_EQ(pp.users[2].password.reveal(), "pass word");
  EXPECT_TRUE(pp.ipcp_ipaddress.value);
  EXPECT_TRUE(pp.ipcp_msext.value);
  EXPECT_EQ(pp.lcp_mru.value.mru, 1454);
  EXPECT_EQ(pp.ccp_type.value, CcpType::None);
  EXPECT_EQ(pp.mtu.value, 1454);
  ASSERT_EQ(pp.remote_address.value.pool.size(), 2u);
  EXPECT_EQ(pp.remote_address.value.pool[1].first, ip("192.168.100.30"));
  EXPECT_EQ(pp.remote_address.value.pool[1].last, ip("192.168.100.30"));
  EXPECT_TRUE(pp.enabled.value);
  EXPECT_EQ(pp.enabled.line, 14u);
  EXPECT_EQ(c.pps.at(2).remote_address.value.address, ip("192.168.100.60"));
}

TEST(Commands, ARepeatedUsernameReplacesTheEarlierOne) {
  const Config c = must_load("pp select anonymous\n pp auth username u a\n pp auth username v b\n pp auth username u c\n");
  const auto& users = c.pps.at(kPpAnonymous).users;
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].name, "u");
  EXPECT_EQ(users[0].password.reveal(), "c");
}

TEST(Commands, TunnelSection) {
  const Config c = must_load(R"(tunnel select 1
 tunnel encapsulation l2tpv3
 tunnel endpoint address 192.168.100.1 192.168.2.1
 ipsec tunnel 100
  ipsec sa policy 100 1 esp aes256-cbc sha256-hmac anti-replay-check=off
 l2tp always-on on
 l2tp tunnel auth on test1234
 l2tp tunnel disconnect time 120
 l2tp keepalive use on 10
 l2tp keepalive log on
 l2tp syslog on
 l2tp local router-id 192.168.100.1
 l2tp remote router-id 192.168.100.2
 l2tp remote end-id TESTEND
 ip tunnel tcp mss limit 1300
 tunnel enable 1
tunnel select 2
 tunnel encapsulation l2tp
 tunnel endpoint address 203.0.113.1
 l2tp tunnel disconnect time off
 l2tp keepalive use off
 ip tunnel tcp mss limit auto
ipsec transport 1 100 udp 1701
)");
  const TunnelConfig& t = c.tunnels.at(1);
  EXPECT_EQ(t.encapsulation.value, TunnelEncapsulation::L2tpv3);
  EXPECT_EQ(t.endpoint.value->local, ip("192.168.100.1"));
  EXPECT_EQ(t.endpoint.value->remote, ip("192.168.2.1"));
  EXPECT_EQ(t.ipsec_policy.value, 100u);
  EXPECT_TRUE(t.l2tp_always_on.value);
  EXPECT_TRUE(t.l2tp_tunnel_auth.value.on);
  EXPECT_EQ(t.l2tp_tunnel_auth.value.password.reveal(), "test1234");
  EXPECT_EQ(t.l2tp_disconnect_time.value, 120u);
  EXPECT_EQ(t.l2tp_keepalive.value.interval, 10);
  EXPECT_EQ(t.l2tp_keepalive.value.count, 3);  // the default when only the interval is given
  EXPECT_TRUE(t.l2tp_keepalive_log.value);
  EXPECT_TRUE(t.l2tp_syslog.value);
  EXPECT_EQ(t.l2tp_local_router_id.value, ip("192.168.100.1"));
  EXPECT_EQ(t.l2tp_remote_router_id.value, ip("192.168.100.2"));
  EXPECT_EQ(t.l2tp_remote_end_id.value, "TESTEND");
  EXPECT_EQ(t.tcp_mss_limit.value, (TcpMssLimit{TcpMssLimit::Mode::Fixed, 1300}));
  EXPECT_TRUE(t.enabled.value);
  const SaPolicy& p = c.policies.at(100);
  EXPECT_EQ(p.gateway, 1u);
  EXPECT_EQ(p.cipher, EspCipher::AesCbc256);
  EXPECT_EQ(p.auth, EspAuth::HmacSha256_128);
  EXPECT_FALSE(p.anti_replay_check);
  const TunnelConfig& t2 = c.tunnels.at(2);
  EXPECT_FALSE(t2.endpoint.value->local);
  EXPECT_EQ(t2.endpoint.value->remote, ip("203.0.113.1"));
  EXPECT_EQ(t2.l2tp_disconnect_time.value, std::nullopt);
  EXPECT_TRUE(t2.l2tp_disconnect_time.is_set());
  EXPECT_FALSE(t2.l2tp_keepalive.value.on);
  EXPECT_EQ(t2.tcp_mss_limit.value.mode, TcpMssLimit::Mode::Auto);
}

TEST(Commands, IkeGateway) {
  const Config c = must_load(R"(ipsec ike encryption 1 aes256-cbc
ipsec ike hash 1 sha256
ipsec ike group 1 modp2048 modp1024
ipsec ike local address 1 192.168.100.1
ipsec ike remote address 1 vpn.example.jp
ipsec ike local name 1 gw fqdn
ipsec ike remote name 1 pc
ipsec ike pre-shared-key 1 hex 0x0A1b2C
ipsec ike nat-traversal 1 on keepalive=20 force=on
ipsec ike keepalive use 1 on dpd 10 3
ipsec ike keepalive log 1 off
ipsec ike pfs 1 on
ipsec ike duration isakmp-sa 1 3600
ipsec ike duration ipsec-sa 1 1800
ipsec ike version 1 1
ipsec auto refresh 1 off
ipsec auto refresh on
ipsec ike keepalive use 2 auto icmp-echo 192.0.2.1
ipsec ike remote address 2 203.0.113.9
ipsec ike pre-shared-key 2 text "two words"
)");
  const IkeGateway& g = c.gateways.at(1);
  EXPECT_EQ(g.encryption.value, IkeEncryption::Aes256Cbc);
  EXPECT_EQ(g.hash.value, IkeHash::Sha256);
  EXPECT_EQ(g.group.value, (std::vector<IkeGroup>{IkeGroup::Modp2048, IkeGroup::Modp1024}));
  EXPECT_EQ(g.local_address.value, ip("192.168.100.1"));
  EXPECT_EQ(g.remote_address.value->kind, IkeRemoteAddress::Kind::Hostname);
  EXPECT_EQ(g.remote_address.value->hostname, "vpn.example.jp");
  EXPECT_EQ(g.local_name.value, (IkeName{"gw", IkeIdType::Fqdn}));
  EXPECT_EQ(g.remote_name.value, (IkeName{"pc", std::nullopt}));
  EXPECT_TRUE(g.pre_shared_key.value->hex);
  EXPECT_EQ(g.pre_shared_key.value->key.reveal(), std::string("\x0a\x1b\x2c"));
  EXPECT_EQ(g.nat_traversal.value, (NatTraversal{true, 20, true}));
  EXPECT_EQ(g.keepalive.value.use, IkeKeepalive::Use::On);
  EXPECT_EQ(g.keepalive.value.method, IkeKeepalive::Method::Dpd);
  EXPECT_EQ(g.keepalive.value.interval, 10);
  EXPECT_EQ(g.keepalive.value.count, 3);
  EXPECT_FALSE(g.keepalive_log.value);
  EXPECT_TRUE(g.pfs.value);
  EXPECT_EQ(g.isakmp_sa_lifetime.value, 3600u);
  EXPECT_EQ(g.ipsec_sa_lifetime.value, 1800u);
  EXPECT_FALSE(g.auto_refresh.value);
  EXPECT_TRUE(c.ipsec_auto_refresh.value);
  const IkeGateway& g2 = c.gateways.at(2);
  EXPECT_EQ(g2.keepalive.value.method, IkeKeepalive::Method::IcmpEcho);
  EXPECT_EQ(g2.keepalive.value.icmp_echo_target, ip("192.0.2.1"));
  EXPECT_EQ(g2.remote_address.value->address, ip("203.0.113.9"));
  EXPECT_EQ(g2.pre_shared_key.value->key.reveal(), "two words");
}

TEST(Commands, DurationsWithKilobytesAndRekeyPoints) {
  EXPECT_FALSE(load_config("ipsec ike duration ipsec-sa 1 3600 250000\n").ok()) << "over 100000 KB";
  const Config ok = must_load(R"(ipsec ike duration ipsec-sa 1 3600 100000
ipsec ike duration isakmp-sa 1 28800 rekey 80%
ipsec ike duration ipsec-sa 2 1800 5000 rekey off
ipsec ike duration ipsec-sa 3 600 rekey 90
)");
  const IkeGateway& g1 = ok.gateways.at(1);
  EXPECT_EQ(g1.ipsec_sa_lifetime.value, 3600u);
  EXPECT_EQ(g1.ipsec_sa_kilobytes.value, 100000u);
  EXPECT_EQ(g1.ipsec_sa_rekey.value, 75u) << "Yamaha's default rekey point";
  EXPECT_EQ(g1.isakmp_sa_rekey.value, 80u);
  EXPECT_EQ(ok.gateways.at(2).ipsec_sa_kilobytes.value, 5000u);
  EXPECT_EQ(ok.gateways.at(2).ipsec_sa_rekey.value, 0u) << "rekey off";
  EXPECT_EQ(ok.gateways.at(3).ipsec_sa_kilobytes.value, 0u);
  EXPECT_EQ(ok.gateways.at(3).ipsec_sa_rekey.value, 90u);
  const std::string printed = print_config(ok);
  EXPECT_NE(printed.find("ipsec ike duration ipsec-sa 1 3600 100000\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("ipsec ike duration isakmp-sa 1 28800 rekey 80%\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("ipsec ike duration ipsec-sa 2 1800 5000 rekey off\n"), std::string::npos) << printed;
  EXPECT_EQ(must_load(printed), ok);
  EXPECT_EQ(the_error("ipsec ike duration ipsec-sa 1 3600 rekey 95%\n").second,
            "ipsec ike duration ipsec-sa: the rekey point must be 70%-90% or off, not '95%'");
  EXPECT_EQ(the_error("ipsec ike duration ipsec-sa 1 3600 50\n").second,
            "ipsec ike duration ipsec-sa: lifetime (kilobytes) must be a number from 100 to 100000, not '50'");
  EXPECT_EQ(the_error("ipsec ike duration isakmp-sa 1 3600 5000\n").second,
            "ipsec ike duration isakmp-sa: expected rekey, not '5000'");
}

TEST(Commands, Transports) {
  const Config c = must_load(R"(tunnel select 1
 ipsec tunnel 101
  ipsec sa policy 101 1 esp aes-gcm
ipsec transport 1 101 udp 1701
ipsec transport 2 101 udp 1701 *
ipsec transport 3 101 tcp * 80,443,8000-8080
ipsec transport 4 101
ipsec transport 5 101 47
ipsec transport 6 101 *
)");
  EXPECT_EQ(c.policies.at(101).auth, EspAuth::None);
  const auto& t = c.transports;
  EXPECT_EQ(t.at(1).protocol, 17);
  EXPECT_EQ(t.at(1).src_ports, (std::vector<PortRange>{{1701, 1701}}));
  EXPECT_TRUE(t.at(1).dst_ports.empty());
  EXPECT_EQ(t.at(2).src_ports, t.at(1).src_ports);
  EXPECT_EQ(t.at(3).protocol, 6);
  EXPECT_TRUE(t.at(3).src_ports.empty());
  EXPECT_EQ(t.at(3).dst_ports, (std::vector<PortRange>{{80, 80}, {443, 443}, {8000, 8080}}));
  EXPECT_FALSE(t.at(4).protocol);
  EXPECT_EQ(t.at(5).protocol, 47);
  EXPECT_FALSE(t.at(6).protocol);
}

TEST(Commands, GlobalCommands) {
  const Config c = must_load(R"(ip route default gateway 192.168.1.2
ip route 10.0.0.0/8 gateway tunnel 1
ip route 172.16.0.0/255.240.0.0 gateway pp anonymous
ip route 192.0.2.7 gateway pp 2
ip lan1 address 192.168.100.1/24
ip lan1 proxyarp on
ip lan2 address 192.168.1.1/255.255.255.0
bridge member bridge1 lan1 tunnel1
ip bridge1 address 192.168.100.1/24
dns server 192.0.2.53 198.51.100.53
l2tp service on l2tpv3
pptp service off
)");
  ASSERT_EQ(c.routes.size(), 4u);
  EXPECT_EQ(c.routes.at(Ipv4Prefix{}).gateway.address, ip("192.168.1.2"));
  const Route& r10 = c.routes.at(*parse_ipv4_prefix("10.0.0.0/8"));
  EXPECT_EQ(r10.gateway.kind, RouteGateway::Kind::Tunnel);
  EXPECT_EQ(r10.gateway.id, 1);
  EXPECT_EQ(c.routes.at(*parse_ipv4_prefix("172.16.0.0/12")).gateway.id, kPpAnonymous);
  EXPECT_EQ(c.routes.at(*parse_ipv4_prefix("192.0.2.7/32")).gateway.id, 2);
  EXPECT_EQ(c.interfaces.at("lan1").address.value, parse_ipv4_prefix("192.168.100.1/24"));
  EXPECT_TRUE(c.interfaces.at("lan1").proxyarp.value);
  EXPECT_EQ(c.interfaces.at("lan2").address.value->length, 24);
  EXPECT_EQ(c.bridges.at("bridge1").members, (std::vector<std::string>{"lan1", "tunnel1"}));
  EXPECT_EQ(c.dns_servers.value, (std::vector<Ipv4>{ip("192.0.2.53"), ip("198.51.100.53")}));
  EXPECT_EQ(c.l2tp_service.value, (L2tpService{true, false, true}));
  EXPECT_TRUE(c.pptp_service.is_set());
}

TEST(Commands, WinsServerAndMultiConnectProhibitRoundTrip) {
  const std::string text =
      "pp select anonymous\n pp auth multi connect prohibit on\nwins server 192.0.2.137 192.0.2.138\n";
  const Config c = must_load(text);
  EXPECT_TRUE(c.pps.at(kPpAnonymous).auth_multi_connect_prohibit.value);
  EXPECT_EQ(c.wins_servers.value, (std::vector<Ipv4>{ip("192.0.2.137"), ip("192.0.2.138")}));
  const std::string printed = print_config(c);
  EXPECT_NE(printed.find(" pp auth multi connect prohibit on\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("wins server 192.0.2.137 192.0.2.138\n"), std::string::npos) << printed;
  EXPECT_EQ(must_load(printed), c);
  const LoadResult three = load_config("wins server 192.0.2.1 192.0.2.2 192.0.2.3\n");
  ASSERT_FALSE(three.ok());
  EXPECT_EQ(three.diagnostics[0].line, 1u);
}

TEST(Commands, EnableAndDisableAll) {
  const Config c = must_load(R"(tunnel select 1
tunnel select 2
tunnel enable all
tunnel disable 2
tunnel select 3
pp select 1
pp select anonymous
pp enable all
pp disable 1
)");
  EXPECT_TRUE(c.tunnels.at(1).enabled.value);
  EXPECT_FALSE(c.tunnels.at(2).enabled.value);
  EXPECT_TRUE(c.tunnels.at(3).enabled.value);  // selected after `all`: takes it at the end
  EXPECT_TRUE(c.pps.at(kPpAnonymous).enabled.value);
  EXPECT_FALSE(c.pps.at(1).enabled.value);
}

// ---- `no` ----

TEST(Negation, NoResetsOrRemoves) {
  const Config c = must_load(R"(pp select anonymous
 pp auth username u p
 pp auth username v q
 ppp ipcp msext on
 no ppp ipcp msext
 no pp auth username u
tunnel select 1
 l2tp syslog on
 no l2tp syslog on
 ipsec tunnel 101
 no ipsec tunnel
ipsec sa policy 101 1 esp aes-cbc sha-hmac
no ipsec sa policy 101 1 esp aes-cbc sha-hmac
ipsec ike pre-shared-key 1 text k
no ipsec ike pre-shared-key 1
ip lan1 address 192.168.100.1/24
no ip lan1 address 192.168.100.1/24
ip route default gateway 192.168.1.1
no ip route default
dns server 192.0.2.1
no dns server
l2tp service on
no l2tp service
no ip lan3 proxyarp
pp select anonymous
 no pp auth username nobody
)");
  const PpConfig& pp = c.pps.at(kPpAnonymous);
  EXPECT_FALSE(pp.ipcp_msext.is_set());
  ASSERT_EQ(pp.users.size(), 1u);
  EXPECT_EQ(pp.users[0].name, "v");
  EXPECT_FALSE(c.tunnels.at(1).l2tp_syslog.is_set());
  EXPECT_FALSE(c.tunnels.at(1).ipsec_policy.value);
  EXPECT_TRUE(c.policies.empty());
  EXPECT_TRUE(c.gateways.empty());  // a gateway left with no setting is the same as none
  EXPECT_TRUE(c.interfaces.empty());
  EXPECT_TRUE(c.routes.empty());
  EXPECT_FALSE(c.dns_servers.is_set());
  EXPECT_FALSE(c.l2tp_service.is_set());
}

TEST(Negation, SelectCannotBeNegated) {
  EXPECT_EQ(the_error("no pp select 1\n").second, "pp select: cannot be negated");
  EXPECT_EQ(the_error("no tunnel select 1\n").second, "tunnel select: cannot be negated");
}

// ---- contexts ----

TEST(Context, SectionCommandsNeedTheirSection) {
  EXPECT_EQ(the_error("pp bind tunnel1\n"), std::make_pair(1u, std::string("pp bind: no pp selected (pp select N|anonymous first)")));
  EXPECT_EQ(the_error("ipsec tunnel 1\n"), std::make_pair(1u, std::string("ipsec tunnel: no tunnel selected (tunnel select N first)")));
  EXPECT_EQ(the_error("tunnel select 1\npp auth request chap\n").first, 2u);
  EXPECT_EQ(the_error("pp select 1\ntunnel encapsulation l2tp\n").first, 2u);
  EXPECT_EQ(the_error("pp select 1\npp select none\nppp ipcp msext on\n").first, 3u);
  EXPECT_EQ(the_error("tunnel select 1\ntunnel select none\nl2tp syslog on\n").first, 3u);
}

TEST(Context, GlobalCommandsWorkInsideASection) {
  const Config c = must_load("tunnel select 1\n ipsec ike remote address 1 any\n l2tp service on\npp select 1\n ip route default gateway 192.0.2.1\n");
  EXPECT_TRUE(c.l2tp_service.value.on);
  EXPECT_EQ(c.routes.size(), 1u);
}

// ---- error classes ----

TEST(Errors, UnknownCommandNamesTheKnownPrefixAndSuggests) {
  EXPECT_EQ(the_error("tunnle select 1\n").second, "unknown command; did you mean 'tunnel select'?");
  EXPECT_EQ(the_error("ipsec ike frobnicate 1 on\n").second, "unknown command 'ipsec ike ...'");
  EXPECT_EQ(the_error("ipsec ike pre-shard-key 1 text k\n").second,
            "unknown command 'ipsec ike ...'; did you mean 'ipsec ike pre-shared-key'?");
  EXPECT_EQ(the_error("no\n").second, "unknown command");
  EXPECT_EQ(the_error("himitsu\n").second, "unknown command");
}

TEST(Errors, BadAddresses) {
  EXPECT_EQ(the_error("ip lan1 address 192.168.100.300/24\n").second,
            "ip lan1 address: '192.168.100.300/24' is not an address with a prefix length (A.B.C.D/LEN)");
  EXPECT_EQ(the_error("ip lan1 address 192.168.100.0/24\n").second,
            "ip lan1 address: '192.168.100.0/24' is the network's own address, not an interface address");
  EXPECT_EQ(the_error("ip lan1 address 192.168.100.255/24\n").second,
            "ip lan1 address: '192.168.100.255/24' is the network's broadcast address, not an interface address");
  EXPECT_EQ(the_error("ipsec ike local address 1 192.168.1\n").second,
            "ipsec ike local address: '192.168.1' is not an IPv4 address (local address)");
  EXPECT_EQ(the_error("ip route 10.0.0.1/8 gateway 192.0.2.1\n").second,
            "ip route: '10.0.0.1/8' has bits set past its prefix length");
  EXPECT_EQ(the_error("pp select 1\n ip pp remote address pool 10.0.0.9-10.0.0.1\n").second,
            "ip pp remote address pool: '10.0.0.9-10.0.0.1' is not an IPv4 address or range A.B.C.D-E.F.G.H");
  EXPECT_EQ(the_error("pp select 1\n ip pp remote address pool 10.0.0.1-10.0.0.9 10.0.0.5\n").second,
            "ip pp remote address pool: '10.0.0.5' overlaps another range");
  EXPECT_EQ(the_error("ipsec ike remote address 1 10.0.0\n").second,
            "ipsec ike remote address: '10.0.0' is not any, an IPv4 address or a hostname");
}

TEST(Errors, UnknownAlgorithms) {
  EXPECT_EQ(the_error("ipsec sa policy 101 1 esp aes-cbcx sha-hmac\n").second,
            "ipsec sa policy: unknown ESP encryption algorithm 'aes-cbcx' (des-cbc, 3des-cbc, aes-cbc, aes256-cbc, "
            "aes-gcm, aes256-gcm)");
  EXPECT_EQ(the_error("ipsec sa policy 101 1 esp aes-cbc sha1\n").second,
            "ipsec sa policy: unknown ESP authentication algorithm 'sha1' (md5-hmac, sha-hmac, sha256-hmac)");
  EXPECT_EQ(the_error("ipsec ike encryption 1 blowfish\n").second,
            "ipsec ike encryption: unknown IKE encryption algorithm 'blowfish' (des-cbc, 3des-cbc, aes-cbc, aes256-cbc)");
  EXPECT_EQ(the_error("ipsec ike hash 1 sha512\n").second, "ipsec ike hash: unknown IKE hash algorithm 'sha512' (md5, sha, sha256)");
  EXPECT_EQ(the_error("ipsec ike group 1 modp4096\n").second,
            "ipsec ike group: unknown Diffie-Hellman group 'modp4096' (modp768, modp1024, modp1536, modp2048)");
  EXPECT_EQ(the_error("pp select 1\n pp auth request eap\n").second,
            "pp auth request: unknown authentication method 'eap' (pap, chap, mschap, mschap-v2, chap-pap)");
  EXPECT_EQ(the_error("tunnel select 1\n tunnel encapsulation gre\n").second,
            "tunnel encapsulation: unknown encapsulation 'gre' (ipsec, l2tp, l2tpv3, l2tpv3-raw, pptp)");
}

TEST(Errors, EspWithoutIntegrityAndAhAreRefused) {
  EXPECT_EQ(the_error("ipsec sa policy 1 1 esp aes-cbc\n").second,
            "ipsec sa policy: aes-cbc needs an authentication algorithm (md5-hmac, sha-hmac or sha256-hmac): l2tpgw "
            "never runs ESP without integrity");
  EXPECT_EQ(the_error("ipsec sa policy 1 1 esp aes-gcm sha-hmac\n").second,
            "ipsec sa policy: aes-gcm is a combined-mode cipher and takes no authentication algorithm");
  EXPECT_EQ(the_error("ipsec sa policy 1 1 ah sha-hmac\n").second, "ipsec sa policy: AH is not supported by l2tpgw (esp only)");
  EXPECT_EQ(the_error("ipsec ike version 1 2\n").second, "ipsec ike version: IKEv2 is not supported by l2tpgw (IKEv1 only)");
}

TEST(Errors, NumbersAndArguments) {
  EXPECT_EQ(the_error("tunnel select 0\n").second, "tunnel select: tunnel number must be a number from 1 to 10000, not '0'");
  EXPECT_EQ(the_error("pp select x\n").second,
            "pp select: peer number must be anonymous, none or a number from 1 to 10000, not 'x'");
  EXPECT_EQ(the_error("tunnel select 1\n l2tp keepalive use on 10 3 9\n").second, "l2tp keepalive use: unexpected '9'");
  EXPECT_EQ(the_error("tunnel select 1\n l2tp syslog yes\n").second, "l2tp syslog: expected on or off, not 'yes'");
  EXPECT_EQ(the_error("tunnel select 1\n ipsec tunnel\n").second, "ipsec tunnel: missing policy id");
  EXPECT_EQ(the_error("pp select 1\n pp bind tunnel1 tunnel1\n").second, "pp bind: tunnel 1 is named twice");
  EXPECT_EQ(the_error("pp select 1\n pp bind lan1\n").second,
            "pp bind: 'lan1' is not tunnelN or tunnelN-tunnelM (N from 1 to 10000)");
  EXPECT_EQ(the_error("ipsec transport 1 101 esp 1701\n").second, "ipsec transport: ports are only given with tcp or udp");
  EXPECT_EQ(the_error("bridge member bridge1 lan1 lan1\n").second, "bridge member: 'lan1' is named twice");
  EXPECT_EQ(the_error("ip route default 192.0.2.1\n").second, "ip route: expected gateway, not '192.0.2.1'");
}

TEST(Errors, PlaceholdersNameTheirLine) {
  const LoadResult r = load_config(
      "tunnel select 1\n ipsec tunnel 101\n  ipsec sa policy 101 1 esp (暗号アルゴリズム) (認証アルゴリズム)\n"
      "dns server (プロバイダより指定されたDNSサーバーのアドレス)\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(errors(r), (test::Lines{
                           {3, "ipsec sa policy: placeholder '(暗号アルゴリズム)' in place of a value; fill it in"},
                           {4, "dns server: placeholder '(プロバイダより指定されたDNSサーバーのアドレス)' in place of a value; fill it in"},
                       }));
  // In a secret's place the placeholder is named by position.
  EXPECT_EQ(the_error("pp select 1\n pp auth myname (ユーザ名) (パスワード)\n").second,
            "pp auth myname: argument 1 is a placeholder; fill in the value");
  EXPECT_EQ(the_error("pp select 1\n pp auth username u (パスワード)\n").second,
            "pp auth username: argument 2 is a placeholder; fill in the value");
  // A quoted "(...)" is a value.
  EXPECT_EQ(must_load("pp select 1\n pp auth username u \"(secret)\"\n").pps.at(1).users[0].password.reveal(), "(secret)");
}

TEST(Errors, EveryErrorOfAFileIsReported) {
  const LoadResult r = load_config("tunnel select 0\nip lan1 address x\nfoo\n");
  EXPECT_EQ(test::lines_of(errors(r)), (std::vector<uint32_t>{1, 2, 3}));
}

// ---- secrets never appear in a message ----

TEST(Secrets, BrokenSecretLinesNeverQuoteTheSecret) {
  const char* kBroken[] = {
      "ipsec ike pre-shared-key himitsu\n",                   // gateway id missing: the key moves left
      "ipsec ike pre-shared-key 1 himitsu\n",                 // key type missing
      "ipsec ike pre-shared-key 1 txt himitsu\n",
      "ipsec ike pre-shared-key 1 text himitsu extra-himitsu\n",
      "ipsec ike pre-shared-key 1 text himitsu with blanks\n",
      "ipsec ike pre-shared-key 1 hex 0xhimitsu\n",
      "ipsec ike pre-shared-key 1 hex himitsu\n",
      "ipsec ike pre-shared-key 1 text \"himitsu\n",
      "ipsec ike pre-shared-key 1 text himitsu\\\n",
      "ipsec ike pre-shared-key 1 text (himitsu)\n",
      "ipsec ike pre-shared-key 99999 text himitsu\n",
      "ipsec ike pre-shared-key 1 text ********\n",
      "ipsec ike pre-shared-key 1 text \"himitsu\x01\"\n",
      "ipsec ike pre-shared-key 1 text \"caf\xc3\xa9-himitsu\"\n",
      "pp select 1\n pp auth username alice himitsu 1.2.3\n",
      "pp select 1\n pp auth username alice himitsu extra-himitsu\n",
      "pp select 1\n pp auth username alice 'himitsu\n",
      "pp select 1\n pp auth username alice ********\n",
      "pp auth username alice himitsu\n",  // no pp selected
      "tunnel select 1\n l2tp tunnel auth himitsu\n",
      "tunnel select 1\n l2tp tunnel auth on himitsu extra-himitsu\n",
      "l2tp tunnel auth on himitsu\n",  // no tunnel selected
      "pp select 1\n pp auth myname me himitsu\n",
      "login password himitsu\n",
      "administrator password himitsu\n",
      "vrx user yamaha himitsu\n",
  };
  for (const char* text : kBroken) {
    const LoadResult r = load_config(text);
    EXPECT_FALSE(r.diagnostics.empty()) << text;
    for (const Diagnostic& d : r.diagnostics) EXPECT_EQ(d.message.find("himitsu"), std::string::npos) << d.message;
  }
}

TEST(Secrets, HexAndTextKeyChecks) {
  EXPECT_EQ(the_error("ipsec ike pre-shared-key 1 hex 0xabc\n").second,
            "ipsec ike pre-shared-key: a hex key is 0x followed by an even number of hexadecimal digits");
  EXPECT_EQ(the_error("ipsec ike pre-shared-key 1 text " + std::string(129, 'k') + "\n").second,
            "ipsec ike pre-shared-key: the key is longer than 128 characters");
  EXPECT_EQ(the_error("ipsec ike pre-shared-key 1 text ********\n").second,
            "ipsec ike pre-shared-key: the key is the mask that show config prints; write the real one");
  EXPECT_EQ(the_error("ipsec ike pre-shared-key 1 text \"\"\n").second, "ipsec ike pre-shared-key: the key is empty");
  EXPECT_EQ(the_error("tunnel select 1\n l2tp tunnel auth on\n").second, "l2tp tunnel auth: missing password");
}

// ---- router functions l2tpgw lacks ----

TEST(Unsupported, WarnedByLineAndTheRestLoads) {
  const LoadResult r = load_config(R"(nat descriptor type 1 masquerade
ip lan2 nat descriptor 1
ip filter 200080 pass * 192.168.100.1 esp * *
ip lan2 secure filter in 200080
dhcp service server
dhcp scope 1 192.168.100.2-192.168.100.191/24
netvolante-dns hostname host pp server=1 XXXX.aaX.netvolante.jp
telnetd service off
sshd service on
sshd host key generate *
vrx user yamaha *
save
ip lan2 address dhcp
ip route default gateway dhcp lan2
dns server dhcp lan2
pptp service on
pp select anonymous
 ip pp remote address pool dhcp
 ppp ccp type mppe-128
 pp always-on on
 ip pp secure filter in 1 2 3
tunnel select 1
 tunnel encapsulation pptp
 pptp tunnel disconnect time off
 tunnel endpoint name vpn.example.jp fqdn
ip lan1 address 192.168.100.1/24
)");
  ASSERT_TRUE(r.ok());
  const auto w = warnings(r);
  EXPECT_EQ(test::lines_of(w), (std::vector<uint32_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,  //
                                                       18, 19, 20, 21, 23, 24, 25}));
  for (const auto& [line, msg] : w) EXPECT_EQ(msg.rfind("not supported by l2tpgw: ", 0), 0u) << msg;
  EXPECT_EQ(w[0].second, "not supported by l2tpgw: NAT (nat descriptor)");
  EXPECT_EQ(w[1].second, "not supported by l2tpgw: NAT (ip lan2 nat descriptor)");
  EXPECT_EQ(w[12].second, "not supported by l2tpgw: DHCP client (ip lan2 address dhcp)");
  EXPECT_EQ(r.config->interfaces.at("lan1").address.value, parse_ipv4_prefix("192.168.100.1/24"));
  EXPECT_TRUE(r.config->pptp_service.value);
  EXPECT_EQ(r.config->tunnels.at(1).encapsulation.value, TunnelEncapsulation::Pptp);
}

TEST(Unsupported, APppoeUplinkPpIsDroppedWithEveryLineReported) {
  const LoadResult r = load_config(R"(ip route default gateway pp 1
pp select 1
 pp always-on on
 pppoe use lan2
 pp auth accept pap chap
 pp auth myname user@isp.example.jp isp-himitsu
 ppp ipcp msext on
 ip pp mtu 1454
 pp enable 1
pp select anonymous
 ppp ipcp msext on
)");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.config->pps.contains(1));
  EXPECT_TRUE(r.config->routes.empty());
  EXPECT_TRUE(r.config->pps.at(kPpAnonymous).ipcp_msext.value);
  EXPECT_EQ(test::lines_of(warnings(r)), (std::vector<uint32_t>{1, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(warnings(r)[0].second,
            "not supported by l2tpgw: a route through pp 1, a PPPoE uplink (pppoe use, line 4); ignored");
  EXPECT_EQ(warnings(r)[2].second, "not supported by l2tpgw: PPPoE uplink (pppoe use); pp 1 and its commands are ignored");
  EXPECT_EQ(warnings(r)[3].second, "not supported by l2tpgw: pp 1 is a PPPoE uplink (pppoe use, line 4); this line is ignored");
  for (const Diagnostic& d : r.diagnostics) EXPECT_EQ(d.message.find("himitsu"), std::string::npos);
}

TEST(Unsupported, AnySelectorsOnAPolicyAreIgnoredWithAWarning) {
  const LoadResult r = load_config("ipsec sa policy 1 1 esp aes-cbc sha-hmac local-id=10.0.0.0/8\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(warnings(r), (test::Lines{{1, "not supported by l2tpgw: IPsec tunnel-mode selectors (local-id=, remote-id=); ignored"}}));
}

// ---- parse_lines keeps the templates for expand ----

TEST(ParseLines, TemplatesAreRecordedNotApplied) {
  std::vector<Diagnostic> d;
  const ParsedConfig p = parse_lines(lex("tunnel select 1\n tunnel template 3 5-6 3\nipsec transport template 1 2-4\n"), d);
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(p.config.tunnels.size(), 1u);
  EXPECT_EQ(p.tunnel_templates.at(1).targets, (std::vector<uint16_t>{3, 5, 6}));
  EXPECT_EQ(p.tunnel_templates.at(1).line, 2u);
  EXPECT_EQ(p.transport_templates.at(1).targets, (std::vector<uint32_t>{2, 3, 4}));
}

}  // namespace
}  // namespace l2tpgw::cp::config
