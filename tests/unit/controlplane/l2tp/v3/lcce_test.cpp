// SPDX-License-Identifier: Apache-2.0
// Two L2TPv3 LCCEs (seed 001's YAMAHA01 and YAMAHA02, on documentation addresses) connected
// in-process through a fake network that can lose, duplicate, reorder and hold datagrams,
// on a manual clock (no sleeps); and a scripted peer for the refusals.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <set>

#include "controlplane/l2tp/v3/lcce.hpp"
#include "controlplane/l2tp/v3/status.hpp"

namespace l2tpgw::cp::l2tp::v3 {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint32_t kAddrA = 0xC0000201;  // 192.0.2.1: YAMAHA01's WAN side
constexpr uint32_t kAddrB = 0xC6336402;  // 198.51.100.2: YAMAHA02's
constexpr uint32_t kRouterA = 0xC0A86401, kRouterB = 0xC0A86402;  // 192.168.100.1 / .2
constexpr const char* kPassword = "test1234";

struct Net;

struct Node : LcceHooks {
  std::string name;
  uint32_t addr = 0;
  Net* net = nullptr;
  uint32_t next_sid = 0;
  std::set<uint32_t> sids;
  bool sids_exhausted = false;
  std::vector<std::string> info, debug;
  std::vector<PseudowireSession> up, down, changed;
  uint32_t lcg = 1;
  std::deque<uint64_t> scripted_u64;  // values for 8-octet draws (tie breakers), in order
  std::unique_ptr<Lcce> lcce;

  void send(uint16_t interface, const L2tpPeer& to, std::vector<uint8_t> d) override;
  std::optional<uint32_t> reserve_session_id(uint16_t) override {
    if (sids_exhausted) return std::nullopt;
    sids.insert(next_sid);
    return next_sid++;
  }
  void release_session_id(uint32_t id) override { EXPECT_EQ(sids.erase(id), 1u) << name; }
  void log_info(const std::string& l) override { info.push_back(l); }
  void log_debug(const std::string& l) override { debug.push_back(l); }
  void random_bytes(std::span<uint8_t> out) override {
    if (out.size() == 8 && !scripted_u64.empty()) {
      uint64_t v = scripted_u64.front();
      scripted_u64.pop_front();
      for (int i = 7; i >= 0; --i, v >>= 8) out[static_cast<size_t>(i)] = static_cast<uint8_t>(v);
      return;
    }
    for (uint8_t& b : out) {
      lcg = lcg * 1103515245u + 12345u;
      b = static_cast<uint8_t>(lcg >> 16);
    }
  }
  void session_up(const PseudowireSession& s) override { up.push_back(s); }
  void session_changed(const PseudowireSession& s) override { changed.push_back(s); }
  void session_down(const PseudowireSession& s) override { down.push_back(s); }

  bool has_info(const std::string& l) const { return std::find(info.begin(), info.end(), l) != info.end(); }
  bool has_debug(const std::string& l) const { return std::find(debug.begin(), debug.end(), l) != debug.end(); }
  bool logged_substring(const std::string& s) const {
    for (const auto* v : {&info, &debug})
      for (const auto& l : *v)
        if (l.find(s) != std::string::npos) return true;
    return false;
  }
};

struct Packet {
  uint32_t from, to;
  std::vector<uint8_t> bytes;
};

// Datagrams in flight between the nodes. `filter` decides each one's fate when it is sent.
struct Net {
  enum class Fate { Deliver, Drop, Duplicate, Hold };
  std::map<uint32_t, Node*> nodes;
  std::deque<Packet> wire, held;
  std::function<Fate(const Packet&)> filter;
  bool ipsec = false;       // datagrams arrive as if ESP-protected (sa_slot 1)
  bool reorder = false;     // deliver the second datagram in flight before the first
  size_t delivered = 0;
  std::vector<Packet> log;  // everything sent

  void send(Packet p) {
    log.push_back(p);
    const Fate f = filter ? filter(p) : Fate::Deliver;
    if (f == Fate::Drop) return;
    if (f == Fate::Hold) {
      held.push_back(std::move(p));
      return;
    }
    if (f == Fate::Duplicate) wire.push_back(p);
    wire.push_back(std::move(p));
  }
  void release_held() {
    for (auto& p : held) wire.push_back(std::move(p));
    held.clear();
  }
  // Delivers until nothing is in flight.
  void run(TimePoint now) {
    for (int guard = 0; !wire.empty() && guard < 100000; ++guard) {
      if (reorder && wire.size() >= 2) std::swap(wire[0], wire[1]);
      Packet p = std::move(wire.front());
      wire.pop_front();
      auto it = nodes.find(p.to);
      if (it == nodes.end() || !it->second->lcce) continue;
      ++delivered;
      it->second->lcce->on_control(p.bytes, L2tpPeer{p.from, 1701, ipsec ? 1u : 0u}, now);
    }
  }
};

void Node::send(uint16_t, const L2tpPeer& to, std::vector<uint8_t> d) {
  EXPECT_EQ(to.port, 1701);
  net->send(Packet{addr, to.addr, std::move(d)});
}

LcceTunnelConfig tunnel_config(uint32_t local, uint32_t remote, uint32_t rid, uint32_t peer_rid) {
  LcceTunnelConfig c;
  c.interface = 1;
  c.local_addr = local;
  c.remote_addr = remote;
  c.always_on = true;
  c.local_router_id = rid;
  c.remote_router_id = peer_rid;
  c.remote_end_id = "TESTEND";
  c.keepalive = true;
  c.keepalive_interval = 60;
  c.keepalive_count = 3;
  c.keepalive_log = true;
  c.syslog = true;
  return c;
}

struct LcceTest : ::testing::Test {
  Net net;
  Node a, b;
  TimePoint t{};
  LcceTunnelConfig ca = tunnel_config(kAddrA, kAddrB, kRouterA, kRouterB);
  LcceTunnelConfig cb = tunnel_config(kAddrB, kAddrA, kRouterB, kRouterA);

