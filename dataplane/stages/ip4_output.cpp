// SPDX-License-Identifier: Apache-2.0
// ICMP errors and IPv4 fragments as spawned packets: allocation from the pool, routing of what
// we originate, and the per-worker rate limit. Nothing here allocates memory other than mbufs,
// locks or makes a syscall.
#include "dataplane/stages/ip4_output.hpp"

#include <rte_cycles.h>
#include <rte_ip.h>

#include "common/byte_reader.hpp"
#include "common/wire/ipv4.hpp"
#include "dataplane/stages/icmp_error.hpp"
#include "dataplane/stages/ip4_fragment.hpp"
#include "dataplane/stages/stage_util.hpp"

namespace l2tpgw::dp {
namespace {

// Routes spawned packet j, an IPv4 packet of ours to `dst`: down a client's session (through
// its owner worker) or out of the LAN port, as ip4_forward would.
void route_spawned(WorkerCtx& w, uint16_t j, uint32_t dst) {
  const DataplaneShared& dp = *w.dp;
  const DataplaneConfig& cfg = *dp.cfg;
  Burst& s = w.spawned;
  rte_mbuf* m = s.pkts[j];
  PktMeta& md = meta(m);
  if (const uint16_t sid = dp.tables.session_for_address(dst); sid != 0) {
    md.session_id = sid;
    const uint8_t owner = dp.tables.session(sid).owner_worker;
    if (owner != w.id) {
      md.resume = static_cast<uint8_t>(Next::L2tpEncap);
      s.handoff(j, owner);
    } else {
      s.next[j] = Next::L2tpEncap;
    }
    return;
  }
  if (dp.tables.pool_slot(dst) != UINT32_MAX) { s.drop(j, DropReason::Ipv4NoSession); return; }
  uint32_t next_hop;
  if (cfg.lan.contains(dst)) next_hop = dst;
  else if (cfg.lan_gateway) next_hop = cfg.lan_gateway;
  else { s.drop(j, DropReason::Ipv4NoRoute); return; }
  finish_ether_output(s, j, ether_output(w, m, next_hop, false), Next::TxLan);
}

// The LAN's directed broadcast address (RFC 919/922), 0 for /31 and /32 which have none.
uint32_t lan_broadcast(const DataplaneConfig& cfg) {
  return cfg.lan.len < 31 ? cfg.lan.addr | ~cfg.lan.mask() : 0;
}

}  // namespace

uint16_t spawn(WorkerCtx& w, rte_mbuf* m) {
  if (w.spawned.n == kMaxBurst) flush_spawned(w);
  const uint16_t j = w.spawned.n++;
  w.spawned.pkts[j] = m;
  w.spawned.drop(j, DropReason::None);  // until routed
  return j;
}

int spawn_copy(WorkerCtx& w, rte_mbuf* m) {
  rte_mbuf* c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
  if (!c) {
    w.count_drop(DropReason::NoMbuf);
    return -1;
  }
  meta(c) = meta(m);
  return spawn(w, c);
}

void icmp_error(WorkerCtx& w, rte_mbuf* orig, const uint8_t* ip, uint32_t len, uint8_t type,
                uint8_t code, uint16_t next_hop_mtu) {
  const DataplaneConfig& cfg = *w.dp->cfg;
  const PktMeta& om = meta(orig);
  const ByteReader r(ip, len);
  if ((om.flags & kMetaSpawned) ||
      icmp_error_verdict(r, om.flags & kMetaL2Multicast, lan_broadcast(cfg)) != IcmpVerdict::Send) {
    w.count(Counter::IcmpErrorSuppressed);
    return;
  }
  // The bucket is checked only for errors that would be sent, so forbidden ones cost nothing.
  if (!w.icmp_limit.take(rte_rdtsc())) {
    w.count(Counter::IcmpErrorRateLimited);
    return;
  }
  rte_mbuf* m = rte_pktmbuf_alloc(orig->pool);
  if (!m) {
    w.count(Counter::IcmpErrorNoMbuf);
    return;
  }
  auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kIcmpErrorMaxLen));
  // From our LAN address, also towards clients: that is the address a traceroute through the
  // tunnel shows for this hop, and the one the client can reach.
  const IcmpErrorSpec spec{type, code, next_hop_mtu, cfg.lan.addr, static_cast<uint16_t>(w.ip_id++)};
  const size_t n = p ? build_icmp_error(r, spec, std::span<uint8_t>(p, kIcmpErrorMaxLen)) : 0;
  if (n == 0) {  // not after a Send verdict, and every pool buffer holds 96 bytes
    rte_pktmbuf_free(m);
    w.count(Counter::IcmpErrorSuppressed);
    return;
  }
  rte_pktmbuf_trim(m, static_cast<uint16_t>(kIcmpErrorMaxLen - n));
  PktMeta& md = meta(m);
  md = PktMeta{};
  md.flags = kMetaSpawned;
  const uint16_t j = spawn(w, m);
  route_spawned(w, j, load_be32(ip + 12));
  w.count(Counter::IcmpErrorSent);
}

