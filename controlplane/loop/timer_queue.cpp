// SPDX-License-Identifier: Apache-2.0
// TimerQueue: heap of (deadline, token) with lazy cancellation.
#include "controlplane/loop/timer_queue.hpp"

namespace l2tpgw::cp {

TimerToken TimerQueue::arm(TimePoint deadline, Callback cb) {
  const uint64_t token = next_token_++;
  heap_.push(Entry{deadline, token});
  live_.emplace(token, std::move(cb));
  return TimerToken{token};
}

bool TimerQueue::cancel(TimerToken t) { return live_.erase(t.value) != 0; }

size_t TimerQueue::run_due(TimePoint now) {
  const uint64_t armed_before = next_token_;
  std::vector<Entry> later;  // armed during this call: they wait for the next one
  size_t ran = 0;
  while (!heap_.empty() && heap_.top().when <= now) {
    const Entry e = heap_.top();
    heap_.pop();
    if (e.token >= armed_before) {
      later.push_back(e);
      continue;
    }
    auto it = live_.find(e.token);
    if (it == live_.end()) continue;  // cancelled: a stale entry
    Callback cb = std::move(it->second);
    live_.erase(it);
    cb();
    ++ran;
  }
  for (const Entry& e : later) heap_.push(e);
  return ran;
}

std::optional<TimePoint> TimerQueue::next_deadline() {
  while (!heap_.empty() && !live_.contains(heap_.top().token)) heap_.pop();
  if (heap_.empty()) return std::nullopt;
  return heap_.top().when;
}

}  // namespace l2tpgw::cp
