// SPDX-License-Identifier: Apache-2.0
// Install-time ESP key preparation with Intel IPsec-MB (and OpenSSL DES schedules).
#include "common/crypto/sa_crypto.hpp"

// The DES low-level API is deprecated in OpenSSL 3 but is the only one that takes a
// precomputed, plain-data key schedule (no EVP context per SA, no allocation per packet).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/des.h>
#include <openssl/evp.h>

#include <array>
#include <cstring>

namespace l2tpgw {

static_assert(sizeof(DES_key_schedule) == 128);
static_assert(sizeof(SaCryptoKeys::DesKeys::ossl[0]) == sizeof(DES_key_schedule));

namespace {

constexpr size_t kHmacBlock = 64;  // MD5, SHA-1 and SHA-256 block size (RFC 2104 §2: B)

struct ThreadMgr {
  IMB_MGR* mgr = nullptr;
  IMB_ARCH arch = IMB_ARCH_NONE;
  ~ThreadMgr() {
    if (mgr != nullptr) free_mb_mgr(mgr);
  }
};

// One manager per thread, used only for the key-expansion helpers.
IMB_MGR* thread_mgr(IMB_ARCH* arch) {
  thread_local ThreadMgr t;
  if (t.mgr == nullptr) {
    IMB_MGR* m = alloc_mb_mgr(0);
    if (m == nullptr) return nullptr;
    init_mb_mgr_auto(m, &t.arch);
    if (imb_get_errno(m) != 0 || t.arch == IMB_ARCH_NONE) {
      free_mb_mgr(m);
      return nullptr;
    }
    t.mgr = m;
  }
  *arch = t.arch;
  return t.mgr;
}

// The GHASH key layout the manager's GCM code fills (a prefetch hint, never a correctness
// matter): the VAES code on AVX-512 with VAES and VPCLMULQDQ, the AVX2 layout on AVX2 and
// other AVX-512, the SSE one on SSE and AVX.
GhashLayout ghash_layout_of(const IMB_MGR* mgr, IMB_ARCH arch) {
  constexpr uint64_t kVaes = IMB_FEATURE_VAES | IMB_FEATURE_VPCLMULQDQ;
  if (arch == IMB_ARCH_AVX512) {
    return (mgr->features & kVaes) == kVaes ? GhashLayout::VaesAvx512 : GhashLayout::Avx2Avx512;
  }
  return arch == IMB_ARCH_AVX2 ? GhashLayout::Avx2Avx512 : GhashLayout::SseAvx;
}

bool fail(std::string* error, const char* what, SaCryptoParams& params, SaCryptoKeys& keys) {
  sa_crypto_wipe(params, keys);
  if (error != nullptr) *error = what;
  return false;
}

const EVP_MD* evp_for(EspAuth auth) {
  switch (auth) {
    case EspAuth::HmacMd5_96: return EVP_md5();
    case EspAuth::HmacSha1_96: return EVP_sha1();
    case EspAuth::HmacSha256_128: return EVP_sha256();
    case EspAuth::None: break;
  }
  return nullptr;
}

}  // namespace

void sa_crypto_wipe(SaCryptoParams& params, SaCryptoKeys& keys) {
  OPENSSL_cleanse(&params, sizeof(params));
  OPENSSL_cleanse(&keys, sizeof(keys));
}

void sa_crypto_wipe(SaCrypto& sa) { OPENSSL_cleanse(&sa, sizeof(sa)); }

int sa_crypto_imb_arch() {
  IMB_ARCH arch = IMB_ARCH_NONE;
  return thread_mgr(&arch) != nullptr ? static_cast<int>(arch) : static_cast<int>(IMB_ARCH_NONE);
}

bool hmac_precompute_pads(EspAuth auth, std::span<const uint8_t> key, uint8_t* ipad_state,
                          uint8_t* opad_state) {
  if (auth == EspAuth::None || !is_valid(auth)) return false;
  IMB_ARCH arch;
  IMB_MGR* mgr = thread_mgr(&arch);
  if (mgr == nullptr) return false;

  // RFC 2104 §2: a key longer than B is first hashed; a shorter one is zero-padded to B.
  alignas(16) std::array<uint8_t, kHmacBlock> k{};
  if (key.size() > kHmacBlock) {
    unsigned int len = 0;
    if (EVP_Digest(key.data(), key.size(), k.data(), &len, evp_for(auth), nullptr) != 1) {
      return false;
    }
  } else if (!key.empty()) {
    std::memcpy(k.data(), key.data(), key.size());
  }

  alignas(16) std::array<uint8_t, kHmacBlock> ipad;
  alignas(16) std::array<uint8_t, kHmacBlock> opad;
  for (size_t i = 0; i < kHmacBlock; ++i) {
    ipad[i] = k[i] ^ 0x36;
    opad[i] = k[i] ^ 0x5c;
  }
  switch (auth) {
    case EspAuth::HmacMd5_96:
      IMB_MD5_ONE_BLOCK(mgr, ipad.data(), ipad_state);
      IMB_MD5_ONE_BLOCK(mgr, opad.data(), opad_state);
      break;
    case EspAuth::HmacSha1_96:
      IMB_SHA1_ONE_BLOCK(mgr, ipad.data(), ipad_state);
      IMB_SHA1_ONE_BLOCK(mgr, opad.data(), opad_state);
      break;
    case EspAuth::HmacSha256_128:
      IMB_SHA256_ONE_BLOCK(mgr, ipad.data(), ipad_state);
      IMB_SHA256_ONE_BLOCK(mgr, opad.data(), opad_state);
      break;
    case EspAuth::None: break;
  }
  OPENSSL_cleanse(k.data(), k.size());
  OPENSSL_cleanse(ipad.data(), ipad.size());
  OPENSSL_cleanse(opad.data(), opad.size());
  return true;
}

bool sa_crypto_prepare(EspCipher cipher, EspAuth auth, std::span<const uint8_t> enc_key_material,
                       std::span<const uint8_t> auth_key, SaCryptoParams& params,
                       SaCryptoKeys& keys, std::string* error) {
  sa_crypto_wipe(params, keys);
  if (!esp_pair_allowed(cipher, auth)) {
    return fail(error, "cipher/integrity pair not allowed (GCM needs none, CBC needs an HMAC)",
                params, keys);
  }
  const EspCipherInfo& ci = info(cipher);
  if (enc_key_material.size() != esp_enc_keymat_len(cipher)) {
    return fail(error, "encryption key material has the wrong length", params, keys);
  }
  const size_t want_auth = auth == EspAuth::None ? 0 : info(auth).key_len;
  if (auth_key.size() != want_auth) {
    return fail(error, "integrity key has the wrong length", params, keys);
  }
  IMB_ARCH arch;
  IMB_MGR* mgr = thread_mgr(&arch);
  if (mgr == nullptr) return fail(error, "cannot initialise an Intel IPsec-MB manager", params, keys);

  params.cipher = cipher;
  params.auth = auth;
  params.iv_len = ci.iv_len;
  params.icv_len = esp_icv_len(cipher, auth);
  params.block_align = ci.block_align;
  params.cipher_key_len = ci.key_len;
  params.imb_arch = static_cast<uint8_t>(arch);

  const uint8_t* key = enc_key_material.data();
  switch (cipher) {
    case EspCipher::AesCbc128:
      IMB_AES_KEYEXP_128(mgr, key, keys.keys.aes.enc, keys.keys.aes.dec);
      break;
    case EspCipher::AesCbc256:
      IMB_AES_KEYEXP_256(mgr, key, keys.keys.aes.enc, keys.keys.aes.dec);
      break;
    case EspCipher::DesCbc:
    case EspCipher::TdesCbc: {
      // RFC 2405 §5 / RFC 2451 §2.2: parity bits are ignored, weak keys are not checked
      // here (IKE key derivation makes them practically impossible).
      const int n = cipher == EspCipher::DesCbc ? 1 : 3;
      for (int i = 0; i < n; ++i) {
        IMB_DES_KEYSCHED(mgr, keys.keys.des.imb[i], key + 8 * i);
        DES_cblock block;
        std::memcpy(block, key + 8 * i, 8);
        DES_key_schedule ks;
        DES_set_key_unchecked(&block, &ks);
        std::memcpy(keys.keys.des.ossl[i], &ks, sizeof(ks));
        OPENSSL_cleanse(&ks, sizeof(ks));
        OPENSSL_cleanse(block, sizeof(block));
      }
      break;
    }
    case EspCipher::AesGcm128:
      params.ghash_layout = ghash_layout_of(mgr, arch);
      IMB_AES128_GCM_PRE(mgr, key, &keys.keys.gcm);
      std::memcpy(params.salt, key + 16, 4);
      break;
    case EspCipher::AesGcm256:
      params.ghash_layout = ghash_layout_of(mgr, arch);
      IMB_AES256_GCM_PRE(mgr, key, &keys.keys.gcm);
      std::memcpy(params.salt, key + 32, 4);
      break;
  }
  if (imb_get_errno(mgr) != 0) return fail(error, "Intel IPsec-MB key expansion failed", params, keys);

  if (auth != EspAuth::None &&
      !hmac_precompute_pads(auth, auth_key, keys.hmac_ipad, keys.hmac_opad)) {
    return fail(error, "HMAC key precomputation failed", params, keys);
  }
  return true;
}

}  // namespace l2tpgw
