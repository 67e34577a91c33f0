// SPDX-License-Identifier: Apache-2.0
// Tests for the ICMP error rate limit: burst, refill rate, idle periods, disabled bucket.
#include "dataplane/worker/token_bucket.hpp"

#include <cstdint>

#include <gtest/gtest.h>

namespace l2tpgw::dp {
namespace {

constexpr uint64_t kHz = 2'000'000'000;  // a 2 GHz TSC

int take_all(TokenBucket& b, uint64_t now) {
  int n = 0;
  while (b.take(now)) ++n;
  return n;
}

TEST(TokenBucket, FullBurstThenNothing) {
  TokenBucket b;
  b.configure(1000, 50, kHz);
  EXPECT_EQ(take_all(b, 12345), 50);
  EXPECT_FALSE(b.take(12345));
}

TEST(TokenBucket, RefillsAtTheRate) {
  TokenBucket b;
  b.configure(1000, 50, kHz);
  uint64_t now = 1'000'000'000;
  EXPECT_EQ(take_all(b, now), 50);
  // One token per millisecond: none after half of one, one after one.
  EXPECT_FALSE(b.take(now + kHz / 2000));
  EXPECT_TRUE(b.take(now + kHz / 1000));
  EXPECT_FALSE(b.take(now + kHz / 1000));
  // A flood over one second gets the burst plus the rate, not more.
  TokenBucket f;
  f.configure(1000, 50, kHz);
  int sent = 0;
  for (uint64_t t = 0; t < kHz; t += kHz / 100'000) sent += f.take(now + t);  // 100,000 tries
  EXPECT_GE(sent, 1000 + 50 - 2);
  EXPECT_LE(sent, 1000 + 50);
}

TEST(TokenBucket, IdleRefillsOnlyUpToTheBurst) {
  TokenBucket b;
  b.configure(10, 5, kHz);
  EXPECT_EQ(take_all(b, 0), 5);
  // An hour, then years, of silence: still only the burst (and nothing overflows).
  EXPECT_EQ(take_all(b, 3600 * kHz), 5);
  EXPECT_EQ(take_all(b, UINT64_MAX / 2), 5);
}

TEST(TokenBucket, DisabledAndEdgeConfigurations) {
  TokenBucket off;
  EXPECT_FALSE(off.take(0));  // default: disabled
  off.configure(0, 50, kHz);
  EXPECT_FALSE(off.enabled());
  EXPECT_FALSE(off.take(kHz));
  TokenBucket one;
  one.configure(1, 0, kHz);  // burst 0 is taken as 1
  EXPECT_EQ(take_all(one, 0), 1);
  EXPECT_TRUE(one.take(kHz));
  TokenBucket fast;
  fast.configure(UINT32_MAX, 2, 1000);  // faster than the clock: one token per tick
  EXPECT_EQ(take_all(fast, 0), 2);
  EXPECT_TRUE(fast.take(1));
}

}  // namespace
}  // namespace l2tpgw::dp
