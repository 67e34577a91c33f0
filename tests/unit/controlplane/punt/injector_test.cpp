// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/punt/injector: the mbuf reaches the right worker's inject ring with a
// PktMeta the dataplane accepts (InjectNext values, the outbound SA slot), and every refusal
// frees the mbuf.
#include "controlplane/punt/injector.hpp"

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "tests/unit/controlplane/tables_fixture.hpp"

namespace l2tpgw::cp {
namespace {

using namespace test;

class InjectorTest : public TablesFixture {
 protected:
  void SetUp() override {
    TablesFixture::SetUp();
    pool_ = rte_pktmbuf_pool_create("cp_inject_test", 127, 0, kPrivSize, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
    for (uint32_t w = 0; w < 2; ++w) {
      rings_[w] = rte_ring_create(("cp_inj_test_" + std::to_string(w)).c_str(), 4, SOCKET_ID_ANY, RING_F_SC_DEQ);
      ASSERT_NE(rings_[w], nullptr);
    }
  }
  void TearDown() override {
    for (rte_ring* r : rings_)
      if (r) {
        void* m;
        while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
        rte_ring_free(r);
      }
    rte_mempool_free(pool_);
    TablesFixture::TearDown();
  }
  unsigned in_use() const { return 127 - rte_mempool_avail_count(pool_); }

  rte_mempool* pool_ = nullptr;
  std::array<rte_ring*, tables::kMaxWorkers> rings_{};
};

TEST_F(InjectorTest, EspGoesToTheSaOwnersRing) {
  tables::TableWriter w(tables_, 1);
  std::string err;
  // Peer 3 is owned by worker 3 % 2 = 1.
  const uint32_t out = w.add_sa(sa(tables::SaDirection::Outbound, 3, 0x10000001), &err);
  ASSERT_NE(out, 0u) << err;
  Injector inj(pool_, rings_, tables_);
  rte_mbuf* m = inj.alloc();
  ASSERT_NE(m, nullptr);
  EXPECT_GE(rte_pktmbuf_headroom(m), 14u + 20 + 8 + 8 + 16) << "room for Ethernet/IPv4/UDP/ESP/IV";
  meta(m).punt_kind = PuntKind::Ike;  // garbage from an earlier life must not survive
  EXPECT_EQ(inj.send_esp(m, out), InjectResult::Ok);
  EXPECT_EQ(rte_ring_count(rings_[0]), 0u);
  ASSERT_EQ(rte_ring_count(rings_[1]), 1u);
  void* got = nullptr;
  ASSERT_EQ(rte_ring_dequeue(rings_[1], &got), 0);
  const PktMeta& md = meta(static_cast<rte_mbuf*>(got));
  EXPECT_EQ(md.resume, static_cast<uint8_t>(InjectNext::EspEncrypt));
  EXPECT_EQ(md.sa_slot, out);
  EXPECT_EQ(md.punt_kind, PuntKind::None);
  rte_pktmbuf_free(static_cast<rte_mbuf*>(got));
  EXPECT_EQ(inj.counters().esp, 1u);
}

TEST_F(InjectorTest, AllocCopyHoldsTheBytesOrNothing) {
  Injector inj(pool_, rings_, tables_);
  const std::vector<uint8_t> small = {1, 2, 3, 4, 5};
  rte_mbuf* m = inj.alloc_copy(small);
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->data_len, small.size());
  EXPECT_EQ(std::memcmp(rte_pktmbuf_mtod(m, const uint8_t*), small.data(), small.size()), 0);
  rte_pktmbuf_free(m);
  // More than one mbuf's tailroom: refused, counted, nothing leaked.
  const std::vector<uint8_t> big(RTE_MBUF_DEFAULT_BUF_SIZE, 0xab);
  EXPECT_EQ(inj.alloc_copy(big), nullptr);
  const std::vector<uint8_t> huge(70000, 0xab);
  EXPECT_EQ(inj.alloc_copy(huge), nullptr);
  EXPECT_EQ(inj.counters().too_big, 2u);
  EXPECT_EQ(in_use(), 0u);
}

TEST_F(InjectorTest, EspRefusalsFreeTheMbuf) {
  tables::TableWriter w(tables_, 1);
  std::string err;
  const uint32_t in = w.add_sa(sa(tables::SaDirection::Inbound, 2), &err);
  const uint32_t out = w.add_sa(sa(tables::SaDirection::Outbound, 2, 0x10000002), &err);
  ASSERT_TRUE(in && out) << err;
  ASSERT_TRUE(w.del_sa(out));
  Injector inj(pool_, rings_, tables_);
  EXPECT_EQ(inj.send_esp(inj.alloc(), in), InjectResult::NoSuchSa) << "inbound SA";
  EXPECT_EQ(inj.send_esp(inj.alloc(), out), InjectResult::NoSuchSa) << "deleted SA";
  EXPECT_EQ(inj.send_esp(inj.alloc(), 0), InjectResult::NoSuchSa);
  EXPECT_EQ(inj.send_esp(inj.alloc(), tables_.sa_slots()), InjectResult::NoSuchSa);
  EXPECT_EQ(inj.counters().no_sa, 4u);
  EXPECT_EQ(in_use(), 0u);
}

TEST_F(InjectorTest, RawFramesAndAFullRing) {
  Injector inj(pool_, rings_, tables_);
  // A ring of size 4 holds 3.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(inj.send_raw(inj.alloc(), TxPort::Wan, 0), InjectResult::Ok);
  EXPECT_EQ(inj.send_raw(inj.alloc(), TxPort::Lan, 0), InjectResult::RingFull);
  EXPECT_EQ(inj.send_raw(inj.alloc(), TxPort::Wan, 2), InjectResult::NoSuchWorker) << "2 workers";
  EXPECT_EQ(in_use(), 3u);
  void* got = nullptr;
  ASSERT_EQ(rte_ring_dequeue(rings_[0], &got), 0);
  EXPECT_EQ(meta(static_cast<rte_mbuf*>(got)).resume, static_cast<uint8_t>(InjectNext::TxWan));
  rte_pktmbuf_free(static_cast<rte_mbuf*>(got));
  EXPECT_EQ(inj.send_raw(inj.alloc(), TxPort::Lan, 0), InjectResult::Ok);
  const InjectCounters& c = inj.counters();
  EXPECT_EQ(c.raw, 4u);
  EXPECT_EQ(c.ring_full, 1u);
  EXPECT_EQ(c.no_worker, 1u);
}

}  // namespace
}  // namespace l2tpgw::cp
