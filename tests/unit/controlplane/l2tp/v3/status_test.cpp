// SPDX-License-Identifier: Apache-2.0
// `show status l2tp` for L2TPv3: seed 001's output of YAMAHA01, reproduced from the same
// figures, and the wait_ctl_reply form the seed shows while IPsec is down.
#include <gtest/gtest.h>

#include "controlplane/l2tp/v3/status.hpp"

namespace l2tpgw::cp::l2tp::v3 {
namespace {

LcceTunnelStatus seed_tunnel() {
  LcceTunnelStatus t;
  t.interface = 1;
  t.state = "established";
  t.ccid = 51998;
  t.peer_ccid = 27105;
  t.local_addr = 0xC0A86401;                 // 192.168.100.1
  t.peer = L2tpPeer{0xC0A80201, 1701, 0};    // 192.168.2.1
  t.peer_vendor = "YAMAHA Corporation";
  t.peer_hostname = "RTX830";
  t.ns = 4;
  t.nr = 2;
  LcceTunnelStatus::Session s;
  s.state = "established";
  s.session_id = 38520;
  s.peer_session_id = 25157;
  s.local_up = s.peer_up = true;
  s.seconds = 56;
  t.sessions.push_back(s);
  return t;
}

// Seed 001, "接続できた時の状態" (YAMAHA01), without the article's annotations.
constexpr const char* kSeed001 =
    "------------------- L2TP INFORMATION -------------------\n"
    "Number of control table using\n"
    "Tunnel Control: 1, Session Control: 1\n"
    "TUNNEL[1]:\n"
    "Tunnel State: established\n"
    "Version: L2TPv3\n"
    "Local Tunnel ID: 51998\n"
    "Remote Tunnel ID: 27105\n"
    "Local IP Address: 192.168.100.1\n"
    "Remote IP Address: 192.168.2.1\n"
    "Local Src port: 1701\n"
    "Remote Src port: 1701\n"
    "Vendor: YAMAHA Corporation\n"
    "Hostname: RTX830\n"
    "Next Transmit sequence(Ns): 4\n"
    "Next Receive sequence(Nr) : 2\n"
    "Tunnel has 1 session.\n"
    "Session Information\n"
    "Session State: established\n"
    "Local Session ID: 38520\n"
    "Remote Session ID: 25157\n"
    "Circuit Status local:UP peer:UP\n"
    "56 seconds connection.\n"
    "Received: 0 packet [0 octet]\n"
    "Transmitted: 0 packet [0 octet]\n";

TEST(L2tpV3Status, Seed001Layout) {
  EXPECT_EQ(show_status_l2tpv3({seed_tunnel()}), kSeed001);
}

TEST(L2tpV3Status, WaitCtlReplyAsTheSeedShowsItWhileIpsecIsDown) {
  LcceTunnelStatus t;
  t.interface = 1;
  t.state = "wait_ctl_reply";
  t.ccid = 51998;
  t.local_addr = 0xC0A86401;
  t.peer = L2tpPeer{0xC0A80201, 1701, 0};
  t.ns = 1;
  const std::string out = show_status_l2tpv3({t});
  EXPECT_EQ(out.substr(0, out.find("Version")),
            "------------------- L2TP INFORMATION -------------------\n"
            "Number of control table using\n"
            "Tunnel Control: 1, Session Control: 0\n"
            "TUNNEL[1]:\n"
            "Tunnel State: wait_ctl_reply\n");
  EXPECT_NE(out.find("Vendor: -\nHostname: -\n"), std::string::npos);
  EXPECT_NE(out.find("Tunnel has 0 sessions.\n"), std::string::npos);
}

TEST(L2tpV3Status, CountsPluralsAndDownCircuits) {
  LcceTunnelStatus t = seed_tunnel();
  t.sessions[0].peer_up = false;
  t.sessions[0].rx_packets = 31;
  t.sessions[0].rx_octets = 2450;
  t.sessions[0].tx_packets = 1;
  t.sessions[0].tx_octets = 1;
  const std::string out = format_tunnel_status(t);
  EXPECT_NE(out.find("Circuit Status local:UP peer:DOWN\n"), std::string::npos);
  EXPECT_NE(out.find("Received: 31 packets [2450 octets]\n"), std::string::npos);
  EXPECT_NE(out.find("Transmitted: 1 packet [1 octet]\n"), std::string::npos);
}

TEST(L2tpV3Status, OneTunnelOfSeveral) {
  LcceTunnelStatus t2 = seed_tunnel();
  t2.interface = 2;
  t2.ccid = 7;
  const std::string out = show_status_l2tpv3({seed_tunnel(), t2}, 2);
  EXPECT_NE(out.find("Tunnel Control: 2, Session Control: 2\n"), std::string::npos);
  EXPECT_EQ(out.find("TUNNEL[1]:"), std::string::npos);
  EXPECT_NE(out.find("TUNNEL[2]:\n"), std::string::npos);
  EXPECT_NE(out.find("Local Tunnel ID: 7\n"), std::string::npos);
}

}  // namespace
}  // namespace l2tpgw::cp::l2tp::v3
