// SPDX-License-Identifier: Apache-2.0
// Tests for common/crypto/sa_crypto: RFC 2202/4231 HMAC through the prepared pad states.
#include "common/crypto/sa_crypto.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "vector_file.hpp"

namespace l2tpgw {
namespace {

using test::from_hex;
using test::load_vectors;
using test::to_hex;

// Runs one IPsec-MB HMAC job with the given pad states (the way the engine does).
std::string imb_hmac(EspAuth auth, const uint8_t* ipad, const uint8_t* opad,
                     const std::vector<uint8_t>& data, size_t tag_len) {
  IMB_MGR* mgr = alloc_mb_mgr(0);
  IMB_ARCH arch;
  init_mb_mgr_auto(mgr, &arch);
  uint8_t tag[32] = {};
  IMB_JOB* job = IMB_GET_NEXT_JOB(mgr);
  job->cipher_mode = IMB_CIPHER_NULL;
  job->cipher_direction = IMB_DIR_ENCRYPT;
  job->chain_order = IMB_ORDER_CIPHER_HASH;
  job->hash_alg = auth == EspAuth::HmacMd5_96       ? IMB_AUTH_MD5
                  : auth == EspAuth::HmacSha1_96    ? IMB_AUTH_HMAC_SHA_1
                                                    : IMB_AUTH_HMAC_SHA_256;
  job->src = data.data();
  job->dst = nullptr;
  job->msg_len_to_cipher_in_bytes = 0;
  job->cipher_start_src_offset_in_bytes = 0;
  job->hash_start_src_offset_in_bytes = 0;
  job->msg_len_to_hash_in_bytes = data.size();
  job->auth_tag_output = tag;
  job->auth_tag_output_len_in_bytes = tag_len;
  job->u.HMAC._hashed_auth_key_xor_ipad = ipad;
  job->u.HMAC._hashed_auth_key_xor_opad = opad;
  IMB_JOB* done = IMB_SUBMIT_JOB(mgr);
  while (done == nullptr) done = IMB_FLUSH_JOB(mgr);
  EXPECT_EQ(done->status, IMB_STATUS_COMPLETED) << imb_get_strerror(imb_get_errno(mgr));
  free_mb_mgr(mgr);
  return to_hex(tag, tag_len);
}

struct HmacFile {
  const char* file;
  EspAuth auth;
};

class HmacVectors : public ::testing::TestWithParam<HmacFile> {};

// Every case, any key length, at the full digest length where IPsec-MB allows it and at
// the ESP ICV length (RFC 2403/2404 96 bits, RFC 4868 128 bits).
TEST_P(HmacVectors, PadStatesGiveThePublishedDigest) {
  const HmacFile& f = GetParam();
  const auto recs = load_vectors(f.file);
  ASSERT_EQ(recs.size(), 7u);
  for (const auto& r : recs) {
    const auto key = from_hex(r.at("key"));
    const auto data = from_hex(r.at("data"));
    const std::string& digest = r.at("digest");
    uint8_t ipad[32], opad[32];
    ASSERT_TRUE(hmac_precompute_pads(f.auth, key, ipad, opad));
    const size_t icv = info(f.auth).icv_len;
    EXPECT_EQ(imb_hmac(f.auth, ipad, opad, data, icv), digest.substr(0, 2 * icv))
        << f.file << " case " << r.at("case");
    if (f.auth != EspAuth::HmacMd5_96 && digest.size() / 2 == info(f.auth).digest_len) {
      EXPECT_EQ(imb_hmac(f.auth, ipad, opad, data, info(f.auth).digest_len), digest)
          << f.file << " case " << r.at("case");
    }
  }
}

// The cases whose key has the ESP key length also go through sa_crypto_prepare().
TEST_P(HmacVectors, PrepareAcceptsEspLengthKeysAndMatches) {
  const HmacFile& f = GetParam();
  int used = 0;
  for (const auto& r : load_vectors(f.file)) {
    const auto key = from_hex(r.at("key"));
    if (key.size() != info(f.auth).key_len) continue;
    SaCrypto sa;
    std::vector<uint8_t> aes(16, 0x42);
    std::string err;
    ASSERT_TRUE(sa_crypto_prepare(EspCipher::AesCbc128, f.auth, aes, key, sa, &err)) << err;
    const size_t icv = sa.params.icv_len;
    EXPECT_EQ(imb_hmac(f.auth, sa.keys.hmac_ipad, sa.keys.hmac_opad, from_hex(r.at("data")), icv),
              r.at("digest").substr(0, 2 * icv))
        << f.file << " case " << r.at("case");
    ++used;
  }
  // SHA-256 has no RFC 4231 case with a 32-byte key; the pad-state test covers it.
  if (f.auth != EspAuth::HmacSha256_128) {
    EXPECT_GE(used, 3);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rfc, HmacVectors,
    ::testing::Values(HmacFile{"rfc2202/hmac_md5.txt", EspAuth::HmacMd5_96},
                      HmacFile{"rfc2202/hmac_sha1.txt", EspAuth::HmacSha1_96},
                      HmacFile{"rfc4231/hmac_sha256.txt", EspAuth::HmacSha256_128}));

// The parameters and the keys (not the padding between them in an SaCrypto).
bool all_zero(const SaCrypto& sa) {
  auto zero = [](const auto& v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    return std::all_of(p, p + sizeof(v), [](uint8_t b) { return b == 0; });
  };
  return zero(sa.params) && zero(sa.keys);
}

TEST(SaCryptoPrepare, FillsDescriptor) {
  SaCrypto sa;
  std::vector<uint8_t> km(20, 0x11);
  km[16] = 0xde, km[17] = 0xad, km[18] = 0xbe, km[19] = 0xef;
  ASSERT_TRUE(sa_crypto_prepare(EspCipher::AesGcm128, EspAuth::None, km, {}, sa));
  EXPECT_EQ(sa.params.cipher, EspCipher::AesGcm128);
  EXPECT_EQ(sa.params.iv_len, 8);
  EXPECT_EQ(sa.params.icv_len, 16);
  EXPECT_EQ(sa.params.block_align, 4);
  EXPECT_EQ(sa.params.cipher_key_len, 16);
  EXPECT_EQ(to_hex(sa.params.salt, 4), "deadbeef");
  EXPECT_EQ(sa.params.imb_arch, sa_crypto_imb_arch());
  EXPECT_NE(sa.params.imb_arch, IMB_ARCH_NONE);

  std::vector<uint8_t> k3(24, 0x01), a(20, 0x02);
  ASSERT_TRUE(sa_crypto_prepare(EspCipher::TdesCbc, EspAuth::HmacSha1_96, k3, a, sa));
  EXPECT_EQ(sa.params.block_align, 8);
  EXPECT_EQ(sa.params.icv_len, 12);
  EXPECT_EQ(sa.params.cipher_key_len, 24);
}

// The GCM hot lines name what the precomputation wrote: every line prefetched holds key
// bytes (a prefetch of an unused line would be zero here, the keys being wiped first), and
// on the VAES layout nothing follows HashKey^1, the last line prefetched.
TEST(SaCryptoPrepare, GcmHotLinesHoldTheKeyAndLowestGhashPowers) {
  for (EspCipher c : {EspCipher::AesGcm128, EspCipher::AesGcm256}) {
    SCOPED_TRACE(static_cast<int>(c));
    SaCrypto sa;
    sa_crypto_wipe(sa);
    std::vector<uint8_t> km(esp_enc_keymat_len(c), 0x5c);
    ASSERT_TRUE(sa_crypto_prepare(c, EspAuth::None, km, {}, sa));
    EXPECT_NE(sa.params.ghash_layout, GhashLayout::None);
    if (sa.params.imb_arch == IMB_ARCH_AVX512) {
      EXPECT_NE(sa.params.ghash_layout, GhashLayout::SseAvx);
    }
    const SaCryptoHotLines hot = sa_crypto_hot_lines(c, EspAuth::None, true, sa.params.ghash_layout);
    const auto* p = reinterpret_cast<const uint8_t*>(&sa.keys);
    auto line_used = [&](uint32_t l) {
      return std::any_of(p + 64 * l, p + 64 * (l + 1), [](uint8_t b) { return b != 0; });
    };
    ASSERT_GT(hot.count, 3u);  // the key's lines and the GHASH powers'
    for (size_t i = 0; i < hot.count; ++i) EXPECT_TRUE(line_used(hot_line(hot, i))) << hot_line(hot, i);
    if (sa.params.ghash_layout == GhashLayout::VaesAvx512) {
      const size_t after_h1 = offsetof(SaCryptoKeys, keys) + 15 * 16 + 48 * 16;
      EXPECT_TRUE(std::all_of(p + after_h1, p + offsetof(SaCryptoKeys, hmac_ipad), [](uint8_t b) { return b == 0; }));
    }
  }
}

TEST(SaCryptoPrepare, RejectsAndWipes) {
  const std::vector<uint8_t> k16(16, 0xab), k20(20, 0xab), k32(32, 0xab);
  struct Case {
    EspCipher c;
    EspAuth a;
    const std::vector<uint8_t>& enc;
    const std::vector<uint8_t>& auth;
  } cases[] = {
      {EspCipher::AesGcm128, EspAuth::HmacSha1_96, k20, k20},  // GCM with an HMAC
      {EspCipher::AesCbc128, EspAuth::None, k16, {}},           // CBC without one
      {EspCipher::AesCbc128, EspAuth::HmacSha1_96, k20, k20},  // wrong cipher key length
      {EspCipher::AesGcm128, EspAuth::None, k16, {}},           // GCM without salt
      {EspCipher::AesCbc256, EspAuth::HmacSha256_128, k32, k20},  // wrong auth key length
      {static_cast<EspCipher>(0), EspAuth::HmacSha1_96, k16, k20},
  };
  for (const auto& c : cases) {
    SaCrypto sa;
    std::memset(&sa, 0x5a, sizeof(sa));
    std::string err;
    EXPECT_FALSE(sa_crypto_prepare(c.c, c.a, c.enc, c.auth, sa, &err));
    EXPECT_FALSE(err.empty());
    EXPECT_EQ(err.find("abab"), std::string::npos);  // no key bytes in messages
    EXPECT_TRUE(all_zero(sa));
  }
  EXPECT_FALSE(hmac_precompute_pads(EspAuth::None, k20, nullptr, nullptr));
}

}  // namespace
}  // namespace l2tpgw
