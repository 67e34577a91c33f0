// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/loop/event_loop: fd dispatch, removal during dispatch, timerfd-driven
// timers, TimerSlot (re-arming cancels: a stale firing never runs) and stop().
#include "controlplane/loop/event_loop.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace l2tpgw::cp {
namespace {

using namespace std::chrono_literals;

// Runs the loop until `done` or the deadline; the deadline only bounds a failing test.
template <class F>
bool run_until(EventLoop& loop, F done, Duration limit = 5s) {
  const TimePoint end = EventLoop::now() + limit;
  while (!done()) {
    if (EventLoop::now() >= end) return false;
    loop.run_once(50ms);
  }
  return true;
}

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    close(r);
    close(w);
  }
  void put(char c) { ASSERT_EQ(write(w, &c, 1), 1); }
};

TEST(EventLoop, DispatchesReadableFds) {
  EventLoop loop;
  Pipe p;
  std::string got;
  ASSERT_TRUE(loop.add_fd(p.r, EPOLLIN, [&](uint32_t ev) {
    EXPECT_TRUE(ev & EPOLLIN);
    char c;
    while (read(p.r, &c, 1) == 1) got += c;
  }));
  EXPECT_FALSE(loop.add_fd(p.r, EPOLLIN, [](uint32_t) {})) << "one watch per fd";
  p.put('x');
  p.put('y');
  ASSERT_TRUE(run_until(loop, [&] { return got.size() == 2; }));
  EXPECT_EQ(got, "xy");
  loop.remove_fd(p.r);
  p.put('z');
  loop.run_once(20ms);
  EXPECT_EQ(got, "xy") << "removed fds are not dispatched";
}

TEST(EventLoop, AnFdRemovedByAnEarlierCallbackOfTheSameBatchIsSkipped) {
  EventLoop loop;
  Pipe a, b;
  int a_calls = 0, b_calls = 0;
  // Whichever runs first removes the other; exactly one of them runs.
  loop.add_fd(a.r, EPOLLIN, [&](uint32_t) {
    ++a_calls;
    loop.remove_fd(b.r);
    loop.remove_fd(a.r);
  });
  loop.add_fd(b.r, EPOLLIN, [&](uint32_t) {
    ++b_calls;
    loop.remove_fd(a.r);
    loop.remove_fd(b.r);
  });
  a.put('1');
  b.put('2');
  loop.run_once(1s);
  EXPECT_EQ(a_calls + b_calls, 1);
}

TEST(EventLoop, TimersFireThroughTheTimerfdInDeadlineOrder) {
  EventLoop loop;
  std::string order;
  const TimePoint start = EventLoop::now();
  loop.arm_after(30ms, [&] { order += "b"; });
  loop.arm_after(10ms, [&] { order += "a"; });
  loop.arm_after(0ms, [&] { order += "0"; });
  ASSERT_TRUE(run_until(loop, [&] { return order.size() == 3; }));
  EXPECT_EQ(order, "0ab");
  EXPECT_GE(EventLoop::now() - start, 30ms) << "not before the deadline";
  EXPECT_EQ(loop.timers_armed(), 0u);
}

TEST(EventLoop, TimerSlotReArmCancelsTheStaleFiring) {
  EventLoop loop;
  TimerSlot slot;
  std::vector<int> fired;
  slot.arm(loop, 5ms, [&] { fired.push_back(1); });
  const TimerToken first = slot.token();
  slot.arm(loop, 20ms, [&] { fired.push_back(2); });
  EXPECT_FALSE(loop.armed(first));
  EXPECT_TRUE(slot.armed(loop));
  ASSERT_TRUE(run_until(loop, [&] { return !fired.empty(); }));
  // Give the superseded deadline (long past) every chance to show up.
  loop.run_once(10ms);
  EXPECT_EQ(fired, std::vector<int>{2});
  EXPECT_FALSE(slot.armed(loop));
  slot.arm(loop, 1ms, [&] { fired.push_back(3); });
  slot.cancel(loop);
  loop.run_once(20ms);
  EXPECT_EQ(fired, std::vector<int>{2}) << "a cancelled slot never fires";
}

TEST(EventLoop, StopEndsRun) {
  EventLoop loop;
  int ticks = 0;
  std::function<void()> tick = [&] {
    if (++ticks == 3) loop.stop();
    else loop.arm_after(1ms, tick);
  };
  loop.arm_after(1ms, tick);
  loop.run();
  EXPECT_EQ(ticks, 3);
  EXPECT_TRUE(loop.stopped());
  EXPECT_FALSE(loop.run_once(0ms));
}

TEST(EventLoop, TimersArmedFromAnFdCallbackAreServed) {
  EventLoop loop;
  Pipe p;
  bool timer = false;
  loop.add_fd(p.r, EPOLLIN, [&](uint32_t) {
    char c;
    while (read(p.r, &c, 1) == 1) {
    }
    loop.arm_after(2ms, [&] { timer = true; });
  });
  p.put('x');
  ASSERT_TRUE(run_until(loop, [&] { return timer; }));
}

}  // namespace
}  // namespace l2tpgw::cp
