// SPDX-License-Identifier: Apache-2.0
// Two LanToLans (seed 001's two routers on documentation addresses) back to back: their UDP
// datagrams cross a fake network, their pseudowires land in FakeInstallers, on a manual clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>

#include "common/wire/ipv4.hpp"
#include "controlplane/bridge/lan_to_lan.hpp"
#include "controlplane/config/loader.hpp"
#include "controlplane/install/fake_installer.hpp"

namespace l2tpgw::cp::bridge {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint32_t kWanA = 0xC6336401;  // 198.51.100.1
constexpr uint32_t kWanB = 0xC6336402;  // 198.51.100.2

// Seed 001's `tunnel select 1` (YAMAHA01 / YAMAHA02) with our addresses.
std::string seed001(uint32_t self, bool bridged = true, const char* password = "test1234",
                    const char* encapsulation = "l2tpv3-raw", bool tunnel = true) {
  const bool a = self == kWanA;
  std::string t;
  if (bridged) t += "bridge member bridge1 lan1 tunnel1\n";
  if (tunnel) {
    t += "tunnel select 1\n";
    t += std::string(" tunnel encapsulation ") + encapsulation + "\n";
    t += a ? " tunnel endpoint address 198.51.100.1 198.51.100.2\n" : " tunnel endpoint address 198.51.100.2 198.51.100.1\n";
    t += " l2tp always-on on\n";
    t += std::string(" l2tp tunnel auth on ") + password + "\n";
    t += " l2tp keepalive use on 60 3\n";
    t += a ? " l2tp local router-id 192.0.2.1\n l2tp remote router-id 192.0.2.2\n"
           : " l2tp local router-id 192.0.2.2\n l2tp remote router-id 192.0.2.1\n";
    t += " l2tp remote end-id TESTEND\n";
    t += " tunnel enable 1\n";
  }
  t += "l2tp service on l2tpv3\n";
  return t;
}

config::Config parse(const std::string& text) {
  config::LoadResult r = config::load_config(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r.config : config::Config{};
}

struct Datagram {
  uint32_t src, dst;
  std::vector<uint8_t> udp;
  bool esp = false;  // sent through an outbound SA (LanToLanLink::send_esp)
};

struct Lab;

struct Side : LanToLanLink {
  uint32_t addr;
  Lab* lab;
  FakeInstaller installer;
  std::unique_ptr<LanToLan> l2l;
  std::vector<IpsecPair> pairs;  // what IKE would have installed here, newest last
  bool send_udp(uint32_t src, uint32_t dst, std::vector<uint8_t> udp) override;
  bool send_esp(uint32_t sa_slot, std::vector<uint8_t> udp) override;
  Side(uint32_t a, Lab* l) : addr(a), lab(l) {}
  void start(const std::string& cfg, TimePoint now) {
    l2l = std::make_unique<LanToLan>(installer, *this, addr);
    l2l->set_config(parse(cfg), now);
  }
  // IKE installs an SA pair with `peer` and tells LanToLan (child_up).
  IpsecPair pair_up(uint32_t peer, uint32_t peer_index, uint64_t serial, TimePoint now,
                    bool natt = false) {
    tables::SaParams in;
    in.direction = tables::SaDirection::Inbound;
    in.peer_index = peer_index;
    in.peer_addr = peer;
    tables::SaParams out = in;
    out.direction = tables::SaDirection::Outbound;
    out.spi = static_cast<uint32_t>(0x5000 + serial);
    IpsecPair p{serial, peer_index, installer.add_sa(in).value, installer.add_sa(out).value, peer,
                natt};
    pairs.push_back(p);
    if (l2l) l2l->ipsec_up(p, now);
    return p;
  }
  // IKE removes it (child_down, after both SAs are gone).
  void pair_down(const IpsecPair& p, TimePoint now) {
    installer.del_sa(p.slot_in);
    installer.del_sa(p.slot_out);
    std::erase_if(pairs, [&](const IpsecPair& q) { return q.serial == p.serial; });
    if (l2l) l2l->ipsec_down(p, now);
  }
};

struct Lab {
  TimePoint now{seconds(1000)};
  std::deque<Datagram> wire;
  size_t sent = 0;       // in the clear
  size_t sent_esp = 0;   // in ESP
  std::vector<Datagram> esp_log;  // every datagram sent in ESP, as sent
  Side a{kWanA, this}, b{kWanB, this};

  Side* side(uint32_t addr) { return addr == kWanA ? &a : addr == kWanB ? &b : nullptr; }
  void deliver() {
    for (int guard = 0; !wire.empty() && guard < 10000; ++guard) {
      Datagram d = std::move(wire.front());
      wire.pop_front();
      Side* s = side(d.dst);
      if (!s || !s->l2l || d.udp.size() < 8) continue;
      const uint16_t sport = static_cast<uint16_t>((d.udp[0] << 8) | d.udp[1]);
      const uint16_t dport = static_cast<uint16_t>((d.udp[2] << 8) | d.udp[3]);
      EXPECT_EQ(dport, 1701);
      uint32_t sa_in = 0;
      if (d.esp) {
        // The receiver decrypts with its newest inbound SA of the sender's peering; without
        // one the ESP packet is dropped (no SA for its SPI).
        auto it = std::find_if(s->pairs.rbegin(), s->pairs.rend(), [&](const IpsecPair& p) { return p.peer_addr == d.src; });
        if (it == s->pairs.rend()) continue;
        sa_in = it->slot_in;
      }
      s->l2l->on_control(std::span<const uint8_t>(d.udp).subspan(8), l2tp::L2tpPeer{d.src, sport, sa_in}, now);
    }
  }
  // Both with seed 001, run until the pseudowire is up on each side.
  void up() {
    a.start(seed001(kWanA), now);
    b.start(seed001(kWanB), now);
    run(seconds(10));
    ASSERT_EQ(a.installer.pseudowires().size(), 1u);
    ASSERT_EQ(b.installer.pseudowires().size(), 1u);
  }
  // Both with seed 001's `l2tpv3`, one SA pair each (peerings 7 and 3), run until the
  // pseudowire is up on each side. Returns A's pair and B's.
  std::pair<IpsecPair, IpsecPair> up_ipsec() {
    a.start(seed001(kWanA, true, "test1234", "l2tpv3"), now);
    b.start(seed001(kWanB, true, "test1234", "l2tpv3"), now);
    const IpsecPair pa = a.pair_up(kWanB, 7, 1, now), pb = b.pair_up(kWanA, 3, 1, now);
    run(seconds(2));
    EXPECT_EQ(a.installer.pseudowires().size(), 1u);
    EXPECT_EQ(b.installer.pseudowires().size(), 1u);
    return {pa, pb};
  }
  // Runs both for `span` in 100 ms steps, firing their timers.
  void run(Duration span) {
    const TimePoint end = now + span;
    while (now < end) {
      deliver();
      for (Side* s : {&a, &b}) {
        if (!s->l2l) continue;
        auto d = s->l2l->next_deadline();
        if (d && *d <= now) s->l2l->on_timer(now);
      }
      deliver();
      now += milliseconds(100);
    }
  }
};

bool Side::send_udp(uint32_t src, uint32_t dst, std::vector<uint8_t> udp) {
  EXPECT_EQ(src, addr);
  ++lab->sent;
  lab->wire.push_back({src, dst, std::move(udp)});
  return true;
}

bool Side::send_esp(uint32_t sa_slot, std::vector<uint8_t> udp) {
  auto it = std::find_if(pairs.begin(), pairs.end(), [&](const IpsecPair& p) { return p.slot_out == sa_slot; });
  EXPECT_NE(it, pairs.end()) << "an SA that is not installed";
  if (it == pairs.end()) return false;
  ++lab->sent_esp;
  lab->esp_log.push_back({addr, it->peer_addr, udp, true});
  lab->wire.push_back({addr, it->peer_addr, std::move(udp), true});
  return true;
}

TEST(LanToLan, Seed001ComesUpByItselfAndInstallsOnePseudowireEachSide) {
  Lab lab;
  lab.a.start(seed001(kWanA), lab.now);
  lab.b.start(seed001(kWanB), lab.now);
  lab.run(seconds(10));
  const auto pa = lab.a.installer.pseudowire_params();
  const auto pb = lab.b.installer.pseudowire_params();
  ASSERT_EQ(pa.size(), 1u);
  ASSERT_EQ(pb.size(), 1u);
  const auto& [ida, a] = *pa.begin();
  const auto& [idb, b] = *pb.begin();
  EXPECT_EQ(a.record.peer_session_id, idb);
  EXPECT_EQ(b.record.peer_session_id, ida);
  EXPECT_EQ(a.local_cookie, b.peer_cookie);
  EXPECT_EQ(b.local_cookie, a.peer_cookie);
  EXPECT_EQ(a.local_cookie.size(), 8u);
  EXPECT_EQ(a.record.peer_addr, kWanB);
  EXPECT_EQ(a.record.local_addr, kWanA);
  EXPECT_EQ(a.record.peer_port, 1701);
  EXPECT_EQ(a.record.bridge, 1);
  EXPECT_EQ(a.record.peer_index, 0u);       // l2tpv3-raw: plain
  EXPECT_EQ(a.record.flags, 0);             // RFC 4719: no sublayer asked either way
  EXPECT_EQ(lab.a.l2l->installed(1), ida);
  EXPECT_EQ(lab.a.l2l->counters().pw_installed, 1u);
  EXPECT_TRUE(lab.a.installer.reserved_pw_session_ids().empty());

  // `show status l2tp`: established, circuit UP both ways, the dataplane's counts.
  lab.a.installer.set_pseudowire_usage(ida, SessionUsage{3, 300, 4, 400});
  const auto st = lab.a.l2l->status(lab.now);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].state, "established");
  ASSERT_EQ(st[0].sessions.size(), 1u);
  EXPECT_EQ(st[0].sessions[0].state, "established");
  EXPECT_TRUE(st[0].sessions[0].local_up);
  EXPECT_TRUE(st[0].sessions[0].peer_up);
  EXPECT_EQ(st[0].sessions[0].rx_packets, 3u);
  EXPECT_EQ(st[0].sessions[0].tx_octets, 400u);
}

