// SPDX-License-Identifier: Apache-2.0
// RemoteAccess end to end on a fake clock: a scripted LAC (RFC 2661 control over its own
// reliable transport) and a scripted PPP client (tests/unit/controlplane/ppp/ppp_client.hpp)
// dial in over an IPsec SA pair; the records land in a FakeInstaller when IPCP opens and
// leave when the call ends. Datagrams leave RemoteAccess as whole UDP datagrams, which the
// test takes apart as the dataplane's ESP peer would.
#include "controlplane/access/remote_access.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/byte_reader.hpp"
#include "common/tables/records.hpp"
#include "common/wire/l2tp.hpp"
#include "common/wire/ppp.hpp"
#include "common/wire/udp.hpp"
#include "controlplane/config/loader.hpp"
#include "controlplane/install/fake_installer.hpp"
#include "controlplane/l2tp/control_message.hpp"
#include "controlplane/l2tp/reliable.hpp"
#include "controlplane/log/log.hpp"
#include "tests/unit/controlplane/ppp/ppp_client.hpp"

namespace l2tpgw::cp::access {
namespace {

using l2tp::AvpType;
using l2tp::ControlBuilder;
using l2tp::ControlMessage;
using l2tp::MessageType;
using ppp::test::Frame;
using ppp::test::PppClient;
using Bytes = std::vector<uint8_t>;

// Seed 000's L2TP/IPsec block, addresses mapped to documentation ranges, two bound tunnels.
constexpr const char* kConfig = R"(ip lan1 address 192.0.2.1/24
pp select anonymous
 pp bind tunnel1-tunnel2
 pp auth request chap
 pp auth username l2tp_user1 l2tp_password1
 pp auth username l2tp_user2 l2tp_password2
 ppp ipcp ipaddress on
 ppp ipcp msext on
 ip pp remote address pool 192.0.2.200-192.0.2.201
 ip pp mtu 1258
 pp enable anonymous
tunnel select 1
 tunnel encapsulation l2tp
 ipsec tunnel 1
  ipsec sa policy 1 1 esp aes-cbc sha-hmac
  ipsec ike keepalive use 1 off
  ipsec ike nat-traversal 1 on
  ipsec ike pre-shared-key 1 text test-psk-not-secret
  ipsec ike remote address 1 any
 l2tp tunnel disconnect time off
 l2tp keepalive use on 10 3
 l2tp keepalive log on
 l2tp syslog on
 ip tunnel tcp mss limit auto
 tunnel enable 1
tunnel select 2
 tunnel encapsulation l2tp
 ipsec tunnel 2
  ipsec sa policy 2 2 esp aes-cbc sha-hmac
  ipsec ike nat-traversal 2 on
  ipsec ike pre-shared-key 2 text test-psk-not-secret
  ipsec ike remote address 2 any
 l2tp keepalive use on 10 3
 tunnel enable 2
ipsec transport 1 1 udp 1701
ipsec transport 2 2 udp 1701
dns server 192.0.2.53
l2tp service on
)";

constexpr uint32_t kClientA = 0xcb00710a;  // 203.0.113.10
constexpr uint32_t kClientB = 0xcb00710b;

struct Out {
  uint32_t slot_out;
  Bytes udp;
};

struct Link : RemoteAccessLink {
  std::deque<Out> out;
  bool refuse = false;
  bool send_esp(uint32_t slot_out, Bytes udp) override {
    if (refuse) return false;
    out.push_back({slot_out, std::move(udp)});
    return true;
  }
};

// One client: its SA pair, its LAC and its PPP stack.
struct Client {
  uint32_t addr;
  IpsecPair pair;
  l2tp::ReliableTransport tx{l2tp::ReliableConfig{}};
  uint16_t my_tid = 40001, gw_tid = 0, my_sid = 7001, gw_sid = 0;
  std::vector<ControlMessage> got;
  std::unique_ptr<PppClient> ppp;
  l2tp::L2tpPeer peer() const { return {addr, 1701, pair.slot_in}; }
};

struct RemoteAccessTest : ::testing::Test {
  void SetUp() override {
    log_capture(&log);
    auto r = config::load_config(kConfig);
    ASSERT_TRUE(r.ok()) << (r.diagnostics.empty() ? "" : r.diagnostics[0].message);
    ra.set_config(*r.config);
  }
  void TearDown() override { log_capture(nullptr); }