  void SetUp() override {
    setup(a, "A", kAddrA, 1000, 7);
    setup(b, "B", kAddrB, 2000, 99);
  }
  void setup(Node& n, const char* name, uint32_t addr, uint32_t first_sid, uint32_t seed) {
    n.name = name;
    n.addr = addr;
    n.net = &net;
    n.next_sid = first_sid;
    n.lcg = seed;
    n.lcce = std::make_unique<Lcce>(n, Lcce::Config{"RTX830", "YAMAHA Corporation"});
    net.nodes[addr] = &n;
  }
  // A node that restarts: a new LCCE in the same place, nothing of the old one kept.
  void restart(Node& n) {
    n.lcce.reset();
    n.sids.clear();
    n.lcce = std::make_unique<Lcce>(n, Lcce::Config{"RTX830", "YAMAHA Corporation"});
  }
  // Runs the clock up to `until`, one deadline at a time, delivering what is sent.
  void advance_to(TimePoint until) {
    net.run(t);
    for (int guard = 0; guard < 100000; ++guard) {
      std::optional<TimePoint> d;
      for (Node* n : {&a, &b}) {
        if (!n->lcce) continue;
        if (auto x = n->lcce->next_deadline(); x && (!d || *x < *d)) d = x;
      }
      if (!d || *d > until) break;
      t = std::max(t, *d);
      for (Node* n : {&a, &b})
        if (n->lcce) n->lcce->on_timer(t);
      net.run(t);
    }
    t = std::max(t, until);
    net.run(t);
  }
  void advance(Duration d) { advance_to(t + d); }
  bool both_up() const {
    return a.lcce->session(1).has_value() && b.lcce->session(1).has_value();
  }
  LcceTunnelStatus status(Node& n) {
    auto s = n.lcce->status(t);
    EXPECT_EQ(s.size(), 1u);
    return s.empty() ? LcceTunnelStatus{} : s[0];
  }
  // The pair agrees on everything the data messages depend on.
  void expect_matching_pseudowire() {
    const auto pa = a.lcce->session(1), pb = b.lcce->session(1);
    ASSERT_TRUE(pa && pb);
    EXPECT_EQ(pa->session_id, pb->peer_session_id);
    EXPECT_EQ(pb->session_id, pa->peer_session_id);
    EXPECT_EQ(pa->cookie, pb->peer_cookie);
    EXPECT_EQ(pb->cookie, pa->peer_cookie);
    EXPECT_EQ(pa->ccid, pb->peer_ccid);
    EXPECT_EQ(pb->ccid, pa->peer_ccid);
    EXPECT_EQ(pa->peer.addr, kAddrB);
    EXPECT_EQ(pb->peer.addr, kAddrA);
    EXPECT_EQ(pa->pw_type, kPwTypeEthernet);
    EXPECT_EQ(pb->pw_type, kPwTypeEthernet);
  }
};

TEST_F(LcceTest, OneStartsFirstAsInSeed001) {
  cb.always_on = false;  // YAMAHA02 only answers
  b.lcce->add_tunnel(cb, t);
  a.lcce->add_tunnel(ca, t);
  advance(seconds(1));
  ASSERT_TRUE(both_up());
  expect_matching_pseudowire();

  // What the data messages need: our session id is the hook's (a direct index), the cookies
  // are 8 random octets, and each end writes what the other one expects.
  const PseudowireSession& ua = a.up.at(0);
  const PseudowireSession& ub = b.up.at(0);
  EXPECT_EQ(ua.session_id, 1000u);
  EXPECT_EQ(ub.session_id, 2000u);
  EXPECT_EQ(ua.peer_session_id, 2000u);
  EXPECT_EQ(ub.peer_session_id, 1000u);
  EXPECT_EQ(ua.cookie.len, 8);
  EXPECT_EQ(ub.cookie.len, 8);
  EXPECT_NE(ua.cookie, ub.cookie);
  EXPECT_EQ(ua.peer_cookie, ub.cookie);
  EXPECT_EQ(ub.peer_cookie, ua.cookie);
  EXPECT_EQ(ua.tx_l2_sublayer, kL2SublayerNone);
  EXPECT_EQ(ua.local_addr, kAddrA);
  EXPECT_TRUE(ua.local_up && ua.peer_up && ub.local_up && ub.peer_up);

  // Seed 001's YAMAHA01 (the initiator) shows Ns 4, Nr 2: SCCRQ, SCCCN, ICRQ, ICCN sent,
  // SCCRP and ICRP received.
  const LcceTunnelStatus sa = status(a), sb = status(b);
  EXPECT_EQ(sa.state, "established");
  EXPECT_EQ(sa.ns, 4);
  EXPECT_EQ(sa.nr, 2);
  EXPECT_EQ(sb.ns, 2);
  EXPECT_EQ(sb.nr, 4);
  EXPECT_EQ(sa.peer_vendor, "YAMAHA Corporation");
  EXPECT_EQ(sa.peer_hostname, "RTX830");
  EXPECT_EQ(sa.peer_ccid, sb.ccid);
  ASSERT_EQ(sa.sessions.size(), 1u);
  EXPECT_EQ(sa.sessions[0].state, "established");
  EXPECT_TRUE(sa.sessions[0].local_up && sa.sessions[0].peer_up);

  // The seed 000 SYSLOG wording, TUNNEL[N] being `tunnel select N`.
  const std::string ta = std::to_string(sa.ccid), tb = std::to_string(sb.ccid);
  EXPECT_EQ(a.info, (std::vector<std::string>{"[L2TP] TUNNEL[1] tunnel " + ta + " established",
                                              "[L2TP] TUNNEL[1] session 1000 established"}));
  EXPECT_EQ(b.info, (std::vector<std::string>{"[L2TP] TUNNEL[1] connected from 192.0.2.1",
                                              "[L2TP] TUNNEL[1] tunnel " + tb + " established",
                                              "[L2TP] TUNNEL[1] session 2000 established"}));
  // `l2tp syslog on`: the DEBUG lines of seed 000, for L2TPv3's messages and AVPs.
  for (const std::string& l :
       {std::string("[L2TP] recv message AVPs :"), std::string("[L2TP] (0)message type SCCRQ"),
        std::string("[L2TP] (7)hostname RTX830"), std::string("[L2TP] (60)router id 192.168.100.1"),
        "[L2TP] (61)assigned connection id " + ta, std::string("[L2TP] (62)pseudowire capability 5"),
        std::string("[L2TP] recv SCCRQ in idle from 192.0.2.1"),
        std::string("[L2TP] set (0)message type SCCRP"), std::string("[L2TP] send SCCRP to 192.0.2.1"),
        std::string("[L2TP] recv SCCCN in wait_ctl_conn from 192.0.2.1"),
        std::string("[L2TP] send ZLB to 192.0.2.1"), std::string("[L2TP] recv ICRQ in idle from 192.0.2.1"),
        std::string("[L2TP] (66)remote end id TESTEND"), std::string("[L2TP] (68)pseudowire type 5"),
        std::string("[L2TP] (71)circuit status active new"),
        std::string("[L2TP] set (63)local session id 2000"),
        std::string("[L2TP] recv ICCN in wait_connect from 192.0.2.1")})
    EXPECT_TRUE(b.has_debug(l)) << l;
  EXPECT_TRUE(a.has_debug("[L2TP] send SCCRQ to 198.51.100.2"));
  EXPECT_TRUE(a.has_debug("[L2TP] recv SCCRP in wait_ctl_reply from 198.51.100.2"));
  EXPECT_TRUE(a.has_debug("[L2TP] recv ICRP in wait_reply from 198.51.100.2"));

  // Keepalive: a HELLO each minute, answered; nothing goes down.
  advance(seconds(61));
  EXPECT_TRUE(a.has_debug("[L2TP] keepalive HELLO send to 198.51.100.2"));
  EXPECT_TRUE(a.has_debug("[L2TP] recv ZLB from 198.51.100.2"));
  advance(seconds(600));
  EXPECT_TRUE(both_up());
  EXPECT_EQ(a.up.size(), 1u);
  EXPECT_TRUE(a.down.empty() && b.down.empty());
  EXPECT_EQ(a.lcce->stats().connections_established, 1u);
  EXPECT_EQ(a.lcce->stats().retransmit_failures, 0u);
  EXPECT_EQ(a.lcce->stats().keepalive_timeouts, 0u);
}

TEST_F(LcceTest, ShowStatusAfterSetUpHasTheSeedLayout) {
  cb.always_on = false;
  b.lcce->add_tunnel(cb, t);
  a.lcce->add_tunnel(ca, t);
  advance(seconds(56));
  const LcceTunnelStatus s = status(a);
  const std::string out = show_status_l2tpv3(a.lcce->status(t));
  const std::string want =
      "------------------- L2TP INFORMATION -------------------\n"
      "Number of control table using\n"
      "Tunnel Control: 1, Session Control: 1\n"
      "TUNNEL[1]:\n"
      "Tunnel State: established\n"
      "Version: L2TPv3\n"
      "Local Tunnel ID: " + std::to_string(s.ccid) + "\n"
      "Remote Tunnel ID: " + std::to_string(s.peer_ccid) + "\n"
      "Local IP Address: 192.0.2.1\n"
      "Remote IP Address: 198.51.100.2\n"
      "Local Src port: 1701\n"
      "Remote Src port: 1701\n"
      "Vendor: YAMAHA Corporation\n"
      "Hostname: RTX830\n"
      "Next Transmit sequence(Ns): 4\n"
      "Next Receive sequence(Nr) : 2\n"
      "Tunnel has 1 session.\n"
      "Session Information\n"
      "Session State: established\n"
      "Local Session ID: 1000\n"
      "Remote Session ID: 2000\n"
      "Circuit Status local:UP peer:UP\n"
      "56 seconds connection.\n"
      "Received: 0 packet [0 octet]\n"
      "Transmitted: 0 packet [0 octet]\n";
  EXPECT_EQ(out, want);
}

TEST_F(LcceTest, BothStartAtOnceMakeOneConnection) {
  // Both SCCRQs are on the wire before either arrives. A's tie breaker is lower: A wins.
  a.scripted_u64 = {0x1000};
  b.scripted_u64 = {0x2000};
  a.lcce->add_tunnel(ca, t);
  b.lcce->add_tunnel(cb, t);
  ASSERT_EQ(net.wire.size(), 2u);
  advance(seconds(2));
  ASSERT_TRUE(both_up());
  expect_matching_pseudowire();
  EXPECT_EQ(a.lcce->stats().collisions_won, 1u);
  EXPECT_EQ(b.lcce->stats().collisions_lost, 1u);
  EXPECT_EQ(a.lcce->connection_count(), 1u);
  EXPECT_EQ(b.lcce->connection_count(), 1u);
  // A initiated the surviving connection, so A called: its session id is the local one.
  EXPECT_EQ(a.up.at(0).session_id, 1000u);
  // The losing SCCRQ was refused with StopCCN (result 3) and that was acknowledged: after
  // the linger time only the one connection is left on each side, and it stays.
  advance(seconds(300));
  EXPECT_TRUE(both_up());
  EXPECT_EQ(a.up.size(), 1u);
  EXPECT_EQ(b.up.size(), 1u);
  EXPECT_TRUE(a.down.empty() && b.down.empty());
  EXPECT_EQ(a.lcce->stats().retransmit_failures + b.lcce->stats().retransmit_failures, 0u);
  EXPECT_EQ(a.lcce->stats().connections_established, 1u);
  EXPECT_EQ(b.lcce->stats().connections_established, 1u);
}

TEST_F(LcceTest, BothStartAtOnceTheOtherWins) {
  a.scripted_u64 = {0x9000};
  b.scripted_u64 = {0x0100};
  a.lcce->add_tunnel(ca, t);
  b.lcce->add_tunnel(cb, t);
  advance(seconds(2));
  ASSERT_TRUE(both_up());
  expect_matching_pseudowire();
  EXPECT_EQ(b.lcce->stats().collisions_won, 1u);
  EXPECT_EQ(a.lcce->stats().collisions_lost, 1u);
  EXPECT_EQ(b.up.at(0).session_id, 2000u);  // B called
  advance(seconds(300));
  EXPECT_EQ(a.up.size() + b.up.size(), 2u);
  EXPECT_TRUE(a.down.empty() && b.down.empty());
}

TEST_F(LcceTest, EqualTieBreakersBothStartAgain) {
  a.scripted_u64 = {0x4242};
  b.scripted_u64 = {0x4242};
  a.lcce->add_tunnel(ca, t);
  b.lcce->add_tunnel(cb, t);
  advance(seconds(30));
  EXPECT_EQ(a.lcce->stats().collisions_tied, 1u);
  EXPECT_EQ(b.lcce->stats().collisions_tied, 1u);
  ASSERT_TRUE(both_up());
  expect_matching_pseudowire();
  EXPECT_EQ(a.up.size() + b.up.size(), 2u);
}

TEST_F(LcceTest, CrossingSccrqArrivingLateDoesNotTearDown) {
  // B's SCCRQ is held in the network until A's connection is up (A won the tie breaker).
  a.scripted_u64 = {0x1000};
  b.scripted_u64 = {0x2000};
  net.filter = [&](const Packet& p) {
    const DecodeResult r = decode_control(p.bytes);
    return p.from == kAddrB && r.msg && r.msg->type == MessageType::SCCRQ ? Net::Fate::Hold
                                                                           : Net::Fate::Deliver;
  };
  a.lcce->add_tunnel(ca, t);
  b.lcce->add_tunnel(cb, t);
  advance(milliseconds(100));
  ASSERT_TRUE(both_up());
  net.filter = nullptr;
  net.release_held();
  advance(seconds(120));
  EXPECT_TRUE(both_up());
  EXPECT_EQ(a.up.size(), 1u);
  EXPECT_TRUE(a.down.empty() && b.down.empty());
  EXPECT_EQ(a.lcce->stats().collisions_won, 1u);
  EXPECT_EQ(a.lcce->stats().peer_restarts, 0u);
}

TEST_F(LcceTest, AuthenticatedConnection) {
  ca.auth = cb.auth = true;
  ca.secret = cb.secret = kPassword;
  cb.digest = DigestType::HmacSha1;  // each end picks its own hash; both are understood
  cb.always_on = false;
  b.lcce->add_tunnel(cb, t);
  a.lcce->add_tunnel(ca, t);
  advance(seconds(1));
  ASSERT_TRUE(both_up());
  expect_matching_pseudowire();
  advance(seconds(200));  // HELLOs, and their ACKs, all authenticated
  EXPECT_TRUE(both_up());
  EXPECT_EQ(a.lcce->stats().bad_digest + b.lcce->stats().bad_digest, 0u);
  // Every message carries a digest; acknowledgements are ACKs, never ZLBs (§6.15).
  const auto key = derive_shared_key(kPassword);
  size_t acks = 0;
  for (const Packet& p : net.log) {
    const DecodeResult r = decode_control(p.bytes);
    ASSERT_TRUE(r.msg);
    EXPECT_FALSE(r.msg->zlb);
    EXPECT_NE(r.msg->digest_at, 0u);
    EXPECT_EQ(p.bytes[r.msg->digest_at], p.from == kAddrA ? 0 : 1);  // MD5 from A, SHA-1 from B
    acks += r.msg->type == MessageType::ACK;
  }
  EXPECT_GT(acks, 0u);
  // The SCCRQ is digested over itself alone: it checks with the password.
  const ControlMessage rq = *decode_control(net.log.at(0).bytes).msg;
  ASSERT_EQ(rq.type, MessageType::SCCRQ);
  EXPECT_TRUE(verify_digest(net.log[0].bytes, rq, MessageAuth{DigestType::HmacMd5, key, {}, {}}));
  EXPECT_FALSE(a.logged_substring(kPassword) || b.logged_substring(kPassword));

  // A StopCCN forged in B's name, right in sequence, digested with another password: A
  // discards it without even acknowledging it.
  const LcceTunnelStatus sa = status(a);
  ControlBuilder forged(MessageType::StopCCN, sa.ccid);
  forged.result(1).u32(AvpType::AssignedControlConnectionId, sa.peer_ccid);
  forged.authenticate(MessageAuth{DigestType::HmacMd5, derive_shared_key("guess"), {}, {}});
  a.lcce->on_control(forged.finish(sa.nr, sa.ns), L2tpPeer{kAddrB, 1701, 0}, t);
  EXPECT_EQ(a.lcce->stats().bad_digest, 1u);
  EXPECT_EQ(status(a).nr, sa.nr);
  advance(seconds(120));
  EXPECT_TRUE(both_up());
  EXPECT_TRUE(a.down.empty());
}

TEST_F(LcceTest, WrongPasswordIsRefusedAndRetriedWithBackoff) {
  ca.auth = cb.auth = true;
  ca.secret = kPassword;
  cb.secret = "Test1234";
  cb.always_on = false;
  b.lcce->add_tunnel(cb, t);
  a.lcce->add_tunnel(ca, t);
  advance(seconds(1));
  EXPECT_FALSE(a.lcce->session(1));
  EXPECT_EQ(b.lcce->stats().auth_failed, 1u);
  ASSERT_FALSE(b.info.empty());
  EXPECT_EQ(b.info.at(0).rfind("[L2TP] authentication error tunnel ", 0), 0u) << b.info.at(0);
  EXPECT_EQ(b.lcce->stats().connections_established, 0u);
  // A acknowledged the refusal (to the connection id the StopCCN names): B sent it once.
  advance_to(TimePoint{} + seconds(4));
  size_t stops = 0;
  for (const Packet& p : net.log) {
    const DecodeResult r = decode_control(p.bytes);
    stops += p.from == kAddrB && r.msg && r.msg->type == MessageType::StopCCN;
  }
  EXPECT_EQ(stops, 1u);
  EXPECT_EQ(a.lcce->stats().connect_attempts, 1u);
  // A keeps trying, further and further apart (5, 10, 20, 40, 60, 60 s + < 1 s jitter).
  std::vector<uint64_t> attempts;
  for (int i = 0; i < 300; ++i) {
    advance(seconds(1));
    attempts.push_back(a.lcce->stats().connect_attempts);
  }
  EXPECT_GE(a.lcce->stats().connect_attempts, 6u);
  EXPECT_LE(a.lcce->stats().connect_attempts, 9u);
  EXPECT_EQ(a.lcce->stats().connections_established + b.lcce->stats().connections_established, 0u);
  EXPECT_GE(b.lcce->stats().auth_failed, 5u);
  for (const Node* n : {&a, &b}) {
    EXPECT_FALSE(n->logged_substring(kPassword)) << n->name;
    EXPECT_FALSE(n->logged_substring("Test1234")) << n->name;
  }
  // Once the passwords agree, the next attempt connects.
  cb.secret = kPassword;
  b.lcce->add_tunnel(cb, t);
  advance(seconds(70));
  EXPECT_TRUE(both_up());
}

TEST_F(LcceTest, MissingDigestIsRefused) {
  // B wants authentication; A sends none.
  cb.auth = true;
  cb.secret = kPassword;
  cb.always_on = false;
  b.lcce->add_tunnel(cb, t);
  a.lcce->add_tunnel(ca, t);
  advance(seconds(3));
  EXPECT_FALSE(a.lcce->session(1));
  EXPECT_GE(b.lcce->stats().auth_failed, 1u);
  EXPECT_EQ(b.lcce->stats().connections_established, 0u);
}

TEST_F(LcceTest, PeerWithoutAuthenticationIsRefusedByTheInitiator) {
  // A wants authentication; B has none and answers without a digest: A refuses the SCCRP.
  ca.auth = true;
  ca.secret = kPassword;
  cb.always_on = false;
  b.lcce->add_tunnel(cb, t);
  a.lcce->add_tunnel(ca, t);
  advance(seconds(3));
  EXPECT_FALSE(a.lcce->session(1));
  EXPECT_EQ(a.lcce->stats().auth_failed, 1u);
  EXPECT_EQ(a.lcce->stats().connections_established, 0u);
  EXPECT_GE(b.lcce->stats().stopccn_received, 1u);  // A said so with StopCCN (result 4)
}

TEST_F(LcceTest, LossDuplicationAndReordering) {
  uint32_t lcg = 4242;
  net.reorder = true;
  net.filter = [&](const Packet&) {
    lcg = lcg * 1103515245u + 12345u;
    const uint32_t r = (lcg >> 16) % 10;
    return r < 3 ? Net::Fate::Drop : r < 5 ? Net::Fate::Duplicate : Net::Fate::Deliver;
  };
  ca.auth = cb.auth = true;
  ca.secret = cb.secret = kPassword;
  a.lcce->add_tunnel(ca, t);
  b.lcce->add_tunnel(cb, t);
  for (int i = 0; i < 600 && !both_up(); ++i) advance(seconds(1));
  ASSERT_TRUE(both_up());
  expect_matching_pseudowire();
  // Keepalives through the same wire for ten minutes: 30% loss never adds up to 5 losses in
  // a row of one message here, so nothing goes down, and nothing was delivered twice.
  advance(seconds(600));
  EXPECT_TRUE(both_up());
  EXPECT_EQ(a.up.size() + b.up.size() - a.down.size() - b.down.size(), 2u);
  EXPECT_EQ(a.lcce->stats().bad_digest + b.lcce->stats().bad_digest, 0u);
  EXPECT_EQ(a.lcce->stats().malformed + b.lcce->stats().malformed, 0u);
}

TEST_F(LcceTest, PeerVanishesThenReturns) {
  cb.always_on = false;
  b.lcce->add_tunnel(cb, t);
  a.lcce->add_tunnel(ca, t);
  advance(seconds(1));
  ASSERT_TRUE(both_up());
  // The path between them breaks: the HELLO at 60 s goes unanswered, and after its five
  // retransmissions (1, 2, 4, 8, 8 s) the connection is dead at 91 s.
  net.filter = [](const Packet&) { return Net::Fate::Drop; };
  advance_to(TimePoint{} + seconds(90));
  EXPECT_TRUE(a.lcce->session(1));
  advance_to(TimePoint{} + seconds(92));
  EXPECT_FALSE(a.lcce->session(1));
  ASSERT_EQ(a.down.size(), 1u);
  EXPECT_EQ(a.down[0].session_id, 1000u);
  EXPECT_TRUE(a.sids.empty());
  EXPECT_EQ(a.lcce->stats().retransmit_failures, 1u);
  EXPECT_TRUE(a.has_info("[L2TP] TUNNEL[1] disconnect session 1000 complete"));
  // B notices too (its HELLO goes unanswered).
  EXPECT_FALSE(b.lcce->session(1));
  EXPECT_EQ(b.lcce->stats().retransmit_failures, 1u);
  // A keeps calling (always-on) while nothing answers, and shows it.
  const uint64_t tries = a.lcce->stats().connect_attempts;
  advance(seconds(200));
  EXPECT_GE(a.lcce->stats().connect_attempts, tries + 3);
  EXPECT_NE(status(a).state, "established");
  EXPECT_EQ(a.up.size(), 1u);
  // The path comes back: A's next try connects and the pseudowire is up again.
  net.filter = nullptr;
  advance(seconds(70));
  ASSERT_TRUE(both_up());
  expect_matching_pseudowire();
  EXPECT_EQ(a.up.size(), 2u);
}

TEST_F(LcceTest, PeerRestartsAndCallsAgain) {
  a.lcce->add_tunnel(ca, t);
  cb.always_on = false;
  b.lcce->add_tunnel(cb, t);
  advance(seconds(30));
  ASSERT_TRUE(both_up());
  const uint32_t old_ccid = status(a).ccid;
  // B restarts with always-on: its new SCCRQ replaces A's connection with the old B.
  restart(b);
  cb.always_on = true;
  b.lcce->add_tunnel(cb, t);
  advance(seconds(2));
  ASSERT_TRUE(both_up());
  expect_matching_pseudowire();
  EXPECT_EQ(a.lcce->stats().peer_restarts, 1u);
  EXPECT_EQ(a.down.size(), 1u);
  EXPECT_EQ(a.up.size(), 2u);
  EXPECT_NE(status(a).ccid, old_ccid);
  EXPECT_EQ(b.up.back().session_id, 2001u);
  EXPECT_EQ(status(a).ns, 2);  // A answered this time: the restarted B called
  EXPECT_EQ(status(a).nr, 4);
  advance(seconds(300));
  EXPECT_TRUE(both_up());
  EXPECT_EQ(a.lcce->connection_count(), 1u);
}

TEST_F(LcceTest, PeerRestartsWithTheSameConnectionId) {
  // B called; it restarts and, drawing the same random octets, picks the same Assigned
  // Control Connection ID: its new SCCRQ differs from the old one only by its tie breaker.
  ca.always_on = false;
  a.lcce->add_tunnel(ca, t);
  b.scripted_u64 = {0x1111};
  b.lcce->add_tunnel(cb, t);
  advance(seconds(30));
  ASSERT_TRUE(both_up());
  const uint32_t b_ccid = status(b).ccid;
  b.lcg = 99;
  restart(b);
  b.scripted_u64 = {0x2222};
  b.lcce->add_tunnel(cb, t);
  ASSERT_EQ(status(b).ccid, b_ccid);
  advance(seconds(2));
  ASSERT_TRUE(both_up());
  expect_matching_pseudowire();
  EXPECT_EQ(a.lcce->stats().peer_restarts, 1u);
  EXPECT_EQ(a.up.size(), 2u);
  EXPECT_EQ(a.down.size(), 1u);
}

TEST_F(LcceTest, StopCcnFromThePeerAndAlwaysOnReconnects) {
  a.lcce->add_tunnel(ca, t);
  cb.always_on = false;
  b.lcce->add_tunnel(cb, t);
  advance(seconds(1));
  ASSERT_TRUE(both_up());
  const std::string tb = std::to_string(status(b).ccid);
  b.lcce->disconnect(1, t, 6);
  net.run(t);
  EXPECT_FALSE(a.lcce->session(1));
  EXPECT_EQ(a.lcce->stats().stopccn_received, 1u);
  EXPECT_EQ(a.down.size(), 1u);
  EXPECT_EQ(b.down.size(), 1u);
  EXPECT_TRUE(b.has_info("[L2TP] TUNNEL[1] disconnecting tunnel " + tb));
  EXPECT_TRUE(b.has_info("[L2TP] TUNNEL[1] disconnect tunnel " + tb + " complete"));
  EXPECT_TRUE(a.has_debug("[L2TP] (1)result code 6"));
  // A (always-on) calls again after its back-off; B answers even though it is not
  // always-on itself.
  advance(seconds(4));
  EXPECT_FALSE(a.lcce->session(1));
  advance(seconds(3));
  ASSERT_TRUE(both_up());
  expect_matching_pseudowire();
}

TEST_F(LcceTest, CdnEndsTheSessionAndTheInitiatorCallsAgain) {
  a.lcce->add_tunnel(ca, t);
  cb.always_on = false;
  b.lcce->add_tunnel(cb, t);
  advance(seconds(1));
  ASSERT_TRUE(both_up());
  EXPECT_TRUE(b.lcce->disconnect_session(1, t));
  net.run(t);
  EXPECT_EQ(a.lcce->stats().cdn_received, 1u);
  ASSERT_EQ(a.down.size(), 1u);
  EXPECT_EQ(a.down[0].session_id, 1000u);
  EXPECT_EQ(b.down.size(), 1u);
  EXPECT_TRUE(a.sids.empty() && b.sids.empty());
  EXPECT_EQ(a.lcce->connection_count(), 1u);  // the control connection stays
  EXPECT_TRUE(a.has_info("[L2TP] TUNNEL[1] disconnect session 1000 complete"));
  advance(seconds(6));
  ASSERT_TRUE(both_up());
  expect_matching_pseudowire();
  EXPECT_EQ(a.up.back().session_id, 1001u);  // a new session id for the new call
}

TEST_F(LcceTest, CircuitStatusTravelsInSli) {
  a.lcce->add_tunnel(ca, t);
  cb.always_on = false;
  b.lcce->add_tunnel(cb, t);
  advance(seconds(1));
  ASSERT_TRUE(both_up());
  a.lcce->set_circuit_status(1, false, t);
  net.run(t);
  ASSERT_EQ(b.changed.size(), 1u);
  EXPECT_FALSE(b.changed[0].peer_up);
  EXPECT_FALSE(status(b).sessions.at(0).peer_up);
  EXPECT_FALSE(status(a).sessions.at(0).local_up);
  const std::string shown = show_status_l2tpv3(b.lcce->status(t));
  EXPECT_NE(shown.find("Circuit Status local:UP peer:DOWN"), std::string::npos) << shown;
  EXPECT_NE(show_status_l2tpv3(a.lcce->status(t)).find("Circuit Status local:DOWN peer:UP"),
            std::string::npos);
  a.lcce->set_circuit_status(1, true, t);
  net.run(t);
  ASSERT_EQ(b.changed.size(), 2u);
  EXPECT_TRUE(b.changed[1].peer_up);
}

TEST_F(LcceTest, CircuitDownBeforeTheCallIsAnnouncedInIcrq) {
  ca.circuit_up = false;
  a.lcce->add_tunnel(ca, t);
  cb.always_on = false;
  b.lcce->add_tunnel(cb, t);
  advance(seconds(1));
  ASSERT_TRUE(both_up());
  EXPECT_FALSE(b.up.at(0).peer_up);
  EXPECT_TRUE(b.has_debug("[L2TP] (71)circuit status inactive new"));
}

TEST_F(LcceTest, IpsecTunnelIgnoresPlainControlMessages) {
  ca.ipsec = cb.ipsec = true;
  cb.always_on = false;
  b.lcce->add_tunnel(cb, t);
  a.lcce->add_tunnel(ca, t);
  advance(seconds(5));
  // Seed 001's closing test: without IPsec the tunnel never comes up.
  EXPECT_FALSE(a.lcce->session(1));
  EXPECT_GE(b.lcce->stats().not_protected, 1u);
  EXPECT_EQ(status(a).state, "wait_ctl_reply");
  net.ipsec = true;
  advance(seconds(60));
  EXPECT_TRUE(both_up());
}

TEST_F(LcceTest, MalformedAndStrayMessagesAreCounted) {
  a.lcce->add_tunnel(ca, t);
  cb.always_on = false;
  b.lcce->add_tunnel(cb, t);
  advance(seconds(1));
  ASSERT_TRUE(both_up());
  const L2tpPeer from_b{kAddrB, 1701, 0};
  const uint32_t ccid = status(a).ccid;
  // Truncated, version 2, an AVP length below its header.
  const std::vector<uint8_t> truncated = {0xc8, 0x03, 0x00};
  a.lcce->on_control(truncated, from_b, t);
  auto hello = ControlBuilder(MessageType::HELLO, ccid).finish(100, 100);
  auto v2 = hello;
  v2[1] = 2;
  a.lcce->on_control(v2, from_b, t);
  auto short_avp = hello;
  short_avp[13] = 3;
  a.lcce->on_control(short_avp, from_b, t);
  EXPECT_EQ(a.lcce->stats().malformed, 3u);
  // An unknown connection id, a ZLB for no connection, the right id from another address.
  a.lcce->on_control(ControlBuilder(MessageType::HELLO, ccid + 1).finish(0, 0), from_b, t);
  a.lcce->on_control(ControlBuilder::zlb(0).finish(0, 0), from_b, t);
  a.lcce->on_control(hello, L2tpPeer{0xCB007101, 1701, 0}, t);
  EXPECT_EQ(a.lcce->stats().unknown_connection, 3u);
  // A SCCRQ from an address no tunnel names.
  ControlBuilder rq(MessageType::SCCRQ, 0);
  rq.text(AvpType::HostName, "x").u32(AvpType::RouterId, 1).u32(AvpType::AssignedControlConnectionId, 5)
      .u16(AvpType::PseudowireCapabilitiesList, 5);
  a.lcce->on_control(rq.finish(0, 0), L2tpPeer{0xCB007101, 1701, 0}, t);
  EXPECT_EQ(a.lcce->stats().no_tunnel, 1u);
  EXPECT_TRUE(a.has_debug("[L2TP] can't find tunnel number"));
  // A SCCRQ from B's address with another router id than `l2tp remote router-id`.
  a.lcce->on_control(rq.finish(0, 0), from_b, t);
  EXPECT_EQ(a.lcce->stats().router_id_mismatch, 1u);
  // None of it disturbed the pseudowire.
  net.run(t);
  advance(seconds(120));
  EXPECT_TRUE(both_up());
  EXPECT_TRUE(a.down.empty());
}

TEST_F(LcceTest, SccrqFloodIsBounded) {
  // SCCRQs that B refuses (no digest) each leave a connection lingering to be acknowledged:
  // past max_connections the rest are dropped, and the lingering ones go in time.
  cb.auth = true;
  cb.secret = kPassword;
  cb.always_on = false;
  b.lcce = std::make_unique<Lcce>(b, Lcce::Config{.max_connections = 16});
  b.lcce->add_tunnel(cb, t);
  for (uint32_t id = 1; id <= 100; ++id) {
    ControlBuilder rq(MessageType::SCCRQ, 0);
    rq.text(AvpType::HostName, "x").u32(AvpType::RouterId, kRouterA)
        .u32(AvpType::AssignedControlConnectionId, id).u16(AvpType::PseudowireCapabilitiesList, 5);
    b.lcce->on_control(rq.finish(0, 0), L2tpPeer{kAddrA, 1701, 0}, t);
  }
  EXPECT_EQ(b.lcce->stats().auth_failed, 16u);
  EXPECT_EQ(b.lcce->stats().too_many_connections, 84u);
  net.wire.clear();
  advance(seconds(60));
  EXPECT_FALSE(b.lcce->next_deadline());
  // Room again: a good peer connects.
  ca.auth = true;
  ca.secret = kPassword;
  a.lcce->add_tunnel(ca, t);
  advance(seconds(2));
  EXPECT_TRUE(both_up());
}

TEST_F(LcceTest, SessionIdsExhaustedThenAvailable) {
  b.sids_exhausted = true;
  a.lcce->add_tunnel(ca, t);
  cb.always_on = false;
  b.lcce->add_tunnel(cb, t);
  advance(seconds(1));
  EXPECT_FALSE(a.lcce->session(1));
  EXPECT_EQ(b.lcce->stats().no_session_id, 1u);
  EXPECT_EQ(b.lcce->connection_count(), 1u);
  EXPECT_EQ(a.lcce->stats().cdn_received, 1u);
  EXPECT_TRUE(a.sids.empty());
  b.sids_exhausted = false;
  advance(seconds(6));
  EXPECT_TRUE(both_up());
}

TEST_F(LcceTest, RemoveTunnelSendsStopCcn) {
  a.lcce->add_tunnel(ca, t);
  cb.always_on = false;
  b.lcce->add_tunnel(cb, t);
  advance(seconds(1));
  ASSERT_TRUE(both_up());
  EXPECT_TRUE(a.lcce->remove_tunnel(1, t));
  net.run(t);
  EXPECT_EQ(b.lcce->stats().stopccn_received, 1u);
  EXPECT_TRUE(a.lcce->status(t).empty());
  advance(seconds(120));
  EXPECT_EQ(a.lcce->connection_count(), 0u);
  EXPECT_FALSE(a.lcce->next_deadline());  // the lingering connection is gone too
  EXPECT_TRUE(a.sids.empty() && b.sids.empty());
}

// ---- a scripted peer: our LCCE as responder against hand-built messages ----

struct ScriptedPeer : ::testing::Test {
  Net net;
  Node gw;
  ReliableTransport tx;
  uint32_t my_ccid = 27105, gw_ccid = 0;
  std::vector<ControlMessage> got;
  TimePoint t{};
  LcceTunnelConfig cfg = tunnel_config(kAddrA, kAddrB, kRouterA, kRouterB);