TEST(LanToLan, WrongTunnelPasswordInstallsNothing) {
  Lab lab;
  lab.a.start(seed001(kWanA), lab.now);
  lab.b.start(seed001(kWanB, true, "wrong999"), lab.now);
  lab.run(seconds(20));
  EXPECT_TRUE(lab.a.installer.pseudowires().empty());
  EXPECT_TRUE(lab.b.installer.pseudowires().empty());
  const auto& sa = lab.a.l2l->lcce_stats();
  const auto& sb = lab.b.l2l->lcce_stats();
  EXPECT_GT(sa.auth_failed + sa.bad_digest + sb.auth_failed + sb.bad_digest, 0u);
  EXPECT_TRUE(lab.a.installer.reserved_pw_session_ids().empty());
  EXPECT_TRUE(lab.b.installer.reserved_pw_session_ids().empty());
}

TEST(LanToLan, IpsecEncapsulationSendsNothingInTheClear) {
  Lab lab;
  lab.a.start(seed001(kWanA, true, "test1234", "l2tpv3"), lab.now);
  lab.run(seconds(30));  // always-on retries meanwhile
  EXPECT_EQ(lab.sent, 0u);
  EXPECT_GE(lab.a.l2l->counters().ipsec_unavailable, 2u);
  EXPECT_EQ(lab.a.l2l->counters().control_sent, 0u);
  const auto st = lab.a.l2l->status(lab.now);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_NE(st[0].state, "established");
}

