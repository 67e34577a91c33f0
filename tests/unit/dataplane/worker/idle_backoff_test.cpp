// SPDX-License-Identifier: Apache-2.0
// Tests for dataplane/worker/idle_backoff.hpp: when a poll-mode lcore may sleep.
#include "dataplane/worker/idle_backoff.hpp"

#include <gtest/gtest.h>

namespace l2tpgw::dp {
namespace {

TEST(IdleBackoff, ZeroSleepIsPurePolling) {
  IdleBackoff b(0, 0);
  EXPECT_FALSE(b.enabled());
  for (int i = 0; i < 100000; ++i) ASSERT_FALSE(b.after_loop(false));
}

TEST(IdleBackoff, SleepsAfterPollsEmptyLoopsInARow) {
  IdleBackoff b(100, 3);
  EXPECT_TRUE(b.enabled());
  EXPECT_EQ(b.sleep_us(), 100u);
  EXPECT_FALSE(b.after_loop(false));
  EXPECT_FALSE(b.after_loop(false));
  EXPECT_TRUE(b.after_loop(false));   // the third empty loop in a row
  EXPECT_TRUE(b.after_loop(false));   // and every empty loop after it
  EXPECT_TRUE(b.after_loop(false));
}

TEST(IdleBackoff, WorkStartsTheCountAgain) {
  IdleBackoff b(100, 2);
  EXPECT_FALSE(b.after_loop(false));
  EXPECT_FALSE(b.after_loop(true));   // busy: never sleep, and forget the empty loops
  EXPECT_FALSE(b.after_loop(false));
  EXPECT_TRUE(b.after_loop(false));
  EXPECT_FALSE(b.after_loop(true));   // a sleeping lcore that finds work spins again
  EXPECT_FALSE(b.after_loop(false));
  EXPECT_TRUE(b.after_loop(false));
}

TEST(IdleBackoff, ZeroPollsSleepsAtTheFirstEmptyLoop) {
  IdleBackoff b(50, 0);   // the slowpath's setting
  EXPECT_TRUE(b.after_loop(false));
  EXPECT_FALSE(b.after_loop(true));
  EXPECT_TRUE(b.after_loop(false));
}

TEST(IdleBackoff, TheCountSaturates) {
  IdleBackoff b(10, UINT32_MAX);
  for (uint64_t i = 0; i < 1000; ++i) ASSERT_FALSE(b.after_loop(false));
  IdleBackoff c(10, 1);
  for (uint64_t i = 0; i < 100000; ++i) ASSERT_TRUE(c.after_loop(false));  // never wraps to spinning
}

}  // namespace
}  // namespace l2tpgw::dp