  void SetUp() override {
    gw.name = "gw";
    gw.addr = kAddrA;
    gw.net = &net;
    gw.next_sid = 500;
    gw.lcce = std::make_unique<Lcce>(gw, Lcce::Config{});
    net.nodes[kAddrA] = &gw;
    cfg.always_on = false;
    gw.lcce->add_tunnel(cfg, t);
  }
  void send(const ControlBuilder& b) {
    tx.send(b, t);
    pump();
  }
  void pump() {
    for (auto& d : tx.take_output()) gw.lcce->on_control(d, L2tpPeer{kAddrB, 1701, 0}, t);
    for (int i = 0; i < 2; ++i) {
      auto answers = std::exchange(net.wire, {});
      for (auto& p : answers) {
        const DecodeResult r = decode_control(p.bytes);
        ASSERT_TRUE(r.msg) << to_string(r.error);
        EXPECT_EQ(r.msg->hdr.ccid, my_ccid);
        for (auto& m : tx.receive(*r.msg, t)) got.push_back(std::move(m));
      }
      tx.flush_ack();
      for (auto& d : tx.take_output()) gw.lcce->on_control(d, L2tpPeer{kAddrB, 1701, 0}, t);
    }
  }
  ControlBuilder sccrq() {
    ControlBuilder b(MessageType::SCCRQ, 0);
    b.text(AvpType::HostName, "RTX830").u32(AvpType::RouterId, kRouterB)
        .u32(AvpType::AssignedControlConnectionId, my_ccid)
        .u16(AvpType::PseudowireCapabilitiesList, kPwTypeEthernet);
    return b;
  }
  void connect() {
    send(sccrq());
    ASSERT_FALSE(got.empty());
    ASSERT_EQ(got.back().type, MessageType::SCCRP);
    gw_ccid = *got.back().u32(AvpType::AssignedControlConnectionId);
    tx.set_peer_tunnel_id(gw_ccid);
    send(ControlBuilder(MessageType::SCCCN, gw_ccid));
  }
  ControlBuilder icrq(uint16_t pw = kPwTypeEthernet, std::string_view end_id = "TESTEND") {
    ControlBuilder b(MessageType::ICRQ, gw_ccid);
    b.u32(AvpType::LocalSessionId, 25157).u32(AvpType::RemoteSessionId, 0)
        .u32(AvpType::SerialNumber, 1).u16(AvpType::PseudowireType, pw)
        .text(AvpType::RemoteEndId, end_id).u16(AvpType::CircuitStatus, kCircuitNew | kCircuitActive);
    return b;
  }
  uint16_t result_of(const ControlMessage& m) {
    const Avp* r = m.find(AvpType::ResultCode);
    return r && r->value.size() >= 2 ? static_cast<uint16_t>((r->value[0] << 8) | r->value[1]) : 0;
  }
};

TEST_F(ScriptedPeer, AnIcrqWithoutCookieGivesAPseudowireWithout) {
  connect();
  EXPECT_EQ(gw.lcce->connection_count(), 1u);
  send(icrq());
  ASSERT_EQ(got.back().type, MessageType::ICRP);
  const ControlMessage icrp = got.back();
  EXPECT_EQ(icrp.u32(AvpType::RemoteSessionId), 25157u);
  EXPECT_EQ(icrp.u32(AvpType::LocalSessionId), 500u);
  EXPECT_EQ(icrp.find(AvpType::AssignedCookie)->value.size(), 8u);
  EXPECT_EQ(icrp.u16(AvpType::CircuitStatus), kCircuitNew | kCircuitActive);
  ControlBuilder iccn(MessageType::ICCN, gw_ccid);
  iccn.u32(AvpType::LocalSessionId, 25157).u32(AvpType::RemoteSessionId, 500);
  send(iccn);
  ASSERT_EQ(gw.up.size(), 1u);
  EXPECT_EQ(gw.up[0].peer_cookie.len, 0);  // none assigned: data messages to it carry none
  EXPECT_EQ(gw.up[0].cookie.view().size(), 8u);
  EXPECT_EQ(std::vector<uint8_t>(gw.up[0].cookie.view().begin(), gw.up[0].cookie.view().end()),
            icrp.find(AvpType::AssignedCookie)->value);
}

TEST_F(ScriptedPeer, WrongPseudowireTypeGetsCdn14) {
  connect();
  send(icrq(kPwTypeEthernetVlan));
  ASSERT_EQ(got.back().type, MessageType::CDN);
  EXPECT_EQ(result_of(got.back()), 14);
  EXPECT_EQ(got.back().u32(AvpType::RemoteSessionId), 25157u);
  EXPECT_EQ(gw.lcce->stats().session_refused, 1u);
  EXPECT_TRUE(gw.sids.empty());
}

TEST_F(ScriptedPeer, UnknownRemoteEndIdGetsCdn) {
  connect();
  send(icrq(kPwTypeEthernet, "OTHER"));
  ASSERT_EQ(got.back().type, MessageType::CDN);
  EXPECT_EQ(result_of(got.back()), 2);
  EXPECT_EQ(gw.lcce->session_count(), 0u);
}

TEST_F(ScriptedPeer, UnknownMandatoryAvpInIcrqRefusesOnlyTheCall) {
  connect();
  ControlBuilder b = icrq();
  const uint8_t v[2] = {0, 1};
  b.raw(0, 50, v, true);
  send(b);
  // §5.2: the message is about a session, so the session (here: the call) ends, with CDN
  // to the peer's Local Session ID; the control connection stays.
  ASSERT_EQ(got.back().type, MessageType::CDN);
  EXPECT_EQ(got.back().find(AvpType::ResultCode)->value, (std::vector<uint8_t>{0, 2, 0, 8}));
  EXPECT_EQ(got.back().u32(AvpType::RemoteSessionId), 25157u);
  EXPECT_EQ(gw.lcce->stats().unknown_mandatory_avp, 1u);
  EXPECT_EQ(gw.lcce->connection_count(), 1u);
  EXPECT_TRUE(gw.sids.empty());
}

TEST_F(ScriptedPeer, UnknownMandatoryAvpInAnSliEndsTheSession) {
  connect();
  send(icrq());
  ControlBuilder iccn(MessageType::ICCN, gw_ccid);
  iccn.u32(AvpType::LocalSessionId, 25157).u32(AvpType::RemoteSessionId, 500);
  send(iccn);
  ASSERT_EQ(gw.up.size(), 1u);
  ControlBuilder sli(MessageType::SLI, gw_ccid);
  const uint8_t v[2] = {0, 1};
  sli.u32(AvpType::LocalSessionId, 25157).u32(AvpType::RemoteSessionId, 500)
      .u16(AvpType::CircuitStatus, 0).raw(0, 50, v, true);
  send(sli);
  ASSERT_EQ(got.back().type, MessageType::CDN);
  EXPECT_EQ(got.back().find(AvpType::ResultCode)->value,
            (std::vector<uint8_t>{0, 2, 0, 8}));  // general error: unknown mandatory AVP
  EXPECT_EQ(gw.down.size(), 1u);
  EXPECT_EQ(gw.lcce->connection_count(), 1u);
}

TEST_F(ScriptedPeer, UnknownMandatoryAvpInSccrqIsRefused) {
  ControlBuilder b = sccrq();
  const uint8_t v[2] = {0, 1};
  b.raw(0, 57, v, true);
  send(b);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back().type, MessageType::StopCCN);
  EXPECT_EQ(got.back().find(AvpType::ResultCode)->value, (std::vector<uint8_t>{0, 2, 0, 8}));
  EXPECT_EQ(gw.lcce->connection_count(), 0u);
}

