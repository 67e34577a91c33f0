// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/install/shm_installer: the Installer over real shared tables,
// including what a restarted controlplane (a new ShmInstaller) knows.
#include "controlplane/install/shm_installer.hpp"

#include <gtest/gtest.h>

#include "tests/unit/controlplane/eal_env.hpp"
#include "tests/unit/controlplane/tables_fixture.hpp"

namespace l2tpgw::cp {
namespace {

L2TPGW_CP_TEST_EAL();

using namespace test;

class ShmInstallerTest : public TablesFixture {};

struct Client {
  uint32_t sa_in = 0, sa_out = 0;
  uint16_t tunnel = 0, session = 0;
};

Client install(Installer& inst, uint32_t peer, uint32_t addr) {
  Client c;
  auto spi = inst.alloc_spi();
  EXPECT_TRUE(spi) << spi.error;
  auto in = inst.add_sa(TablesFixture::sa(tables::SaDirection::Inbound, peer, spi.value));
  auto out = inst.add_sa(TablesFixture::sa(tables::SaDirection::Outbound, peer, 0x30000000 + peer));
  EXPECT_TRUE(in && out) << in.error << out.error;
  tables::TunnelParams tp;
  tp.peer_index = peer;
  tp.sa_out = out.value;
  tp.peer_tunnel_id = 100 + peer;
  tp.peer_addr = kClientOuter;
  auto t = inst.add_tunnel(tp);
  EXPECT_TRUE(t) << t.error;
  tables::SessionParams sp;
  sp.tunnel_id = t.value;
  sp.peer_session_id = 200 + peer;
  sp.client_addr = addr;
  auto s = inst.add_session(sp);
  EXPECT_TRUE(s) << s.error;
  return Client{in.value, out.value, t.value, s.value};
}

TEST_F(ShmInstallerTest, InstallsAndDescribesWithoutKeys) {
  ShmInstaller inst(tables_, 42);
  const Client c = install(inst, 1, kPool + 1);
  const auto sas = inst.sas();
  ASSERT_EQ(sas.size(), 2u);
  EXPECT_EQ(sas[0].slot, c.sa_in);
  EXPECT_EQ(sas[0].direction, tables::SaDirection::Inbound);
  EXPECT_EQ(tables::spi_slot(sas[0].spi), c.sa_in) << "the reserved SPI names its slot";
  EXPECT_EQ(sas[1].spi, 0x30000001u);
  EXPECT_EQ(sas[1].cipher, EspCipher::AesCbc128);
  EXPECT_EQ(sas[1].auth, EspAuth::HmacSha1_96);
  EXPECT_EQ(sas[1].owner_worker, 1) << "peer 1 of 2 workers";
  const auto tunnels = inst.tunnels();
  ASSERT_EQ(tunnels.size(), 1u);
  EXPECT_EQ(tunnels[0].sa_out, c.sa_out);
  EXPECT_EQ(tunnels[0].peer_tunnel_id, 101);
  const auto sessions = inst.sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].client_addr, kPool + 1);
  EXPECT_NE(sessions[0].installed_at, 0u);
  tables_.session_counters(c.session) = tables::SessionCounters{3, 300, 4, 400};
  tables_.sa_counters(c.sa_out) = tables::SaCounters{5, 500};
  ASSERT_TRUE(inst.query_session(c.session));
  EXPECT_EQ(inst.query_session(c.session)->tx_octets, 400u);
  EXPECT_EQ(inst.query_sa(c.sa_out)->octets, 500u);
  EXPECT_FALSE(inst.query_sa(999));
  EXPECT_FALSE(inst.query_session(7));
}

TEST_F(ShmInstallerTest, RefusalsComeBackAsErrors) {
  ShmInstaller inst(tables_, 42);
  tables::SaParams bad = sa(tables::SaDirection::Inbound, 1, 0x12345678);
  auto r = inst.add_sa(bad);
  EXPECT_FALSE(r);
  EXPECT_NE(r.error.find("not reserved"), std::string::npos) << r.error;
  tables::SessionParams sp;
  sp.tunnel_id = 3;
  sp.client_addr = kPool;
  EXPECT_FALSE(inst.add_session(sp));
  tables::TunnelParams tp;
  tp.peer_index = 1;
  tp.sa_out = 5;
  EXPECT_FALSE(inst.add_tunnel(tp));
  EXPECT_TRUE(inst.sas().empty());
}

TEST_F(ShmInstallerTest, ARestartedInstallerKnowsWhatIsInstalledAndCanRemoveIt) {
  Client a, b;
  {
    ShmInstaller first(tables_, 1);
    a = install(first, 1, kPool + 1);
    b = install(first, 2, kPool + 2);
    // The first controlplane "dies" here: nothing is unpublished.
  }
  tables::SharedTables attached;
  std::string err;
  ASSERT_TRUE(tables::SharedTables::attach(attached, &err)) << err;
  ShmInstaller second(attached, 2);
  EXPECT_EQ(second.sas().size(), 4u);
  EXPECT_EQ(second.tunnels().size(), 2u);
  ASSERT_EQ(second.sessions().size(), 2u);
  EXPECT_EQ(second.sessions()[1].client_addr, kPool + 2);
  // It writes without clobbering what the first one installed.
  const Client c = install(second, 3, kPool + 3);
  for (uint32_t slot : {a.sa_in, a.sa_out, b.sa_in, b.sa_out}) {
    EXPECT_NE(c.sa_in, slot);
    EXPECT_NE(c.sa_out, slot);
  }
  EXPECT_NE(c.session, a.session);
  EXPECT_NE(c.session, b.session);
  EXPECT_TRUE(second.del_session(a.session));
  EXPECT_TRUE(second.del_tunnel(a.tunnel));
  EXPECT_EQ(second.sessions().size(), 2u);
  EXPECT_EQ(tables_.session_for_address(kPool + 1), 0) << "downstream lookups stop at once";
  EXPECT_GE(second.pending_reclaims(), 2u);
}

}  // namespace
}  // namespace l2tpgw::cp