  IpsecPair install_pair(uint32_t peer_index, uint32_t addr) {
    tables::SaParams in;
    in.direction = tables::SaDirection::Inbound;
    in.peer_index = peer_index;
    in.peer_addr = addr;
    tables::SaParams out = in;
    out.direction = tables::SaDirection::Outbound;
    out.spi = 0x1000 + peer_index;
    IpsecPair p{peer_index, fake.add_sa(in).value, fake.add_sa(out).value};
    ra.ipsec_up(p);
    return p;
  }
  Client client(uint32_t peer_index, uint32_t addr) {
    Client c;
    c.addr = addr;
    c.pair = install_pair(peer_index, addr);
    return c;
  }

  // Everything RemoteAccess sent, to its client, until nothing moves; timers at `now` run.
  void pump(std::vector<Client*> clients) {
    for (int guard = 0; guard < 2000; ++guard) {
      bool moved = false;
      for (Client* c : clients) {
        for (auto& d : c->tx.take_output()) {
          ra.on_l2tp_control(d, c->peer());
          moved = true;
        }
        if (c->ppp) {
          while (!c->ppp->outbox().empty()) {
            Frame f = c->ppp->outbox().front();
            c->ppp->outbox().pop_front();
            ra.on_ppp(c->gw_tid, c->gw_sid, c->pair.slot_in, f.protocol, f.packet);
            moved = true;
          }
        }
      }
      if (!link.out.empty()) {
        Out o = link.out.front();
        link.out.pop_front();
        deliver(clients, o);
        moved = true;
      }
      timers.advance(std::chrono::milliseconds(0));
      if (!moved && link.out.empty()) return;
    }
    ADD_FAILURE() << "the exchange did not settle";
  }

  void deliver(std::vector<Client*>& clients, const Out& o) {
    if (deaf.contains(o.slot_out)) return;  // a client that vanished: nothing reaches it
    Client* c = nullptr;
    for (Client* x : clients)
      if (x->pair.slot_out == o.slot_out) c = x;
    ASSERT_NE(c, nullptr) << "sent with an outbound SA no client owns: " << o.slot_out;
    ByteReader r(o.udp.data(), o.udp.size());
    auto udp = wire::decode_udp(r);
    ASSERT_TRUE(udp);
    EXPECT_EQ(udp->src_port, 1701);
    EXPECT_EQ(udp->dst_port, 1701);
    EXPECT_EQ(udp->length, o.udp.size());
    std::span<const uint8_t> l2(o.udp.data() + 8, o.udp.size() - 8);
    auto h = wire::decode_l2tp_v2(ByteReader(l2.data(), l2.size()));
    ASSERT_TRUE(h);
    if (wire::l2tp_is_control(h->flags)) {
      l2tp::DecodeResult d = l2tp::decode_control(l2, "");
      ASSERT_TRUE(d.msg) << l2tp::to_string(d.error);
      EXPECT_EQ(d.msg->hdr.tunnel_id, c->my_tid);
      for (auto& m : c->tx.receive(*d.msg, timers.now())) c->got.push_back(std::move(m));
      c->tx.flush_ack();
      return;
    }
    // A data message: PPP for the client's session, named by the client's own ids.
    EXPECT_EQ(h->tunnel_id, c->my_tid);
    EXPECT_EQ(h->session_id, c->my_sid);
    ByteReader pr(l2.data() + h->header_len, h->payload_len);
    auto ppp = wire::decode_ppp(pr);
    ASSERT_TRUE(ppp);
    ASSERT_TRUE(c->ppp);
    const uint8_t* body = l2.data() + h->header_len + ppp->header_len;
    c->ppp->on_frame(Frame{ppp->protocol, Bytes(body, l2.data() + h->header_len + h->payload_len)});
  }

  const ControlMessage* last(Client& c, MessageType t) {
    for (auto it = c.got.rbegin(); it != c.got.rend(); ++it)
      if (it->type == t) return &*it;
    return nullptr;
  }

