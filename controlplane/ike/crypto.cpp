// SPDX-License-Identifier: Apache-2.0
// IKEv1 crypto over OpenSSL 3: a private library context with the default and legacy
// providers (single DES lives in the legacy one), EVP digests/MACs/ciphers fetched once, and
// EVP_PKEY Diffie-Hellman for the MODP and ECP groups.
#include "controlplane/ike/crypto.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace l2tpgw::cp::ike {
namespace {

[[noreturn]] void fatal(const char* what) {
  std::fprintf(stderr, "FATAL: libcrypto: %s\n", what);
  std::abort();
}

// ---- The library context ----
struct Lib {
  OSSL_LIB_CTX* ctx = nullptr;
  OSSL_PROVIDER* def = nullptr;
  OSSL_PROVIDER* legacy = nullptr;
  EVP_MD* md[3] = {};
  EVP_MAC* hmac = nullptr;
  EVP_CIPHER* des = nullptr;
  EVP_CIPHER* tdes = nullptr;
  EVP_CIPHER* aes128 = nullptr;
  EVP_CIPHER* aes256 = nullptr;

  Lib() {
    ctx = OSSL_LIB_CTX_new();
    if (!ctx) fatal("OSSL_LIB_CTX_new");
    def = OSSL_PROVIDER_load(ctx, "default");
    if (!def) fatal("no default provider");
    legacy = OSSL_PROVIDER_load(ctx, "legacy");  // optional: only DES-CBC needs it
    const char* names[3] = {"MD5", "SHA1", "SHA256"};
    for (int i = 0; i < 3; ++i) {
      md[i] = EVP_MD_fetch(ctx, names[i], nullptr);
      if (!md[i]) fatal(names[i]);
    }
    hmac = EVP_MAC_fetch(ctx, "HMAC", nullptr);
    if (!hmac) fatal("HMAC");
    des = legacy ? EVP_CIPHER_fetch(ctx, "DES-CBC", nullptr) : nullptr;
    tdes = EVP_CIPHER_fetch(ctx, "DES-EDE3-CBC", nullptr);
    aes128 = EVP_CIPHER_fetch(ctx, "AES-128-CBC", nullptr);
    aes256 = EVP_CIPHER_fetch(ctx, "AES-256-CBC", nullptr);
    if (!tdes || !aes128 || !aes256) fatal("CBC ciphers");
  }
};

Lib& lib() {
  static Lib l;  // never destroyed before exit: the fetched objects live as long as the process
  return l;
}

const EVP_MD* md_of(HashAlg h) {
  switch (h) {
    case HashAlg::Md5: return lib().md[0];
    case HashAlg::Sha1: return lib().md[1];
    case HashAlg::Sha256: return lib().md[2];
  }
  fatal("bad hash");
}
const char* md_name(HashAlg h) {
  switch (h) {
    case HashAlg::Md5: return "MD5";
    case HashAlg::Sha1: return "SHA1";
    case HashAlg::Sha256: return "SHA256";
  }
  fatal("bad hash");
}

const EVP_CIPHER* cipher_of(const CipherSuite& c) {
  switch (c.alg) {
    case CipherAlg::DesCbc: return c.key_bits == 64 ? lib().des : nullptr;
    case CipherAlg::TdesCbc: return c.key_bits == 192 ? lib().tdes : nullptr;
    case CipherAlg::AesCbc:
      return c.key_bits == 128 ? lib().aes128 : c.key_bits == 256 ? lib().aes256 : nullptr;
  }
  return nullptr;
}

Bytes to_bytes(const SecretBytes& s) { return Bytes(s.begin(), s.end()); }

uint8_t be_byte(uint32_t v, int i) { return static_cast<uint8_t>(v >> (24 - 8 * i)); }

// ---- RAII for OpenSSL objects ----
struct BnFree {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;
struct BnCtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
struct BldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct GroupFree {
  void operator()(EC_GROUP* g) const { EC_GROUP_free(g); }
};
struct PointFree {
  void operator()(EC_POINT* p) const { EC_POINT_clear_free(p); }
};

// ---- Group parameters ----
// RFC 2409 §6.1, §6.2 and RFC 3526 §2, §3 (generator 2). tests/vectors/ike/modp_primes.txt
// recomputes each from its formula, 2^n - 2^(n-64) - 1 + 2^64 * ([2^(n-130) pi] + k).
constexpr const char* kModp768 =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A63A3620FFFFFFFFFFFFFFFF";
constexpr const char* kModp1024 =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF";
constexpr const char* kModp1536 =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF";
constexpr const char* kModp2048 =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF";

const char* modp_prime(DhGroup g) {
  switch (g) {
    case DhGroup::Modp768: return kModp768;
    case DhGroup::Modp1024: return kModp1024;
    case DhGroup::Modp1536: return kModp1536;
    case DhGroup::Modp2048: return kModp2048;
    default: return nullptr;
  }
}
int ec_nid(DhGroup g) { return g == DhGroup::Ecp256 ? NID_X9_62_prime256v1 : NID_secp384r1; }
const char* ec_name(DhGroup g) { return g == DhGroup::Ecp256 ? "prime256v1" : "secp384r1"; }

Bn bn_hex(const char* hex) {
  BIGNUM* b = nullptr;
  if (!BN_hex2bn(&b, hex)) fatal("BN_hex2bn");
  return Bn(b);
}
Bn bn_bin(ByteView b) {
  BIGNUM* n = BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr);
  if (!n) fatal("BN_bin2bn");
  return Bn(n);
}

// EVP_PKEY from OSSL_PARAMs built by `fill`, for key type `type` ("DH" or "EC").
template <class Fill>
Pkey pkey_fromdata(const char* type, int selection, Fill fill) {
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || !fill(bld.get())) return nullptr;
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return nullptr;
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(lib().ctx, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &key, selection, params.get()) <= 0)
    return nullptr;
  return Pkey(key);
}

