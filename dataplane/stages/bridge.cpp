// SPDX-License-Identifier: Apache-2.0
// bridge: `bridge member bridge1 lan1 tunnel1 ...` as a transparent learning bridge (IEEE
// 802.1D §7.7-7.8): the source address is learned on the arrival port, a known unicast
// destination goes out of its port (or nowhere, when that is the arrival port), and a group
// or unknown destination is flooded to every other port. Ports are the LAN port and the
// L2TPv3 Ethernet pseudowires of the bridge (RFC 4719).
#include <rte_cycles.h>

#include "dataplane/stages/ip4_output.hpp"
#include "dataplane/stages/stage_util.hpp"

namespace l2tpgw::dp {
namespace {

// Sends packet i of `b` (a burst, or w.spawned for a flooded copy) out of bridge port `port`.
void to_port(WorkerCtx& w, Burst& b, uint16_t i, BridgePort port) {
  rte_mbuf* m = b.pkts[i];
  if (port == kBridgePortLan) {
    b.next[i] = Next::TxLan;
    return;
  }
  PktMeta& md = meta(m);
  md.pw_slot = port;
  const uint8_t owner = w.dp->tables.pseudowire(port).owner_worker;
  if (owner != w.id) {
    md.resume = static_cast<uint8_t>(Next::PwEncap);
    b.handoff(i, owner);
  } else {
    b.next[i] = Next::PwEncap;
  }
}

// Floods packet i to every port of the bridge but `in`: copies for all ports but the first,
// which takes the original. Copies are full copies (each gets its own headers prepended).
// The pseudowire ports are the list the writer published when they were installed.
void flood(WorkerCtx& w, Burst& b, uint16_t i, BridgePort in) {
  BridgePort ports[tables::kMaxBridgePseudowires + 1];
  uint16_t n = 0;
  if (in != kBridgePortLan) ports[n++] = kBridgePortLan;
  const tables::BridgeMembership& bm = w.dp->tables.header().bridge1;
  const tables::BridgePorts& members = bm.lists[bm.active.load(std::memory_order_acquire) & 1u];
  const uint32_t npw = members.n < tables::kMaxBridgePseudowires ? members.n : tables::kMaxBridgePseudowires;
  for (uint32_t k = 0; k < npw; ++k)
    if (members.slots[k] != in) ports[n++] = members.slots[k];
  if (n == 0) {
    b.drop(i, DropReason::BridgeFiltered);
    return;
  }
  w.count(Counter::BridgeFlooded);
  rte_mbuf* m = b.pkts[i];
  for (uint16_t k = 1; k < n; ++k) {
    const int j = spawn_copy(w, m);
    if (j < 0) continue;
    to_port(w, w.spawned, static_cast<uint16_t>(j), ports[k]);
    w.count(Counter::BridgeFloodCopies);
  }
  to_port(w, b, i, ports[0]);
}

}  // namespace

void bridge(WorkerCtx& w, Burst& b) {
  const DataplaneShared& dp = *w.dp;
  uint32_t now = 0;
  bool have_now = false;
  for (uint16_t i = 0; i < b.n; ++i) {
    if (b.next[i] != Next::Bridge) continue;
    rte_mbuf* m = b.pkts[i];
    if (!dp.macs) { b.drop(i, DropReason::BridgeNoPort); continue; }
    if (!make_contiguous(m)) { b.drop(i, DropReason::NoHeadroom); continue; }
    if (m->data_len < RTE_ETHER_HDR_LEN) { b.drop(i, DropReason::EthRunt); continue; }
    if (!have_now) {
      now = static_cast<uint32_t>(rte_get_tsc_cycles() / rte_get_tsc_hz());
      have_now = true;
    }
    const uint8_t* frame = rte_pktmbuf_mtod(m, const uint8_t*);
    const BridgePort in = meta(m).pw_slot ? meta(m).pw_slot : kBridgePortLan;
    if (!mac_is_group(frame + 6)) {
      switch (dp.macs->learn(mac_to_u64(frame + 6), in, now)) {
        case MacTable::Learned::Known: break;
        case MacTable::Learned::New: w.count(Counter::BridgeLearned); break;
        case MacTable::Learned::Moved: w.count(Counter::BridgeMacMoved); break;
      }
    }
    if (mac_is_group(frame)) {
      flood(w, b, i, in);
      continue;
    }
    if (in != kBridgePortLan && std::memcmp(frame, dp.lan_mac.addr_bytes, RTE_ETHER_ADDR_LEN) == 0) {
      // To the bridge's own address from across a pseudowire: the appliance's replies would
      // leave by the LAN port only, so it does not answer there yet.
      w.count(Counter::BridgeToSelf);
      b.drop(i, DropReason::BridgeFiltered);
      continue;
    }
    BridgePort out = dp.macs->lookup(mac_to_u64(frame), now);
    // Learned on a pseudowire that has gone since (its session ended, or the controlplane
    // replaced it with a new session): the address is unknown again, as 802.1D §7.9 flushes
    // a port's entries when the port leaves, until a frame from it is learned anew.
    if (out != kBridgePortNone && out != kBridgePortLan &&
        (out >= dp.tables.pw_slots() || !tables::published(dp.tables.pseudowire(out))))
      out = kBridgePortNone;
    if (out == kBridgePortNone) {
      flood(w, b, i, in);
    } else if (out == in) {
      b.drop(i, DropReason::BridgeFiltered);  // 802.1D §7.7.1: not sent back where it came from
    } else {
      to_port(w, b, i, out);
    }
  }
}

}  // namespace l2tpgw::dp
