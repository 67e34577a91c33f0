// SPDX-License-Identifier: Apache-2.0
// WorkerCtx: one poll-mode worker's state, and the pipeline that runs a burst through the stages.
#pragma once

#include <rte_ether.h>
#include <rte_ip_frag.h>
#include <rte_ring.h>

#include <atomic>
#include <cstdint>

#include "common/counters.hpp"
#include "common/tables/shared_tables.hpp"
#include "dataplane/bridge/mac_table.hpp"
#include "dataplane/crypto/imb_engine.hpp"
#include "dataplane/dp_config.hpp"
#include "dataplane/neighbor.hpp"
#include "dataplane/sa/sa_runtime.hpp"
#include "dataplane/worker/burst.hpp"
#include "dataplane/worker/token_bucket.hpp"

namespace l2tpgw::dp {

// State shared read-only by all workers of one dataplane (built at start).
struct DataplaneShared {
  const DataplaneConfig* cfg = nullptr;
  tables::SharedTables tables;
  SaRuntime* sa_runtime = nullptr;           // [sa_slots] (sa_runtimes(tables)), owned per SA owner
  const NeighborTable* wan_neigh = nullptr;
  const NeighborTable* lan_neigh = nullptr;
  rte_ether_addr wan_mac{}, lan_mac{};
  uint32_t n_workers = 1;
  rte_ring* handoff[tables::kMaxWorkers][tables::kMaxWorkers] = {};  // [from][to], SP/SC
  rte_ring* inject[tables::kMaxWorkers] = {};   // CP -> worker (MP/SC)
  rte_ring* punt = nullptr;                     // workers -> CP (MP/SC)
  rte_ring* slowpath = nullptr;                 // workers -> slowpath lcore (MP/SC): ARP frames
  rte_ring* arp_hold = nullptr;                 // workers -> slowpath: IPv4 packets awaiting ARP
  rte_ring* events = nullptr;                   // workers -> CP: SA/NAT events
  MacTable* macs = nullptr;                     // bridge 1's learning table (shared by workers)
};

// Where processed packets go. Real workers transmit; the benchmark counts and recycles.
enum class SinkMode : uint8_t { Ports, Bench };

struct WorkerCtx {
  uint8_t id = 0;
  const DataplaneShared* dp = nullptr;
  tables::WorkerStats* stats = nullptr;
  ImbEngine crypto;
  uint16_t wan_txq = 0, lan_txq = 0;
  SinkMode sink = SinkMode::Ports;
  rte_ip_frag_tbl* frag_tbl = nullptr;
  rte_ip_frag_death_row death_row{};
  uint64_t bench_tx_wan = 0, bench_tx_lan = 0;  // SinkMode::Bench
  uint32_t ip_id = 0;                          // IPv4 Identification of what we originate
  // Packets the stages create (ICMP errors, fragments 2..n), with their next node set. They run
  // through the pipeline after the burst that made them, or as soon as this fills up.
  Burst spawned;
  TokenBucket icmp_limit;                      // ICMP errors (RFC 1812 §4.3.2.8)

  void count(Counter c, uint64_t v = 1) { stats->counters[static_cast<size_t>(c)] += v; }
  // A drop with no packet of its own to free (a copy that could not be made).
  void count_drop(DropReason r) { stats->drops[static_cast<size_t>(r)]++; }
};

// Set by SIGINT/SIGTERM: workers and the slowpath leave their loops.
extern std::atomic<bool> g_quit;

// Runs a burst of packets (entry given by next[i]) through every stage and dispatches them:
// transmitted, punted, handed off or dropped; then what the stages spawned. Every mbuf is
// consumed.
void run_pipeline(WorkerCtx& w, Burst& b);

// Runs w.spawned through the stages and dispatches it, leaving it empty. Also called from
// inside the stages that spawn (classify, ip4_forward, l2tp_encap) when w.spawned is full: the
// stages keep no state between calls but the crypto engine's, which only esp_decrypt and
// esp_encrypt use and only within one call, and spawned packets never spawn again.
void flush_spawned(WorkerCtx& w);

// The stages in pipeline order, for per-stage cycle accounting (VPP's `show runtime`).
inline constexpr const char* kStageNames[] = {"wan_classify", "lan_classify", "esp_decrypt",
                                              "l2tp_decap",   "bridge",       "ip4_forward",
                                              "l2tp_encap",   "pw_encap",     "esp_encrypt",
                                              "dispatch"};
inline constexpr size_t kStageCount = std::size(kStageNames);
// run_pipeline with the TSC read around every stage; cycles[s] accumulates stage s.
// For benchmarks and diagnostics: eight rdtsc per burst.
void run_pipeline_profiled(WorkerCtx& w, Burst& b, uint64_t (&cycles)[kStageCount]);

// Stages (dataplane/stages/): each reads and writes b.next[i] for its own packets only.
void wan_classify(WorkerCtx& w, Burst& b);
void lan_classify(WorkerCtx& w, Burst& b);
void esp_decrypt(WorkerCtx& w, Burst& b);
void l2tp_decap(WorkerCtx& w, Burst& b);
void bridge(WorkerCtx& w, Burst& b);
void ip4_forward(WorkerCtx& w, Burst& b);
void l2tp_encap(WorkerCtx& w, Burst& b);
void pw_encap(WorkerCtx& w, Burst& b);
void esp_encrypt(WorkerCtx& w, Burst& b);
void dispatch(WorkerCtx& w, Burst& b);

// Arguments of one worker lcore.
struct WorkerLaunch {
  static constexpr uint16_t kMaxQueues = 8;
  WorkerCtx* ctx;
  uint16_t wan_rxq[kMaxQueues], lan_rxq[kMaxQueues];  // RX queues this worker polls
  uint16_t n_wan_rxq = 0, n_lan_rxq = 0;
};

// The poll loop of one worker lcore (rte_eal_remote_launch target).
int worker_main(void* arg);

}  // namespace l2tpgw::dp
