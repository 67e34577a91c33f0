// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/cli/commands: dispatch, argument errors, the not-attached state, the
// configuration hooks, and `disconnect` through the Installer.
#include "controlplane/cli/commands.hpp"

#include <gtest/gtest.h>

#include "controlplane/install/fake_installer.hpp"
#include "tests/unit/controlplane/tables_fixture.hpp"

namespace l2tpgw::cp {
namespace {

using test::TablesFixture;

class CommandsTest : public testing::Test {
 protected:
  void SetUp() override {
    EXPECT_TRUE(f_.add_sa(TablesFixture::sa(tables::SaDirection::Inbound, 1)));
    EXPECT_TRUE(f_.add_sa(TablesFixture::sa(tables::SaDirection::Outbound, 1, 0x10000001)));
    tables::TunnelParams tp;
    tp.peer_index = 1;
    tp.sa_out = 2;
    EXPECT_TRUE(f_.add_tunnel(tp));
    tables::SessionParams sp;
    sp.tunnel_id = 1;
    sp.client_addr = 0xc633640a;
    EXPECT_TRUE(f_.add_session(sp));
    env_.installer = &f_;
    env_.now = [] { return 1700000000L; };
    env_.on_teardown = [this](const TeardownResult& r) { teardowns_.push_back(r); };
  }
  Reply run(std::string_view line) { return run_command(env_, line); }

