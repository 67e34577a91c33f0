// SPDX-License-Identifier: Apache-2.0
// pw_encap: an Ethernet frame for an L2TPv3 pseudowire (RFC 4719) becomes an L2TPv3 data
// message over UDP (RFC 3931 §4.1.2.1): the peer's Session ID and cookie, the Default
// L2-Specific Sublayer when the session uses one (§4.6). With IPsec (`tunnel encapsulation
// l2tpv3`) it goes on to esp_encrypt with the pseudowire's outbound SA; plain
// (`l2tpv3-raw`) it gets its outer IPv4 header here, is fragmented to the WAN MTU (the frame
// stays whole for the peer to reassemble) and leaves by the WAN port.
#include <rte_ip.h>

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
      b.next[i] = Next::EspEncrypt;
      continue;
    }
    auto* ip = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, 20));
    if (!ip) { b.drop(i, DropReason::NoHeadroom); continue; }
    auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip);
    h->version_ihl = RTE_IPV4_VHL_DEF;
    h->type_of_service = 0;
    h->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(m->data_len));
    h->packet_id = rte_cpu_to_be_16(static_cast<uint16_t>(w.ip_id++));
    h->fragment_offset = 0;  // DF clear: the frame must cross whatever the path MTU is
    h->time_to_live = 64;
    h->next_proto_id = wire::kIpProtoUdp;
    h->src_addr = rte_cpu_to_be_32(r.local_addr ? r.local_addr : cfg.wan.addr);
    h->dst_addr = rte_cpu_to_be_32(r.peer_addr);
    h->hdr_checksum = 0;
    h->hdr_checksum = rte_ipv4_cksum(h);
    const uint32_t next_hop = cfg.wan.contains(r.peer_addr) || !cfg.wan_gateway ? r.peer_addr
                                                                                 : cfg.wan_gateway;
    if (m->data_len > cfg.wan_mtu && !ip4_mtu_exceeded(w, b, i, cfg.wan_mtu, Egress::Wan, next_hop))
      continue;
    finish_ether_output(b, i, ether_output(w, m, next_hop, true), Next::TxWan);
  }
}

}  // namespace l2tpgw::dp
