// SPDX-License-Identifier: Apache-2.0
// Seed 001's two routers, as their configurations load (tests/vectors/config), become
// LcceTunnelConfigs; two LCCEs made from them connect through the seed's NATs.
#include <gtest/gtest.h>

#include <deque>

#include "controlplane/config/loader.hpp"
#include "controlplane/l2tp/v3/tunnel_config.hpp"

namespace l2tpgw::cp::l2tp::v3 {
namespace {

using std::chrono::seconds;

std::vector<LcceTunnelConfig> from_fixture(const char* name, uint32_t wan = 0x01020304) {
  const config::LoadResult r = config::load_config_file(std::string(L2TPGW_VECTOR_DIR "/config/") + name);
  EXPECT_TRUE(r.ok()) << name;
  return r.ok() ? lcce_tunnel_configs(*r.config, wan) : std::vector<LcceTunnelConfig>{};
}

TEST(L2tpV3TunnelConfig, Yamaha01AfterEveryStep) {
  const auto v = from_fixture("001_yamaha01_all_steps.txt");
  ASSERT_EQ(v.size(), 1u);
  const LcceTunnelConfig& c = v[0];
  EXPECT_EQ(c.interface, 1);
  EXPECT_EQ(c.local_addr, 0xC0A86401u);   // tunnel endpoint address 192.168.100.1 192.168.2.1
  EXPECT_EQ(c.remote_addr, 0xC0A80201u);
  EXPECT_EQ(c.remote_port, 1701);
  EXPECT_TRUE(c.ipsec);                   // the last step is `tunnel encapsulation l2tpv3`
  EXPECT_TRUE(c.always_on);
  EXPECT_EQ(c.local_router_id, 0xC0A86401u);
  EXPECT_EQ(c.remote_router_id, 0xC0A86402u);
  EXPECT_EQ(c.remote_end_id, "TESTEND");
  EXPECT_TRUE(c.auth);
  EXPECT_EQ(c.secret, "test1234");
  EXPECT_TRUE(c.keepalive);
  EXPECT_EQ(c.keepalive_interval, 60);
  EXPECT_EQ(c.keepalive_count, 3);
  EXPECT_TRUE(c.keepalive_log);
  EXPECT_TRUE(c.syslog);
}

TEST(L2tpV3TunnelConfig, RawStepIsNotIpsecOnly) {
  const auto v = from_fixture("001_yamaha02_l2tpv3.txt");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].ipsec);
  EXPECT_EQ(v[0].local_addr, 0xC0A86402u);
  EXPECT_EQ(v[0].remote_addr, 0xC0A80101u);
}

TEST(L2tpV3TunnelConfig, OnlyEnabledL2tpv3TunnelsWithAnEndpoint) {
  const auto load = [](const char* text) {
    const config::LoadResult r = config::load_config(text);
    EXPECT_TRUE(r.ok()) << text;
    return r.ok() ? lcce_tunnel_configs(*r.config, 0x0A000001) : std::vector<LcceTunnelConfig>{};
  };
  EXPECT_TRUE(load("tunnel select 1\n tunnel encapsulation l2tpv3-raw\n"
                   " tunnel endpoint address 192.0.2.2\n l2tp service on l2tpv3\n").empty());  // not enabled
  EXPECT_TRUE(load("tunnel select 1\n tunnel encapsulation l2tpv3-raw\n tunnel enable 1\n"
                   "l2tp service on l2tpv3\n").empty());  // no endpoint
  EXPECT_TRUE(load("tunnel select 1\n tunnel encapsulation l2tpv3-raw\n"
                   " tunnel endpoint address 192.0.2.2\n tunnel enable 1\nl2tp service on l2tpv2\n").empty());
  const auto v = load("tunnel select 2\n tunnel encapsulation l2tpv3-raw\n"
                      " tunnel endpoint address 192.0.2.2\n tunnel enable 2\nl2tp service on\n");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].interface, 2);
  EXPECT_EQ(v[0].local_addr, 0x0A000001u);  // no LOCAL: the WAN address
  EXPECT_FALSE(v[0].always_on);
  EXPECT_FALSE(v[0].auth);
  EXPECT_FALSE(v[0].remote_router_id);
}

// YAMAHA01 (192.168.100.1 behind NAT 192.168.1.1) and YAMAHA02 (192.168.100.2 behind
// 192.168.2.1): each reaches the other at its NAT's address, which is also where the other's
// datagrams seem to come from.
struct Router : LcceHooks {
  uint32_t outside = 0;   // its NAT's address
  std::deque<std::pair<uint32_t, std::vector<uint8_t>>>* wire = nullptr;
  uint32_t next_sid = 1;
  std::vector<std::string> info;
  std::unique_ptr<Lcce> lcce;
  void send(uint16_t, const L2tpPeer& to, std::vector<uint8_t> d) override {
    wire->emplace_back(to.addr, std::move(d));
  }
  std::optional<uint32_t> reserve_session_id(uint16_t) override { return next_sid++; }
  void release_session_id(uint32_t) override {}
  void log_info(const std::string& l) override { info.push_back(l); }
  void log_debug(const std::string&) override {}
};

TEST(L2tpV3TunnelConfig, TheSeedRoutersConnectThroughTheirNats) {
  std::deque<std::pair<uint32_t, std::vector<uint8_t>>> wire_a, wire_b;  // sent by A, by B
  Router a, b;
  a.outside = 0xC0A80101;
  b.outside = 0xC0A80201;
  a.wire = &wire_a;
  b.wire = &wire_b;
  a.lcce = std::make_unique<Lcce>(a, Lcce::Config{"RTX830", "YAMAHA Corporation"});
  b.lcce = std::make_unique<Lcce>(b, Lcce::Config{"RTX830", "YAMAHA Corporation"});
  TimePoint t{};
  for (const auto& c : from_fixture("001_yamaha01_l2tpv3.txt")) a.lcce->add_tunnel(c, t);
  for (const auto& c : from_fixture("001_yamaha02_l2tpv3.txt")) b.lcce->add_tunnel(c, t);
  const auto run = [&] {
    for (int i = 0; i < 1000 && !(wire_a.empty() && wire_b.empty()); ++i) {
      for (auto [w, to, from] : {std::tuple{&wire_a, &b, a.outside}, std::tuple{&wire_b, &a, b.outside}}) {
        auto q = std::exchange(*w, {});
        for (auto& [dst, d] : q)
          if (dst == to->outside) to->lcce->on_control(d, L2tpPeer{from, 1701, 0}, t);
      }
    }
  };
  for (int i = 0; i < 60; ++i) {
    run();
    for (Router* r : {&a, &b}) r->lcce->on_timer(t);
    t += seconds(1);
  }
  const auto sa = a.lcce->session(1), sb = b.lcce->session(1);
  ASSERT_TRUE(sa && sb);
  EXPECT_EQ(sa->peer_session_id, sb->session_id);
  EXPECT_EQ(sa->peer_cookie, sb->cookie);
  EXPECT_EQ(sa->peer.addr, 0xC0A80201u);
  EXPECT_EQ(sb->peer.addr, 0xC0A80101u);
  EXPECT_EQ(a.lcce->status(t).at(0).local_addr, 0xC0A86401u);  // "Local IP Address: 192.168.100.1"
  EXPECT_EQ(a.lcce->stats().auth_failed + b.lcce->stats().auth_failed, 0u);
}

}  // namespace
}  // namespace l2tpgw::cp::l2tp::v3
