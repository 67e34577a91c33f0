// SPDX-License-Identifier: Apache-2.0
// esp_decrypt: anti-replay check, ICV verification and decryption of a whole burst at once,
// then the RFC 4303 §3.4.3 window update and the trailer checks (DESIGN.md stage 2).
#include "common/wire/esp.hpp"
#include "common/wire/ipv4.hpp"
#include "dataplane/stages/stage_util.hpp"

namespace l2tpgw::dp {

void esp_decrypt(WorkerCtx& w, Burst& b) {
  const DataplaneShared& dp = *w.dp;
  CryptoOp ops[kMaxBurst];
  uint16_t idx[kMaxBurst];
  uint16_t k = 0;

  prefetch_burst_sa_crypto(dp, b, Next::EspDecrypt);

  // Pass 1: lengths, replay pre-check (before spending cycles on the ICV), job setup.
  for (uint16_t i = 0; i < b.n; ++i) {
    if (b.next[i] != Next::EspDecrypt) continue;
    rte_mbuf* m = b.pkts[i];
    PktMeta& md = meta(m);
    const tables::SaRecord& sa = dp.tables.sa(md.sa_slot);
    uint32_t gen;
    // A handed-off packet may have waited across a grace period: check the SA again.
    if (!tables::published(sa, &gen) || sa.owner_worker != w.id) { b.drop(i, DropReason::EspNoSa); continue; }
    SaRuntime& rt = sa_runtime(dp, md.sa_slot, gen);
    uint8_t* esp = rte_pktmbuf_mtod_offset(m, uint8_t*, md.esp_off);
    const uint32_t total = m->data_len - md.esp_off;
    const SaCrypto& c = sa.crypto;
    const uint32_t overhead = wire::kEspHeaderLen + c.iv_len + c.icv_len;
    if (load_be32(esp) != sa.spi) { b.drop(i, DropReason::EspNoSa); continue; }  // slot reused
    if (total < overhead + wire::kEspTrailerLen) { b.drop(i, DropReason::EspRunt); continue; }
    const uint32_t ct_len = total - overhead;
    if ((ct_len & (c.block_align - 1u)) != 0) { b.drop(i, DropReason::EspBadLength); continue; }
    if (sa.replay_window && !rt.replay.check(load_be32(esp + 4))) {
      b.drop(i, DropReason::EspReplay);
      continue;
    }
    ops[k] = CryptoOp{&c, esp, ct_len, esp + wire::kEspHeaderLen + c.iv_len + ct_len, false};
    idx[k++] = i;
  }
  if (k == 0) return;

  w.crypto.decrypt_burst(ops, k);

  // Pass 2: window update only for authenticated packets, trailer, strip to the inner UDP.
  for (uint16_t j = 0; j < k; ++j) {
    const uint16_t i = idx[j];
    rte_mbuf* m = b.pkts[i];
    PktMeta& md = meta(m);
    if (!ops[j].ok) { b.drop(i, DropReason::EspBadIcv); continue; }
    const tables::SaRecord& sa = dp.tables.sa(md.sa_slot);
    SaRuntime& rt = dp.sa_runtime[md.sa_slot];
    uint8_t* esp = ops[j].esp;
    if (sa.replay_window && !rt.replay.update(load_be32(esp + 4))) {
      b.drop(i, DropReason::EspReplay);  // a duplicate inside this very burst
      continue;
    }
    const uint8_t* plain = esp + wire::kEspHeaderLen + sa.crypto.iv_len;
    auto t = wire::decode_esp_trailer(plain, ops[j].payload_len);
    if (!t) { b.drop(i, DropReason::EspBadPadding); continue; }
    // Transport mode for L2TP (RFC 3193): the protected payload is the UDP datagram.
    if (t->next_header != wire::kIpProtoUdp) { b.drop(i, DropReason::EspBadNextHeader); continue; }
    tables::SaCounters& sc = dp.tables.sa_counters(md.sa_slot);
    sc.packets++;
    sc.octets += t->payload_length;
    const uint16_t strip = static_cast<uint16_t>(md.esp_off + wire::kEspHeaderLen + sa.crypto.iv_len);
    rte_pktmbuf_adj(m, strip);
    rte_pktmbuf_trim(m, static_cast<uint16_t>(m->data_len - t->payload_length));
    b.next[i] = Next::L2tpDecap;
  }
  w.count(Counter::EspDecrypted, k);
}

}  // namespace l2tpgw::dp
