// SPDX-License-Identifier: Apache-2.0
// Timers and randomness for the PPP machines, injectable so that exchange tests run on a
// fake clock with a fixed RNG (STYLE.md "Exchange tests ... with an injectable clock and RNG").
//
// Production: LoopTimers over the controlplane's EventLoop, OsRandom over OpenSSL's
// RAND_bytes. Tests: ManualTimers (a TimerQueue and a clock that moves only when told) and
// SequenceRandom. Tokens come from TimerQueue, so a cancelled timer never fires (STYLE.md
// "Timers carry a token").
//
// Thread context: the controlplane loop.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "controlplane/loop/event_loop.hpp"
#include "controlplane/loop/timer_queue.hpp"

namespace l2tpgw::cp::ppp {

class TimerService {
 public:
  virtual ~TimerService() = default;
  virtual TimerToken arm_after(Duration delay, std::function<void()> cb) = 0;
  virtual void cancel(TimerToken t) = 0;
};

// One logical timer (a restart timer, the echo timer): arming again cancels the previous
// firing, and the destructor cancels, so a callback never outlives its owner.
class PppTimer {
 public:
  explicit PppTimer(TimerService& timers) : timers_(timers) {}
  ~PppTimer() { cancel(); }
  PppTimer(const PppTimer&) = delete;
  PppTimer& operator=(const PppTimer&) = delete;

  void arm(Duration delay, std::function<void()> cb) {
    cancel();
    token_ = timers_.arm_after(delay, [this, cb = std::move(cb)] {
      token_ = {};
      cb();
    });
  }
  void cancel() {
    if (token_) timers_.cancel(token_);
    token_ = {};
  }
  bool armed() const { return static_cast<bool>(token_); }

 private:
  TimerService& timers_;
  TimerToken token_;
};

class LoopTimers final : public TimerService {
 public:
  explicit LoopTimers(EventLoop& loop) : loop_(loop) {}
  TimerToken arm_after(Duration delay, std::function<void()> cb) override {
    return loop_.arm_after(delay, std::move(cb));
  }
  void cancel(TimerToken t) override { loop_.cancel(t); }

 private:
  EventLoop& loop_;
};

// A clock that moves only in advance(): every timer due by the new time runs, in deadline
// order, including timers its callbacks arm for a time still within the step.
class ManualTimers final : public TimerService {
 public:
  TimerToken arm_after(Duration delay, std::function<void()> cb) override {
    return queue_.arm(now_ + delay, std::move(cb));
  }
  void cancel(TimerToken t) override { queue_.cancel(t); }

  void advance(Duration d);
  TimePoint now() const { return now_; }
  size_t armed() const { return queue_.size(); }

 private:
  TimerQueue queue_;
  TimePoint now_{};
};

class Random {
 public:
  virtual ~Random() = default;
  virtual void fill(std::span<uint8_t> out) = 0;
  uint32_t u32() {
    uint8_t b[4];
    fill(b);
    return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
  }
};

// OpenSSL's CSPRNG: CHAP challenges must be unpredictable (RFC 1994 §2.3).
class OsRandom final : public Random {
 public:
  void fill(std::span<uint8_t> out) override;
};

// Deterministic bytes for tests: a counter run through a small mixing function.
class SequenceRandom final : public Random {
 public:
  explicit SequenceRandom(uint64_t seed = 1) : state_(seed) {}
  void fill(std::span<uint8_t> out) override;

 private:
  uint64_t state_;
};

}  // namespace l2tpgw::cp::ppp
