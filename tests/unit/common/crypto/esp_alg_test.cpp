// SPDX-License-Identifier: Apache-2.0
// Tests for common/crypto/esp_alg.hpp: RTX names, lengths and allowed pairs.
#include "common/crypto/esp_alg.hpp"

#include <gtest/gtest.h>

namespace l2tpgw {
namespace {

constexpr EspCipher kCiphers[] = {EspCipher::DesCbc,    EspCipher::TdesCbc,
                                  EspCipher::AesCbc128, EspCipher::AesCbc256,
                                  EspCipher::AesGcm128, EspCipher::AesGcm256};
constexpr EspAuth kAuths[] = {EspAuth::None, EspAuth::HmacMd5_96, EspAuth::HmacSha1_96,
                              EspAuth::HmacSha256_128};

TEST(EspAlg, RtxNamesRoundTrip) {
  for (EspCipher c : kCiphers) {
    EXPECT_EQ(parse_esp_cipher(format(c)), c) << format(c);
  }
  for (EspAuth a : kAuths) {
    if (a == EspAuth::None) continue;
    EXPECT_EQ(parse_esp_auth(format(a)), a) << format(a);
  }
  EXPECT_EQ(parse_esp_cipher("aes-cbc"), EspCipher::AesCbc128);
  EXPECT_EQ(parse_esp_cipher("aes256-gcm"), EspCipher::AesGcm256);
  EXPECT_EQ(parse_esp_auth("sha-hmac"), EspAuth::HmacSha1_96);
  EXPECT_EQ(parse_esp_auth("sha256-hmac"), EspAuth::HmacSha256_128);
  EXPECT_FALSE(parse_esp_cipher(""));
  EXPECT_FALSE(parse_esp_cipher("aes-CBC"));
  EXPECT_FALSE(parse_esp_cipher("aes128-cbc"));
  EXPECT_FALSE(parse_esp_auth(""));
  EXPECT_FALSE(parse_esp_auth("sha1-hmac"));
  EXPECT_EQ(format(static_cast<EspCipher>(0)), "");
  EXPECT_EQ(format(static_cast<EspCipher>(7)), "");
}

TEST(EspAlg, PairsCombinedModeNeedNoAuthCbcNeedsHmac) {
  for (EspCipher c : kCiphers) {
    for (EspAuth a : kAuths) {
      const bool want = is_gcm(c) ? a == EspAuth::None : a != EspAuth::None;
      EXPECT_EQ(esp_pair_allowed(c, a), want) << format(c) << "/" << int(a);
    }
  }
  EXPECT_FALSE(esp_pair_allowed(static_cast<EspCipher>(0), EspAuth::HmacSha1_96));
  EXPECT_FALSE(esp_pair_allowed(EspCipher::AesCbc128, static_cast<EspAuth>(9)));
}

TEST(EspAlg, LengthsFollowTheRfcs) {
  EXPECT_EQ(info(EspCipher::DesCbc).iv_len, 8);     // RFC 2405 §5
  EXPECT_EQ(info(EspCipher::TdesCbc).key_len, 24);  // RFC 2451
  EXPECT_EQ(info(EspCipher::AesCbc128).iv_len, 16); // RFC 3602 §3
  EXPECT_EQ(info(EspCipher::AesCbc256).block_align, 16);
  EXPECT_EQ(info(EspCipher::AesGcm128).iv_len, 8);  // RFC 4106 §3.1
  EXPECT_EQ(info(EspCipher::AesGcm128).block_align, 4);
  EXPECT_EQ(esp_enc_keymat_len(EspCipher::AesGcm128), 20);  // RFC 4106 §8.1
  EXPECT_EQ(esp_icv_len(EspCipher::AesGcm256, EspAuth::None), 16);
  EXPECT_EQ(esp_icv_len(EspCipher::AesCbc128, EspAuth::HmacMd5_96), 12);      // RFC 2403
  EXPECT_EQ(esp_icv_len(EspCipher::AesCbc128, EspAuth::HmacSha1_96), 12);     // RFC 2404
  EXPECT_EQ(esp_icv_len(EspCipher::AesCbc128, EspAuth::HmacSha256_128), 16);  // RFC 4868
  EXPECT_EQ(info(EspAuth::HmacSha1_96).key_len, 20);
  EXPECT_EQ(info(EspAuth::HmacSha256_128).key_len, 32);
  for (EspCipher c : kCiphers) {
    EXPECT_LE(info(c).iv_len, kEspMaxIvLen);
    EXPECT_LE(info(c).key_len, kEspMaxCipherKeyLen);
  }
}

}  // namespace
}  // namespace l2tpgw
