// SPDX-License-Identifier: Apache-2.0
// wan_classify / lan_classify: the first stage for frames from each port (DESIGN.md stage 1).
#include <rte_arp.h>
#include <rte_ip.h>

#include "common/byte_reader.hpp"
#include "common/wire/esp.hpp"
#include "common/wire/ipv4.hpp"
#include "common/wire/udp.hpp"
#include "dataplane/stages/icmp_error.hpp"
#include "dataplane/stages/ip4_output.hpp"
#include "dataplane/stages/stage_util.hpp"

namespace l2tpgw::dp {
namespace {

using wire::ParseError;

DropReason ipv4_drop(ParseError e) {
  return e == ParseError::BadChecksum ? DropReason::Ipv4BadChecksum : DropReason::Ipv4Malformed;
}

// Outer IPv4 fragments are reassembled per worker (a NIC's RSS hashes fragments on the
// address pair, so all fragments of a datagram meet on one queue). Returns the whole
// datagram, or nullptr when it is held (or was dropped by the table).
rte_mbuf* reassemble(WorkerCtx& w, rte_mbuf* m, uint16_t ihl) {
  m->l2_len = RTE_ETHER_HDR_LEN;
  m->l3_len = ihl;
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, RTE_ETHER_HDR_LEN);
  rte_mbuf* whole = rte_ipv4_frag_reassemble_packet(w.frag_tbl, &w.death_row, m, rte_rdtsc(), ip);
  if (whole) w.count(Counter::Ipv4Reassembled);
  return whole;
}

// The first steps for a frame from either port: one segment, Ethernet, ARP to the slowpath,
// then the IPv4 header decoded and the frame trimmed to its total length. Returns false when
// the packet already has its next node (slowpath or drop).
[[gnu::always_inline]] inline bool ether_ipv4_input(Burst& b, uint16_t i, wire::Ipv4Header* out) {
  rte_mbuf* m = b.pkts[i];
  if (!make_contiguous(m)) { b.drop(i, DropReason::NoHeadroom); return false; }
  const uint8_t* data = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint32_t len = m->data_len;
  if (len < RTE_ETHER_HDR_LEN) { b.drop(i, DropReason::EthRunt); return false; }
  const uint16_t ether_type = load_be16(data + 12);
  if (ether_type == RTE_ETHER_TYPE_ARP) {
    b.next[i] = Next::Slowpath;
    return false;
  }
  if (ether_type != RTE_ETHER_TYPE_IPV4) { b.drop(i, DropReason::EthUnknownType); return false; }
  auto ip = wire::decode_ipv4(ByteReader(data + RTE_ETHER_HDR_LEN, len - RTE_ETHER_HDR_LEN));
  if (!ip) { b.drop(i, ipv4_drop(ip.error())); return false; }
  keep_bytes(m, 0, RTE_ETHER_HDR_LEN + ip->total_length);  // decode_ipv4 checked the length
  *out = *ip;
  return true;
}

// The SPI of an ESP or UDP 4500 frame, read without validation (a prefetch hint only):
// 0 when the frame is too short or something else.
uint32_t peek_spi(const rte_mbuf* m) {
  const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint32_t len = m->data_len;
  if (len < RTE_ETHER_HDR_LEN + 20 + 8 + 4 || load_be16(d + 12) != RTE_ETHER_TYPE_IPV4) return 0;
  uint32_t off = RTE_ETHER_HDR_LEN + (d[RTE_ETHER_HDR_LEN] & 0x0f) * 4u;
  if (d[RTE_ETHER_HDR_LEN + 9] == wire::kIpProtoUdp) off += 8;
  return off + 4 <= len ? load_be32(d + off) : 0;
}

}  // namespace

