// SPDX-License-Identifier: Apache-2.0
// DataplaneConfig: what the dataplane is told at start (addresses, sizes, pools).
#pragma once

#include <cstdint>
#include <vector>

#include "common/tables/shared_tables.hpp"

namespace l2tpgw::dp {

struct Ipv4Prefix {
  uint32_t addr = 0;  // host order
  uint8_t len = 0;
  uint32_t mask() const { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }
  bool contains(uint32_t a) const { return ((a ^ addr) & mask()) == 0; }
};

struct DataplaneConfig {
  uint16_t wan_port = 0, lan_port = 1;
  Ipv4Prefix wan;                 // our WAN address and its connected subnet
  Ipv4Prefix lan;                 // our LAN address and its connected subnet
  uint32_t wan_gateway = 0;       // next hop for peers off the WAN subnet (0 = none)
  uint32_t lan_gateway = 0;       // next hop for LAN destinations off the LAN subnet (0 = none)
  uint16_t lan_mtu = 1500;
  uint16_t wan_mtu = 1500;        // outer packets over it (L2TPv3 frames) are fragmented
  // `bridge member bridge1 lan1 tunnelN`: the LAN port is a bridge port, and frames not for
  // our own MAC are bridged to the pseudowires of bridge 1 (and back).
  bool bridge_lan = false;
  uint32_t mac_table_buckets = 1024;  // × 8 entries
  // ICMP errors (time exceeded, fragmentation needed) per worker: a token bucket refilled at
  // icmp_error_rate per second (0: never send one) holding up to icmp_error_burst.
  uint32_t icmp_error_rate = 1000;
  uint32_t icmp_error_burst = 50;
  bool lan_proxy_arp = true;      // `ip lan1 proxyarp on`
  tables::TableSizes sizes;       // max sessions, workers, pools
  uint32_t mbufs = 32767;
  uint32_t rx_desc = 1024, tx_desc = 1024;
  // Idle back-off of the workers (dataplane/worker/idle_backoff.hpp): after idle_polls empty
  // poll loops in a row, sleep idle_sleep_us per further empty loop. 0 = pure polling.
  uint32_t idle_sleep_us = 0;
  uint32_t idle_polls = 64;
};

}  // namespace l2tpgw::dp