  // SCCRQ .. ICCN, then PPP to IPCP.
  void dial(Client& c, std::string user = "l2tp_user1", std::string password = "l2tp_password1") {
    ControlBuilder sccrq(MessageType::SCCRQ, 0, 0);
    const uint8_t ver[2] = {1, 0};
    sccrq.bytes(AvpType::ProtocolVersion, ver).text(AvpType::HostName, "vm-client")
        .u32(AvpType::FramingCapabilities, 3).u16(AvpType::AssignedTunnelId, c.my_tid);
    c.tx.send(sccrq, timers.now());
    pump({&c});
    const ControlMessage* sccrp = last(c, MessageType::SCCRP);
    if (!sccrp) return;  // the caller checks what came instead
    c.gw_tid = *sccrp->u16(AvpType::AssignedTunnelId);
    c.tx.set_peer_tunnel_id(c.gw_tid);
    c.tx.send(ControlBuilder(MessageType::SCCCN, c.gw_tid, 0), timers.now());
    ControlBuilder icrq(MessageType::ICRQ, c.gw_tid, 0);
    icrq.u16(AvpType::AssignedSessionId, c.my_sid).u32(AvpType::CallSerialNumber, 1);
    c.tx.send(icrq, timers.now());
    pump({&c});
    const ControlMessage* icrp = last(c, MessageType::ICRP);
    ASSERT_NE(icrp, nullptr);
    c.gw_sid = *icrp->u16(AvpType::AssignedSessionId);
    c.ppp = std::make_unique<PppClient>(ppp::test::linux_pppd(), user, password);
    c.ppp->start();
    ControlBuilder iccn(MessageType::ICCN, c.gw_tid, c.gw_sid);
    iccn.u32(AvpType::TxConnectSpeed, 100000000).u32(AvpType::FramingType, 3);
    c.tx.send(iccn, timers.now());
    pump({&c});
  }

  // `seconds` of one-second steps, the clients answering what reaches them.
  void run_for(int seconds, std::vector<Client*> clients, std::function<bool()> stop = {}) {
    for (int i = 0; i < seconds; ++i) {
      timers.advance(std::chrono::seconds(1));
      pump(clients);
      if (stop && stop()) return;
    }
  }

  // xl2tpd's `d`: StopCCN (result 1, general request), then the ZLB that acknowledges it.
  void hang_up(Client& c) {
    ControlBuilder stop(MessageType::StopCCN, c.gw_tid, 0);
    stop.u16(AvpType::AssignedTunnelId, c.my_tid).result(1);
    c.tx.send(stop, timers.now());
    pump({&c});
  }

  size_t calls(FakeInstaller::Op op, uint32_t id) const {
    size_t n = 0;
    for (const auto& c : fake.calls()) n += c.op == op && c.id == id;
    return n;
  }

  bool logged(const std::string& part) const {
    for (const std::string& l : log)
      if (l.find(part) != std::string::npos) return true;
    return false;
  }

  const InstalledSession* session(uint16_t id) {
    sessions_ = fake.sessions();
    for (const auto& s : sessions_)
      if (s.id == id) return &s;
    return nullptr;
  }

  std::vector<std::string> log;
  FakeInstaller fake{64};
  ppp::ManualTimers timers;
  ppp::SequenceRandom random{7};
  Link link;
  RemoteAccess ra{fake, timers, random, link, [this] { return timers.now(); }};
  std::vector<InstalledSession> sessions_;
  std::set<uint32_t> deaf;  // outbound SA slots whose client no longer answers
};

TEST_F(RemoteAccessTest, ClientDialsInAndIsInstalledWhenIpcpOpens) {
  Client c = client(3, kClientA);
  dial(c);
  ASSERT_TRUE(c.ppp);
  EXPECT_TRUE(c.ppp->auth_success);
  ASSERT_TRUE(c.ppp->ipcp_opened());
  const uint32_t addr = c.ppp->ipcp_values[3];
  EXPECT_TRUE(addr == 0xc00002c8 || addr == 0xc00002c9) << std::hex << addr;
  // The tables hold the tunnel under the id announced in SCCRP, the session under ICRP's.
  const auto tunnels = fake.tunnels();
  ASSERT_EQ(tunnels.size(), 1u);
  EXPECT_EQ(tunnels[0].id, c.gw_tid);
  EXPECT_EQ(tunnels[0].peer_tunnel_id, c.my_tid);
  EXPECT_EQ(tunnels[0].sa_out, c.pair.slot_out);
  EXPECT_EQ(tunnels[0].peer_index, 3u);
  const InstalledSession* s = session(c.gw_sid);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->tunnel_id, c.gw_tid);
  EXPECT_EQ(s->peer_session_id, c.my_sid);
  EXPECT_EQ(s->client_addr, addr);
  EXPECT_EQ(s->mtu, 1258) << "min(ip pp mtu, the client's MRU 1410)";
  EXPECT_EQ(s->tcp_mss, 1218) << "ip tunnel tcp mss limit auto: MTU - 40";
  EXPECT_EQ(s->ppp_tx_flags, tables::kPppTxAcfc | tables::kPppTxPfc);
  EXPECT_EQ(ra.counters().sessions_installed, 1u);
  const auto pp = ra.pp_status();
  ASSERT_EQ(pp.size(), 1u);
  EXPECT_EQ(pp[0].username, "l2tp_user1");
  EXPECT_EQ(pp[0].interface, 1);
  const auto st = ra.l2tp_status();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].state, "established");
}

