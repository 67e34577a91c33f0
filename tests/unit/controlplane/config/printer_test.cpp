// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/config/printer: the show config layout, masking, quoting, and
// print -> load round trips over every fixture that loads.
#include "controlplane/config/printer.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "controlplane/config/lexer.hpp"
#include "tests/unit/controlplane/config/config_test_util.hpp"

namespace l2tpgw::cp::config {
namespace {

TEST(Printer, ShowConfigLayout) {
  // Written out of order and with templates; printed in the router's order, expanded.
  const Config c = test::must_load(R"(l2tp service on
ipsec transport 1 101 udp 1701 *
ipsec transport template 1 2
tunnel select 1
 tunnel template 2
 tunnel encapsulation l2tp
 tunnel enable 1
 l2tp keepalive use on 10
 ipsec tunnel 101
  ipsec ike remote address 1 any
  ipsec ike pre-shared-key 1 text yamaha1
  ipsec sa policy 101 1 esp aes-cbc sha-hmac
pp select anonymous
 pp bind tunnel1 tunnel2
 pp auth username "user one" pw1 192.168.100.99
 pp auth request mschap-v2
 ip pp remote address pool 192.168.100.10-192.168.100.20
 pp enable anonymous
ip lan1 proxyarp on
ip lan1 address 192.168.100.1/24
ip route default gateway 192.168.100.254
dns server 192.0.2.53
)");
  EXPECT_EQ(print_config(c), R"(ip route default gateway 192.168.100.254
ip lan1 address 192.168.100.1/24
ip lan1 proxyarp on
pp select anonymous
 pp bind tunnel1-tunnel2
 pp auth request mschap-v2
 pp auth username "user one" ******** 192.168.100.99
 ip pp remote address pool 192.168.100.10-192.168.100.20
 pp enable anonymous
tunnel select 1
 tunnel encapsulation l2tp
 ipsec tunnel 101
  ipsec sa policy 101 1 esp aes-cbc sha-hmac
  ipsec ike pre-shared-key 1 text ********
  ipsec ike remote address 1 any
 l2tp keepalive use on 10 3
 tunnel enable 1
tunnel select 2
 tunnel encapsulation l2tp
 ipsec tunnel 2
  ipsec sa policy 2 2 esp aes-cbc sha-hmac
  ipsec ike pre-shared-key 2 text ********
  ipsec ike remote address 2 any
 l2tp keepalive use on 10 3
 tunnel enable 2
ipsec transport 1 101 udp 1701
ipsec transport 2 2 udp 1701
l2tp service on
dns server 192.0.2.53
)");
}

TEST(Printer, PoliciesAndGatewaysNoTunnelUsesArePrintedOnTheirOwn) {
  const Config c = test::must_load("tunnel select 1\nipsec sa policy 5 9 esp aes-gcm\nipsec ike hash 9 sha256\n");
  EXPECT_EQ(print_config(c), "tunnel select 1\ntunnel select none\nipsec sa policy 5 9 esp aes-gcm\nipsec ike hash 9 sha256\n");
}

TEST(Printer, QuoteWord) {
  EXPECT_EQ(quote_word("plain"), "plain");
  EXPECT_EQ(quote_word(""), "\"\"");
  EXPECT_EQ(quote_word("a b"), "\"a b\"");
  EXPECT_EQ(quote_word("#x"), "\"#x\"");
  EXPECT_EQ(quote_word("a#x"), "a#x");
  EXPECT_EQ(quote_word("(x)"), "\"(x)\"");
  EXPECT_EQ(quote_word("a\"b\\c'd"), "\"a\\\"b\\\\c'd\"");
  for (const std::string s : {"", "a b", "#x", "(x)", "a\"b\\c'd", "\t", "'", "\\"}) {
    const LexedLine l = lex_line("w " + quote_word(s), 1);
    ASSERT_EQ(l.tokens.size(), 2u) << s;
    EXPECT_EQ(l.tokens[1].text, s);
    EXPECT_FALSE(is_placeholder(l.tokens[1]));
  }
}

TEST(Printer, UnmaskedSecretsPrintAsWritten) {
  const Config c = test::must_load(
      "ipsec ike pre-shared-key 1 hex 0x00FFa1\nipsec ike pre-shared-key 2 text \"a b\"\n"
      "tunnel select 1\n l2tp tunnel auth on 'x#y'\n");
  const std::string s = print_config(c, PrintOptions{false});
  EXPECT_NE(s.find("ipsec ike pre-shared-key 1 hex 0x00ffa1\n"), std::string::npos) << s;
  EXPECT_NE(s.find("ipsec ike pre-shared-key 2 text \"a b\"\n"), std::string::npos) << s;
  EXPECT_NE(s.find("l2tp tunnel auth on x#y\n"), std::string::npos) << s;
  const std::string masked = print_config(c);
  EXPECT_NE(masked.find("ipsec ike pre-shared-key 1 hex ********\n"), std::string::npos);
  EXPECT_NE(masked.find("l2tp tunnel auth on ********\n"), std::string::npos);
}

// Every fixture that loads: printing then loading gives the same Config, printing is a fixed
// point, and the masked output holds none of the file's secrets and does not load as secrets.
TEST(Printer, RoundTripsEveryLoadableFixture) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(test::fixture_dir())) {
    if (e.path().extension() != ".txt") continue;
    const LoadResult r = load_config_file(e.path().string());
    if (!r.ok()) continue;
    ++n;
    SCOPED_TRACE(e.path().filename().string());
    const std::string text = print_config(*r.config, PrintOptions{false});
    const LoadResult again = load_config(text);
    ASSERT_TRUE(again.ok()) << text;
    EXPECT_EQ(*again.config, *r.config);
    EXPECT_EQ(print_config(*again.config, PrintOptions{false}), text);
    // Warnings about what l2tpgw lacks do not survive a print: only what it applies is printed.
    for (const Diagnostic& d : again.diagnostics) EXPECT_EQ(d.message.find("not supported by l2tpgw: NAT"), std::string::npos);

    const std::string masked = print_config(*r.config);
    for (const char* secret : {"yamaha1", "l2tp_password", "pptp_password", "himitsu", "test1234", "isp-password"})
      EXPECT_EQ(masked.find(secret), std::string::npos) << secret;
    const bool has_secret = masked.find(std::string(kSecretMask)) != std::string::npos;
    EXPECT_EQ(load_config(masked).ok(), !has_secret);
  }
  EXPECT_GE(n, 30);
}

}  // namespace
}  // namespace l2tpgw::cp::config