size_t modp_length(DhGroup g) {
  switch (g) {
    case DhGroup::Modp768: return 96;
    case DhGroup::Modp1024: return 128;
    case DhGroup::Modp1536: return 192;
    case DhGroup::Modp2048: return 256;
    default: return 0;
  }
}
size_t ec_field_length(DhGroup g) { return g == DhGroup::Ecp256 ? 32 : 48; }

}  // namespace

// ---- Names and sizes ----

size_t hash_length(HashAlg h) {
  switch (h) {
    case HashAlg::Md5: return 16;
    case HashAlg::Sha1: return 20;
    case HashAlg::Sha256: return 32;
  }
  return 0;
}

std::string_view to_string(const CipherSuite& c) {
  switch (c.alg) {
    case CipherAlg::DesCbc: return "DES-CBC";
    case CipherAlg::TdesCbc: return "3DES-CBC";
    case CipherAlg::AesCbc: return c.key_bits == 256 ? "AES-CBC-256" : "AES-CBC-128";
  }
  return "?";
}

bool cipher_available(CipherAlg alg) { return alg != CipherAlg::DesCbc || lib().des != nullptr; }

bool is_supported_group(uint16_t v) {
  return v == 1 || v == 2 || v == 5 || v == 14 || v == 19 || v == 20;
}
bool is_ecp(DhGroup g) { return g == DhGroup::Ecp256 || g == DhGroup::Ecp384; }
size_t dh_public_length(DhGroup g) { return is_ecp(g) ? 2 * ec_field_length(g) : modp_length(g); }
size_t dh_secret_length(DhGroup g) { return is_ecp(g) ? ec_field_length(g) : modp_length(g); }
std::string_view to_string(DhGroup g) {
  switch (g) {
    case DhGroup::Modp768: return "MODP768";
    case DhGroup::Modp1024: return "MODP1024";
    case DhGroup::Modp1536: return "MODP1536";
    case DhGroup::Modp2048: return "MODP2048";
    case DhGroup::Ecp256: return "ECP256";
    case DhGroup::Ecp384: return "ECP384";
  }
  return "?";
}