TEST_F(RemoteAccessTest, WrongPasswordEndsTheCallWithCdnAndInstallsNothing) {
  Client c = client(3, kClientA);
  dial(c, "l2tp_user1", "not-the-password");
  ASSERT_TRUE(c.ppp);
  EXPECT_TRUE(c.ppp->auth_failure);
  EXPECT_TRUE(fake.sessions().empty());
  const ControlMessage* cdn = last(c, MessageType::CDN);
  ASSERT_NE(cdn, nullptr) << "PPP closed: the LNS ends the L2TP session";
  EXPECT_EQ(ra.call_count(), 0u);
  for (const std::string& l : log) EXPECT_EQ(l.find("not-the-password"), std::string::npos) << l;
  // The tunnel stays; the same client dials again with the right password.
  c.my_sid = 7002;
  ControlBuilder icrq(MessageType::ICRQ, c.gw_tid, 0);
  icrq.u16(AvpType::AssignedSessionId, c.my_sid).u32(AvpType::CallSerialNumber, 2);
  c.tx.send(icrq, timers.now());
  pump({&c});
  c.gw_sid = *last(c, MessageType::ICRP)->u16(AvpType::AssignedSessionId);
  c.ppp = std::make_unique<PppClient>(ppp::test::linux_pppd(), "l2tp_user1", "l2tp_password1");
  c.ppp->start();
  ControlBuilder iccn(MessageType::ICCN, c.gw_tid, c.gw_sid);
  iccn.u32(AvpType::TxConnectSpeed, 100000000).u32(AvpType::FramingType, 3);
  c.tx.send(iccn, timers.now());
  pump({&c});
  EXPECT_TRUE(c.ppp->ipcp_opened());
  EXPECT_NE(session(c.gw_sid), nullptr);
}

TEST_F(RemoteAccessTest, PppNamingAnotherClientsSessionIsRefused) {
  Client a = client(3, kClientA);
  Client b = client(4, kClientB);
  b.my_tid = 40002;
  dial(a);
  ASSERT_TRUE(a.ppp && a.ppp->ipcp_opened());
  // b's SA carries an LCP Terminate-Request naming a's ids.
  const Bytes term = ppp::test::packet(5, 1, {});
  ra.on_ppp(a.gw_tid, a.gw_sid, b.pair.slot_in, 0xc021, term);
  EXPECT_EQ(ra.counters().ppp_wrong_peer, 1u);
  EXPECT_NE(session(a.gw_sid), nullptr) << "a's session is undisturbed";
  ra.on_ppp(a.gw_tid, 999, a.pair.slot_in, 0xc021, term);
  EXPECT_EQ(ra.counters().ppp_unknown_session, 1u);
}

TEST_F(RemoteAccessTest, EveryBoundTunnelTakenRefusesTheNextClient) {
  Client a = client(3, kClientA);
  Client b = client(4, kClientB);
  Client c = client(5, 0xcb00710c);
  b.my_tid = 40002;
  c.my_tid = 40003;
  dial(a);
  dial(b, "l2tp_user2", "l2tp_password2");
  ASSERT_TRUE(b.ppp && b.ppp->ipcp_opened());
  dial(c);
  EXPECT_EQ(last(c, MessageType::SCCRP), nullptr) << "no tunnel is offered";
  EXPECT_EQ(ra.counters().no_interface, 1u);
  bool logged = false;
  for (const std::string& l : log) logged |= l.find("no tunnel bound to pp anonymous is free") != std::string::npos;
  EXPECT_TRUE(logged);
  EXPECT_EQ(fake.sessions().size(), 2u);
}

