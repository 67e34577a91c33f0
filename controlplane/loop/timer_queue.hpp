// SPDX-License-Identifier: Apache-2.0
// TimerQueue: the controlplane's timers, a min-heap of deadlines with tokens (no syscalls).
//
// Every timer is named by a token that is never reused. Cancelling a timer forgets its token;
// its heap entry stays behind and is skipped when it comes due, so cancellation is O(1) and a
// stale firing can never reach a callback (STYLE.md "Timers carry a token", strongSwan's
// retransmit(seqnr)). Protocol objects that re-arm one logical timer hold a TimerSlot, which
// cancels the previous token on every arm.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

namespace l2tpgw::cp {

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

struct TimerToken {
  uint64_t value = 0;  // 0 = no timer
  explicit operator bool() const { return value != 0; }
  bool operator==(const TimerToken&) const = default;
};

class TimerQueue {
 public:
  using Callback = std::function<void()>;

  // Arms a timer; its callback runs from run_due() once `deadline` has passed.
  TimerToken arm(TimePoint deadline, Callback cb);
  // Forgets a timer. False when it already fired or was cancelled (harmless either way).
  bool cancel(TimerToken t);
  bool armed(TimerToken t) const { return live_.contains(t.value); }

  // Runs every live timer whose deadline is <= now, earliest first (ties in arming order).
  // Callbacks may arm and cancel timers; a timer armed during this call runs at the next
  // call at the earliest, even with a past deadline, so a callback re-arming itself with zero
  // delay cannot starve the loop. Returns how many callbacks ran.
  size_t run_due(TimePoint now);

  // The earliest live deadline, if any (stale entries at the top are discarded).
  std::optional<TimePoint> next_deadline();
  size_t size() const { return live_.size(); }

 private:
  struct Entry {
    TimePoint when;
    uint64_t token;
    bool operator>(const Entry& o) const {
      return when != o.when ? when > o.when : token > o.token;
    }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  std::unordered_map<uint64_t, Callback> live_;
  uint64_t next_token_ = 1;
};

}  // namespace l2tpgw::cp