RandomFn system_random() {
  return [](std::span<uint8_t> out) {
    if (RAND_bytes_ex(lib().ctx, out.data(), out.size(), 0) != 1) fatal("RAND_bytes");
  };
}

// ---- Primitives ----

Bytes hash(HashAlg h, std::initializer_list<ByteView> parts) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Bytes out(hash_length(h));
  unsigned int len = 0;
  bool ok = ctx && EVP_DigestInit_ex2(ctx, md_of(h), nullptr) == 1;
  for (ByteView p : parts)
    if (ok && !p.empty()) ok = EVP_DigestUpdate(ctx, p.data(), p.size()) == 1;
  ok = ok && EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == out.size();
  EVP_MD_CTX_free(ctx);
  if (!ok) fatal("digest");
  return out;
}

SecretBytes prf(HashAlg h, ByteView key, std::initializer_list<ByteView> parts) {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(lib().hmac);
  OSSL_PARAM params[2] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(md_name(h)), 0),
      OSSL_PARAM_construct_end()};
  // HMAC takes an empty key as a zero-length key, but EVP_MAC_init reads a null pointer as
  // "keep the previous key": pass a valid pointer either way.
  static const uint8_t kEmpty[1] = {0};
  SecretBytes out(hash_length(h));
  size_t len = 0;
  bool ok = ctx && EVP_MAC_init(ctx, key.empty() ? kEmpty : key.data(), key.size(), params) == 1;
  for (ByteView p : parts)
    if (ok && !p.empty()) ok = EVP_MAC_update(ctx, p.data(), p.size()) == 1;
  ok = ok && EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1 && len == out.size();
  EVP_MAC_CTX_free(ctx);
  if (!ok) fatal("HMAC");
  return out;
}

bool equal_ct(ByteView a, ByteView b) {
  return a.size() == b.size() && (a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0);
}

// ---- Diffie-Hellman ----

DhKey::DhKey(DhKey&& o) noexcept : group_(o.group_), key_(o.key_), public_(std::move(o.public_)) {
  o.key_ = nullptr;
}
DhKey& DhKey::operator=(DhKey&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(key_);
    group_ = o.group_;
    key_ = o.key_;
    public_ = std::move(o.public_);
    o.key_ = nullptr;
  }
  return *this;
}
DhKey::~DhKey() { EVP_PKEY_free(key_); }

CryptoResult<DhKey> DhKey::generate(DhGroup g, const RandomFn& random) {
  if (!is_supported_group(static_cast<uint16_t>(g))) return CryptoError::Unavailable;
  // MODP: a 256-bit exponent. ECP: a field-sized scalar, redrawn until it is in [1, n-1]
  // (from_private refuses the others; for P-256/P-384 a redraw is all but never needed).
  const size_t len = is_ecp(g) ? ec_field_length(g) : 32;
  SecretBytes priv(len);
  for (int attempt = 0; attempt < 64; ++attempt) {
    random(std::span<uint8_t>(priv.data(), priv.size()));
    auto k = from_private(g, view(priv));
    if (k) return k;
    if (k.error() != CryptoError::BadLength) return k.error();
  }
  return CryptoError::Internal;
}