TEST(LanToLan, SessionOfATunnelOutsideBridge1IsNotInstalled) {
  Lab lab;
  lab.a.start(seed001(kWanA, false), lab.now);
  lab.b.start(seed001(kWanB), lab.now);
  lab.run(seconds(10));
  EXPECT_TRUE(lab.a.installer.pseudowires().empty());
  EXPECT_EQ(lab.a.l2l->counters().pw_not_bridged, 1u);
  EXPECT_EQ(lab.b.installer.pseudowires().size(), 1u);
}

TEST(LanToLan, ReloadWithoutTheTunnelRemovesItsPseudowire) {
  Lab lab;
  lab.up();
  if (::testing::Test::HasFatalFailure()) return;
  // The same configuration again changes nothing.
  lab.a.installer.clear_calls();
  lab.a.l2l->set_config(parse(seed001(kWanA)), lab.now);
  EXPECT_TRUE(lab.a.installer.calls().empty());
  lab.a.l2l->set_config(parse(seed001(kWanA, true, "test1234", "l2tpv3-raw", false)), lab.now);
  lab.run(seconds(5));
  EXPECT_TRUE(lab.a.installer.pseudowires().empty());
  EXPECT_TRUE(lab.a.installer.reserved_pw_session_ids().empty());
  EXPECT_TRUE(lab.b.installer.pseudowires().empty());  // StopCCN reached B
  EXPECT_EQ(lab.a.l2l->status(lab.now).size(), 0u);
}

