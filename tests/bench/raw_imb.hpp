// SPDX-License-Identifier: Apache-2.0
// Reference figures: bare Intel IPsec-MB doing ESP crypto on pre-built buffers.
#pragma once

#include <cstdint>

#include "common/crypto/esp_alg.hpp"

namespace l2tpgw::bench {

struct RawCryptoFigures {
  double pps;                // packets per second
  double cycles_per_packet;  // TSC cycles
  double best_cycles_per_packet = 0;  // the fastest group of 64 bursts (see Figures)
};

// Runs cipher + ICV (HMAC, or GCM) over ESP header + IV + `cipher_len` bytes of
// ciphertext for `seconds`, submitting whole bursts of `burst` jobs (1..128) to one
// init_mb_mgr_auto() manager with the job API and flushing after each burst. No packet
// handling: the ceiling the fastpath is compared against. Decrypt computes the ICV into
// scratch without comparing. Returns zeros for an invalid pair or length.
//
// `esp_offset` places each ESP header that many bytes (0..63) past a 64-byte boundary.
// Packets sit in mbufs where the NIC put them (RTE_PKTMBUF_HEADROOM, then Ethernet and
// IPv4), so their ESP header is never cache-line aligned, and IPsec-MB's wide loads then
// straddle lines (measured here: ~10-13% on 1400-byte decryption). The fastpath bench
// passes the offset its packets really have, so that its ratio counts what the fastpath
// adds, not where a NIC puts a packet; 0 gives the aligned ceiling.
//
// `nocheck` submits with IMB_SUBMIT_JOB_NOCHECK, without the library's per-job argument
// validation, as the fastpath's release build does (ImbEngine::set_checked_submit).
//
// `n_keys` > 1 gives every job of a burst its own SA (key schedule and HMAC pads or GHASH
// powers), visited in the fastpath bench's stride order, with the SAs on transparent huge
// pages: the crypto's own cost of thousands of clients. The lines each job reads are
// prefetched at the start of its burst, as the fastpath's crypto stages prefetch them in
// their first pass.
RawCryptoFigures measure_raw_imb(EspCipher cipher, EspAuth auth, bool encrypt,
                                 uint32_t cipher_len, uint32_t burst, double seconds,
                                 uint32_t esp_offset = 0, bool nocheck = false, uint32_t n_keys = 1);

}  // namespace l2tpgw::bench
