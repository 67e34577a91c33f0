// SPDX-License-Identifier: Apache-2.0
// NeighborTable: ARP results for a connected subnet, one atomic word per address.
//
// writer: the slowpath lcore (ARP replies and requests we hear); readers: workers.
// The subnet is small enough (/16 or longer) to index by host offset: no hashing, no locks.
#pragma once

#include <rte_ether.h>

#include <atomic>
#include <cstdint>
#include <memory>

#include "dataplane/dp_config.hpp"

namespace l2tpgw::dp {

class NeighborTable {
 public:
  static constexpr uint8_t kMinPrefix = 16;
  explicit NeighborTable(Ipv4Prefix subnet)
      : subnet_(subnet), size_(subnet.len >= kMinPrefix ? (1u << (32 - subnet.len)) : 0),
        entries_(new std::atomic<uint64_t>[size_ ? size_ : 1]()) {}

  bool covers(uint32_t ip) const { return size_ && subnet_.contains(ip); }

  // True and `mac` filled when `ip` is resolved.
  bool lookup(uint32_t ip, rte_ether_addr* mac) const {
    if (!covers(ip)) return false;
    uint64_t e = entries_[ip & ~subnet_.mask()].load(std::memory_order_acquire);
    if (!(e & kValid)) return false;
    for (int i = 0; i < 6; ++i) mac->addr_bytes[i] = static_cast<uint8_t>(e >> (40 - 8 * i));
    return true;
  }
  void learn(uint32_t ip, const rte_ether_addr& mac) {
    if (!covers(ip)) return;
    uint64_t e = kValid;
    for (int i = 0; i < 6; ++i) e |= uint64_t{mac.addr_bytes[i]} << (40 - 8 * i);
    entries_[ip & ~subnet_.mask()].store(e, std::memory_order_release);
  }

 private:
  static constexpr uint64_t kValid = uint64_t{1} << 63;
  Ipv4Prefix subnet_;
  uint32_t size_;
  std::unique_ptr<std::atomic<uint64_t>[]> entries_;
};

}  // namespace l2tpgw::dp
