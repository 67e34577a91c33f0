// SPDX-License-Identifier: Apache-2.0
// ManualTimers, OsRandom, SequenceRandom.
#include "controlplane/ppp/timers.hpp"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

namespace l2tpgw::cp::ppp {

void ManualTimers::advance(Duration d) {
  const TimePoint target = now_ + d;
  // Step to each deadline in turn, so that a callback sees now() at its own deadline and a
  // timer armed by a callback for a time within the step still runs in this call.
  for (;;) {
    const auto next = queue_.next_deadline();
    if (!next || *next > target) break;
    if (*next > now_) now_ = *next;
    queue_.run_due(now_);
  }
  now_ = target;
}

void OsRandom::fill(std::span<uint8_t> out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    // No entropy means predictable challenges: a controlplane that cannot seed its CSPRNG
    // must not authenticate anybody (STYLE.md: unrecoverable process state is FATAL).
    std::fprintf(stderr, "FATAL: RAND_bytes failed\n");
    std::abort();
  }
}

void SequenceRandom::fill(std::span<uint8_t> out) {
  for (uint8_t& b : out) {
    // splitmix64 (Steele, Lea, Flood 2014): well mixed, reproducible.
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    b = static_cast<uint8_t>(z ^ (z >> 31));
  }
}

}  // namespace l2tpgw::cp::ppp
