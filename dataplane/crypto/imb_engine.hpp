// SPDX-License-Identifier: Apache-2.0
// Per-worker ESP crypto engine over Intel IPsec-MB multi-buffer managers.
#pragma once

#include <cstdint>
#include <string>

#include <intel-ipsec-mb.h>

#include "common/crypto/sa_crypto.hpp"

namespace l2tpgw::dp {

// One ESP packet's crypto work, in place.
//
//   esp ->  | SPI (4) | Seq (4) | IV (iv_len) | ciphertext (payload_len) | ICV (icv_len) |
//
// The ICV covers SPI..ciphertext (RFC 4303 §3.3.2 for HMAC, RFC 4106 §5 AAD for GCM).
struct CryptoOp {
  const SaCryptoParams* sa;  // algorithms and lengths
  const SaCryptoKeys* keys;  // the same SA's keys
  uint8_t* esp;          // ESP header (SPI, seq); IV at esp+8; ciphertext at esp+8+iv_len
  uint32_t payload_len;  // ciphertext bytes (already padded; multiple of block_align)
  uint8_t* icv;          // ICV location (normally esp+8+iv_len+payload_len)
  bool ok;               // out
};

// Which managers serve a burst. Auto is the production policy (see imb_engine.cpp for
// the measurements behind it); the forced values exist for the benchmarks.
enum class ImbPath : uint8_t {
  Auto,
  Wide,    // AVX-512 manager for everything
  Narrow,  // SSE manager (SHA-NI) for CBC+HMAC; OpenSSL for the DES/3DES cipher
};

// One per worker; not thread-safe; owns its managers. Nothing in decrypt_burst() or
// encrypt_burst() allocates, locks, makes a syscall, logs, throws or calls virtually.
class ImbEngine {
 public:
  static constexpr uint16_t kMaxBurst = 64;

  ImbEngine() = default;
  ~ImbEngine();
  ImbEngine(const ImbEngine&) = delete;
  ImbEngine& operator=(const ImbEngine&) = delete;

  // Allocates the managers and keys the IV generator from getrandom(). Startup only.
  // Returns false with a reason in *error (never key material).
  bool init(std::string* error);

  // Inbound: verifies the ICV (constant-time compare) and decrypts in place.
  // ops[i].ok = false on ICV mismatch, a job error, an SA prepared for another IMB
  // architecture or a length that is not a multiple of block_align; the other ops of
  // the burst are unaffected. The plaintext of a failed op is unspecified (it may have
  // been decrypted in place): the caller drops it. n <= kMaxBurst.
  void decrypt_burst(CryptoOp* ops, uint16_t n);

  // Outbound: writes a fresh IV at esp+8, encrypts in place and writes the ICV.
  // CBC IVs come from a per-worker AES-CTR stream under a random key (RFC 3602 §2.1:
  // unpredictable); the GCM IV is the zero-extended 32-bit sequence number read from
  // esp[4..8) (RFC 4106 §3.1: unique per key, since seq never repeats under one SA).
  // The caller wrote SPI+seq at esp[0..8) and plaintext, padding, pad length and next
  // header at the ciphertext location. ops[i].ok as for decrypt_burst. n <= kMaxBurst.
  void encrypt_burst(CryptoOp* ops, uint16_t n);

  // The IMB_ARCH of the wide manager; SAs must be prepared with the same one.
  int arch() const { return wide_arch_; }

  void set_path(ImbPath p) { path_ = p; }

  // Whether jobs go through IMB_SUBMIT_JOB, which validates every job's arguments, or
  // IMB_SUBMIT_JOB_NOCHECK. The validation costs about 30 cycles a job (a seventh of a
  // 64-byte packet's whole crypto); the engine builds every job from an SA that
  // sa_crypto_prepare() checked and from lengths that plan() checked, as DPDK's aesni_mb
  // PMD and IPsec-MB's own ipsec_perf do in their release builds. Debug builds and the
  // unit tests keep the library's validation (a job it rejects fails its op).
  void set_checked_submit(bool on) { checked_submit_ = on; }
  bool checked_submit() const { return checked_submit_; }

 private:
  enum class Lane : uint8_t { Skip, Wide, Narrow, Ossl };

  IMB_JOB* submit(IMB_MGR* mgr) {
    return checked_submit_ ? IMB_SUBMIT_JOB(mgr) : IMB_SUBMIT_JOB_NOCHECK(mgr);
  }
  Lane lane_of(const SaCryptoParams* sa) const;
  // Where op i goes in this burst: its SA's lane, as the burst's size routes it (plan()).
  Lane route(uint16_t i) const { return route_[static_cast<size_t>(lane_[i])]; }
  void plan(CryptoOp* ops, uint16_t n);
  // The op submitted j-th: longest first when the burst's lengths differ (plan()).
  uint16_t op_at(uint16_t j) const { return by_length_ ? order_[j] : j; }
  bool order_longest_first(const CryptoOp* ops, uint16_t n);
  void fill_iv_stream(uint16_t blocks);
  void complete(IMB_JOB* job, bool decrypt);
  void flush_all(bool decrypt);
  void fill_job(IMB_JOB* job, CryptoOp& op, uint16_t i, bool decrypt, bool hash_only);

  IMB_MGR* wide_ = nullptr;    // init_mb_mgr_auto: AVX-512 here
  IMB_MGR* narrow_ = nullptr;  // init_mb_mgr_sse: SHA-NI, few lanes
  int wide_arch_ = 0;
  bool wide_des_ok_ = false;   // only the AVX-512 DES code is usable (1.3)
  ImbPath path_ = ImbPath::Auto;
#ifdef NDEBUG
  bool checked_submit_ = false;
#else
  bool checked_submit_ = true;
#endif

  alignas(64) uint8_t tag_[kMaxBurst][16];          // computed ICVs (decrypt)
  alignas(64) uint8_t nonce_[kMaxBurst][16];        // GCM salt || IV
  alignas(64) uint8_t iv_stream_[kMaxBurst * 16];   // CBC IVs for one burst
  alignas(64) uint8_t zeros_[kMaxBurst * 16] = {};  // CTR input
  alignas(16) uint8_t ctr_enc_keys_[15 * 16];       // IV generator key (AES-128)
  alignas(16) uint8_t ctr_dec_keys_[15 * 16];
  alignas(16) uint8_t ctr_block_[16];               // nonce(4) | burst counter(8) | 0(4)
  uint64_t ctr_bursts_ = 0;
  const void* des3_keys_[kMaxBurst][3];             // IMB DES3 wants three pointers
  Lane lane_[kMaxBurst];                            // what each op's SA needs (plan())
  uint16_t order_[kMaxBurst];                       // submission order when by_length_
  bool by_length_ = false;
  Lane route_[4] = {Lane::Skip, Lane::Wide, Lane::Narrow, Lane::Ossl};  // by Lane
};

}  // namespace l2tpgw::dp