// lan1's link is the circuit of the bridged pseudowire (RFC 3931 §5.4.5): a cable pulled on A
// reaches B in SLI and shows on both; a reload meanwhile keeps the session; the link back
// reaches B again. The pseudowires stay installed throughout.
TEST(LanToLan, Lan1LinkIsTheCircuitStatusBothEndsShow) {
  Lab lab;
  lab.up();
  if (::testing::Test::HasFatalFailure()) return;
  lab.a.l2l->set_lan_link(false, lab.now);
  lab.run(seconds(1));
  auto sa = lab.a.l2l->status(lab.now), sb = lab.b.l2l->status(lab.now);
  ASSERT_EQ(sa.size(), 1u);
  ASSERT_EQ(sb.size(), 1u);
  ASSERT_EQ(sa[0].sessions.size(), 1u);
  ASSERT_EQ(sb[0].sessions.size(), 1u);
  EXPECT_FALSE(sa[0].sessions[0].local_up);
  EXPECT_TRUE(sa[0].sessions[0].peer_up);
  EXPECT_TRUE(sb[0].sessions[0].local_up);
  EXPECT_FALSE(sb[0].sessions[0].peer_up) << "SLI reached B";
  // The same configuration again: nothing restarts, the circuit stays down.
  lab.a.installer.clear_calls();
  lab.a.l2l->set_config(parse(seed001(kWanA)), lab.now);
  lab.run(seconds(1));
  EXPECT_TRUE(lab.a.installer.calls().empty());
  EXPECT_FALSE(lab.a.l2l->status(lab.now)[0].sessions.at(0).local_up);
  lab.a.l2l->set_lan_link(true, lab.now);
  lab.run(seconds(1));
  EXPECT_TRUE(lab.a.l2l->status(lab.now)[0].sessions.at(0).local_up);
  EXPECT_TRUE(lab.b.l2l->status(lab.now)[0].sessions.at(0).peer_up);
  EXPECT_EQ(lab.a.installer.pseudowires().size(), 1u);
  EXPECT_EQ(lab.b.installer.pseudowires().size(), 1u);
}

// A link that is down when the tunnel starts: the ICRQ/ICRP already says inactive.
TEST(LanToLan, Lan1DownAtStartIsAnnouncedInTheCall) {
  Lab lab;
  lab.a.start(seed001(kWanA), lab.now);
  lab.a.l2l->set_lan_link(false, lab.now);
  lab.b.start(seed001(kWanB), lab.now);
  lab.run(seconds(10));
  const auto sb = lab.b.l2l->status(lab.now);
  ASSERT_EQ(sb.size(), 1u);
  ASSERT_EQ(sb[0].sessions.size(), 1u);
  EXPECT_EQ(sb[0].sessions[0].state, "established");
  EXPECT_FALSE(sb[0].sessions[0].peer_up);
}

