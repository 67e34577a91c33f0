// SPDX-License-Identifier: Apache-2.0
// The L2TPv2 LNS against a scripted LAC (its own ReliableTransport), on explicit times.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>

#include "controlplane/l2tp/lns.hpp"

namespace l2tpgw::cp::l2tp {
namespace {

using std::chrono::seconds;

constexpr uint32_t kClient = 0xCB00710A;  // 203.0.113.10

struct Hooks : LnsHooks {
  uint16_t interfaces = 3;                 // pp bind tunnel1-tunnel3
  std::set<uint16_t> bound;
  TunnelPolicy policy;
  uint16_t next_tid = 100, next_sid = 500;
  std::set<uint16_t> tids, sids;
  bool sids_exhausted = false;
  std::vector<std::vector<uint8_t>> out;
  std::vector<std::string> info, debug;
  std::vector<Session> up, down;
  uint64_t packets = 0;                    // what the dataplane counted for the sessions
  std::vector<uint16_t> unreachable;       // peer_unreachable's tunnel ids

  std::optional<TunnelPolicy> bind_tunnel(const L2tpPeer&) override {
    for (uint16_t i = 1; i <= interfaces; ++i) {
      if (bound.insert(i).second) {
        TunnelPolicy p = policy;
        p.interface = i;
        return p;
      }
    }
    return std::nullopt;
  }
  void unbind_tunnel(uint16_t i) override { EXPECT_EQ(bound.erase(i), 1u); }
  std::optional<uint16_t> reserve_tunnel_id() override { tids.insert(next_tid); return next_tid++; }
  void release_tunnel_id(uint16_t id) override { EXPECT_EQ(tids.erase(id), 1u); }
  std::optional<uint16_t> reserve_session_id() override {
    if (sids_exhausted) return std::nullopt;
    sids.insert(next_sid);
    return next_sid++;
  }
  void release_session_id(uint16_t id) override { EXPECT_EQ(sids.erase(id), 1u); }
  void send(const L2tpPeer& p, std::vector<uint8_t> d) override {
    EXPECT_EQ(p.addr, kClient);
    out.push_back(std::move(d));
  }
  void log_info(const std::string& l) override { info.push_back(l); }
  void log_debug(const std::string& l) override { debug.push_back(l); }
  void session_up(const Session& s) override { up.push_back(s); }
  void session_down(const Session& s) override { down.push_back(s); }
  uint64_t data_packets(uint16_t) override { return packets; }
  void peer_unreachable(uint16_t tid, const L2tpPeer& p) override {
    EXPECT_EQ(p.addr, kClient);
    unreachable.push_back(tid);
  }
};

// The client side: what xl2tpd / Windows send, through a transport of its own.
struct Lac {
  Lns& lns;
  Hooks& hooks;
  ReliableTransport tx;
  L2tpPeer peer{kClient, 1701, 7};
  uint16_t my_tid = 61471, gw_tid = 0;
  std::vector<ControlMessage> got;  // non-ZLB messages from the LNS, in order

