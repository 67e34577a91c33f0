// SPDX-License-Identifier: Apache-2.0
// EventLoop: the controlplane's one thread (epoll for file descriptors, one timerfd for the
// TimerQueue). Every protocol object lives on it, so nothing in the controlplane locks.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "controlplane/loop/timer_queue.hpp"

namespace l2tpgw::cp {

class EventLoop {
 public:
  using FdCallback = std::function<void(uint32_t events)>;  // EPOLLIN | EPOLLOUT | ...

  EventLoop();  // FATAL (abort with a message) when epoll or the timerfd cannot be created
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Watches `fd` (not owned). The callback may add or remove any fd, this one included; an
  // event for an fd removed earlier in the same iteration is not delivered.
  bool add_fd(int fd, uint32_t events, FdCallback cb);
  bool modify_fd(int fd, uint32_t events);
  void remove_fd(int fd);

  TimerToken arm_at(TimePoint deadline, TimerQueue::Callback cb);
  TimerToken arm_after(Duration delay, TimerQueue::Callback cb) {
    return arm_at(now() + delay, std::move(cb));
  }
  bool cancel(TimerToken t) { return timers_.cancel(t); }
  bool armed(TimerToken t) const { return timers_.armed(t); }
  size_t timers_armed() const { return timers_.size(); }

  static TimePoint now() { return Clock::now(); }

  // Waits up to `max_wait` (negative: until something happens) and dispatches what is ready:
  // fd events, then due timers. Returns false after stop().
  bool run_once(Duration max_wait);
  // Runs until stop().
  void run();
  void stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }

 private:
  struct Watch {
    uint32_t generation;
    FdCallback cb;
  };
  void update_timerfd();

  int epfd_ = -1;
  int timerfd_ = -1;
  TimerQueue timers_;
  std::unordered_map<int, std::shared_ptr<Watch>> watches_;
  uint32_t next_generation_ = 1;
  TimePoint timerfd_deadline_{};  // what the timerfd is armed for (epoch = disarmed)
  bool stopped_ = false;
};

// One logical timer of a protocol object (a retransmission, a keepalive): arming it again
// cancels the previous firing, so at most one is pending and a stale one never runs.
class TimerSlot {
 public:
  TimerSlot() = default;
  TimerSlot(const TimerSlot&) = delete;
  TimerSlot& operator=(const TimerSlot&) = delete;

  void arm(EventLoop& loop, Duration delay, TimerQueue::Callback cb) {
    cancel(loop);
    token_ = loop.arm_after(delay, std::move(cb));
  }
  void cancel(EventLoop& loop) {
    if (token_) loop.cancel(token_);
    token_ = {};
  }
  bool armed(const EventLoop& loop) const { return token_ && loop.armed(token_); }
  TimerToken token() const { return token_; }

 private:
  TimerToken token_;
};

}  // namespace l2tpgw::cp