bool ip4_mtu_exceeded(WorkerCtx& w, Burst& b, uint16_t i, uint16_t mtu, Egress egress,
                      uint32_t next_hop) {
  rte_mbuf* m = b.pkts[i];
  uint8_t* ip = rte_pktmbuf_mtod(m, uint8_t*);
  const uint32_t len = m->data_len;
  if (m->nb_segs != 1 || len < 20) { b.drop(i, DropReason::Ipv4Malformed); return false; }
  if (load_be16(ip + 6) & wire::kIpv4FlagDf) {
    icmp_error(w, m, ip, len, kIcmpDestUnreachable, kIcmpCodeFragNeeded, mtu);
    b.drop(i, DropReason::Ipv4TooBig);
    return false;
  }
  // A spawned packet over the MTU (a session's MTU lowered between a fragment's creation and
  // its encapsulation) is not cut again: spawned packets never spawn.
  if (meta(m).flags & kMetaSpawned) { b.drop(i, DropReason::Ipv4TooBig); return false; }

  FragPlan plan;
  if (plan_ipv4_fragments(ByteReader(ip, len), mtu, &plan) != FragError::None) {
    b.drop(i, DropReason::Ipv4FragFailed);
    return false;
  }
  if (plan.count < 2) return true;
  // All or nothing: a datagram missing a fragment only wastes the receiver's reassembly.
  rte_mbuf* frags[kMaxFragments];
  const uint16_t extra = static_cast<uint16_t>(plan.count - 1);
  if (rte_pktmbuf_alloc_bulk(m->pool, frags, extra) != 0) { b.drop(i, DropReason::NoMbuf); return false; }
  // Fragment 1 is the longest of the new ones; every buffer of the pool has the same room.
  if (rte_pktmbuf_tailroom(frags[0]) < plan.fragment_len(1)) {
    rte_pktmbuf_free_bulk(frags, extra);
    b.drop(i, DropReason::NoHeadroom);
    return false;
  }
  const PktMeta& om = meta(m);
  for (uint16_t k = 1; k < plan.count; ++k) {
    rte_mbuf* f = frags[k - 1];
    const uint16_t flen = plan.fragment_len(k);
    auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(f, flen));
    write_ipv4_fragment(plan, k, std::span<uint8_t>(p, flen));
    PktMeta& fm = meta(f);
    fm = om;
    fm.flags |= kMetaSpawned;
    const uint16_t j = spawn(w, f);
    if (egress == Egress::Session) w.spawned.next[j] = Next::L2tpEncap;
    else if (egress == Egress::Wan) finish_ether_output(w.spawned, j, ether_output(w, f, next_hop, true), Next::TxWan);
    else finish_ether_output(w.spawned, j, ether_output(w, f, next_hop, false), Next::TxLan);
  }
  // Last, since the others read their data from it.
  make_first_fragment(ip, plan);
  rte_pktmbuf_trim(m, static_cast<uint16_t>(len - plan.fragment_len(0)));
  w.count(Counter::Ipv4Fragmented);
  w.count(Counter::Ipv4FragmentsCreated, plan.count);
  return true;
}

void udp4_wan_output(WorkerCtx& w, Burst& b, uint16_t i, uint32_t src, uint32_t dst) {
  const DataplaneConfig& cfg = *w.dp->cfg;
  rte_mbuf* m = b.pkts[i];
  auto* ip = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, 20));
  if (!ip) { b.drop(i, DropReason::NoHeadroom); return; }
  auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip);
  h->version_ihl = RTE_IPV4_VHL_DEF;
  h->type_of_service = 0;
  h->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(m->data_len));
  h->packet_id = rte_cpu_to_be_16(static_cast<uint16_t>(w.ip_id++));
  h->fragment_offset = 0;  // DF clear: the datagram must cross whatever the path MTU is
  h->time_to_live = 64;
  h->next_proto_id = wire::kIpProtoUdp;
  h->src_addr = rte_cpu_to_be_32(src);
  h->dst_addr = rte_cpu_to_be_32(dst);
  h->hdr_checksum = 0;
  h->hdr_checksum = rte_ipv4_cksum(h);
  const uint32_t next_hop = cfg.wan.contains(dst) || !cfg.wan_gateway ? dst : cfg.wan_gateway;
  if (m->data_len > cfg.wan_mtu && !ip4_mtu_exceeded(w, b, i, cfg.wan_mtu, Egress::Wan, next_hop))
    return;
  finish_ether_output(b, i, ether_output(w, m, next_hop, true), Next::TxWan);
}

}  // namespace l2tpgw::dp