TEST(LanToLan, RestartAdoptsThePseudowireUntilTheNewSessionReplacesIt) {
  Lab lab;
  lab.up();
  if (::testing::Test::HasFatalFailure()) return;
  const uint32_t old_a = lab.a.installer.pseudowires()[0].session_id;
  const uint32_t old_b = lab.b.installer.pseudowires()[0].session_id;
  // A static pseudowire (l2tpgw-sessionctl) to someone else: never touched.
  tables::PseudowireParams st;
  st.peer_session_id = 77;
  st.peer_addr = 0xCB007105;  // 203.0.113.5
  st.bridge = 1;
  const uint32_t static_id = lab.a.installer.add_pseudowire(st).value;

  // A's controlplane goes away without a word; the pseudowires stay in the tables.
  lab.a.l2l.reset();
  EXPECT_EQ(lab.a.installer.pseudowires().size(), 2u);
  lab.a.start(seed001(kWanA), lab.now);
  lab.a.l2l->adopt_installed(lab.now);
  EXPECT_EQ(lab.a.l2l->counters().pw_adopted, 1u);
  EXPECT_EQ(lab.a.installer.pseudowires().size(), 2u);  // still forwarding
  lab.run(seconds(15));
  const auto now_a = lab.a.installer.pseudowires();
  ASSERT_EQ(now_a.size(), 2u);
  EXPECT_EQ(lab.a.l2l->counters().pw_replaced, 1u);
  EXPECT_TRUE(lab.a.installer.pseudowire_params().contains(static_id));
  EXPECT_FALSE(lab.a.installer.pseudowire_params().contains(old_a));
  ASSERT_EQ(lab.b.installer.pseudowires().size(), 1u);
  EXPECT_NE(lab.b.installer.pseudowires()[0].session_id, old_b);
  EXPECT_EQ(lab.b.installer.pseudowires()[0].peer_session_id, *lab.a.l2l->installed(1));
}

// Seed 001 with `tunnel encapsulation l2tpv3`: the control connection waits for IKE's SA pair,
// then runs through it; the pseudowire is bound to the peering and its outbound SA.
TEST(LanToLan, IpsecTunnelComesUpThroughTheSaPairAtOnce) {
  Lab lab;
  lab.a.start(seed001(kWanA, true, "test1234", "l2tpv3"), lab.now);
  lab.b.start(seed001(kWanB, true, "test1234", "l2tpv3"), lab.now);
  lab.run(seconds(5));
  EXPECT_EQ(lab.sent + lab.sent_esp, 0u);
  EXPECT_GT(lab.a.l2l->counters().ipsec_unavailable, 0u);
  // IKE (either side's initiator) installs the pair on both.
  const IpsecPair pa = lab.a.pair_up(kWanB, 7, 1, lab.now);
  const IpsecPair pb = lab.b.pair_up(kWanA, 3, 1, lab.now);
  // Less than the SCCRQ's next retransmission: the waiting message went when the pair came up.
  lab.run(milliseconds(500));
  EXPECT_EQ(lab.sent, 0u);
  EXPECT_GT(lab.sent_esp, 0u);
  ASSERT_EQ(lab.a.installer.pseudowires().size(), 1u);
  ASSERT_EQ(lab.b.installer.pseudowires().size(), 1u);
  const InstalledPseudowire wa = lab.a.installer.pseudowires()[0];
  EXPECT_EQ(wa.peer_index, pa.peer_index);
  EXPECT_EQ(wa.sa_out, pa.slot_out);
  EXPECT_EQ(lab.b.installer.pseudowires()[0].sa_out, pb.slot_out);
  EXPECT_EQ(lab.a.l2l->counters().ipsec_up, 1u);
  EXPECT_EQ(lab.a.l2l->status(lab.now).at(0).state, "established");
}

