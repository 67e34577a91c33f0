// SPDX-License-Identifier: Apache-2.0
// Two LanToLans (seed 001's two routers on documentation addresses) back to back: their UDP
// datagrams cross a fake network, their pseudowires land in FakeInstallers, on a manual clock.
#include <gtest/gtest.h>

#include <deque>

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
};

struct Lab;

struct Side : LanToLanLink {
  uint32_t addr;
  Lab* lab;
  FakeInstaller installer;
  std::unique_ptr<LanToLan> l2l;
  bool send_udp(uint32_t src, uint32_t dst, std::vector<uint8_t> udp) override;
  Side(uint32_t a, Lab* l) : addr(a), lab(l) {}
  void start(const std::string& cfg, TimePoint now) {
    l2l = std::make_unique<LanToLan>(installer, *this, addr);
    l2l->set_config(parse(cfg), now);
  }
};

struct Lab {
  TimePoint now{seconds(1000)};
  std::deque<Datagram> wire;
  size_t sent = 0;
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
      s->l2l->on_control(std::span<const uint8_t>(d.udp).subspan(8), l2tp::L2tpPeer{d.src, sport, 0}, now);
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

}  // namespace
}  // namespace l2tpgw::cp::bridge
