// SPDX-License-Identifier: Apache-2.0
// Reference figures: bare Intel IPsec-MB doing ESP crypto on pre-built buffers.
#pragma once

#include <cstdint>

#include "common/crypto/esp_alg.hpp"

namespace l2tpgw::bench {

struct RawCryptoFigures {
  double pps;                // packets per second
  double cycles_per_packet;  // TSC cycles
};

// Runs cipher + ICV (HMAC, or GCM) over ESP header + IV + `cipher_len` bytes of
// ciphertext for `seconds`, submitting whole bursts of `burst` jobs (1..128) to one
// init_mb_mgr_auto() manager with the job API and flushing after each burst. No packet
// handling: the ceiling the fastpath is compared against. Decrypt computes the ICV into
// scratch without comparing. Returns zeros for an invalid pair or length.
RawCryptoFigures measure_raw_imb(EspCipher cipher, EspAuth auth, bool encrypt,
                                 uint32_t cipher_len, uint32_t burst, double seconds);

}  // namespace l2tpgw::bench
