// SPDX-License-Identifier: Apache-2.0
// SharedTables: memzone layout, creation by the dataplane and attachment by the controlplane.
#include "common/tables/shared_tables.hpp"

#include <rte_errno.h>
#include <rte_memzone.h>
#include <rte_rcu_qsbr.h>

#include <cstring>
#include <new>

namespace l2tpgw::tables {
namespace {

constexpr uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

struct Layout {
  uint64_t off_sa, off_tunnel, off_session, off_pool_index;
  uint64_t off_worker_stats, off_sa_owner, off_rcu, total;
  uint64_t off_pw, off_pw_counters, off_session_installed_at;
};

Layout compute_layout(const TableSizes& s) {
  Layout l{};
  uint64_t off = align_up(sizeof(ShmHeader), 64);
  auto place = [&](uint64_t bytes) {
    uint64_t at = off;
    off = align_up(off + bytes, 64);
    return at;
  };
  const uint64_t sessions = uint64_t{s.max_sessions} + 1;
  l.off_sa = place(sizeof(SaRecord) * s.sa_slots());
  l.off_tunnel = place(sizeof(TunnelRecord) * sessions);
  l.off_session = place(sizeof(SessionRecord) * sessions);
  l.off_pool_index = place(sizeof(uint16_t) * (s.pool_addresses() + 1));
  l.off_worker_stats = place(sizeof(WorkerStats) * kMaxWorkers);
  l.off_sa_owner = place(sizeof(SaOwnerArea) * s.sa_slots());
  l.off_rcu = place(rte_rcu_qsbr_get_memsize(kMaxWorkers));
  l.off_pw = place(sizeof(PseudowireRecord) * (uint64_t{s.max_pseudowires} + 1));
  l.off_pw_counters = place(sizeof(SessionCounters) * (uint64_t{s.max_pseudowires} + 1));
  l.off_session_installed_at = place(sizeof(uint32_t) * sessions);
  l.total = off;
  return l;
}

}  // namespace

uint64_t SharedTables::total_bytes(const TableSizes& sizes) { return compute_layout(sizes).total; }

uint64_t SharedTables::bytes_per_session(const TableSizes&) {
  // Per session: its share of SA slots (in, out, and a pair for make-before-break rekeys),
  // each with its owner's area (counters, sequence number, replay window), a tunnel, a session
  // (its counters included), a pool index entry and its install time.
  return (sizeof(SaRecord) + sizeof(SaOwnerArea)) * 4 + sizeof(TunnelRecord) +
         sizeof(SessionRecord) + sizeof(uint16_t) + sizeof(uint32_t);
}

void SharedTables::bind(void* base) {
  auto* b = static_cast<uint8_t*>(base);
  hdr_ = static_cast<ShmHeader*>(base);
  sa_ = reinterpret_cast<SaRecord*>(b + hdr_->off_sa);
  tunnel_ = reinterpret_cast<TunnelRecord*>(b + hdr_->off_tunnel);
  session_ = reinterpret_cast<SessionRecord*>(b + hdr_->off_session);
  pool_index_ = reinterpret_cast<std::atomic<uint16_t>*>(b + hdr_->off_pool_index);
  worker_stats_ = reinterpret_cast<WorkerStats*>(b + hdr_->off_worker_stats);
  sa_owner_ = reinterpret_cast<SaOwnerArea*>(b + hdr_->off_sa_owner);
  rcu_ = reinterpret_cast<rte_rcu_qsbr*>(b + hdr_->off_rcu);
  pw_ = reinterpret_cast<PseudowireRecord*>(b + hdr_->off_pw);
  pw_counters_ = reinterpret_cast<SessionCounters*>(b + hdr_->off_pw_counters);
  session_installed_at_ = reinterpret_cast<uint32_t*>(b + hdr_->off_session_installed_at);
}

bool SharedTables::create(const TableSizes& sizes, SharedTables& out, std::string* error) {
  if (sizes.max_sessions == 0 || sizes.max_sessions > kMaxSessions) {
    if (error) *error = "max-sessions must be 1.." + std::to_string(kMaxSessions);
    return false;
  }
  if (sizes.max_pseudowires > kMaxPseudowires) {
    if (error) *error = "max-pseudowires must be 0.." + std::to_string(kMaxPseudowires);
    return false;
  }
  if (sizes.n_workers == 0 || sizes.n_workers > kMaxWorkers) {
    if (error) *error = "workers must be 1.." + std::to_string(kMaxWorkers);
    return false;
  }
  if (sizes.n_pools > kMaxPools) {
    if (error) *error = "at most " + std::to_string(kMaxPools) + " address pools";
    return false;
  }
  // Sum in 64 bits: pool_addresses() is 32-bit and wraps for huge pools.
  uint64_t pool_addresses = 0;
  for (uint32_t i = 0; i < sizes.n_pools; ++i) pool_addresses += sizes.pools[i].size;
  if (pool_addresses > kMaxSessions * 4u) {
    if (error) *error = "address pools too large";
    return false;
  }
  const Layout l = compute_layout(sizes);
  const rte_memzone* mz = rte_memzone_lookup(kShmZoneName);
  if (mz) {
    if (error) *error = "shared tables already exist (another dataplane with this --file-prefix?)";
    return false;
  }
  mz = rte_memzone_reserve_aligned(kShmZoneName, l.total, SOCKET_ID_ANY, 0, RTE_CACHE_LINE_SIZE);
  if (!mz) {
    if (error)
      *error = "cannot reserve " + std::to_string(l.total >> 20) + " MiB of shared memory: " +
               rte_strerror(rte_errno) + " (more hugepages?)";
    return false;
  }
  std::memset(mz->addr, 0, l.total);
  auto* hdr = new (mz->addr) ShmHeader{};
  hdr->layout_version = kLayoutVersion;
  hdr->n_workers = sizes.n_workers;
  hdr->max_sessions = sizes.max_sessions;
  hdr->sa_slots = sizes.sa_slots();
  hdr->tunnel_slots = sizes.max_sessions + 1;
  hdr->session_slots = sizes.max_sessions + 1;
  hdr->pool_index_size = sizes.pool_addresses();
  hdr->pw_slots = sizes.max_pseudowires + 1;
  hdr->n_pools = sizes.n_pools;
  uint32_t first = 0;
  for (uint32_t i = 0; i < sizes.n_pools; ++i) {
    hdr->pools[i] = sizes.pools[i];
    hdr->pools[i].first = first;
    first += sizes.pools[i].size;
  }
  hdr->off_sa = l.off_sa;
  hdr->off_tunnel = l.off_tunnel;
  hdr->off_session = l.off_session;
  hdr->off_pool_index = l.off_pool_index;
  hdr->off_worker_stats = l.off_worker_stats;
  hdr->off_sa_owner = l.off_sa_owner;
  hdr->off_rcu = l.off_rcu;
  hdr->off_pw = l.off_pw;
  hdr->off_pw_counters = l.off_pw_counters;
  hdr->off_session_installed_at = l.off_session_installed_at;
  hdr->total_size = l.total;
  out.bind(mz->addr);
  if (rte_rcu_qsbr_init(out.rcu_, kMaxWorkers) != 0) {
    if (error) *error = "rte_rcu_qsbr_init failed";
    return false;
  }
  // The magic goes last: an attacher that sees it sees a complete header.
  std::atomic_thread_fence(std::memory_order_release);
  hdr->magic = kShmMagic;
  return true;
}

bool SharedTables::attach(SharedTables& out, std::string* error) {
  const rte_memzone* mz = rte_memzone_lookup(kShmZoneName);
  if (!mz) {
    if (error) *error = "the dataplane's shared tables are not there (is l2tpgw-dataplane running with this --file-prefix?)";
    return false;
  }
  auto* hdr = static_cast<ShmHeader*>(mz->addr);
  if (hdr->magic != kShmMagic) {
    if (error) *error = "shared tables not initialised yet";
    return false;
  }
  if (hdr->layout_version != kLayoutVersion) {
    if (error)
      *error = "shared table layout version " + std::to_string(hdr->layout_version) +
               " differs from ours (" + std::to_string(kLayoutVersion) + "): rebuild both processes";
    return false;
  }
  out.bind(mz->addr);
  return true;
}

}  // namespace l2tpgw::tables
