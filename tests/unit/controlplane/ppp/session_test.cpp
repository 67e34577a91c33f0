// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ppp/session: whole PPP links, LCP -> authentication -> IPCP, between
// PppSession and scripted Windows, iOS/macOS and Linux pppd clients (ppp_client.hpp), on a
// fake clock: every authentication protocol, wrong passwords, the pool running out, fixed
// addresses, `pp auth multi connect prohibit`, IPV6CP/CCP, echo, terminations, retransmits.
#include "controlplane/ppp/session.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/wire/wire_test_util.hpp"
#include "controlplane/log/log.hpp"
#include "ppp_client.hpp"

namespace l2tpgw::cp::ppp {
namespace {

using namespace std::chrono_literals;
using test::Bytes;
using test::Frame;
using test::PppClient;

constexpr uint32_t ip(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return a << 24 | b << 16 | c << 8 | d; }
constexpr uint32_t kLan = ip(192, 168, 100, 1);
constexpr uint32_t kDns = ip(192, 0, 2, 53);

config::PpUser user(std::string name, std::string password, std::optional<uint32_t> addr = {}) {
  config::PpUser u;
  u.name = std::move(name);
  u.password = config::Secret(std::move(password));
  if (addr) u.address = config::Ipv4{*addr};
  return u;
}

// The seed's anonymous pp: `pp auth request mschap-v2`, three users, `ppp ipcp ipaddress on`,
// `ppp ipcp msext on`, `ip pp remote address pool 192.168.100.10-192.168.100.20`, and
// `dns server 192.0.2.53`.
PppPolicy seed_policy(std::vector<AuthProtocol> auth = {AuthProtocol::MsChapV2}) {
  PppPolicy p;
  p.lcp.auth = std::move(auth);
  p.ipcp.request_local_address = true;
  p.ipcp.local_address = kLan;
  p.ipcp.dns = {kDns, 0};
  p.pool = {{ip(192, 168, 100, 10), ip(192, 168, 100, 20)}};
  return p;
}

std::vector<config::PpUser> seed_users() {
  return {user("l2tp_user1", "l2tp_password1"), user("l2tp_user2", "l2tp_password2"),
          user("l2tp_user3", "l2tp_password3")};
}

struct Link : PppSessionListener {
  Link(PpContext& ctx, ManualTimers& timers, Random& random, test::ClientProfile profile, std::string name,
       std::string password)
      : session(ctx, timers, random, *this, "PP[ANONYMOUS] TUNNEL[1] session 1"),
        client(std::move(profile), std::move(name), std::move(password)) {}

  // PPP_TRACE=1 prints every exchange (protocol:packet in hex, one frame a line).
  ~Link() override {
    if (std::getenv("PPP_TRACE")) std::fprintf(stderr, "%s\n", trace.c_str());
  }

  void ppp_send(uint16_t protocol, std::span<const uint8_t> packet) override {
    to_client.push_back(Frame{protocol, Bytes(packet.begin(), packet.end())});
  }
  void ppp_authenticated(std::string_view u) override { authenticated.emplace_back(u); }
  void ppp_network_up(const PppNetworkParams& p) override { ups.push_back(p); }
  void ppp_network_down() override { ++downs; }
  void ppp_closed(PppCloseReason r) override { closed.push_back(r); }

  void start() {
    session.start();
    client.start();
  }
  // Delivers frames both ways until both ends are quiet.
  void pump() {
    for (int guard = 0; guard < 1000; ++guard) {
      if (!to_client.empty()) {
        const Frame f = to_client.front();
        to_client.pop_front();
        note("LNS ", f);
        client.on_frame(f);
      } else if (!client.outbox().empty()) {
        const Frame f = client.outbox().front();
        client.outbox().pop_front();
        note("peer", f);
        session.input_frame(frame_ppp(f.protocol, f.packet));
      } else {
        return;
      }
    }
    ADD_FAILURE() << "the link did not settle";
  }
  bool up() const { return !ups.empty() && session.network_up(); }
  // The exchange so far, one frame a line, for failure messages.
  void note(const char* who, const Frame& f) {
    static const char* hexd = "0123456789abcdef";
    std::string line = std::string(who) + " " + std::to_string(f.protocol) + ":";
    for (uint8_t b : f.packet) {
      line += hexd[b >> 4];
      line += hexd[b & 15];
    }
    trace += line + "\n";
  }
  std::string trace;
  // Frames the LNS sent of `protocol` and `code`.
  int sent(uint16_t protocol, uint8_t code) const {
    int n = 0;
    for (const Frame& f : client.received) n += f.protocol == protocol && f.code() == code;
    return n;
  }

