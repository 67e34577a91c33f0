// SPDX-License-Identifier: Apache-2.0
// Every seed fixture (tests/vectors/config) loads, or fails exactly at the lines it must.
//
// The oracle does not come from the parser: a verbatim block with placeholders must fail at
// exactly the lines that hold a "(...)" word (outside comments), the bare ipsec transport
// fragments at exactly their `ipsec transport` lines, and every other file must load. No
// message and no printed configuration may hold any of the file's passwords or keys.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "controlplane/config/printer.hpp"
#include "tests/unit/controlplane/config/config_test_util.hpp"

namespace l2tpgw::cp::config {
namespace {

struct Fixture {
  std::string name;
  std::string text;
};

std::vector<Fixture> all_fixtures() {
  std::vector<Fixture> out;
  for (const auto& e : std::filesystem::directory_iterator(test::fixture_dir()))
    if (e.path().extension() == ".txt") out.push_back({e.path().filename().string(), test::read_file(e.path().string())});
  std::sort(out.begin(), out.end(), [](const Fixture& a, const Fixture& b) { return a.name < b.name; });
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream s(text);
  for (std::string l; std::getline(s, l);) out.push_back(l);
  return out;
}

bool is_comment(const std::string& l) {
  const size_t i = l.find_first_not_of(" \t");
  return i == std::string::npos || l[i] == '#';
}

// The lines (1-based) that must fail.
std::vector<uint32_t> expected_error_lines(const Fixture& f) {
  const auto lines = split_lines(f.text);
  std::vector<uint32_t> out;
  const bool fragment = f.name.rfind("000_transport_template_", 0) == 0 && f.name.find("_complete") == std::string::npos;
  static const std::regex kPlaceholder(R"((^|\s)\([^\s]*\)(\s|$))");
  for (uint32_t i = 0; i < lines.size(); ++i) {
    if (is_comment(lines[i])) continue;
    if (fragment ? lines[i].rfind("ipsec transport", 0) == 0 : std::regex_search(lines[i], kPlaceholder))
      out.push_back(i + 1);
  }
  return out;
}

// The secrets a fixture holds: pre-shared keys, pp passwords, tunnel auth passwords.
std::vector<std::string> secrets_of(const std::string& text) {
  static const std::regex kSecret(
      R"(pre-shared-key \d+ text (\S+)|pp auth username \S+ (\S+)|pp auth myname \S+ (\S+)|l2tp tunnel auth on (\S+))");
  std::vector<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), kSecret), end; it != end; ++it)
    for (size_t g = 1; g < it->size(); ++g)
      if ((*it)[g].matched && (*it)[g].str().front() != '(') out.push_back((*it)[g].str());
  return out;
}

TEST(Fixtures, ThereIsOneFilePerSeedBlockPlusVariants) {
  const auto fs = all_fixtures();
  EXPECT_EQ(fs.size(), 49u);
  size_t filled = 0, complete = 0;
  for (const Fixture& f : fs) {
    filled += f.name.find("_filled") != std::string::npos;
    complete += f.name.find("_complete") != std::string::npos;
  }
  EXPECT_EQ(filled, 6u);
  EXPECT_EQ(complete, 3u);
}

TEST(Fixtures, EachLoadsOrFailsAtTheRightLines) {
  size_t loaded = 0, failed = 0;
  for (const Fixture& f : all_fixtures()) {
    SCOPED_TRACE(f.name);
    const LoadResult r = load_config_file(test::fixture_path(f.name));
    const std::vector<uint32_t> want = expected_error_lines(f);
    EXPECT_EQ(test::lines_of(test::errors(r)), want);
    EXPECT_EQ(r.ok(), want.empty());
    (r.ok() ? loaded : failed)++;
    const auto lines = split_lines(f.text);
    for (const Diagnostic& d : r.diagnostics) {
      // Every diagnostic names a real command line; placeholders are named as such.
      if (d.line == 0) continue;
      ASSERT_LE(d.line, lines.size());
      EXPECT_FALSE(is_comment(lines[d.line - 1])) << d.message;
    }
    for (const auto& [line, msg] : test::errors(r)) {
      if (f.name.rfind("000_transport_template_", 0) == 0)
        EXPECT_NE(msg.find("no tunnel uses policy"), std::string::npos) << msg;
      else
        EXPECT_NE(msg.find("placeholder"), std::string::npos) << msg;
    }
  }
  EXPECT_EQ(failed, 9u);  // six blocks with placeholders, three transport fragments
  EXPECT_EQ(loaded, 40u);
}

