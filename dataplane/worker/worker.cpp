// SPDX-License-Identifier: Apache-2.0
// The worker poll loop, the stage pipeline and the one dispatcher that transmits, punts,
// hands off or frees every packet.
#include "dataplane/worker/worker.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>

#include <atomic>
#include <cstring>

#include "dataplane/mbuf_meta.hpp"
#include "dataplane/stages/ip4_output.hpp"
#include "dataplane/stages/stage_util.hpp"
#include "dataplane/worker/idle_backoff.hpp"

namespace l2tpgw::dp {

std::atomic<bool> g_quit{false};

namespace {

// The stages in pipeline order (kStageNames), each with the node it serves: a stage none of
// whose packets is in the burst is not entered (one vector search over next[] instead of its
// walk over every packet). Dispatch serves every node.
struct Stage {
  void (*run)(WorkerCtx&, Burst&);
  Next node;
  bool every = false;
};
constexpr Stage kStages[kStageCount] = {
    {wan_classify, Next::WanClassify}, {lan_classify, Next::LanClassify},
    {esp_decrypt, Next::EspDecrypt},   {l2tp_decap, Next::L2tpDecap},
    {bridge, Next::Bridge},            {ip4_forward, Next::Ip4Forward},
    {l2tp_encap, Next::L2tpEncap},     {pw_encap, Next::PwEncap},
    {esp_encrypt, Next::EspEncrypt},   {dispatch, Next::Drop, true},
};

bool has_packets_for(const Burst& b, const Stage& s) {
  return s.every || std::memchr(b.next.data(), static_cast<int>(s.node), b.n) != nullptr;
}

void run_stages(WorkerCtx& w, Burst& b) {
  for (const Stage& s : kStages)
    if (has_packets_for(b, s)) s.run(w, b);
}

}  // namespace

void run_pipeline(WorkerCtx& w, Burst& b) {
  run_stages(w, b);
  flush_spawned(w);
}

void flush_spawned(WorkerCtx& w) {
  // Moved out before running, so that w.spawned is empty and consistent for the stage that
  // called us to go on filling. Spawned packets never spawn (kMetaSpawned), so this loops once.
  while (w.spawned.n) {
    Burst b;
    const uint16_t n = w.spawned.n;
    for (uint16_t i = 0; i < n; ++i) {
      b.pkts[i] = w.spawned.pkts[i];
      b.next[i] = w.spawned.next[i];
      b.why[i] = w.spawned.why[i];
      b.target[i] = w.spawned.target[i];
    }
    b.n = n;
    w.spawned.n = 0;
    run_stages(w, b);
  }
}

void run_pipeline_profiled(WorkerCtx& w, Burst& b, uint64_t (&cycles)[kStageCount]) {
  uint64_t t = rte_rdtsc();
  for (size_t s = 0; s < kStageCount; ++s) {
    if (has_packets_for(b, kStages[s])) kStages[s].run(w, b);
    const uint64_t u = rte_rdtsc();
    cycles[s] += u - t;
    t = u;
  }
  flush_spawned(w);  // packets the stages made (ICMP errors, fragments): not attributed
}

namespace {

void drop_one(WorkerCtx& w, rte_mbuf* m, DropReason why) {
  w.stats->drops[static_cast<size_t>(why)]++;
  if (m) rte_pktmbuf_free(m);
}

// Transmits `pkts` (n of them) on a port, or counts them in benchmark mode.
void transmit(WorkerCtx& w, rte_mbuf** pkts, uint16_t n, bool wan) {
  if (n == 0) return;
  uint64_t octets = 0;
  for (uint16_t i = 0; i < n; ++i) octets += pkts[i]->pkt_len;
  if (w.sink == SinkMode::Bench) {
    (wan ? w.bench_tx_wan : w.bench_tx_lan) += n;
    rte_pktmbuf_free_bulk(pkts, n);
    return;
  }
  const DataplaneConfig& cfg = *w.dp->cfg;
  const uint16_t sent = rte_eth_tx_burst(wan ? cfg.wan_port : cfg.lan_port,
                                         wan ? w.wan_txq : w.lan_txq, pkts, n);
  for (uint16_t i = sent; i < n; ++i) {
    octets -= pkts[i]->pkt_len;
    drop_one(w, pkts[i], DropReason::TxFull);
  }
  w.count(wan ? Counter::WanTxPackets : Counter::LanTxPackets, sent);
  w.count(wan ? Counter::WanTxOctets : Counter::LanTxOctets, octets);
}

Counter punt_counter(PuntKind k) {
  switch (k) {
    case PuntKind::Ike: return Counter::PuntIke;
    case PuntKind::L2tpControl: return Counter::PuntL2tpControl;
    case PuntKind::PppControl: return Counter::PuntPppControl;
    default: return Counter::PuntToSelf;
  }
}

// True when every packet of `b` goes to `node` (a loop without branches over next[]).
bool all_to(const Burst& b, Next node) {
  bool same = true;
  for (uint16_t i = 0; i < b.n; ++i) same &= b.next[i] == node;
  return same;
}

}  // namespace

void dispatch(WorkerCtx& w, Burst& b) {
  const DataplaneShared& dp = *w.dp;
  // A whole burst through to one port, as forwarding in one direction mostly is, goes
  // without being sorted.
  const Next first = b.n ? b.next[0] : Next::Drop;
  if ((first == Next::TxWan || first == Next::TxLan) && all_to(b, first)) {
    transmit(w, b.pkts.data(), b.n, first == Next::TxWan);
    b.clear();
    return;
  }
  rte_mbuf* wan[kMaxBurst];
  rte_mbuf* lan[kMaxBurst];
  rte_mbuf* punt[kMaxBurst];
  rte_mbuf* slow[kMaxBurst];
  uint16_t nw = 0, nl = 0, np = 0, ns = 0;
  for (uint16_t i = 0; i < b.n; ++i) {
    rte_mbuf* m = b.pkts[i];
    switch (b.next[i]) {
      case Next::TxWan: wan[nw++] = m; break;
      case Next::TxLan: lan[nl++] = m; break;
      case Next::Punt:
        if (dp.tables.header().controlplane_pid.load(std::memory_order_relaxed) == 0) {
          drop_one(w, m, DropReason::PuntNoControlplane);
        } else {
          w.count(punt_counter(meta(m).punt_kind));
          punt[np++] = m;
        }
        break;
      case Next::Slowpath: slow[ns++] = m; break;
      case Next::Handoff: {
        // Hand-offs are rare (return traffic arriving on another worker's queue): one
        // enqueue each keeps this simple.
        rte_ring* r = dp.handoff[w.id][b.target[i]];
        if (rte_ring_sp_enqueue(r, m) != 0) drop_one(w, m, DropReason::HandoffFull);
        else w.count(Counter::HandoffOut);
        break;
      }
      case Next::Drop: drop_one(w, m, b.why[i]); break;
      case Next::Consumed: break;
      default:
        // A packet left at an intermediate node is a pipeline bug.
        drop_one(w, m, DropReason::None);
        break;
    }
  }
  transmit(w, wan, nw, true);
  transmit(w, lan, nl, false);
  if (np) {
    const unsigned q = rte_ring_mp_enqueue_burst(dp.punt, reinterpret_cast<void**>(punt), np, nullptr);
    for (uint16_t i = q; i < np; ++i) drop_one(w, punt[i], DropReason::PuntFull);
  }
  if (ns) {
    w.count(Counter::PuntArp, ns);
    const unsigned q = rte_ring_mp_enqueue_burst(dp.slowpath, reinterpret_cast<void**>(slow), ns, nullptr);
    for (uint16_t i = q; i < ns; ++i) drop_one(w, slow[i], DropReason::PuntFull);
  }
  b.clear();
}

namespace {

bool poll_port(WorkerCtx& w, Burst& b, uint16_t port, uint16_t queue, bool wan) {
  b.n = rte_eth_rx_burst(port, queue, b.pkts.data(), kMaxBurst);
  if (!b.n) return false;
  uint64_t octets = 0;
  const Next first = wan ? Next::WanClassify : Next::LanClassify;
  for (uint16_t i = 0; i < b.n; ++i) {
    b.next[i] = first;
    octets += b.pkts[i]->pkt_len;
  }
  w.count(wan ? Counter::WanRxPackets : Counter::LanRxPackets, b.n);
  w.count(wan ? Counter::WanRxOctets : Counter::LanRxOctets, octets);
  run_pipeline(w, b);
  return true;
}

}  // namespace

int worker_main(void* arg) {
  auto* launch = static_cast<WorkerLaunch*>(arg);
  WorkerCtx& w = *launch->ctx;
  const DataplaneShared& dp = *w.dp;
  const DataplaneConfig& cfg = *dp.cfg;
  rte_rcu_qsbr* rcu = dp.tables.rcu();
  rte_rcu_qsbr_thread_register(rcu, w.id);
  rte_rcu_qsbr_thread_online(rcu, w.id);
  IdleBackoff backoff(cfg.idle_sleep_us, cfg.idle_polls);
  Burst b;
  while (!g_quit.load(std::memory_order_relaxed)) {
    rte_rcu_qsbr_quiescent(rcu, w.id);
    bool busy = false;
    for (uint16_t q = 0; q < launch->n_wan_rxq; ++q) busy |= poll_port(w, b, cfg.wan_port, launch->wan_rxq[q], true);
    for (uint16_t q = 0; q < launch->n_lan_rxq; ++q) busy |= poll_port(w, b, cfg.lan_port, launch->lan_rxq[q], false);
    // Packets other workers handed to us, and the controlplane's injections.
    for (uint32_t from = 0; from < dp.n_workers; ++from) {
      if (from == w.id) continue;
      b.n = static_cast<uint16_t>(rte_ring_sc_dequeue_burst(
          dp.handoff[from][w.id], reinterpret_cast<void**>(b.pkts.data()), kMaxBurst, nullptr));
      if (!b.n) continue;
      busy = true;
      w.count(Counter::HandoffIn, b.n);
      for (uint16_t i = 0; i < b.n; ++i) b.next[i] = static_cast<Next>(meta(b.pkts[i]).resume);
      run_pipeline(w, b);
    }
    b.n = static_cast<uint16_t>(rte_ring_sc_dequeue_burst(
        dp.inject[w.id], reinterpret_cast<void**>(b.pkts.data()), kMaxBurst, nullptr));
    if (b.n) {
      busy = true;
      for (uint16_t i = 0; i < b.n; ++i) {
        PktMeta& md = meta(b.pkts[i]);
        if (md.resume == static_cast<uint8_t>(InjectNext::UdpWan)) {
          b.next[i] = Next::Drop;
          if (b.pkts[i]->data_len < 8 || md.outer_dst == 0 || !make_contiguous(b.pkts[i])) {
            b.drop(i, DropReason::InjectMalformed);
            continue;
          }
          w.count(Counter::InjectRaw);
          udp4_wan_output(w, b, i, md.outer_src ? md.outer_src : cfg.wan.addr, md.outer_dst);
          continue;
        }
        const Next n = static_cast<Next>(md.resume);
        // The other process's slot is a claim: the stages index tables with it.
        const bool slot_ok = n != Next::EspEncrypt || md.sa_slot < dp.tables.sa_slots();
        if (slot_ok && (n == Next::EspEncrypt || n == Next::TxWan || n == Next::TxLan)) {
          b.next[i] = n;
          w.count(n == Next::EspEncrypt ? Counter::InjectEncrypted : Counter::InjectRaw);
        } else {
          b.drop(i, DropReason::InjectMalformed);
        }
      }
      run_pipeline(w, b);
    }
    if (w.death_row.cnt) rte_ip_frag_free_death_row(&w.death_row, 0);
    w.stats->loops++;
    if (busy) w.stats->busy_loops++;
    if (backoff.after_loop(busy)) [[unlikely]] {
      // Nothing to do for idle_polls loops: give the CPU back for a moment (--idle-sleep-us,
      // for lcores that share CPUs). The only syscall of the loop, and only when idle. Offline
      // first, so the controlplane's RCU grace periods never wait for a sleeping worker.
      rte_rcu_qsbr_thread_offline(rcu, w.id);
      rte_delay_us_sleep(backoff.sleep_us());
      rte_rcu_qsbr_thread_online(rcu, w.id);
      w.stats->idle_sleeps++;
    }
  }
  rte_rcu_qsbr_thread_offline(rcu, w.id);
  rte_rcu_qsbr_thread_unregister(rcu, w.id);
  return 0;
}

}  // namespace l2tpgw::dp
