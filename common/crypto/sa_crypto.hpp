// SPDX-License-Identifier: Apache-2.0
// Per-SA crypto state precomputed at install time (expanded keys, HMAC pad states).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include <intel-ipsec-mb.h>

#include "common/crypto/esp_alg.hpp"

namespace l2tpgw {

// Where IPsec-MB's GCM precomputation (IMB_AES*_GCM_PRE) puts the GHASH key powers in
// gcm_key_data, after the 15 expanded-key slots: it depends on the code the manager runs
// (the `ghash_keys` union of intel-ipsec-mb.h; the VAES order is gcm_keys_vaes_avx512.asm's).
enum class GhashLayout : uint8_t {
  None = 0,     // not GCM
  SseAvx,       // HashKey^1..^8 and their Karatsuba halves: 16 slots
  Avx2Avx512,   // HashKey^8..^1: 8 slots
  VaesAvx512,   // HashKey^48..^1: 48 slots, so the low powers every packet uses come last
};

// Everything a worker needs to run ESP crypto for one SA, computed once by
// sa_crypto_prepare(), in two parts: the parameters (algorithms, lengths), which every packet
// reads first and which an SaRecord keeps on its first line beside the SPI, and the keys.
// Plain data without pointers: they live in DPDK shared memory, which the control plane and
// the dataplane map at different addresses.
// writer: CP (install, before publish); readers: workers (RCU), read-only.
struct SaCryptoParams {
  EspCipher cipher;
  EspAuth auth;
  uint8_t iv_len;
  uint8_t icv_len;
  uint8_t block_align;
  uint8_t cipher_key_len;  // IMB key_len_in_bytes (8, 24, 16 or 32)
  uint8_t imb_arch;        // IMB_ARCH of the manager used to prepare (GCM tables differ per arch)
  GhashLayout ghash_layout;  // GCM: where the precomputation put the GHASH key powers
  uint8_t salt[4];         // RFC 4106 §4: the nonce's first four octets (GCM only)
};

// Layout (1088 bytes, 17 cache lines):
//   lines 0-15    key material; a union, one variant per cipher family
//   line 16       HMAC inner/outer pad digest states
struct alignas(64) SaCryptoKeys {
  // --- lines 0-15: key schedules, by cipher family ---
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

