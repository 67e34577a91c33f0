// SPDX-License-Identifier: Apache-2.0
// EventLoop: epoll_wait, fd dispatch by generation, one absolute timerfd for the TimerQueue.
#include "controlplane/loop/event_loop.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace l2tpgw::cp {
namespace {

constexpr uint64_t kTimerKey = ~uint64_t{0};

uint64_t key(int fd, uint32_t generation) {
  return (uint64_t{generation} << 32) | static_cast<uint32_t>(fd);
}

[[noreturn]] void fatal(const char* what) {
  std::fprintf(stderr, "l2tpgw-controlplane: FATAL: %s: %s\n", what, std::strerror(errno));
  std::abort();
}

}  // namespace

EventLoop::EventLoop() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) fatal("epoll_create1");
  timerfd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timerfd_ < 0) fatal("timerfd_create");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kTimerKey;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, timerfd_, &ev) != 0) fatal("epoll_ctl(timerfd)");
}

EventLoop::~EventLoop() {
  if (timerfd_ >= 0) close(timerfd_);
  if (epfd_ >= 0) close(epfd_);
}

bool EventLoop::add_fd(int fd, uint32_t events, FdCallback cb) {
  if (watches_.contains(fd)) return false;
  auto w = std::make_shared<Watch>(Watch{next_generation_++, std::move(cb)});
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = key(fd, w->generation);
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) return false;
  watches_.emplace(fd, std::move(w));
  return true;
}

bool EventLoop::modify_fd(int fd, uint32_t events) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return false;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = key(fd, it->second->generation);
  return epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventLoop::remove_fd(int fd) {
  if (watches_.erase(fd) == 0) return;
  epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
}

TimerToken EventLoop::arm_at(TimePoint deadline, TimerQueue::Callback cb) {
  TimerToken t = timers_.arm(deadline, std::move(cb));
  update_timerfd();
  return t;
}

void EventLoop::update_timerfd() {
  const std::optional<TimePoint> next = timers_.next_deadline();
  const TimePoint want = next.value_or(TimePoint{});
  if (want == timerfd_deadline_) return;
  itimerspec its{};
  if (next) {
    // steady_clock is CLOCK_MONOTONIC on Linux: its epoch is the timerfd's. A deadline at
    // the epoch itself would disarm the timer; one nanosecond later fires at once.
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(want.time_since_epoch()).count();
    if (ns <= 0) ns = 1;
    its.it_value.tv_sec = ns / 1000000000;
    its.it_value.tv_nsec = ns % 1000000000;
  }
  timerfd_settime(timerfd_, TFD_TIMER_ABSTIME, &its, nullptr);
  timerfd_deadline_ = want;
}

bool EventLoop::run_once(Duration max_wait) {
  if (stopped_) return false;
  update_timerfd();
  int timeout_ms = -1;
  if (max_wait >= Duration::zero())
    timeout_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(max_wait).count());
  std::array<epoll_event, 64> evs;
  const int n = epoll_wait(epfd_, evs.data(), static_cast<int>(evs.size()), timeout_ms);
  if (n < 0 && errno != EINTR) fatal("epoll_wait");
  for (int i = 0; i < n; ++i) {
    const uint64_t k = evs[i].data.u64;
    if (k == kTimerKey) {
      uint64_t expirations;
      while (read(timerfd_, &expirations, sizeof(expirations)) > 0) {
      }
      timerfd_deadline_ = TimePoint{};  // a fired one-shot timerfd is disarmed
      continue;
    }
    const int fd = static_cast<int>(static_cast<uint32_t>(k));
    auto it = watches_.find(fd);
    // Removed (or removed and replaced) by an earlier callback of this batch.
    if (it == watches_.end() || it->second->generation != static_cast<uint32_t>(k >> 32)) continue;
    std::shared_ptr<Watch> w = it->second;  // keeps the callback alive if it removes itself
    w->cb(evs[i].events);
    if (stopped_) return false;
  }
  // Timers are checked on every iteration, not only when the timerfd fired: a deadline that
  // passed while fd callbacks ran is served without another trip through epoll.
  timers_.run_due(now());
  update_timerfd();
  return !stopped_;
}

void EventLoop::run() {
  while (run_once(Duration(-1))) {
  }
}

}  // namespace l2tpgw::cp