void wan_classify(WorkerCtx& w, Burst& b) {
  const DataplaneShared& dp = *w.dp;
  const uint32_t wan_addr = dp.cfg->wan.addr;
  for (uint16_t i = 0; i < b.n; ++i)  // prefetch pass (stage_util.hpp)
    if (b.next[i] == Next::WanClassify) prefetch_sa_record(dp, tables::spi_slot(peek_spi(b.pkts[i])));
  uint32_t state_asked = 0;
  for (uint16_t i = 0; i < b.n; ++i) {
    if (b.next[i] != Next::WanClassify) continue;
    rte_mbuf* m = b.pkts[i];
    PktMeta& pm = meta(m);
    pm.in_port = static_cast<uint8_t>(dp.cfg->wan_port);
    wire::Ipv4Header first;
    if (!ether_ipv4_input(b, i, &first)) continue;
    wire::Result<wire::Ipv4Header> ip = first;  // re-decoded below after reassembly
    if (ip->dst != wan_addr) { b.drop(i, DropReason::Ipv4NotForUs); continue; }
    const uint8_t* data = rte_pktmbuf_mtod(m, const uint8_t*);
    if (ip->is_fragment()) {
      rte_mbuf* whole = reassemble(w, m, ip->ihl_bytes);
      if (!whole) {
        // Held in the table (or freed by it onto the death row): no longer ours.
        b.consumed(i);
        continue;
      }
      b.pkts[i] = m = whole;
      if (!make_contiguous(m)) { b.drop(i, DropReason::Ipv4FragNoBuffer); continue; }
      // The reassembled header was rewritten (total length, checksum): decode it again.
      data = rte_pktmbuf_mtod(m, const uint8_t*);
      ip = wire::decode_ipv4(ByteReader(data + RTE_ETHER_HDR_LEN, m->data_len - RTE_ETHER_HDR_LEN));
      if (!ip) { b.drop(i, ipv4_drop(ip.error())); continue; }
    }
    PktMeta& md = meta(m);
    md.in_port = static_cast<uint8_t>(dp.cfg->wan_port);
    md.flags = 0;  // the inner packet came over PPP: no link-layer broadcast to remember
    md.outer_src = ip->src;
    md.outer_dst = ip->dst;
    md.outer_sport = md.outer_dport = 0;
    md.natt = 0;
    const uint16_t l4 = static_cast<uint16_t>(RTE_ETHER_HDR_LEN + ip->ihl_bytes);
    ByteReader l4r(data + l4, ip->total_length - ip->ihl_bytes);

    if (ip->protocol == wire::kIpProtoUdp) {
      auto udp = wire::decode_udp(l4r);
      if (!udp) { b.drop(i, DropReason::UdpMalformed); continue; }
      md.outer_sport = udp->src_port;
      md.outer_dport = udp->dst_port;
      if (udp->dst_port == wire::kPortIke) {
        md.punt_kind = PuntKind::Ike;
        b.next[i] = Next::Punt;
        continue;
      }
      if (udp->dst_port == wire::kPortL2tp) {
        // L2TP in the clear: L2TPv3 (`tunnel encapsulation l2tpv3-raw`); l2tp_decap refuses
        // L2TPv2 that no SA carried. Its data starts at the UDP header, as after ESP.
        md.sa_slot = 0;
        keep_bytes(m, l4, udp->length);
        b.next[i] = Next::L2tpDecap;
        continue;
      }
      if (udp->dst_port != wire::kPortIkeNatT) { b.drop(i, DropReason::UdpNoService); continue; }
      ByteReader payload(data + l4 + 8, udp->length - 8u);
      auto kind = wire::classify_natt_payload(payload);
      if (!kind) { b.drop(i, DropReason::EspRunt); continue; }
      if (*kind == wire::NatTKind::Keepalive) { b.drop(i, DropReason::NatTKeepalive); continue; }
      if (*kind == wire::NatTKind::NonEspMarker) {
        md.punt_kind = PuntKind::Ike;
        b.next[i] = Next::Punt;
        continue;
      }
      md.natt = 1;
      md.esp_off = static_cast<uint16_t>(l4 + 8);
      // The ESP packet ends where the UDP datagram does.
      keep_bytes(m, 0, l4 + udp->length);
      w.count(Counter::NatTEspRx);
    } else if (ip->protocol == wire::kIpProtoEsp) {
      md.esp_off = l4;
    } else if (ip->protocol == wire::kIpProtoIcmp) {
      b.next[i] = Next::Slowpath;  // echo requests to our address are answered there
      continue;
    } else {
      b.drop(i, DropReason::UdpNoService);
      continue;
    }

    // ESP: the SPI is ours and names the SA slot directly (DESIGN.md "Shared tables").
    auto esp = wire::decode_esp_header(ByteReader(data + md.esp_off, m->data_len - md.esp_off));
    if (!esp) { b.drop(i, DropReason::EspRunt); continue; }
    const uint32_t slot = tables::spi_slot(esp->spi);
    if (slot == 0 || slot >= dp.tables.sa_slots()) { b.drop(i, DropReason::EspNoSa); continue; }
    const tables::SaRecord& sa = dp.tables.sa(slot);
    if (!tables::published(sa) || sa.spi != esp->spi ||
        sa.direction != tables::SaDirection::Inbound) {
      b.drop(i, DropReason::EspNoSa);
      continue;
    }
    if (!sa.natt && md.outer_src != sa.peer_addr) { b.drop(i, DropReason::EspWrongPeer); continue; }
    md.sa_slot = slot;
    if (sa.owner_worker != w.id) {
      md.resume = static_cast<uint8_t>(Next::EspDecrypt);
      b.handoff(i, sa.owner_worker);
      continue;
    }
    if (slot != state_asked) {  // for esp_decrypt's first pass, once per run (stage_util.hpp)
      prefetch_sa_state(dp, slot);
      state_asked = slot;
    }
    b.mark_prefetched(i);
    b.next[i] = Next::EspDecrypt;
  }
}

