// SPDX-License-Identifier: Apache-2.0
// SharedTables: the one memzone both processes map, and typed access to what is in it.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "common/tables/records.hpp"
#include "common/tables/stats.hpp"

struct rte_rcu_qsbr;

namespace l2tpgw::tables {

inline constexpr uint64_t kShmMagic = 0x6c3274706777ULL;  // "l2tpgw"
// Bump whenever a record, the header or the area order changes: a controlplane built
// against another layout refuses to attach instead of misreading the tables.
inline constexpr uint32_t kLayoutVersion = 16;  // 2: SaRecord::hot; 3: WorkerStats::idle_sleeps;
                                                 // 4: SessionRecord::installed_at; 5: ICMP error and fragment counters;
                                                 // 6: the pseudowire table; 7: bridge 1's members; 8: link states;
                                                 // 9: AES decryption keys on a line of their own;
                                                 // 10: SaCrypto::ghash_layout, SaCryptoHotLines::aux_lines;
                                                 // 11: SessionRecord::peer_index, TunnelRecord::sessions;
                                                 // 12: session counters in SessionRecord;
                                                 // 13: SaOwnerArea (SA counters and runtime);
                                                 // 14: SaCryptoParams on SaRecord's first line;
                                                 // 15: SaCryptoHotLines as a list of lines;
                                                 // 16: the tunnel's sa_out, peer id and port in
                                                 //     SessionRecord, install times beside it
inline constexpr const char* kShmZoneName = "l2tpgw_tables";
inline constexpr const char* kPuntRingName = "l2tpgw_punt";
inline constexpr const char* kEventRingName = "l2tpgw_events";
inline constexpr const char* kInjectRingPrefix = "l2tpgw_inj_";  // + worker index
inline constexpr const char* kMbufPoolName = "l2tpgw_mbufs";

struct TableSizes {
  uint32_t max_sessions = 4096;   // concurrent L2TP sessions (<= 65,535)
  uint32_t max_pseudowires = 64;  // concurrent L2TPv3 sessions (<= kMaxPseudowires)
  uint32_t n_workers = 1;
  uint32_t n_pools = 0;           // client address pools (`ip pp remote address pool`)
  PoolRange pools[kMaxPools] = {};  // base and size; `first` is assigned by create()
  uint32_t pool_addresses() const {
    uint32_t n = 0;
    for (uint32_t i = 0; i < n_pools; ++i) n += pools[i].size;
    return n;
  }
  // SA slots: two per session or pseudowire (in/out) and as many again for make-before-break
  // rekeys.
  uint32_t sa_slots() const {
    const uint32_t n = (max_sessions + max_pseudowires) * 4 + 1;
    return n < kMaxSaSlots ? n : kMaxSaSlots;
  }
};

// A port's link as the dataplane last read it (ShmHeader::wan_link, lan_link).
enum class LinkState : uint32_t { Unknown = 0, Down = 1, Up = 2 };

struct alignas(64) ShmHeader {
  uint64_t magic;
  uint32_t layout_version;
  uint32_t n_workers;
  uint32_t max_sessions;
  uint32_t sa_slots;         // slot 0 unused
  uint32_t tunnel_slots;     // max_sessions + 1 (slot 0 = reserved id 0)
  uint32_t session_slots;    // max_sessions + 1
  uint32_t pool_index_size;
  uint32_t pw_slots;         // max_pseudowires + 1 (slot 0 unused)
  uint32_t n_pools;
  PoolRange pools[kMaxPools];
  uint64_t off_sa, off_tunnel, off_session, off_pool_index;
  uint64_t off_worker_stats, off_sa_owner, off_rcu;
  uint64_t off_pw, off_pw_counters;
  uint64_t off_session_installed_at;
  uint64_t total_size;
  uint32_t wan_addr;         // host order; the dataplane's own addresses, for writers' defaults
  uint32_t lan_addr;
  std::atomic<uint32_t> dataplane_ready;  // 1 once workers forward
  std::atomic<uint32_t> controlplane_pid; // the attached writer (0 = none), for diagnostics
  std::atomic<uint64_t> dataplane_epoch;  // changes each dataplane start
  BridgeMembership bridge1;               // writer: CP (TableWriter); readers: workers
  // LinkState of each port; writer: the dataplane's slowpath (a few reads a second); reader:
  // the controlplane (the circuit status of bridged pseudowires, RFC 3931 §5.4.5).
  std::atomic<uint32_t> wan_link;
  std::atomic<uint32_t> lan_link;
};

class SharedTables {
 public:
  // Primary (dataplane): reserves and initialises the memzone. Returns false with `error`.
  static bool create(const TableSizes& sizes, SharedTables& out, std::string* error);
  // Secondary (controlplane, tools): finds the memzone and checks magic and layout version.
  static bool attach(SharedTables& out, std::string* error);
  // Bytes of shared memory one session costs at full table size, all areas included.
  static uint64_t bytes_per_session(const TableSizes& sizes);
  static uint64_t total_bytes(const TableSizes& sizes);

