// SPDX-License-Identifier: Apache-2.0
// Port set-up with an RSS fallback for ports that have none (vdevs, some vmxnet3/ENA setups).
#include "dataplane/ports.hpp"

#include <rte_ethdev.h>

#include <string>

namespace l2tpgw::dp {

bool port_init(uint16_t port, uint16_t n_workers, uint32_t rx_desc, uint32_t tx_desc,
               rte_mempool* pool, PortSetup* out, std::string* error) {
  rte_eth_dev_info info{};
  if (!rte_eth_dev_is_valid_port(port) || rte_eth_dev_info_get(port, &info) != 0) {
    *error = "port " + std::to_string(port) + " does not exist (check --vdev / -a)";
    return false;
  }
  const uint16_t tx_queues = static_cast<uint16_t>(n_workers + 1);
  if (info.max_tx_queues < tx_queues) {
    *error = "port " + std::to_string(port) + " (" + info.driver_name + ") has " +
             std::to_string(info.max_tx_queues) + " TX queues, " + std::to_string(tx_queues) +
             " needed (one per worker and one for the slowpath; af_packet: qpairs=" +
             std::to_string(tx_queues) + ")";
    return false;
  }
  rte_eth_conf conf{};
  PortSetup s;
  const std::string driver = info.driver_name;
  const uint64_t rss_hf = info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
  if (driver == "net_tap") {
    // net_tap wants as many RX queues as TX queues, and the kernel spreads a multi-queue
    // tap's frames over all of them by flow: every one is polled, as af_packet's are.
    s.rx_queues = tx_queues;
  } else if (n_workers > 1 && rss_hf && info.max_rx_queues >= n_workers) {
    s.rss = true;
    s.rx_queues = n_workers;
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
  }
  // net_af_packet opens all of its qpairs sockets in one PACKET_FANOUT group when it is
  // probed, so the kernel spreads frames over every one of them: each must be polled, or
  // the frames hashed to an unpolled socket are lost.
  if (!s.rss && driver == "net_af_packet") s.rx_queues = info.max_rx_queues;
  int rc = rte_eth_dev_configure(port, s.rx_queues, tx_queues, &conf);
  if (rc != 0) {
    *error = "rte_eth_dev_configure(port " + std::to_string(port) + "): " + rte_strerror(-rc);
    return false;
  }
  uint16_t nrx = static_cast<uint16_t>(rx_desc), ntx = static_cast<uint16_t>(tx_desc);
  rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx);
  const int socket = rte_eth_dev_socket_id(port);
  for (uint16_t q = 0; q < s.rx_queues; ++q)
    if ((rc = rte_eth_rx_queue_setup(port, q, nrx, socket, nullptr, pool)) != 0) {
      *error = "rx queue setup: " + std::string(rte_strerror(-rc));
      return false;
    }
  for (uint16_t q = 0; q < tx_queues; ++q)
    if ((rc = rte_eth_tx_queue_setup(port, q, ntx, socket, nullptr)) != 0) {
      *error = "tx queue setup: " + std::string(rte_strerror(-rc));
      return false;
    }
  if ((rc = rte_eth_dev_start(port)) != 0) {
    *error = "rte_eth_dev_start(port " + std::to_string(port) + "): " + rte_strerror(-rc);
    return false;
  }
  *out = s;
  return true;
}

}  // namespace l2tpgw::dp