// RFC 3948 §3.1.2: through a NAT the transport-mode UDP checksum would cover addresses the NAT
// changed; over a UDP-encapsulated pair the control messages carry none (zero, RFC 768), over
// a plain ESP pair one that verifies.
TEST(LanToLan, IpsecControlOverNatTCarriesNoUdpChecksum) {
  for (const bool natt : {false, true}) {
    SCOPED_TRACE(natt ? "UDP-encapsulated" : "plain ESP");
    Lab lab;
    lab.a.start(seed001(kWanA, true, "test1234", "l2tpv3"), lab.now);
    lab.b.start(seed001(kWanB, true, "test1234", "l2tpv3"), lab.now);
    lab.a.pair_up(kWanB, 7, 1, lab.now, natt);
    lab.b.pair_up(kWanA, 3, 1, lab.now, natt);
    lab.run(seconds(2));
    size_t checked = 0;
    for (const Datagram& d : lab.esp_log) {
      const uint16_t sum = static_cast<uint16_t>((d.udp[6] << 8) | d.udp[7]);
      if (natt) {
        EXPECT_EQ(sum, 0u);
      } else {
        const uint8_t pseudo[12] = {
            static_cast<uint8_t>(d.src >> 24), static_cast<uint8_t>(d.src >> 16),
            static_cast<uint8_t>(d.src >> 8),  static_cast<uint8_t>(d.src),
            static_cast<uint8_t>(d.dst >> 24), static_cast<uint8_t>(d.dst >> 16),
            static_cast<uint8_t>(d.dst >> 8),  static_cast<uint8_t>(d.dst),
            0, 17, static_cast<uint8_t>(d.udp.size() >> 8), static_cast<uint8_t>(d.udp.size())};
        EXPECT_NE(sum, 0u);
        EXPECT_EQ(wire::fold_checksum(wire::ones_sum(d.udp.data(), d.udp.size(),
                                                     wire::ones_sum(pseudo, sizeof pseudo))), 0u);
      }
      ++checked;
    }
    EXPECT_GE(checked, 3u);  // SCCRQ, SCCRP, SCCCN at least
    EXPECT_EQ(lab.a.installer.pseudowires().size(), 1u);
  }
}

TEST(LanToLan, IpsecRekeyMovesThePseudowireToTheNewPairWithoutABreak) {
  Lab lab;
  const auto [a1, b1] = lab.up_ipsec();
  ASSERT_EQ(lab.a.installer.pseudowires().size(), 1u);
  const uint32_t id = lab.a.installer.pseudowires()[0].session_id;
  // Make-before-break: the new pair first, then the old one goes.
  const IpsecPair a2 = lab.a.pair_up(kWanB, 7, 2, lab.now);
  lab.b.pair_up(kWanA, 3, 2, lab.now);
  EXPECT_EQ(lab.a.installer.pseudowires()[0].sa_out, a2.slot_out);
  EXPECT_EQ(lab.a.l2l->counters().pw_sa_switched, 1u);
  lab.a.pair_down(a1, lab.now);
  lab.b.pair_down(b1, lab.now);
  // Keepalive (60 s) runs over the new pair; nothing ends, nothing goes in the clear.
  lab.run(seconds(200));
  ASSERT_EQ(lab.a.installer.pseudowires().size(), 1u);
  EXPECT_EQ(lab.a.installer.pseudowires()[0].session_id, id);
  EXPECT_EQ(lab.a.installer.pseudowires()[0].sa_out, a2.slot_out);
  EXPECT_EQ(lab.a.l2l->counters().ipsec_path_lost, 0u);
  EXPECT_EQ(lab.a.l2l->lcce_stats().keepalive_timeouts, 0u);
  EXPECT_EQ(lab.sent, 0u);
}

