// SPDX-License-Identifier: Apache-2.0
// Slowpath: ARP (RFC 826) responder/resolver with proxy ARP for session addresses, ICMP echo
// (RFC 792) for our own addresses. Runs on the main lcore, off the workers' path.
#include "dataplane/slowpath.hpp"

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_ring.h>

#include <atomic>
#include <unordered_map>

#include "common/byte_reader.hpp"
#include "common/wire/ipv4.hpp"
#include "dataplane/mbuf_meta.hpp"

namespace l2tpgw::dp {

extern std::atomic<bool> g_quit;

namespace {

struct Port {
  uint16_t id;
  uint32_t addr;
  rte_ether_addr mac;
  NeighborTable* neigh;
  bool wan;
};

void send(SlowpathCtx& sp, const Port& p, rte_mbuf* m) {
  const uint32_t len = m->pkt_len;
  if (rte_eth_tx_burst(p.id, sp.txq, &m, 1) != 1) {
    sp.stats->drops[static_cast<size_t>(DropReason::TxFull)]++;
    rte_pktmbuf_free(m);
  } else {
    sp.stats->counters[static_cast<size_t>(p.wan ? Counter::WanTxPackets : Counter::LanTxPackets)]++;
    sp.stats->counters[static_cast<size_t>(p.wan ? Counter::WanTxOctets : Counter::LanTxOctets)] += len;
  }
}

void arp_request(SlowpathCtx& sp, const Port& p, uint32_t target) {
  rte_mbuf* m = rte_pktmbuf_alloc(sp.pool);
  if (!m) return;
  auto* eth = reinterpret_cast<rte_ether_hdr*>(
      rte_pktmbuf_append(m, sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr)));
  memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
  eth->src_addr = p.mac;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
  arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
  arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  arp->arp_hlen = RTE_ETHER_ADDR_LEN;
  arp->arp_plen = 4;
  arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
  arp->arp_data.arp_sha = p.mac;
  arp->arp_data.arp_sip = rte_cpu_to_be_32(p.addr);
  memset(&arp->arp_data.arp_tha, 0, RTE_ETHER_ADDR_LEN);
  arp->arp_data.arp_tip = rte_cpu_to_be_32(target);
  send(sp, p, m);
}

// ARP from a port: learn the sender, answer for our address and (LAN, proxy ARP) for the
// addresses of established sessions.
void handle_arp(SlowpathCtx& sp, const Port& p, rte_mbuf* m) {
  const DataplaneShared& dp = *sp.dp;
  if (m->data_len < sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr)) {
    sp.stats->drops[static_cast<size_t>(DropReason::ArpMalformed)]++;
    rte_pktmbuf_free(m);
    return;
  }
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
  if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
      arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 ||
      arp->arp_plen != 4) {
    sp.stats->drops[static_cast<size_t>(DropReason::ArpMalformed)]++;
    rte_pktmbuf_free(m);
    return;
  }
  const uint32_t sip = rte_be_to_cpu_32(arp->arp_data.arp_sip);
  const uint32_t tip = rte_be_to_cpu_32(arp->arp_data.arp_tip);
  if (sip != 0 && sip != p.addr) p.neigh->learn(sip, arp->arp_data.arp_sha);
  bool answer = false;
  if (arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST)) {
    if (tip == p.addr) answer = true;
    else if (!p.wan && dp.cfg->lan_proxy_arp && tip != sip) {
      const uint16_t sid = dp.tables.session_for_address(tip);
      answer = sid != 0 && tables::published(dp.tables.session(sid));
    }
  }
  if (!answer) {
    rte_pktmbuf_free(m);
    return;
  }
  // Turn the request into the reply in place.
  arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
  arp->arp_data.arp_tha = arp->arp_data.arp_sha;
  arp->arp_data.arp_tip = arp->arp_data.arp_sip;
  arp->arp_data.arp_sha = p.mac;
  arp->arp_data.arp_sip = rte_cpu_to_be_32(tip);
  eth->dst_addr = eth->src_addr;
  eth->src_addr = p.mac;
  send(sp, p, m);
}

