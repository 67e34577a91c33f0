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
  uint32_t slot_of[kMaxBurst];  // pass 1's SA slot and header length per op, so that pass 2
  uint16_t strip_of[kMaxBurst];  // need not read the mbuf's metadata again
  uint16_t k = 0;

  prefetch_burst_sa_state(dp, b, Next::EspDecrypt);

  // Pass 1: lengths, replay pre-check (before spending cycles on the ICV), job setup.
  // The SA is looked up again only when the slot changes from the previous packet's: a
  // record published at the start of the burst stays what it is until this worker reports
  // a quiescent state (its slot is reused only after a grace period), so one check holds
  // for the run. A handed-off packet may have waited across a grace period: the check is
  // still made for every burst.
  uint32_t last = UINT32_MAX;
  const tables::SaRecord* sa = nullptr;
  SaRuntime* rt = nullptr;
  bool usable = false;
  for (uint16_t i = 0; i < b.n; ++i) {
    if (b.next[i] != Next::EspDecrypt) continue;
    rte_mbuf* m = b.pkts[i];
    const PktMeta& md = meta(m);
    if (md.sa_slot != last) {
      last = md.sa_slot;
      sa = &dp.tables.sa(last);
      uint32_t gen;
      usable = tables::published(*sa, &gen) && sa->owner_worker == w.id;
      if (usable) {
        prefetch_sa_crypto(sa->keys, sa->hot, m->data_len - md.esp_off);  // for the crypto jobs
        rt = &sa_runtime(dp, last, gen);
      }
    }
    if (!usable) { b.drop(i, DropReason::EspNoSa); continue; }
    uint8_t* esp = rte_pktmbuf_mtod_offset(m, uint8_t*, md.esp_off);
    const uint32_t total = m->data_len - md.esp_off;
    const SaCryptoParams& c = sa->crypto;
    const uint32_t hdr_iv = wire::kEspHeaderLen + c.iv_len;
    const uint32_t overhead = hdr_iv + c.icv_len;
    if (load_be32(esp) != sa->spi) { b.drop(i, DropReason::EspNoSa); continue; }  // slot reused
    if (total < overhead + wire::kEspTrailerLen) { b.drop(i, DropReason::EspRunt); continue; }
    const uint32_t ct_len = total - overhead;
    if ((ct_len & (c.block_align - 1u)) != 0) { b.drop(i, DropReason::EspBadLength); continue; }
    if (sa->replay_window && !rt->replay.check(load_be32(esp + 4))) {
      b.drop(i, DropReason::EspReplay);
      continue;
    }
    ops[k] = CryptoOp{&c, &sa->keys, esp, ct_len, esp + hdr_iv + ct_len, false};
    slot_of[k] = last;
    strip_of[k] = static_cast<uint16_t>(md.esp_off + hdr_iv);
    idx[k++] = i;
  }
  if (k == 0) return;

  w.crypto.decrypt_burst(ops, k);

  // Pass 2: window update only for authenticated packets, trailer, strip to the inner UDP.
  last = UINT32_MAX;
  uint32_t session_asked = UINT32_MAX;  // the SA whose run's L2TP session was prefetched
  SaCountRun counts(dp);
  for (uint16_t j = 0; j < k; ++j) {
    const uint16_t i = idx[j];
    if (!ops[j].ok) { b.drop(i, DropReason::EspBadIcv); continue; }
    if (slot_of[j] != last) {
      last = slot_of[j];
      sa = &dp.tables.sa(last);
      rt = &dp.sa_runtime[last];
    }
    uint8_t* esp = ops[j].esp;
    if (sa->replay_window && !rt->replay.update(load_be32(esp + 4))) {
      b.drop(i, DropReason::EspReplay);  // a duplicate inside this very burst
      continue;
    }
    const uint8_t* plain = ops[j].icv - ops[j].payload_len;
    auto t = wire::decode_esp_trailer(plain, ops[j].payload_len);
    if (!t) { b.drop(i, DropReason::EspBadPadding); continue; }
    // Transport mode for L2TP (RFC 3193): the protected payload is the UDP datagram.
    if (t->next_header != wire::kIpProtoUdp) { b.drop(i, DropReason::EspBadNextHeader); continue; }
    counts.add(last, t->payload_length);
    // Classify made the packet one segment, and pass 1 checked that the ESP packet holds
    // strip + payload_length bytes.
    rte_mbuf* m = b.pkts[i];
    keep_bytes(m, strip_of[j], t->payload_length);
    if (last != session_asked) {  // for l2tp_decap, once per run (stage_util.hpp)
      prefetch_l2tp_session(dp, m);
      session_asked = last;
    }
    b.mark_prefetched(i);
    b.next[i] = Next::L2tpDecap;
  }
  counts.flush();
  w.count(Counter::EspDecrypted, k);
}

}  // namespace l2tpgw::dp
