// SPDX-License-Identifier: Apache-2.0
// SaRuntime: an SA's per-packet mutable state, owned by the SA's owner worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "common/tables/shared_tables.hpp"
#include "dataplane/sa/replay_window.hpp"

namespace l2tpgw::dp {

// The dataplane's view of an SA slot's tables::SaOwnerArea (in the shared memzone, so that
// the controlplane reads the counters); written only by the record's owner_worker. The
// fields after `counters` are re-initialised when the record's generation differs from `gen`
// (a new SA in a reused slot). The first line holds what one packet reads and writes: the
// counters, the sequence number out, or the replay window's edge and, for windows up to 128
// packets (the default is 64), its whole bitmap (ReplayWindow).
struct alignas(64) SaRuntime {
  tables::SaCounters counters;  // the SA's packets and octets (SaOwnerArea::counters)
  uint32_t gen;            // generation this runtime belongs to (0 = never used)
  uint32_t seq_out;        // outbound: last sequence number sent (RFC 4303 §3.3.3)
  uint32_t peer_addr;      // outbound: current destination (follows NAT-T moves)
  uint16_t peer_port;      // outbound: current NAT-T destination port
  uint8_t seq_exhausted;   // outbound: event raised once
  uint8_t peer_moved;      // inbound, NAT-T: a packet came from another address or port than
                           // the record's (l2tp_decap then compares every packet)
  ReplayWindow replay;     // inbound
};
static_assert(offsetof(SaRuntime, counters) == offsetof(tables::SaOwnerArea, counters) &&
                  sizeof(SaRuntime) == sizeof(tables::SaOwnerArea) &&
                  std::is_standard_layout_v<SaRuntime> && std::is_trivially_copyable_v<SaRuntime>,
              "SaRuntime must overlay tables::SaOwnerArea");
static_assert(offsetof(SaRuntime, replay) == 32 && offsetof(SaRuntime, replay) + 16 + 128 / 8 <= 64,
              "a 128-packet window must fit SaRuntime's first line");

// The SA runtimes of `t`, indexed by SA slot. Zeroed memory is a valid "never used" runtime.
inline SaRuntime* sa_runtimes(const tables::SharedTables& t) {
  return reinterpret_cast<SaRuntime*>(&t.sa_owner(0));
}

}  // namespace l2tpgw::dp
