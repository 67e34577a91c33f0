// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/punt/event_channel: events from a real 8-byte-element ring become
// listener calls; stale slots and unknown kinds are counted, not delivered.
#include "controlplane/punt/event_channel.hpp"

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/controlplane/tables_fixture.hpp"

namespace l2tpgw::cp {
namespace {

using namespace test;

struct Recorder : InstallerListener {
  struct Expire {
    uint32_t slot, spi;
    ExpireReason why;
  };
  std::vector<Expire> expired;
  void expire(uint32_t slot, uint32_t spi, ExpireReason why) override { expired.push_back({slot, spi, why}); }
};

class EventChannelTest : public TablesFixture {
 protected:
  void SetUp() override {
    TablesFixture::SetUp();
    ring_ = rte_ring_create_elem("cp_event_test", 8, 64, SOCKET_ID_ANY, RING_F_SC_DEQ);
    ASSERT_NE(ring_, nullptr);
  }
  void TearDown() override {
    rte_ring_free(ring_);
    TablesFixture::TearDown();
  }
  void put(uint64_t ev) { ASSERT_EQ(rte_ring_enqueue_elem(ring_, &ev, sizeof(ev)), 0); }
  rte_ring* ring_ = nullptr;
};

TEST_F(EventChannelTest, SequenceExhaustionBecomesAHardExpire) {
  tables::TableWriter w(tables_, 1);
  std::string err;
  const uint32_t out = w.add_sa(sa(tables::SaDirection::Outbound, 1, 0x20000001), &err);
  ASSERT_NE(out, 0u) << err;
  Recorder rec;
  EventChannel ch(ring_, tables_, rec);
  put(encode_dp_event(DpEventKind::SeqExhausted, out));
  put(encode_dp_event(DpEventKind::SeqExhausted, out + 1));  // nothing installed there
  put(encode_dp_event(static_cast<DpEventKind>(77), out));   // from a newer dataplane
  EXPECT_EQ(ch.drain(100), 3u);
  ASSERT_EQ(rec.expired.size(), 1u);
  EXPECT_EQ(rec.expired[0].slot, out);
  EXPECT_EQ(rec.expired[0].spi, 0x20000001u);
  EXPECT_EQ(rec.expired[0].why, ExpireReason::SeqExhausted);
  EXPECT_EQ(ch.counters().seq_exhausted, 1u);
  EXPECT_EQ(ch.counters().stale, 1u);
  EXPECT_EQ(ch.counters().unknown, 1u);
  EXPECT_EQ(ch.counters().total(), 3u);
}

TEST_F(EventChannelTest, SequenceSoftLimitBecomesASoftExpire) {
  tables::TableWriter w(tables_, 1);
  std::string err;
  const uint32_t out = w.add_sa(sa(tables::SaDirection::Outbound, 1, 0x20000002), &err);
  ASSERT_NE(out, 0u) << err;
  Recorder rec;
  EventChannel ch(ring_, tables_, rec);
  put(encode_dp_event(DpEventKind::SeqSoft, out));
  put(encode_dp_event(DpEventKind::SeqSoft, 0));  // never a slot
  EXPECT_EQ(ch.drain(100), 2u);
  ASSERT_EQ(rec.expired.size(), 1u);
  EXPECT_EQ(rec.expired[0].spi, 0x20000002u);
  EXPECT_EQ(rec.expired[0].why, ExpireReason::SoftLifetime);
  EXPECT_EQ(ch.counters().seq_soft, 1u);
  EXPECT_EQ(ch.counters().stale, 1u);
}

TEST_F(EventChannelTest, TheEncodingMatchesTheDataplanes) {
  // esp_encrypt enqueues kind << 32 | slot (common/punt.hpp).
  EXPECT_EQ(encode_dp_event(DpEventKind::SeqExhausted, 5), (uint64_t{1} << 32) | 5);
  const DpEvent e = decode_dp_event((uint64_t{1} << 32) | 0xfffff);
  EXPECT_EQ(e.kind, DpEventKind::SeqExhausted);
  EXPECT_EQ(e.arg, 0xfffffu);
}

}  // namespace
}  // namespace l2tpgw::cp
