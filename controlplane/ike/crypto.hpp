// SPDX-License-Identifier: Apache-2.0
// IKEv1 key-exchange crypto (RFC 2409) over OpenSSL 3 (EVP): the negotiated hash and its HMAC
// as the PRF, Diffie-Hellman over MODP groups 1, 2, 5, 14 (RFC 2409 §6, RFC 3526) and ECP
// groups 19, 20 (RFC 5903), the phase-1 key schedule for pre-shared keys (§5), the IVs and the
// CBC encryption of ISAKMP payloads (App. B), the phase-1 and Quick Mode hashes (§5, §5.5,
// §5.7), KEYMAT (§5.5) and the NAT-D hash (RFC 3947 §3.2).
//
// Secrets (SKEYIDs, cipher keys, KEYMAT, DH private values and shared secrets) live in
// SecretBytes, whose memory is cleansed when freed, and are never formatted anywhere.
// Functions do not throw; an OpenSSL failure is a CryptoError (or, for the hash/PRF
// primitives, which cannot fail on valid input, an abort: a broken libcrypto is FATAL).
//
// Thread context: the controlplane loop (OpenSSL objects are fetched once and shared).
#pragma once

#include <openssl/crypto.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "controlplane/ike/result.hpp"
#include "controlplane/ike/wire.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace l2tpgw::cp::ike {

