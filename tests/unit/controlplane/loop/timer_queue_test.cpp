// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/loop/timer_queue: order, ties, and tokens: a cancelled or superseded
// timer never runs, however its heap entry comes due.
#include "controlplane/loop/timer_queue.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace l2tpgw::cp {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = TimePoint{} + 1h;

TEST(TimerQueue, RunsDueTimersEarliestFirstTiesInArmingOrder) {
  TimerQueue q;
  std::string order;
  q.arm(t0 + 30ms, [&] { order += "c"; });
  q.arm(t0 + 10ms, [&] { order += "a"; });
  q.arm(t0 + 20ms, [&] { order += "b1"; });
  q.arm(t0 + 20ms, [&] { order += "b2"; });
  EXPECT_EQ(q.next_deadline(), t0 + 10ms);
  EXPECT_EQ(q.run_due(t0 + 5ms), 0u);
  EXPECT_EQ(q.run_due(t0 + 20ms), 3u);
  EXPECT_EQ(order, "ab1b2");
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.run_due(t0 + 1h), 1u);
  EXPECT_EQ(order, "ab1b2c");
  EXPECT_FALSE(q.next_deadline());
}

TEST(TimerQueue, CancelledTokenNeverFires) {
  TimerQueue q;
  int fired = 0;
  const TimerToken a = q.arm(t0 + 10ms, [&] { fired += 1; });
  const TimerToken b = q.arm(t0 + 20ms, [&] { fired += 10; });
  EXPECT_TRUE(q.armed(a));
  EXPECT_TRUE(q.cancel(a));
  EXPECT_FALSE(q.armed(a));
  EXPECT_FALSE(q.cancel(a)) << "cancelling twice is harmless";
  // The stale heap entry is skipped, not reported as the next deadline.
  EXPECT_EQ(q.next_deadline(), t0 + 20ms);
  EXPECT_EQ(q.run_due(t0 + 1h), 1u);
  EXPECT_EQ(fired, 10);
  EXPECT_FALSE(q.cancel(b)) << "a fired timer's token is stale";
}

TEST(TimerQueue, TokensAreNeverReused) {
  TimerQueue q;
  TimerToken prev;
  for (int i = 0; i < 100; ++i) {
    TimerToken t = q.arm(t0, [] {});
    EXPECT_NE(t, prev);
    EXPECT_TRUE(t);
    q.cancel(t);
    prev = t;
  }
  EXPECT_EQ(q.run_due(t0), 0u);
}

// The retransmission pattern: each (re)send re-arms the timer; only the newest arming may
// fire, as strongSwan's retransmit(seqnr) ignores an old sequence number.
TEST(TimerQueue, ReArmingSupersedesTheOldTimer) {
  TimerQueue q;
  std::vector<int> fired;
  TimerToken current;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    q.cancel(current);
    current = q.arm(t0 + std::chrono::milliseconds(attempt * 10), [&fired, attempt] { fired.push_back(attempt); });
  }
  q.run_due(t0 + 1h);
  EXPECT_EQ(fired, std::vector<int>{3});
}

// A protocol object that checks the token it was armed with against its current one, for the
// case where cancelling is not possible (the event was already queued elsewhere).
TEST(TimerQueue, GenerationTokenInTheCallbackIgnoresStaleFirings) {
  TimerQueue q;
  uint64_t generation = 0;
  std::vector<uint64_t> acted;
  auto arm = [&](std::chrono::milliseconds d) {
    const uint64_t mine = ++generation;
    q.arm(t0 + d, [&, mine] {
      if (mine != generation) return;  // stale: the state moved on
      acted.push_back(mine);
    });
  };
  arm(10ms);
  arm(20ms);  // supersedes the first without cancelling it
  EXPECT_EQ(q.run_due(t0 + 1h), 2u) << "both callbacks ran";
  EXPECT_EQ(acted, std::vector<uint64_t>{2}) << "only the current generation acted";
}

TEST(TimerQueue, CallbacksMayArmAndCancel) {
  TimerQueue q;
  std::string order;
  TimerToken victim = q.arm(t0 + 20ms, [&] { order += "victim"; });
  q.arm(t0 + 10ms, [&] {
    order += "a";
    q.cancel(victim);
    // Due already, but armed during run_due: it waits for the next call.
    q.arm(t0, [&] { order += "late"; });
  });
  EXPECT_EQ(q.run_due(t0 + 1h), 1u);
  EXPECT_EQ(order, "a");
  EXPECT_EQ(q.next_deadline(), t0);
  EXPECT_EQ(q.run_due(t0 + 1h), 1u);
  EXPECT_EQ(order, "alate");
}

TEST(TimerQueue, ZeroDelaySelfRearmDoesNotStarve) {
  TimerQueue q;
  int runs = 0;
  std::function<void()> again = [&] {
    ++runs;
    q.arm(t0, again);
  };
  q.arm(t0, again);
  EXPECT_EQ(q.run_due(t0), 1u);
  EXPECT_EQ(q.run_due(t0), 1u);
  EXPECT_EQ(runs, 2);
}

}  // namespace
}  // namespace l2tpgw::cp
