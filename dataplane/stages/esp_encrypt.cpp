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

void esp_encrypt(WorkerCtx& w, Burst& b) {
  const DataplaneShared& dp = *w.dp;
  CryptoOp ops[kMaxBurst];
  uint16_t idx[kMaxBurst];
  uint16_t k = 0;

  prefetch_burst_sa_crypto(dp, b, Next::EspEncrypt);

  for (uint16_t i = 0; i < b.n; ++i) {
    if (b.next[i] != Next::EspEncrypt) continue;
    rte_mbuf* m = b.pkts[i];
    PktMeta& md = meta(m);
    const tables::SaRecord& sa = dp.tables.sa(md.sa_slot);
    uint32_t gen;
    if (!tables::published(sa, &gen) || sa.direction != tables::SaDirection::Outbound ||
        sa.owner_worker != w.id) {
      b.drop(i, DropReason::EspNoOutboundSa);
      continue;
    }
    SaRuntime& rt = sa_runtime(dp, md.sa_slot, gen);
    // RFC 4303 §3.3.3: the sequence number never cycles; the SA must be rekeyed first.
    if (rt.seq_out == UINT32_MAX) [[unlikely]] {
      if (!rt.seq_exhausted) {
        rt.seq_exhausted = 1;
        uint64_t ev = encode_dp_event(DpEventKind::SeqExhausted, md.sa_slot);
        rte_ring_mp_enqueue_elem(dp.events, &ev, sizeof(ev));
      }
      b.drop(i, DropReason::EspSeqExhausted);
      continue;
    }
    const SaCrypto& c = sa.crypto;
    const uint32_t payload_len = m->data_len;
    const uint32_t pad = wire::esp_pad_length(payload_len, c.block_align);
    uint8_t* tail = reinterpret_cast<uint8_t*>(
        rte_pktmbuf_append(m, static_cast<uint16_t>(pad + wire::kEspTrailerLen + c.icv_len)));
    uint8_t* esp = reinterpret_cast<uint8_t*>(
        rte_pktmbuf_prepend(m, static_cast<uint16_t>(wire::kEspHeaderLen + c.iv_len)));
    if (!tail || !esp) { b.drop(i, DropReason::NoHeadroom); continue; }
    for (uint32_t p = 0; p < pad; ++p) tail[p] = static_cast<uint8_t>(p + 1);  // §2.4 default
    tail[pad] = static_cast<uint8_t>(pad);
    tail[pad + 1] = wire::kIpProtoUdp;
    store_be32(esp, sa.spi);
    store_be32(esp + 4, ++rt.seq_out);
    if (rt.seq_out == kEspSeqSoftLimit) [[unlikely]] {
      uint64_t ev = encode_dp_event(DpEventKind::SeqSoft, md.sa_slot);
      rte_ring_mp_enqueue_elem(dp.events, &ev, sizeof(ev));
    }
    const uint32_t ct_len = payload_len + pad + wire::kEspTrailerLen;
    ops[k] = CryptoOp{&c, esp, ct_len, esp + wire::kEspHeaderLen + c.iv_len + ct_len, false};
    idx[k++] = i;
    tables::SaCounters& sc = dp.tables.sa_counters(md.sa_slot);
    sc.packets++;
    sc.octets += payload_len;
  }
  if (k == 0) return;

  w.crypto.encrypt_burst(ops, k);

  for (uint16_t j = 0; j < k; ++j) {
    const uint16_t i = idx[j];
    rte_mbuf* m = b.pkts[i];
    if (!ops[j].ok) { b.drop(i, DropReason::EspEncryptFailed); continue; }
    const tables::SaRecord& sa = dp.tables.sa(meta(m).sa_slot);
    const SaRuntime& rt = dp.sa_runtime[meta(m).sa_slot];
    const uint16_t outer = static_cast<uint16_t>(20 + (sa.natt ? 8 : 0));
    uint8_t* ip = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, outer));
    if (!ip) { b.drop(i, DropReason::NoHeadroom); continue; }
    const uint16_t total = static_cast<uint16_t>(m->data_len);
    auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip);
    h->version_ihl = RTE_IPV4_VHL_DEF;
    h->type_of_service = 0;
    h->total_length = rte_cpu_to_be_16(total);
    h->packet_id = rte_cpu_to_be_16(static_cast<uint16_t>(w.ip_id++));
    h->fragment_offset = 0;
    h->time_to_live = 64;
    h->next_proto_id = sa.natt ? wire::kIpProtoUdp : wire::kIpProtoEsp;
    h->src_addr = rte_cpu_to_be_32(sa.local_addr);
    h->dst_addr = rte_cpu_to_be_32(rt.peer_addr);
    h->hdr_checksum = 0;
    h->hdr_checksum = rte_ipv4_cksum(h);
    if (sa.natt) {
      // RFC 3948 §2.1: UDP checksum transmitted as zero.
      uint8_t* u = ip + 20;
      store_be16(u, sa.local_port ? sa.local_port : wire::kPortIkeNatT);
      store_be16(u + 2, rt.peer_port);
      store_be16(u + 4, static_cast<uint16_t>(total - 20));
      store_be16(u + 6, 0);
    }
    const DataplaneConfig& cfg = *dp.cfg;
    const uint32_t next_hop = cfg.wan.contains(rt.peer_addr) || !cfg.wan_gateway ? rt.peer_addr
                                                                                 : cfg.wan_gateway;
    // An ESP packet over the WAN MTU (a pseudowire's full-size frame) is cut like any packet
    // of ours with DF clear; the peer reassembles it before decrypting (RFC 4303 §3.4.1).
    if (total > cfg.wan_mtu && !ip4_mtu_exceeded(w, b, i, cfg.wan_mtu, Egress::Wan, next_hop))
      continue;
    finish_ether_output(b, i, ether_output(w, m, next_hop, true), Next::TxWan);
  }
  w.count(Counter::EspEncrypted, k);
}

}  // namespace l2tpgw::dp
