// SPDX-License-Identifier: Apache-2.0
// Small helpers shared by the fastpath stages (header access after a length check, SA runtime).
#pragma once

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <cstring>

#include "common/tables/shared_tables.hpp"
#include "common/wire/ipv4.hpp"
#include "dataplane/mbuf_meta.hpp"
#include "dataplane/worker/worker.hpp"

namespace l2tpgw::dp {

inline uint16_t load_be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline void store_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// The runtime of SA `slot`, re-initialised if the slot now holds a new SA (generation `gen`).
// Called only by the SA's owner worker.
inline SaRuntime& sa_runtime(const DataplaneShared& dp, uint32_t slot, uint32_t gen) {
  SaRuntime& rt = dp.sa_runtime[slot];
  if (rt.gen != gen) [[unlikely]] {
    const tables::SaRecord& rec = dp.tables.sa(slot);
    rt.gen = gen;
    rt.seq_out = 0;
    rt.seq_exhausted = 0;
    rt.peer_moved = 0;
    rt.peer_addr = rec.peer_addr;
    rt.peer_port = rec.peer_port;
    rt.replay.reset(rec.replay_window ? rec.replay_window : ReplayWindow::kDefaultWindow);
  }
  return rt;
}

// The packet and octet counts of a run of packets of one SA, added to the SA's shared
// counters when the run ends (STYLE.md: cache the last key, flush the run's counts when it
// changes). flush() before the stage returns.
class SaCountRun {
 public:
  explicit SaCountRun(const DataplaneShared& dp) : dp_(dp) {}
  void add(uint32_t slot, uint64_t octets) {
    if (slot != slot_) {
      flush();
      slot_ = slot;
    }
    ++packets_;
    octets_ += octets;
  }
  void flush() {
    if (packets_ == 0) return;
    tables::SaCounters& sc = dp_.sa_runtime[slot_].counters;  // on the runtime's first line
    sc.packets += packets_;
    sc.octets += octets_;
    packets_ = octets_ = 0;
  }

