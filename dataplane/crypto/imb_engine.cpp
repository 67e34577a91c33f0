// SPDX-License-Identifier: Apache-2.0
// Per-worker ESP crypto engine: burst submission to IPsec-MB managers, ICV checks.
#include "dataplane/crypto/imb_engine.hpp"

#include <sys/random.h>

#include <cstring>

#include "common/crypto/bytes_equal.hpp"

// See sa_crypto.cpp: the DES low-level API takes a plain-data key schedule.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/des.h>

namespace l2tpgw::dp {

// ---------------------------------------------------------------------------------------
// Path choice by burst size (ImbPath::Auto).
//
// The AVX-512 manager's SHA-1/SHA-256/MD5 and DES code is 16-lane: a flush with few jobs
// in flight costs about as much as a full burst, so per packet it collapses at n=1..4.
// The SSE manager (SHA-NI, few lanes) and OpenSSL's one-block-at-a-time DES do not.
// Measured with tests/bench/engine_path_bench.cpp on this machine (AMD EPYC, AVX-512,
// VAES, SHA-NI; IPsec-MB 1.3, OpenSSL 3.0; one core), ns per packet, wide / narrow
// (narrow = SSE manager; for DES, OpenSSL cipher + SSE-manager HMAC):
//
//   suite            bytes dir    n=1          n=2          n=4          n=8         n=16
//   aes128-cbc+sha1     64 enc   866/329      432/171      195/120      149/109     106/105
//   aes128-cbc+sha1   1408 enc  3046/1833    1602/997      867/728      469/558     260/564
//   aes128-cbc+sha1   1408 dec  2048/875     1108/552      617/545      373/539     227/523
//   aes256-cbc+sha256 1408 dec  4770/1112    2454/817     1467/829      706/894     446/931
//   aes128-cbc+md5    1408 enc  6706/7230    5167/5476    2083/1829    1226/1236    504/1103
//   des-cbc+sha1      1408 enc 116361/22086 27256/14592 13239/14735   6686/14568  3786/24790
//   3des-cbc+sha1       64 enc  7245/1801    3716/1778    2817/2508    1372/2044    633/1800
//   3des-cbc+sha1     1408 enc 177212/43828 91354/43084 44801/43131  19596/38212  9747/36941
//   3des-cbc+sha1     1408 dec 150528/38150 75339/35999 37690/36497  19053/36017  9511/35992
//
// Choice: CBC+HMAC bursts of fewer than 8 AES packets go to the SSE manager (at 8 the
// wide one wins for full-size packets and loses a little for 64-byte ones); DES/3DES
// bursts of fewer than 5 packets use OpenSSL (break-even at 4). GCM always runs on the
// wide manager: its GHASH tables are arch-specific, and IPsec-MB runs a GCM job when it
// is submitted (no lanes to fill), so small bursts do not wait for a flush.
//
// Submission order. A multi-buffer manager runs its lanes in lockstep: each step advances
// every busy lane by the shortest one's remaining length and completes that job, whose lane
// the next submission refills. Submitted in arrival order, a mixed burst leaves its longest
// jobs to the final flush, which runs the 16-lane code for the few lanes still busy. Longest
// first (as a scheduler packs long tasks first), the short jobs fill the lanes around the
// long ones and the flush is left a few short jobs. Bursts whose lengths fall in more than
// one 128-byte class are submitted that way (a counting sort on length / 128); others in
// arrival order. IMIX (7:4:1 of 64/576/1400-byte packets), AES-128-CBC+SHA1, both orders
// alternated round by round in one process, best rounds in cycles a packet: one session
// upstream 442-491 against 500-632, downstream 537-624 against 595-687; 10,000 sessions
// upstream 506-507 against 567-572, downstream 590-594 against 644-648 (AES-256-CBC+
// SHA256: 599 against 716 and 742 against 821). Bursts of one size: within 2 cycles.
// ---------------------------------------------------------------------------------------
namespace {

// CBC+HMAC bursts with fewer AES packets than this go to the SSE (SHA-NI) manager.
constexpr uint16_t kAesWideMinBurst = 8;
// DES/3DES bursts with fewer packets than this use OpenSSL for the cipher (and the SSE
// manager for the HMAC).
constexpr uint16_t kDesWideMinBurst = 5;


// OpenSSL DES/3DES-CBC in place over the op's ciphertext (RFC 2405, RFC 2451).
void ossl_des_cbc(const CryptoOp& op, bool encrypt) {
  const SaCryptoKeys& keys = *op.keys;
  DES_cblock iv;
  std::memcpy(iv, op.esp + kEspHeaderLen, 8);
  uint8_t* p = op.esp + kEspHeaderLen + 8;
  const int enc = encrypt ? DES_ENCRYPT : DES_DECRYPT;
  // Copies keep the shared-memory bytes free of type punning; 128-384 bytes per packet
  // is noise next to DES itself.
  DES_key_schedule ks[3];
  const int nkeys = op.sa->cipher == EspCipher::DesCbc ? 1 : 3;
  for (int k = 0; k < nkeys; ++k) std::memcpy(&ks[k], keys.keys.des.ossl[k], sizeof(ks[k]));
  if (nkeys == 1) {
    DES_ncbc_encrypt(p, p, op.payload_len, &ks[0], &iv, enc);
  } else {
    DES_ede3_cbc_encrypt(p, p, op.payload_len, &ks[0], &ks[1], &ks[2], &iv, enc);
  }
}

}  // namespace

ImbEngine::~ImbEngine() {
  if (wide_ != nullptr) free_mb_mgr(wide_);
  if (narrow_ != nullptr) free_mb_mgr(narrow_);
  OPENSSL_cleanse(ctr_enc_keys_, sizeof(ctr_enc_keys_));
  OPENSSL_cleanse(ctr_dec_keys_, sizeof(ctr_dec_keys_));
}

bool ImbEngine::init(std::string* error) {
  auto fail = [error](const char* what) {
    if (error != nullptr) *error = what;
    return false;
  };
  if (wide_ != nullptr) return fail("ImbEngine::init called twice");
  wide_ = alloc_mb_mgr(0);
  narrow_ = alloc_mb_mgr(0);
  if (wide_ == nullptr || narrow_ == nullptr) return fail("cannot allocate IPsec-MB managers");
  IMB_ARCH arch = IMB_ARCH_NONE;
  init_mb_mgr_auto(wide_, &arch);
  if (imb_get_errno(wide_) != 0 || arch == IMB_ARCH_NONE) {
    return fail("init_mb_mgr_auto failed");
  }
  init_mb_mgr_sse(narrow_);
  if (imb_get_errno(narrow_) != 0) return fail("init_mb_mgr_sse failed");
  wide_arch_ = static_cast<int>(arch);
  wide_des_ok_ = arch == IMB_ARCH_AVX512;

  // RFC 3602 §2.1 wants CBC IVs that an attacker cannot predict: AES-CTR under a random
  // per-worker key gives that at one AES block per IV, generated a burst at a time.
  uint8_t seed[16 + 4];
  if (getrandom(seed, sizeof(seed), 0) != static_cast<ssize_t>(sizeof(seed))) {
    return fail("getrandom failed");
  }
  IMB_AES_KEYEXP_128(wide_, seed, ctr_enc_keys_, ctr_dec_keys_);
  std::memset(ctr_block_, 0, sizeof(ctr_block_));
  std::memcpy(ctr_block_, seed + 16, 4);
  OPENSSL_cleanse(seed, sizeof(seed));
  return true;
}

// Fills iv_stream_ with `blocks` fresh keystream blocks. Counter block layout:
// nonce(4) | burst number (8, big-endian) | block index (4) -- the block index never
// exceeds kMaxBurst, so bursts never share a counter value.
void ImbEngine::fill_iv_stream(uint16_t blocks) {
  uint64_t c = ++ctr_bursts_;
  for (int b = 11; b >= 4; --b) {
    ctr_block_[b] = static_cast<uint8_t>(c);
    c >>= 8;
  }
  IMB_JOB* job = IMB_GET_NEXT_JOB(wide_);
  job->cipher_mode = IMB_CIPHER_CNTR;
  job->cipher_direction = IMB_DIR_ENCRYPT;
  job->chain_order = IMB_ORDER_CIPHER_HASH;
  job->hash_alg = IMB_AUTH_NULL;
  job->enc_keys = ctr_enc_keys_;
  job->dec_keys = ctr_enc_keys_;
  job->key_len_in_bytes = IMB_KEY_128_BYTES;
  job->src = zeros_;
  job->dst = iv_stream_;
  job->cipher_start_src_offset_in_bytes = 0;
  job->msg_len_to_cipher_in_bytes = uint64_t{blocks} * 16;
  job->hash_start_src_offset_in_bytes = 0;
  job->msg_len_to_hash_in_bytes = 0;
  job->iv = ctr_block_;
  job->iv_len_in_bytes = 16;
  job->auth_tag_output = nullptr;
  job->auth_tag_output_len_in_bytes = 0;
  job->user_data = nullptr;
  job->user_data2 = nullptr;
  IMB_JOB* done = submit(wide_);
  while (done == nullptr) done = IMB_FLUSH_JOB(wide_);
  // The manager was empty, so `done` is this job. A CTR job cannot fail with valid
  // arguments; should it, the stream is still key-dependent garbage, never zeros.
}

namespace {

// What lane_of() reads of an SA: its algorithms and the arch it was prepared for.
constexpr uint32_t lane_kind(const SaCryptoParams& sa) {
  return uint32_t{static_cast<uint8_t>(sa.cipher)} | uint32_t{static_cast<uint8_t>(sa.auth)} << 8 |
         uint32_t{sa.imb_arch} << 16;
}
constexpr uint32_t kNoKind = UINT32_MAX;  // no SA: never an SA's lane_kind

}  // namespace

// What an SA's ops need, before the burst's size picks the managers.
ImbEngine::Lane ImbEngine::lane_of(const SaCryptoParams* sa) const {
  // A pair sa_crypto_prepare() would not have made never reaches a manager (the jobs are
  // submitted without the library's argument checks, set_checked_submit()).
  if (sa == nullptr || sa->imb_arch != wide_arch_ || !esp_pair_allowed(sa->cipher, sa->auth)) {
    return Lane::Skip;
  }
  if (is_gcm(sa->cipher)) return Lane::Wide;  // GHASH tables are laid out for the wide arch
  return is_des(sa->cipher) ? Lane::Ossl : Lane::Narrow;
}

void ImbEngine::plan(CryptoOp* ops, uint16_t n) {
  uint32_t n_aes = 0, n_des = 0;
  // An SA's lane depends on its kind alone, and consecutive ops are mostly of one SA (one
  // client's packets) or of one kind (many clients with the same proposal): lane_of runs
  // when the kind changes, not for every SA of a burst of many clients (about 3 cycles a
  // packet at 10,000 sessions, 64 bytes).
  const SaCryptoParams* run_sa = nullptr;
  uint32_t run_kind = kNoKind;  // lane_of(nullptr) is Skip
  Lane run_lane = Lane::Skip;
  for (uint16_t i = 0; i < n; ++i) {
    CryptoOp& op = ops[i];
    op.ok = false;
    if (op.sa != run_sa) {
      run_sa = op.sa;
      const uint32_t kind = run_sa != nullptr ? lane_kind(*run_sa) : kNoKind;
      if (kind != run_kind) {
        run_kind = kind;
        run_lane = lane_of(run_sa);
      }
    }
    const bool len_ok = run_lane != Lane::Skip && op.keys != nullptr && op.payload_len != 0 &&
                        (op.payload_len & (run_sa->block_align - 1u)) == 0;
    const Lane l = len_ok ? run_lane : Lane::Skip;
    lane_[i] = l;
    n_aes += l == Lane::Narrow;
    n_des += l == Lane::Ossl;
  }
  // The burst's size decides where the narrow and OpenSSL lanes really go (route()).
  const bool aes_wide =
      path_ == ImbPath::Wide || (path_ == ImbPath::Auto && n_aes >= kAesWideMinBurst);
  const bool des_wide =
      wide_des_ok_ &&
      (path_ == ImbPath::Wide || (path_ == ImbPath::Auto && n_des >= kDesWideMinBurst));
  route_[static_cast<size_t>(Lane::Narrow)] = aes_wide ? Lane::Wide : Lane::Narrow;
  route_[static_cast<size_t>(Lane::Ossl)] = des_wide ? Lane::Wide : Lane::Ossl;
  // GCM jobs run when submitted: their order does not matter.
  by_length_ = n_aes + n_des > 1 && order_longest_first(ops, n);
}

// order_[] = the ops by payload length / 128, longest first, arrival order within a class
// (a stable counting sort). False, with order_ untouched, when every op is in one class.
bool ImbEngine::order_longest_first(const CryptoOp* ops, uint16_t n) {
  constexpr uint32_t kClasses = 16;  // 128-byte classes; 1,920 bytes and over share the top one
  auto class_of = [](const CryptoOp& op) {
    const uint32_t c = op.payload_len >> 7;
    return kClasses - 1 - (c < kClasses ? c : kClasses - 1);  // 0 = longest
  };
  uint16_t start[kClasses + 1] = {};
  uint32_t seen = 0;
  for (uint16_t i = 0; i < n; ++i) {
    const uint32_t c = class_of(ops[i]);
    seen |= 1u << c;
    ++start[c + 1];
  }
  if ((seen & (seen - 1)) == 0) return false;
  for (uint32_t c = 1; c <= kClasses; ++c) start[c] = static_cast<uint16_t>(start[c] + start[c - 1]);
  for (uint16_t i = 0; i < n; ++i) order_[start[class_of(ops[i])]++] = i;
  return true;
}

// Inlined into the burst loops: once per packet, and most branches fold away there.
[[gnu::always_inline]] inline void ImbEngine::fill_job(IMB_JOB* job, CryptoOp& op, uint16_t i,
                                                      bool decrypt, bool hash_only) {
  const SaCryptoParams& sa = *op.sa;
  const SaCryptoKeys& keys = *op.keys;
  const uint32_t hdr_iv = kEspHeaderLen + sa.iv_len;
  job->src = op.esp;
  job->dst = op.esp + hdr_iv;
  job->cipher_start_src_offset_in_bytes = hdr_iv;
  job->msg_len_to_cipher_in_bytes = op.payload_len;
  job->iv = op.esp + kEspHeaderLen;
  job->iv_len_in_bytes = sa.iv_len;
  job->cipher_direction = decrypt ? IMB_DIR_DECRYPT : IMB_DIR_ENCRYPT;
  // Encrypt-then-MAC (RFC 4303 §3.3.2); inbound the ICV is computed over the ciphertext.
  job->chain_order = decrypt ? IMB_ORDER_HASH_CIPHER : IMB_ORDER_CIPHER_HASH;
  job->auth_tag_output = decrypt ? tag_[i] : op.icv;
  job->auth_tag_output_len_in_bytes = sa.icv_len;
  job->user_data = &op;
  job->user_data2 = reinterpret_cast<void*>(static_cast<uintptr_t>(i));

  if (is_gcm(sa.cipher)) {
    // RFC 4106 §4: nonce = salt(4) || explicit IV(8); §5: AAD = SPI || seq (no ESN).
    std::memcpy(nonce_[i], sa.salt, 4);
    std::memcpy(nonce_[i] + 4, op.esp + kEspHeaderLen, 8);
    job->cipher_mode = IMB_CIPHER_GCM;
    job->hash_alg = IMB_AUTH_AES_GMAC;
    job->enc_keys = &keys.keys.gcm;
    job->dec_keys = &keys.keys.gcm;
    job->key_len_in_bytes = sa.cipher_key_len;
    job->iv = nonce_[i];
    job->iv_len_in_bytes = 12;
    job->hash_start_src_offset_in_bytes = hdr_iv;
    job->msg_len_to_hash_in_bytes = op.payload_len;
    job->u.GCM.aad = op.esp;
    job->u.GCM.aad_len_in_bytes = kEspHeaderLen;
    return;
  }

  // HMAC over SPI | seq | IV | ciphertext (RFC 4303 §3.3.2), truncated (RFC 2404 §2).
  job->hash_alg = imb_hash_alg(sa.auth);
  job->hash_start_src_offset_in_bytes = 0;
  job->msg_len_to_hash_in_bytes = hdr_iv + op.payload_len;
  job->u.HMAC._hashed_auth_key_xor_ipad = keys.hmac_ipad;
  job->u.HMAC._hashed_auth_key_xor_opad = keys.hmac_opad;
  if (hash_only) {
    job->cipher_mode = IMB_CIPHER_NULL;
    job->enc_keys = nullptr;
    job->dec_keys = nullptr;
    job->key_len_in_bytes = 0;
    job->msg_len_to_cipher_in_bytes = 0;
    return;
  }
  switch (sa.cipher) {
    case EspCipher::AesCbc128:
    case EspCipher::AesCbc256:
      job->cipher_mode = IMB_CIPHER_CBC;
      job->enc_keys = keys.keys.aes.enc;
      job->dec_keys = keys.keys.aes.dec;
      break;
    case EspCipher::DesCbc:
      job->cipher_mode = IMB_CIPHER_DES;
      job->enc_keys = keys.keys.des.imb[0];
      job->dec_keys = keys.keys.des.imb[0];
      break;
    case EspCipher::TdesCbc:
      des3_keys_[i][0] = keys.keys.des.imb[0];
      des3_keys_[i][1] = keys.keys.des.imb[1];
      des3_keys_[i][2] = keys.keys.des.imb[2];
      job->cipher_mode = IMB_CIPHER_DES3;
      job->enc_keys = des3_keys_[i];
      job->dec_keys = des3_keys_[i];
      break;
    case EspCipher::AesGcm128:
    case EspCipher::AesGcm256:
      break;  // handled above
  }
  job->key_len_in_bytes = sa.cipher_key_len;
}

[[gnu::always_inline]] inline void ImbEngine::complete(IMB_JOB* job, bool decrypt) {
  if (job->user_data == nullptr) return;
  CryptoOp& op = *static_cast<CryptoOp*>(job->user_data);
  const auto i = static_cast<uint16_t>(reinterpret_cast<uintptr_t>(job->user_data2));
  bool ok = job->status == IMB_STATUS_COMPLETED;
  if (decrypt && ok) {
    ok = bytes_equal(tag_[i], op.icv, op.sa->icv_len);  // constant time
    if (ok && route(i) == Lane::Ossl) ossl_des_cbc(op, false);
  }
  op.ok = ok;
}

void ImbEngine::flush_all(bool decrypt) {
  IMB_JOB* job;
  while ((job = IMB_FLUSH_JOB(wide_)) != nullptr) complete(job, decrypt);
  while ((job = IMB_FLUSH_JOB(narrow_)) != nullptr) complete(job, decrypt);
}

void ImbEngine::decrypt_burst(CryptoOp* ops, uint16_t n) {
  if (n > kMaxBurst) n = kMaxBurst;
  plan(ops, n);
  for (uint16_t j = 0; j < n; ++j) {
    const uint16_t i = op_at(j);
    const Lane l = route(i);
    if (l == Lane::Skip) continue;
    IMB_MGR* mgr = l == Lane::Wide ? wide_ : narrow_;
    IMB_JOB* job = IMB_GET_NEXT_JOB(mgr);
    fill_job(job, ops[i], i, true, l == Lane::Ossl);
    IMB_JOB* done = submit(mgr);
    while (done != nullptr) {
      complete(done, true);
      done = IMB_GET_COMPLETED_JOB(mgr);
    }
  }
  flush_all(true);
}

void ImbEngine::encrypt_burst(CryptoOp* ops, uint16_t n) {
  if (n > kMaxBurst) n = kMaxBurst;
  plan(ops, n);

  uint16_t n_cbc = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (lane_[i] != Lane::Skip && !is_gcm(ops[i].sa->cipher)) ++n_cbc;
  }
  if (n_cbc != 0) fill_iv_stream(n_cbc);

