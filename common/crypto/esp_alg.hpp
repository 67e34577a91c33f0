// SPDX-License-Identifier: Apache-2.0
// ESP cipher and integrity algorithms: constants, RTX names and the allowed pairs.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace l2tpgw {

// Values are stable: they are stored in shared-memory SA records.
enum class EspCipher : uint8_t {
  DesCbc = 1,  // RFC 2405
  TdesCbc,     // RFC 2451
  AesCbc128,   // RFC 3602
  AesCbc256,   // RFC 3602
  AesGcm128,   // RFC 4106, 16-octet ICV
  AesGcm256,   // RFC 4106, 16-octet ICV
};

// None is only valid with a combined-mode cipher (GCM), RFC 4303 §3.2.
enum class EspAuth : uint8_t {
  None = 0,
  HmacMd5_96,      // RFC 2403
  HmacSha1_96,     // RFC 2404
  HmacSha256_128,  // RFC 4868
};

struct EspCipherInfo {
  std::string_view name;  // Yamaha RTX `ipsec sa policy` spelling
  uint8_t iv_len;         // explicit IV carried in each packet
  uint8_t block_align;    // the padded payload is a multiple of this (RFC 4303 §2.4)
  uint8_t key_len;        // cipher key, without the GCM salt
  uint8_t salt_len;       // RFC 4106 §8.1: the last 4 octets of the KEYMAT
  uint8_t icv_len;        // only for combined mode; 0 means "from EspAuthInfo"
  bool combined;          // AEAD: no separate integrity algorithm
};

struct EspAuthInfo {
  std::string_view name;  // Yamaha RTX spelling
  uint8_t key_len;        // RFC 2403/2404/4868: the key length equals the digest length
  uint8_t icv_len;        // truncated output carried as the ICV
  uint8_t digest_len;     // full digest (the HMAC pad state size)
};

inline constexpr std::array<EspCipherInfo, 7> kEspCipherInfo = {{
    {"", 0, 0, 0, 0, 0, false},                    // 0: not a cipher
    {"des-cbc", 8, 8, 8, 0, 0, false},             // RFC 2405 §5: 8-octet IV
    {"3des-cbc", 8, 8, 24, 0, 0, false},           // RFC 2451 §2.3
    {"aes-cbc", 16, 16, 16, 0, 0, false},          // RFC 3602 §2.1, §3
    {"aes256-cbc", 16, 16, 32, 0, 0, false},       // RFC 3602
    {"aes-gcm", 8, 4, 16, 4, 16, true},            // RFC 4106 §3.1, §3.2 (no block alignment)
    {"aes256-gcm", 8, 4, 32, 4, 16, true},         // RFC 4106
}};

// The fastpath pads and checks alignment with masks (wire::esp_pad_length).
static_assert([] {
  for (size_t i = 1; i < kEspCipherInfo.size(); ++i) {
    const uint8_t a = kEspCipherInfo[i].block_align;
    if (a == 0 || (a & (a - 1)) != 0) return false;
  }
  return true;
}(), "every ESP block alignment must be a power of two");

inline constexpr std::array<EspAuthInfo, 4> kEspAuthInfo = {{
    {"", 0, 0, 0},                       // None
    {"md5-hmac", 16, 12, 16},            // RFC 2403 §2, §3
    {"sha-hmac", 20, 12, 20},            // RFC 2404 §2, §3
    {"sha256-hmac", 32, 16, 32},         // RFC 4868 §2.1.1, §2.6
}};

// The largest values in the tables, for fixed-size buffers.
inline constexpr uint8_t kEspMaxIvLen = 16;
inline constexpr uint8_t kEspMaxIcvLen = 16;
inline constexpr uint8_t kEspMaxCipherKeyLen = 32;
inline constexpr uint8_t kEspMaxAuthKeyLen = 32;
inline constexpr uint8_t kEspHeaderLen = 8;  // SPI + sequence number, RFC 4303 §2

constexpr bool is_valid(EspCipher c) {
  return static_cast<uint8_t>(c) >= 1 && static_cast<uint8_t>(c) <= 6;
}
constexpr bool is_valid(EspAuth a) { return static_cast<uint8_t>(a) <= 3; }

// Precondition: is_valid(c).
constexpr const EspCipherInfo& info(EspCipher c) { return kEspCipherInfo[static_cast<uint8_t>(c)]; }
// Precondition: is_valid(a).
constexpr const EspAuthInfo& info(EspAuth a) { return kEspAuthInfo[static_cast<uint8_t>(a)]; }

constexpr bool is_gcm(EspCipher c) { return c == EspCipher::AesGcm128 || c == EspCipher::AesGcm256; }
constexpr bool is_des(EspCipher c) { return c == EspCipher::DesCbc || c == EspCipher::TdesCbc; }

// RFC 4303 §3.2 / RFC 4106 §4: a combined-mode cipher takes no integrity algorithm;
// every CBC cipher needs one (we never offer ESP confidentiality without integrity).
constexpr bool esp_pair_allowed(EspCipher c, EspAuth a) {
  if (!is_valid(c) || !is_valid(a)) return false;
  return info(c).combined ? a == EspAuth::None : a != EspAuth::None;
}

// The ICV length of a valid pair.
constexpr uint8_t esp_icv_len(EspCipher c, EspAuth a) {
  return info(c).combined ? info(c).icv_len : info(a).icv_len;
}

// Encryption KEYMAT length (key plus salt), RFC 4106 §8.1.
constexpr uint8_t esp_enc_keymat_len(EspCipher c) { return info(c).key_len + info(c).salt_len; }

constexpr std::optional<EspCipher> parse_esp_cipher(std::string_view s) {
  for (uint8_t i = 1; i < kEspCipherInfo.size(); ++i) {
    if (kEspCipherInfo[i].name == s) return static_cast<EspCipher>(i);
  }
  return std::nullopt;
}

constexpr std::optional<EspAuth> parse_esp_auth(std::string_view s) {
  for (uint8_t i = 1; i < kEspAuthInfo.size(); ++i) {
    if (kEspAuthInfo[i].name == s) return static_cast<EspAuth>(i);
  }
  return std::nullopt;
}

// Returns "" for an invalid value (and for EspAuth::None, which has no RTX spelling).
constexpr std::string_view format(EspCipher c) { return is_valid(c) ? info(c).name : ""; }
constexpr std::string_view format(EspAuth a) { return is_valid(a) ? info(a).name : ""; }

static_assert(esp_pair_allowed(EspCipher::AesGcm128, EspAuth::None));
static_assert(!esp_pair_allowed(EspCipher::AesGcm128, EspAuth::HmacSha1_96));
static_assert(!esp_pair_allowed(EspCipher::AesCbc128, EspAuth::None));
static_assert(esp_enc_keymat_len(EspCipher::AesGcm256) == 36);
static_assert(parse_esp_cipher("3des-cbc") == EspCipher::TdesCbc);

}  // namespace l2tpgw