  PppSession session;
  PppClient client;
  std::deque<Frame> to_client;
  std::vector<std::string> authenticated;
  std::vector<PppNetworkParams> ups;
  int downs = 0;
  std::vector<PppCloseReason> closed;
};

struct SessionTest : ::testing::Test {
  void SetUp() override { log_capture(&log); }
  void TearDown() override { log_capture(nullptr); }

  PpContext& context(PppPolicy p, std::vector<config::PpUser> users = seed_users()) {
    ctx = std::make_unique<PpContext>(std::move(p), std::move(users));
    return *ctx;
  }
  std::unique_ptr<Link> link(test::ClientProfile profile, std::string name = "l2tp_user1",
                             std::string password = "l2tp_password1") {
    return std::make_unique<Link>(*ctx, timers, random, std::move(profile), std::move(name), std::move(password));
  }
  std::unique_ptr<Link> connect(test::ClientProfile profile, std::string name = "l2tp_user1",
                                std::string password = "l2tp_password1") {
    auto l = link(std::move(profile), std::move(name), std::move(password));
    l->start();
    l->pump();
    return l;
  }
  bool logged(std::string_view needle) const {
    for (const auto& l : log)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }
  PppCounters& counters() { return ctx->counters(); }

  ManualTimers timers;
  SequenceRandom random{99};
  std::unique_ptr<PpContext> ctx;
  std::vector<std::string> log;
};

// ---- Each client, each authentication protocol ----

TEST_F(SessionTest, WindowsMsChapV2) {
  context(seed_policy());
  auto l = connect(test::windows());
  ASSERT_TRUE(l->up()) << l->trace;
  EXPECT_TRUE(l->client.authenticator_verified);  // RFC 2759 §5: Windows checks S=
  EXPECT_EQ(l->authenticated, (std::vector<std::string>{"l2tp_user1"}));
  const PppNetworkParams& n = l->ups.at(0);
  EXPECT_EQ(n.client_address, ip(192, 168, 100, 10));
  EXPECT_EQ(n.pool_index, 0u);
  EXPECT_EQ(n.local_address, kLan);
  EXPECT_EQ(n.dns[0], kDns);
  EXPECT_EQ(n.dns[1], 0u);  // no second `dns server`: Secondary-DNS was Rejected
  EXPECT_EQ(n.peer_mru, 1400);
  EXPECT_EQ(n.mtu, 1400);
  EXPECT_TRUE(n.peer_pfc);
  EXPECT_TRUE(n.peer_acfc);
  EXPECT_EQ(n.username, "l2tp_user1");
  EXPECT_EQ(n.auth, AuthProtocol::MsChapV2);
  EXPECT_EQ(l->client.ipcp_values[3], ip(192, 168, 100, 10));
  EXPECT_EQ(l->client.ipcp_values[129], kDns);
  EXPECT_EQ(l->client.lns_address, kLan);
  // IPV6CP and CCP were Protocol-Rejected, and the client still connected.
  EXPECT_EQ(l->client.protocol_rejected, (std::vector<uint16_t>{kProtoIpv6cp, kProtoCcp}));
  EXPECT_EQ(counters().protocol_reject_ipv6cp, 1u);
  EXPECT_EQ(counters().protocol_reject_ccp, 1u);
  // Identification (RFC 1570) was not Code-Rejected.
  EXPECT_EQ(l->client.code_rejects, 0);
  EXPECT_EQ(counters().lcp_identification_received, 1u);
  EXPECT_EQ(l->session.phase(), PppPhase::Network);
  EXPECT_EQ(l->session.lcp_state(), CpState::Opened);
  EXPECT_EQ(l->session.ipcp_state(), CpState::Opened);
  EXPECT_EQ(counters().auth_success, 1u);
  EXPECT_EQ(counters().network_up, 1u);
  EXPECT_TRUE(logged("MSCHAP-V2 login succeeded: user 'l2tp_user1'"));
  EXPECT_TRUE(logged("IPCP opened: client 192.168.100.10, user l2tp_user1"));
  // `show status pp` as seed 000 prints it.
  const PppOptionNames names = l->session.option_names();
  EXPECT_EQ(format_option_line("LCP", names.lcp_local, names.lcp_remote),
            "LCP Local: MSCHAP-V2 Magic-Number MRU, Remote: Magic-Number MRU PFC ACFC");
  EXPECT_EQ(format_option_line("IPCP", names.ipcp_local, names.ipcp_remote),
            "IPCP Local: IP-Address, Remote: IP-Address Primary-DNS(192.0.2.53)");
}

TEST_F(SessionTest, AppleChapMd5) {
  context(seed_policy({AuthProtocol::ChapMd5}));
  auto l = connect(test::apple());
  ASSERT_TRUE(l->up());
  EXPECT_EQ(l->ups[0].auth, AuthProtocol::ChapMd5);
  EXPECT_EQ(l->ups[0].peer_mru, 1280);
  EXPECT_EQ(l->ups[0].mtu, 1280);
  // Van Jacobson compression was Rejected.
  EXPECT_EQ(l->client.ipcp_values.count(2), 0u);
  EXPECT_EQ(l->client.protocol_rejected, (std::vector<uint16_t>{kProtoIpv6cp}));
}

TEST_F(SessionTest, AppleMsChapV1) {
  context(seed_policy({AuthProtocol::MsChapV1}));
  auto l = connect(test::apple(), "l2tp_user2", "l2tp_password2");
  ASSERT_TRUE(l->up());
  EXPECT_EQ(l->ups[0].auth, AuthProtocol::MsChapV1);
  EXPECT_EQ(l->ups[0].username, "l2tp_user2");
}

TEST_F(SessionTest, PppdPap) {
  context(seed_policy({AuthProtocol::Pap}));
  auto l = connect(test::linux_pppd(), "l2tp_user3", "l2tp_password3");
  ASSERT_TRUE(l->up());
  EXPECT_EQ(l->ups[0].auth, AuthProtocol::Pap);
  EXPECT_EQ(l->ups[0].peer_mru, 1410);
  EXPECT_EQ(l->sent(kProtoPap, 2), 1);  // Authenticate-Ack
}

TEST_F(SessionTest, PppdMsChapV2) {
  context(seed_policy());
  auto l = connect(test::linux_pppd());
  ASSERT_TRUE(l->up());
  EXPECT_TRUE(l->client.authenticator_verified);
  EXPECT_TRUE(l->client.protocol_rejected.empty());
}

TEST_F(SessionTest, ChapPapFallsBackToPap) {
  // `pp auth request chap-pap` with a client that refuses CHAP-MD5: it Naks, we offer PAP.
  context(seed_policy({AuthProtocol::ChapMd5, AuthProtocol::Pap}));
  auto profile = test::linux_pppd();
  profile.auth_accept = {AuthProtocol::Pap};
  auto p = connect(profile);
  ASSERT_TRUE(p->up());
  EXPECT_EQ(p->ups[0].auth, AuthProtocol::Pap);
}

TEST_F(SessionTest, NoAuthenticationConfigured) {
  context(seed_policy({}));
  auto l = connect(test::linux_pppd());
  ASSERT_TRUE(l->up());
  EXPECT_TRUE(l->authenticated.empty());
  EXPECT_EQ(l->ups[0].username, "");
  EXPECT_FALSE(l->ups[0].auth);
}

TEST_F(SessionTest, WindowsNaksChapToMsChapV2WhichIsNotAllowed) {
  // `pp auth request chap` and Windows (MS-CHAP-V2 only): no common protocol.
  context(seed_policy({AuthProtocol::ChapMd5}));
  auto l = connect(test::windows());
  EXPECT_FALSE(l->up());
  EXPECT_TRUE(l->client.terminated);
  EXPECT_EQ(l->client.terminate_text, "No acceptable authentication protocol");
  ASSERT_EQ(l->closed.size(), 1u);
  EXPECT_EQ(l->closed[0], PppCloseReason::NoCommonAuth);
  EXPECT_EQ(counters().lcp_no_common_auth, 1u);
  EXPECT_EQ(ctx->pool().in_use(), 0u);
}

// ---- Wrong credentials ----

TEST_F(SessionTest, WrongPasswordRefusedLoggedWithoutPasswordOthersUndisturbed) {
  context(seed_policy());
  auto good = connect(test::windows(), "l2tp_user2", "l2tp_password2");
  ASSERT_TRUE(good->up());
  auto bad = connect(test::windows(), "l2tp_user1", "guessed-wrong");
  EXPECT_FALSE(bad->up());
  EXPECT_TRUE(bad->client.auth_failure);
  EXPECT_EQ(bad->client.auth_message.substr(0, 10), "E=691 R=0 ");
  // The LNS terminates the link after the Failure (RFC 1994 §2).
  EXPECT_TRUE(bad->client.terminated);
  EXPECT_EQ(bad->client.terminate_text, "Authentication failed");
  ASSERT_EQ(bad->closed.size(), 1u);
  EXPECT_EQ(bad->closed[0], PppCloseReason::AuthFailed);
  EXPECT_EQ(counters().auth_failure, 1u);
  EXPECT_EQ(counters().auth_bad_secret, 1u);
  EXPECT_TRUE(logged("MSCHAP-V2 login failed: user 'l2tp_user1': wrong password"));
  for (const auto& line : log) {
    EXPECT_EQ(line.find("guessed-wrong"), std::string::npos) << line;
    EXPECT_EQ(line.find("l2tp_password"), std::string::npos) << line;
  }
  // Nothing else disturbed: the other session is up, no address was taken.
  EXPECT_TRUE(good->up());
  EXPECT_EQ(good->downs, 0);
  EXPECT_EQ(ctx->pool().in_use(), 1u);
  EXPECT_EQ(ctx->sessions_of("l2tp_user1"), 0u);
}

TEST_F(SessionTest, UnknownUserPap) {
  context(seed_policy({AuthProtocol::Pap}));
  auto l = connect(test::linux_pppd(), "mallory", "x");
  EXPECT_TRUE(l->client.auth_failure);
  EXPECT_EQ(l->closed.at(0), PppCloseReason::AuthFailed);
  EXPECT_EQ(counters().auth_unknown_user, 1u);
}

// ---- Addresses ----

TEST_F(SessionTest, PoolExhaustedRefusedCleanlyAndReturnedAddressReused) {
  PppPolicy p = seed_policy();
  p.pool = {{ip(192, 168, 100, 10), ip(192, 168, 100, 11)}};
  context(p);
  auto a = connect(test::windows(), "l2tp_user1", "l2tp_password1");
  auto b = connect(test::apple(), "l2tp_user2", "l2tp_password2");
  ASSERT_TRUE(a->up());
  ASSERT_TRUE(b->up());
  EXPECT_EQ(a->ups[0].client_address, ip(192, 168, 100, 10));
  EXPECT_EQ(b->ups[0].client_address, ip(192, 168, 100, 11));
  auto c = connect(test::linux_pppd(), "l2tp_user3", "l2tp_password3");
  EXPECT_FALSE(c->up());
  EXPECT_TRUE(c->client.auth_success);  // the password was right ...
  EXPECT_TRUE(c->client.terminated);    // ... but there is no address to give
  EXPECT_EQ(c->client.terminate_text, "No address available");
  EXPECT_EQ(c->closed.at(0), PppCloseReason::AddressUnavailable);
  EXPECT_EQ(counters().address_pool_exhausted, 1u);
  EXPECT_TRUE(logged("no free address in ip pp remote address pool"));
  EXPECT_TRUE(a->up());
  EXPECT_TRUE(b->up());
  // The first client hangs up: its address goes back to the pool.
  a->client.send(kProtoLcp, test::packet(5, 0x77, {}));
  a->pump();
  EXPECT_EQ(a->downs, 1);
  timers.advance(3s);
  EXPECT_EQ(a->closed.at(0), PppCloseReason::PeerTerminated);
  EXPECT_EQ(ctx->pool().in_use(), 1u);
  auto d = connect(test::linux_pppd(), "l2tp_user3", "l2tp_password3");
  ASSERT_TRUE(d->up());
  EXPECT_EQ(d->ups[0].client_address, ip(192, 168, 100, 10));
}

TEST_F(SessionTest, UsersFixedAddressOverridesThePool) {
  std::vector<config::PpUser> users = seed_users();
  users[1].address = config::Ipv4{ip(192, 168, 100, 200)};
  context(seed_policy(), users);
  auto l = connect(test::windows(), "l2tp_user2", "l2tp_password2");
  ASSERT_TRUE(l->up());
  EXPECT_EQ(l->ups[0].client_address, ip(192, 168, 100, 200));
  EXPECT_FALSE(l->ups[0].pool_index);  // outside the pool
  auto m = connect(test::windows(), "l2tp_user1", "l2tp_password1");
  EXPECT_EQ(m->ups.at(0).client_address, ip(192, 168, 100, 10));
}

TEST_F(SessionTest, FixedRemoteAddressIsNeverHandedOutTwice) {
  // `ip pp remote address 192.168.100.10` (seed 000, one client).
  PppPolicy p = seed_policy();
  p.pool.clear();
  p.remote_address = ip(192, 168, 100, 10);
  context(p);
  auto a = connect(test::windows(), "l2tp_user1", "l2tp_password1");
  ASSERT_TRUE(a->up());
  EXPECT_EQ(a->ups[0].client_address, ip(192, 168, 100, 10));
  auto b = connect(test::windows(), "l2tp_user2", "l2tp_password2");
  EXPECT_FALSE(b->up());
  EXPECT_EQ(b->closed.at(0), PppCloseReason::AddressUnavailable);
  EXPECT_EQ(counters().address_in_use, 1u);
}

// ---- pp auth multi connect prohibit ----

TEST_F(SessionTest, MultiConnectProhibited) {
  PppPolicy p = seed_policy();
  p.multi_connect_prohibit = true;
  context(p);
  auto a = connect(test::windows());
  ASSERT_TRUE(a->up());
  auto b = connect(test::apple());  // the same user again
  EXPECT_FALSE(b->up());
  EXPECT_TRUE(b->client.auth_failure);
  EXPECT_EQ(b->closed.at(0), PppCloseReason::MultiConnect);
  EXPECT_EQ(counters().auth_multi_connect, 1u);
  EXPECT_TRUE(a->up());
  // Once the first has gone, the user may connect again.
  a->session.lower_down();
  EXPECT_EQ(ctx->sessions_of("l2tp_user1"), 0u);
  auto c = connect(test::apple());
  EXPECT_TRUE(c->up());
}

TEST_F(SessionTest, MultiConnectAllowedByDefault) {
  context(seed_policy());
  auto a = connect(test::windows());
  auto b = connect(test::apple());
  EXPECT_TRUE(a->up());
  EXPECT_TRUE(b->up());
  EXPECT_EQ(ctx->sessions_of("l2tp_user1"), 2u);
  EXPECT_NE(a->ups[0].client_address, b->ups[0].client_address);
}

// ---- Echo, termination, lower layer ----

TEST_F(SessionTest, PeerEchoRequestIsAnswered) {
  context(seed_policy());
  auto l = connect(test::linux_pppd());
  ASSERT_TRUE(l->up());
  l->client.send(kProtoLcp, test::packet(9, 0x21, {0x7f, 0x3e, 0x9a, 0x01}));
  l->pump();
  ASSERT_EQ(l->sent(kProtoLcp, 10), 1);
  EXPECT_EQ(counters().lcp_echo_reply_sent, 1u);
}

TEST_F(SessionTest, OurEchoRequestsDetectADeadPeer) {
  PppPolicy p = seed_policy();
  p.lcp.echo_interval = 20s;
  p.lcp.echo_failure = 3;
  context(p);
  auto l = connect(test::windows());
  ASSERT_TRUE(l->up());
  timers.advance(20s);
  l->pump();
  EXPECT_EQ(counters().lcp_echo_reply_received, 1u);
  l->client.silent = true;
  timers.advance(80s);  // three unanswered, then the check
  l->pump();
  EXPECT_EQ(l->downs, 1);
  timers.advance(6s);  // two Terminate-Requests go unanswered too
  ASSERT_EQ(l->closed.size(), 1u);
  EXPECT_EQ(l->closed[0], PppCloseReason::EchoTimeout);
  EXPECT_EQ(counters().lcp_echo_timeout, 1u);
  EXPECT_EQ(ctx->pool().in_use(), 0u);
}

TEST_F(SessionTest, PeerTerminateRequest) {
  context(seed_policy());
  auto l = connect(test::apple());
  ASSERT_TRUE(l->up());
  l->client.send(kProtoLcp, test::packet(5, 0x33, {'b', 'y', 'e'}));
  l->pump();
  EXPECT_EQ(l->sent(kProtoLcp, 6), 1);  // Terminate-Ack
  EXPECT_EQ(l->downs, 1);               // the dataplane session goes at once
  EXPECT_TRUE(l->closed.empty());       // one Restart period in Stopping first (zrc)
  EXPECT_EQ(l->session.phase(), PppPhase::Terminate);
  timers.advance(3s);
  ASSERT_EQ(l->closed.size(), 1u);
  EXPECT_EQ(l->closed[0], PppCloseReason::PeerTerminated);
  EXPECT_EQ(l->session.phase(), PppPhase::Dead);
  EXPECT_EQ(ctx->pool().in_use(), 0u);
  EXPECT_EQ(timers.armed(), 0u);
  // After the end nothing more is sent or accepted.
  l->client.send(kProtoLcp, test::packet(9, 1, {0, 0, 0, 0}));
  l->pump();
  EXPECT_EQ(counters().rx_not_running, 1u);
}

TEST_F(SessionTest, AdminClose) {
  context(seed_policy());
  auto l = connect(test::windows());
  ASSERT_TRUE(l->up());
  l->session.close();
  l->pump();
  EXPECT_TRUE(l->client.terminated);
  EXPECT_EQ(l->client.terminate_text, "Administratively closed");
  ASSERT_EQ(l->closed.size(), 1u);  // the client's Terminate-Ack ends it at once
  EXPECT_EQ(l->closed[0], PppCloseReason::AdminClose);
  EXPECT_EQ(l->downs, 1);
}

TEST_F(SessionTest, LowerLayerDownEndsAtOnceWithoutPackets) {
  context(seed_policy());
  auto l = connect(test::windows());
  ASSERT_TRUE(l->up());
  l->to_client.clear();
  l->session.lower_down();
  EXPECT_TRUE(l->to_client.empty());
  EXPECT_EQ(l->downs, 1);
  ASSERT_EQ(l->closed.size(), 1u);
  EXPECT_EQ(l->closed[0], PppCloseReason::LowerLayerDown);
  EXPECT_EQ(ctx->pool().in_use(), 0u);
  EXPECT_EQ(timers.armed(), 0u);
  l->session.lower_down();  // once only
  l->session.close();
  EXPECT_EQ(l->closed.size(), 1u);
}

TEST_F(SessionTest, DestroyingASessionGivesBackItsAddress) {
  context(seed_policy());
  {
    auto l = connect(test::windows());
    ASSERT_TRUE(l->up());
    EXPECT_EQ(ctx->pool().in_use(), 1u);
  }
  EXPECT_EQ(ctx->pool().in_use(), 0u);
  EXPECT_EQ(ctx->sessions_of("l2tp_user1"), 0u);
  EXPECT_EQ(timers.armed(), 0u);
}

// ---- Retransmissions on the fake clock ----

TEST_F(SessionTest, SilentPeerLcpRetransmitsThenGivesUp) {
  context(seed_policy());
  auto l = link(test::windows());
  l->client.silent = true;
  l->session.start();
  l->pump();
  EXPECT_EQ(l->sent(kProtoLcp, 1), 1);
  for (int i = 0; i < 9; ++i) {
    timers.advance(3s);
    l->pump();
  }
  EXPECT_EQ(l->sent(kProtoLcp, 1), 10);  // Max-Configure
  EXPECT_TRUE(l->closed.empty());
  timers.advance(3s);
  ASSERT_EQ(l->closed.size(), 1u);
  EXPECT_EQ(l->closed[0], PppCloseReason::LcpNegotiationFailed);
  EXPECT_EQ(counters().lcp.retransmits, 9u);
}

TEST_F(SessionTest, LostPacketsAreRetransmitted) {
  // The first copies of our LCP Configure-Request, CHAP Challenge, CHAP Success and IPCP
  // Configure-Request are lost: the restart timers (ours and the client's) bring it up.
  context(seed_policy());
  auto l = link(test::windows());
  l->start();
  std::set<std::pair<uint16_t, uint8_t>> lost;
  const std::set<std::pair<uint16_t, uint8_t>> to_lose = {
      {kProtoLcp, 1}, {kProtoChap, 1}, {kProtoChap, 3}, {kProtoIpcp, 1}};
  for (int round = 0; round < 20 && !l->up(); ++round) {
    for (int step = 0; step < 100; ++step) {
      std::deque<Frame> keep;
      for (Frame& f : l->to_client) {
        const std::pair<uint16_t, uint8_t> k{f.protocol, f.code()};
        if (to_lose.contains(k) && lost.insert(k).second) continue;
        keep.push_back(f);
      }
      l->to_client = keep;
      if (l->to_client.empty() && l->client.outbox().empty()) break;
      if (!l->to_client.empty()) {
        const Frame f = l->to_client.front();
        l->to_client.pop_front();
        l->client.on_frame(f);
      } else {
        const Frame f = l->client.outbox().front();
        l->client.outbox().pop_front();
        l->session.input_frame(frame_ppp(f.protocol, f.packet));
      }
    }
    timers.advance(3s);
    l->client.tick();
  }
  l->pump();
  ASSERT_TRUE(l->up());
  EXPECT_EQ(lost.size(), 4u);
  // Our lost LCP request goes again when the client's first request arrives.
  EXPECT_GE(counters().lcp.retransmits + counters().lcp.early_resends, 1u);
  EXPECT_GE(counters().auth_retransmit, 2u);  // the Challenge again, and Success again
  EXPECT_GE(counters().ipcp.retransmits, 1u);
  EXPECT_EQ(l->ups.size(), 1u);
}

TEST_F(SessionTest, ChallengeUnansweredEndsInAuthTimeout) {
  context(seed_policy());
  auto l = link(test::windows());
  l->client.ignore = kProtoChap;  // Challenges go unanswered
  l->start();
  l->pump();
  ASSERT_EQ(l->session.phase(), PppPhase::Authenticate);
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(l->closed.empty());
    timers.advance(3s);
    l->pump();
  }
  EXPECT_EQ(l->sent(kProtoChap, 1), 10);
  ASSERT_EQ(l->closed.size(), 1u);
  EXPECT_EQ(l->closed[0], PppCloseReason::AuthTimeout);
  EXPECT_EQ(counters().auth_timeout, 1u);
}

// ---- Phases ----

TEST_F(SessionTest, NetworkPacketsBeforeTheNetworkPhaseAreDiscarded) {
  context(seed_policy());
  auto l = link(test::windows());
  l->session.start();
  // IPCP, CCP and a CHAP Response before LCP has even opened.
  l->session.input(kProtoIpcp, test::packet(1, 1, test::u32_option(3, 0)));
  l->session.input(kProtoCcp, test::packet(1, 2, {}));
  l->session.input(kProtoChap, test::packet(2, 3, {1, 0}));
  EXPECT_EQ(counters().rx_wrong_phase, 3u);
  EXPECT_EQ(counters().tx_protocol_reject, 0u);
  EXPECT_EQ(l->to_client.size(), 1u);  // only our LCP Configure-Request
}

TEST_F(SessionTest, FramesWithCompressedHeadersAndBadFrames) {
  context(seed_policy());
  auto l = link(test::windows());
  l->session.start();
  // ACFC + two-octet protocol (LCP Echo-Request before Opened: discarded quietly, as RXR).
  const Bytes lcp = {0xc0, 0x21, 9, 1, 0, 8, 0, 0, 0, 0};
  l->session.input_frame(lcp);
  const Bytes bad = {0xff, 0x05, 0xc0, 0x21};
  l->session.input_frame(bad);
  EXPECT_EQ(counters().rx_bad_frame, 1u);
  EXPECT_EQ(counters().rx_frames, 2u);
  l->session.input_frame(Bytes{0x21, 0x45, 0x00});  // PFC IPv4
  EXPECT_EQ(counters().rx_ipv4_data, 1u);
}

TEST_F(SessionTest, InputBeforeStartIsDropped) {
  // The client's first LCP request can overtake the L2TP session's establishment.
  context(seed_policy());
  auto l = link(test::windows());
  l->session.input(kProtoLcp, test::packet(1, 1, {}));
  EXPECT_EQ(counters().rx_not_running, 1u);
  EXPECT_TRUE(l->to_client.empty());
  l->start();
  l->pump();
  EXPECT_TRUE(l->up());
}

TEST_F(SessionTest, FrameFormat) {
  const Bytes p = {1, 2, 0, 4};
  EXPECT_EQ(frame_ppp(kProtoLcp, p), (Bytes{0xff, 0x03, 0xc0, 0x21, 1, 2, 0, 4}));
}

TEST_F(SessionTest, PeerClosesIpcpTheLinkGoes) {
  context(seed_policy());
  auto l = connect(test::linux_pppd());
  ASSERT_TRUE(l->up());
  l->client.send(kProtoIpcp, test::packet(5, 0x44, {}));
  l->pump();
  EXPECT_EQ(l->downs, 1);
  EXPECT_EQ(l->sent(kProtoIpcp, 6), 1);  // IPCP Terminate-Ack
  timers.advance(3s);                    // IPCP: Stopping -> Stopped (tlf)
  l->pump();
  EXPECT_TRUE(l->client.terminated);
  EXPECT_EQ(l->client.terminate_text, "No network protocols running");
  ASSERT_EQ(l->closed.size(), 1u);
  EXPECT_EQ(l->closed[0], PppCloseReason::IpcpFailed);
}

TEST_F(SessionTest, PeerProtocolRejectsIpcp) {
  context(seed_policy());
  auto l = link(test::windows());
  l->start();
  // Let LCP and auth finish, then answer our IPCP Configure-Request with Protocol-Reject.
  l->pump();
  ASSERT_TRUE(l->up());
  l->to_client.clear();
  l->session.input(kProtoLcp, test::packet(8, 0x50, {0x80, 0x21, 1, 1, 0, 4}));
  EXPECT_EQ(l->downs, 1);
  // No IPCP packet after the reject (RFC 1661 §5.7); LCP terminates the link.
  for (const Frame& f : l->to_client) EXPECT_NE(f.protocol, kProtoIpcp);
  l->pump();
  EXPECT_TRUE(l->client.terminated);
  EXPECT_EQ(l->client.terminate_text, "No network protocols running");
  ASSERT_EQ(l->closed.size(), 1u);
  EXPECT_EQ(l->closed[0], PppCloseReason::IpcpFailed);
}

TEST_F(SessionTest, PeerRenegotiatesLcpAndComesBack) {
  context(seed_policy());
  auto l = connect(test::apple());
  ASSERT_TRUE(l->up());
  // A new LCP Configure-Request in Opened (RFC 1661 §4.4: tld, scr, sca): the network goes
  // down and the link is authenticated and configured again.
  l->client = PppClient(test::apple(), "l2tp_user1", "l2tp_password1");
  l->client.start();
  l->pump();
  EXPECT_EQ(l->downs, 1);
  ASSERT_EQ(l->ups.size(), 2u);
  EXPECT_TRUE(l->up());
  EXPECT_EQ(ctx->pool().in_use(), 1u);
  EXPECT_EQ(ctx->sessions_of("l2tp_user1"), 1u);
}

}  // namespace
}  // namespace l2tpgw::cp::ppp
