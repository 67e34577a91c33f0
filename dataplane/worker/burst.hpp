// SPDX-License-Identifier: Apache-2.0
// Burst: the unit every fastpath stage works on (≤ kMaxBurst mbufs with their next node).
#pragma once

#include <rte_mbuf.h>

#include <array>
#include <cstdint>

#include "common/drop_reason.hpp"
#include "common/punt.hpp"

namespace l2tpgw::dp {

inline constexpr uint16_t kMaxBurst = 64;

// The node a packet goes to next. Stages run in this order over the whole burst and each
// touches only the packets addressed to it, so one pass carries a packet as far as it goes.
enum class Next : uint8_t {
  Drop = 0,
  WanClassify,
  LanClassify,
  EspDecrypt,
  L2tpDecap,
  Ip4Forward,
  L2tpEncap,
  EspEncrypt,
  TxWan,
  TxLan,
  Punt,       // to the controlplane
  Slowpath,   // to the slowpath lcore (ARP)
  Handoff,    // to the owner worker (target[i])
  Consumed,   // a stage took the mbuf (reassembly table, ARP hold queue)
  Bridge,     // an Ethernet frame for the bridge (from the LAN port or a pseudowire)
  PwEncap,    // an Ethernet frame to carry over pseudowire pw_slot (L2TPv3)
};

// The controlplane names inject destinations by these numbers (common/punt.hpp).
static_assert(static_cast<uint8_t>(Next::EspEncrypt) == static_cast<uint8_t>(InjectNext::EspEncrypt));
static_assert(static_cast<uint8_t>(Next::TxWan) == static_cast<uint8_t>(InjectNext::TxWan));
static_assert(static_cast<uint8_t>(Next::TxLan) == static_cast<uint8_t>(InjectNext::TxLan));

struct Burst {
  std::array<rte_mbuf*, kMaxBurst> pkts;
  std::array<Next, kMaxBurst> next;
  std::array<DropReason, kMaxBurst> why;
  std::array<uint8_t, kMaxBurst> target;  // Handoff: the owner worker
  uint16_t n = 0;
  // Bit i: this worker has asked for the lines packet i's next stage reads (stage_util.hpp;
  // a hint only). The next stage's own prefetch pass visits only the packets without it, so
  // with every packet marked it costs nothing. Cleared with the burst (dispatch).
  uint64_t prefetched = 0;
  static_assert(kMaxBurst <= 64, "one bit of `prefetched` per packet");

  // Empty, for the next packets (dispatch, once every packet has gone its way).
  void clear() {
    n = 0;
    prefetched = 0;
  }
  void mark_prefetched(uint16_t i) { prefetched |= uint64_t{1} << i; }
  void clear_prefetched(uint16_t i) { prefetched &= ~(uint64_t{1} << i); }
  // A stage's prefetch pass: f(i) for each packet bound for `node` whose lines nobody has
  // asked for, visiting only the unmarked packets.
  template <class F>
  void for_each_unprefetched(Next node, F&& f) const {
    for (uint64_t todo = ~prefetched & (n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1); todo;
         todo &= todo - 1) {
      const auto i = static_cast<uint16_t>(__builtin_ctzll(todo));
      if (next[i] == node) f(i);
    }
  }

  void drop(uint16_t i, DropReason r) {
    next[i] = Next::Drop;
    why[i] = r;
  }
  void consumed(uint16_t i) {
    pkts[i] = nullptr;
    next[i] = Next::Consumed;
  }
  void handoff(uint16_t i, uint8_t worker) {
    next[i] = Next::Handoff;
    target[i] = worker;
  }
};

}  // namespace l2tpgw::dp