CryptoResult<DhKey> DhKey::from_private(DhGroup g, ByteView priv) {
  std::unique_ptr<BN_CTX, BnCtxFree> bnctx(BN_CTX_secure_new_ex(lib().ctx));
  if (!bnctx) return CryptoError::Internal;
  Bn x = bn_bin(priv);
  BN_set_flags(x.get(), BN_FLG_CONSTTIME);
  if (!is_ecp(g)) {
    const char* phex = modp_prime(g);
    if (!phex) return CryptoError::Unavailable;
    Bn p = bn_hex(phex);
    Bn gen(BN_new());
    Bn pub(BN_new());
    Bn pm1(BN_dup(p.get()));
    if (!gen || !pub || !pm1 || !BN_set_word(gen.get(), 2) || !BN_sub_word(pm1.get(), 1))
      return CryptoError::Internal;
    // 1 < x < p - 1: a private value of 0, 1 or p - 1 would give a public value of 1 or +-1.
    if (BN_cmp(x.get(), BN_value_one()) <= 0 || BN_cmp(x.get(), pm1.get()) >= 0)
      return CryptoError::BadLength;
    if (!BN_mod_exp_mont_consttime(pub.get(), gen.get(), x.get(), p.get(), bnctx.get(), nullptr))
      return CryptoError::Internal;
    Bytes pubbytes(modp_length(g));
    if (BN_bn2binpad(pub.get(), pubbytes.data(), static_cast<int>(pubbytes.size())) < 0)
      return CryptoError::Internal;
    Pkey key = pkey_fromdata("DH", EVP_PKEY_KEYPAIR, [&](OSSL_PARAM_BLD* b) {
      return OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_FFC_P, p.get()) &&
             OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_FFC_G, gen.get()) &&
             OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, x.get()) &&
             OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PUB_KEY, pub.get());
    });
    if (!key) return CryptoError::Internal;
    return DhKey(g, key.release(), std::move(pubbytes));
  }
  // ECP (RFC 5903): the public value is x | y of x*G.
  std::unique_ptr<EC_GROUP, GroupFree> group(
      EC_GROUP_new_by_curve_name_ex(lib().ctx, nullptr, ec_nid(g)));
  if (!group) return CryptoError::Internal;
  const BIGNUM* order = EC_GROUP_get0_order(group.get());
  if (BN_is_zero(x.get()) || BN_cmp(x.get(), order) >= 0) return CryptoError::BadLength;
  std::unique_ptr<EC_POINT, PointFree> point(EC_POINT_new(group.get()));
  const size_t n = ec_field_length(g);
  Bytes octets(1 + 2 * n);
  if (!point || !EC_POINT_mul(group.get(), point.get(), x.get(), nullptr, nullptr, bnctx.get()) ||
      EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, octets.data(),
                         octets.size(), bnctx.get()) != octets.size())
    return CryptoError::Internal;
  Pkey key = pkey_fromdata("EC", EVP_PKEY_KEYPAIR, [&](OSSL_PARAM_BLD* b) {
    return OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, ec_name(g), 0) &&
           OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, x.get()) &&
           OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, octets.data(),
                                            octets.size());
  });
  if (!key) return CryptoError::Internal;
  return DhKey(g, key.release(), Bytes(octets.begin() + 1, octets.end()));
}

CryptoResult<SecretBytes> DhKey::shared_secret(ByteView peer) const {
  if (!key_) return CryptoError::Internal;
  if (peer.size() != dh_public_length(group_)) return CryptoError::BadLength;
  Pkey peer_key;
  if (!is_ecp(group_)) {
    Bn p = bn_hex(modp_prime(group_));
    Bn y = bn_bin(peer);
    Bn gen(BN_new());
    Bn pm1(BN_dup(p.get()));
    if (!gen || !pm1 || !BN_set_word(gen.get(), 2) || !BN_sub_word(pm1.get(), 1))
      return CryptoError::Internal;
    // 1 < y < p - 1 (RFC 2409 §5 leaves the check to us; y of 0, 1 or p-1 forces the secret).
    if (BN_cmp(y.get(), BN_value_one()) <= 0 || BN_cmp(y.get(), pm1.get()) >= 0)
      return CryptoError::BadPublicValue;
    peer_key = pkey_fromdata("DH", EVP_PKEY_PUBLIC_KEY, [&](OSSL_PARAM_BLD* b) {
      return OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_FFC_P, p.get()) &&
             OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_FFC_G, gen.get()) &&
             OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PUB_KEY, y.get());
    });
  } else {
    Bytes octets(1 + peer.size());
    octets[0] = POINT_CONVERSION_UNCOMPRESSED;
    std::memcpy(octets.data() + 1, peer.data(), peer.size());
    peer_key = pkey_fromdata("EC", EVP_PKEY_PUBLIC_KEY, [&](OSSL_PARAM_BLD* b) {
      return OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, ec_name(group_), 0) &&
             OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, octets.data(),
                                              octets.size());
    });
  }
  // A point that is not on the curve does not import.
  if (!peer_key) return CryptoError::BadPublicValue;
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(lib().ctx, key_, nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0) return CryptoError::Internal;
  // MODP: keep the leading zeros (g^xy is as long as the prime in every RFC 2409 formula).
  if (!is_ecp(group_) && EVP_PKEY_CTX_set_dh_pad(ctx.get(), 1) <= 0) return CryptoError::Internal;
  // validate_peer = 1: the public-key check (range for DH, on-curve for EC) before deriving.
  if (EVP_PKEY_derive_set_peer_ex(ctx.get(), peer_key.get(), 1) <= 0)
    return CryptoError::BadPublicValue;
  SecretBytes secret(dh_secret_length(group_));
  size_t len = secret.size();
  if (EVP_PKEY_derive(ctx.get(), secret.data(), &len) <= 0 || len != secret.size())
    return CryptoError::Internal;
  return secret;
}