void lan_classify(WorkerCtx& w, Burst& b) {
  const DataplaneShared& dp = *w.dp;
  const DataplaneConfig& cfg = *dp.cfg;
  for (uint16_t i = 0; i < b.n; ++i) {  // prefetch pass: the session of each destination
    const rte_mbuf* m = b.pkts[i];
    if (b.next[i] != Next::LanClassify || m->data_len < RTE_ETHER_HDR_LEN + 20) continue;
    const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
    const uint16_t sid = dp.tables.session_for_address(load_be32(d + RTE_ETHER_HDR_LEN + 16));
    if (sid) rte_prefetch0(&dp.tables.session(sid));
  }
  for (uint16_t i = 0; i < b.n; ++i) {
    if (b.next[i] != Next::LanClassify) continue;
    rte_mbuf* m = b.pkts[i];
    PktMeta& md = meta(m);
    md.in_port = static_cast<uint8_t>(cfg.lan_port);
    // The I/G bit of the destination MAC (IEEE 802): RFC 1812 §4.3.2.7 sends no ICMP error
    // about a frame sent to a group.
    md.flags = m->data_len >= 1 && (*rte_pktmbuf_mtod(m, const uint8_t*) & 0x01) ? kMetaL2Multicast : 0;
    md.pw_slot = 0;
    if (cfg.bridge_lan && m->data_len >= RTE_ETHER_HDR_LEN) {
      // A bridge port (`bridge member bridge1 lan1 tunnelN`): a frame for another station is
      // bridged; a group frame is bridged and also seen here (ARP for our address); only
      // what is sent to our own MAC is ours alone.
      const uint8_t* dst = rte_pktmbuf_mtod(m, const uint8_t*);
      if (md.flags & kMetaL2Multicast) {
        if (const int j = spawn_copy(w, m); j >= 0) w.spawned.next[j] = Next::Bridge;
      } else if (std::memcmp(dst, dp.lan_mac.addr_bytes, RTE_ETHER_ADDR_LEN) != 0) {
        b.next[i] = Next::Bridge;
        continue;
      }
    }
    wire::Ipv4Header ipv4;
    if (!ether_ipv4_input(b, i, &ipv4)) continue;
    const wire::Ipv4Header* ip = &ipv4;
    uint8_t* data = rte_pktmbuf_mtod(m, uint8_t*);
    if (ip->dst == cfg.lan.addr || ip->dst == cfg.wan.addr) {
      if (ip->protocol == wire::kIpProtoIcmp) {
        b.next[i] = Next::Slowpath;
      } else {
        md.punt_kind = PuntKind::ToSelf;
        b.next[i] = Next::Punt;
      }
      continue;
    }
    const uint16_t sid = dp.tables.session_for_address(ip->dst);
    if (sid == 0) {
      b.drop(i, dp.tables.pool_slot(ip->dst) == UINT32_MAX ? DropReason::Ipv4NoRoute
                                                            : DropReason::Ipv4NoSession);
      continue;
    }
    // Routed: TTL and checksum, then the Ethernet header goes.
    if (!ipv4_decrement_ttl(data + RTE_ETHER_HDR_LEN)) {
      icmp_error(w, m, data + RTE_ETHER_HDR_LEN, ip->total_length, kIcmpTimeExceeded,
                 kIcmpCodeTtlExceeded, 0);
      b.drop(i, DropReason::Ipv4TtlExceeded);
      continue;
    }
    rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
    md.session_id = sid;
    const tables::SessionRecord& s = dp.tables.session(sid);
    if (s.owner_worker != w.id) {
      md.resume = static_cast<uint8_t>(Next::L2tpEncap);
      b.handoff(i, s.owner_worker);
      continue;
    }
    b.mark_prefetched(i);  // l2tp_encap reads the session's line alone, asked for above
    b.next[i] = Next::L2tpEncap;
  }
}

}  // namespace l2tpgw::dp
