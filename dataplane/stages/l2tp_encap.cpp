// SPDX-License-Identifier: Apache-2.0
// l2tp_encap: an IPv4 packet for a client becomes PPP / L2TPv2 data / UDP 1701, addressed to
// the session's peer ids, and is handed to esp_encrypt with the tunnel's outbound SA. All of
// it is on the session's line (records.hpp): the tunnel's is not read.
#include "common/byte_reader.hpp"
#include "common/wire/ipv4.hpp"
#include "common/wire/l2tp.hpp"
#include "common/wire/ppp.hpp"
#include "common/wire/udp.hpp"
#include "dataplane/stages/ip4_output.hpp"
#include "dataplane/stages/stage_util.hpp"

namespace l2tpgw::dp {

void l2tp_encap(WorkerCtx& w, Burst& b) {
  const DataplaneShared& dp = *w.dp;
  // Prefetch pass: each session (other nodes' metadata is not read).
  b.for_each_unprefetched(Next::L2tpEncap, [&](uint16_t i) { prefetch_session(dp, meta(b.pkts[i]).session_id); });
  uint32_t sa_asked = 0;
  for (uint16_t i = 0; i < b.n; ++i) {
    if (b.next[i] != Next::L2tpEncap) continue;
    rte_mbuf* m = b.pkts[i];
    PktMeta& md = meta(m);
    const uint8_t* iph = rte_pktmbuf_mtod(m, const uint8_t*);
    const tables::SessionRecord& s = dp.tables.session(md.session_id);
    // Re-validated here: a handed-off packet may have waited across a grace period.
    if (!tables::published(s) || m->data_len < 20 || load_be32(iph + 16) != s.client_addr) {
      b.drop(i, DropReason::Ipv4NoSession);
      continue;
    }
    // A published session's tunnel is published (TableWriter removes it after its sessions).
    const uint32_t sa_out = s.sa_out.load(std::memory_order_acquire);
    if (sa_out == 0) { b.drop(i, DropReason::EspNoOutboundSa); continue; }
    // Over the session MTU: ICMP frag-needed to the sender (DF), or cut here so that every
    // fragment is encapsulated and encrypted as a packet of its own (the first one goes on in
    // this burst, the others are spawned back into this stage).
    if (m->data_len > s.mtu && !ip4_mtu_exceeded(w, b, i, s.mtu, Egress::Session, 0)) continue;
    const uint32_t ip_len = m->data_len;
    // Only a packet whose data starts with the TCP header (not a later fragment) is clamped.
    if (s.tcp_mss && iph[9] == wire::kIpProtoTcp &&
        (load_be16(iph + 6) & wire::kIpv4FragOffsetMask) == 0 &&
        clamp_tcp_mss(rte_pktmbuf_mtod(m, uint8_t*), ip_len, s.tcp_mss))
      w.count(Counter::TcpMssClamped);
    tables::SessionCounters& sc = dp.tables.session_counters(md.session_id);
    sc.tx_packets++;
    sc.tx_octets += ip_len;

    // PPP: FF 03 unless ACFC was negotiated; 0x21 alone under PFC (RFC 1661 §6.5, §6.6).
    const bool acfc = s.ppp_tx_flags & tables::kPppTxAcfc;
    const bool pfc = s.ppp_tx_flags & tables::kPppTxPfc;
    const bool with_len = s.l2tp_tx_flags & tables::kL2tpTxLength;
    const uint16_t ppp_len = static_cast<uint16_t>((acfc ? 0 : 2) + (pfc ? 1 : 2));
    const uint16_t l2tp_len = with_len ? 8 : 6;
    const uint16_t hdr = static_cast<uint16_t>(8 + l2tp_len + ppp_len);
    uint8_t* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, hdr));
    if (!p) { b.drop(i, DropReason::NoHeadroom); continue; }
    // Inner UDP (RFC 2661 §8.1); checksum 0 is allowed for UDP over IPv4 and the datagram
    // is ESP-protected. Our port is 1701: upstream takes data for no other (l2tp_decap).
    store_be16(p, wire::kPortL2tp);
    store_be16(p + 2, s.peer_port);
    store_be16(p + 4, static_cast<uint16_t>(m->data_len));
    store_be16(p + 6, 0);
    uint8_t* l2 = p + 8;
    store_be16(l2, static_cast<uint16_t>(wire::kL2tpVersion2 | (with_len ? wire::kL2tpFlagL : 0)));
    uint8_t* q = l2 + 2;
    if (with_len) {
      store_be16(q, static_cast<uint16_t>(m->data_len - 8));
      q += 2;
    }
    store_be16(q, s.peer_tunnel_id);
    store_be16(q + 2, s.peer_session_id);
    q += 4;
    if (!acfc) {
      *q++ = wire::kPppAddress;
      *q++ = wire::kPppControl;
    }
    if (!pfc) *q++ = 0x00;
    *q = static_cast<uint8_t>(wire::kPppIpv4);
    md.tunnel_id = s.tunnel_id;
    md.sa_slot = sa_out;
    b.clear_prefetched(i);
    if (sa_out < dp.tables.sa_slots()) {  // for esp_encrypt's first pass, once per run
      if (sa_out != sa_asked) {
        prefetch_sa_record(dp, sa_out);
        prefetch_sa_state(dp, sa_out);
        sa_asked = sa_out;
      }
      b.mark_prefetched(i);
    }
    w.count(Counter::L2tpDataTx);
    b.next[i] = Next::EspEncrypt;
  }
}

}  // namespace l2tpgw::dp
