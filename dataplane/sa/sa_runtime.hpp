// SPDX-License-Identifier: Apache-2.0
// SaRuntime: an SA's per-packet mutable state, owned by the SA's owner worker.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/sa/replay_window.hpp"

namespace l2tpgw::dp {

// Indexed by SA slot; written only by the record's owner_worker. Re-initialised when the
// record's generation differs from `gen` (a new SA in a reused slot). The first line holds
// what one packet reads and writes: the sequence number out, or the replay window's edge
// and, for windows up to 256 packets, its whole bitmap (ReplayWindow).
struct alignas(64) SaRuntime {
  uint32_t gen;            // generation this runtime belongs to (0 = never used)
  uint32_t seq_out;        // outbound: last sequence number sent (RFC 4303 §3.3.3)
  uint32_t peer_addr;      // outbound: current destination (follows NAT-T moves)
  uint16_t peer_port;      // outbound: current NAT-T destination port
  uint8_t seq_exhausted;   // outbound: event raised once
  uint8_t peer_moved;      // inbound, NAT-T: a packet came from another address or port than
                           // the record's (l2tp_decap then compares every packet)
  ReplayWindow replay;     // inbound
};
static_assert(offsetof(SaRuntime, replay) == 16 && offsetof(SaRuntime, replay) + 16 + 256 / 8 <= 64,
              "a 256-packet window must fit SaRuntime's first line");

}  // namespace l2tpgw::dp
