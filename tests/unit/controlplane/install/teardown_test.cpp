// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/install/teardown: what `disconnect` removes, and in which order.
#include "controlplane/install/teardown.hpp"

#include <gtest/gtest.h>

#include "controlplane/install/fake_installer.hpp"
#include "tests/unit/controlplane/tables_fixture.hpp"

namespace l2tpgw::cp {
namespace {

using test::TablesFixture;
using Op = FakeInstaller::Op;

struct Peering {
  uint32_t sa_in, sa_out;
};

Peering peering(FakeInstaller& f, uint32_t peer) {
  auto in = f.add_sa(TablesFixture::sa(tables::SaDirection::Inbound, peer));
  auto out = f.add_sa(TablesFixture::sa(tables::SaDirection::Outbound, peer, 0x1000 + peer));
  EXPECT_TRUE(in && out);
  return {in.value, out.value};
}

uint16_t tunnel(FakeInstaller& f, uint32_t peer, uint32_t sa_out) {
  tables::TunnelParams tp;
  tp.peer_index = peer;
  tp.sa_out = sa_out;
  return f.add_tunnel(tp).value;
}

uint16_t session(FakeInstaller& f, uint16_t tid, uint32_t addr) {
  tables::SessionParams sp;
  sp.tunnel_id = tid;
  sp.client_addr = addr;
  return f.add_session(sp).value;
}

TEST(Teardown, LastSessionTakesItsTunnelAndThePeeringsSas) {
  FakeInstaller f;
  const Peering p = peering(f, 1);
  const uint16_t t = tunnel(f, 1, p.sa_out);
  const uint16_t s = session(f, t, 10);
  const Peering other = peering(f, 2);
  const uint16_t t2 = tunnel(f, 2, other.sa_out);
  session(f, t2, 11);
  f.clear_calls();
  const TeardownResult r = disconnect_session(f, s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.sessions, (std::vector<std::pair<uint16_t, uint16_t>>{{t, s}}));
  EXPECT_EQ(r.tunnels, std::vector<uint16_t>{t});
  EXPECT_EQ(r.sas, (std::vector<uint32_t>{p.sa_in, p.sa_out})) << "inbound first";
  // Order in the installer: session, tunnel, SAs.
  const auto& c = f.calls();
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].op, Op::DelSession);
  EXPECT_EQ(c[1].op, Op::DelTunnel);
  EXPECT_EQ(c[2].op, Op::DelSa);
  EXPECT_EQ(f.sessions().size(), 1u);
  EXPECT_EQ(f.sas().size(), 2u) << "the other client is untouched";
}

TEST(Teardown, ATunnelWithAnotherSessionStays) {
  FakeInstaller f;
  const Peering p = peering(f, 1);
  const uint16_t t = tunnel(f, 1, p.sa_out);
  const uint16_t s1 = session(f, t, 10);
  session(f, t, 11);
  const TeardownResult r = disconnect_session(f, s1);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.tunnels.empty());
  EXPECT_TRUE(r.sas.empty());
  EXPECT_EQ(f.tunnels().size(), 1u);
}

TEST(Teardown, APeeringWithAnotherTunnelKeepsItsSas) {
  FakeInstaller f;
  const Peering p = peering(f, 1);
  const uint16_t t1 = tunnel(f, 1, p.sa_out);
  tunnel(f, 1, p.sa_out);
  session(f, t1, 10);
  const TeardownResult r = disconnect_tunnel(f, t1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.sessions.size(), 1u);
  EXPECT_EQ(r.tunnels, std::vector<uint16_t>{t1});
  EXPECT_TRUE(r.sas.empty());
  EXPECT_EQ(f.sas().size(), 2u);
}

TEST(Teardown, UnknownIdsChangeNothing) {
  FakeInstaller f;
  const Peering p = peering(f, 1);
  session(f, tunnel(f, 1, p.sa_out), 10);
  f.clear_calls();
  TeardownResult r = disconnect_session(f, 77);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("no L2TP session 77"), std::string::npos);
  r = disconnect_tunnel(f, 77);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(f.calls().empty());
}

}  // namespace
}  // namespace l2tpgw::cp
