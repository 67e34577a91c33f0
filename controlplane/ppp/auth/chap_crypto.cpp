// SPDX-License-Identifier: Apache-2.0
// CHAP-MD5 (RFC 1994), MS-CHAP (RFC 2433 Appendix A) and MS-CHAP-V2 (RFC 2759 §8).
//
// MD5 and SHA-1 come from OpenSSL's default provider (EVP). DES uses OpenSSL's low-level
// DES_ecb_encrypt, deprecated in 3.0 but present in every build of it (as
// common/crypto/sa_crypto.cpp uses it), because 3.0 moved single DES out of the default
// provider into "legacy". MD4 is our own (md4.hpp explains why).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "controlplane/ppp/auth/chap_crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/des.h>
#include <openssl/evp.h>

#include <cstring>

#include "controlplane/ppp/auth/md4.hpp"

namespace l2tpgw::cp::ppp {

namespace {

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// One EVP digest over the concatenation of `parts`. MD5 and SHA-1 are in the default
// provider; a failure there means a broken libcrypto, and the zero digest it leaves can
// match no real response.
template <size_t N>
std::array<uint8_t, N> digest(const EVP_MD* md, std::initializer_list<std::span<const uint8_t>> parts) {
  std::array<uint8_t, N> out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int len = 0;
  bool ok = ctx && EVP_DigestInit_ex(ctx, md, nullptr) == 1;
  for (const auto& p : parts) ok = ok && EVP_DigestUpdate(ctx, p.data(), p.size()) == 1;
  ok = ok && EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == N;
  EVP_MD_CTX_free(ctx);
  if (!ok) out.fill(0);
  return out;
}

// RFC 2759 §8.6 DesEncrypt: a 7-octet key spread over the 8 octets DES takes (the low bit
// of each is the parity bit, which DES ignores and DES_set_key_unchecked does not check).
void des_encrypt(const uint8_t clear[8], const uint8_t key7[7], uint8_t cypher[8]) {
  DES_cblock key;
  key[0] = key7[0];
  for (int i = 1; i < 7; ++i)
    key[i] = static_cast<uint8_t>((key7[i - 1] << (8 - i)) | (key7[i] >> i));
  key[7] = static_cast<uint8_t>(key7[6] << 1);
  DES_key_schedule ks;
  DES_set_key_unchecked(&key, &ks);
  DES_cblock in, out;
  std::memcpy(in, clear, 8);
  DES_ecb_encrypt(&in, &out, &ks, DES_ENCRYPT);
  std::memcpy(cypher, out, 8);
  OPENSSL_cleanse(&ks, sizeof ks);
  OPENSSL_cleanse(key, sizeof key);
}

// Appends the code point as UTF-16LE (a surrogate pair above the BMP).
void put_utf16le(std::vector<uint8_t>& out, uint32_t cp) {
  auto unit = [&](uint32_t u) {
    out.push_back(static_cast<uint8_t>(u));
    out.push_back(static_cast<uint8_t>(u >> 8));
  };
  if (cp >= 0x10000) {
    cp -= 0x10000;
    unit(0xd800 | (cp >> 10));
    unit(0xdc00 | (cp & 0x3ff));
  } else {
    unit(cp);
  }
}

// RFC 2759 §8.7: the two constants of GenerateAuthenticatorResponse.
constexpr std::string_view kMagic1 = "Magic server to client signing constant";
constexpr std::string_view kMagic2 = "Pad to make it do more than one iteration";
static_assert(kMagic1.size() == 39 && kMagic2.size() == 41);

}  // namespace

std::array<uint8_t, 16> chap_md5_response(uint8_t identifier, std::string_view secret,
                                          std::span<const uint8_t> challenge) {
  const uint8_t id[1] = {identifier};
  return digest<16>(EVP_md5(), {id, as_bytes(secret), challenge});
}

std::vector<uint8_t> utf16le_password(std::string_view s) {
  std::vector<uint8_t> out;
  out.reserve(s.size() * 2);
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const uint8_t b = p[i];
    uint32_t cp = 0;
    size_t len = 0;
    if (b < 0x80) { cp = b; len = 1; }
    else if ((b & 0xe0) == 0xc0) { cp = b & 0x1f; len = 2; }
    else if ((b & 0xf0) == 0xe0) { cp = b & 0x0f; len = 3; }
    else if ((b & 0xf8) == 0xf0) { cp = b & 0x07; len = 4; }
    bool ok = len != 0 && n - i >= len;
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (p[i + k] & 0xc0) == 0x80;
      cp = cp << 6 | (p[i + k] & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8 either.
    static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (ok && (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    if (!ok) {
      put_utf16le(out, 0xfffd);
      ++i;
      continue;
    }
    put_utf16le(out, cp);
    i += len;
  }
  return out;
}

NtPasswordHashValue nt_password_hash(std::string_view password) {
  std::vector<uint8_t> unicode = utf16le_password(password);
  const NtPasswordHashValue h = md4(unicode);
  OPENSSL_cleanse(unicode.data(), unicode.size());
  return h;
}

NtPasswordHashValue hash_nt_password_hash(const NtPasswordHashValue& hash) { return md4(hash); }

ChallengeResponseValue challenge_response(std::span<const uint8_t, 8> challenge,
                                          const NtPasswordHashValue& hash) {
  uint8_t z[21] = {};  // ZPasswordHash: the hash and five zero octets
  std::memcpy(z, hash.data(), hash.size());
  ChallengeResponseValue r;
  des_encrypt(challenge.data(), z, r.data());
  des_encrypt(challenge.data(), z + 7, r.data() + 8);
  des_encrypt(challenge.data(), z + 14, r.data() + 16);
  OPENSSL_cleanse(z, sizeof z);
  return r;
}

ChallengeResponseValue nt_challenge_response(std::span<const uint8_t, 8> challenge,
                                             std::string_view password) {
  NtPasswordHashValue h = nt_password_hash(password);
  const ChallengeResponseValue r = challenge_response(challenge, h);
  OPENSSL_cleanse(h.data(), h.size());
  return r;
}

std::array<uint8_t, 8> challenge_hash(std::span<const uint8_t, 16> peer_challenge,
                                      std::span<const uint8_t, 16> authenticator_challenge,
                                      std::string_view username) {
  const auto sha = digest<20>(EVP_sha1(), {peer_challenge, authenticator_challenge, as_bytes(username)});
  std::array<uint8_t, 8> out;
  std::memcpy(out.data(), sha.data(), 8);
  return out;
}

ChallengeResponseValue generate_nt_response(std::span<const uint8_t, 16> authenticator_challenge,
                                            std::span<const uint8_t, 16> peer_challenge,
                                            std::string_view username, std::string_view password) {
  const auto challenge = challenge_hash(peer_challenge, authenticator_challenge, username);
  return nt_challenge_response(challenge, password);
}

std::string generate_authenticator_response(std::string_view password,
                                            std::span<const uint8_t, 24> nt_response,
                                            std::span<const uint8_t, 16> peer_challenge,
                                            std::span<const uint8_t, 16> authenticator_challenge,
                                            std::string_view username) {
  NtPasswordHashValue hash = nt_password_hash(password);
  NtPasswordHashValue hash_hash = hash_nt_password_hash(hash);
  auto d = digest<20>(EVP_sha1(), {hash_hash, nt_response, as_bytes(kMagic1)});
  const auto challenge = challenge_hash(peer_challenge, authenticator_challenge, username);
  d = digest<20>(EVP_sha1(), {d, challenge, as_bytes(kMagic2)});
  OPENSSL_cleanse(hash.data(), hash.size());
  OPENSSL_cleanse(hash_hash.data(), hash_hash.size());
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s = "S=";
  for (uint8_t b : d) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 0xf]);
  }
  return s;
}

std::string_view ms_chap_user_name(std::string_view name) {
  const size_t slash = name.rfind('\\');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

bool constant_time_equal(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace l2tpgw::cp::ppp
