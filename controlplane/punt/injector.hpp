// SPDX-License-Identifier: Apache-2.0
// Injector: the controlplane's way out (IKE replies, L2TP control, PPP control): an mbuf from
// the dataplane's pool onto a worker's inject ring (common/punt.hpp "InjectNext").
//
// Thread context: the controlplane loop. Inject rings are multi-producer, so the slowpath of a
// future dataplane may share them.
#pragma once

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <array>
#include <cstdint>
#include <span>

#include "common/punt.hpp"
#include "common/tables/shared_tables.hpp"

namespace l2tpgw::cp {

enum class InjectResult : uint8_t {
  Ok,
  NoSuchSa,     // send_esp: the slot holds no published outbound SA
  NoSuchWorker, // send_raw: worker index out of range
  RingFull,     // the worker's inject ring did not take it
};

constexpr const char* to_string(InjectResult r) {
  switch (r) {
    case InjectResult::Ok: return "ok";
    case InjectResult::NoSuchSa: return "no such outbound SA";
    case InjectResult::NoSuchWorker: return "no such worker";
    case InjectResult::RingFull: return "inject ring full";
  }
  return "?";
}

enum class TxPort : uint8_t { Wan, Lan };

struct InjectCounters {
  uint64_t raw = 0, esp = 0, udp = 0;
  uint64_t no_sa = 0, no_worker = 0, ring_full = 0, alloc_failed = 0, too_big = 0;
};

class Injector {
 public:
  // `rings[w]` is worker w's inject ring, for w < tables.n_workers().
  Injector(rte_mempool* pool, const std::array<rte_ring*, tables::kMaxWorkers>& rings,
           const tables::SharedTables& tables)
      : pool_(pool), rings_(rings), tables_(tables) {}

  // An empty mbuf with the pool's full headroom (room for Ethernet + IPv4 + UDP + ESP + IV
  // in front of what the caller appends), or nullptr when the pool is exhausted.
  rte_mbuf* alloc();
  // alloc() holding a copy of `bytes`; nullptr when the pool is exhausted or the bytes do not
  // fit one mbuf (counted as too_big).
  rte_mbuf* alloc_copy(std::span<const uint8_t> bytes);

  // `m` holds a complete Ethernet frame; worker `worker` transmits it on `port` as it is.
  // Always takes ownership: on failure the mbuf is freed.
  InjectResult send_raw(rte_mbuf* m, TxPort port, uint8_t worker);

  // `m` holds a UDP datagram, header included (an L2TP control message or a PPP frame over
  // L2TP), to carry in transport-mode ESP with outbound SA `sa_slot`. It goes to the SA's
  // owner worker, which encrypts it with the SA's next sequence number and sends it to the
  // SA's peer (its current NAT-T address). Always takes ownership.
  InjectResult send_esp(rte_mbuf* m, uint32_t sa_slot);

  // `m` holds a UDP datagram, header included, to send in the clear from `src` (0: the WAN
  // address) to `dst` (host order) on the WAN port (InjectNext::UdpWan): worker `worker`
  // adds IPv4 and Ethernet, resolving the next hop by ARP. Always takes ownership.
  InjectResult send_udp(rte_mbuf* m, uint32_t src, uint32_t dst, uint8_t worker);

  const InjectCounters& counters() const { return counters_; }

 private:
  InjectResult enqueue(rte_mbuf* m, uint8_t worker);
  // `m`'s PktMeta, cleared, when `worker` has an inject ring; else frees `m`, counts
  // no_worker and returns nullptr.
  PktMeta* meta_for_worker(rte_mbuf* m, uint8_t worker);

  rte_mempool* pool_;
  std::array<rte_ring*, tables::kMaxWorkers> rings_;
  tables::SharedTables tables_;
  InjectCounters counters_;
};

}  // namespace l2tpgw::cp
