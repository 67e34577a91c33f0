// SPDX-License-Identifier: Apache-2.0
// dataplane_settings: what `l2tpgw-dataplane --config` takes from the seeds' configurations.
#include "controlplane/config/dataplane_settings.hpp"

#include <gtest/gtest.h>

#include "controlplane/config/values.hpp"
#include "tests/unit/controlplane/config/config_test_util.hpp"

namespace l2tpgw::cp::config {
namespace {

using test::load_fixture;

Ipv4 ip(const char* s) { return *parse_ipv4(s); }
Ipv4Prefix prefix(const char* s) { return *parse_ipv4_prefix(s); }

DataplaneSettings settings_of(const std::string& text, std::optional<Ipv4Prefix> wan_hint = {}) {
  LoadResult r = load_config(text);
  EXPECT_TRUE(r.ok()) << (r.diagnostics.empty() ? "" : r.diagnostics[0].message);
  return r.ok() ? dataplane_settings(*r.config, wan_hint) : DataplaneSettings{};
}

TEST(DataplaneSettings, Seed000MultipleClients) {
  LoadResult r = load_fixture("000_multiple_clients_filled.txt");
  ASSERT_TRUE(r.ok());
  DataplaneSettings s = dataplane_settings(*r.config);
  EXPECT_TRUE(s.errors.empty());
  ASSERT_TRUE(s.lan);
  EXPECT_EQ(s.lan->value, prefix("192.168.100.1/24"));
  EXPECT_EQ(s.lan->line, 6u);
  ASSERT_TRUE(s.lan_proxy_arp);
  EXPECT_TRUE(s.lan_proxy_arp->value);
  EXPECT_EQ(s.lan_proxy_arp->line, 7u);
  EXPECT_FALSE(s.wan) << "the uplink is PPPoE on lan2: no static WAN address";
  EXPECT_FALSE(s.wan_gateway) << "`ip route default gateway pp 1` is no address";
  EXPECT_FALSE(s.bridge_lan);
  ASSERT_EQ(s.pools.size(), 1u);
  EXPECT_EQ(s.pools[0], (Ipv4Range{ip("192.168.100.10"), ip("192.168.100.20")}));
}

TEST(DataplaneSettings, Seed001BridgedLanAndStaticWan) {
  LoadResult r = load_fixture("001_yamaha01_all_steps.txt");
  ASSERT_TRUE(r.ok());
  DataplaneSettings s = dataplane_settings(*r.config);
  EXPECT_TRUE(s.errors.empty()) << s.errors.front();
  ASSERT_TRUE(s.bridge_lan);
  EXPECT_TRUE(s.bridge_lan->value);
  ASSERT_TRUE(s.lan) << "the bridged LAN's address is bridge1's";
  EXPECT_EQ(s.lan->value, prefix("192.168.100.1/24"));
  ASSERT_TRUE(s.lan_proxy_arp);
  EXPECT_TRUE(s.lan_proxy_arp->value) << "ip bridge1 proxyarp on";
  ASSERT_TRUE(s.wan);
  EXPECT_EQ(s.wan->value, prefix("192.168.1.1/24"));
  ASSERT_TRUE(s.wan_gateway);
  EXPECT_EQ(s.wan_gateway->value, ip("192.168.1.2"));
  EXPECT_FALSE(s.lan_gateway);
  EXPECT_TRUE(s.pools.empty());
}

TEST(DataplaneSettings, UnsetProxyArpIsLeftToTheDefault) {
  DataplaneSettings s = settings_of("ip lan1 address 192.0.2.1/24\n");
  ASSERT_TRUE(s.lan);
  EXPECT_FALSE(s.lan_proxy_arp);
}

TEST(DataplaneSettings, PoolsOfEveryPpMergeIntoDisjointRanges) {
  DataplaneSettings s = settings_of(
      "ip lan1 address 192.0.2.1/24\n"
      "pp select anonymous\n"
      " ip pp remote address pool 192.0.2.100-192.0.2.149 192.0.2.200-192.0.2.209\n"
      "pp select 2\n"
      " ip pp remote address pool 192.0.2.150-192.0.2.159\n"
      "pp select 3\n"
      " ip pp remote address pool 192.0.2.20-192.0.2.29\n");
  ASSERT_EQ(s.pools.size(), 3u);
  EXPECT_EQ(s.pools[0], (Ipv4Range{ip("192.0.2.20"), ip("192.0.2.29")}));
  EXPECT_EQ(s.pools[1], (Ipv4Range{ip("192.0.2.100"), ip("192.0.2.159")})) << "adjacent ranges are one";
  EXPECT_EQ(s.pools[2], (Ipv4Range{ip("192.0.2.200"), ip("192.0.2.209")}));
}

// Seed 000's fixed-address client: `ip pp remote address 192.168.100.10` needs a pool index
// entry too, or the dataplane could not install the client's session.
TEST(DataplaneSettings, FixedRemoteAddressesAreIndexedLikePools) {
  LoadResult r = load_fixture("000_fixed_ip_client_filled.txt");
  ASSERT_TRUE(r.ok());
  DataplaneSettings s = dataplane_settings(*r.config);
  ASSERT_EQ(s.pools.size(), 1u);
  EXPECT_EQ(s.pools[0], (Ipv4Range{ip("192.168.100.10"), ip("192.168.100.10")}));
  // Beside a pool, adjacent: one range.
  s = settings_of("pp select anonymous\n ip pp remote address pool 192.0.2.100-192.0.2.149\n"
                  "pp select 2\n ip pp remote address 192.0.2.150\n");
  ASSERT_EQ(s.pools.size(), 1u);
  EXPECT_EQ(s.pools[0], (Ipv4Range{ip("192.0.2.100"), ip("192.0.2.150")}));
}

// More scattered fixed addresses than the dataplane has ranges: the closest are joined.
TEST(DataplaneSettings, ScatteredAddressesJoinTheClosestRangesBeyondSixteen) {
  std::string text;
  for (int i = 1; i <= 17; ++i)
    text += "pp select " + std::to_string(i) + "\n ip pp remote address 192.0.2." +
            std::to_string(i == 17 ? 3 : i * 10) + "\n";  // .10 .20 ... .160 and .3
  DataplaneSettings s = settings_of(text);
  ASSERT_EQ(s.pools.size(), kDataplanePoolRanges);
  EXPECT_EQ(s.pools[0], (Ipv4Range{ip("192.0.2.3"), ip("192.0.2.10")})) << "7 apart, the closest";
  EXPECT_EQ(s.pools[1], (Ipv4Range{ip("192.0.2.20"), ip("192.0.2.20")}));
  EXPECT_EQ(s.pools[15], (Ipv4Range{ip("192.0.2.160"), ip("192.0.2.160")}));
}

// A reload cannot grow the dataplane's pool index: new addresses outside it are warned about
// by line, addresses inside it are not.
TEST(DataplaneSettings, AddressesOutsideTheDataplanesRangesAreWarnedByLine) {
  LoadResult r = load_config(
      "pp select anonymous\n"
      " ip pp remote address pool 192.0.2.100-192.0.2.109\n"
      "pp select 2\n"
      " ip pp remote address 192.0.2.150\n"
      "pp select 3\n"
      " ip pp remote address 192.0.2.125\n");
  ASSERT_TRUE(r.ok());
  const std::vector<std::pair<uint32_t, uint32_t>> dp{{ip("192.0.2.100").value, ip("192.0.2.109").value},
                                                      {ip("192.0.2.120").value, ip("192.0.2.129").value}};
  const auto w = addresses_outside(*r.config, dp);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].line, 4u);
  EXPECT_EQ(w[0].severity, Severity::Warning);
  EXPECT_EQ(format_diagnostic(w[0], "l2tpgw.conf"),
            "l2tpgw.conf:4: warning: 192.0.2.150 is outside the dataplane's client address ranges "
            "(192.0.2.100-192.0.2.109, 192.0.2.120-192.0.2.129): a client given it cannot be installed until the dataplane "
            "restarts with this file");
  const auto none = addresses_outside(*r.config, {});
  ASSERT_EQ(none.size(), 3u) << "a dataplane without pools covers nothing";
  EXPECT_NE(none[0].message.find("(none)"), std::string::npos);
  EXPECT_TRUE(addresses_outside(*r.config, {{ip("192.0.2.0").value, ip("192.0.2.255").value}}).empty());
}

