// SPDX-License-Identifier: Apache-2.0
// Bare Intel IPsec-MB ESP crypto loop (job API, whole bursts) for reference figures.
#include "raw_imb.hpp"

#include <x86intrin.h>

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <random>
#include <type_traits>
#include <vector>

#include <intel-ipsec-mb.h>

#include "common/crypto/sa_crypto.hpp"

namespace l2tpgw::bench {
namespace {

// n SaCrypto, zero-filled; nullptr if they cannot be had. Many go on memory the kernel may
// back with 2 MB pages (as the dataplane's hugepage memzone is). One stays where it always
// was, on the heap: a 2 MB-aligned key schedule shares its low address bits with the job
// buffers and the one-key reference measured ~15 cycles a 64-byte packet slower there.
SaCrypto* alloc_sas(uint32_t n) {
  constexpr size_t kHuge = size_t{2} << 20;
  const size_t align = n == 1 ? alignof(SaCrypto) : kHuge;
  const size_t bytes = (sizeof(SaCrypto) * n + align - 1) / align * align;
  void* p = std::aligned_alloc(align, bytes);
  if (p == nullptr) return nullptr;
  if (n > 1) madvise(p, bytes, MADV_HUGEPAGE);  // a hint: small pages work too
  std::memset(p, 0, bytes);
  return static_cast<SaCrypto*>(p);
}

}  // namespace

RawCryptoFigures measure_raw_imb(EspCipher cipher, EspAuth auth, bool encrypt,
                                 uint32_t cipher_len, uint32_t burst, double seconds,
                                 uint32_t esp_offset, bool nocheck, uint32_t n_keys) {
  if (!esp_pair_allowed(cipher, auth) || burst == 0 || burst > 128 || cipher_len == 0 || esp_offset > 63 ||
      cipher_len % info(cipher).block_align != 0 || n_keys == 0) {
    return {0, 0};
  }
  std::mt19937 rng(1);
  SaCrypto* sas = alloc_sas(n_keys);
  if (sas == nullptr) return {0, 0};
  auto release = [&] {
    for (uint32_t i = 0; i < n_keys; ++i) sa_crypto_wipe(sas[i]);
    std::free(sas);
  };
  std::vector<uint8_t> enc(esp_enc_keymat_len(cipher)), akey(auth == EspAuth::None ? 0 : info(auth).key_len);
  for (uint32_t i = 0; i < n_keys; ++i) {
    for (auto& b : enc) b = static_cast<uint8_t>(rng());
    for (auto& b : akey) b = static_cast<uint8_t>(rng());
    if (!sa_crypto_prepare(cipher, auth, enc, akey, sas[i])) {
      release();
      return {0, 0};
    }
  }
  const SaCryptoHotLines hot = sa_crypto_hot_lines(cipher, auth, !encrypt, sas[0].params.ghash_layout);
  IMB_MGR* mgr = alloc_mb_mgr(0);
  IMB_ARCH arch;
  init_mb_mgr_auto(mgr, &arch);

  const SaCrypto& first = sas[0];  // the lengths every SA shares
  const uint32_t hdr_iv = kEspHeaderLen + first.params.iv_len;
  const uint32_t stride = (esp_offset + hdr_iv + cipher_len + first.params.icv_len + 63) & ~63u;
  std::vector<uint8_t> bufs(size_t{stride} * burst + 64);
  uint8_t* base = bufs.data() + (64 - reinterpret_cast<uintptr_t>(bufs.data()) % 64) % 64;
  for (size_t i = 0; i < size_t{stride} * burst; ++i) base[i] = static_cast<uint8_t>(rng());
  std::vector<uint8_t> tags(size_t{16} * burst);
  std::vector<uint8_t> nonces(size_t{16} * burst);
  std::vector<std::array<const void*, 3>> des3(burst);
  std::vector<const SaCrypto*> job_sa(burst, &first);
  uint64_t next_job = 0;  // the fastpath bench's stride over the SAs (fastpath_bench.cpp pick())

  // One SA: its fields stay in registers across the burst, as they always did here.
  auto run_burst_of = [&](auto many) {
    if constexpr (many) {
      for (uint32_t i = 0; i < burst; ++i) {
        const SaCrypto* sa = &sas[(next_job++ * 7919) % n_keys];
        job_sa[i] = sa;
        _mm_prefetch(reinterpret_cast<const char*>(sa), _MM_HINT_T0);  // lengths, salt
        prefetch_sa_crypto(sa->keys, hot, hdr_iv + cipher_len + first.params.icv_len);
      }
    }
    for (uint32_t i = 0; i < burst; ++i) {
      const SaCrypto* sa = many ? job_sa[i] : &first;
      uint8_t* esp = base + size_t{stride} * i + esp_offset;
      IMB_JOB* job = IMB_GET_NEXT_JOB(mgr);
      job->src = esp;
      job->dst = esp + hdr_iv;
      job->cipher_start_src_offset_in_bytes = hdr_iv;
      job->msg_len_to_cipher_in_bytes = cipher_len;
      job->cipher_direction = encrypt ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
      job->chain_order = encrypt ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
      job->auth_tag_output = encrypt ? esp + hdr_iv + cipher_len : &tags[16 * i];
      job->auth_tag_output_len_in_bytes = sa->params.icv_len;
      job->key_len_in_bytes = sa->params.cipher_key_len;
      if (is_gcm(cipher)) {
        uint8_t* n = &nonces[16 * i];
        std::memcpy(n, sa->params.salt, 4);
        std::memcpy(n + 4, esp + 8, 8);
        job->cipher_mode = IMB_CIPHER_GCM;
        job->hash_alg = IMB_AUTH_AES_GMAC;
        job->enc_keys = job->dec_keys = &sa->keys.keys.gcm;
        job->iv = n;
        job->iv_len_in_bytes = 12;
        job->hash_start_src_offset_in_bytes = hdr_iv;
        job->msg_len_to_hash_in_bytes = cipher_len;
        job->u.GCM.aad = esp;
        job->u.GCM.aad_len_in_bytes = 8;
      } else {
        job->iv = esp + 8;
        job->iv_len_in_bytes = sa->params.iv_len;
        job->hash_alg = imb_hash_alg(auth);
        job->hash_start_src_offset_in_bytes = 0;
        job->msg_len_to_hash_in_bytes = hdr_iv + cipher_len;
        job->u.HMAC._hashed_auth_key_xor_ipad = sa->keys.hmac_ipad;
        job->u.HMAC._hashed_auth_key_xor_opad = sa->keys.hmac_opad;
        if (cipher == EspCipher::DesCbc) {
          job->cipher_mode = IMB_CIPHER_DES;
          job->enc_keys = job->dec_keys = sa->keys.keys.des.imb[0];
        } else if (cipher == EspCipher::TdesCbc) {
          des3[i] = {sa->keys.keys.des.imb[0], sa->keys.keys.des.imb[1], sa->keys.keys.des.imb[2]};
          job->cipher_mode = IMB_CIPHER_DES3;
          job->enc_keys = job->dec_keys = des3[i].data();
        } else {
          job->cipher_mode = IMB_CIPHER_CBC;
          job->enc_keys = sa->keys.keys.aes.enc;
          job->dec_keys = sa->keys.keys.aes.dec;
        }
      }
      IMB_JOB* done = nocheck ? IMB_SUBMIT_JOB_NOCHECK(mgr) : IMB_SUBMIT_JOB(mgr);
      while (done != nullptr) done = IMB_GET_COMPLETED_JOB(mgr);
    }
    while (IMB_FLUSH_JOB(mgr) != nullptr) {
    }
  };

  auto run_burst = [&] {
    if (n_keys > 1) run_burst_of(std::true_type{});
    else run_burst_of(std::false_type{});
  };
  for (int i = 0; i < 50; ++i) run_burst();  // warm-up
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const uint64_t c0 = __rdtsc();
  uint64_t packets = 0, best = UINT64_MAX;
  double elapsed = 0;
  do {
    const uint64_t g0 = __rdtsc();
    for (int i = 0; i < 64; ++i) run_burst();
    best = std::min<uint64_t>(best, __rdtsc() - g0);
    packets += uint64_t{64} * burst;
    elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  } while (elapsed < seconds);
  const uint64_t cycles = __rdtsc() - c0;

  free_mb_mgr(mgr);
  release();
  return {static_cast<double>(packets) / elapsed,
          static_cast<double>(cycles) / static_cast<double>(packets),
          static_cast<double>(best) / (64.0 * burst)};
}

}  // namespace l2tpgw::bench
