// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ppp/timers: the fake clock, PppTimer's cancellation, the RNGs.
#include "controlplane/ppp/timers.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace l2tpgw::cp::ppp {
namespace {

using namespace std::chrono_literals;

TEST(ManualTimers, RunsDueTimersInDeadlineOrder) {
  ManualTimers t;
  std::vector<int> ran;
  t.arm_after(2s, [&] { ran.push_back(2); });
  t.arm_after(1s, [&] { ran.push_back(1); });
  t.advance(999ms);
  EXPECT_TRUE(ran.empty());
  t.advance(1s);
  EXPECT_EQ(ran, (std::vector<int>{1}));
  t.advance(1s);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
}

TEST(ManualTimers, TimersArmedByCallbacksRunWithinTheStep) {
  ManualTimers t;
  int fired = 0;
  std::function<void()> again = [&] {
    ++fired;
    t.arm_after(3s, again);
  };
  t.arm_after(3s, again);
  t.advance(10s);  // 3, 6, 9
  EXPECT_EQ(fired, 3);
  EXPECT_EQ(t.now().time_since_epoch(), 10s);
}

TEST(PppTimer, RearmCancelsAndDestructorCancels) {
  ManualTimers t;
  int a = 0, b = 0;
  {
    PppTimer timer(t);
    timer.arm(1s, [&] { ++a; });
    timer.arm(1s, [&] { ++b; });
    EXPECT_TRUE(timer.armed());
    t.advance(1s);
    EXPECT_EQ(a, 0);
    EXPECT_EQ(b, 1);
    EXPECT_FALSE(timer.armed());
    timer.arm(1s, [&] { ++a; });
  }
  EXPECT_EQ(t.armed(), 0u);
  t.advance(5s);
  EXPECT_EQ(a, 0);
}

TEST(LoopTimers, FireOnTheEventLoopAndCancel) {
  EventLoop loop;
  LoopTimers t(loop);
  int fired = 0;
  PppTimer a(t), b(t);
  a.arm(1ms, [&] { ++fired; });
  b.arm(1ms, [&] { fired += 10; });
  b.cancel();
  for (int i = 0; i < 100 && fired == 0; ++i) loop.run_once(10ms);
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(loop.timers_armed(), 0u);
}

TEST(Random, SequenceIsReproducibleOsIsNot) {
  SequenceRandom r1(7), r2(7), r3(8);
  EXPECT_EQ(r1.u32(), r2.u32());
  EXPECT_NE(SequenceRandom(7).u32(), r3.u32());
  OsRandom os;
  uint8_t x[16] = {}, y[16] = {};
  os.fill(x);
  os.fill(y);
  EXPECT_NE(std::vector<uint8_t>(x, x + 16), std::vector<uint8_t>(y, y + 16));
}

}  // namespace
}  // namespace l2tpgw::cp::ppp
