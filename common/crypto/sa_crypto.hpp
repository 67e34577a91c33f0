// SPDX-License-Identifier: Apache-2.0
// Per-SA crypto state precomputed at install time (expanded keys, HMAC pad states).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>

#include <intel-ipsec-mb.h>

#include "common/crypto/esp_alg.hpp"

namespace l2tpgw {

// Everything a worker needs to run ESP crypto for one SA, computed once by
// sa_crypto_prepare(). Plain data without pointers: it lives in DPDK shared memory,
// which the control plane and the dataplane map at different addresses.
// writer: CP (install, before publish); readers: workers (RCU), read-only.
//
// Layout (1152 bytes, 18 cache lines):
//   line 0        descriptor (algorithms, lengths, salt, IMB arch)
//   lines 1-16    key material; a union, one variant per cipher family
//   line 17       HMAC inner/outer pad digest states
struct alignas(64) SaCrypto {
  // --- line 0: descriptor ---
  EspCipher cipher;
  EspAuth auth;
  uint8_t iv_len;
  uint8_t icv_len;
  uint8_t block_align;
  uint8_t cipher_key_len;  // IMB key_len_in_bytes (8, 24, 16 or 32)
  uint8_t imb_arch;        // IMB_ARCH of the manager used to prepare (GCM tables differ per arch)
  uint8_t reserved0;
  uint8_t salt[4];         // RFC 4106 §4: the nonce's first four octets (GCM only)
  uint8_t reserved1[52];

  // --- lines 1-16: key schedules, by cipher family ---
  // Each schedule starts a line: an SA is one direction, so one schedule is read per
  // packet, in ceil(176 / 64) = 3 lines for AES-128 (4 for AES-256), not one more.
  struct AesCbcKeys {
    alignas(64) uint8_t enc[15 * 16];  // IMB_AES_KEYEXP_* round keys (up to AES-256)
    alignas(64) uint8_t dec[15 * 16];
  };
  struct DesKeys {
    alignas(16) uint64_t imb[3][16];  // IMB_DES_KEYSCHED; [0] only for single DES
    alignas(16) uint8_t ossl[3][128];  // OpenSSL DES_key_schedule (short-burst path)
  };
  union Keys {
    AesCbcKeys aes;
    DesKeys des;
    gcm_key_data gcm;  // IMB_AES*_GCM_PRE: expanded key + GHASH tables (arch-specific)
  };
  alignas(64) Keys keys;

