// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/config/validate: each cross-section error and each warning, by line.
#include "controlplane/config/validate.hpp"

#include <gtest/gtest.h>

#include "tests/unit/controlplane/config/config_test_util.hpp"

namespace l2tpgw::cp::config {
namespace {

using test::errors;
using test::Lines;
using test::warnings;

// A complete remote-access configuration with no warning, to break one piece at a time.
constexpr const char* kGood = R"(pp select anonymous
 pp bind tunnel1-tunnel2
 pp auth request mschap-v2
 pp auth username u p
 ip pp remote address pool 192.168.100.10-192.168.100.20
 pp enable anonymous
tunnel select 1
 tunnel template 2
 tunnel encapsulation l2tp
 ipsec tunnel 101
  ipsec sa policy 101 1 esp aes-cbc sha-hmac
  ipsec ike pre-shared-key 1 text k
  ipsec ike remote address 1 any
 tunnel enable 1
ipsec transport 1 101 udp 1701
ipsec transport template 1 2
l2tp service on
)";

TEST(Validate, TheReferenceConfigurationHasNoDiagnostic) {
  const LoadResult r = load_config(kGood);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics[0].message;
}

TEST(Validate, IpsecTunnelWithoutItsPolicy) {
  const LoadResult r = load_config("tunnel select 1\n tunnel encapsulation l2tp\n ipsec tunnel 7\n");
  EXPECT_EQ(errors(r), (Lines{{3, "tunnel 1: ipsec tunnel 7, but there is no ipsec sa policy 7"}}));
}

TEST(Validate, OnePolicyForTwoTunnels) {
  const LoadResult r = load_config(
      "ipsec sa policy 7 1 esp aes-cbc sha-hmac\ntunnel select 1\n ipsec tunnel 7\ntunnel select 2\n ipsec tunnel 7\n");
  EXPECT_EQ(errors(r), (Lines{{5, "tunnel 2: ipsec sa policy 7 is already used by tunnel 1 (line 3)"}}));
}

// The brief's "ipsec transport referring to a missing tunnel".
TEST(Validate, TransportWhoseTunnelIsMissing) {
  const LoadResult r = load_config(std::string(kGood) + "ipsec transport 9 109 udp 1701\n");
  EXPECT_EQ(errors(r),
            (Lines{{18, "ipsec transport 9 109: no tunnel uses policy 109 (ipsec tunnel 109 in a tunnel select section)"}}));
}

TEST(Validate, TransportTemplateCopiesAreReportedOnceOnTheirLine) {
  const LoadResult r = load_config("ipsec transport 1 1 udp 1701 *\nipsec transport template 1 2-4 7\n");
  EXPECT_EQ(errors(r), (Lines{
                           {1, "ipsec transport 1 1: no tunnel uses policy 1 (ipsec tunnel 1 in a tunnel select section)"},
                           {2, "ipsec transport template: no tunnel uses policy 2-4, 7 (a copy's policy id is its "
                               "transport id; each needs a tunnel with ipsec tunnel N)"},
                       }));
}

TEST(Validate, TunnelBoundTwice) {
  const LoadResult r = load_config(std::string(kGood) + "pp select 3\n pp bind tunnel2\n");
  EXPECT_EQ(errors(r), (Lines{{19, "pp 3: tunnel 2 is already bound to pp anonymous (line 2)"}}));
}

TEST(Validate, EthernetTunnelBoundToAPp) {
  const LoadResult r = load_config("pp select 1\n pp bind tunnel1\ntunnel select 1\n tunnel encapsulation l2tpv3-raw\n");
  EXPECT_EQ(errors(r), (Lines{{2, "pp 1: tunnel 1 is tunnel encapsulation l2tpv3-raw, which carries Ethernet frames, "
                                  "not PPP; it cannot be bound to a pp"}}));
}

TEST(Validate, BridgeMembers) {
  EXPECT_EQ(errors(load_config("bridge member bridge1 lan1 tunnel1\ntunnel select 1\n tunnel encapsulation l2tp\n")),
            (Lines{{3, "tunnel 1: tunnel encapsulation l2tp carries PPP, but the tunnel is a member of bridge1; bridges "
                       "take l2tpv3 or l2tpv3-raw tunnels"}}));
  EXPECT_EQ(errors(load_config("pp select 1\n pp bind tunnel1\nbridge member bridge1 lan1 tunnel1\n")),
            (Lines{{3, "bridge member bridge1: tunnel1 is also bound to pp 1 (line 2)"}}));
  EXPECT_EQ(errors(load_config("bridge member bridge1 lan1\nbridge member bridge2 lan1\n")),
            (Lines{{2, "bridge member bridge2: lan1 is already a member of bridge1"}}));
}

TEST(Validate, OverlappingAddressPools) {
  const LoadResult r = load_config(
      "pp select anonymous\n ip pp remote address pool 10.0.0.10-10.0.0.20\n"
      "pp select 2\n ip pp remote address 10.0.0.15\n");
  EXPECT_EQ(errors(r), (Lines{{4, "pp 2: ip pp remote address 10.0.0.15-10.0.0.15 overlaps pp anonymous's (line 2)"}}));
}

TEST(Validate, WarningsForWhatCannotWork) {
  struct Case {
    std::string text;
    Lines want;
  };
  const Case cases[] = {
      {"tunnel select 1\n ipsec tunnel 1\n  ipsec sa policy 1 1 esp aes-cbc sha-hmac\n",
       {{1, "not supported by l2tpgw: IPsec tunnel mode (tunnel 1 has no tunnel encapsulation, and Yamaha's default "
            "is ipsec); tunnel 1 is ignored"}}},
      {"pp select 1\n pp bind tunnel4\n", {{2, "pp 1: binds tunnel 4, which no tunnel select section configures"}}},
      {"tunnel select 1\n tunnel encapsulation l2tpv3\n",
       {{2, "tunnel 1: tunnel encapsulation l2tpv3 runs over IPsec, but the tunnel has no ipsec tunnel; it will not "
            "come up (l2tpv3-raw is L2TPv3 without IPsec)"}}},
      {"tunnel select 1\n tunnel encapsulation l2tpv3-raw\n ipsec tunnel 1\n  ipsec sa policy 1 1 esp aes-gcm\n",
       {{3, "tunnel 1: ipsec tunnel is ignored with tunnel encapsulation l2tpv3-raw"}}},
      {"l2tp service on l2tpv3\ntunnel select 1\n tunnel encapsulation l2tp\n ipsec tunnel 1\n"
       "  ipsec sa policy 1 1 esp aes-cbc sha-hmac\n  ipsec ike pre-shared-key 1 text k\n tunnel enable 1\n",
       {{1, "l2tp service does not serve L2TPv2, so the enabled l2tp tunnels answer no call"},
        {2, "tunnel 1: no pp binds it (pp bind tunnel1); an L2TP call on it finds no pp interface"}}},
      {"tunnel select 1\n tunnel encapsulation l2tpv3-raw\n tunnel enable 1\n",
       {{0, "l2tp service does not serve L2TPv3, so the enabled l2tpv3 tunnels do not come up"}}},
  };
  for (const Case& c : cases) {
    const LoadResult r = load_config(c.text);
    EXPECT_TRUE(r.ok()) << c.text;
    EXPECT_EQ(warnings(r), c.want) << c.text;
  }
}

TEST(Validate, WarningsAboutIkeAndPp) {
  std::string text = kGood;
  text.replace(text.find("  ipsec ike pre-shared-key 1 text k\n"), 36, "");
  text.replace(text.find(" pp auth username u p\n"), 22, "");
  text += "ipsec ike remote address 2 203.0.113.5\n";
  const LoadResult r = load_config(text);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(warnings(r), (Lines{
                             {3, "pp anonymous: pp auth request but no pp auth username; nobody can log in"},
                             // tunnel 2's `ipsec tunnel 2` is the template's copy, made at line 7
                             {7, "tunnel 2: security gateway 2 has no ipsec ike pre-shared-key; IKE cannot authenticate"},
                             {9, "tunnel 1: security gateway 1 has no ipsec ike pre-shared-key; IKE cannot authenticate"},
                             {16, "tunnel 2: ipsec ike remote address names a fixed peer but the tunnel has no tunnel "
                                  "endpoint address; an L2TP call from that peer finds no tunnel"},
                         }));
}

TEST(Validate, NoAuthenticationRequested) {
  std::string text = kGood;
  text.replace(text.find(" pp auth request mschap-v2\n"), 27, "");
  const LoadResult r = load_config(text);
  EXPECT_EQ(warnings(r), (Lines{{1, "pp anonymous: no pp auth request; a client that passes IKE gets PPP without a login"}}));
}

TEST(Validate, DirectCallOnAConfig) {
  Config c;
  c.tunnels[1].id = 1;
  c.tunnels[1].ipsec_policy.set(5, 9);
  std::vector<Diagnostic> d;
  validate(c, d);
  ASSERT_FALSE(d.empty());
  EXPECT_EQ(d[0], (Diagnostic{9, Severity::Error, "tunnel 1: ipsec tunnel 5, but there is no ipsec sa policy 5"}));
}

}  // namespace
}  // namespace l2tpgw::cp::config
