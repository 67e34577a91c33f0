// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/cli/show: the seeds' layouts, line by line, from a FakeInstaller.
#include "controlplane/cli/show.hpp"

#include <gtest/gtest.h>

#include "controlplane/install/fake_installer.hpp"
#include "tests/unit/controlplane/tables_fixture.hpp"

namespace l2tpgw::cp {
namespace {

using test::kClientOuter;
using test::kLan;
using test::kWan;
using test::TablesFixture;

constexpr long kNow = 1700000054;

// One L2TP/IPsec client: SAs 1 (recv) and 2 (send) of peering 1, tunnel 1, session 1.
FakeInstaller one_client(uint32_t installed_at = 1700000000) {
  FakeInstaller f;
  EXPECT_TRUE(f.add_sa(TablesFixture::sa(tables::SaDirection::Inbound, 1)));
  EXPECT_TRUE(f.add_sa(TablesFixture::sa(tables::SaDirection::Outbound, 1, 0x10000001)));
  tables::TunnelParams tp;
  tp.peer_index = 1;
  tp.sa_out = 2;
  tp.peer_tunnel_id = 7;
  tp.local_addr = kWan;
  tp.peer_addr = kClientOuter;
  EXPECT_TRUE(f.add_tunnel(tp));
  tables::SessionParams sp;
  sp.tunnel_id = 1;
  sp.peer_session_id = 9;
  sp.client_addr = 0xc633640a;
  sp.installed_at = installed_at;
  EXPECT_TRUE(f.add_session(sp));
  f.set_session_usage(1, SessionUsage{74, 6280, 23, 729});
  return f;
}

TEST(Show, StatusL2tpFollowsTheSeedLineByLine) {
  const FakeInstaller f = one_client();
  const std::string out = show_status_l2tp(take_snapshot(f, kWan, kLan, kNow), std::nullopt);
  EXPECT_EQ(out,
            "------------------- L2TP INFORMATION -------------------\n"
            "Number of control table using Tunnel Control: 1, Session Control: 1\n"
            "\n"
            "TUNNEL[1] Information\n"
            "Tunnel State: established\n"
            "Version: L2TPv2\n"
            "Local Tunnel ID: 1\n"
            "Remote Tunnel ID: 7\n"
            "Local IP Address: 203.0.113.1\n"
            "Remote IP Address: 203.0.113.10\n"
            "Local Src port: 1701\n"
            "Remote Src port: 1701\n"
            "PP Bind: ANONYMOUS[1]\n"
            "Vendor: -\n"
            "Hostname: -\n"
            "Next Transmit sequence(Ns): -\n"
            "Next Receive sequence(Nr): -\n"
            "Tunnel has 1 session.\n"
            "Session Information\n"
            "Session State: established\n"
            "Local Session ID: 1\n"
            "Remote Session ID: 9\n"
            "54 seconds connection.\n"
            "Received: 74 packets [6280 octets]\n"
            "Transmitted: 23 packets [729 octets]\n");
  // A tunnel that does not exist: the header alone.
  EXPECT_EQ(show_status_l2tp(take_snapshot(f, kWan, kLan, kNow), 9),
            "------------------- L2TP INFORMATION -------------------\n"
            "Number of control table using Tunnel Control: 1, Session Control: 1\n");
}

TEST(Show, StatusL2tpWithWhatTheLnsKnows) {
  // The installed tunnel 1 (bound to TUNNEL[3]) completed by the LNS, and a second client
  // still in wait-ctl-conn that has nothing installed yet.
  const FakeInstaller f = one_client();
  ShowSnapshot snap = take_snapshot(f, kWan, kLan, kNow);
  l2tp::L2tpTunnelStatus a{3, "established", 1, 7, {kClientOuter, 1701, 5}, "iPhone", "Apple", 2, 4,
                           {{1, 9, "established"}}};
  l2tp::L2tpTunnelStatus b{4, "wait_ctl_conn", 2, 61471, {0xcb007114, 4500, 6}, "anonymous", "", 1, 1, {}};
  snap.l2tp = {a, b};
  const std::string out = show_status_l2tp(snap, 3);
  EXPECT_EQ(out,
            "------------------- L2TP INFORMATION -------------------\n"
            "Number of control table using Tunnel Control: 2, Session Control: 1\n"
            "\n"
            "TUNNEL[3] Information\n"
            "Tunnel State: established\n"
            "Version: L2TPv2\n"
            "Local Tunnel ID: 1\n"
            "Remote Tunnel ID: 7\n"
            "Local IP Address: 203.0.113.1\n"
            "Remote IP Address: 203.0.113.10\n"
            "Local Src port: 1701\n"
            "Remote Src port: 1701\n"
            "PP Bind: ANONYMOUS[3]\n"
            "Vendor: Apple\n"
            "Hostname: iPhone\n"
            "Next Transmit sequence(Ns): 2\n"
            "Next Receive sequence(Nr): 4\n"
            "Tunnel has 1 session.\n"
            "Session Information\n"
            "Session State: established\n"
            "Local Session ID: 1\n"
            "Remote Session ID: 9\n"
            "54 seconds connection.\n"
            "Received: 74 packets [6280 octets]\n"
            "Transmitted: 23 packets [729 octets]\n");
  const std::string other = show_status_l2tp(snap, 4);
  EXPECT_NE(other.find("TUNNEL[4] Information\nTunnel State: wait_ctl_conn\n"), std::string::npos) << other;
  EXPECT_NE(other.find("Remote IP Address: 203.0.113.20\n"), std::string::npos) << other;
  EXPECT_NE(other.find("Vendor: -\nHostname: anonymous\n"), std::string::npos) << other;
  EXPECT_NE(other.find("Tunnel has 0 sessions.\n"), std::string::npos) << other;
}

TEST(Show, StatusL2tpListsTheL2tpv3TunnelsAfterTheL2tpv2Ones) {
  const FakeInstaller f = one_client();
  ShowSnapshot snap = take_snapshot(f, kWan, kLan, kNow);
  l2tp::v3::LcceTunnelStatus v3;
  v3.interface = 2;  // TUNNEL[1] is the installed L2TPv2 tunnel's number
  v3.state = "established";
  v3.ccid = 51998;
  v3.peer_ccid = 27105;
  v3.local_addr = kWan;
  v3.peer = {0xc6336402, 1701, 0};
  v3.sessions.push_back({"established", 38520, 25157, true, true, 56, 0, 0, 0, 0});
  snap.l2tpv3 = {v3};
  const std::string all = show_status_l2tp(snap, std::nullopt);
  EXPECT_NE(all.find("Tunnel Control: 2, Session Control: 2\n"), std::string::npos) << all;
  EXPECT_LT(all.find("Version: L2TPv2"), all.find("Version: L2TPv3")) << all;
  const std::string one = show_status_l2tp(snap, 2);
  EXPECT_EQ(one.find("Version: L2TPv2"), std::string::npos) << one;
  EXPECT_NE(one.find("\nTUNNEL[2]:\nTunnel State: established\nVersion: L2TPv3\nLocal Tunnel ID: 51998\n"),
            std::string::npos) << one;
  EXPECT_NE(one.find("Circuit Status local:UP peer:UP\n56 seconds connection.\n"), std::string::npos) << one;
}

// The seed's fixed-address client: session 1 of `pp select 1` (a numbered pp).
ShowSnapshot pp1_client(const FakeInstaller& f) {
  ShowSnapshot snap = take_snapshot(f, kWan, kLan, kNow);
  snap.tunnel_pp[1] = 1;
  return snap;
}

TEST(Show, StatusPpFollowsTheSeedLineByLine) {
  const FakeInstaller f = one_client();
  const std::string out = show_status_pp(pp1_client(f), false, 1);
  EXPECT_EQ(out,
            "PP[01]: L2TPセッションは接続されています\n"
            "接続相手: \n"
            "通信時間: 54秒\n"
            "受信: 74 パケット [6280 オクテット]\n"
            "送信: 23 パケット [729 オクテット]\n"
            "PPPオプション\n"
            "    LCP Local: -, Remote: -\n"
            "    IPCP Local: -, Remote: -\n"
            "    PP IP Address Local: 192.0.2.1, Remote: 198.51.100.10\n"
            "    CCP: -\n"
            "受けとったUserId: -\n");
  // With what PPP negotiated (the seed's own lines).
  ShowSnapshot snap = pp1_client(f);
  snap.pp[1] = ShowSnapshot::PpView{"LCP Local: CHAP Magic-Number MRU, Remote: Magic-Number MRU",
                                    "IPCP Local: IP-Address, Remote: IP-Address Primary-DNS(192.0.2.1)",
                                    "None", "yamaha"};
  const std::string full = show_status_pp(snap, false, 1);
  EXPECT_NE(full.find("PPPオプション\n"
                       "    LCP Local: CHAP Magic-Number MRU, Remote: Magic-Number MRU\n"
                       "    IPCP Local: IP-Address, Remote: IP-Address Primary-DNS(192.0.2.1)\n"
                       "    PP IP Address Local: 192.0.2.1, Remote: 198.51.100.10\n"
                       "    CCP: None\n"
                       "受けとったUserId: yamaha\n"),
            std::string::npos) << full;
  // pp 1's session is neither pp 2's nor anonymous's.
  EXPECT_EQ(show_status_pp(snap, false, 2), "PP[02]: L2TPセッションは接続されていません\n");
  EXPECT_EQ(show_status_pp(snap, true, 0), "");
}

// `show status pp N` selects by the pp, not by the L2TP session id: the seed's pp 2 client
// in our session 1.
TEST(Show, StatusPpSelectsThePpNotTheSessionId) {
  const FakeInstaller f = one_client();
  ShowSnapshot snap = take_snapshot(f, kWan, kLan, kNow);
  snap.tunnel_pp[1] = 2;
  EXPECT_EQ(show_status_pp(snap, false, 1), "PP[01]: L2TPセッションは接続されていません\n");
  const std::string two = show_status_pp(snap, false, 2);
  EXPECT_EQ(two.substr(0, two.find('\n')), "PP[02]: L2TPセッションは接続されています") << two;
  EXPECT_NE(two.find("Remote: 198.51.100.10\n"), std::string::npos) << two;
  const std::string l2tp = show_status_l2tp(snap, std::nullopt);
  EXPECT_NE(l2tp.find("PP Bind: PP[02]\n"), std::string::npos) << l2tp;
}

TEST(Show, StatusPpAnonymousListsTheSessionsOfNoNumberedPp) {
  // No numbered pp known for it (pp anonymous, or a previous process's session).
  const FakeInstaller f = one_client();
  const std::string anon = show_status_pp(take_snapshot(f, kWan, kLan, kNow), true, 0);
  EXPECT_EQ(anon.substr(0, anon.find('\n')), "PP[ANONYMOUS01]: L2TPセッションは接続されています");
  EXPECT_EQ(show_status_pp(take_snapshot(f, kWan, kLan, kNow), false, 1),
            "PP[01]: L2TPセッションは接続されていません\n");
}

// Seed 001's LAN-to-LAN peer 192.168.2.1 with two IPsec SA pairs (a rekey's old and new) and
// the ISAKMP SA that negotiated both, as IKE knows them: the seed's output, line by line.
TEST(Show, IpsecSaFromIkeIsTheSeedsOutput) {
  constexpr uint32_t kPeer = 0xc0a80201;  // 192.168.2.1
  ShowSnapshot snap;
  for (uint32_t slot = 2; slot <= 5; ++slot) {
    InstalledSa x;
    x.slot = slot;
    x.direction = slot % 2 ? tables::SaDirection::Inbound : tables::SaDirection::Outbound;
    x.peer_index = 7;
    x.peer_addr = kPeer;
    snap.sas.push_back(x);
  }
  snap.ipsec = {{3, 2, 41, 1, 1, 7, kPeer, 28777}, {5, 4, 41, 1, 1, 7, kPeer, 28778}};
  snap.isakmp = {{41, 1, kPeer, 28775}};
  EXPECT_EQ(show_ipsec_sa(snap),
            "Total: isakmp:1 send:2 recv:2\n"
            "\n"
            "sa   sgw isakmp connection   dir  life[s] remote-id\n"
            "-----------------------------------------------------------------------------\n"
            "2     1   6      tra[0001]esp send 28777   192.168.2.1\n"
            "3     1   6      tra[0001]esp recv 28777   192.168.2.1\n"
            "4     1   6      tra[0001]esp send 28778   192.168.2.1\n"
            "5     1   6      tra[0001]esp recv 28778   192.168.2.1\n"
            "6     1   -      isakmp       -    28775   192.168.2.1\n");
}

// What IKE does not know shows as before: SAs a previous process left (slots 1 and 2), a pair
// whose ISAKMP SA is gone (no isakmp number), a peering without `ipsec transport` (its
// peering number), and ISAKMP SAs numbered after the highest SA.
TEST(Show, IpsecSaMixesIkeStateWithWhatItDoesNotKnow) {
  FakeInstaller f = one_client();
  ASSERT_TRUE(f.add_sa(TablesFixture::sa(tables::SaDirection::Inbound, 2)));
  ASSERT_TRUE(f.add_sa(TablesFixture::sa(tables::SaDirection::Outbound, 2, 0x10000002)));
  ASSERT_TRUE(f.add_sa(TablesFixture::sa(tables::SaDirection::Inbound, 3)));
  ASSERT_TRUE(f.add_sa(TablesFixture::sa(tables::SaDirection::Outbound, 3, 0x10000003)));
  ShowSnapshot snap = take_snapshot(f, kWan, kLan, kNow);
  snap.ipsec = {{3, 4, 8, 2, 0, 2, kClientOuter, 600}, {5, 6, 9, 2, 4, 3, kClientOuter, 3599}};
  snap.isakmp = {{9, 2, kClientOuter, 28799}, {12, 2, 0xcb007114, 100}};
  EXPECT_EQ(show_ipsec_sa(snap),
            "Total: isakmp:2 send:3 recv:3\n"
            "\n"
            "sa   sgw isakmp connection   dir  life[s] remote-id\n"
            "-----------------------------------------------------------------------------\n"
            "1     1   -      tra[0001]esp recv -       203.0.113.10\n"
            "2     1   -      tra[0001]esp send -       203.0.113.10\n"
            "3     2   -      tra[0002]esp recv 600     203.0.113.10\n"
            "4     2   -      tra[0002]esp send 600     203.0.113.10\n"
            "5     2   7      tra[0004]esp recv 3599    203.0.113.10\n"
            "6     2   7      tra[0004]esp send 3599    203.0.113.10\n"
            "7     2   -      isakmp       -    28799   203.0.113.10\n"
            "8     2   -      isakmp       -    100     203.0.113.20\n");
  // An ISAKMP SA alone (Quick Mode has not run yet) is an SA to show.
  ShowSnapshot only_isakmp;
  only_isakmp.isakmp = {{1, 1, kClientOuter, 28800}};
  EXPECT_EQ(show_ipsec_sa(only_isakmp),
            "Total: isakmp:1 send:0 recv:0\n"
            "\n"
            "sa   sgw isakmp connection   dir  life[s] remote-id\n"
            "-----------------------------------------------------------------------------\n"
            "1     1   -      isakmp       -    28800   203.0.113.10\n");
}

// remote-id is the name a peer gave as its phase-1 identity (FQDN, USER_FQDN); else, and for
// SAs IKE does not know, its address.
TEST(Show, IpsecSaRemoteIdIsThePeersIdentity) {
  ShowSnapshot snap;
  snap.ipsec = {{1, 2, 5, 1, 1, 1, kClientOuter, 3600, ""},
                {3, 4, 6, 2, 1, 2, 0xcb007114, 3600, "gw2.example"}};
  snap.isakmp = {{5, 1, kClientOuter, 28800, ""}, {6, 2, 0xcb007114, 28800, "gw2.example"}};
  EXPECT_EQ(show_ipsec_sa(snap),
            "Total: isakmp:2 send:2 recv:2\n"
            "\n"
            "sa   sgw isakmp connection   dir  life[s] remote-id\n"
            "-----------------------------------------------------------------------------\n"
            "1     1   5      tra[0001]esp recv 3600    203.0.113.10\n"
            "2     1   5      tra[0001]esp send 3600    203.0.113.10\n"
            "3     2   6      tra[0001]esp recv 3600    gw2.example\n"
            "4     2   6      tra[0001]esp send 3600    gw2.example\n"
            "5     1   -      isakmp       -    28800   203.0.113.10\n"
            "6     2   -      isakmp       -    28800   gw2.example\n");
}

// Without IKE's view (a restarted controlplane, l2tpgw-sessionctl's SAs): the installed SAs,
// with "-" where only IKE could tell.
TEST(Show, IpsecSaFollowsTheSeedsColumns) {
  const FakeInstaller f = one_client();
  EXPECT_EQ(show_ipsec_sa(take_snapshot(f, kWan, kLan, kNow)),
            "Total: isakmp:0 send:1 recv:1\n"
            "\n"
            "sa   sgw isakmp connection   dir  life[s] remote-id\n"
            "-----------------------------------------------------------------------------\n"
            "1     1   -      tra[0001]esp recv -       203.0.113.10\n"
            "2     1   -      tra[0001]esp send -       203.0.113.10\n");
  // Seed 001: with no SA the router prints nothing at all.
  EXPECT_EQ(show_ipsec_sa(take_snapshot(FakeInstaller{}, kWan, kLan, kNow)), "");
}

TEST(Show, IpsecSaNeverShowsKeys) {
  const FakeInstaller f = one_client();
  const std::string out = show_ipsec_sa(take_snapshot(f, kWan, kLan, kNow)) +
                          show_status_tunnel(take_snapshot(f, kWan, kLan, kNow), std::nullopt);
  // The fixture's keys: 01 02 03 ... and 0b 0b 0b ...
  EXPECT_EQ(out.find("0102030405"), std::string::npos);
  EXPECT_EQ(out.find("0b0b0b"), std::string::npos);
}

TEST(Show, StatusTunnelListsSessionsAndSas) {
  const FakeInstaller f = one_client();
  const std::string out = show_status_tunnel(take_snapshot(f, kWan, kLan, kNow), std::nullopt);
  EXPECT_NE(out.find("TUNNEL[1]:\n"), std::string::npos) << out;
  EXPECT_NE(out.find("インタフェースの種類: L2TP/IPsec\n"), std::string::npos) << out;
  EXPECT_NE(out.find("通信時間: 54秒\n"), std::string::npos) << out;
  EXPECT_NE(out.find("L2TP: local tunnel id 1, remote tunnel id 7, 203.0.113.1:1701 -> 203.0.113.10:1701\n"),
            std::string::npos) << out;
  EXPECT_NE(out.find("SA 2 send SPI 0x10000001"), std::string::npos) << out;
  EXPECT_NE(out.find("  session 1: client 198.51.100.10, remote session id 9, MTU 1400, 54 seconds\n"),
            std::string::npos) << out;
  EXPECT_NE(out.find("受信: (IPv4) 74 パケット [6280 オクテット]\n"), std::string::npos) << out;
  EXPECT_EQ(show_status_tunnel(take_snapshot(f, kWan, kLan, kNow), 2), "");
  EXPECT_EQ(show_status_tunnel(take_snapshot(FakeInstaller{}, kWan, kLan, kNow), std::nullopt),
            "No tunnel is established.\n");
}

TEST(Show, UnknownInstallTimeIsADash) {
  const FakeInstaller f = one_client(0);
  const std::string out = show_status_l2tp(take_snapshot(f, kWan, kLan, kNow), std::nullopt);
  EXPECT_NE(out.find("- seconds connection.\n"), std::string::npos) << out;
}

TEST(Show, CountersNameEveryCounterAndDrop) {
  CounterSnapshot c;
  c.workers = 2;
  c.counters[static_cast<size_t>(Counter::WanRxPackets)] = 12;
  c.drops[static_cast<size_t>(DropReason::EspNoSa)] = 3;
  c.ports.push_back(PortFigures{0, "net_af_packet0", 10, 1000, 20, 2000, 1, 2, 3, 4});
  c.punt.packets[static_cast<size_t>(PuntClass::IkeNatT)] = 5;
  const std::string out = show_counters(c);
  EXPECT_NE(out.find("Dataplane counters (2 workers and the slowpath)\n"), std::string::npos);
  EXPECT_NE(out.find("  WanRxPackets               12\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  EspNoSa                    3\n"), std::string::npos) << out;
  for (size_t i = 1; i < kDropReasonCount; ++i)
    EXPECT_NE(out.find(std::string(to_string(static_cast<DropReason>(i)))), std::string::npos) << i;
  EXPECT_NE(out.find("net_af_packet0 (port 0): rx 10 packets [1000 octets], tx 20 packets [2000 octets]"),
            std::string::npos) << out;
  EXPECT_NE(out.find("  IkeNatT                    5 packets"), std::string::npos) << out;
}

TEST(Show, ProtocolCountersShowWhatMovedAndCountTheRest) {
  CounterSnapshot c;
  c.protocols.push_back({"IKE", {{"MainModeEstablished", 2}, {"BadHash", 0}, {"NoProposalChosen", 0}}});
  const std::string out = show_counters(c);
  EXPECT_NE(out.find("IKE\n  MainModeEstablished        2\n  (2 other counters are 0)\n"),
            std::string::npos) << out;
  EXPECT_EQ(out.find("BadHash"), std::string::npos) << out;
}

TEST(Show, DurationsInJapanese) {
  EXPECT_EQ(format_duration_ja(0), "0秒");
  EXPECT_EQ(format_duration_ja(54), "54秒");
  EXPECT_EQ(format_duration_ja(234), "3分54秒");
  EXPECT_EQ(format_duration_ja(3600), "1時間0分0秒");
  EXPECT_EQ(format_duration_ja(2 * 86400 + 3661), "2日1時間1分1秒");
  EXPECT_EQ(format_ipv4(0xc0000201), "192.0.2.1");
}

}  // namespace
}  // namespace l2tpgw::cp
