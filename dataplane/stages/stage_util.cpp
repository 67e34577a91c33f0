// SPDX-License-Identifier: Apache-2.0
// Helpers shared by stages: TCP MSS clamping and Ethernet output through the neighbor table.
#include "dataplane/stages/stage_util.hpp"

#include <rte_ring.h>

#include "common/wire/ipv4.hpp"

namespace l2tpgw::dp {

bool clamp_tcp_mss(uint8_t* ip, uint32_t len, uint16_t mss) {
  const uint32_t ihl = (ip[0] & 0x0f) * 4u;
  if (len < ihl + 20) return false;
  uint8_t* tcp = ip + ihl;
  const uint32_t doff = (tcp[12] >> 4) * 4u;
  if (!(tcp[13] & 0x02) || doff < 20 || ihl + doff > len) return false;  // SYN only
  // Options (RFC 9293 §3.2): kind 0 ends, kind 1 is one byte, others kind+length.
  for (uint32_t o = 20; o + 1 < doff;) {
    const uint8_t kind = tcp[o];
    if (kind == 0) break;
    if (kind == 1) { ++o; continue; }
    const uint8_t olen = tcp[o + 1];
    if (olen < 2 || o + olen > doff) break;
    if (kind == 2 && olen == 4) {
      const uint16_t cur = load_be16(tcp + o + 2);
      if (cur <= mss) return false;
      store_be16(tcp + o + 2, mss);
      store_be16(tcp + 16, wire::checksum_update16(load_be16(tcp + 16), cur, mss));
      return true;
    }
    o += olen;
  }
  return false;
}

EtherOutput ether_output(WorkerCtx& w, rte_mbuf* m, uint32_t next_hop, bool wan) {
  const DataplaneShared& dp = *w.dp;
  rte_ether_addr dst;
  const NeighborTable& neigh = wan ? *dp.wan_neigh : *dp.lan_neigh;
  if (!neigh.lookup(next_hop, &dst)) [[unlikely]] {
    PktMeta& md = meta(m);
    md.next_hop = next_hop;
    md.in_port = static_cast<uint8_t>(wan ? dp.cfg->wan_port : dp.cfg->lan_port);
    return rte_ring_mp_enqueue(dp.arp_hold, m) == 0 ? EtherOutput::Held : EtherOutput::Failed;
  }
  auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN));
  if (!eth) return EtherOutput::Failed;
  eth->dst_addr = dst;
  eth->src_addr = wan ? dp.wan_mac : dp.lan_mac;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  return EtherOutput::Ready;
}

}  // namespace l2tpgw::dp
