// SPDX-License-Identifier: Apache-2.0
// Slowpath: the main lcore's loop for ARP (resolver, responder, proxy ARP) and ICMP echo.
#pragma once

#include <rte_ether.h>

#include "dataplane/neighbor.hpp"
#include "dataplane/worker/worker.hpp"

namespace l2tpgw::dp {

// How long the slowpath sleeps when a loop found nothing to do.
inline constexpr uint32_t kSlowpathIdleSleepUs = 200;

struct SlowpathCtx {
  const DataplaneShared* dp = nullptr;
  NeighborTable* wan_neigh = nullptr;  // the slowpath is the only writer
  NeighborTable* lan_neigh = nullptr;
  rte_mempool* pool = nullptr;
  uint16_t txq = 0;                    // its own TX queue on each port
  tables::WorkerStats* stats = nullptr;
};

// Runs until g_quit. Blocks nothing the workers need.
void slowpath_main(SlowpathCtx& sp);

}  // namespace l2tpgw::dp