TEST_F(RemoteAccessTest, LosingTheSaPairTearsDownL2tpPppAndTheRecords) {
  Client c = client(3, kClientA);
  dial(c);
  ASSERT_TRUE(c.ppp && c.ppp->ipcp_opened());
  ra.ipsec_down(c.pair);
  fake.del_sa(c.pair.slot_in);
  fake.del_sa(c.pair.slot_out);
  EXPECT_TRUE(fake.sessions().empty());
  EXPECT_TRUE(fake.tunnels().empty()) << "the tunnel record and its id go at once";
  EXPECT_EQ(ra.call_count(), 0u);
  EXPECT_TRUE(ra.l2tp_status().empty());
  EXPECT_TRUE(link.out.empty()) << "nothing is sent for a client without SAs";
  // Its tunnel interface and address are free again: two new clients (the pool holds two
  // addresses, the pp two tunnels) both get in, on SA slots the first client had.
  Client d = client(6, kClientB);
  Client e = client(7, 0xcb00710c);
  d.my_tid = 40009;
  e.my_tid = 40010;
  dial(d);
  dial(e, "l2tp_user2", "l2tp_password2");
  ASSERT_TRUE(d.ppp && d.ppp->ipcp_opened());
  ASSERT_TRUE(e.ppp && e.ppp->ipcp_opened());
  EXPECT_EQ(fake.sessions().size(), 2u);
}

TEST_F(RemoteAccessTest, RekeyMovesTheTunnelToTheNewOutboundSa) {
  Client c = client(3, kClientA);
  dial(c);
  ASSERT_TRUE(c.ppp && c.ppp->ipcp_opened());
  IpsecPair old = c.pair;
  IpsecPair fresh = install_pair(3, kClientA);  // same peering, new SAs
  EXPECT_EQ(fake.tunnels()[0].sa_out, fresh.slot_out);
  EXPECT_EQ(ra.counters().rekeys, 1u);
  // A control message still in flight under the old SA is the client's.
  auto hello = [&](uint32_t slot_in) {
    c.tx.send(ControlBuilder(MessageType::HELLO, c.gw_tid, 0), timers.now());
    for (auto& d : c.tx.take_output()) ra.on_l2tp_control(d, l2tp::L2tpPeer{kClientA, 1701, slot_in});
  };
  const uint64_t unknown = ra.lns_stats().unknown_tunnel;
  hello(old.slot_in);
  ASSERT_FALSE(link.out.empty()) << "the ZLB for a HELLO under the old SA";
  EXPECT_EQ(link.out.back().slot_out, fresh.slot_out) << "the LNS's messages take the new SA";
  link.out.clear();
  ra.ipsec_down(old);
  EXPECT_NE(session(c.gw_sid), nullptr) << "the old pair going does not end the call";
  // The client's kernel sends under the new SA now: its messages (the ZLBs for our HELLOs
  // too) belong to the tunnel it set up under the old one.
  c.pair = fresh;
  hello(fresh.slot_in);
  ASSERT_FALSE(link.out.empty()) << "the ZLB for a HELLO under the new SA";
  EXPECT_EQ(link.out.back().slot_out, fresh.slot_out);
  EXPECT_EQ(ra.lns_stats().unknown_tunnel, unknown);
  // Another client's SA does not speak for this tunnel.
  Client other = client(9, kClientB);
  link.out.clear();
  hello(other.pair.slot_in);
  EXPECT_TRUE(link.out.empty());
  EXPECT_EQ(ra.lns_stats().unknown_tunnel, unknown + 1);
}

