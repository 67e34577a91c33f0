// SPDX-License-Identifier: Apache-2.0
// ip4_forward: the client's IPv4 packet to the LAN (DESIGN.md stage 5): anti-spoofing, TTL
// (ICMP time exceeded), TCP MSS clamping, then a connected next hop or the LAN gateway, cut to
// the LAN MTU (or ICMP frag-needed); pool destinations hairpin.
#include "common/byte_reader.hpp"
#include "common/wire/ipv4.hpp"
#include "dataplane/stages/icmp_error.hpp"
#include "dataplane/stages/ip4_output.hpp"
#include "dataplane/stages/stage_util.hpp"

namespace l2tpgw::dp {

void ip4_forward(WorkerCtx& w, Burst& b) {
  const DataplaneShared& dp = *w.dp;
  const DataplaneConfig& cfg = *dp.cfg;
  EtherOutputRun lan(w, false);
  for (uint16_t i = 0; i < b.n; ++i) {
    if (b.next[i] != Next::Ip4Forward) continue;
    rte_mbuf* m = b.pkts[i];
    PktMeta& md = meta(m);
    uint8_t* iph = rte_pktmbuf_mtod(m, uint8_t*);
    auto ip = wire::decode_ipv4(ByteReader(iph, m->data_len));
    if (!ip) { b.drop(i, DropReason::Ipv4Malformed); continue; }
    const tables::SessionRecord& s = dp.tables.session(md.session_id);
    if (ip->src != s.client_addr) { b.drop(i, DropReason::Ipv4Spoofed); continue; }
    tables::SessionCounters& sc = dp.tables.session_counters(md.session_id);
    sc.rx_packets++;
    sc.rx_octets += ip->total_length;
    keep_bytes(m, 0, ip->total_length);

    if (ip->dst == cfg.lan.addr || ip->dst == cfg.wan.addr) {
      md.punt_kind = PuntKind::ToSelfTunnel;
      b.next[i] = Next::Punt;
      continue;
    }
    if (!ipv4_decrement_ttl(iph)) {
      // Back into the client's own session, from our LAN address: the hop a traceroute from
      // the client shows for the appliance.
      icmp_error(w, m, iph, ip->total_length, kIcmpTimeExceeded, kIcmpCodeTtlExceeded, 0);
      b.drop(i, DropReason::Ipv4TtlExceeded);
      continue;
    }
    if (s.tcp_mss && ip->protocol == wire::kIpProtoTcp && !ip->is_fragment() &&
        clamp_tcp_mss(iph, ip->total_length, s.tcp_mss))
      w.count(Counter::TcpMssClamped);

    // Client to client: straight back down the other client's tunnel.
    const uint16_t peer_sid = dp.tables.session_for_address(ip->dst);
    if (peer_sid != 0) {
      md.session_id = peer_sid;
      b.clear_prefetched(i);  // nothing asked for its lines yet
      w.count(Counter::Hairpin);
      const uint8_t owner = dp.tables.session(peer_sid).owner_worker;
      if (owner != w.id) {
        md.resume = static_cast<uint8_t>(Next::L2tpEncap);
        b.handoff(i, owner);
      } else {
        b.next[i] = Next::L2tpEncap;
      }
      continue;
    }
    uint32_t next_hop;
    if (cfg.lan.contains(ip->dst)) next_hop = ip->dst;
    else if (cfg.lan_gateway) next_hop = cfg.lan_gateway;
    else { b.drop(i, DropReason::Ipv4NoRoute); continue; }
    // Over the LAN MTU: ICMP frag-needed back down the tunnel (DF), or fragments to the LAN.
    if (ip->total_length > cfg.lan_mtu &&
        !ip4_mtu_exceeded(w, b, i, cfg.lan_mtu, Egress::Lan, next_hop))
      continue;
    finish_ether_output(b, i, lan.output(m, next_hop), Next::TxLan);
  }
}

}  // namespace l2tpgw::dp