// std::allocator that wipes memory before it is returned (OPENSSL_cleanse cannot be elided).
template <class T>
struct CleansingAllocator {
  using value_type = T;
  CleansingAllocator() = default;
  template <class U>
  CleansingAllocator(const CleansingAllocator<U>&) {}  // NOLINT
  T* allocate(size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, size_t n) {
    OPENSSL_cleanse(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  template <class U>
  bool operator==(const CleansingAllocator<U>&) const { return true; }
};
using SecretBytes = std::vector<uint8_t, CleansingAllocator<uint8_t>>;

inline ByteView view(const SecretBytes& s) { return ByteView(s.data(), s.size()); }
inline ByteView view(const Bytes& b) { return ByteView(b.data(), b.size()); }

enum class CryptoError : uint8_t {
  Unavailable,     // the algorithm is not provided (single DES without OpenSSL's legacy provider)
  BadLength,       // a key, IV or text of the wrong length for its algorithm
  BadPublicValue,  // a peer's KE data outside the group (RFC 2409 §5: checked before use)
  Internal,        // OpenSSL refused an operation on valid input
};
constexpr std::string_view to_string(CryptoError e) {
  switch (e) {
    case CryptoError::Unavailable: return "algorithm unavailable";
    case CryptoError::BadLength: return "bad length";
    case CryptoError::BadPublicValue: return "bad public value";
    case CryptoError::Internal: return "internal error";
  }
  return "?";
}
template <class T>
using CryptoResult = Result<T, CryptoError>;

// Hash algorithms: the RFC 2409 App. A Hash Algorithm values (SHA2-256 from IANA).
enum class HashAlg : uint8_t { Md5 = 1, Sha1 = 2, Sha256 = 4 };
size_t hash_length(HashAlg h);
constexpr std::string_view to_string(HashAlg h) {
  switch (h) {
    case HashAlg::Md5: return "MD5";
    case HashAlg::Sha1: return "SHA1";
    case HashAlg::Sha256: return "SHA256";
  }
  return "?";
}

// Phase-1 ciphers: the RFC 2409 App. A Encryption Algorithm values.
enum class CipherAlg : uint8_t { DesCbc = 1, TdesCbc = 5, AesCbc = 7 };
struct CipherSuite {
  CipherAlg alg = CipherAlg::AesCbc;
  uint16_t key_bits = 128;  // AES: 128 or 256; DES 64; 3DES 192 (with parity bits)
  size_t key_length() const { return key_bits / 8; }
  size_t block_length() const { return alg == CipherAlg::AesCbc ? 16 : 8; }
  bool operator==(const CipherSuite&) const = default;
};
std::string_view to_string(const CipherSuite& c);  // "AES-CBC-256", "3DES-CBC", "DES-CBC"
// False for single DES when OpenSSL's legacy provider cannot be loaded.
bool cipher_available(CipherAlg alg);

// Diffie-Hellman groups by their RFC 2409 / IANA Group Description values.
enum class DhGroup : uint16_t {
  Modp768 = 1,    // RFC 2409 §6.1
  Modp1024 = 2,   // RFC 2409 §6.2
  Modp1536 = 5,   // RFC 3526 §2
  Modp2048 = 14,  // RFC 3526 §3
  Ecp256 = 19,    // RFC 5903 §3.1
  Ecp384 = 20,    // RFC 5903 §3.2
};
bool is_supported_group(uint16_t value);
bool is_ecp(DhGroup g);
// KE data length: the prime's length (MODP) or two field elements (ECP, RFC 5903 §7).
size_t dh_public_length(DhGroup g);
// The shared secret's length: the prime's length or one field element.
size_t dh_secret_length(DhGroup g);
std::string_view to_string(DhGroup g);  // "MODP1024", "ECP256", ...

// Fills its span with random bytes. Tests inject a deterministic one.
using RandomFn = std::function<void(std::span<uint8_t>)>;
RandomFn system_random();  // OpenSSL's DRBG (RAND_bytes)

// ---- Primitives ----
Bytes hash(HashAlg h, std::initializer_list<ByteView> parts);
// prf(key, parts...) = HMAC of the negotiated hash (RFC 2409 §5: "the HMAC version of the
// negotiated hash algorithm is used as a default prf").
SecretBytes prf(HashAlg h, ByteView key, std::initializer_list<ByteView> parts);
// Constant-time comparison (a HASH_I check must not leak how many bytes matched).
bool equal_ct(ByteView a, ByteView b);

// ---- Diffie-Hellman ----
class DhKey {
 public:
  // A fresh private value from `random`: a 256-bit exponent for MODP (at least twice the
  // 112-bit strength of the largest group we offer, RFC 3526 §8), a scalar in [1, n-1] for ECP.
  static CryptoResult<DhKey> generate(DhGroup g, const RandomFn& random);
  // A given private value (big-endian): known-answer tests and the test-only initiator.
  static CryptoResult<DhKey> from_private(DhGroup g, ByteView priv);

  DhKey(DhKey&&) noexcept;
  DhKey& operator=(DhKey&&) noexcept;
  ~DhKey();

  DhGroup group() const { return group_; }
  // g^x padded to the prime's length (MODP) or x | y (ECP): the KE payload's data.
  const Bytes& public_value() const { return public_; }
  // g^xy from the peer's KE data, which is validated first (length; 1 < y < p-1 for MODP;
  // on the curve for ECP). MODP secrets are padded to the prime's length (leading zeros kept).
  CryptoResult<SecretBytes> shared_secret(ByteView peer_public) const;

 private:
  DhKey(DhGroup g, EVP_PKEY* key, Bytes pub) : group_(g), key_(key), public_(std::move(pub)) {}
  DhGroup group_;
  EVP_PKEY* key_;
  Bytes public_;
};

// ---- RFC 2409 §5: the phase-1 key schedule for pre-shared keys ----
struct Phase1Keys {
  SecretBytes skeyid;    // prf(pre-shared-key, Ni_b | Nr_b)
  SecretBytes skeyid_d;  // prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
  SecretBytes skeyid_a;  // prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
  SecretBytes skeyid_e;  // prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
  SecretBytes enc_key;   // the cipher key from SKEYID_e (App. B)
  Bytes iv;              // the first phase-1 IV: hash(g^xi | g^xr), block-length (App. B)
};
Phase1Keys derive_phase1_psk(HashAlg h, const CipherSuite& c, ByteView psk, ByteView ni_b,
                             ByteView nr_b, ByteView gxy, const Cookie& cky_i,
                             const Cookie& cky_r, ByteView gxi, ByteView gxr);

// RFC 2409 App. B: the first `len` bytes of SKEYID_e, or, when it is shorter,
// K1 | K2 | ... with K1 = prf(SKEYID_e, 0) and Kn = prf(SKEYID_e, Kn-1).
SecretBytes expand_cipher_key(HashAlg h, ByteView skeyid_e, size_t len);

// HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
// HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
// (the _b bodies are the payloads without their generic headers, RFC 2409 §5).
Bytes hash_i(HashAlg h, ByteView skeyid, ByteView gxi, ByteView gxr, const Cookie& cky_i,
             const Cookie& cky_r, ByteView sai_b, ByteView idii_b);
Bytes hash_r(HashAlg h, ByteView skeyid, ByteView gxi, ByteView gxr, const Cookie& cky_i,
             const Cookie& cky_r, ByteView sai_b, ByteView idir_b);

// RFC 2409 App. B: an exchange after phase 1 starts from hash(last phase-1 CBC block | M-ID).
Bytes phase2_iv(HashAlg h, ByteView last_phase1_block, uint32_t message_id, size_t block_len);

// RFC 2409 §5.5 Quick Mode hashes; `after_hash` is every payload after the HASH payload,
// generic headers included.
//   HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [ | KE ] [ | IDci | IDcr ])
//   HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [ | KE ] [ | IDci | IDcr ])
//   HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
Bytes qm_hash1(HashAlg h, ByteView skeyid_a, uint32_t message_id, ByteView after_hash);
Bytes qm_hash2(HashAlg h, ByteView skeyid_a, uint32_t message_id, ByteView ni_b,
               ByteView after_hash);
Bytes qm_hash3(HashAlg h, ByteView skeyid_a, uint32_t message_id, ByteView ni_b, ByteView nr_b);
// RFC 2409 §5.7: HASH(1) = prf(SKEYID_a, M-ID | N/D).
Bytes info_hash(HashAlg h, ByteView skeyid_a, uint32_t message_id, ByteView after_hash);

// RFC 2409 §5.5 KEYMAT for one SA (the SPI its receiver chose), `len` bytes:
//   K1 = prf(SKEYID_d, [ g(qm)^xy | ] protocol | SPI | Ni_b | Nr_b)
//   Kn = prf(SKEYID_d, Kn-1 | [ g(qm)^xy | ] protocol | SPI | Ni_b | Nr_b)
// `gqm_xy` is empty without PFS. The encryption key comes first, then the integrity key
// (for AES-GCM the key and then the 4-byte salt, RFC 4106 §8.1).
SecretBytes keymat(HashAlg h, ByteView skeyid_d, ByteView gqm_xy, uint8_t protocol,
                   uint32_t spi, ByteView ni_b, ByteView nr_b, size_t len);

// RFC 3947 §3.2: HASH = HASH(CKY-I | CKY-R | IP | Port), addr and port in host order.
Bytes nat_d_hash(HashAlg h, const Cookie& cky_i, const Cookie& cky_r, uint32_t addr,
                 uint16_t port);

// ---- CBC over ISAKMP payloads (RFC 2409 App. B) ----
// `text` must be a whole number of blocks; no padding is added or removed here.
CryptoResult<Bytes> cbc_encrypt(const CipherSuite& c, ByteView key, ByteView iv, ByteView text);
CryptoResult<Bytes> cbc_decrypt(const CipherSuite& c, ByteView key, ByteView iv, ByteView text);

}  // namespace l2tpgw::cp::ike