  uint16_t k = 0;
  for (uint16_t j = 0; j < n; ++j) {
    const uint16_t i = op_at(j);
    const Lane l = route(i);
    if (l == Lane::Skip) continue;
    CryptoOp& op = ops[i];
    uint8_t* iv = op.esp + kEspHeaderLen;
    if (is_gcm(op.sa->cipher)) {
      // RFC 4106 §3.1: the IV must not repeat under a key; the SA's sequence number
      // (never reused without rekeying, no ESN) zero-extended to 64 bits gives that.
      std::memset(iv, 0, 4);
      std::memcpy(iv + 4, op.esp + 4, 4);
    } else {
      std::memcpy(iv, iv_stream_ + 16 * k++, op.sa->iv_len);
    }
    if (l == Lane::Ossl) ossl_des_cbc(op, true);

    IMB_MGR* mgr = l == Lane::Wide ? wide_ : narrow_;
    IMB_JOB* job = IMB_GET_NEXT_JOB(mgr);
    fill_job(job, op, i, false, l == Lane::Ossl);
    IMB_JOB* done = submit(mgr);
    while (done != nullptr) {
      complete(done, false);
      done = IMB_GET_COMPLETED_JOB(mgr);
    }
  }
  flush_all(false);
}

}  // namespace l2tpgw::dp
