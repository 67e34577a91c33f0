// SPDX-License-Identifier: Apache-2.0
// Port set-up: RX queues (RSS when the port has it, one queue otherwise) and a TX queue per
// worker plus one for the slowpath.
#pragma once

#include <rte_mempool.h>

#include <cstdint>
#include <string>

namespace l2tpgw::dp {

struct PortSetup {
  uint16_t rx_queues = 1;   // 1 = no RSS: worker 0 polls it and hands off by owner
  bool rss = false;
};

bool port_init(uint16_t port, uint16_t n_workers, uint32_t rx_desc, uint32_t tx_desc,
               rte_mempool* pool, PortSetup* out, std::string* error);

}  // namespace l2tpgw::dp
