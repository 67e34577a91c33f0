// SPDX-License-Identifier: Apache-2.0
// Tests for dataplane/bridge/mac_table.hpp: learning, moves, ageing, eviction, flush.
#include "dataplane/bridge/mac_table.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace l2tpgw::dp {
namespace {

constexpr uint64_t kA = 0x020000000001, kB = 0x020000000002;

TEST(MacTable, LearnsLooksUpAndFollowsAMove) {
  MacTable t(16, 300);
  EXPECT_EQ(t.lookup(kA, 100), kBridgePortNone);
  EXPECT_EQ(t.learn(kA, kBridgePortLan, 100), MacTable::Learned::New);
  EXPECT_EQ(t.learn(kA, kBridgePortLan, 101), MacTable::Learned::Known);
  EXPECT_EQ(t.lookup(kA, 101), kBridgePortLan);
  EXPECT_EQ(t.lookup(kB, 101), kBridgePortNone);
  // The station now speaks from across pseudowire 3.
  EXPECT_EQ(t.learn(kA, 3, 102), MacTable::Learned::Moved);
  EXPECT_EQ(t.lookup(kA, 102), 3);
}

TEST(MacTable, EntriesAgeOut) {
  MacTable t(16, 300);
  t.learn(kA, 5, 1000);
  EXPECT_EQ(t.lookup(kA, 1300), 5);
  EXPECT_EQ(t.lookup(kA, 1301), kBridgePortNone);
  // Seen again: alive again.
  t.learn(kA, 5, 1400);
  EXPECT_EQ(t.lookup(kA, 1500), 5);
}

TEST(MacTable, AFullBucketGivesUpItsLongestUnseenEntry) {
  MacTable t(1, 300);  // one bucket: every address collides
  for (uint64_t i = 0; i < MacTable::kWays; ++i) t.learn(0x020000000100 + i, 1, static_cast<uint32_t>(10 + i));
  t.learn(0x020000000100, 1, 50);  // the first one is seen again: now the freshest
  EXPECT_EQ(t.learn(kB, 2, 60), MacTable::Learned::New);
  EXPECT_EQ(t.lookup(kB, 60), 2);
  EXPECT_EQ(t.lookup(0x020000000100, 60), 1) << "recently seen: kept";
  EXPECT_EQ(t.lookup(0x020000000101, 60), kBridgePortNone) << "the longest unseen: evicted";
  for (uint64_t i = 2; i < MacTable::kWays; ++i) EXPECT_EQ(t.lookup(0x020000000100 + i, 60), 1) << i;
}

TEST(MacTable, FlushForgetsOnePortOnly) {
  MacTable t(64, 300);
  t.learn(kA, 7, 1);
  t.learn(kB, kBridgePortLan, 1);
  t.flush_port(7);
  EXPECT_EQ(t.lookup(kA, 2), kBridgePortNone);
  EXPECT_EQ(t.lookup(kB, 2), kBridgePortLan);
}

TEST(MacTable, ConcurrentLearnersLeaveEveryAddressFindable) {
  // Two workers learn disjoint address sets at once (as two lcores do): afterwards every
  // address answers with its own port. 2 × 512 addresses in 4096 entries.
  MacTable t(512, 300);
  auto learner = [&](uint64_t base, BridgePort port) {
    for (int round = 0; round < 50; ++round)
      for (uint64_t i = 0; i < 512; ++i) t.learn(base + i, port, 7);
  };
  std::thread a(learner, 0x020000010000, BridgePort{1});
  std::thread b(learner, 0x020000020000, BridgePort{2});
  a.join();
  b.join();
  int missing = 0;
  for (uint64_t i = 0; i < 512; ++i) {
    missing += t.lookup(0x020000010000 + i, 7) != 1;
    missing += t.lookup(0x020000020000 + i, 7) != 2;
  }
  EXPECT_EQ(missing, 0);
}

TEST(MacTable, GroupAddressesAreRecognised) {
  const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
  const uint8_t ucast[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  EXPECT_TRUE(mac_is_group(bcast));
  EXPECT_TRUE(mac_is_group(mcast));
  EXPECT_FALSE(mac_is_group(ucast));
  EXPECT_EQ(mac_to_u64(ucast), kA);
}

}  // namespace
}  // namespace l2tpgw::dp
