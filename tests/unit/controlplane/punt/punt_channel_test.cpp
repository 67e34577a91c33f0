// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/punt/punt_channel: drain a real rte_ring of real mbufs, count per
// class, dispatch to the right hook, and free every mbuf a hook does not keep.
#include "controlplane/punt/punt_channel.hpp"

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "common/wire/ppp.hpp"
#include "tests/unit/controlplane/eal_env.hpp"
#include "tests/unit/controlplane/packet_builder.hpp"

namespace l2tpgw::cp {
namespace {

L2TPGW_CP_TEST_EAL();

using namespace test;

class PuntChannelTest : public testing::Test {
 protected:
  void SetUp() override {
    pool_ = rte_pktmbuf_pool_create("cp_punt_test", 255, 0, kPrivSize, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
    ring_ = rte_ring_create("cp_punt_test", 256, SOCKET_ID_ANY, RING_F_SC_DEQ);
    ASSERT_NE(ring_, nullptr);
  }
  void TearDown() override {
    rte_ring_free(ring_);
    rte_mempool_free(pool_);
  }
  rte_mbuf* mbuf(PuntKind kind, const Bytes& bytes) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    EXPECT_NE(m, nullptr);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size())), bytes.data(), bytes.size());
    PktMeta& md = meta(m);
    std::memset(&md, 0, sizeof(md));
    md.punt_kind = kind;
    return m;
  }
  void enqueue(rte_mbuf* m) { ASSERT_EQ(rte_ring_enqueue(ring_, m), 0); }
  unsigned in_use() const { return 255 - rte_mempool_avail_count(pool_); }

  rte_mempool* pool_ = nullptr;
  rte_ring* ring_ = nullptr;
};

Bytes ike() {
  return cat({ether(), ipv4(0xcb00710a, 0xcb007101, 17, udp(500, 500, isakmp()))});
}
Bytes lcp() { return udp(1701, 1701, l2tp_data(1, 1, ppp(wire::kPppLcp, Bytes{9, 1, 0, 8, 0, 0, 0, 0}))); }

TEST_F(PuntChannelTest, CountsDispatchesAndFrees) {
  PuntChannel ch(ring_);
  std::vector<PuntClass> ike_seen;
  std::vector<uint16_t> ppp_seen;
  rte_mbuf* kept = nullptr;
  PuntHandlers h;
  h.ike = [&](PuntedPacket& p) {
    ike_seen.push_back(p.info.cls);
    EXPECT_EQ(p.payload.size(), 28u);
    return PuntVerdict::Consumed;  // processed, not kept: the channel frees it
  };
  h.ppp_control = [&](PuntedPacket& p) {
    ppp_seen.push_back(p.info.ppp_protocol);
    EXPECT_EQ(p.payload[0], 9) << "LCP Echo-Request code";
    kept = p.m;
    return PuntVerdict::Kept;
  };
  ch.set_handlers(h);
  enqueue(mbuf(PuntKind::Ike, ike()));
  enqueue(mbuf(PuntKind::PppControl, lcp()));
  enqueue(mbuf(PuntKind::L2tpControl, lcp()));  // a data message punted as control: Malformed
  enqueue(mbuf(PuntKind::ToSelf, ike()));       // no to_self hook: counted and freed
  enqueue(mbuf(PuntKind::None, ike()));
  EXPECT_EQ(in_use(), 5u);
  EXPECT_EQ(ch.drain(100), 5u);
  EXPECT_EQ(ike_seen, std::vector<PuntClass>{PuntClass::Ike});
  EXPECT_EQ(ppp_seen, std::vector<uint16_t>{wire::kPppLcp});
  const PuntCounters& c = ch.counters();
  EXPECT_EQ(c.packets[static_cast<size_t>(PuntClass::Ike)], 1u);
  EXPECT_EQ(c.packets[static_cast<size_t>(PuntClass::PppLcp)], 1u);
  EXPECT_EQ(c.packets[static_cast<size_t>(PuntClass::Malformed)], 1u);
  EXPECT_EQ(c.packets[static_cast<size_t>(PuntClass::ToSelf)], 1u);
  EXPECT_EQ(c.packets[static_cast<size_t>(PuntClass::Unknown)], 1u);
  EXPECT_EQ(c.octets[static_cast<size_t>(PuntClass::Ike)], ike().size());
  EXPECT_EQ(c.handled, 2u) << "IKE consumed, LCP kept";
  EXPECT_EQ(c.unhandled, 3u);
  EXPECT_EQ(in_use(), 1u) << "only the mbuf the LCP hook kept is still out";
  rte_pktmbuf_free(kept);
  EXPECT_EQ(in_use(), 0u);
}

