// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/install/fake_installer: the same refusals as the real tables, the
// call log, and injected failures.
#include "controlplane/install/fake_installer.hpp"

#include <gtest/gtest.h>

#include "tests/unit/controlplane/tables_fixture.hpp"

namespace l2tpgw::cp {
namespace {

using test::TablesFixture;
using Op = FakeInstaller::Op;

TEST(FakeInstaller, MirrorsTheTableWritersChecks) {
  FakeInstaller f(4);
  auto spi = f.alloc_spi();
  ASSERT_TRUE(spi);
  EXPECT_GT(spi.value, 255u);
  auto in = f.add_sa(TablesFixture::sa(tables::SaDirection::Inbound, 1, spi.value));
  ASSERT_TRUE(in) << in.error;
  EXPECT_EQ(in.value, tables::spi_slot(spi.value));
  EXPECT_FALSE(f.add_sa(TablesFixture::sa(tables::SaDirection::Inbound, 1, spi.value))) << "used once";
  EXPECT_FALSE(f.add_sa(TablesFixture::sa(tables::SaDirection::Outbound, 1, 255))) << "RFC 4303 §2.1";
  tables::SaParams gcm_with_hmac = TablesFixture::sa(tables::SaDirection::Outbound, 1, 0x1000);
  gcm_with_hmac.cipher = EspCipher::AesGcm128;
  EXPECT_FALSE(f.add_sa(gcm_with_hmac));
  auto out = f.add_sa(TablesFixture::sa(tables::SaDirection::Outbound, 1, 0x1000));
  ASSERT_TRUE(out);
  tables::TunnelParams tp;
  tp.peer_index = 2;
  tp.sa_out = out.value;
  EXPECT_FALSE(f.add_tunnel(tp)) << "another peer's SA";
  tp.peer_index = 1;
  tp.sa_out = in.value;
  EXPECT_FALSE(f.add_tunnel(tp)) << "an inbound SA";
  tp.sa_out = out.value;
  auto t = f.add_tunnel(tp);
  ASSERT_TRUE(t);
  tables::SessionParams sp;
  sp.tunnel_id = 9;
  sp.client_addr = 0x0a000001;
  EXPECT_FALSE(f.add_session(sp)) << "no such tunnel";
  sp.tunnel_id = t.value;
  ASSERT_TRUE(f.add_session(sp));
  EXPECT_FALSE(f.add_session(sp)) << "address in use";
  EXPECT_EQ(f.sessions().size(), 1u);
  // Capacity 4: two SA slots used, two left.
  EXPECT_TRUE(f.alloc_spi());
  EXPECT_TRUE(f.alloc_spi());
  EXPECT_FALSE(f.alloc_spi());
}

TEST(FakeInstaller, ReservedL2tpIdsAsTheTableWriter) {
  FakeInstaller f(3);
  auto out = f.add_sa(TablesFixture::sa(tables::SaDirection::Outbound, 1, 0x1000));
  ASSERT_TRUE(out);
  auto tid = f.reserve_tunnel_id();
  auto sid = f.reserve_session_id();
  ASSERT_TRUE(tid);
  ASSERT_TRUE(sid);
  tables::TunnelParams tp;
  tp.peer_index = 1;
  tp.sa_out = out.value;
  auto other = f.add_tunnel(tp);
  ASSERT_TRUE(other);
  EXPECT_NE(other.value, tid.value) << "a reserved id is not handed to anyone else";
  tp.id = static_cast<uint16_t>(tid.value + 1 == other.value ? tid.value + 2 : tid.value + 1);
  EXPECT_FALSE(f.add_tunnel(tp)) << "not reserved";
  tp.id = tid.value;
  auto t = f.add_tunnel(tp);
  ASSERT_TRUE(t);
  EXPECT_EQ(t.value, tid.value);
  EXPECT_FALSE(f.add_tunnel(tp)) << "used once";
  tables::SessionParams sp;
  sp.id = sid.value;
  sp.tunnel_id = t.value;
  sp.client_addr = 0x0a000001;
  auto s = f.add_session(sp);
  ASSERT_TRUE(s) << s.error;
  EXPECT_EQ(s.value, sid.value);
  EXPECT_FALSE(f.release_session_id(sid.value));
  // As the TableWriter: a tunnel goes only after its sessions.
  EXPECT_FALSE(f.del_tunnel(t.value));
  EXPECT_FALSE(f.retire_tunnel(t.value));
  EXPECT_EQ(f.tunnels().size(), 2u);
  auto spare = f.reserve_session_id();
  ASSERT_TRUE(spare);
  EXPECT_TRUE(f.release_session_id(spare.value));
}

TEST(FakeInstaller, RetiredTunnelKeepsItsIdAsTheTableWriter) {
  FakeInstaller f(3);
  auto out = f.add_sa(TablesFixture::sa(tables::SaDirection::Outbound, 1, 0x1000));
  ASSERT_TRUE(out);
  tables::TunnelParams tp;
  tp.peer_index = 1;
  tp.sa_out = out.value;
  auto t = f.add_tunnel(tp);
  ASSERT_TRUE(t);
  EXPECT_TRUE(f.retire_tunnel(t.value));
  EXPECT_FALSE(f.retire_tunnel(t.value));
  EXPECT_TRUE(f.tunnels().empty());
  auto next = f.reserve_tunnel_id();
  ASSERT_TRUE(next);
  EXPECT_NE(next.value, t.value) << "the retired id is still reserved";
  tp.id = t.value;
  EXPECT_TRUE(f.add_tunnel(tp)) << "its owner may install it again";
  EXPECT_TRUE(f.retire_tunnel(t.value));
  EXPECT_TRUE(f.release_tunnel_id(t.value));
  EXPECT_FALSE(f.release_tunnel_id(t.value));
}

TEST(FakeInstaller, RecordsCallsAndInjectsFailures) {
  FakeInstaller f;
  f.fail_next(Op::AddSa, "no room at the inn");
  auto r = f.add_sa(TablesFixture::sa(tables::SaDirection::Outbound, 1, 0x1000));
  EXPECT_FALSE(r);
  EXPECT_EQ(r.error, "no room at the inn");
  auto ok = f.add_sa(TablesFixture::sa(tables::SaDirection::Outbound, 1, 0x1000));
  ASSERT_TRUE(ok) << "a failure is injected once";
  f.set_sa_usage(ok.value, SaUsage{7, 700});
  EXPECT_EQ(f.query_sa(ok.value)->packets, 7u);
  EXPECT_TRUE(f.del_sa(ok.value));
  EXPECT_FALSE(f.query_sa(ok.value));
  const auto& calls = f.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].op, Op::AddSa);
  EXPECT_EQ(calls[0].id, 0u);
  EXPECT_EQ(calls[1].id, ok.value);
  EXPECT_EQ(calls[2].op, Op::DelSa);
}

}  // namespace
}  // namespace l2tpgw::cp
