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

// Per SA slot, the area its owner worker writes (plain stores): the SA's counters, which the
// controlplane reads for lifetimes, then the worker's per-packet state (the dataplane's
// dp::SaRuntime: the sequence number out, the replay window), laid out so that the counters
// and what one packet reads and writes share the first line. With thousands of clients each
// packet's SA lines are cache misses, and counters on a line of their own were one more
// (about 4 cycles a packet at 10,000 sessions, scripts/bench.sh). The writer zeroes the
// counters before it publishes an SA; the owner re-initialises the rest when it first sees
// the slot's new generation.
inline constexpr uint32_t kSaOwnerAreaBytes = 320;
struct alignas(64) SaOwnerArea {
  SaCounters counters;
  uint8_t runtime[kSaOwnerAreaBytes - sizeof(SaCounters)];  // dp::SaRuntime's other fields
};
static_assert(sizeof(SaOwnerArea) == kSaOwnerAreaBytes);

}  // namespace l2tpgw::tables
