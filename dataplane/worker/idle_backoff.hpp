// SPDX-License-Identifier: Apache-2.0
// IdleBackoff: when a poll-mode lcore that finds nothing to do may sleep (the idea of DPDK's
// l3fwd-power and VPP's adaptive polling), for machines where lcores share CPUs.
#pragma once

#include <cstdint>

namespace l2tpgw::dp {

// Counts consecutive poll loops that found no work. Once `polls` of them have passed, every
// further empty loop asks for a sleep of `sleep_us`, until a loop finds work again; so a busy
// lcore never sleeps, an idle one wakes once per sleep to poll, and the first packets after a
// quiet spell wait at most one sleep (plus the kernel's timer slack, 50 us by default).
//
// sleep_us == 0 is pure polling: never sleep (a dedicated core: lowest latency, and no
// RX ring filling up while the lcore is asleep).
//
// Pure logic, no syscalls: the caller sleeps, and goes RCU-offline around it.
class IdleBackoff {
 public:
  IdleBackoff(uint32_t sleep_us, uint32_t polls) : sleep_us_(sleep_us), polls_(polls) {}

  // Called once per poll loop with whether that loop did work. True when the caller should
  // sleep sleep_us() now.
  bool after_loop(bool busy) {
    if (busy || sleep_us_ == 0) {
      idle_ = 0;
      return false;
    }
    if (idle_ < polls_) ++idle_;  // saturates: no wrap-around back to spinning
    return idle_ >= polls_;
  }

  uint32_t sleep_us() const { return sleep_us_; }
  bool enabled() const { return sleep_us_ != 0; }

 private:
  uint32_t sleep_us_;
  uint32_t polls_;
  uint32_t idle_ = 0;
};

}  // namespace l2tpgw::dp
