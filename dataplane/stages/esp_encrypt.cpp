// SPDX-License-Identifier: Apache-2.0
// esp_encrypt: ESP transport mode (RFC 4303) around the inner UDP datagram, a whole burst
// encrypted at once, then UDP 4500 (RFC 3948) when NAT-T, the outer IPv4 and Ethernet.
#include <rte_ip.h>
#include <rte_ring.h>

#include "common/wire/esp.hpp"
#include "common/wire/ipv4.hpp"
#include "common/wire/udp.hpp"
#include "dataplane/stages/ip4_output.hpp"
#include "dataplane/stages/stage_util.hpp"

namespace l2tpgw::dp {

namespace {

// The default padding is written 8 bytes at a time (below): the last word may run up to 7
// bytes past the padding, into the trailer and ICV appended with it, which are written
// after it. Both hold: padding is shorter than the cipher block (at most 16), and every ICV
// is longer than 7 - 2 bytes.
static_assert(wire::kEspDefaultPadding.size() >= 16 + 8);
static_assert([] {
  for (uint8_t c = 1; c < kEspCipherInfo.size(); ++c) {
    if (kEspCipherInfo[c].block_align > 16) return false;
    for (uint8_t a = 0; a < kEspAuthInfo.size(); ++a) {
      const auto ci = static_cast<EspCipher>(c);
      const auto ai = static_cast<EspAuth>(a);
      if (esp_pair_allowed(ci, ai) && esp_icv_len(ci, ai) + wire::kEspTrailerLen < 8) return false;
    }
  }
  return true;
}());

}  // namespace

void esp_encrypt(WorkerCtx& w, Burst& b) {
  const DataplaneShared& dp = *w.dp;
  CryptoOp ops[kMaxBurst];
  uint16_t idx[kMaxBurst];
  uint32_t slot_of[kMaxBurst];
  uint16_t payload_of[kMaxBurst];  // counted after the crypto, when the counters line is in
  uint16_t k = 0;

  prefetch_burst_sa_state(dp, b, Next::EspEncrypt);

  // The SA is looked up again only when the slot changes from the previous packet's: a
  // record published at the start of the burst stays what it is until this worker reports
  // a quiescent state (see esp_decrypt).
  uint32_t last = UINT32_MAX;
  const tables::SaRecord* sa = nullptr;
  SaRuntime* rt = nullptr;
  bool usable = false;
  for (uint16_t i = 0; i < b.n; ++i) {
    if (b.next[i] != Next::EspEncrypt) continue;
    rte_mbuf* m = b.pkts[i];
    const uint32_t slot = meta(m).sa_slot;
    if (slot != last) {
      last = slot;
      sa = &dp.tables.sa(slot);
      uint32_t gen;
      usable = tables::published(*sa, &gen) && sa->direction == tables::SaDirection::Outbound &&
               sa->owner_worker == w.id;
      if (usable) {
        prefetch_sa_crypto(sa->keys, sa->hot, m->data_len);  // for the crypto jobs
        rt = &sa_runtime(dp, slot, gen);
      }
    }
    if (!usable) { b.drop(i, DropReason::EspNoOutboundSa); continue; }
    // RFC 4303 §3.3.3: the sequence number never cycles; the SA must be rekeyed first.
    if (rt->seq_out == UINT32_MAX) [[unlikely]] {
      if (!rt->seq_exhausted) {
        rt->seq_exhausted = 1;
        uint64_t ev = encode_dp_event(DpEventKind::SeqExhausted, slot);
        rte_ring_mp_enqueue_elem(dp.events, &ev, sizeof(ev));
      }
      b.drop(i, DropReason::EspSeqExhausted);
      continue;
    }
    const SaCryptoParams& c = sa->crypto;
    const uint32_t payload_len = m->data_len;
    const uint32_t pad = wire::esp_pad_length(payload_len, c.block_align);
    uint8_t* tail = reinterpret_cast<uint8_t*>(
        rte_pktmbuf_append(m, static_cast<uint16_t>(pad + wire::kEspTrailerLen + c.icv_len)));
    uint8_t* esp = reinterpret_cast<uint8_t*>(
        rte_pktmbuf_prepend(m, static_cast<uint16_t>(wire::kEspHeaderLen + c.iv_len)));
    if (!tail || !esp) { b.drop(i, DropReason::NoHeadroom); continue; }
    // RFC 4303 §2.4 default padding (see the static_asserts above).
    for (uint32_t p = 0; p < pad; p += 8) std::memcpy(tail + p, wire::kEspDefaultPadding.data() + p, 8);
    tail[pad] = static_cast<uint8_t>(pad);
    tail[pad + 1] = wire::kIpProtoUdp;
    store_be32(esp, sa->spi);
    store_be32(esp + 4, ++rt->seq_out);
    if (rt->seq_out == kEspSeqSoftLimit) [[unlikely]] {
      uint64_t ev = encode_dp_event(DpEventKind::SeqSoft, slot);
      rte_ring_mp_enqueue_elem(dp.events, &ev, sizeof(ev));
    }
    const uint32_t ct_len = payload_len + pad + wire::kEspTrailerLen;
    ops[k] = CryptoOp{&c, &sa->keys, esp, ct_len, esp + wire::kEspHeaderLen + c.iv_len + ct_len, false};
    slot_of[k] = slot;
    payload_of[k] = static_cast<uint16_t>(payload_len);
    idx[k++] = i;
  }
  if (k == 0) return;

  w.crypto.encrypt_burst(ops, k);

  // Per run of one SA: the outer header's fixed part and its one's-complement sum, and the
  // next hop. Per packet only the length and the identification change (RFC 791), so the
  // checksum is that sum plus two words, folded.
  const DataplaneConfig& cfg = *dp.cfg;
  last = UINT32_MAX;
  uint16_t outer = 0;
  uint32_t next_hop = 0, fixed_sum = 0;
  SaCountRun counts(dp);
  EtherOutputRun wan(w, true);
  for (uint16_t j = 0; j < k; ++j) {
    const uint16_t i = idx[j];
    rte_mbuf* m = b.pkts[i];
    if (!ops[j].ok) { b.drop(i, DropReason::EspEncryptFailed); continue; }
    counts.add(slot_of[j], payload_of[j]);
    if (slot_of[j] != last) {
      last = slot_of[j];
      sa = &dp.tables.sa(last);
      rt = &dp.sa_runtime[last];
      outer = static_cast<uint16_t>(20 + (sa->natt ? 8 : 0));
      next_hop = cfg.wan.contains(rt->peer_addr) || !cfg.wan_gateway ? rt->peer_addr : cfg.wan_gateway;
      // The 16-bit words of version/IHL + TOS, flags + fragment offset (0), TTL + protocol
      // and the two addresses (RFC 791), summed as numbers: RFC 1071's sum in host order.
      const uint32_t proto = sa->natt ? wire::kIpProtoUdp : wire::kIpProtoEsp;
      fixed_sum = 0x4500u + (64u << 8 | proto) + (sa->local_addr >> 16) + (sa->local_addr & 0xffffu) +
                  (rt->peer_addr >> 16) + (rt->peer_addr & 0xffffu);
    }
    uint8_t* ip = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, outer));
    if (!ip) { b.drop(i, DropReason::NoHeadroom); continue; }
    const uint16_t total = static_cast<uint16_t>(m->data_len);
    const uint16_t id = static_cast<uint16_t>(w.ip_id++);
    auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip);
    h->version_ihl = RTE_IPV4_VHL_DEF;
    h->type_of_service = 0;
    h->total_length = rte_cpu_to_be_16(total);
    h->packet_id = rte_cpu_to_be_16(id);
    h->fragment_offset = 0;
    h->time_to_live = 64;
    h->next_proto_id = sa->natt ? wire::kIpProtoUdp : wire::kIpProtoEsp;
    h->src_addr = rte_cpu_to_be_32(sa->local_addr);
    h->dst_addr = rte_cpu_to_be_32(rt->peer_addr);
    store_be16(ip + 10, wire::fold_checksum(fixed_sum + total + id));
    if (sa->natt) {
      // RFC 3948 §2.1: UDP checksum transmitted as zero.
      uint8_t* u = ip + 20;
      store_be16(u, sa->local_port ? sa->local_port : wire::kPortIkeNatT);
      store_be16(u + 2, rt->peer_port);
      store_be16(u + 4, static_cast<uint16_t>(total - 20));
      store_be16(u + 6, 0);
    }
    // An ESP packet over the WAN MTU (a pseudowire's full-size frame) is cut like any packet
    // of ours with DF clear; the peer reassembles it before decrypting (RFC 4303 §3.4.1).
    if (total > cfg.wan_mtu && !ip4_mtu_exceeded(w, b, i, cfg.wan_mtu, Egress::Wan, next_hop))
      continue;
    finish_ether_output(b, i, wan.output(m, next_hop), Next::TxWan);
  }
  counts.flush();
  w.count(Counter::EspEncrypted, k);
}

}  // namespace l2tpgw::dp