  ShmHeader& header() const { return *hdr_; }
  SaRecord& sa(uint32_t slot) const { return sa_[slot]; }
  TunnelRecord& tunnel(uint32_t id) const { return tunnel_[id]; }
  SessionRecord& session(uint32_t id) const { return session_[id]; }
  std::atomic<uint16_t>& pool_entry(uint32_t i) const { return pool_index_[i]; }
  WorkerStats& worker_stats(uint32_t w) const { return worker_stats_[w]; }
  SessionCounters& session_counters(uint32_t id) const { return session_[id].counters; }
  PseudowireRecord& pseudowire(uint32_t slot) const { return pw_[slot]; }
  // Per pseudowire: Ethernet frames and octets from the peer (rx) and to it (tx).
  SessionCounters& pw_counters(uint32_t slot) const { return pw_counters_[slot]; }
  // The owner worker's area of SA `slot`, and the counters at its start. The dataplane
  // writes both through dp::SaRuntime (dataplane/sa/sa_runtime.hpp).
  SaOwnerArea& sa_owner(uint32_t slot) const { return sa_owner_[slot]; }
  SaCounters& sa_counters(uint32_t slot) const { return sa_owner_[slot].counters; }
  // Wall-clock seconds (Unix time) at which session `id` was installed, 0 = unknown. writer:
  // CP; readers: CP (`show`): workers never read it, so it is not on the session's line.
  uint32_t& session_installed_at(uint32_t id) const { return session_installed_at_[id]; }
  rte_rcu_qsbr* rcu() const { return rcu_; }

  uint32_t sa_slots() const { return hdr_->sa_slots; }
  uint32_t session_slots() const { return hdr_->session_slots; }
  uint32_t n_workers() const { return hdr_->n_workers; }
  uint32_t pw_slots() const { return hdr_->pw_slots; }

  // Pool index lookup: the session id that owns client address `addr` (host order), or 0.
  uint16_t session_for_address(uint32_t addr) const {
    for (uint32_t i = 0; i < hdr_->n_pools; ++i) {
      const PoolRange& p = hdr_->pools[i];
      uint32_t off = addr - p.base;
      if (off < p.size) return pool_index_[p.first + off].load(std::memory_order_acquire);
    }
    return 0;
  }
  // Index of `addr` in the pool index array, or UINT32_MAX when no pool holds it.
  uint32_t pool_slot(uint32_t addr) const {
    for (uint32_t i = 0; i < hdr_->n_pools; ++i) {
      const PoolRange& p = hdr_->pools[i];
      uint32_t off = addr - p.base;
      if (off < p.size) return p.first + off;
    }
    return UINT32_MAX;
  }

 private:
  void bind(void* base);
  ShmHeader* hdr_ = nullptr;
  SaRecord* sa_ = nullptr;
  TunnelRecord* tunnel_ = nullptr;
  SessionRecord* session_ = nullptr;
  std::atomic<uint16_t>* pool_index_ = nullptr;
  WorkerStats* worker_stats_ = nullptr;
  SaOwnerArea* sa_owner_ = nullptr;
  PseudowireRecord* pw_ = nullptr;
  SessionCounters* pw_counters_ = nullptr;
  uint32_t* session_installed_at_ = nullptr;
  rte_rcu_qsbr* rcu_ = nullptr;
};

// Reader side helpers (workers): a record is usable when its state is published.
template <class R>
inline bool published(const R& r, uint32_t* gen = nullptr) {
  uint32_t s = r.state.load(std::memory_order_acquire);
  if (gen) *gen = state_generation(s);
  return state_published(s);
}

}  // namespace l2tpgw::tables