TEST(LanToLan, LosingTheLastPairEndsTheTunnelUntilANewPairComes) {
  Lab lab;
  const auto [a1, b1] = lab.up_ipsec();
  ASSERT_EQ(lab.a.installer.pseudowires().size(), 1u);
  // The peering is gone on both sides (DPD, or B restarted with INITIAL-CONTACT).
  lab.a.pair_down(a1, lab.now);
  lab.b.pair_down(b1, lab.now);
  EXPECT_TRUE(lab.a.installer.pseudowires().empty());
  EXPECT_TRUE(lab.b.installer.pseudowires().empty());
  EXPECT_EQ(lab.a.l2l->counters().ipsec_path_lost, 1u);
  lab.run(seconds(30));
  EXPECT_EQ(lab.sent, 0u);
  EXPECT_NE(lab.a.l2l->status(lab.now).at(0).state, "established");
  // IKE brings a new peering: always-on connects through it.
  lab.a.pair_up(kWanB, 8, 2, lab.now);
  lab.b.pair_up(kWanA, 4, 2, lab.now);
  lab.run(seconds(2));
  ASSERT_EQ(lab.a.installer.pseudowires().size(), 1u);
  EXPECT_EQ(lab.a.installer.pseudowires()[0].peer_index, 8u);
  EXPECT_EQ(lab.sent, 0u);
  EXPECT_TRUE(lab.a.installer.reserved_pw_session_ids().empty());
}

TEST(LanToLan, ControlUnderAnotherPeersSaIsRefused) {
  Lab lab;
  lab.a.start(seed001(kWanA, true, "test1234", "l2tpv3"), lab.now);
  lab.a.pair_up(kWanB, 7, 1, lab.now);
  // Not the peer's inbound SA (a remote-access client's, say): dropped before the LCCE.
  const uint8_t sccrq[12] = {0xc8, 0x03, 0x00, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0};
  lab.a.l2l->on_control(sccrq, l2tp::L2tpPeer{kWanB, 1701, 999}, lab.now);
  EXPECT_EQ(lab.a.l2l->counters().control_wrong_sa, 1u);
  // A pair with a peer no `l2tpv3` tunnel names is not the bridge's.
  EXPECT_FALSE(lab.a.l2l->ipsec_up(IpsecPair{9, 5, 1, 2, 0xCB007105}, lab.now));
  EXPECT_EQ(lab.a.l2l->counters().ipsec_up, 1u);
}

TEST(LanToLan, RestartReplacesTheAdoptedIpsecPseudowireAndRemovesItsOrphanedSas) {
  Lab lab;
  lab.a.start(seed001(kWanA, true, "test1234", "l2tpv3"), lab.now);
  lab.b.start(seed001(kWanB, true, "test1234", "l2tpv3"), lab.now);
  lab.a.pair_up(kWanB, 7, 1, lab.now);
  const IpsecPair b1 = lab.b.pair_up(kWanA, 3, 1, lab.now);
  lab.run(seconds(2));
  ASSERT_EQ(lab.a.installer.pseudowires().size(), 1u);
  // A's controlplane dies: its tables keep the pseudowire and the SAs (peering 7). The new
  // process's IKE knows nothing of them and negotiates peering 8; B drops its old pair.
  lab.a.l2l.reset();
  lab.a.pairs.clear();
  lab.a.start(seed001(kWanA, true, "test1234", "l2tpv3"), lab.now);
  lab.a.l2l->adopt_installed(lab.now);
  EXPECT_EQ(lab.a.l2l->counters().pw_adopted, 1u);
  lab.b.pair_down(b1, lab.now);
  lab.a.pair_up(kWanB, 8, 2, lab.now);
  lab.b.pair_up(kWanA, 4, 2, lab.now);
  lab.run(seconds(2));
  ASSERT_EQ(lab.a.installer.pseudowires().size(), 1u);
  EXPECT_EQ(lab.a.installer.pseudowires()[0].peer_index, 8u);
  EXPECT_EQ(lab.a.l2l->counters().pw_replaced, 1u);
  EXPECT_EQ(lab.a.l2l->counters().orphan_sas_removed, 2u);
  for (const InstalledSa& sa : lab.a.installer.sas()) EXPECT_EQ(sa.peer_index, 8u);
  EXPECT_EQ(lab.sent, 0u);
}

}  // namespace
}  // namespace l2tpgw::cp::bridge