// `load config` (issue 3): a reload ends only the calls it no longer allows.
TEST_F(RemoteAccessTest, ReloadEndsOnlyTheCallsItNoLongerAllows) {
  Client a = client(3, kClientA);  // takes TUNNEL[1]
  Client b = client(4, kClientB);  // takes TUNNEL[2]
  b.my_tid = 40002;
  dial(a);
  dial(b, "l2tp_user2", "l2tp_password2");
  ASSERT_TRUE(a.ppp && a.ppp->ipcp_opened());
  ASSERT_TRUE(b.ppp && b.ppp->ipcp_opened());
  auto reload = [&](const std::string& text) {
    auto r = config::load_config(text);
    ASSERT_TRUE(r.ok()) << (r.diagnostics.empty() ? "" : r.diagnostics[0].message);
    ra.set_config(*r.config);
    pump({&a, &b});
  };
  auto replaced = [](std::string text, const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
    return text;
  };
  // A change that concerns no running call (DNS server, tunnel 1's keepalive) ends none.
  std::string cfg = replaced(kConfig, "dns server 192.0.2.53", "dns server 192.0.2.54");
  cfg = replaced(cfg, " l2tp keepalive use on 10 3\n l2tp keepalive log on",
                 " l2tp keepalive use on 20 3\n l2tp keepalive log on");
  reload(cfg);
  EXPECT_EQ(ra.counters().reload_disconnects, 0u);
  EXPECT_EQ(ra.call_count(), 2u);
  EXPECT_EQ(fake.sessions().size(), 2u);
  // TUNNEL[1] no longer bound to the pp: its call ends with StopCCN; TUNNEL[2]'s goes on.
  reload(replaced(cfg, "pp bind tunnel1-tunnel2", "pp bind tunnel2"));
  EXPECT_EQ(ra.counters().reload_disconnects, 1u);
  EXPECT_NE(last(a, MessageType::StopCCN), nullptr);
  EXPECT_EQ(last(b, MessageType::StopCCN), nullptr);
  EXPECT_EQ(ra.call_count(), 1u);
  EXPECT_EQ(session(a.gw_sid), nullptr);
  EXPECT_NE(session(b.gw_sid), nullptr);
  EXPECT_TRUE(logged("[L2TP] TUNNEL[1] is no longer configured for L2TP"));
  // `tunnel disable 2` ends the other.
  reload(replaced(cfg, " tunnel enable 2", " tunnel disable 2"));
  EXPECT_EQ(ra.counters().reload_disconnects, 2u);
  EXPECT_NE(last(b, MessageType::StopCCN), nullptr);
  EXPECT_EQ(ra.call_count(), 0u);
  EXPECT_TRUE(fake.sessions().empty());
}

TEST_F(RemoteAccessTest, HangUpRemovesEveryRecordAtOnceAndReturnsTheAddress) {
  Client a = client(3, kClientA);
  dial(a);
  ASSERT_TRUE(a.ppp && a.ppp->ipcp_opened());
  const uint32_t first = a.ppp->ipcp_values[3];
  EXPECT_EQ(first, 0xc00002c8u) << "the first client gets the pool's first address";
  hang_up(a);
  // The control connection lingers to acknowledge a retransmitted StopCCN (RFC 2661 §5.7),
  // but nothing of the client is shown or forwarded any more.
  EXPECT_TRUE(ra.l2tp_status().empty());
  EXPECT_TRUE(ra.pp_status().empty());
  EXPECT_EQ(ra.call_count(), 0u);
  EXPECT_TRUE(fake.sessions().empty());
  EXPECT_TRUE(fake.tunnels().empty()) << "the tunnel record goes with the control connection";
  EXPECT_EQ(calls(FakeInstaller::Op::RetireTunnel, a.gw_tid), 1u);
  EXPECT_EQ(calls(FakeInstaller::Op::ReleaseTunnelId, a.gw_tid), 0u) << "its id is still ours";
  // Two more clients fit at once: the pool holds two addresses and the hang-up gave one back
  // (next-fit: the second client takes the other address first, the third the returned one).
  Client b = client(4, kClientB);
  Client c = client(5, 0xcb00710c);
  b.my_tid = 40002;
  c.my_tid = 40003;
  dial(b, "l2tp_user2", "l2tp_password2");
  dial(c);
  ASSERT_TRUE(b.ppp && b.ppp->ipcp_opened());
  ASSERT_TRUE(c.ppp && c.ppp->ipcp_opened());
  EXPECT_EQ(c.ppp->ipcp_values[3], first);
  EXPECT_NE(b.gw_tid, a.gw_tid);
  EXPECT_NE(c.gw_tid, a.gw_tid) << "a lingering tunnel's id is not handed out";
  // After the linger the id comes back.
  run_for(32, {&b, &c});
  EXPECT_EQ(calls(FakeInstaller::Op::ReleaseTunnelId, a.gw_tid), 1u);
  EXPECT_EQ(fake.tunnels().size(), 2u);
}