 private:
  const DataplaneShared& dp_;
  uint32_t slot_ = UINT32_MAX;
  uint64_t packets_ = 0, octets_ = 0;
};

// ---------------------------------------------------------------------------------------
// Prefetches. With thousands of clients every packet of a burst names a different SA and
// session, and their records are cold: touched one packet at a time, each miss stalls the
// loop (and, inside IPsec-MB, each job's key schedule stalls the cipher). The lines are asked
// for in the order the stages need them, each as soon as its address is known, so that the
// misses overlap with work instead of queueing at one stage's start:
//   1. the SA record's first line (with the crypto parameters): wan_classify's first pass
//      (from the SPI), l2tp_encap (sa_out);
//   2. the owner's runtime (prefetch_sa_state), and for downstream the session (its counters
//      on the same line) and tunnel: where the SA or session is chosen;
//   3. key schedule and HMAC pads (prefetch_sa_crypto with SaRecord::hot, computed at
//      install): in the crypto stage's first pass, once the record is in; IPsec-MB reads
//      them a few jobs later;
//   4. the L2TP session of a decrypted packet: in esp_decrypt's second pass.
// A stage that asked for the next stage's lines marks the packet in Burst::prefetched; the
// next stage's own prefetch pass covers the others (packets handed over from another worker,
// control packets the controlplane injects). Measured with scripts/bench.sh at 1,000 and
// 10,000 sessions; with one session the lines are in L1 and this costs a few cycles per
// packet.
// ---------------------------------------------------------------------------------------

// The first line of SA `slot`: what wan_classify reads (spi, direction, owner) and the crypto
// parameters (lengths) the crypto stage's first pass reads.
inline void prefetch_sa_record(const DataplaneShared& dp, uint32_t slot) {
  if (slot < dp.tables.sa_slots()) rte_prefetch0(&dp.tables.sa(slot));
}

// What the first pass of a crypto stage reads besides the record: the owner's runtime (replay
// window or sequence number out, and on the same line the counters the stage adds to). Its
// address follows from the slot alone. `slot` must be valid; call it on the SA's owner worker.
inline void prefetch_sa_state(const DataplaneShared& dp, uint32_t slot) {
  rte_prefetch0(&dp.sa_runtime[slot]);
}

// The first pass of a crypto stage: the record and state of every packet bound for `node`
// that the stage choosing its SA did not prefetch (packets handed over from another worker,
// control packets injected by the controlplane), once per run of packets of one SA.
inline void prefetch_burst_sa_state(const DataplaneShared& dp, const Burst& b, Next node) {
  uint32_t last = 0;
  b.for_each_unprefetched(node, [&](uint16_t i) {
    const PktMeta& md = meta(b.pkts[i]);
    if (md.sa_slot == last || md.sa_slot >= dp.tables.sa_slots()) return;
    last = md.sa_slot;
    prefetch_sa_record(dp, last);
    prefetch_sa_state(dp, last);
  });
}

// A session's record (its counters are on the same line).
inline void prefetch_session(const DataplaneShared& dp, uint32_t session_id) {
  if (session_id < dp.tables.session_slots()) rte_prefetch0(&dp.tables.session(session_id));
}

// The session named by the L2TPv2 data header of a UDP datagram (read without validation: a
// prefetch hint only).
inline void prefetch_l2tp_session(const DataplaneShared& dp, const rte_mbuf* m) {
  if (m->data_len < 8 + 8) return;
  const uint8_t* l2 = rte_pktmbuf_mtod(m, const uint8_t*) + 8;
  const uint8_t* ids = l2 + ((l2[0] & 0x40) ? 4 : 2);  // the L bit (RFC 2661 §3.1)
  prefetch_session(dp, load_be16(ids + 2));
}

// Packets are handled as one contiguous segment; chains (reassembled datagrams, jumbo
// receive) are linearised once.
inline bool make_contiguous(rte_mbuf* m) {
  return m->nb_segs == 1 || rte_pktmbuf_linearize(m) == 0;
}

// A one-segment packet becomes its bytes [from, from + len): what rte_pktmbuf_adj and _trim
// do, without their checks and without _trim's walk to the last segment (which reads the
// mbuf's second line). The caller has checked that from + len <= data_len.
inline void keep_bytes(rte_mbuf* m, uint32_t from, uint32_t len) {
  m->data_off = static_cast<uint16_t>(m->data_off + from);
  m->data_len = static_cast<uint16_t>(len);
  m->pkt_len = len;
}

// A router's TTL step (RFC 1812 §5.3.1) on a validated IPv4 header, with the checksum fixed
// incrementally (RFC 1624). False when the packet must not be forwarded (TTL <= 1).
inline bool ipv4_decrement_ttl(uint8_t* ip) {
  if (ip[8] <= 1) return false;
  const uint16_t old_word = load_be16(ip + 8);
  ip[8] = static_cast<uint8_t>(ip[8] - 1);
  store_be16(ip + 10, wire::checksum_update16(load_be16(ip + 10), old_word, load_be16(ip + 8)));
  return true;
}

// TCP MSS clamping (RFC 879/6691): lowers the MSS option of a SYN to `mss`, with the
// checksum fixed incrementally (RFC 1624). `ip` points at the IPv4 header of `len` bytes.
bool clamp_tcp_mss(uint8_t* ip, uint32_t len, uint16_t mss);

enum class EtherOutput : uint8_t { Ready, Held, Failed };

// Prepends an Ethernet header for `next_hop` on a connected subnet (Ready). When the next
// hop's MAC is not known yet, the packet goes to the slowpath's ARP hold queue, which sends
// the request and transmits the packet on the reply (Held: the mbuf is no longer ours), as a
// router queues packets for an incomplete neighbor. Failed: hold queue full or no headroom.
EtherOutput ether_output(WorkerCtx& w, rte_mbuf* m, uint32_t next_hop, bool wan);

// ether_output for a stage's run of packets: the Ethernet header of the last next hop is
// kept, so a burst's packets to one next hop (the WAN gateway, a LAN host) read the neighbor
// table once. A MAC learnt meanwhile reaches the next burst.
class EtherOutputRun {
 public:
  EtherOutputRun(WorkerCtx& w, bool wan) : w_(w), wan_(wan) {}
  EtherOutput output(rte_mbuf* m, uint32_t next_hop) {
    if (next_hop != hop_ || hop_ == 0) {
      const EtherOutput r = ether_output(w_, m, next_hop, wan_);
      if (r == EtherOutput::Ready) {
        hop_ = next_hop;
        std::memcpy(&hdr_, rte_pktmbuf_mtod(m, const void*), sizeof(hdr_));
      }
      return r;
    }
    // rte_pktmbuf_prepend without its checks but the headroom's.
    if (m->data_off < sizeof(hdr_)) return EtherOutput::Failed;
    m->data_off = static_cast<uint16_t>(m->data_off - sizeof(hdr_));
    m->data_len = static_cast<uint16_t>(m->data_len + sizeof(hdr_));
    m->pkt_len += sizeof(hdr_);
    std::memcpy(rte_pktmbuf_mtod(m, void*), &hdr_, sizeof(hdr_));
    return EtherOutput::Ready;
  }

 private:
  WorkerCtx& w_;
  const bool wan_;
  uint32_t hop_ = 0;
  rte_ether_hdr hdr_;
};

// Applies ether_output's result to packet i of the burst, with `ok` its next node.
inline void finish_ether_output(Burst& b, uint16_t i, EtherOutput r, Next ok) {
  switch (r) {
    case EtherOutput::Ready: b.next[i] = ok; break;
    case EtherOutput::Held: b.consumed(i); break;
    case EtherOutput::Failed: b.drop(i, DropReason::ArpUnresolved); break;
  }
}

}  // namespace l2tpgw::dp