TEST(DataplaneSettings, GatewaysGoToThePortWhoseSubnetHoldsThem) {
  DataplaneSettings s = settings_of(
      "ip lan1 address 192.0.2.1/24\n"
      "ip route default gateway 203.0.113.254\n"
      "ip route 198.51.100.0/24 gateway 192.0.2.254\n",
      prefix("203.0.113.1/24"));
  EXPECT_TRUE(s.errors.empty());
  ASSERT_TRUE(s.wan_gateway) << "on the --wan-addr subnet";
  EXPECT_EQ(s.wan_gateway->value, ip("203.0.113.254"));
  EXPECT_EQ(s.wan_gateway->line, 2u);
  ASSERT_TRUE(s.lan_gateway);
  EXPECT_EQ(s.lan_gateway->value, ip("192.0.2.254"));
}

TEST(DataplaneSettings, AGatewayNoPortReachesOrASecondNextHopIsAnErrorNamingItsLine) {
  DataplaneSettings s = settings_of(
      "ip lan1 address 192.0.2.1/24\n"
      "ip route default gateway 203.0.113.254\n"
      "ip route 198.51.100.0/24 gateway 192.0.2.254\n"
      "ip route 10.0.0.0/8 gateway 192.0.2.253\n");
  // Routes come in destination order: the default first, then 10/8 (line 4), then line 3.
  ASSERT_EQ(s.errors.size(), 2u);
  EXPECT_EQ(s.errors[0].rfind("2: ", 0), 0u) << s.errors[0];
  EXPECT_NE(s.errors[0].find("neither the LAN nor the WAN"), std::string::npos) << s.errors[0];
  EXPECT_EQ(s.errors[1].rfind("3: ", 0), 0u) << s.errors[1];
  EXPECT_NE(s.errors[1].find("192.0.2.253 (line 4) is already"), std::string::npos) << s.errors[1];
}

}  // namespace
}  // namespace l2tpgw::cp::config