// Seed 000's fixed-address client: `pp select 2` bound to tunnel1 alone, whose endpoint is the
// client's address, with `ip pp remote address` (no pool), MS-CHAPv2.
constexpr const char* kFixedConfig = R"(ip lan1 address 192.0.2.1/24
pp select 2
 pp bind tunnel1
 pp auth request mschap-v2
 pp auth username l2tp_user1 l2tp_password1
 ppp ipcp ipaddress on
 ppp ipcp msext on
 ip pp remote address 192.0.2.50
 pp enable 2
tunnel select 1
 tunnel encapsulation l2tp
 tunnel endpoint address 203.0.113.10
 ipsec tunnel 101
  ipsec sa policy 101 1 esp aes-cbc sha-hmac
  ipsec ike pre-shared-key 1 text test-psk-not-secret
  ipsec ike remote address 1 203.0.113.10
 l2tp keepalive use on 10 3
 tunnel enable 1
ipsec transport 1 101 udp 1701
ipsec auto refresh on
l2tp service on
)";

TEST_F(RemoteAccessTest, FixedPeerGetsItsPpAndAddressAndNobodyElseDoes) {
  auto r = config::load_config(kFixedConfig);
  ASSERT_TRUE(r.ok()) << (r.diagnostics.empty() ? "" : r.diagnostics[0].message);
  ra.set_config(*r.config);
  Client a = client(3, kClientA);
  dial(a);
  ASSERT_TRUE(a.ppp && a.ppp->ipcp_opened());
  EXPECT_EQ(a.ppp->ipcp_values[3], 0xc0000232u) << "ip pp remote address 192.0.2.50";
  const auto pp = ra.pp_status();
  ASSERT_EQ(pp.size(), 1u);
  EXPECT_EQ(pp[0].pp, 2);
  EXPECT_EQ(pp[0].interface, 1);
  EXPECT_EQ(ra.numbered_pp_tunnels(), (std::map<uint16_t, uint16_t>{{a.gw_tid, 2}}));
  // Another address is not tunnel1's endpoint, and there is no anonymous pp to fall back on.
  Client b = client(4, kClientB);
  b.my_tid = 40002;
  dial(b);
  EXPECT_EQ(last(b, MessageType::SCCRP), nullptr);
  EXPECT_EQ(ra.counters().no_interface, 1u);
  EXPECT_TRUE(logged("no free tunnel for 203.0.113.11: it is no numbered pp's tunnel endpoint"));
  EXPECT_EQ(fake.sessions().size(), 1u);
  // The hang-up frees tunnel1 and the address at once (the closed control connection only
  // lingers): the re-dial gets both again.
  hang_up(a);
  EXPECT_TRUE(fake.sessions().empty());
  Client again;  // a new control connection over the same SA pair
  again.addr = kClientA;
  again.pair = a.pair;
  again.my_tid = 40003;
  dial(again);
  ASSERT_TRUE(again.ppp && again.ppp->ipcp_opened());
  EXPECT_EQ(again.ppp->ipcp_values[3], 0xc0000232u);
  EXPECT_EQ(fake.sessions().size(), 1u);
}