  FakeInstaller f_;
  CliEnv env_;
  std::vector<TeardownResult> teardowns_;
};

TEST_F(CommandsTest, UnknownCommandsAndBadArguments) {
  Reply r = run("frobnicate");
  EXPECT_EQ(r.status, ReplyStatus::Error);
  EXPECT_EQ(r.text, "unknown command 'frobnicate' (try 'help')\n");
  EXPECT_EQ(run("show status frob").text, "unknown command 'show status frob' (try 'help')\n");
  EXPECT_EQ(run("show").status, ReplyStatus::Error);
  EXPECT_EQ(run("").status, ReplyStatus::Error);
  EXPECT_EQ(run("show status pp").status, ReplyStatus::Error);
  EXPECT_EQ(run("show status pp 0").status, ReplyStatus::Error);
  EXPECT_EQ(run("show status pp 65536").status, ReplyStatus::Error);
  EXPECT_EQ(run("show status pp 1x").status, ReplyStatus::Error);
  EXPECT_EQ(run("show status l2tp tunnel").status, ReplyStatus::Error);
  EXPECT_EQ(run("show ipsec sa extra").status, ReplyStatus::Error);
  EXPECT_EQ(run("disconnect").status, ReplyStatus::Error);
  EXPECT_EQ(run("disconnect session abc").status, ReplyStatus::Error);
  EXPECT_TRUE(f_.calls().size() == 4u) << "nothing was changed by a bad command";
}

TEST_F(CommandsTest, ShowCommands) {
  EXPECT_EQ(run("help").status, ReplyStatus::Ok);
  Reply r = run("show status tunnel");
  EXPECT_EQ(r.status, ReplyStatus::Ok);
  EXPECT_NE(r.text.find("TUNNEL[1]:"), std::string::npos);
  EXPECT_EQ(run("show status tunnel 1").status, ReplyStatus::Ok);
  EXPECT_EQ(run("show status tunnel 2").status, ReplyStatus::Error);
  EXPECT_EQ(run("  show   status l2tp  tunnel 1 ").status, ReplyStatus::Ok);
  EXPECT_EQ(run("show status pp anonymous").status, ReplyStatus::Ok);
  EXPECT_EQ(run("show status pp 1").status, ReplyStatus::Ok);
  // A pp without a call is not an error: it says so.
  r = run("show status pp 2");
  EXPECT_EQ(r.status, ReplyStatus::Ok);
  EXPECT_EQ(r.text, "PP[02]: L2TPセッションは接続されていません\n");
  EXPECT_NE(run("show ipsec sa").text.find("tra[0001]esp"), std::string::npos);
  // What the daemon's annotate hook adds (IKE's view) reaches l2tpgwctl's `show ipsec sa`.
  env_.annotate = [](ShowSnapshot& s) {
    s.ipsec = {{1, 2, 5, 1, 3, 1, 0xcb00710a, 3599}};
    s.isakmp = {{5, 1, 0xcb00710a, 28799}};
  };
  r = run("show ipsec sa");
  EXPECT_EQ(r.text.substr(0, r.text.find('\n')), "Total: isakmp:1 send:1 recv:1");
  EXPECT_NE(r.text.find("\n2     1   3      tra[0003]esp send 3599    203.0.113.10\n"
                        "3     1   -      isakmp       -    28799   203.0.113.10\n"),
            std::string::npos) << r.text;
  env_.annotate = nullptr;
  EXPECT_EQ(run("show counters").status, ReplyStatus::NotAvailable) << "no counter source set";
  env_.counters = [] { return CounterSnapshot{}; };
  EXPECT_EQ(run("show counters").status, ReplyStatus::Ok);
}

TEST_F(CommandsTest, NotAttachedYet) {
  env_.installer = nullptr;
  env_.not_attached = "waiting for the dataplane";
  const Reply r = run("show status tunnel");
  EXPECT_EQ(r.status, ReplyStatus::NotAvailable);
  EXPECT_EQ(r.text, "the controlplane is not attached to the dataplane: waiting for the dataplane\n");
  EXPECT_EQ(run("disconnect session 1").status, ReplyStatus::NotAvailable);
  EXPECT_EQ(run("help").status, ReplyStatus::Ok) << "help needs no dataplane";
  EXPECT_EQ(run("show status pp").status, ReplyStatus::Error) << "a usage error is one in any state";
  EXPECT_EQ(run("disconnect session x").status, ReplyStatus::Error);
  EXPECT_EQ(run("frobnicate").status, ReplyStatus::Error) << "unknown is unknown either way";
}

TEST_F(CommandsTest, ConfigCommandsUntilTheParserLands) {
  Reply r = run("show config");
  EXPECT_EQ(r.status, ReplyStatus::NotAvailable);
  EXPECT_EQ(r.text, "show config: not yet available (this build has no configuration parser)\n");
  env_.config.path = "/etc/l2tpgw/l2tpgw.conf";
  EXPECT_NE(run("show config").text.find("/etc/l2tpgw/l2tpgw.conf"), std::string::npos);
  EXPECT_EQ(run("load config").status, ReplyStatus::NotAvailable);
  EXPECT_EQ(run("load").status, ReplyStatus::Error);
  // The hooks the parser plugs in.
  std::string loaded;
  env_.config.show = [] { return Reply{ReplyStatus::Ok, "ip lan1 address 192.0.2.1/24\n"}; };
  env_.config.load = [&](const std::string& p) {
    loaded = p;
    return Reply{ReplyStatus::Ok, "loaded\n"};
  };
  EXPECT_EQ(run("show config").text, "ip lan1 address 192.0.2.1/24\n");
  EXPECT_EQ(run("load config").status, ReplyStatus::Ok);
  EXPECT_EQ(loaded, "/etc/l2tpgw/l2tpgw.conf");
  EXPECT_EQ(run("load config /tmp/other.conf").status, ReplyStatus::Ok);
  EXPECT_EQ(loaded, "/tmp/other.conf");
}

TEST_F(CommandsTest, DisconnectGoesThroughTheInstaller) {
  Reply r = run("disconnect session 1");
  ASSERT_EQ(r.status, ReplyStatus::Ok) << r.text;
  EXPECT_EQ(r.text, "session 1 (tunnel 1) disconnected\ntunnel 1 removed\n2 IPsec SA(s) removed\n");
  EXPECT_TRUE(f_.sessions().empty());
  EXPECT_TRUE(f_.sas().empty());
  ASSERT_EQ(teardowns_.size(), 1u);
  r = run("disconnect session 1");
  EXPECT_EQ(r.status, ReplyStatus::Error);
  EXPECT_EQ(r.text, "no L2TP session 1 is installed\n");
  EXPECT_EQ(run("disconnect tunnel 1").status, ReplyStatus::Error);
  EXPECT_EQ(teardowns_.size(), 1u);
}

}  // namespace
}  // namespace l2tpgw::cp