  void send(const ControlBuilder& b, TimePoint now) {
    tx.send(b, now);
    pump(now);
  }
  // Delivers what the LAC has to send, then takes what the LNS answered.
  void pump(TimePoint now) {
    for (auto& d : tx.take_output()) lns.on_control(d, peer, now);
    auto answers = std::exchange(hooks.out, {});
    for (auto& d : answers) {
      DecodeResult r = decode_control(d, hooks.policy.secret);
      ASSERT_TRUE(r.msg) << to_string(r.error);
      EXPECT_EQ(r.msg->hdr.tunnel_id, my_tid);
      for (auto& m : tx.receive(*r.msg, now)) {
        if (m.type == MessageType::SCCRP) {  // from now on our header names its tunnel
          gw_tid = m.u16(AvpType::AssignedTunnelId).value_or(0);
          tx.set_peer_tunnel_id(gw_tid);
        }
        got.push_back(std::move(m));
      }
    }
    tx.flush_ack();
    for (auto& d : tx.take_output()) lns.on_control(d, peer, now);
    hooks.out.clear();  // ZLBs answering our ZLBs: none expected, none needed
  }
  ControlBuilder sccrq() const {
    ControlBuilder b(MessageType::SCCRQ, 0, 0);
    const uint8_t ver[2] = {1, 0};
    b.bytes(AvpType::ProtocolVersion, ver).text(AvpType::HostName, "anonymous")
        .u32(AvpType::FramingCapabilities, 3).u16(AvpType::AssignedTunnelId, my_tid)
        .u16(AvpType::ReceiveWindowSize, 1);
    return b;
  }
  void connect(TimePoint now) {
    send(sccrq(), now);
    ASSERT_FALSE(got.empty());
    ASSERT_EQ(got.back().type, MessageType::SCCRP);
    gw_tid = *got.back().u16(AvpType::AssignedTunnelId);
    tx.set_peer_tunnel_id(gw_tid);
    send(ControlBuilder(MessageType::SCCCN, gw_tid, 0), now);
  }
  uint16_t call(TimePoint now, uint16_t my_sid = 6819) {
    ControlBuilder icrq(MessageType::ICRQ, gw_tid, 0);
    icrq.u16(AvpType::AssignedSessionId, my_sid).u32(AvpType::CallSerialNumber, 1548737386);
    send(icrq, now);
    EXPECT_EQ(got.back().type, MessageType::ICRP);
    EXPECT_EQ(got.back().hdr.session_id, my_sid);
    const uint16_t sid = *got.back().u16(AvpType::AssignedSessionId);
    ControlBuilder iccn(MessageType::ICCN, gw_tid, sid);
    iccn.u32(AvpType::TxConnectSpeed, 100000000).u32(AvpType::FramingType, 3);
    send(iccn, now);
    return sid;
  }
};

struct LnsTest : ::testing::Test {
  Hooks hooks;
  Lns lns{hooks, Lns::Config{"l2tpgw", "l2tpgw", 0x100, 16, seconds(60), seconds(31)}};
  Lac lac{lns, hooks, ReliableTransport(ReliableConfig{})};
  TimePoint t{};
};

bool has(const std::vector<std::string>& lines, const std::string& l) {
  return std::find(lines.begin(), lines.end(), l) != lines.end();
}

TEST_F(LnsTest, DialInAsTheSeedLogsIt) {
  hooks.policy.syslog = true;
  lac.connect(t);
  const ControlMessage& sccrp = lac.got.at(0);
  EXPECT_EQ(sccrp.u16(AvpType::AssignedTunnelId), 100);
  EXPECT_EQ(sccrp.u32(AvpType::FramingCapabilities), 1u);
  EXPECT_EQ(sccrp.find(AvpType::HostName)->text(), "l2tpgw");
  EXPECT_EQ(sccrp.u16(AvpType::ReceiveWindowSize), 16);
  EXPECT_EQ(lns.tunnel_count(), 1u);
  const uint16_t sid = lac.call(t);
  EXPECT_EQ(sid, 500);
  ASSERT_EQ(hooks.up.size(), 1u);
  EXPECT_EQ(hooks.up[0].interface, 1);
  EXPECT_EQ(hooks.up[0].peer_session_id, 6819);
  EXPECT_EQ(hooks.up[0].peer_tunnel_id, 61471);
  EXPECT_EQ(hooks.info, (std::vector<std::string>{
                            "[L2TP] TUNNEL[1] connected from 203.0.113.10",
                            "[L2TP] TUNNEL[1] tunnel 100 established",
                            "[L2TP] TUNNEL[1] session 500 established"}));
  for (const char* l : {"[L2TP] recv message AVPs :", "[L2TP] (0)message type SCCRQ",
                        "[L2TP] (2)protocol version 1 revision 0", "[L2TP] (7)hostname anonymous",
                        "[L2TP] (9)assigned tunnel id 61471", "[L2TP] (10)receive window size 1",
                        "[L2TP] recv SCCRQ in idle from 203.0.113.10",
                        "[L2TP] set (0)message type SCCRP", "[L2TP] set (3)framing capability sync",
                        "[L2TP] set (9)assigned tunnel id 100", "[L2TP] send SCCRP to 203.0.113.10",
                        "[L2TP] recv SCCCN in wait_ctl_conn from 203.0.113.10",
                        "[L2TP] send ZLB to 203.0.113.10", "[L2TP] recv ICRQ in idle from 203.0.113.10",
                        "[L2TP] set (14)assigned session id 500",
                        "[L2TP] recv ICCN in wait_connect from 203.0.113.10",
                        "[L2TP] (24)tx connect speed 100Mbit/s"})
    EXPECT_TRUE(has(hooks.debug, l)) << l;

  // The client hangs up with StopCCN (result 6): everything goes, ids come back.
  ControlBuilder stop(MessageType::StopCCN, lac.gw_tid, 0);
  stop.u16(AvpType::AssignedTunnelId, lac.my_tid).result(6);
  lac.send(stop, t);
  EXPECT_TRUE(has(hooks.debug, "[L2TP] (9)assigned StopCCN tunnel id 61471"));
  EXPECT_TRUE(has(hooks.debug, "[L2TP] recv StopCCN in established from 203.0.113.10"));
  ASSERT_EQ(hooks.down.size(), 1u);
  EXPECT_EQ(hooks.info.at(3), "[L2TP] TUNNEL[1] disconnect session 500 complete");
  EXPECT_EQ(hooks.info.at(4), "[L2TP] TUNNEL[1] disconnect tunnel 100 complete");
  EXPECT_TRUE(hooks.bound.empty());
  EXPECT_TRUE(hooks.sids.empty());
  EXPECT_EQ(lns.tunnel_count(), 0u);
  // It lingers to acknowledge a retransmitted StopCCN, then the tunnel id is free again.
  EXPECT_EQ(hooks.tids.size(), 1u);
  lns.on_timer(t + seconds(32));
  EXPECT_TRUE(hooks.tids.empty());
}

TEST_F(LnsTest, RealXl2tpdSccrqIsAnswered) {
  // A captured SCCRQ of xl2tpd 1.3.18 (tests/vectors/l2tp/xl2tpd_sccrq.txt).
  std::ifstream f(L2TPGW_VECTOR_DIR "/l2tp/xl2tpd_sccrq.bin", std::ios::binary);
  const std::vector<uint8_t> sccrq{std::istreambuf_iterator<char>(f), {}};
  ASSERT_EQ(sccrq.size(), 102u);
  hooks.policy.syslog = true;
  lns.on_control(sccrq, lac.peer, t);
  ASSERT_EQ(hooks.out.size(), 1u);
  const DecodeResult r = decode_control(hooks.out[0], "");
  ASSERT_TRUE(r.msg);
  EXPECT_EQ(r.msg->type, MessageType::SCCRP);
  EXPECT_EQ(r.msg->hdr.tunnel_id, 14653);  // the Assigned Tunnel ID xl2tpd sent
  EXPECT_EQ(r.msg->hdr.nr, 1);
  EXPECT_TRUE(has(hooks.debug, "[L2TP] (7)hostname vmlab"));
  EXPECT_TRUE(has(hooks.debug, "[L2TP] (8)vendorname xelerance.com"));
  EXPECT_TRUE(has(hooks.debug, "[L2TP] (6)firmware revision 0x690"));
  EXPECT_EQ(hooks.info.at(0), "[L2TP] TUNNEL[1] connected from 203.0.113.10");
}

TEST_F(LnsTest, RetransmittedSccrqMakesNoSecondTunnel) {
  lac.send(lac.sccrq(), t);
  // The SCCRP is "lost": the LAC sends its SCCRQ again with the same Ns.
  const auto again = lac.sccrq().finish(0, 0);
  lns.on_control(again, lac.peer, t + seconds(1));
  EXPECT_EQ(lns.tunnel_count(), 1u);
  EXPECT_EQ(hooks.tids.size(), 1u);
}

TEST_F(LnsTest, NoFreeInterfaceIsLogged) {
  hooks.interfaces = 0;
  lac.send(lac.sccrq(), t);
  EXPECT_TRUE(lac.got.empty());
  EXPECT_TRUE(has(hooks.debug, "[L2TP] can't find valid pp interface"));
  EXPECT_EQ(lns.stats().no_interface, 1u);
}

TEST_F(LnsTest, TunnelAuthentication) {
  hooks.policy.auth = true;
  hooks.policy.secret = "tunnel-pass";
  const uint8_t chal[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  ControlBuilder rq = lac.sccrq();
  rq.bytes(AvpType::Challenge, chal);
  lac.send(rq, t);
  ASSERT_EQ(lac.got.size(), 1u);
  const ControlMessage& rp = lac.got[0];
  // MD5(0x02 | "tunnel-pass" | 01..10), computed with Python's hashlib.
  const std::vector<uint8_t> want = {0xad, 0x7d, 0x33, 0x49, 0xd6, 0x28, 0xb0, 0x5f,
                                     0xf7, 0x48, 0xfc, 0xce, 0x1d, 0xad, 0xec, 0x29};
  EXPECT_EQ(rp.find(AvpType::ChallengeResponse)->value, want);
  const Avp* our = rp.find(AvpType::Challenge);
  ASSERT_NE(our, nullptr);
  lac.gw_tid = *rp.u16(AvpType::AssignedTunnelId);
  lac.tx.set_peer_tunnel_id(lac.gw_tid);
  ControlBuilder cn(MessageType::SCCCN, lac.gw_tid, 0);
  cn.bytes(AvpType::ChallengeResponse, challenge_response(3, "wrong", our->value));
  lac.send(cn, t);
  EXPECT_TRUE(has(hooks.info, "[L2TP] authentication error tunnel 100"));
  ASSERT_EQ(lac.got.size(), 2u);
  EXPECT_EQ(lac.got[1].type, MessageType::StopCCN);
  EXPECT_EQ(lac.got[1].find(AvpType::ResultCode)->value[1], 4);  // Not authorized
  EXPECT_EQ(lns.stats().auth_failed, 1u);
}

TEST_F(LnsTest, TunnelAuthenticationSucceeds) {
  hooks.policy.auth = true;
  hooks.policy.secret = "tunnel-pass";
  const uint8_t chal[16] = {9};
  ControlBuilder rq = lac.sccrq();
  rq.bytes(AvpType::Challenge, chal);
  lac.send(rq, t);
  const ControlMessage& rp = lac.got.at(0);
  lac.gw_tid = *rp.u16(AvpType::AssignedTunnelId);
  lac.tx.set_peer_tunnel_id(lac.gw_tid);
  ControlBuilder cn(MessageType::SCCCN, lac.gw_tid, 0);
  cn.bytes(AvpType::ChallengeResponse, challenge_response(3, "tunnel-pass", rp.find(AvpType::Challenge)->value));
  lac.send(cn, t);
  EXPECT_TRUE(has(hooks.info, "[L2TP] TUNNEL[1] tunnel 100 established"));
}

// The types of the messages the LNS sent (ZLBs left out), and forgets them.
std::vector<MessageType> sent_types(Hooks& hooks) {
  std::vector<MessageType> types;
  for (const auto& d : std::exchange(hooks.out, {})) {
    DecodeResult r = decode_control(d, "");
    if (r.msg && !r.msg->zlb) types.push_back(r.msg->type);
  }
  return types;
}

TEST_F(LnsTest, KeepaliveCutsAVanishedClientCountIntervalsAfterItsUnansweredHello) {
  hooks.policy.keepalive_interval = 10;
  hooks.policy.keepalive_count = 3;
  hooks.policy.keepalive_log = true;
  lac.connect(t);
  lac.call(t);
  // The client answers the first two HELLOs (each interval, whether or not data flows) ...
  for (int i = 0; i < 2; ++i) {
    t += seconds(10);
    EXPECT_EQ(lns.next_deadline(), t);
    lns.on_timer(t);
    lac.pump(t);
    EXPECT_EQ(lac.got.back().type, MessageType::HELLO);
  }
  EXPECT_TRUE(has(hooks.debug, "[L2TP] keepalive HELLO send to 203.0.113.10"));
  EXPECT_FALSE(has(hooks.debug, "[L2TP] keepalive timeout count=3"));
  // ... then vanishes (Android without StopCCN) right after the third HELLO went out.
  t += seconds(10);
  const TimePoint unanswered = t;
  lns.on_timer(t);
  EXPECT_EQ(sent_types(hooks), std::vector<MessageType>{MessageType::HELLO});
  std::vector<MessageType> sent;
  while (lns.tunnel_count() == 1 && t < unanswered + seconds(100)) {
    t = *lns.next_deadline();
    lns.on_timer(t);
    for (MessageType m : sent_types(hooks)) sent.push_back(m);
  }
  // Three intervals of silence after the HELLO: cut.
  EXPECT_EQ(t, unanswered + seconds(30));
  EXPECT_EQ(lns.tunnel_count(), 0u);
  EXPECT_EQ(lns.stats().keepalive_timeouts, 1u);
  EXPECT_EQ(lns.stats().retransmit_failures, 0u);
  EXPECT_TRUE(has(hooks.info, "[L2TP] keepalive timer expired tunnel 100"));
  EXPECT_TRUE(has(hooks.info, "[L2TP] TUNNEL[1] disconnecting tunnel 100"));
  std::vector<std::string> countdown;
  for (const auto& l : hooks.debug)
    if (l.starts_with("[L2TP] keepalive timeout count=")) countdown.push_back(l.substr(31));
  EXPECT_EQ(countdown, (std::vector<std::string>{"3", "2", "1"}));
  // The HELLO is retransmitted meanwhile (§5.8: at +1, +3, +7, +15, +23 s), never a second
  // HELLO beside it; the StopCCN waits behind it (the client's receive window is 1).
  EXPECT_EQ(sent, std::vector<MessageType>(5, MessageType::HELLO));
  EXPECT_EQ(hooks.unreachable, std::vector<uint16_t>{100});
  EXPECT_EQ(hooks.down.size(), 1u);
  EXPECT_TRUE(hooks.sids.empty());
  // The interface is free for the client's next dial-in at once.
  EXPECT_TRUE(hooks.bound.empty());
}

TEST_F(LnsTest, KeepaliveLeavesAnAnsweringClientAlone) {
  hooks.policy.keepalive_interval = 2;
  hooks.policy.keepalive_count = 1;
  lac.connect(t);
  lac.call(t);
  for (int i = 0; i < 50; ++i) {
    t = *lns.next_deadline();
    lns.on_timer(t);
    lac.pump(t);
  }
  EXPECT_EQ(lns.tunnel_count(), 1u);
  EXPECT_EQ(lns.stats().keepalive_timeouts, 0u);
  EXPECT_TRUE(hooks.unreachable.empty());
}

TEST_F(LnsTest, RetransmissionLimitCutsTheTunnelAndReportsThePeer) {
  hooks.policy.keepalive = false;
  lac.connect(t);
  lac.call(t);
  ASSERT_TRUE(lns.disconnect_session(500, t));  // a CDN the client never acknowledges
  while (lns.tunnel_count() == 1 && t < TimePoint{} + seconds(100)) {
    t = *lns.next_deadline();
    lns.on_timer(t);
    hooks.out.clear();
  }
  EXPECT_EQ(lns.tunnel_count(), 0u);
  EXPECT_EQ(lns.stats().retransmit_failures, 1u);
  EXPECT_EQ(hooks.unreachable, std::vector<uint16_t>{100});
  EXPECT_TRUE(hooks.bound.empty());
}

// `l2tp tunnel disconnect time 60`: no data for 60 s cuts the tunnel. The counters are looked
// at every 10 s (a quarter of the limit, at most 10 s), so data is noticed to that precision.
TEST_F(LnsTest, DisconnectTimeCutsATunnelWithoutData) {
  hooks.policy.keepalive = false;  // the client is silent on the control channel too
  hooks.policy.disconnect_time = seconds(60);
  hooks.policy.syslog = true;
  lac.connect(t);
  lac.call(t);
  std::vector<TimePoint> looks;
  auto run_until = [&](TimePoint end) {
    while (lns.tunnel_count() == 1) {
      const auto next = lns.next_deadline();
      if (!next || *next > end) break;
      t = *next;
      looks.push_back(t);
      lns.on_timer(t);
      lac.pump(t);
    }
  };
  run_until(TimePoint{} + seconds(25));
  EXPECT_EQ(looks, (std::vector<TimePoint>{TimePoint{} + seconds(10), TimePoint{} + seconds(20)}));
  hooks.packets = 5;  // a ping at 25 s
  run_until(TimePoint{} + seconds(89));
  EXPECT_EQ(lns.tunnel_count(), 1u) << "data seen at the 30 s look: the tunnel lives to 90 s";
  run_until(TimePoint{} + seconds(200));
  EXPECT_EQ(lns.tunnel_count(), 0u);
  EXPECT_EQ(t, TimePoint{} + seconds(90));
  EXPECT_EQ(lns.stats().idle_disconnects, 1u);
  EXPECT_TRUE(has(hooks.info, "[L2TP] disconnect timer expired tunnel 100"));
  EXPECT_TRUE(has(hooks.info, "[L2TP] TUNNEL[1] disconnect tunnel 100 complete"));
  const ControlMessage* stop = nullptr;
  for (const auto& m : lac.got)
    if (m.type == MessageType::StopCCN) stop = &m;
  ASSERT_NE(stop, nullptr);
  EXPECT_EQ(stop->find(AvpType::ResultCode)->value[1], 1) << "general request to clear";
  EXPECT_EQ(hooks.down.size(), 1u);
  EXPECT_TRUE(hooks.unreachable.empty()) << "the client is alive: only the tunnel goes";
}

TEST_F(LnsTest, DisconnectTimeSparesATunnelWithData) {
  hooks.policy.keepalive = false;
  hooks.policy.disconnect_time = seconds(8);  // looked at every 2 s
  lac.connect(t);
  lac.call(t);
  for (int i = 0; i < 100; ++i) {
    t = *lns.next_deadline();
    if (i % 3 == 0) ++hooks.packets;  // data every third look: within the 8 s
    lns.on_timer(t);
    lac.pump(t);
  }
  EXPECT_EQ(lns.tunnel_count(), 1u);
  EXPECT_GE(t, TimePoint{} + seconds(150));
  EXPECT_EQ(lns.stats().idle_disconnects, 0u);
}

TEST_F(LnsTest, DisconnectTimeOffNeverLooks) {
  hooks.policy.keepalive = false;
  hooks.policy.disconnect_time = std::nullopt;  // l2tp tunnel disconnect time off
  lac.connect(t);
  lac.call(t);
  EXPECT_FALSE(lns.next_deadline()) << "nothing to wake up for";
  lns.on_timer(t + std::chrono::hours(24));
  EXPECT_EQ(lns.tunnel_count(), 1u);
}

TEST_F(LnsTest, UnknownMandatoryAvpInIcrqGetsCdn) {
  lac.connect(t);
  ControlBuilder icrq(MessageType::ICRQ, lac.gw_tid, 0);
  const uint8_t v[1] = {0};
  icrq.u16(AvpType::AssignedSessionId, 77).u32(AvpType::CallSerialNumber, 1).raw(0, 20, v, true);
  lac.send(icrq, t);
  // ICRQ has no session id of ours yet (header 0): the whole tunnel goes (§4.1).
  EXPECT_EQ(lac.got.back().type, MessageType::StopCCN);
  EXPECT_EQ(lns.stats().unknown_mandatory_avp, 1u);
}

TEST_F(LnsTest, SessionIdsExhaustedGetCdn) {
  lac.connect(t);
  hooks.sids_exhausted = true;
  ControlBuilder icrq(MessageType::ICRQ, lac.gw_tid, 0);
  icrq.u16(AvpType::AssignedSessionId, 77).u32(AvpType::CallSerialNumber, 1);
  lac.send(icrq, t);
  EXPECT_EQ(lac.got.back().type, MessageType::CDN);
  EXPECT_EQ(lac.got.back().find(AvpType::ResultCode)->value[1], 4);
  EXPECT_EQ(lns.tunnel_count(), 1u);
}

TEST_F(LnsTest, ClientCdnEndsOnlyThatSession) {
  lac.connect(t);
  const uint16_t s1 = lac.call(t, 11);
  const uint16_t s2 = lac.call(t, 12);
  ControlBuilder cdn(MessageType::CDN, lac.gw_tid, s1);
  cdn.result(3).u16(AvpType::AssignedSessionId, 11);
  lac.send(cdn, t);
  ASSERT_EQ(hooks.down.size(), 1u);
  EXPECT_EQ(hooks.down[0].session_id, s1);
  EXPECT_EQ(lns.session_count(), 1u);
  EXPECT_TRUE(hooks.sids.contains(s2));
}

TEST_F(LnsTest, ForgedTunnelIdFromAnotherSaIsIgnored) {
  lac.connect(t);
  L2tpPeer other{kClient, 1701, 99};
  ControlBuilder stop(MessageType::StopCCN, lac.gw_tid, 0);
  stop.u16(AvpType::AssignedTunnelId, 1).result(1);
  lns.on_control(stop.finish(1, 1), other, t);
  EXPECT_EQ(lns.tunnel_count(), 1u);
  EXPECT_EQ(lns.stats().unknown_tunnel, 1u);
}

TEST_F(LnsTest, SilentClientInWaitCtlConnTimesOut) {
  lac.send(lac.sccrq(), t);
  for (int i = 0; i < 50 && lns.tunnel_count(); ++i) {
    t = *lns.next_deadline();
    lns.on_timer(t);
    hooks.out.clear();
  }
  EXPECT_EQ(lns.tunnel_count(), 0u);
  EXPECT_TRUE(hooks.bound.empty());
}

}  // namespace
}  // namespace l2tpgw::cp::l2tp