  // --- line 16: HMAC pad states (RFC 2104 §2) ---
  // The digest state after one compression of (K ^ ipad) and (K ^ opad), as IPsec-MB's
  // HMAC jobs expect in _hashed_auth_key_xor_ipad/_opad.
  alignas(64) uint8_t hmac_ipad[32];
  alignas(16) uint8_t hmac_opad[32];
};

static_assert(sizeof(SaCryptoParams) == 12);
static_assert(sizeof(SaCryptoKeys) == 1088, "SaCryptoKeys layout changed: update the comment above");
static_assert(offsetof(SaCryptoKeys, hmac_ipad) == 1024);
static_assert(sizeof(gcm_key_data) <= sizeof(SaCryptoKeys::Keys));
static_assert(std::is_trivially_copyable_v<SaCryptoKeys> && std::is_standard_layout_v<SaCryptoKeys>);

// One SA's parameters and keys side by side: an SA outside the shared tables (the benchmarks'
// client side and raw reference, tests).
struct SaCrypto {
  SaCryptoParams params;
  SaCryptoKeys keys;
};

// The cache lines of an SaCryptoKeys that one direction's jobs read: the key schedule of
// that direction and, with HMAC, the pad line; with GCM the
// expanded key and the lowest GHASH key powers (HashKey^1..^16: what a packet of up to 256
// bytes multiplies by, and the tail of every longer one; longer packets also read the rest).
// Workers prefetch them a stage ahead of the crypto pass; with thousands of SAs they are cold.
// The lines every job reads are a list, so that the prefetch is straight-line code for the
// usual algorithms: kHotFixed prefetches without a branch (AES-CBC with HMAC needs 4 or 5
// lines; entries beyond an SA's own repeat its first line, and a second prefetch of a line
// costs a load slot and no memory traffic), and a loop only for the rest (3DES, GCM). The
// loops over first/count per part that this replaces cost about 7 cycles a packet more at
// 10,000 sessions (64 B; both variants alternated round by round in one benchmark process):
// their loads and branches, not misses.
inline constexpr size_t kHotLines = 10;
inline constexpr size_t kHotFixed = 5;  // prefetch_sa_crypto's unrolled part
struct SaCryptoHotLines {
  // The lines in order (the key schedule's, then the pads' or GHASH powers'): the first
  // kHotFixed as byte offsets into SaCryptoKeys, repeating the first where the SA has fewer.
  uint16_t fixed[kHotFixed];
  uint8_t more[kHotLines - kHotFixed];  // line indexes of the others
  uint8_t count;            // lines in all
  uint8_t long_line;        // GCM on VAES: HashKey^48..^17, read only by packets over 256 bytes
  uint8_t long_lines;       // how many lines from long_line (0 = none)
};
// The ESP payload beyond which a GCM packet's GHASH reads the powers above HashKey^16.
inline constexpr uint32_t kGcmShortPayload = 16 * 16;
constexpr SaCryptoHotLines sa_crypto_hot_lines(EspCipher cipher, EspAuth auth, bool decrypt,
                                               GhashLayout ghash = GhashLayout::None) {
  constexpr size_t keys = offsetof(SaCryptoKeys, keys);
  SaCryptoHotLines hot{};
  size_t n = 0;
  // The first and last line of bytes [begin, begin + len).
  auto lines = [](size_t begin, size_t len) { return std::pair{begin / 64, (begin + len - 1) / 64}; };
  auto add = [&](size_t begin, size_t len) {
    const auto [first, last] = lines(begin, len);
    for (size_t l = first; l <= last; ++l, ++n) {
      if (n < kHotFixed) hot.fixed[n] = static_cast<uint16_t>(64 * l);
      else if (n < kHotLines) hot.more[n - kHotFixed] = static_cast<uint8_t>(l);
    }
  };
  size_t begin = keys, len = 0;
  switch (cipher) {
    case EspCipher::AesCbc128:
    case EspCipher::AesCbc256:
      // Rounds + 1 round keys of 16 bytes (FIPS 197 §5.1): 11 for AES-128, 15 for AES-256.
      if (decrypt) begin += offsetof(SaCryptoKeys::AesCbcKeys, dec);
      len = (cipher == EspCipher::AesCbc128 ? 11 : 15) * 16;
      break;
    case EspCipher::DesCbc: len = 16 * 8; break;
    case EspCipher::TdesCbc: len = 3 * 16 * 8; break;
    // GCM encrypts in both directions: the forward expanded key.
    case EspCipher::AesGcm128: len = 11 * 16; break;
    case EspCipher::AesGcm256: len = 15 * 16; break;
  }
  add(begin, len);
  if (is_gcm(cipher)) {
    constexpr size_t powers = keys + 15 * 16;  // the GHASH keys follow 15 expanded-key slots
    switch (ghash) {
      case GhashLayout::VaesAvx512: {  // HashKey^48..^17, then HashKey^16..^1
        constexpr size_t higher = (48 - 16) * 16;
        add(powers + higher, 16 * 16);
        const auto [first, last] = lines(powers, higher);
        hot.long_line = static_cast<uint8_t>(first);
        hot.long_lines = static_cast<uint8_t>(last - first + 1);
        break;
      }
      case GhashLayout::Avx2Avx512: add(powers, 8 * 16); break;
      case GhashLayout::SseAvx:
      case GhashLayout::None: add(powers, 16 * 16); break;
    }
  } else if (auth != EspAuth::None) {
    add(offsetof(SaCryptoKeys, hmac_ipad), 64);
  }
  hot.count = static_cast<uint8_t>(n < kHotLines ? n : kHotLines);  // the static_asserts below: none has more
  for (size_t i = n; i < kHotFixed; ++i) hot.fixed[i] = hot.fixed[0];
  return hot;
}
// Line i of an SA's hot lines (i < count).
constexpr uint32_t hot_line(const SaCryptoHotLines& h, size_t i) {
  return i < kHotFixed ? h.fixed[i] / 64u : h.more[i - kHotFixed];
}
// AES-128-CBC decryption: the schedule's 3 lines from line 4, then the pads' line 16.
static_assert(hot_line(sa_crypto_hot_lines(EspCipher::AesCbc128, EspAuth::HmacSha1_96, true), 0) == 4);
static_assert(hot_line(sa_crypto_hot_lines(EspCipher::AesCbc128, EspAuth::HmacSha1_96, true), 3) == 16);
static_assert(sa_crypto_hot_lines(EspCipher::AesCbc128, EspAuth::HmacSha1_96, true).count == 4);
static_assert(sa_crypto_hot_lines(EspCipher::AesCbc256, EspAuth::HmacSha256_128, true).count == 5);
static_assert(hot_line(sa_crypto_hot_lines(EspCipher::AesCbc128, EspAuth::HmacSha1_96, false), 2) == 2);
static_assert(sa_crypto_hot_lines(EspCipher::TdesCbc, EspAuth::HmacSha1_96, true).count == 7);
// AES-128-GCM on the VAES code: expanded key in lines 0-2, HashKey^16..^1 in lines 11-15,
// HashKey^48..^17 from line 3. AES-256-GCM fills the list.
static_assert(hot_line(sa_crypto_hot_lines(EspCipher::AesGcm128, EspAuth::None, true, GhashLayout::VaesAvx512), 3) == 11);
static_assert(sa_crypto_hot_lines(EspCipher::AesGcm128, EspAuth::None, true, GhashLayout::VaesAvx512).count == 8);
static_assert(sa_crypto_hot_lines(EspCipher::AesGcm128, EspAuth::None, true, GhashLayout::VaesAvx512).long_line == 3);
static_assert(sa_crypto_hot_lines(EspCipher::AesGcm256, EspAuth::None, true, GhashLayout::VaesAvx512).count == 9);
static_assert(hot_line(sa_crypto_hot_lines(EspCipher::AesGcm256, EspAuth::None, true, GhashLayout::VaesAvx512), 8) == 15);
static_assert(sa_crypto_hot_lines(EspCipher::AesGcm256, EspAuth::None, true, GhashLayout::SseAvx).count <= kHotLines);
// Fewer lines than kHotFixed: the first again, not line 0.
static_assert(sa_crypto_hot_lines(EspCipher::AesCbc128, EspAuth::HmacSha1_96, true).fixed[4] == 4 * 64);

// Asks for the lines of `c` that one direction's jobs read (`hot`: sa_crypto_hot_lines for
// that direction). `esp_len` is the ESP packet's length: GCM packets over kGcmShortPayload
// also read the higher GHASH powers. A hint only: prefetcht0 as a volatile asm, as DPDK's
// rte_prefetch0 (GCC dropped __builtin_prefetch from these loops once they were inlined into
// esp_decrypt, and 10,000 sessions went from ~415 to ~650 cycles a packet).
inline void prefetch_sa_crypto(const SaCryptoKeys& c, const SaCryptoHotLines& hot, uint32_t esp_len) {
  const auto* p = reinterpret_cast<const volatile char*>(&c);
  const auto at = [](const volatile char* a) { asm volatile("prefetcht0 %0" : : "m"(*a)); };
  static_assert(kHotFixed == 5, "the unroll count below");
#pragma GCC unroll 5
  for (size_t i = 0; i < kHotFixed; ++i) at(p + hot.fixed[i]);
  if (hot.count > kHotFixed) [[unlikely]]
    for (size_t i = kHotFixed; i < hot.count; ++i) at(p + 64u * hot.more[i - kHotFixed]);
  if (hot.long_lines != 0 && esp_len > kGcmShortPayload)
    for (uint32_t l = 0; l < hot.long_lines; ++l) at(p + 64u * (hot.long_line + l));
}

// Precomputes `params` and `keys` for one SA.
//  - enc_key_material: the cipher key; for GCM the key followed by the 4-octet salt
//    (RFC 4106 §8.1). Its length must be esp_enc_keymat_len(cipher).
//  - auth_key: length info(auth).key_len, empty for GCM.
// Uses an Intel IPsec-MB manager initialised with init_mb_mgr_auto(), i.e. the same
// architecture the dataplane engine uses, and records it in params.imb_arch.
// Thread context: any thread; allocates a manager once per thread. Never throws.
// Returns false (with a message free of key bytes in *error) on a bad pair, bad lengths
// or a library failure; then both are wiped to zeros.
bool sa_crypto_prepare(EspCipher cipher, EspAuth auth, std::span<const uint8_t> enc_key_material,
                       std::span<const uint8_t> auth_key, SaCryptoParams& params,
                       SaCryptoKeys& keys, std::string* error = nullptr);
inline bool sa_crypto_prepare(EspCipher cipher, EspAuth auth,
                              std::span<const uint8_t> enc_key_material,
                              std::span<const uint8_t> auth_key, SaCrypto& out,
                              std::string* error = nullptr) {
  return sa_crypto_prepare(cipher, auth, enc_key_material, auth_key, out.params, out.keys, error);
}

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

// Overwrites an SA's parameters and keys with zeros in a way the compiler may not elide.
void sa_crypto_wipe(SaCryptoParams& params, SaCryptoKeys& keys);
void sa_crypto_wipe(SaCrypto& sa);  // padding included

}  // namespace l2tpgw