TEST_F(ScriptedPeer, RetransmittedSccrqMakesNoSecondConnection) {
  send(sccrq());
  ASSERT_EQ(got.size(), 1u);
  // Our SCCRP is "lost" from the peer's point of view: it sends its SCCRQ again, Ns 0.
  const auto again = sccrq().finish(0, 0);
  gw.lcce->on_control(again, L2tpPeer{kAddrB, 1701, 0}, t);
  EXPECT_EQ(gw.lcce->connection_count(), 1u);
  EXPECT_EQ(gw.lcce->stats().peer_restarts, 0u);
}

TEST_F(ScriptedPeer, SilentPeerTimesOutInWaitCtlConn) {
  send(sccrq());
  tx = ReliableTransport{};  // the peer vanishes after its SCCRQ
  net.wire.clear();
  for (int i = 0; i < 100 && gw.lcce->connection_count(); ++i) {
    t = *gw.lcce->next_deadline();
    gw.lcce->on_timer(t);
    net.wire.clear();
  }
  EXPECT_EQ(gw.lcce->connection_count(), 0u);
  EXPECT_EQ(gw.lcce->stats().retransmit_failures + gw.lcce->stats().state_timeouts, 1u);
}

}  // namespace
}  // namespace l2tpgw::cp::l2tp::v3
