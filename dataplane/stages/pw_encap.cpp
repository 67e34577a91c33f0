// SPDX-License-Identifier: Apache-2.0
// pw_encap: an Ethernet frame for an L2TPv3 pseudowire (RFC 4719) becomes an L2TPv3 data
// message over UDP (RFC 3931 §4.1.2.1): the peer's Session ID and cookie, the Default
// L2-Specific Sublayer when the session uses one (§4.6). With IPsec (`tunnel encapsulation
// l2tpv3`) it goes on to esp_encrypt with the pseudowire's outbound SA; plain
// (`l2tpv3-raw`) it gets its outer IPv4 header here, is fragmented to the WAN MTU (the frame
// stays whole for the peer to reassemble) and leaves by the WAN port.
#include "common/wire/ipv4.hpp"
#include "common/wire/l2tp.hpp"
#include "dataplane/stages/ip4_output.hpp"
#include "dataplane/stages/stage_util.hpp"

namespace l2tpgw::dp {

void pw_encap(WorkerCtx& w, Burst& b) {
  const DataplaneShared& dp = *w.dp;
  const DataplaneConfig& cfg = *dp.cfg;
  for (uint16_t i = 0; i < b.n; ++i) {
    if (b.next[i] != Next::PwEncap) continue;
    rte_mbuf* m = b.pkts[i];
    PktMeta& md = meta(m);
    const uint32_t slot = md.pw_slot;
    if (slot == 0 || slot >= dp.tables.pw_slots()) { b.drop(i, DropReason::L2tpv3NoSession); continue; }
    const tables::PseudowireRecord& r = dp.tables.pseudowire(slot);
    if (!tables::published(r)) { b.drop(i, DropReason::L2tpv3NoSession); continue; }
    if (r.owner_worker != w.id) {  // its counters are the owner's
      md.resume = static_cast<uint8_t>(Next::PwEncap);
      b.handoff(i, r.owner_worker);
      continue;
    }
    const uint32_t frame_len = m->data_len;
    const uint16_t sublayer = (r.flags & tables::kPwTxSublayer) ? 4 : 0;
    const uint16_t l2tp_len = static_cast<uint16_t>(wire::kL2tpv3DataHeaderLen + r.peer_cookie_len + sublayer);
    auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, static_cast<uint16_t>(8 + l2tp_len)));
    if (!p) { b.drop(i, DropReason::NoHeadroom); continue; }
    tables::SessionCounters& pc = dp.tables.pw_counters(slot);
    pc.tx_packets++;
    pc.tx_octets += frame_len;
    // UDP with checksum 0, allowed over IPv4 (RFC 768) and what Linux's l2tp_eth sends by
    // default; with `l2tpv3` ESP's ICV covers the datagram anyway.
    store_be16(p, r.local_port);
    store_be16(p + 2, r.peer_port);
    store_be16(p + 4, static_cast<uint16_t>(m->data_len));
    store_be16(p + 6, 0);
    uint8_t* l2 = p + 8;
    store_be16(l2, wire::kL2tpv3DataFlags);
    store_be16(l2 + 2, 0);
    store_be32(l2 + 4, r.peer_session_id);
    std::memcpy(l2 + 8, r.peer_cookie, r.peer_cookie_len);
    if (sublayer) store_be32(l2 + 8 + r.peer_cookie_len, 0);  // S = 0: no sequencing
    w.count(Counter::L2tpv3DataTx);

    const uint32_t sa_out = r.sa_out.load(std::memory_order_acquire);
    if (r.peer_index != 0) {
      // Bound to IPsec: never in the clear, also while no SA is installed.
      if (sa_out == 0) { b.drop(i, DropReason::EspNoOutboundSa); continue; }
      md.sa_slot = sa_out;
      prefetch_sa_record(dp, sa_out);
      b.clear_prefetched(i);  // esp_encrypt's own pass asks for the rest of its state
      b.next[i] = Next::EspEncrypt;
      continue;
    }
    udp4_wan_output(w, b, i, r.local_addr ? r.local_addr : cfg.wan.addr, r.peer_addr);
  }
}

}  // namespace l2tpgw::dp
