// SPDX-License-Identifier: Apache-2.0
// Injector: fill the mbuf's PktMeta completely, then enqueue to the right worker.
#include "controlplane/punt/injector.hpp"

#include <cstring>

namespace l2tpgw::cp {

rte_mbuf* Injector::alloc() {
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (!m) counters_.alloc_failed++;
  return m;
}

rte_mbuf* Injector::alloc_copy(std::span<const uint8_t> bytes) {
  if (bytes.size() > UINT16_MAX) {
    counters_.too_big++;
    return nullptr;
  }
  rte_mbuf* m = alloc();
  if (!m) return nullptr;
  char* dst = rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size()));
  if (!dst) {
    counters_.too_big++;
    rte_pktmbuf_free(m);
    return nullptr;
  }
  std::memcpy(dst, bytes.data(), bytes.size());
  return m;
}

InjectResult Injector::enqueue(rte_mbuf* m, uint8_t worker) {
  if (rte_ring_mp_enqueue(rings_[worker], m) != 0) {
    counters_.ring_full++;
    rte_pktmbuf_free(m);
    return InjectResult::RingFull;
  }
  return InjectResult::Ok;
}

PktMeta* Injector::meta_for_worker(rte_mbuf* m, uint8_t worker) {
  if (worker >= tables_.n_workers() || rings_[worker] == nullptr) {
    counters_.no_worker++;
    rte_pktmbuf_free(m);
    return nullptr;
  }
  PktMeta& md = meta(m);
  std::memset(&md, 0, sizeof(md));  // the private area is not cleared by the pool
  return &md;
}

InjectResult Injector::send_raw(rte_mbuf* m, TxPort port, uint8_t worker) {
  PktMeta* md = meta_for_worker(m, worker);
  if (!md) return InjectResult::NoSuchWorker;
  md->resume = static_cast<uint8_t>(port == TxPort::Wan ? InjectNext::TxWan : InjectNext::TxLan);
  const InjectResult r = enqueue(m, worker);
  if (r == InjectResult::Ok) counters_.raw++;
  return r;
}

InjectResult Injector::send_esp(rte_mbuf* m, uint32_t sa_slot) {
  if (sa_slot == 0 || sa_slot >= tables_.sa_slots()) {
    counters_.no_sa++;
    rte_pktmbuf_free(m);
    return InjectResult::NoSuchSa;
  }
  const tables::SaRecord& sa = tables_.sa(sa_slot);
  if (!tables::published(sa) || sa.direction != tables::SaDirection::Outbound ||
      sa.owner_worker >= tables_.n_workers() || rings_[sa.owner_worker] == nullptr) {
    counters_.no_sa++;
    rte_pktmbuf_free(m);
    return InjectResult::NoSuchSa;
  }
  PktMeta& md = meta(m);
  std::memset(&md, 0, sizeof(md));
  md.sa_slot = sa_slot;
  md.resume = static_cast<uint8_t>(InjectNext::EspEncrypt);
  const InjectResult r = enqueue(m, sa.owner_worker);
  if (r == InjectResult::Ok) counters_.esp++;
  return r;
}

InjectResult Injector::send_udp(rte_mbuf* m, uint32_t src, uint32_t dst, uint8_t worker) {
  PktMeta* md = meta_for_worker(m, worker);
  if (!md) return InjectResult::NoSuchWorker;
  md->outer_src = src;
  md->outer_dst = dst;
  md->resume = static_cast<uint8_t>(InjectNext::UdpWan);
  const InjectResult r = enqueue(m, worker);
  if (r == InjectResult::Ok) counters_.udp++;
  return r;
}

}  // namespace l2tpgw::cp