// ---- RFC 2409 §5 and App. B ----

SecretBytes expand_cipher_key(HashAlg h, ByteView skeyid_e, size_t len) {
  if (skeyid_e.size() >= len) return SecretBytes(skeyid_e.begin(), skeyid_e.begin() + len);
  static const uint8_t kZero[1] = {0};
  SecretBytes k = prf(h, skeyid_e, {ByteView(kZero, 1)});
  SecretBytes out = k;
  while (out.size() < len) {
    k = prf(h, skeyid_e, {view(k)});
    out.insert(out.end(), k.begin(), k.end());
  }
  out.resize(len);
  return out;
}

Phase1Keys derive_phase1_psk(HashAlg h, const CipherSuite& c, ByteView psk, ByteView ni_b,
                             ByteView nr_b, ByteView gxy, const Cookie& cky_i,
                             const Cookie& cky_r, ByteView gxi, ByteView gxr) {
  static const uint8_t kZero[1] = {0}, kOne[1] = {1}, kTwo[1] = {2};
  Phase1Keys k;
  k.skeyid = prf(h, psk, {ni_b, nr_b});
  k.skeyid_d = prf(h, view(k.skeyid), {gxy, cky_i, cky_r, kZero});
  k.skeyid_a = prf(h, view(k.skeyid), {view(k.skeyid_d), gxy, cky_i, cky_r, kOne});
  k.skeyid_e = prf(h, view(k.skeyid), {view(k.skeyid_a), gxy, cky_i, cky_r, kTwo});
  k.enc_key = expand_cipher_key(h, view(k.skeyid_e), c.key_length());
  k.iv = hash(h, {gxi, gxr});
  k.iv.resize(c.block_length());
  return k;
}

Bytes hash_i(HashAlg h, ByteView skeyid, ByteView gxi, ByteView gxr, const Cookie& cky_i,
             const Cookie& cky_r, ByteView sai_b, ByteView idii_b) {
  return to_bytes(prf(h, skeyid, {gxi, gxr, cky_i, cky_r, sai_b, idii_b}));
}

Bytes hash_r(HashAlg h, ByteView skeyid, ByteView gxi, ByteView gxr, const Cookie& cky_i,
             const Cookie& cky_r, ByteView sai_b, ByteView idir_b) {
  return to_bytes(prf(h, skeyid, {gxr, gxi, cky_r, cky_i, sai_b, idir_b}));
}

Bytes phase2_iv(HashAlg h, ByteView last_block, uint32_t message_id, size_t block_len) {
  const uint8_t mid[4] = {be_byte(message_id, 0), be_byte(message_id, 1), be_byte(message_id, 2),
                          be_byte(message_id, 3)};
  Bytes iv = hash(h, {last_block, mid});
  iv.resize(block_len);
  return iv;
}

Bytes qm_hash1(HashAlg h, ByteView skeyid_a, uint32_t message_id, ByteView after_hash) {
  const uint8_t mid[4] = {be_byte(message_id, 0), be_byte(message_id, 1), be_byte(message_id, 2),
                          be_byte(message_id, 3)};
  return to_bytes(prf(h, skeyid_a, {mid, after_hash}));
}

