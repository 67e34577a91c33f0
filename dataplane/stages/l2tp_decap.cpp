// SPDX-License-Identifier: Apache-2.0
// l2tp_decap: inner UDP, L2TPv2 data header (RFC 2661 §3.1) and PPP framing (DESIGN.md
// stages 3 and 4). Control messages and non-IPv4 PPP go to the controlplane, including the
// PPP negotiation of a session that is not installed yet.
#include "common/byte_reader.hpp"
#include "common/wire/l2tp.hpp"
#include "common/wire/ppp.hpp"
#include "common/wire/udp.hpp"
#include "dataplane/stages/stage_util.hpp"

namespace l2tpgw::dp {
namespace {

// RFC 3931 §4.1.2.1 over UDP: packet i's data starts at its UDP header (udp_len bytes). A
// control message goes to the controlplane; a data message must name one of our pseudowires
// with its cookie, arrive the way the pseudowire is bound (its IPsec peer's SA, or in the
// clear from its peer's address), and becomes the Ethernet frame it carries, for the bridge.
void l2tpv3_input(WorkerCtx& w, Burst& b, uint16_t i, uint16_t udp_len) {
  const DataplaneShared& dp = *w.dp;
  rte_mbuf* m = b.pkts[i];
  PktMeta& md = meta(m);
  const uint8_t* data = rte_pktmbuf_mtod(m, const uint8_t*);
  auto h = wire::decode_l2tpv3(ByteReader(data + 8, udp_len - 8u));
  if (!h) { b.drop(i, DropReason::L2tpMalformed); return; }
  if (h->control) {
    md.punt_kind = PuntKind::L2tpControl;
    md.tunnel_id = 0;
    b.next[i] = Next::Punt;
    return;
  }
  const uint32_t slot = tables::pw_slot(h->id);
  if (slot == 0 || slot >= dp.tables.pw_slots()) { b.drop(i, DropReason::L2tpv3NoSession); return; }
  const tables::PseudowireRecord& r = dp.tables.pseudowire(slot);
  if (!tables::published(r) || r.local_session_id != h->id) { b.drop(i, DropReason::L2tpv3NoSession); return; }
  if (r.peer_index != 0) {
    // `tunnel encapsulation l2tpv3`: only through an SA of the pseudowire's IPsec peer.
    if (md.sa_slot == 0 || dp.tables.sa(md.sa_slot).peer_index != r.peer_index) {
      b.drop(i, DropReason::L2tpv3NotProtected);
      return;
    }
  } else if (md.sa_slot != 0 || md.outer_src != r.peer_addr) {
    b.drop(i, DropReason::L2tpv3WrongPeer);
    return;
  }
  if (r.owner_worker != w.id) {  // its counters are the owner's
    md.resume = static_cast<uint8_t>(Next::L2tpDecap);
    b.handoff(i, r.owner_worker);
    return;
  }
  const uint32_t sublayer = (r.flags & tables::kPwRxSublayer) ? 4 : 0;
  const uint32_t hdr = 8 + wire::kL2tpv3DataHeaderLen + r.local_cookie_len + sublayer;
  if (udp_len < hdr + RTE_ETHER_HDR_LEN) { b.drop(i, DropReason::L2tpMalformed); return; }
  // §4.1: "the cookie ... MUST be checked"; a wrong one is discarded.
  if (std::memcmp(data + 8 + wire::kL2tpv3DataHeaderLen, r.local_cookie, r.local_cookie_len) != 0) {
    b.drop(i, DropReason::L2tpv3BadCookie);
    return;
  }
  const uint32_t frame_len = udp_len - hdr;
  keep_bytes(m, hdr, frame_len);
  tables::SessionCounters& pc = dp.tables.pw_counters(slot);
  pc.rx_packets++;
  pc.rx_octets += frame_len;
  w.count(Counter::L2tpv3DataRx);
  md.pw_slot = static_cast<uint16_t>(slot);
  md.flags = 0;
  b.clear_prefetched(i);
  b.next[i] = Next::Bridge;
}

// RFC 3948 / RFC 3947 §5: downstream follows a NAT mapping change, seen on an authenticated
// packet of inbound SA `in_slot` (this worker owns it and the outbound SA alike). While the
// peer sends from the address and port both SAs were installed with, the outbound SA's
// runtime still holds them and is not read; once a packet has come from elsewhere, every later
// packet of the SA is compared with where downstream now goes (the session's outbound SA).
void follow_nat_mapping(WorkerCtx& w, const tables::SaRecord& sa_in, uint32_t in_slot,
                        const tables::SessionRecord& s, const PktMeta& md) {
  const DataplaneShared& dp = *w.dp;
  SaRuntime& in = dp.sa_runtime[in_slot];  // esp_decrypt brought it up to this SA's generation
  if (!in.peer_moved && md.outer_src == sa_in.peer_addr && md.outer_sport == sa_in.peer_port) [[likely]]
    return;
  in.peer_moved = 1;
  const uint32_t out = s.sa_out.load(std::memory_order_acquire);
  uint32_t gen;
  if (out == 0 || !tables::published(dp.tables.sa(out), &gen)) return;
  SaRuntime& rt = sa_runtime(dp, out, gen);
  if (rt.peer_addr != md.outer_src || rt.peer_port != md.outer_sport) {
    rt.peer_addr = md.outer_src;
    rt.peer_port = md.outer_sport;
    w.count(Counter::NatTPeerMoved);
  }
}

}  // namespace

void l2tp_decap(WorkerCtx& w, Burst& b) {
  const DataplaneShared& dp = *w.dp;
  // Prefetch pass: the session of each packet (stage_util.hpp).
  b.for_each_unprefetched(Next::L2tpDecap, [&](uint16_t i) { prefetch_l2tp_session(dp, b.pkts[i]); });
  for (uint16_t i = 0; i < b.n; ++i) {
    if (b.next[i] != Next::L2tpDecap) continue;
    rte_mbuf* m = b.pkts[i];
    PktMeta& md = meta(m);
    const uint8_t* data = rte_pktmbuf_mtod(m, const uint8_t*);
    ByteReader r(data, m->data_len);
    // RFC 3948 §3.1.2: behind a NAT the transport-mode UDP checksum was computed over the
    // client's private addresses. ESP already authenticated these bytes, so the checksum
    // is not verified (the option the RFC gives a receiver that does not use NAT-OA).
    auto udp = wire::decode_udp(r);
    if (!udp) { b.drop(i, DropReason::L2tpMalformed); continue; }
    if (udp->dst_port != wire::kPortL2tp) { b.drop(i, DropReason::L2tpBadPort); continue; }
    if (udp->length >= 10 && wire::l2tp_version(load_be16(data + 8)) == wire::kL2tpVersion3) {
      l2tpv3_input(w, b, i, udp->length);
      continue;
    }
    // L2TPv2 is offered over IPsec only (the L2TP/IPsec of remote access).
    if (md.sa_slot == 0) { b.drop(i, DropReason::L2tpWrongSa); continue; }
    r.skip(8);
    auto l2 = wire::decode_l2tp_v2(*r.take(udp->length - 8u));
    if (!l2) { b.drop(i, DropReason::L2tpMalformed); continue; }
    if (wire::l2tp_is_control(l2->flags)) {
      md.punt_kind = PuntKind::L2tpControl;
      md.tunnel_id = l2->tunnel_id;
      b.next[i] = Next::Punt;
      continue;
    }
    const tables::SaRecord& sa_in = dp.tables.sa(md.sa_slot);
    const uint16_t sid = l2->session_id;
    if (sid == 0 || sid >= dp.tables.session_slots()) { b.drop(i, DropReason::L2tpNoSession); continue; }
    const tables::SessionRecord& s = dp.tables.session(sid);
    if (!tables::published(s) || s.tunnel_id != l2->tunnel_id) [[unlikely]] {
      // A session the LNS has announced (ICRP) but not installed yet: PPP is still
      // negotiating (LCP, authentication, IPCP), and its control frames go up with the ids
      // from the header; the controlplane checks them against the SA that carried them.
      // IPv4 needs an installed session (its address is the anti-spoofing key).
      ByteReader early(data + 8 + l2->header_len, l2->payload_len);
      auto ppp = wire::decode_ppp(early);
      if (!ppp || ppp->protocol == wire::kPppIpv4) { b.drop(i, DropReason::L2tpNoSession); continue; }
      md.session_id = sid;
      md.tunnel_id = l2->tunnel_id;
      md.punt_kind = PuntKind::PppControl;
      md.l2tp_ppp_proto = ppp->protocol;
      b.next[i] = Next::Punt;
      continue;
    }
    // The session must belong to the peer whose SA carried it: one client cannot inject
    // into another client's session by naming its ids. (A published session's tunnel is
    // published too: TableWriter removes a tunnel only after its sessions.)
    if (s.peer_index != sa_in.peer_index) { b.drop(i, DropReason::L2tpWrongSa); continue; }
    if (sa_in.natt) follow_nat_mapping(w, sa_in, md.sa_slot, s, md);

    ByteReader payload(data + 8 + l2->header_len, l2->payload_len);
    auto ppp = wire::decode_ppp(payload);
    if (!ppp) { b.drop(i, DropReason::PppMalformed); continue; }
    md.session_id = sid;
    md.tunnel_id = s.tunnel_id;
    if (ppp->protocol != wire::kPppIpv4) {
      md.punt_kind = PuntKind::PppControl;
      md.l2tp_ppp_proto = ppp->protocol;
      b.next[i] = Next::Punt;
      continue;
    }
    const uint32_t ip_off = 8u + l2->header_len + ppp->header_len;
    const uint32_t ip_len = l2->payload_len - ppp->header_len;
    keep_bytes(m, ip_off, ip_len);
    w.count(Counter::L2tpDataRx);
    b.next[i] = Next::Ip4Forward;
  }
}

}  // namespace l2tpgw::dp
