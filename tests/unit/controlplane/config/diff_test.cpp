// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/config/diff: what a reload changes, per tunnel, per pp and globally.
#include "controlplane/config/diff.hpp"

#include <gtest/gtest.h>

#include "tests/unit/controlplane/config/config_test_util.hpp"

namespace l2tpgw::cp::config {
namespace {

using test::must_load;
using F = std::vector<std::string>;

const std::string kBase = R"(ip lan1 address 192.168.100.1/24
pp select anonymous
 pp bind tunnel1-tunnel3
 pp auth request mschap-v2
 pp auth username alice pw-a
 pp auth username bob pw-b
 ip pp remote address pool 192.168.100.10-192.168.100.20
 pp enable anonymous
tunnel select 1
 tunnel template 2-3
 tunnel encapsulation l2tp
 ipsec tunnel 101
  ipsec sa policy 101 1 esp aes-cbc sha-hmac
  ipsec ike pre-shared-key 1 text key-one
  ipsec ike remote address 1 any
 l2tp keepalive use on 10 3
 tunnel enable 1
ipsec transport 1 101 udp 1701
ipsec transport template 1 2-3
l2tp service on
)";

std::string with(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(Diff, SameConfigurationNoChange) {
  const Config a = must_load(kBase);
  EXPECT_TRUE(diff_configs(a, a).empty());
  EXPECT_EQ(describe(diff_configs(a, a)), "");
}

TEST(Diff, MovingLinesAroundIsNoChange) {
  const Config a = must_load(kBase);
  const Config b = must_load("l2tp service on\n" + with(kBase, "l2tp service on\n", "") + "# a comment\n");
  EXPECT_TRUE(diff_configs(a, b).empty());
  // Nor is writing a default explicitly.
  const Config c = must_load(kBase + "pp select anonymous\n ip pp mtu 1500\n");
  EXPECT_TRUE(diff_configs(a, c).empty());
}

TEST(Diff, AKeyChangeTouchesExactlyTheTunnelsOfItsGateway) {
  const Config a = must_load(kBase);
  const Config b = must_load(kBase + "ipsec ike pre-shared-key 2 text key-two\n");
  const ConfigDiff d = diff_configs(a, b);
  EXPECT_TRUE(d.global.empty());
  EXPECT_TRUE(d.pps.empty());
  EXPECT_EQ(d.tunnels, (std::vector<TunnelChange>{{2, ChangeKind::Modified, {"ipsec ike pre-shared-key"}}}));
  EXPECT_EQ(describe(d), "tunnel 2: modified: ipsec ike pre-shared-key\n");
  EXPECT_EQ(describe(d).find("key-two"), std::string::npos);
  // The template source's key reaches every copy that did not set its own.
  const Config c = must_load(with(kBase, "key-one", "key-new"));
  const ConfigDiff all = diff_configs(a, c);
  ASSERT_EQ(all.tunnels.size(), 3u);
  for (const TunnelChange& t : all.tunnels) EXPECT_EQ(t.fields, F{"ipsec ike pre-shared-key"});
}

TEST(Diff, TunnelsAddedAndRemoved) {
  const Config a = must_load(kBase);
  const Config b = must_load(with(with(kBase, "tunnel template 2-3", "tunnel template 2-4"), "template 1 2-3", "template 1 2-4"));
  ConfigDiff d = diff_configs(a, b);
  EXPECT_EQ(d.tunnels, (std::vector<TunnelChange>{{4, ChangeKind::Added, {}}}));
  EXPECT_EQ(describe(d), "tunnel 4: added\n");
  d = diff_configs(b, a);
  EXPECT_EQ(d.tunnels, (std::vector<TunnelChange>{{4, ChangeKind::Removed, {}}}));
}

TEST(Diff, TunnelFields) {
  const Config a = must_load(kBase);
  const Config b = must_load(with(with(with(kBase, "l2tp keepalive use on 10 3", "l2tp keepalive use on 30 3"),
                                       "esp aes-cbc sha-hmac", "esp aes256-cbc sha256-hmac"),
                                  "udp 1701\nipsec transport template", "udp 1702\nipsec transport template"));
  const ConfigDiff d = diff_configs(a, b);
  ASSERT_EQ(d.tunnels.size(), 3u);
  EXPECT_EQ(d.tunnels[0].fields, (F{"ipsec sa policy", "ipsec transport", "l2tp keepalive use"}));
}

TEST(Diff, PpUsersAndSettings) {
  const Config a = must_load(kBase);
  const Config b = must_load(with(with(kBase, " pp auth username alice pw-a\n", " pp auth username carol pw-c\n"),
                                  "bob pw-b", "bob pw-b2 192.168.100.99"));
  ConfigDiff d = diff_configs(a, b);
  ASSERT_EQ(d.pps.size(), 1u);
  EXPECT_EQ(d.pps[0].id, kPpAnonymous);
  EXPECT_EQ(d.pps[0].fields, F{"pp auth username"});
  EXPECT_EQ(d.pps[0].users_added, F{"carol"});
  EXPECT_EQ(d.pps[0].users_removed, F{"alice"});
  EXPECT_EQ(d.pps[0].users_modified, F{"bob"});
  EXPECT_EQ(describe(d),
            "pp anonymous: modified: pp auth username; users added: carol; users removed: alice; users modified: bob\n");
  EXPECT_EQ(describe(d).find("pw-"), std::string::npos);
  const Config c = must_load(with(kBase, "192.168.100.10-192.168.100.20", "192.168.100.10-192.168.100.30") +
                             "pp select 2\n");
  d = diff_configs(a, c);
  ASSERT_EQ(d.pps.size(), 2u);
  EXPECT_EQ(d.pps[0].fields, F{"ip pp remote address"});
  EXPECT_EQ(d.pps[1].id, 2);
  EXPECT_EQ(d.pps[1].kind, ChangeKind::Added);
}

TEST(Diff, GlobalChanges) {
  const Config a = must_load(kBase);
  const Config b = must_load(with(kBase, "ip lan1 address 192.168.100.1/24", "ip lan1 address 192.168.100.2/24") +
                             "l2tp service on l2tpv2\nip route 10.0.0.0/8 gateway 192.168.100.254\ndns server 192.0.2.1\n"
                             "ipsec sa policy 500 50 esp aes-gcm\nipsec ike hash 50 md5\nbridge member bridge1 lan2\n");
  const ConfigDiff d = diff_configs(a, b);
  EXPECT_TRUE(d.tunnels.empty());
  EXPECT_TRUE(d.pps.empty());
  EXPECT_EQ(d.global, (F{"l2tp service", "dns server", "ip lan1 address", "bridge member bridge1", "ip route 10.0.0.0/8",
                         "ipsec sa policy 500", "ipsec ike gateway 50"}));
}

}  // namespace
}  // namespace l2tpgw::cp::config