TEST_F(RemoteAccessTest, VanishedClientIsCutByKeepaliveAndLosesItsIpsec) {
  // IKE's side, as IkeService does it: Delete, then child_down for the pair.
  std::vector<uint32_t> dropped;
  std::map<uint32_t, IpsecPair> pairs;
  ra.set_drop_peer([&](uint32_t peer_index) {
    dropped.push_back(peer_index);
    const IpsecPair p = pairs.at(peer_index);
    fake.del_sa(p.slot_in);
    fake.del_sa(p.slot_out);
    ra.ipsec_down(p);
  });
  Client a = client(3, kClientA);  // TUNNEL[1]: keepalive 10 s x 3, disconnect time off
  Client b = client(4, kClientB);  // TUNNEL[2]: keepalive 10 s x 3, stays and answers
  b.my_tid = 40002;
  pairs[3] = a.pair;
  pairs[4] = b.pair;
  dial(a);
  dial(b, "l2tp_user2", "l2tp_password2");
  ASSERT_TRUE(a.ppp && a.ppp->ipcp_opened());
  ASSERT_TRUE(b.ppp && b.ppp->ipcp_opened());
  const TimePoint vanished = timers.now();
  deaf.insert(a.pair.slot_out);  // a is gone without StopCCN; b is still there
  int took = -1;
  run_for(60, {&a, &b}, [&] {
    took = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(timers.now() - vanished).count());
    return ra.l2tp_status().size() == 1;
  });
  // The HELLO at 10 s goes unanswered; three silent intervals later (40 s) the tunnel goes.
  EXPECT_EQ(took, 40);
  EXPECT_EQ(ra.lns_stats().keepalive_timeouts, 1u);
  EXPECT_TRUE(logged("[L2TP] keepalive timer expired tunnel " + std::to_string(a.gw_tid)));
  // With it: PPP, the records, and the client's IPsec SAs (its only way in).
  EXPECT_EQ(dropped, std::vector<uint32_t>{3});
  EXPECT_EQ(ra.counters().peers_dropped, 1u);
  EXPECT_EQ(ra.call_count(), 1u);
  ASSERT_EQ(fake.sessions().size(), 1u);
  EXPECT_EQ(fake.sessions()[0].id, b.gw_sid);
  ASSERT_EQ(fake.tunnels().size(), 1u);
  EXPECT_EQ(fake.tunnels()[0].id, b.gw_tid);
  EXPECT_EQ(fake.sas().size(), 2u) << "b's pair stays";
  // The client comes back at once with new SAs (perhaps in the slots it had) and gets in:
  // its tunnel interface and its address are free.
  deaf.clear();
  Client again = client(6, kClientA);
  again.my_tid = 40007;
  dial(again);
  ASSERT_TRUE(again.ppp && again.ppp->ipcp_opened());
  EXPECT_EQ(again.ppp->ipcp_values[3], a.ppp->ipcp_values[3]);
  EXPECT_EQ(fake.sessions().size(), 2u);
}

TEST_F(RemoteAccessTest, DisconnectTimeCutsATunnelWhoseSessionCarriesNoData) {
  Client a = client(3, kClientA);  // TUNNEL[1]: l2tp tunnel disconnect time off
  Client b = client(4, kClientB);  // TUNNEL[2]: not set, the default 60 s
  b.my_tid = 40002;
  dial(a);
  dial(b, "l2tp_user2", "l2tp_password2");
  ASSERT_TRUE(a.ppp && a.ppp->ipcp_opened());
  ASSERT_TRUE(b.ppp && b.ppp->ipcp_opened());
  const TimePoint start = timers.now();
  // b's session carries data (the dataplane's counters move) for 100 s, then falls silent.
  uint64_t packets = 0;
  int cut_at = -1;
  for (int s = 1; s <= 240 && cut_at < 0; ++s) {
    if (s <= 100 && s % 20 == 0) {
      packets += 3;
      fake.set_session_usage(b.gw_sid, SessionUsage{packets, packets * 84, packets, packets * 84});
    }
    run_for(1, {&a, &b});
    if (ra.l2tp_status().size() == 1) cut_at = s;
  }
  // Data last seen at 100 s (noticed at the 10 s look that follows): cut 60-70 s later.
  EXPECT_GE(cut_at, 160);
  EXPECT_LE(cut_at, 170);
  EXPECT_EQ(ra.lns_stats().idle_disconnects, 1u);
  EXPECT_TRUE(logged("[L2TP] disconnect timer expired tunnel " + std::to_string(b.gw_tid)));
  const ControlMessage* stop = last(b, MessageType::StopCCN);
  ASSERT_NE(stop, nullptr) << "b is told (it is alive)";
  EXPECT_EQ(stop->find(AvpType::ResultCode)->value[1], 1);
  EXPECT_EQ(ra.counters().peers_dropped, 0u) << "its IPsec SAs are its own business";
  ASSERT_EQ(fake.sessions().size(), 1u);
  EXPECT_EQ(fake.sessions()[0].id, a.gw_sid);
  // a, whose tunnel says `off`, carried nothing all along and stays.
  run_for(100, {&a});
  EXPECT_EQ(ra.l2tp_status().size(), 1u);
  EXPECT_NE(session(a.gw_sid), nullptr);
  EXPECT_GE(timers.now() - start, std::chrono::seconds(260));
}

}  // namespace
}  // namespace l2tpgw::cp::access
