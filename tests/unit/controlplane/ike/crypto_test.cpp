// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ike/crypto: the PRF against RFC 2202/4231, the MODP groups against
// primes recomputed from their RFC formulas, ECP against RFC 5903 §8, and every RFC 2409
// derivation against the independent Python reference (tests/vectors/ike/derivations.txt,
// make_crypto_vectors.py): SKEYIDs, App. B key expansion and IVs, HASH_I/HASH_R, CBC,
// Quick Mode HASH(1..3) and KEYMAT with and without PFS, Informational HASH(1), NAT-D.
#include "controlplane/ike/crypto.hpp"

#include <gtest/gtest.h>

#include "vector_file.hpp"

namespace l2tpgw::cp::ike {
namespace {

using test::from_hex;
using test::load_vectors;

std::string hex(ByteView b) { return test::to_hex(b.data(), b.size()); }
std::string hex(const SecretBytes& b) { return test::to_hex(b.data(), b.size()); }
Cookie cookie(const std::string& h) {
  Cookie c{};
  const Bytes b = from_hex(h);
  std::copy(b.begin(), b.end(), c.begin());
  return c;
}

HashAlg hash_named(const std::string& s) {
  if (s == "md5") return HashAlg::Md5;
  if (s == "sha1") return HashAlg::Sha1;
  return HashAlg::Sha256;
}
CipherSuite cipher_named(const std::string& s) {
  if (s == "des") return {CipherAlg::DesCbc, 64};
  if (s == "3des") return {CipherAlg::TdesCbc, 192};
  if (s == "aes128") return {CipherAlg::AesCbc, 128};
  return {CipherAlg::AesCbc, 256};
}

TEST(IkeCrypto, PrfIsHmacRfc2202And4231) {
  const std::pair<const char*, HashAlg> files[] = {{"rfc2202/hmac_md5.txt", HashAlg::Md5},
                                                   {"rfc2202/hmac_sha1.txt", HashAlg::Sha1},
                                                   {"rfc4231/hmac_sha256.txt", HashAlg::Sha256}};
  for (const auto& [file, alg] : files) {
    const auto recs = load_vectors(file);
    ASSERT_EQ(recs.size(), 7u) << file;
    for (const auto& r : recs) {
      SCOPED_TRACE(std::string(file) + " case " + r.at("case"));
      const Bytes key = from_hex(r.at("key")), data = from_hex(r.at("data"));
      const std::string got = hex(prf(alg, key, {data}));
      // RFC 4231 case 5 is published truncated to 128 bits.
      EXPECT_EQ(got.substr(0, r.at("digest").size()), r.at("digest"));
      // Split input gives the same MAC (the PRF hashes the concatenation).
      if (data.size() > 3) {
        EXPECT_EQ(hex(prf(alg, key, {ByteView(data).first(3), ByteView(data).subspan(3)})), got);
      }
    }
  }
  EXPECT_EQ(hash_length(HashAlg::Md5), 16u);
  EXPECT_EQ(hash(HashAlg::Sha1, {}).size(), 20u);
  // An empty key is a zero-length HMAC key, not "the previous key".
  EXPECT_EQ(hex(prf(HashAlg::Sha256, {}, {})),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(IkeCrypto, ModpPublicValuesMatchTheFormulaPrimes) {
  for (const auto& r : load_vectors("ike/derivations.txt")) {
    SCOPED_TRACE(r.at("name"));
    const auto g = static_cast<DhGroup>(std::stoi(r.at("group")));
    auto ki = DhKey::from_private(g, from_hex(r.at("xi")));
    auto kr = DhKey::from_private(g, from_hex(r.at("xr")));
    ASSERT_TRUE(ki) << to_string(ki.error());
    ASSERT_TRUE(kr);
    EXPECT_EQ(ki->public_value().size(), dh_public_length(g));
    EXPECT_EQ(hex(ki->public_value()), r.at("gxi"));
    EXPECT_EQ(hex(kr->public_value()), r.at("gxr"));
    auto si = ki->shared_secret(kr->public_value());
    auto sr = kr->shared_secret(ki->public_value());
    ASSERT_TRUE(si) << to_string(si.error());
    ASSERT_TRUE(sr);
    EXPECT_EQ(hex(*si), r.at("gxy"));
    EXPECT_EQ(hex(*sr), r.at("gxy"));
  }
}

TEST(IkeCrypto, EcpKnownAnswersRfc5903) {
  const auto recs = load_vectors("ike/rfc5903_ecp.txt");
  ASSERT_EQ(recs.size(), 2u);
  for (const auto& r : recs) {
    SCOPED_TRACE("group " + r.at("group"));
    const auto g = static_cast<DhGroup>(std::stoi(r.at("group")));
    auto ki = DhKey::from_private(g, from_hex(r.at("i")));
    ASSERT_TRUE(ki) << to_string(ki.error());
    EXPECT_EQ(hex(ki->public_value()), r.at("gi"));  // KE data = x | y (RFC 5903 §7)
    auto z = ki->shared_secret(from_hex(r.at("gr")));
    ASSERT_TRUE(z) << to_string(z.error());
    EXPECT_EQ(hex(*z), r.at("gir"));  // the shared secret is x alone
    if (r.contains("r")) {
      auto kr = DhKey::from_private(g, from_hex(r.at("r")));
      ASSERT_TRUE(kr);
      EXPECT_EQ(hex(kr->public_value()), r.at("gr"));
      EXPECT_EQ(hex(*kr->shared_secret(ki->public_value())), r.at("gir"));
    }
  }
}

TEST(IkeCrypto, GeneratedKeysAgreeInEveryGroup) {
  const RandomFn rnd = system_random();
  for (DhGroup g : {DhGroup::Modp768, DhGroup::Modp1024, DhGroup::Modp1536, DhGroup::Modp2048,
                    DhGroup::Ecp256, DhGroup::Ecp384}) {
    SCOPED_TRACE(std::string(to_string(g)));
    auto a = DhKey::generate(g, rnd);
    auto b = DhKey::generate(g, rnd);
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    EXPECT_NE(a->public_value(), b->public_value());
    auto sa = a->shared_secret(b->public_value());
    auto sb = b->shared_secret(a->public_value());
    ASSERT_TRUE(sa);
    ASSERT_TRUE(sb);
    EXPECT_EQ(*sa, *sb);
    EXPECT_EQ(sa->size(), dh_secret_length(g));
    // Moving keeps the key usable.
    DhKey moved = std::move(*a);
    EXPECT_EQ(*moved.shared_secret(b->public_value()), *sb);
  }
}

TEST(IkeCrypto, BadPeerPublicValuesAreRefused) {
  const RandomFn rnd = system_random();
  auto k = DhKey::generate(DhGroup::Modp1024, rnd);
  ASSERT_TRUE(k);
  const size_t n = dh_public_length(DhGroup::Modp1024);
  Bytes zero(n, 0), one(n, 0), pm1, p;
  one.back() = 1;
  for (const auto& r : load_vectors("ike/modp_primes.txt"))
    if (r.at("group") == "2") p = from_hex(r.at("p"));
  ASSERT_EQ(p.size(), n);
  pm1 = p;
  pm1.back() -= 1;
  for (const auto& [name, v] : std::vector<std::pair<std::string, Bytes>>{
           {"0", zero}, {"1", one}, {"p-1", pm1}, {"p", p}, {"ff..ff", Bytes(n, 0xff)}}) {
    auto s = k->shared_secret(v);
    ASSERT_FALSE(s) << name;
    EXPECT_EQ(s.error(), CryptoError::BadPublicValue) << name;
  }
  EXPECT_EQ(k->shared_secret(Bytes(n - 1, 7)).error(), CryptoError::BadLength);
  EXPECT_EQ(k->shared_secret(Bytes(n + 1, 7)).error(), CryptoError::BadLength);

  for (DhGroup g : {DhGroup::Ecp256, DhGroup::Ecp384}) {
    auto e = DhKey::generate(g, rnd);
    ASSERT_TRUE(e);
    Bytes off = e->public_value();
    off.back() ^= 1;  // y no longer on the curve
    EXPECT_EQ(e->shared_secret(off).error(), CryptoError::BadPublicValue);
    EXPECT_EQ(e->shared_secret(Bytes(dh_public_length(g), 0)).error(), CryptoError::BadPublicValue);
    EXPECT_EQ(e->shared_secret(Bytes(dh_public_length(g) - 1, 1)).error(), CryptoError::BadLength);
  }
  // Private values out of range.
  EXPECT_FALSE(DhKey::from_private(DhGroup::Modp1024, Bytes{1}));
  EXPECT_FALSE(DhKey::from_private(DhGroup::Ecp256, Bytes(32, 0)));
  EXPECT_FALSE(DhKey::from_private(DhGroup::Ecp256, Bytes(32, 0xff)));  // >= the order
  EXPECT_FALSE(DhKey::from_private(static_cast<DhGroup>(3), Bytes(32, 7)));
  EXPECT_TRUE(is_supported_group(14));
  EXPECT_FALSE(is_supported_group(15));
}

TEST(IkeCrypto, DerivationsMatchTheReference) {
  const auto recs = load_vectors("ike/derivations.txt");
  ASSERT_EQ(recs.size(), 8u);
  for (const auto& r : recs) {
    SCOPED_TRACE(r.at("name"));
    const HashAlg h = hash_named(r.at("hash"));
    const CipherSuite c = cipher_named(r.at("cipher"));
    ASSERT_TRUE(cipher_available(c.alg)) << "OpenSSL legacy provider missing";
    const Cookie ci = cookie(r.at("cky_i")), cr = cookie(r.at("cky_r"));
    const Bytes psk = from_hex(r.at("psk")), ni = from_hex(r.at("ni")), nr = from_hex(r.at("nr"));
    const Bytes gxi = from_hex(r.at("gxi")), gxr = from_hex(r.at("gxr")), gxy = from_hex(r.at("gxy"));
    const Phase1Keys k = derive_phase1_psk(h, c, psk, ni, nr, gxy, ci, cr, gxi, gxr);
    EXPECT_EQ(hex(k.skeyid), r.at("skeyid"));
    EXPECT_EQ(hex(k.skeyid_d), r.at("skeyid_d"));
    EXPECT_EQ(hex(k.skeyid_a), r.at("skeyid_a"));
    EXPECT_EQ(hex(k.skeyid_e), r.at("skeyid_e"));
    EXPECT_EQ(hex(k.enc_key), r.at("enc_key"));
    EXPECT_EQ(k.enc_key.size(), c.key_length());
    EXPECT_EQ(hex(k.iv), r.at("iv"));
    const Bytes sai = from_hex(r.at("sai_b"));
    EXPECT_EQ(hex(hash_i(h, view(k.skeyid), gxi, gxr, ci, cr, sai, from_hex(r.at("idii_b")))),
              r.at("hash_i"));
    EXPECT_EQ(hex(hash_r(h, view(k.skeyid), gxi, gxr, ci, cr, sai, from_hex(r.at("idir_b")))),
              r.at("hash_r"));

    const Bytes plain = from_hex(r.at("plain"));
    auto ct = cbc_encrypt(c, view(k.enc_key), k.iv, plain);
    ASSERT_TRUE(ct) << to_string(ct.error());
    EXPECT_EQ(hex(*ct), r.at("cipher_text"));
    auto pt = cbc_decrypt(c, view(k.enc_key), k.iv, *ct);
    ASSERT_TRUE(pt);
    EXPECT_EQ(*pt, plain);

    const uint32_t mid = static_cast<uint32_t>(std::stoul(r.at("msgid")));
    EXPECT_EQ(hex(phase2_iv(h, from_hex(r.at("last_block")), mid, c.block_length())),
              r.at("qm_iv"));
    const Bytes ni2 = from_hex(r.at("ni2")), nr2 = from_hex(r.at("nr2"));
    EXPECT_EQ(hex(qm_hash1(h, view(k.skeyid_a), mid, from_hex(r.at("qm_after_hash1")))),
              r.at("hash1"));
    EXPECT_EQ(hex(qm_hash2(h, view(k.skeyid_a), mid, ni2, from_hex(r.at("qm_after_hash2")))),
              r.at("hash2"));
    EXPECT_EQ(hex(qm_hash3(h, view(k.skeyid_a), mid, ni2, nr2)), r.at("hash3"));

    SecretBytes gqm;
    if (r.at("pfs_group") != "0") {
      const auto pg = static_cast<DhGroup>(std::stoi(r.at("pfs_group")));
      auto yi = DhKey::from_private(pg, from_hex(r.at("yi")));
      ASSERT_TRUE(yi);
      EXPECT_EQ(hex(yi->public_value()), r.at("gyi"));
      auto s = yi->shared_secret(from_hex(r.at("gyr")));
      ASSERT_TRUE(s);
      EXPECT_EQ(hex(*s), r.at("gqm_xy"));
      gqm = *s;
    }
    const size_t klen = std::stoul(r.at("keymat_len"));
    const Bytes spi_i = from_hex(r.at("spi_i")), spi_r = from_hex(r.at("spi_r"));
    auto spi32 = [](const Bytes& b) {
      return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
    };
    EXPECT_EQ(hex(keymat(h, view(k.skeyid_d), view(gqm), 3, spi32(spi_i), ni2, nr2, klen)),
              r.at("keymat_spi_i"));
    EXPECT_EQ(hex(keymat(h, view(k.skeyid_d), view(gqm), 3, spi32(spi_r), ni2, nr2, klen)),
              r.at("keymat_spi_r"));

    EXPECT_EQ(hex(info_hash(h, view(k.skeyid_a), static_cast<uint32_t>(std::stoul(r.at("info_msgid"))),
                            from_hex(r.at("info_after_hash")))),
              r.at("info_hash"));
    const int last_octet = std::stoi(r.at("natd_addr").substr(r.at("natd_addr").rfind('.') + 1));
    EXPECT_EQ(hex(nat_d_hash(h, ci, cr, 0xc0000200u | static_cast<uint32_t>(last_octet),
                             static_cast<uint16_t>(std::stoi(r.at("natd_port"))))),
              r.at("natd_hash"));
  }
}

TEST(IkeCrypto, KeyExpansionOnlyWhenShort) {
  const Bytes e(32, 0x5a);
  // Long enough: a prefix (App. B applies only to a short SKEYID_e).
  EXPECT_EQ(hex(expand_cipher_key(HashAlg::Sha256, e, 16)), hex(ByteView(e).first(16)));
  // Short: K1 = prf(SKEYID_e, 0), K2 = prf(SKEYID_e, K1).
  const Bytes e20(20, 0x11);
  const SecretBytes k = expand_cipher_key(HashAlg::Sha1, e20, 32);
  static const uint8_t zero[1] = {0};
  const SecretBytes k1 = prf(HashAlg::Sha1, e20, {ByteView(zero, 1)});
  const SecretBytes k2 = prf(HashAlg::Sha1, e20, {view(k1)});
  EXPECT_EQ(hex(k), (hex(k1) + hex(k2)).substr(0, 64));
}

TEST(IkeCrypto, CbcLengthChecks) {
  const CipherSuite aes{CipherAlg::AesCbc, 128};
  const Bytes key(16, 1), iv(16, 2);
  EXPECT_EQ(cbc_encrypt(aes, key, iv, Bytes(15)).error(), CryptoError::BadLength);
  EXPECT_EQ(cbc_encrypt(aes, Bytes(15), iv, Bytes(16)).error(), CryptoError::BadLength);
  EXPECT_EQ(cbc_encrypt(aes, key, Bytes(8), Bytes(16)).error(), CryptoError::BadLength);
  EXPECT_EQ(cbc_decrypt(aes, key, iv, Bytes(17)).error(), CryptoError::BadLength);
  EXPECT_EQ(cbc_encrypt({CipherAlg::AesCbc, 192}, Bytes(24), iv, Bytes(16)).error(),
            CryptoError::Unavailable);
  EXPECT_TRUE(cbc_encrypt(aes, key, iv, Bytes{}));
  EXPECT_EQ(CipherSuite({CipherAlg::TdesCbc, 192}).block_length(), 8u);
}

TEST(IkeCrypto, ConstantTimeCompare) {
  EXPECT_TRUE(equal_ct(Bytes{1, 2}, Bytes{1, 2}));
  EXPECT_FALSE(equal_ct(Bytes{1, 2}, Bytes{1, 3}));
  EXPECT_FALSE(equal_ct(Bytes{1, 2}, Bytes{1}));
  EXPECT_TRUE(equal_ct(Bytes{}, Bytes{}));
}

}  // namespace
}  // namespace l2tpgw::cp::ike