// IKE hears the outer source of every packet an ESP-in-UDP SA authenticated, L2TP control
// (v2 or v3) and PPP alike; not of plain ESP, not of what no SA carried.
TEST_F(PuntChannelTest, DecryptedNatTPacketsTellTheirOuterSource) {
  PuntChannel ch(ring_);
  struct Seen {
    uint32_t slot, addr;
    uint16_t port;
  };
  std::vector<Seen> seen;
  PuntHandlers h;
  h.natt_source = [&](uint32_t slot, uint32_t addr, uint16_t port) { seen.push_back({slot, addr, port}); };
  ch.set_handlers(h);
  auto decrypted = [&](PuntKind kind, bool natt, uint32_t slot) {
    rte_mbuf* m = mbuf(kind, lcp());
    PktMeta& md = meta(m);
    md.natt = natt;
    md.sa_slot = slot;
    md.outer_src = 0xcb007102;
    md.outer_sport = 41000;
    return m;
  };
  enqueue(decrypted(PuntKind::PppControl, true, 7));
  enqueue(decrypted(PuntKind::L2tpControl, true, 9));
  enqueue(decrypted(PuntKind::PppControl, false, 7));  // plain ESP: no NAT to follow
  enqueue(decrypted(PuntKind::L2tpControl, true, 0));  // in the clear (`l2tpv3-raw`)
  enqueue(decrypted(PuntKind::Ike, true, 0));          // IKE follows its own datagrams
  EXPECT_EQ(ch.drain(100), 5u);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].slot, 7u);
  EXPECT_EQ(seen[1].slot, 9u);
  EXPECT_EQ(seen[1].addr, 0xcb007102u);
  EXPECT_EQ(seen[1].port, 41000);
  EXPECT_EQ(in_use(), 0u);
}

TEST_F(PuntChannelTest, DrainRespectsItsBudget) {
  PuntChannel ch(ring_);
  for (int i = 0; i < 100; ++i) enqueue(mbuf(PuntKind::Ike, ike()));
  EXPECT_EQ(ch.drain(40), 40u);
  EXPECT_EQ(rte_ring_count(ring_), 60u);
  EXPECT_EQ(ch.drain(1000), 60u);
  EXPECT_EQ(ch.drain(1000), 0u);
  EXPECT_EQ(ch.counters().unhandled, 100u);
  EXPECT_EQ(in_use(), 0u);
}

TEST_F(PuntChannelTest, ChainedMbufsAreLinearised) {
  PuntChannel ch(ring_);
  size_t seen = 0;
  PuntHandlers h;
  h.ike = [&](PuntedPacket& p) {
    seen = p.payload.size();
    return PuntVerdict::Declined;
  };
  ch.set_handlers(h);
  const Bytes full = ike();
  rte_mbuf* head = mbuf(PuntKind::Ike, Bytes(full.begin(), full.begin() + 30));
  rte_mbuf* tail = rte_pktmbuf_alloc(pool_);
  std::memcpy(rte_pktmbuf_append(tail, static_cast<uint16_t>(full.size() - 30)), full.data() + 30, full.size() - 30);
  ASSERT_EQ(rte_pktmbuf_chain(head, tail), 0);
  enqueue(head);
  EXPECT_EQ(ch.drain(10), 1u);
  EXPECT_EQ(seen, 28u);
  EXPECT_EQ(in_use(), 0u);
}

}  // namespace
}  // namespace l2tpgw::cp
