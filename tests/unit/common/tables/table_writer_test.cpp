// SPDX-License-Identifier: Apache-2.0
// Tests for common/tables: SharedTables layout and TableWriter install/remove/RCU reclaim.
#include "common/tables/table_writer.hpp"

#include <rte_eal.h>
#include <rte_memzone.h>
#include <rte_rcu_qsbr.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <array>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/tables/shared_tables.hpp"

namespace l2tpgw::tables {
namespace {

// One in-process primary EAL for the whole binary, without hugepages or devices.
class EalEnvironment : public testing::Environment {
 public:
  void SetUp() override {
    // --no-huge implies legacy memory, which DPDK 22.11 refuses together with --in-memory;
    // --no-shconf alone keeps the run from touching /var/run/dpdk's shared config.
    const char* argv[] = {"test", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
                          "--no-telemetry", "--file-prefix=l2tpgw-unit", "-l", "0",
                          "--log-level=lib.eal:error"};
    int argc = static_cast<int>(std::size(argv));
    // A failed EAL would skip every test silently: abort instead.
    if (rte_eal_init(argc, const_cast<char**>(argv)) < 0) {
      fprintf(stderr, "rte_eal_init failed\n");
      std::abort();
    }
  }
  void TearDown() override { rte_eal_cleanup(); }
};
testing::Environment* const kEal = testing::AddGlobalTestEnvironment(new EalEnvironment);

constexpr uint32_t kPoolA = 0x0a640000;  // 10.100.0.0/29
constexpr uint32_t kPoolB = 0xc0a80a00;  // 192.168.10.0 .. 192.168.10.3

const std::array<uint8_t, 16> kEncKey = {0x06, 0xa9, 0x21, 0x40, 0x36, 0xb8, 0xa1, 0x5b,
                                         0x51, 0x2e, 0x03, 0xd5, 0x34, 0x12, 0x00, 0x06};
const std::array<uint8_t, 20> kAuthKey = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                          0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                          0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};

TableSizes sizes(uint32_t max_sessions, uint32_t n_workers = 1) {
  TableSizes s;
  s.max_sessions = max_sessions;
  s.n_workers = n_workers;
  s.max_pseudowires = 0;  // the pseudowire tests size their own
  s.n_pools = 2;
  s.pools[0] = PoolRange{kPoolA, 8, 0};
  s.pools[1] = PoolRange{kPoolB, 4, 0};
  return s;
}

SaParams sa_in(uint32_t peer = 1) {
  SaParams p;
  p.direction = SaDirection::Inbound;
  p.peer_index = peer;
  p.local_addr = 0xc6336401;
  p.peer_addr = 0xcb007101;
  p.enc_key = kEncKey;
  p.auth_key = kAuthKey;
  return p;
}

SaParams sa_out(uint32_t spi, uint32_t peer = 1) {
  SaParams p = sa_in(peer);
  p.direction = SaDirection::Outbound;
  p.spi = spi;
  return p;
}

// Each test gets fresh tables: the memzone is created here and freed after the test.
class TablesTest : public testing::Test {
 protected:
  void make(const TableSizes& s) {
    std::string err;
    ASSERT_TRUE(SharedTables::create(s, tables_, &err)) << err;
  }
  void SetUp() override { make(sizes(4)); }
  void TearDown() override {
    if (const rte_memzone* mz = rte_memzone_lookup(kShmZoneName)) rte_memzone_free(mz);
  }
  // A tunnel with an outbound SA of peer 1; returns the tunnel id.
  uint16_t tunnel(TableWriter& w, uint32_t peer = 1) {
    std::string err;
    const uint32_t out = w.add_sa(sa_out(0x1000 + peer, peer), &err);
    EXPECT_NE(out, 0u) << err;
    TunnelParams t;
    t.peer_index = peer;
    t.sa_out = out;
    t.peer_tunnel_id = 42;
    const uint16_t id = w.add_tunnel(t, &err);
    EXPECT_NE(id, 0) << err;
    return id;
  }
  SessionParams session(uint16_t tunnel_id, uint32_t addr) {
    SessionParams p;
    p.tunnel_id = tunnel_id;
    p.peer_session_id = 77;
    p.client_addr = addr;
    return p;
  }
  SharedTables tables_;
};

TEST_F(TablesTest, InboundSpiEncodesSlotWithNonZeroTag) {
  TableWriter w(tables_, 12345);
  std::set<uint32_t> spis;
  for (int i = 0; i < 8; ++i) {
    std::string err;
    const uint32_t slot = w.add_sa(sa_in(), &err);
    ASSERT_NE(slot, 0u) << err;
    const SaRecord& r = tables_.sa(slot);
    EXPECT_TRUE(published(r));
    EXPECT_EQ(r.direction, SaDirection::Inbound);
    EXPECT_EQ(spi_slot(r.spi), slot);
    EXPECT_NE(r.spi >> kSaSlotBits, 0u) << "the tag must be non-zero";
    EXPECT_GT(r.spi, 255u);
    EXPECT_EQ(r.crypto.cipher, EspCipher::AesCbc128);
    EXPECT_EQ(r.crypto.icv_len, 12);
    spis.insert(r.spi);
  }
  EXPECT_EQ(spis.size(), 8u);
}

TEST_F(TablesTest, OutboundSpiInReservedRangeIsRejected) {
  TableWriter w(tables_, 1);
  // RFC 4303 §2.1: 0 is local use, 1..255 reserved for IANA.
  for (uint32_t spi : {0u, 1u, 255u}) {
    std::string err;
    EXPECT_EQ(w.add_sa(sa_out(spi), &err), 0u) << spi;
    EXPECT_FALSE(err.empty());
  }
  EXPECT_TRUE(w.installed_sas().empty());
  std::string err;
  const uint32_t slot = w.add_sa(sa_out(256), &err);
  ASSERT_NE(slot, 0u) << err;
  EXPECT_EQ(slot, 1u) << "rejected adds must not consume slots";
  EXPECT_EQ(tables_.sa(slot).spi, 256u);
  EXPECT_EQ(tables_.sa(slot).direction, SaDirection::Outbound);
}

TEST_F(TablesTest, BadKeyInstallsNothing) {
  TableWriter w(tables_, 1);
  SaParams p = sa_in();
  p.enc_key = std::span<const uint8_t>(kEncKey).first(15);
  std::string err;
  EXPECT_EQ(w.add_sa(p, &err), 0u);
  EXPECT_FALSE(err.empty());
  p = sa_in();
  p.auth_key = std::span<const uint8_t>(kAuthKey).first(16);
  EXPECT_EQ(w.add_sa(p, &err), 0u);
  EXPECT_TRUE(w.installed_sas().empty());
  EXPECT_FALSE(published(tables_.sa(1)));
  EXPECT_EQ(w.add_sa(sa_in(), &err), 1u) << err;
}

TEST_F(TablesTest, TunnelNeedsAnOutboundSaOfItsPeer) {
  TableWriter w(tables_, 1);
  std::string err;
  const uint32_t in = w.add_sa(sa_in(1), &err);
  const uint32_t out_other = w.add_sa(sa_out(0x2000, 2), &err);
  ASSERT_NE(in, 0u);
  ASSERT_NE(out_other, 0u);
  TunnelParams t;
  t.peer_index = 1;
  for (uint32_t bad : {in, out_other, 17u /* unpublished */, tables_.sa_slots()}) {
    t.sa_out = bad;
    EXPECT_EQ(w.add_tunnel(t, &err), 0) << bad;
  }
  EXPECT_TRUE(w.installed_tunnels().empty());
  t.sa_out = 0;  // plain L2TP
  EXPECT_EQ(w.add_tunnel(t, &err), 1) << err;
}

TEST_F(TablesTest, AddSessionRefusals) {
  TableWriter w(tables_, 1);
  std::string err;
  const uint16_t tid = tunnel(w);
  // Missing tunnel: id 0, never installed, beyond the table.
  for (uint16_t bad : {uint16_t{0}, static_cast<uint16_t>(tid + 1), uint16_t{4000}}) {
    err.clear();
    EXPECT_EQ(w.add_session(session(bad, kPoolA + 1), &err), 0) << bad;
    EXPECT_FALSE(err.empty());
  }
  // Outside every pool: just below and just past each range.
  for (uint32_t addr : {kPoolA - 1, kPoolA + 8, kPoolB - 1, kPoolB + 4, 0u, 0xffffffffu}) {
    err.clear();
    EXPECT_EQ(w.add_session(session(tid, addr), &err), 0) << std::hex << addr;
    EXPECT_FALSE(err.empty());
  }
  EXPECT_TRUE(w.installed_sessions().empty());
  // The first and last address of each pool are fine; a second session on one is not.
  for (uint32_t addr : {kPoolA, kPoolA + 7, kPoolB, kPoolB + 3}) {
    const uint16_t sid = w.add_session(session(tid, addr), &err);
    ASSERT_NE(sid, 0) << err;
    EXPECT_EQ(tables_.session_for_address(addr), sid);
    EXPECT_EQ(tables_.session(sid).peer_index, 1u) << "its tunnel's peering";
    err.clear();
    EXPECT_EQ(w.add_session(session(tid, addr), &err), 0);
    EXPECT_FALSE(err.empty());
    EXPECT_EQ(tables_.session_for_address(addr), sid);
  }
  EXPECT_EQ(w.installed_sessions().size(), 4u);
  // A tunnel goes only after its sessions: workers rely on a published session's tunnel.
  const std::vector<uint16_t> sids = w.installed_sessions();
  for (size_t n = 0; n < sids.size(); ++n) {
    EXPECT_FALSE(w.del_tunnel(tid)) << sids.size() - n << " sessions left";
    EXPECT_FALSE(w.retire_tunnel(tid));
    EXPECT_TRUE(published(tables_.tunnel(tid)));
    ASSERT_TRUE(n % 2 ? w.del_session(sids[n]) : w.retire_session(sids[n]));
  }
  // A deleted tunnel is a missing tunnel.
  ASSERT_TRUE(w.del_tunnel(tid));
  EXPECT_EQ(w.add_session(session(tid, kPoolA + 2), &err), 0);
}

TEST_F(TablesTest, PoolLookupFollowsAddAndDel) {
  TableWriter w(tables_, 1);
  std::string err;
  const uint16_t tid = tunnel(w);
  const uint32_t addr = kPoolA + 3;
  EXPECT_EQ(tables_.session_for_address(addr), 0);
  const uint16_t sid = w.add_session(session(tid, addr), &err);
  ASSERT_NE(sid, 0) << err;
  EXPECT_EQ(tables_.session_for_address(addr), sid);
  EXPECT_EQ(tables_.session_for_address(addr + 1), 0);
  const SessionRecord& r = tables_.session(sid);
  EXPECT_TRUE(published(r));
  EXPECT_EQ(r.tunnel_id, tid);
  EXPECT_EQ(r.client_addr, addr);
  EXPECT_EQ(r.peer_session_id, 77);
  ASSERT_TRUE(w.del_session(sid));
  EXPECT_EQ(tables_.session_for_address(addr), 0);
  EXPECT_FALSE(published(r));
  EXPECT_FALSE(w.del_session(sid)) << "a second delete is refused";
  // The address is free again at once (the slot is not, see below).
  EXPECT_NE(w.add_session(session(tid, addr), &err), 0) << err;
}

TEST_F(TablesTest, ReclaimReturnsSlotAndBumpsGeneration) {
  TearDown();
  make(sizes(1));  // one session slot: reuse is forced
  TableWriter w(tables_, 1);
  std::string err;
  const uint16_t tid = tunnel(w);
  const uint16_t sid = w.add_session(session(tid, kPoolA), &err);
  ASSERT_EQ(sid, 1) << err;
  uint32_t gen1 = 0;
  ASSERT_TRUE(published(tables_.session(sid), &gen1));
  EXPECT_EQ(gen1, 1u);
  ASSERT_TRUE(w.del_session(sid));
  EXPECT_EQ(w.pending_reclaims(), 1u);
  // Before reclaim the slot is not free: the table is full.
  EXPECT_EQ(w.add_session(session(tid, kPoolA + 1), &err), 0);
  w.reclaim(true);
  EXPECT_EQ(w.pending_reclaims(), 0u);
  const uint16_t again = w.add_session(session(tid, kPoolA + 1), &err);
  ASSERT_EQ(again, sid) << err;
  uint32_t gen2 = 0;
  ASSERT_TRUE(published(tables_.session(again), &gen2));
  EXPECT_GT(gen2, gen1) << "a reader holding (slot, generation) must see the change";
  EXPECT_EQ(tables_.session(again).client_addr, kPoolA + 1);
  EXPECT_EQ(tables_.session_for_address(kPoolA), 0);
}

TEST_F(TablesTest, SlotIsNotReusedBeforeReadersPassAQuiescentState) {
  TableWriter w(tables_, 1);  // before the reader registers: the constructor waits a grace period
  std::string err;
  const uint32_t slot = w.add_sa(sa_in(), &err);
  ASSERT_NE(slot, 0u) << err;
  rte_rcu_qsbr* rcu = tables_.rcu();
  ASSERT_EQ(rte_rcu_qsbr_thread_register(rcu, 0), 0);
  rte_rcu_qsbr_thread_online(rcu, 0);
  ASSERT_TRUE(w.del_sa(slot));
  w.reclaim(false);
  EXPECT_EQ(w.pending_reclaims(), 1u) << "reader 0 has not reported a quiescent state";
  EXPECT_NE(tables_.sa(slot).crypto.cipher_key_len, 0) << "keys must outlive the grace period";
  rte_rcu_qsbr_quiescent(rcu, 0);
  w.reclaim(false);
  EXPECT_EQ(w.pending_reclaims(), 0u);
  // Reclaimed keys are wiped, and the parameters with them.
  auto all_zero = [](const auto& v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    return std::all_of(p, p + sizeof(v), [](uint8_t b) { return b == 0; });
  };
  EXPECT_TRUE(all_zero(tables_.sa(slot).keys));
  EXPECT_TRUE(all_zero(tables_.sa(slot).crypto));
  rte_rcu_qsbr_thread_offline(rcu, 0);
  rte_rcu_qsbr_thread_unregister(rcu, 0);
}

TEST_F(TablesTest, FullTablesFailWithoutHalfInstalling) {
  TearDown();
  make(sizes(2));  // 2 tunnels, 2 sessions, 9 SA slots (8 usable)
  TableWriter w(tables_, 1);
  std::string err;
  const uint16_t t1 = tunnel(w, 1);
  const uint16_t t2 = tunnel(w, 2);
  ASSERT_NE(t1, 0);
  ASSERT_NE(t2, 0);
  TunnelParams t;
  err.clear();
  EXPECT_EQ(w.add_tunnel(t, &err), 0);
  EXPECT_NE(err.find("full"), std::string::npos) << err;
  EXPECT_EQ(w.installed_tunnels().size(), 2u);

  ASSERT_NE(w.add_session(session(t1, kPoolA), &err), 0) << err;
  ASSERT_NE(w.add_session(session(t2, kPoolA + 1), &err), 0) << err;
  err.clear();
  EXPECT_EQ(w.add_session(session(t1, kPoolA + 2), &err), 0);
  EXPECT_NE(err.find("full"), std::string::npos) << err;
  EXPECT_EQ(tables_.session_for_address(kPoolA + 2), 0) << "no pool entry for a failed add";
  EXPECT_EQ(w.installed_sessions().size(), 2u);

  // SAs: 2 used by the tunnels, 6 more fit.
  for (int i = 0; i < 6; ++i) ASSERT_NE(w.add_sa(sa_in(), &err), 0u) << i << ": " << err;
  err.clear();
  EXPECT_EQ(w.add_sa(sa_in(), &err), 0u);
  EXPECT_NE(err.find("full"), std::string::npos) << err;
  EXPECT_EQ(w.installed_sas().size(), 8u);
  for (uint32_t s = 1; s < tables_.sa_slots(); ++s) EXPECT_TRUE(published(tables_.sa(s))) << s;
}

TEST_F(TablesTest, RestartedWriterSeesWhatIsInstalled) {
  std::vector<uint32_t> sas;
  std::vector<uint16_t> tunnels, sessions;
  uint32_t pending_slot = 0;
  {
    TableWriter w(tables_, 7);
    std::string err;
    const uint16_t t1 = tunnel(w, 1);
    const uint16_t t2 = tunnel(w, 2);
    ASSERT_NE(w.add_sa(sa_in(1), &err), 0u);
    const uint32_t gone = w.add_sa(sa_in(2), &err);
    ASSERT_NE(w.add_session(session(t1, kPoolA), &err), 0);
    const uint16_t s2 = w.add_session(session(t2, kPoolB), &err);
    ASSERT_NE(s2, 0);
    ASSERT_NE(w.add_session(session(t2, kPoolB + 1), &err), 0);
    ASSERT_TRUE(w.del_sa(gone));
    w.reclaim(true);
    // Deleted but not yet reclaimed when the writer "dies".
    ASSERT_TRUE(w.del_session(s2));
    pending_slot = s2;
    sas = w.installed_sas();
    tunnels = w.installed_tunnels();
    sessions = w.installed_sessions();
  }
  EXPECT_EQ(sas.size(), 3u);
  EXPECT_EQ(tunnels.size(), 2u);
  EXPECT_EQ(sessions.size(), 2u);

  SharedTables attached;
  std::string err;
  ASSERT_TRUE(SharedTables::attach(attached, &err)) << err;
  TableWriter w2(attached, 8);
  EXPECT_EQ(w2.installed_sas(), sas);
  EXPECT_EQ(w2.installed_tunnels(), tunnels);
  EXPECT_EQ(w2.installed_sessions(), sessions);

  // Fill every table: no new slot is one that is installed.
  const std::set<uint32_t> sa_set(sas.begin(), sas.end());
  uint32_t slot;
  size_t added = 0;
  while ((slot = w2.add_sa(sa_in(3), &err)) != 0) {
    EXPECT_FALSE(sa_set.contains(slot)) << slot;
    ++added;
  }
  EXPECT_EQ(added + sas.size(), tables_.sa_slots() - 1);
  const std::set<uint16_t> tun_set(tunnels.begin(), tunnels.end());
  TunnelParams t;
  uint16_t id;
  added = 0;
  while ((id = w2.add_tunnel(t, &err)) != 0) {
    EXPECT_FALSE(tun_set.contains(id)) << id;
    ++added;
  }
  EXPECT_EQ(added + tunnels.size(), 4u);
  const std::set<uint16_t> ses_set(sessions.begin(), sessions.end());
  added = 0;
  bool reused_pending = false;
  for (uint32_t a = kPoolA + 1; a < kPoolA + 8; ++a) {
    id = w2.add_session(session(tunnels[0], a), &err);
    if (id == 0) break;
    EXPECT_FALSE(ses_set.contains(id)) << id;
    reused_pending |= id == pending_slot;
    ++added;
  }
  EXPECT_EQ(added + sessions.size(), 4u);
  EXPECT_TRUE(reused_pending) << "the unpublished slot is free after the new writer's grace period";
}

TEST_F(TablesTest, SessionInheritsTheTunnelsOwnerWorker) {
  TearDown();
  make(sizes(4, 3));
  TableWriter w(tables_, 1);
  std::string err;
  for (uint32_t peer : {1u, 2u, 3u, 5u}) {
    const uint16_t tid = tunnel(w, peer);
    ASSERT_NE(tid, 0);
    EXPECT_EQ(tables_.tunnel(tid).owner_worker, peer % 3);
    const uint16_t sid = w.add_session(session(tid, kPoolA + peer), &err);
    ASSERT_NE(sid, 0) << err;
    EXPECT_EQ(tables_.session(sid).owner_worker, peer % 3);
  }
}

TEST_F(TablesTest, SetTunnelSaOutChecksTheSa) {
  TableWriter w(tables_, 1);
  std::string err;
  const uint16_t tid = tunnel(w, 1);
  const uint32_t old_out = tables_.tunnel(tid).sa_out.load();
  const uint32_t next = w.add_sa(sa_out(0x5000, 1), &err);
  const uint32_t other_peer = w.add_sa(sa_out(0x6000, 2), &err);
  const uint32_t inbound = w.add_sa(sa_in(1), &err);
  EXPECT_FALSE(w.set_tunnel_sa_out(tid, other_peer));
  EXPECT_FALSE(w.set_tunnel_sa_out(tid, inbound));
  EXPECT_FALSE(w.set_tunnel_sa_out(tid, 0));
  EXPECT_FALSE(w.set_tunnel_sa_out(0, next));
  EXPECT_EQ(tables_.tunnel(tid).sa_out.load(), old_out);
  EXPECT_TRUE(w.set_tunnel_sa_out(tid, next));
  EXPECT_EQ(tables_.tunnel(tid).sa_out.load(), next);
}

// Downstream reads the tunnel's peer id, port and outbound SA from the session's line: each
// session of the tunnel carries them from install, and a rekey moves every session's SA and
// no other tunnel's.
TEST_F(TablesTest, SessionsCarryTheirTunnelsDownstreamFieldsThroughARekey) {
  TableWriter w(tables_, 1);
  std::string err;
  TunnelParams tp;
  tp.peer_index = 1;
  tp.sa_out = w.add_sa(sa_out(0x1001, 1), &err);
  tp.peer_tunnel_id = 4242;
  tp.peer_port = 49152;
  const uint16_t tid = w.add_tunnel(tp, &err);
  ASSERT_NE(tid, 0) << err;
  const uint16_t other = tunnel(w, 2);
  const uint16_t first = w.add_session(session(tid, kPoolA), &err);
  const uint16_t elsewhere = w.add_session(session(other, kPoolA + 1), &err);
  const uint16_t second = w.add_session(session(tid, kPoolA + 2), &err);
  ASSERT_TRUE(first && elsewhere && second) << err;
  for (uint16_t s : {first, second}) {
    EXPECT_EQ(tables_.session(s).sa_out.load(), tp.sa_out);
    EXPECT_EQ(tables_.session(s).peer_tunnel_id, 4242);
    EXPECT_EQ(tables_.session(s).peer_port, 49152);
  }
  const uint32_t elsewhere_out = tables_.session(elsewhere).sa_out.load();
  EXPECT_EQ(elsewhere_out, tables_.tunnel(other).sa_out.load());

  const uint32_t next = w.add_sa(sa_out(0x5000, 1), &err);
  ASSERT_TRUE(w.set_tunnel_sa_out(tid, next));
  EXPECT_EQ(tables_.session(first).sa_out.load(), next);
  EXPECT_EQ(tables_.session(second).sa_out.load(), next);
  EXPECT_EQ(tables_.session(elsewhere).sa_out.load(), elsewhere_out);
  // A session installed after the rekey starts from the tunnel's current SA.
  ASSERT_TRUE(w.del_session(second));
  const uint16_t again = w.add_session(session(tid, kPoolA + 3), &err);
  ASSERT_NE(again, 0) << err;
  EXPECT_EQ(tables_.session(again).sa_out.load(), next);
}

TEST(SharedTablesSize, BytesPerSessionIsWhatTheRecordsCost) {
  TableSizes s = sizes(1024);
  const uint64_t per = SharedTables::bytes_per_session(s);
  EXPECT_EQ(per, 4 * (sizeof(SaRecord) + sizeof(SaOwnerArea)) + sizeof(TunnelRecord) +
                     sizeof(SessionRecord) + sizeof(uint16_t) + sizeof(uint32_t));
  // Growing the tables by N sessions (with a pool of N more addresses) costs N * per, up to
  // the 64-byte alignment of each of the 9 areas.
  TableSizes small = s, big = s;
  small.n_pools = big.n_pools = 1;
  small.pools[0] = PoolRange{kPoolA, 1024, 0};
  big.max_sessions = 2048;
  big.pools[0] = PoolRange{kPoolA, 2048, 0};
  const uint64_t grow = SharedTables::total_bytes(big) - SharedTables::total_bytes(small);
  EXPECT_LE(grow, 1024 * per + 9 * 64);
  EXPECT_GE(grow + 9 * 64, 1024 * per);
}

TEST_F(TablesTest, CreateRejectsBadSizesAndASecondPrimary) {
  TearDown();
  SharedTables t;
  std::string err;
  TableSizes s = sizes(0);
  EXPECT_FALSE(SharedTables::create(s, t, &err));
  s = sizes(kMaxSessions + 1);
  EXPECT_FALSE(SharedTables::create(s, t, &err));
  s = sizes(4, 0);
  EXPECT_FALSE(SharedTables::create(s, t, &err));
  s = sizes(4, kMaxWorkers + 1);
  EXPECT_FALSE(SharedTables::create(s, t, &err));
  s = sizes(4);
  s.pools[0].size = kMaxSessions * 4 + 1;
  EXPECT_FALSE(SharedTables::create(s, t, &err));
  // More pools than the header holds (create would write past ShmHeader::pools).
  s = sizes(4);
  s.n_pools = kMaxPools + 1;
  EXPECT_FALSE(SharedTables::create(s, t, &err));
  // Pool sizes whose 32-bit sum wraps to a small number (0xffffffff + 2 = 1): the index array
  // would be sized for 2 entries and session_for_address would read far past it.
  s = sizes(4);
  s.pools[0] = PoolRange{0, 0xffffffffu, 0};
  s.pools[1] = PoolRange{0, 2, 0};
  EXPECT_FALSE(SharedTables::create(s, t, &err));
  EXPECT_EQ(rte_memzone_lookup(kShmZoneName), nullptr) << "a refused create reserves nothing";
  // One primary per memzone.
  ASSERT_TRUE(SharedTables::create(sizes(4), t, &err)) << err;
  SharedTables second;
  EXPECT_FALSE(SharedTables::create(sizes(4), second, &err));
  EXPECT_EQ(t.header().magic, kShmMagic);
  EXPECT_EQ(t.header().layout_version, kLayoutVersion);
  EXPECT_EQ(t.header().pools[1].first, 8u);
}

TEST_F(TablesTest, AllocSpiReservesASlotUntilAddOrRelease) {
  TableWriter w(tables_, 5);
  std::string err;
  const uint32_t spi = w.alloc_spi(&err);
  ASSERT_NE(spi, 0u) << err;
  EXPECT_GT(spi, 255u);
  const uint32_t slot = spi_slot(spi);
  EXPECT_FALSE(published(tables_.sa(slot))) << "a reservation is not visible to the dataplane";
  // Other SAs never take the reserved slot.
  std::set<uint32_t> others;
  uint32_t s;
  while ((s = w.add_sa(sa_in(2), &err)) != 0) others.insert(s);
  EXPECT_FALSE(others.contains(slot));
  EXPECT_EQ(others.size(), tables_.sa_slots() - 2);
  // An inbound SPI that was not reserved is refused; the reserved one installs in its slot.
  SaParams p = sa_in(1);
  p.spi = make_spi(1, slot) == spi ? make_spi(2, slot) : make_spi(1, slot);
  EXPECT_EQ(w.add_sa(p, &err), 0u);
  EXPECT_NE(err.find("not reserved"), std::string::npos) << err;
  p.spi = spi;
  ASSERT_EQ(w.add_sa(p, &err), slot) << err;
  EXPECT_EQ(tables_.sa(slot).spi, spi);
  EXPECT_TRUE(published(tables_.sa(slot)));
  EXPECT_EQ(w.add_sa(p, &err), 0u) << "a reservation is used once";
  EXPECT_FALSE(w.release_spi(spi));
}

TEST_F(TablesTest, ReleasedSpiSlotReturnsToTheFreeList) {
  TableWriter w(tables_, 5);
  std::string err;
  std::vector<uint32_t> spis;
  uint32_t spi;
  while ((spi = w.alloc_spi(&err)) != 0) spis.push_back(spi);
  EXPECT_EQ(spis.size(), tables_.sa_slots() - 1);
  EXPECT_EQ(w.add_sa(sa_out(0x4000), &err), 0u);
  EXPECT_NE(err.find("full"), std::string::npos) << err;
  EXPECT_TRUE(w.release_spi(spis[3]));
  EXPECT_EQ(w.add_sa(sa_out(0x4000), &err), spi_slot(spis[3])) << err;
  EXPECT_FALSE(w.release_spi(0x12345678));
}

TEST_F(TablesTest, ReservedL2tpIdsAreUsedOnceAndOnlyByName) {
  // An LNS names its tunnel id in SCCRP and its session id in ICRP before the records exist.
  TableWriter w(tables_, 5);
  std::string err;
  const uint16_t tid = w.reserve_tunnel_id(&err);
  const uint16_t sid = w.reserve_session_id(&err);
  ASSERT_NE(tid, 0) << err;
  ASSERT_NE(sid, 0) << err;
  EXPECT_FALSE(published(tables_.tunnel(tid)));
  EXPECT_FALSE(published(tables_.session(sid)));
  // Other installs never take the reserved ids.
  const uint16_t other = tunnel(w, 2);
  EXPECT_NE(other, tid);
  const uint16_t other_s = w.add_session(session(other, kPoolA), &err);
  ASSERT_NE(other_s, 0) << err;
  EXPECT_NE(other_s, sid);
  // An id that was not reserved is refused; the reserved one installs under its name.
  const uint32_t out = w.add_sa(sa_out(0x2001, 1), &err);
  TunnelParams t;
  t.peer_index = 1;
  t.sa_out = out;
  t.id = static_cast<uint16_t>(tid + 100);
  EXPECT_EQ(w.add_tunnel(t, &err), 0);
  EXPECT_NE(err.find("not reserved"), std::string::npos) << err;
  t.id = tid;
  ASSERT_EQ(w.add_tunnel(t, &err), tid) << err;
  EXPECT_EQ(w.add_tunnel(t, &err), 0) << "a reservation is used once";
  SessionParams sp = session(tid, kPoolA + 1);
  sp.id = sid;
  ASSERT_EQ(w.add_session(sp, &err), sid) << err;
  EXPECT_TRUE(published(tables_.session(sid)));
  EXPECT_FALSE(w.release_session_id(sid));
  // A released reservation goes back to the free list.
  const uint16_t spare = w.reserve_tunnel_id(&err);
  ASSERT_NE(spare, 0) << err;
  EXPECT_TRUE(w.release_tunnel_id(spare));
  EXPECT_FALSE(w.release_tunnel_id(spare));
}

TEST_F(TablesTest, RetiredSessionKeepsItsIdForTheSameLnsSession) {
  // IPCP closes and opens again inside one L2TP session: the peer keeps naming the id.
  TearDown();
  make(sizes(2));
  TableWriter w(tables_, 6);
  std::string err;
  const uint16_t tid = tunnel(w);
  const uint16_t sid = w.reserve_session_id(&err);
  ASSERT_NE(sid, 0) << err;
  SessionParams sp = session(tid, kPoolA);
  sp.id = sid;
  ASSERT_EQ(w.add_session(sp, &err), sid) << err;
  rte_rcu_qsbr* rcu = tables_.rcu();
  ASSERT_EQ(rte_rcu_qsbr_thread_register(rcu, 0), 0);
  rte_rcu_qsbr_thread_online(rcu, 0);
  ASSERT_TRUE(w.retire_session(sid));
  EXPECT_FALSE(published(tables_.session(sid)));
  EXPECT_EQ(tables_.session_for_address(kPoolA), 0);
  // In the grace period the id can be installed by no one, its owner included.
  sp.client_addr = kPoolA + 1;
  EXPECT_EQ(w.add_session(sp, &err), 0);
  EXPECT_NE(err.find("retiring"), std::string::npos) << err;
  rte_rcu_qsbr_quiescent(rcu, 0);
  // After it, the other free slot is what a new reservation gets; the owner installs again.
  const uint16_t other = w.reserve_session_id(&err);
  EXPECT_NE(other, sid);
  ASSERT_EQ(w.add_session(sp, &err), sid) << err;
  EXPECT_EQ(tables_.session_for_address(kPoolA + 1), sid);
  // Retired and then released in its grace period: the id is free once the period ends.
  ASSERT_TRUE(w.retire_session(sid));
  EXPECT_TRUE(w.release_session_id(sid));
  EXPECT_FALSE(w.release_session_id(sid));
  rte_rcu_qsbr_quiescent(rcu, 0);
  w.reclaim(false);
  EXPECT_EQ(w.pending_reclaims(), 0u);
  ASSERT_TRUE(w.release_session_id(other));
  sp.id = 0;
  EXPECT_NE(w.add_session(sp, &err), 0) << err;
  rte_rcu_qsbr_thread_offline(rcu, 0);
  rte_rcu_qsbr_thread_unregister(rcu, 0);
}

TEST_F(TablesTest, RetiredTunnelKeepsItsIdUntilTheLnsReleasesIt) {
  // The control connection closed (StopCCN): the record goes at once, but the LNS lingers on
  // the id (RFC 2661 §5.7), so no new tunnel may be given it before release_tunnel_id.
  TearDown();
  make(sizes(2));
  TableWriter w(tables_, 7);
  std::string err;
  const uint16_t tid = w.reserve_tunnel_id(&err);
  ASSERT_NE(tid, 0) << err;
  TunnelParams t;
  t.peer_index = 1;
  t.sa_out = w.add_sa(sa_out(0x3001, 1), &err);
  t.id = tid;
  ASSERT_EQ(w.add_tunnel(t, &err), tid) << err;
  rte_rcu_qsbr* rcu = tables_.rcu();
  ASSERT_EQ(rte_rcu_qsbr_thread_register(rcu, 0), 0);
  rte_rcu_qsbr_thread_online(rcu, 0);
  ASSERT_TRUE(w.retire_tunnel(tid));
  EXPECT_FALSE(published(tables_.tunnel(tid)));
  EXPECT_FALSE(w.retire_tunnel(tid)) << "retired once";
  rte_rcu_qsbr_quiescent(rcu, 0);
  w.reclaim(false);
  EXPECT_EQ(w.pending_reclaims(), 0u);
  // Past the grace period the id is still reserved: every other id goes first, then none.
  std::set<uint16_t> others;
  for (uint16_t id; (id = w.reserve_tunnel_id(&err)) != 0;) others.insert(id);
  EXPECT_FALSE(others.contains(tid));
  EXPECT_FALSE(others.empty());
  // Its owner can still install it again under the same name.
  ASSERT_EQ(w.add_tunnel(t, &err), tid) << err;
  // Retired and released within the grace period: free once the period ends.
  ASSERT_TRUE(w.retire_tunnel(tid));
  EXPECT_TRUE(w.release_tunnel_id(tid));
  EXPECT_FALSE(w.release_tunnel_id(tid));
  EXPECT_EQ(w.reserve_tunnel_id(&err), 0) << "not before the grace period ends";
  rte_rcu_qsbr_quiescent(rcu, 0);
  w.reclaim(false);
  EXPECT_EQ(w.reserve_tunnel_id(&err), tid) << err;
  rte_rcu_qsbr_thread_offline(rcu, 0);
  rte_rcu_qsbr_thread_unregister(rcu, 0);
}

TEST_F(TablesTest, AWriterNeverOverwritesWhatAnotherWriterPublished) {
  // Two writers must not run at once (the controlplane holds an instance lock), but if one
  // does, the other skips slots published behind its back instead of rewriting live records.
  TableWriter a(tables_, 1);
  TableWriter b(tables_, 2);
  std::string err;
  const uint16_t tb = tunnel(b, 1);
  const uint16_t sb = b.add_session(session(tb, kPoolA), &err);
  ASSERT_NE(sb, 0) << err;
  const uint16_t ta = tunnel(a, 2);
  EXPECT_NE(ta, tb);
  const uint16_t sa = a.add_session(session(ta, kPoolA + 1), &err);
  ASSERT_NE(sa, 0) << err;
  EXPECT_NE(sa, sb);
  EXPECT_EQ(tables_.session(sb).client_addr, kPoolA);
  EXPECT_EQ(tables_.tunnel(tb).peer_index, 1u);
}

TEST_F(TablesTest, SessionRecordsTheirInstallTime) {
  TableWriter w(tables_, 1);
  std::string err;
  const uint16_t tid = tunnel(w, 1);
  const uint32_t before = static_cast<uint32_t>(std::time(nullptr));
  const uint16_t now_sid = w.add_session(session(tid, kPoolA), &err);
  SessionParams p = session(tid, kPoolA + 1);
  p.installed_at = 1700000000;
  const uint16_t given_sid = w.add_session(p, &err);
  ASSERT_NE(now_sid, 0);
  ASSERT_NE(given_sid, 0);
  EXPECT_GE(tables_.session_installed_at(now_sid), before);
  EXPECT_LE(tables_.session_installed_at(now_sid), static_cast<uint32_t>(std::time(nullptr)));
  EXPECT_EQ(tables_.session_installed_at(given_sid), 1700000000u);
}

// -- L2TPv3 pseudowires ---------------------------------------------------------------------

PseudowireParams plain_pw(uint32_t peer_sid = 0x5001) {
  static const std::array<uint8_t, 8> kLocal = {1, 2, 3, 4, 5, 6, 7, 8};
  static const std::array<uint8_t, 4> kPeer = {9, 10, 11, 12};
  PseudowireParams p;
  p.peer_session_id = peer_sid;
  p.local_addr = 0xcb007101;
  p.peer_addr = 0xcb007102;
  p.local_cookie = kLocal;
  p.peer_cookie = kPeer;
  return p;
}

TableSizes pw_sizes(uint32_t max_pseudowires = 8) {
  TableSizes s = sizes(4);
  s.max_pseudowires = max_pseudowires;
  return s;
}

TEST_F(TablesTest, PseudowireSessionIdEncodesItsSlotUnderATag) {
  TearDown();
  make(pw_sizes());
  TableWriter w(tables_, 99);
  std::set<uint32_t> ids;
  for (uint32_t n = 0; n < 4; ++n) {
    std::string err;
    const uint32_t id = w.add_pseudowire(plain_pw(0x5001 + n), &err);
    ASSERT_NE(id, 0u) << err;
    EXPECT_NE(id >> kPwSlotBits, 0u) << "the tag must be non-zero";
    const PseudowireRecord& r = tables_.pseudowire(pw_slot(id));
    EXPECT_TRUE(published(r));
    EXPECT_EQ(r.local_session_id, id);
    EXPECT_EQ(r.peer_session_id, 0x5001 + n);
    EXPECT_EQ(r.local_cookie_len, 8);
    EXPECT_EQ(r.peer_cookie_len, 4);
    EXPECT_EQ(r.local_cookie[7], 8);
    EXPECT_EQ(r.peer_cookie[3], 12);
    EXPECT_EQ(r.sa_out.load(), 0u);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(w.installed_pseudowires().size(), 4u);
}

TEST_F(TablesTest, PseudowireRefusals) {
  TearDown();
  make(pw_sizes());
  TableWriter w(tables_, 99);
  std::string err;
  PseudowireParams p = plain_pw();
  const std::array<uint8_t, 3> odd = {1, 2, 3};
  p.local_cookie = odd;
  EXPECT_EQ(w.add_pseudowire(p, &err), 0u);
  EXPECT_NE(err.find("0, 4 or 8"), std::string::npos) << err;
  p = plain_pw(0);
  EXPECT_EQ(w.add_pseudowire(p, &err), 0u);
  EXPECT_NE(err.find("reserved"), std::string::npos) << err;
  // Bound to an IPsec peer: needs that peer's outbound SA.
  p = plain_pw();
  p.peer_index = 3;
  EXPECT_EQ(w.add_pseudowire(p, &err), 0u);
  const uint32_t other = w.add_sa(sa_out(0x2000, 4), &err);
  ASSERT_NE(other, 0u) << err;
  p.sa_out = other;
  EXPECT_EQ(w.add_pseudowire(p, &err), 0u) << "another peer's SA";
  const uint32_t mine = w.add_sa(sa_out(0x2001, 3), &err);
  p.sa_out = mine;
  const uint32_t id = w.add_pseudowire(p, &err);
  ASSERT_NE(id, 0u) << err;
  EXPECT_EQ(tables_.pseudowire(pw_slot(id)).sa_out.load(), mine);
  // Rekey: only an outbound SA of the same peer.
  EXPECT_FALSE(w.set_pseudowire_sa_out(id, other));
  const uint32_t next = w.add_sa(sa_out(0x2002, 3), &err);
  EXPECT_TRUE(w.set_pseudowire_sa_out(id, next));
  EXPECT_EQ(tables_.pseudowire(pw_slot(id)).sa_out.load(), next);
  // A session id that was not reserved, and a stale id of the slot.
  p.session_id = id;
  EXPECT_EQ(w.add_pseudowire(p, &err), 0u);
  EXPECT_FALSE(w.del_pseudowire(id ^ (1u << kPwSlotBits)));
  EXPECT_TRUE(w.del_pseudowire(id));
  EXPECT_FALSE(w.del_pseudowire(id));
}

TEST_F(TablesTest, ReservedPseudowireIdIsUsedOnceAndOnlyByName) {
  TearDown();
  make(pw_sizes());
  TableWriter w(tables_, 7);
  std::string err;
  const uint32_t id = w.reserve_pw_session_id(&err);
  ASSERT_NE(id, 0u) << err;
  EXPECT_FALSE(published(tables_.pseudowire(pw_slot(id))));
  // An unnamed add takes another slot.
  const uint32_t any = w.add_pseudowire(plain_pw(), &err);
  ASSERT_NE(any, 0u) << err;
  EXPECT_NE(pw_slot(any), pw_slot(id));
  PseudowireParams p = plain_pw(0x6000);
  p.session_id = id;
  EXPECT_EQ(w.add_pseudowire(p, &err), id) << err;
  EXPECT_EQ(w.add_pseudowire(p, &err), 0u) << "a reservation is used once";
  const uint32_t spare = w.reserve_pw_session_id(&err);
  ASSERT_NE(spare, 0u) << err;
  EXPECT_TRUE(w.release_pw_session_id(spare));
  EXPECT_FALSE(w.release_pw_session_id(spare));
}

TEST_F(TablesTest, PseudowireSlotReturnsAfterTheGracePeriodAndARestartSeesTheRest) {
  TearDown();
  make(pw_sizes(2));
  std::string err;
  uint32_t kept;
  {
    TableWriter w(tables_, 5);
    const uint32_t a = w.add_pseudowire(plain_pw(0x11), &err);
    kept = w.add_pseudowire(plain_pw(0x12), &err);
    ASSERT_NE(kept, 0u) << err;
    EXPECT_EQ(w.add_pseudowire(plain_pw(0x13), &err), 0u);
    EXPECT_NE(err.find("full"), std::string::npos) << err;
    ASSERT_TRUE(w.del_pseudowire(a));
    w.reclaim(true);
    const uint32_t again = w.add_pseudowire(plain_pw(0x14), &err);
    ASSERT_NE(again, 0u) << err;
    EXPECT_EQ(pw_slot(again), pw_slot(a));
    EXPECT_NE(again, a) << "a new tag: the old id misses";
  }
  TableWriter restarted(tables_, 6);
  const auto installed = restarted.installed_pseudowires();
  EXPECT_EQ(installed.size(), 2u);
  EXPECT_NE(std::find(installed.begin(), installed.end(), kept), installed.end());
  EXPECT_EQ(restarted.add_pseudowire(plain_pw(0x15), &err), 0u) << "both slots are in use";
  EXPECT_TRUE(restarted.del_pseudowire(kept));
}

TEST_F(TablesTest, StaticPseudowireIdIsReservedExactly) {
  TearDown();
  make(pw_sizes(4));
  TableWriter w(tables_, 3);
  std::string err;
  const uint32_t id = (0x1a << kPwSlotBits) | 2;
  ASSERT_EQ(w.reserve_pw_session_id(id, &err), id) << err;
  EXPECT_EQ(w.reserve_pw_session_id((0x1b << kPwSlotBits) | 2, &err), 0u) << "slot 2 is taken";
  EXPECT_EQ(w.reserve_pw_session_id(2, &err), 0u) << "tag 0";
  EXPECT_EQ(w.reserve_pw_session_id((0x1a << kPwSlotBits) | 5, &err), 0u) << "no slot 5";
  EXPECT_EQ(w.reserve_pw_session_id(0x1a << kPwSlotBits, &err), 0u) << "slot 0";
  PseudowireParams p = plain_pw();
  p.session_id = id;
  EXPECT_EQ(w.add_pseudowire(p, &err), id) << err;
}

TEST_F(TablesTest, BridgeMembersArePublishedWithThePseudowires) {
  TearDown();
  make(pw_sizes(kMaxBridgePseudowires + 2));
  TableWriter w(tables_, 4);
  std::string err;
  auto members = [&] {
    const BridgeMembership& bm = tables_.header().bridge1;
    const BridgePorts& l = bm.lists[bm.active.load()];
    return std::vector<uint16_t>(l.slots, l.slots + l.n);
  };
  EXPECT_TRUE(members().empty());
  const uint32_t a = w.add_pseudowire(plain_pw(0x21), &err);
  PseudowireParams other = plain_pw(0x22);
  other.bridge = 2;  // another bridge: not a member of bridge 1
  ASSERT_NE(w.add_pseudowire(other, &err), 0u) << err;
  const uint32_t b = w.add_pseudowire(plain_pw(0x23), &err);
  ASSERT_NE(b, 0u) << err;
  EXPECT_EQ(members(), (std::vector<uint16_t>{static_cast<uint16_t>(pw_slot(a)),
                                              static_cast<uint16_t>(pw_slot(b))}));
  ASSERT_TRUE(w.del_pseudowire(a));
  EXPECT_EQ(members(), (std::vector<uint16_t>{static_cast<uint16_t>(pw_slot(b))}));
  // Bridge 1 holds at most kMaxBridgePseudowires.
  for (uint32_t n = 1; n < kMaxBridgePseudowires; ++n)
    ASSERT_NE(w.add_pseudowire(plain_pw(0x100 + n), &err), 0u) << n << ": " << err;
  EXPECT_EQ(members().size(), kMaxBridgePseudowires);
  EXPECT_EQ(w.add_pseudowire(plain_pw(0x200), &err), 0u);
  EXPECT_NE(err.find("bridge1"), std::string::npos) << err;
}

}  // namespace
}  // namespace l2tpgw::tables
