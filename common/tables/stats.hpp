// SPDX-License-Identifier: Apache-2.0
// The stats area: per-worker counters and per-session / per-SA counters in shared memory.
// writer: the owning worker (plain stores, no atomics); reader: CP and tools (sum and display).
#pragma once

#include <cstdint>

#include "common/counters.hpp"
#include "common/drop_reason.hpp"

namespace l2tpgw::tables {

struct alignas(64) WorkerStats {
  uint64_t counters[kCounterCount];
  uint64_t drops[kDropReasonCount];
  uint64_t loops;          // poll-loop iterations (liveness)
  uint64_t busy_loops;     // iterations that did work
  uint64_t idle_sleeps;    // idle back-off sleeps (--idle-sleep-us; the slowpath always)
};

// Per session: what the client sent (rx) and what we sent it (tx), inner IPv4 bytes.
// Written only by the session's owner worker; zeroed by the writer before a slot is published.
struct alignas(32) SessionCounters {
  uint64_t rx_packets, rx_octets, tx_packets, tx_octets;
};

// Per SA: packets and bytes protected, for RFC 4301 §4.4.2.1 lifetimes (soft/hard by bytes).
struct alignas(16) SaCounters {
  uint64_t packets, octets;
};

}  // namespace l2tpgw::tables