  // --- line 17: HMAC pad states (RFC 2104 §2) ---
  // The digest state after one compression of (K ^ ipad) and (K ^ opad), as IPsec-MB's
  // HMAC jobs expect in _hashed_auth_key_xor_ipad/_opad.
  alignas(64) uint8_t hmac_ipad[32];
  alignas(16) uint8_t hmac_opad[32];
};

static_assert(sizeof(SaCrypto) == 1152, "SaCrypto layout changed: update the comment above");
static_assert(offsetof(SaCrypto, keys) == 64);
static_assert(offsetof(SaCrypto, hmac_ipad) == 1088);
static_assert(sizeof(gcm_key_data) <= sizeof(SaCrypto::Keys));
static_assert(std::is_trivially_copyable_v<SaCrypto> && std::is_standard_layout_v<SaCrypto>);

// The cache lines of an SaCrypto that one direction's jobs read besides line 0 (the
// descriptor): the key schedule of that direction and, with HMAC, the pad line. Workers
// prefetch them a stage ahead of the crypto pass; with thousands of SAs they are cold.
struct SaCryptoHotLines {
  uint8_t first_key_line;  // index of the first 64-byte line of the key schedule
  uint8_t key_lines;       // how many lines from there
  uint8_t hmac_line;       // the pad line, 0 = none (GCM)
};
constexpr SaCryptoHotLines sa_crypto_hot_lines(EspCipher cipher, EspAuth auth, bool decrypt) {
  size_t begin = offsetof(SaCrypto, keys), len = 0;
  switch (cipher) {
    case EspCipher::AesCbc128:
    case EspCipher::AesCbc256: {
      // Rounds + 1 round keys of 16 bytes (FIPS 197 §5.1): 11 for AES-128, 15 for AES-256.
      if (decrypt) begin += offsetof(SaCrypto::AesCbcKeys, dec);
      len = (cipher == EspCipher::AesCbc128 ? 11 : 15) * 16;
      break;
    }
    case EspCipher::DesCbc: len = 16 * 8; break;
    case EspCipher::TdesCbc: len = 3 * 16 * 8; break;
    // Expanded key (up to 15 round keys) and the first GHASH key powers: what a burst
    // of short and long packets touches in gcm_key_data.
    case EspCipher::AesGcm128:
    case EspCipher::AesGcm256: len = 12 * 64; break;
    default: len = 64; break;
  }
  const size_t first = begin / 64, last = (begin + len - 1) / 64;
  return {static_cast<uint8_t>(first), static_cast<uint8_t>(last - first + 1),
          static_cast<uint8_t>(auth == EspAuth::None ? 0 : offsetof(SaCrypto, hmac_ipad) / 64)};
}
static_assert(sa_crypto_hot_lines(EspCipher::AesCbc128, EspAuth::HmacSha1_96, true).first_key_line == 5);
static_assert(sa_crypto_hot_lines(EspCipher::AesCbc128, EspAuth::HmacSha1_96, true).key_lines == 3);
static_assert(sa_crypto_hot_lines(EspCipher::AesCbc256, EspAuth::HmacSha256_128, true).key_lines == 4);
static_assert(sa_crypto_hot_lines(EspCipher::AesCbc128, EspAuth::HmacSha1_96, false).key_lines == 3);
static_assert(sa_crypto_hot_lines(EspCipher::AesCbc128, EspAuth::HmacSha1_96, false).hmac_line == 17);

// Precomputes `out` for one SA.
//  - enc_key_material: the cipher key; for GCM the key followed by the 4-octet salt
//    (RFC 4106 §8.1). Its length must be esp_enc_keymat_len(cipher).
//  - auth_key: length info(auth).key_len, empty for GCM.
// Uses an Intel IPsec-MB manager initialised with init_mb_mgr_auto(), i.e. the same
// architecture the dataplane engine uses, and records it in out.imb_arch.
// Thread context: any thread; allocates a manager once per thread. Never throws.
// Returns false (with a message free of key bytes in *error) on a bad pair, bad lengths
// or a library failure; then `out` is wiped to zeros.
bool sa_crypto_prepare(EspCipher cipher, EspAuth auth, std::span<const uint8_t> enc_key_material,
                       std::span<const uint8_t> auth_key, SaCrypto& out,
                       std::string* error = nullptr);

// RFC 2104 §2 pad states for any key length (keys longer than the 64-byte block are
// hashed first). ipad_state/opad_state receive info(auth).digest_len bytes. ESP SAs
// use sa_crypto_prepare(), which enforces the ESP key length; this is the building
// block, exposed for the RFC 2202/4231 known-answer tests. Returns false for None.
bool hmac_precompute_pads(EspAuth auth, std::span<const uint8_t> key, uint8_t* ipad_state,
                          uint8_t* opad_state);

// The IMB_ARCH that init_mb_mgr_auto() picks on this machine.
int sa_crypto_imb_arch();

// The Intel IPsec-MB HMAC job algorithm for an ESP integrity algorithm (IMB_AUTH_NULL: GCM).
constexpr IMB_HASH_ALG imb_hash_alg(EspAuth a) {
  switch (a) {
    case EspAuth::HmacMd5_96: return IMB_AUTH_MD5;
    case EspAuth::HmacSha1_96: return IMB_AUTH_HMAC_SHA_1;
    case EspAuth::HmacSha256_128: return IMB_AUTH_HMAC_SHA_256;
    case EspAuth::None: break;
  }
  return IMB_AUTH_NULL;
}

// Overwrites `sa` with zeros in a way the compiler may not elide.
void sa_crypto_wipe(SaCrypto& sa);

}  // namespace l2tpgw