Bytes qm_hash2(HashAlg h, ByteView skeyid_a, uint32_t message_id, ByteView ni_b,
               ByteView after_hash) {
  const uint8_t mid[4] = {be_byte(message_id, 0), be_byte(message_id, 1), be_byte(message_id, 2),
                          be_byte(message_id, 3)};
  return to_bytes(prf(h, skeyid_a, {mid, ni_b, after_hash}));
}

Bytes qm_hash3(HashAlg h, ByteView skeyid_a, uint32_t message_id, ByteView ni_b, ByteView nr_b) {
  static const uint8_t kZero[1] = {0};
  const uint8_t mid[4] = {be_byte(message_id, 0), be_byte(message_id, 1), be_byte(message_id, 2),
                          be_byte(message_id, 3)};
  return to_bytes(prf(h, skeyid_a, {kZero, mid, ni_b, nr_b}));
}

Bytes info_hash(HashAlg h, ByteView skeyid_a, uint32_t message_id, ByteView after_hash) {
  return qm_hash1(h, skeyid_a, message_id, after_hash);  // same formula (RFC 2409 §5.7)
}

SecretBytes keymat(HashAlg h, ByteView skeyid_d, ByteView gqm_xy, uint8_t protocol, uint32_t spi,
                   ByteView ni_b, ByteView nr_b, size_t len) {
  const uint8_t proto[1] = {protocol};
  const uint8_t spib[4] = {be_byte(spi, 0), be_byte(spi, 1), be_byte(spi, 2), be_byte(spi, 3)};
  SecretBytes k = prf(h, skeyid_d, {gqm_xy, proto, spib, ni_b, nr_b});
  SecretBytes out = k;
  while (out.size() < len) {
    k = prf(h, skeyid_d, {view(k), gqm_xy, proto, spib, ni_b, nr_b});
    out.insert(out.end(), k.begin(), k.end());
  }
  out.resize(len);
  return out;
}

Bytes nat_d_hash(HashAlg h, const Cookie& cky_i, const Cookie& cky_r, uint32_t addr,
                 uint16_t port) {
  const uint8_t a[4] = {be_byte(addr, 0), be_byte(addr, 1), be_byte(addr, 2), be_byte(addr, 3)};
  const uint8_t p[2] = {static_cast<uint8_t>(port >> 8), static_cast<uint8_t>(port)};
  return hash(h, {cky_i, cky_r, a, p});
}

// ---- CBC ----

namespace {
CryptoResult<Bytes> cbc(const CipherSuite& c, ByteView key, ByteView iv, ByteView text, int enc) {
  const EVP_CIPHER* cipher = cipher_of(c);
  if (!cipher) return CryptoError::Unavailable;
  if (key.size() != static_cast<size_t>(EVP_CIPHER_get_key_length(cipher)) ||
      iv.size() != static_cast<size_t>(EVP_CIPHER_get_iv_length(cipher)) ||
      text.size() % c.block_length() != 0 || text.size() > kMaxMessageLen)
    return CryptoError::BadLength;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  Bytes out(text.size() + c.block_length());
  int n1 = 0, n2 = 0;
  const bool ok = ctx && EVP_CipherInit_ex2(ctx, cipher, key.data(), iv.data(), enc, nullptr) == 1 &&
                  EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
                  (text.empty() || EVP_CipherUpdate(ctx, out.data(), &n1, text.data(),
                                                    static_cast<int>(text.size())) == 1) &&
                  EVP_CipherFinal_ex(ctx, out.data() + n1, &n2) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok || static_cast<size_t>(n1 + n2) != text.size()) return CryptoError::Internal;
  out.resize(text.size());
  return out;
}
}  // namespace

CryptoResult<Bytes> cbc_encrypt(const CipherSuite& c, ByteView key, ByteView iv, ByteView text) {
  return cbc(c, key, iv, text, 1);
}
CryptoResult<Bytes> cbc_decrypt(const CipherSuite& c, ByteView key, ByteView iv, ByteView text) {
  return cbc(c, key, iv, text, 0);
}

}  // namespace l2tpgw::cp::ike
