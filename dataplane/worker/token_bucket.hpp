// SPDX-License-Identifier: Apache-2.0
// TokenBucket: a per-worker rate limit on a clock of the caller's choosing (here the TSC), so
// that ICMP errors cannot turn the appliance into an amplifier (RFC 1812 §4.3.2.8).
#pragma once

#include <cstdint>

namespace l2tpgw::dp {

// A token bucket of `burst` tokens refilled at `rate` tokens per second, kept as the generic
// cell rate algorithm (ITU-T I.371 GCRA, "virtual scheduling"): one timestamp instead of a
// token count, so a refill is never computed and nothing can overflow however long the bucket
// sat idle. Owned by one worker; not thread-safe. Nothing here allocates or makes a syscall.
class TokenBucket {
 public:
  // rate 0 disables the bucket: take() always refuses. burst 0 is taken as 1. `hz` is the
  // clock's ticks per second (rte_get_tsc_hz()); a rate above it grants one token per tick.
  void configure(uint32_t rate, uint32_t burst, uint64_t hz) {
    enabled_ = rate != 0;
    if (!enabled_) return;
    cost_ = hz / rate ? hz / rate : 1;
    depth_ = cost_ * (burst ? burst : 1);
    tat_ = 0;  // a full bucket
  }

  // Takes one token at time `now` (the same clock as `hz`); false when none is left.
  bool take(uint64_t now) {
    if (!enabled_) return false;
    // The theoretical arrival time of the next token: behind `now` when the bucket is full.
    const uint64_t tat = (tat_ > now ? tat_ : now) + cost_;
    if (tat - now > depth_) return false;
    tat_ = tat;
    return true;
  }

  bool enabled() const { return enabled_; }

 private:
  uint64_t cost_ = 1;   // clock ticks per token
  uint64_t depth_ = 1;  // ticks: burst * cost_
  uint64_t tat_ = 0;
  bool enabled_ = false;
};

}  // namespace l2tpgw::dp