// ICMP echo request to one of our addresses: answered in place (RFC 792).
void handle_icmp(SlowpathCtx& sp, const Port& p, rte_mbuf* m) {
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  auto ip = wire::decode_ipv4(ByteReader(reinterpret_cast<uint8_t*>(eth + 1),
                                         m->data_len - sizeof(rte_ether_hdr)));
  const DataplaneConfig& cfg = *sp.dp->cfg;
  if (!ip || ip->protocol != wire::kIpProtoIcmp || ip->is_fragment() ||
      (ip->dst != cfg.wan.addr && ip->dst != cfg.lan.addr) || ip->total_length < ip->ihl_bytes + 8u) {
    rte_pktmbuf_free(m);
    return;
  }
  auto* iph = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
  auto* icmp = reinterpret_cast<rte_icmp_hdr*>(reinterpret_cast<uint8_t*>(iph) + ip->ihl_bytes);
  if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST) {
    rte_pktmbuf_free(m);
    return;
  }
  icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
  icmp->icmp_cksum = 0;
  icmp->icmp_cksum = wire::fold_checksum(
      wire::ones_sum(reinterpret_cast<uint8_t*>(icmp), ip->total_length - ip->ihl_bytes));
  icmp->icmp_cksum = rte_cpu_to_be_16(icmp->icmp_cksum);
  const rte_be32_t src = iph->src_addr;
  iph->src_addr = iph->dst_addr;
  iph->dst_addr = src;
  iph->time_to_live = 64;
  iph->hdr_checksum = 0;
  iph->hdr_checksum = rte_ipv4_cksum(iph);
  eth->dst_addr = eth->src_addr;
  eth->src_addr = p.mac;
  send(sp, p, m);
}

}  // namespace

void slowpath_main(SlowpathCtx& sp) {
  const DataplaneShared& dp = *sp.dp;
  const DataplaneConfig& cfg = *dp.cfg;
  const Port wan{cfg.wan_port, cfg.wan.addr, dp.wan_mac, sp.wan_neigh, true};
  const Port lan{cfg.lan_port, cfg.lan.addr, dp.lan_mac, sp.lan_neigh, false};
  std::unordered_map<uint64_t, uint64_t> last_request;  // next hop -> tsc of our last ARP request
  const uint64_t hz = rte_get_tsc_hz();
  // Resolve the gateways up front so the first packets find them.
  if (cfg.wan_gateway) arp_request(sp, wan, cfg.wan_gateway);
  if (cfg.lan_gateway) arp_request(sp, lan, cfg.lan_gateway);
  rte_mbuf* pkts[32];
  while (!g_quit.load(std::memory_order_relaxed)) {
    bool busy = false;
    const unsigned n = rte_ring_sc_dequeue_burst(dp.slowpath, reinterpret_cast<void**>(pkts), 32, nullptr);
    for (unsigned i = 0; i < n; ++i) {
      busy = true;
      rte_mbuf* m = pkts[i];
      const Port& p = meta(m).in_port == cfg.wan_port ? wan : lan;
      const uint16_t type = rte_be_to_cpu_16(rte_pktmbuf_mtod(m, rte_ether_hdr*)->ether_type);
      if (type == RTE_ETHER_TYPE_ARP) handle_arp(sp, p, m);
      else handle_icmp(sp, p, m);
    }
    uint64_t req;
    while (rte_ring_sc_dequeue_elem(dp.resolve, &req, sizeof(req)) == 0) {
      busy = true;
      const uint64_t now = rte_get_tsc_cycles();
      auto [it, fresh] = last_request.try_emplace(req, now);
      if (!fresh && now - it->second < hz / 2) continue;  // at most two requests a second
      it->second = now;
      const bool is_wan = req >> 32;
      arp_request(sp, is_wan ? wan : lan, static_cast<uint32_t>(req));
    }
    if (!busy) rte_delay_us_sleep(100);
  }
}

}  // namespace l2tpgw::dp
