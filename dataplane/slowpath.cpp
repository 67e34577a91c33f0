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
#include <cstdio>
#include <unordered_map>
#include <vector>

#include "common/byte_reader.hpp"
#include "common/wire/ipv4.hpp"
#include "dataplane/mbuf_meta.hpp"
#include "dataplane/worker/idle_backoff.hpp"

namespace l2tpgw::dp {

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
    // Proxy ARP (`ip lan1 proxyarp on`): the pools are routed to us, so we answer for
    // every pool address, as a router answers for what it routes elsewhere.
    else if (!p.wan && dp.cfg->lan_proxy_arp && tip != sip)
      answer = dp.tables.pool_slot(tip) != UINT32_MAX;
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

// Packets waiting for a neighbor (RFC 1122 §2.3.2.2: SHOULD queue at least one).
class HoldQueue {
 public:
  static constexpr size_t kMax = 256;
  static constexpr size_t kMaxPerNeighbor = 8;

  // Takes `m`; false (caller drops) when full for this neighbor or overall.
  bool hold(rte_mbuf* m, uint64_t now) {
    const uint32_t nh = meta(m).next_hop;
    size_t same = 0;
    for (const Held& h : held_) same += h.next_hop == nh;
    if (held_.size() >= kMax || same >= kMaxPerNeighbor) return false;
    held_.push_back({m, nh, meta(m).in_port, now});
    return true;
  }
  // Transmits what waits for neighbors now resolved; drops what waited longer than `timeout`.
  template <class Send, class Drop>
  void service(const NeighborTable& wan_n, const NeighborTable& lan_n, uint16_t wan_port,
               uint64_t now, uint64_t timeout, Send send, Drop drop) {
    for (size_t i = 0; i < held_.size();) {
      Held& h = held_[i];
      rte_ether_addr mac;
      const bool wan = h.port == wan_port;
      if ((wan ? wan_n : lan_n).lookup(h.next_hop, &mac)) send(h.m, wan, mac);
      else if (now - h.since > timeout) drop(h.m);
      else { ++i; continue; }
      held_[i] = held_.back();
      held_.pop_back();
    }
  }

 private:
  struct Held {
    rte_mbuf* m;
    uint32_t next_hop;
    uint8_t port;
    uint64_t since;
  };
  std::vector<Held> held_;
};

// Reads `port`'s link into `slot` and says so on stderr when it moved. rte_eth_link_get_nowait
// asks the PMD (net_tap: the kernel interface's flags; a NIC: its registers), never waits.
void publish_link(uint16_t port, const char* name, std::atomic<uint32_t>& slot) {
  rte_eth_link link{};
  tables::LinkState now = tables::LinkState::Unknown;
  if (rte_eth_link_get_nowait(port, &link) == 0)
    now = link.link_status == RTE_ETH_LINK_UP ? tables::LinkState::Up : tables::LinkState::Down;
  const auto before = static_cast<tables::LinkState>(slot.exchange(static_cast<uint32_t>(now), std::memory_order_release));
  if (before != now && now != tables::LinkState::Unknown)
    std::fprintf(stderr, "l2tpgw-dataplane: %s port %u link %s\n", name, port, now == tables::LinkState::Up ? "up" : "down");
}

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
  HoldQueue hold;
  // The slow path never spins a CPU: it sleeps as soon as a loop finds nothing, whatever
  // the workers do. ARP and echo replies wait at most one sleep (plus timer slack).
  IdleBackoff backoff(kSlowpathIdleSleepUs, 0);
  rte_mbuf* pkts[32];
  tables::ShmHeader& hdr = dp.tables.header();
  uint64_t link_read = 0;
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
    const uint64_t now = rte_get_tsc_cycles();
    if (now - link_read >= hz / 4) {  // four times a second
      link_read = now;
      publish_link(cfg.wan_port, "wan", hdr.wan_link);
      publish_link(cfg.lan_port, "lan", hdr.lan_link);
    }
    const unsigned nh = rte_ring_sc_dequeue_burst(dp.arp_hold, reinterpret_cast<void**>(pkts), 32, nullptr);
    for (unsigned i = 0; i < nh; ++i) {
      busy = true;
      rte_mbuf* m = pkts[i];
      const bool is_wan = meta(m).in_port == cfg.wan_port;
      const uint64_t key = (uint64_t{is_wan} << 32) | meta(m).next_hop;
      if (!hold.hold(m, now)) {
        sp.stats->drops[static_cast<size_t>(DropReason::ArpUnresolved)]++;
        rte_pktmbuf_free(m);
      }
      auto [it, fresh] = last_request.try_emplace(key, now);
      if (!fresh && now - it->second < hz / 2) continue;  // at most two requests a second
      it->second = now;
      arp_request(sp, is_wan ? wan : lan, static_cast<uint32_t>(key));
    }
    hold.service(*sp.wan_neigh, *sp.lan_neigh, cfg.wan_port, now, hz,
                 [&](rte_mbuf* m, bool is_wan, const rte_ether_addr& mac) {
                   auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN));
                   if (!eth) {
                     rte_pktmbuf_free(m);
                     return;
                   }
                   eth->dst_addr = mac;
                   eth->src_addr = is_wan ? dp.wan_mac : dp.lan_mac;
                   eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
                   send(sp, is_wan ? wan : lan, m);
                 },
                 [&](rte_mbuf* m) {
                   sp.stats->drops[static_cast<size_t>(DropReason::ArpUnresolved)]++;
                   rte_pktmbuf_free(m);
                 });
    sp.stats->loops++;
    if (busy) sp.stats->busy_loops++;
    if (backoff.after_loop(busy)) {
      rte_delay_us_sleep(backoff.sleep_us());  // no RCU reader: nothing to go offline from
      sp.stats->idle_sleeps++;
    }
  }
}

}  // namespace l2tpgw::dp