TEST(Fixtures, FilledVariantsDifferOnlyInTheirPlaceholderLines) {
  for (const Fixture& f : all_fixtures()) {
    const size_t at = f.name.find("_filled");
    if (at == std::string::npos) continue;
    SCOPED_TRACE(f.name);
    const std::string base = test::read_file(test::fixture_path(f.name.substr(0, at) + ".txt"));
    const auto a = split_lines(base);
    auto b = split_lines(f.text);
    // The variant adds a two-line header comment.
    ASSERT_EQ(b.size(), a.size() + 2);
    b.erase(b.begin(), b.begin() + 2);
    const std::vector<uint32_t> placeholders = expected_error_lines({f.name, base});
    const std::set<uint32_t> changed(placeholders.begin(), placeholders.end());
    for (uint32_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i] == b[i], !changed.contains(i + 1)) << a[i];
  }
}

TEST(Fixtures, NoSecretInAnyMessageOrPrintedConfiguration) {
  size_t checked = 0;
  for (const Fixture& f : all_fixtures()) {
    SCOPED_TRACE(f.name);
    const LoadResult r = load_config_file(test::fixture_path(f.name));
    const std::string printed = r.ok() ? print_config(*r.config) : "";
    for (const std::string& s : secrets_of(f.text)) {
      ++checked;
      for (const Diagnostic& d : r.diagnostics) EXPECT_EQ(d.message.find(s), std::string::npos) << s;
      EXPECT_EQ(printed.find(s), std::string::npos) << s;
    }
  }
  EXPECT_GE(checked, 50u);
}

TEST(Fixtures, SeedRemoteAccessBlocksModelWhatThePageDescribes) {
  // Three clients on tunnels 1-3, an anonymous pp with a pool, L2TP over IPsec transport mode.
  const LoadResult r = test::load_fixture("000_multiple_clients_filled.txt");
  ASSERT_TRUE(r.ok());
  const Config& c = *r.config;
  EXPECT_FALSE(c.pps.contains(1));  // the PPPoE uplink
  const PpConfig& pp = c.pps.at(kPpAnonymous);
  EXPECT_EQ(pp.bind.value, (std::vector<uint16_t>{1, 2, 3}));
  EXPECT_EQ(pp.users.size(), 3u);
  EXPECT_EQ(pp.remote_address.value.pool.size(), 1u);
  for (uint16_t t = 1; t <= 3; ++t) {
    EXPECT_EQ(c.tunnels.at(t).encapsulation.value, TunnelEncapsulation::L2tp);
    EXPECT_EQ(c.tunnels.at(t).ipsec_policy.value, 100u + t);
    EXPECT_EQ(c.transports.at(t).policy, 100u + t);
    EXPECT_EQ(c.gateways.at(t).keepalive.value.use, IkeKeepalive::Use::Off);
  }
  EXPECT_TRUE(c.l2tp_service.value.on);
  EXPECT_TRUE(c.ipsec_auto_refresh.value);
  EXPECT_EQ(c.dns_servers.value.size(), 0u);  // this block has no dns server line

  // The template block expands to the same three tunnels.
  const LoadResult t = test::load_fixture("000_tunnel_template_clients_filled.txt");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.config->tunnels.size(), 3u);
  EXPECT_EQ(t.config->transports.at(3).policy, 3u);
  EXPECT_TRUE(t.config->gateways.at(3).nat_traversal.value.on);
}

TEST(Fixtures, Seed001RoutersEndAsL2tpv3OverIpsecBridges) {
  for (const char* name : {"001_yamaha01_all_steps.txt", "001_yamaha02_all_steps.txt"}) {
    SCOPED_TRACE(name);
    const LoadResult r = test::load_fixture(name);
    ASSERT_TRUE(r.ok());
    const Config& c = *r.config;
    const TunnelConfig& t = c.tunnels.at(1);
    EXPECT_EQ(t.encapsulation.value, TunnelEncapsulation::L2tpv3);  // l2tpv3-raw, then l2tpv3
    EXPECT_EQ(t.ipsec_policy.value, 100u);
    EXPECT_EQ(t.l2tp_remote_end_id.value, "TESTEND");
    EXPECT_TRUE(t.l2tp_tunnel_auth.value.on);
    EXPECT_EQ(c.bridges.at("bridge1").members, (std::vector<std::string>{"lan1", "tunnel1"}));
    EXPECT_EQ(c.l2tp_service.value, (L2tpService{true, false, true}));
    EXPECT_EQ(c.transports.at(1).policy, 100u);
    // Only the NAT, DHCP-server and ip lan2 nat lines are not applied.
    for (const auto& [line, msg] : test::warnings(r)) EXPECT_EQ(msg.rfind("not supported by l2tpgw: ", 0), 0u);
  }
}

}  // namespace
}  // namespace l2tpgw::cp::config
