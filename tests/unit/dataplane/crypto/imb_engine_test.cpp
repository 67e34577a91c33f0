// SPDX-License-Identifier: Apache-2.0
// Tests for dataplane/crypto/imb_engine: published vectors, OpenSSL cross-checks, negatives.
#include "dataplane/crypto/imb_engine.hpp"

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/des.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <random>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "vector_file.hpp"

namespace l2tpgw::dp {
namespace {

using test::from_hex;
using test::load_vectors;
using test::to_hex;

constexpr EspCipher kCiphers[] = {EspCipher::DesCbc,    EspCipher::TdesCbc,
                                  EspCipher::AesCbc128, EspCipher::AesCbc256,
                                  EspCipher::AesGcm128, EspCipher::AesGcm256};
constexpr EspAuth kHmacs[] = {EspAuth::HmacMd5_96, EspAuth::HmacSha1_96,
                              EspAuth::HmacSha256_128};
constexpr ImbPath kPaths[] = {ImbPath::Auto, ImbPath::Wide, ImbPath::Narrow};

const EVP_MD* evp_md(EspAuth a) {
  return a == EspAuth::HmacMd5_96 ? EVP_md5() : a == EspAuth::HmacSha1_96 ? EVP_sha1() : EVP_sha256();
}

// Independent ICV: OpenSSL HMAC over SPI..ciphertext, truncated.
std::vector<uint8_t> ossl_icv(EspAuth a, const std::vector<uint8_t>& key, const uint8_t* p,
                              size_t n) {
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(evp_md(a), key.data(), static_cast<int>(key.size()), p, n, md, &len);
  return {md, md + info(a).icv_len};
}

// One ESP packet buffer: header | IV | payload | ICV, with slack around it.
struct Packet {
  std::vector<uint8_t> buf;
  uint32_t iv_len = 0, payload_len = 0, icv_len = 0;
  uint8_t* esp() { return buf.data() + 16; }
  uint8_t* payload() { return esp() + 8 + iv_len; }
  uint8_t* icv() { return payload() + payload_len; }
  CryptoOp op(const SaCrypto* sa) { return CryptoOp{&sa->params, &sa->keys, esp(), payload_len, icv(), false}; }
};

Packet make_packet(const SaCrypto& sa, uint32_t payload_len) {
  Packet p;
  p.iv_len = sa.params.iv_len;
  p.payload_len = payload_len;
  p.icv_len = sa.params.icv_len;
  p.buf.assign(16 + 8 + p.iv_len + payload_len + p.icv_len + 16, 0xee);
  return p;
}

struct Keys {
  std::vector<uint8_t> enc, auth;
};

Keys random_keys(EspCipher c, EspAuth a, std::mt19937& rng) {
  Keys k;
  k.enc.resize(esp_enc_keymat_len(c));
  for (auto& b : k.enc) b = static_cast<uint8_t>(rng());
  if (a != EspAuth::None) {
    k.auth.resize(info(a).key_len);
    for (auto& b : k.auth) b = static_cast<uint8_t>(rng());
  }
  return k;
}

class ImbEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string err;
    ASSERT_TRUE(engine_.init(&err)) << err;
  }
  SaCrypto prepare(EspCipher c, EspAuth a, const std::vector<uint8_t>& enc,
                   const std::vector<uint8_t>& auth) {
    SaCrypto sa;
    std::string err;
    EXPECT_TRUE(sa_crypto_prepare(c, a, enc, auth, sa, &err)) << err;
    return sa;
  }
  ImbEngine engine_;
};

// RFC 3602 §4 cases 1-4: the ciphertext framed as ESP (SPI 0x1234, seq 1) with an
// HMAC-SHA1-96 ICV from OpenSSL; decryption must give the published plaintext.
TEST_F(ImbEngineTest, Rfc3602AesCbcDecrypt) {
  const std::vector<uint8_t> auth(20, 0x5c);
  for (ImbPath path : kPaths) {
    engine_.set_path(path);
    for (const auto& r : load_vectors("rfc3602/aes_cbc.txt")) {
      const SaCrypto sa = prepare(EspCipher::AesCbc128, EspAuth::HmacSha1_96,
                                  from_hex(r.at("key")), auth);
      const auto iv = from_hex(r.at("iv"));
      const auto ct = from_hex(r.at("ciphertext"));
      Packet p = make_packet(sa, static_cast<uint32_t>(ct.size()));
      const uint8_t hdr[8] = {0, 0, 0x12, 0x34, 0, 0, 0, 1};
      std::memcpy(p.esp(), hdr, 8);
      std::memcpy(p.esp() + 8, iv.data(), 16);
      std::memcpy(p.payload(), ct.data(), ct.size());
      const auto icv = ossl_icv(EspAuth::HmacSha1_96, auth, p.esp(), 24 + ct.size());
      std::memcpy(p.icv(), icv.data(), icv.size());
      CryptoOp op = p.op(&sa);
      engine_.decrypt_burst(&op, 1);
      ASSERT_TRUE(op.ok) << "case " << r.at("case");
      EXPECT_EQ(to_hex(p.payload(), ct.size()), r.at("plaintext")) << "case " << r.at("case");
    }
  }
}

// RFC 3602 §4 cases 5-8 (ESP packets), all four in one burst, ICVs added as above.
TEST_F(ImbEngineTest, Rfc3602EspPacketsDecrypt) {
  const std::vector<uint8_t> auth(20, 0x36);
  const auto recs = load_vectors("rfc3602/esp.txt");
  ASSERT_EQ(recs.size(), 4u);
  for (ImbPath path : kPaths) {
    engine_.set_path(path);
    std::vector<SaCrypto> sas;
    sas.reserve(recs.size());
    std::vector<Packet> pkts;
    std::vector<CryptoOp> ops;
    for (const auto& r : recs) {
      sas.push_back(prepare(EspCipher::AesCbc128, EspAuth::HmacSha1_96, from_hex(r.at("key")),
                            auth));
      const auto pkt = from_hex(r.at("packet"));
      Packet p = make_packet(sas.back(), static_cast<uint32_t>(pkt.size() - 24));
      std::memcpy(p.esp(), pkt.data(), pkt.size());
      const auto icv = ossl_icv(EspAuth::HmacSha1_96, auth, pkt.data(), pkt.size());
      std::memcpy(p.icv(), icv.data(), icv.size());
      pkts.push_back(std::move(p));
    }
    for (size_t i = 0; i < pkts.size(); ++i) ops.push_back(pkts[i].op(&sas[i]));
    engine_.decrypt_burst(ops.data(), static_cast<uint16_t>(ops.size()));
    for (size_t i = 0; i < recs.size(); ++i) {
      ASSERT_TRUE(ops[i].ok) << "case " << recs[i].at("case");
      // RFC 4303 §2.4 default padding 1, 2, ..., then pad length and next header.
      auto want = from_hex(recs[i].at("payload"));
      const uint8_t pad = static_cast<uint8_t>(pkts[i].payload_len - want.size() - 2);
      for (uint8_t b = 1; b <= pad; ++b) want.push_back(b);
      want.push_back(pad);
      want.push_back(from_hex(recs[i].at("next_header"))[0]);
      EXPECT_EQ(to_hex(pkts[i].payload(), pkts[i].payload_len), to_hex(want.data(), want.size()))
          << "case " << recs[i].at("case");
    }
  }
}

// draft-mcgrew-gcm-test-01 §4 packets: decrypt and verify; then every single-bit flip
// of the ICV is rejected.
TEST_F(ImbEngineTest, GcmEspVectorsDecrypt) {
  for (const auto& r : load_vectors("gcm_esp/aes_gcm_esp.txt")) {
    const auto km = from_hex(r.at("keymat"));
    const EspCipher c = km.size() == 20 ? EspCipher::AesGcm128 : EspCipher::AesGcm256;
    const SaCrypto sa = prepare(c, EspAuth::None, km, {});
    const auto pkt = from_hex(r.at("packet"));
    const auto pt = from_hex(r.at("plaintext"));
    Packet p = make_packet(sa, static_cast<uint32_t>(pt.size()));
    ASSERT_EQ(pkt.size(), 16 + pt.size() + 16);
    std::memcpy(p.esp(), pkt.data(), pkt.size());
    CryptoOp op = p.op(&sa);
    engine_.decrypt_burst(&op, 1);
    ASSERT_TRUE(op.ok) << r.at("case");
    EXPECT_EQ(to_hex(p.payload(), pt.size()), r.at("plaintext")) << r.at("case");

    for (int bit = 0; bit < 128; bit += 13) {
      std::memcpy(p.esp(), pkt.data(), pkt.size());
      p.icv()[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      CryptoOp bad = p.op(&sa);
      engine_.decrypt_burst(&bad, 1);
      EXPECT_FALSE(bad.ok) << r.at("case") << " bit " << bit;
    }
  }
}

// FIPS 81 (DES) and SP 800-67-derived (3DES) CBC vectors, on both DES paths.
TEST_F(ImbEngineTest, DesVectorsDecrypt) {
  const std::vector<uint8_t> auth(20, 0x0b);
  for (ImbPath path : kPaths) {
    engine_.set_path(path);
    for (const auto& r : load_vectors("des_nist/des_cbc.txt")) {
      const EspCipher c = *parse_esp_cipher(r.at("cipher"));
      const SaCrypto sa = prepare(c, EspAuth::HmacSha1_96, from_hex(r.at("key")), auth);
      const auto ct = from_hex(r.at("ciphertext"));
      const auto iv = from_hex(r.at("iv"));
      Packet p = make_packet(sa, static_cast<uint32_t>(ct.size()));
      std::memset(p.esp(), 0, 8);
      p.esp()[7] = 1;
      std::memcpy(p.esp() + 8, iv.data(), 8);
      std::memcpy(p.payload(), ct.data(), ct.size());
      const auto icv = ossl_icv(EspAuth::HmacSha1_96, auth, p.esp(), 16 + ct.size());
      std::memcpy(p.icv(), icv.data(), icv.size());
      CryptoOp op = p.op(&sa);
      engine_.decrypt_burst(&op, 1);
      ASSERT_TRUE(op.ok) << r.at("case");
      EXPECT_EQ(to_hex(p.payload(), ct.size()), r.at("plaintext")) << r.at("case");
    }
  }
}

// Independent decryption of an engine-encrypted packet (OpenSSL), checks ICV and text.
void ossl_verify(const SaCrypto& sa, const Keys& k, Packet& p, const std::vector<uint8_t>& pt) {
  const uint32_t hdr_iv = 8 + sa.params.iv_len;
  std::vector<uint8_t> out(p.payload_len + 32);
  int len = 0, fin = 0;
  if (is_gcm(sa.params.cipher)) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    uint8_t nonce[12];
    std::memcpy(nonce, k.enc.data() + k.enc.size() - 4, 4);
    std::memcpy(nonce + 4, p.esp() + 8, 8);
    EVP_DecryptInit_ex(ctx, sa.params.cipher == EspCipher::AesGcm128 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(),
                       nullptr, k.enc.data(), nonce);
    EVP_DecryptUpdate(ctx, nullptr, &len, p.esp(), 8);
    EVP_DecryptUpdate(ctx, out.data(), &len, p.payload(), static_cast<int>(p.payload_len));
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, p.icv());
    EXPECT_EQ(EVP_DecryptFinal_ex(ctx, out.data() + len, &fin), 1) << "GCM tag";
    EVP_CIPHER_CTX_free(ctx);
    // RFC 4106 §3.1: our IV is the zero-extended sequence number.
    EXPECT_EQ(to_hex(p.esp() + 8, 4), "00000000");
    EXPECT_EQ(to_hex(p.esp() + 12, 4), to_hex(p.esp() + 4, 4));
  } else {
    const auto icv = ossl_icv(sa.params.auth, k.auth, p.esp(), hdr_iv + p.payload_len);
    EXPECT_EQ(to_hex(p.icv(), icv.size()), to_hex(icv.data(), icv.size())) << "ICV";
    if (is_des(sa.params.cipher)) {
      DES_key_schedule ks[3];
      for (size_t i = 0; i < k.enc.size() / 8; ++i) {
        DES_cblock b;
        std::memcpy(b, k.enc.data() + 8 * i, 8);
        DES_set_key_unchecked(&b, &ks[i]);
      }
      DES_cblock iv;
      std::memcpy(iv, p.esp() + 8, 8);
      if (sa.params.cipher == EspCipher::DesCbc) {
        DES_ncbc_encrypt(p.payload(), out.data(), p.payload_len, &ks[0], &iv, DES_DECRYPT);
      } else {
        DES_ede3_cbc_encrypt(p.payload(), out.data(), p.payload_len, &ks[0], &ks[1], &ks[2],
                             &iv, DES_DECRYPT);
      }
    } else {
      EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
      EVP_DecryptInit_ex(ctx, sa.params.cipher == EspCipher::AesCbc128 ? EVP_aes_128_cbc() : EVP_aes_256_cbc(),
                         nullptr, k.enc.data(), p.esp() + 8);
      EVP_CIPHER_CTX_set_padding(ctx, 0);
      EVP_DecryptUpdate(ctx, out.data(), &len, p.payload(), static_cast<int>(p.payload_len));
      EVP_DecryptFinal_ex(ctx, out.data() + len, &fin);
      EVP_CIPHER_CTX_free(ctx);
    }
  }
  EXPECT_EQ(to_hex(out.data(), p.payload_len), to_hex(pt.data(), pt.size()));
}

struct Suite {
  EspCipher c;
  EspAuth a;
};

std::vector<Suite> all_suites() {
  std::vector<Suite> s;
  for (EspCipher c : kCiphers) {
    if (is_gcm(c)) {
      s.push_back({c, EspAuth::None});
    } else {
      for (EspAuth a : kHmacs) s.push_back({c, a});
    }
  }
  return s;
}

// Every cipher x auth, several sizes, bursts 1..64, every path: encrypt (checked by
// OpenSSL), then decrypt back to the plaintext.
TEST_F(ImbEngineTest, RoundTripAllSuitesSizesBursts) {
  std::mt19937 rng(4303);
  const uint16_t bursts[] = {1, 2, 3, 4, 7, 8, 9, 16, 31, 32, 63, 64};
  for (const Suite& s : all_suites()) {
    const Keys k = random_keys(s.c, s.a, rng);
    const SaCrypto sa = prepare(s.c, s.a, k.enc, k.auth);
    // Both submit paths: with the library's argument checks every job the engine builds
    // must be accepted (a rejected job fails its op), without them the results must agree.
    for (bool checked : {true, false}) {
      engine_.set_checked_submit(checked);
      for (ImbPath path : kPaths) {
        engine_.set_path(path);
        for (uint16_t n : bursts) {
          std::vector<Packet> pkts(n);
          std::vector<std::vector<uint8_t>> pts(n);
          std::vector<CryptoOp> ops(n);
          for (uint16_t i = 0; i < n; ++i) {
            const uint32_t sizes[] = {16, 48, 64, 96, 512, 1392, 1504};
            const uint32_t len = sizes[(i + n) % 7];
            pkts[i] = make_packet(sa, len);
            pts[i].resize(len);
            for (auto& b : pts[i]) b = static_cast<uint8_t>(rng());
            const uint32_t seq = 1000 + i;
            const uint8_t hdr[8] = {0xc0, 0x01, 0xd0, 0x0d, uint8_t(seq >> 24), uint8_t(seq >> 16),
                                    uint8_t(seq >> 8), uint8_t(seq)};
            std::memcpy(pkts[i].esp(), hdr, 8);
            std::memcpy(pkts[i].payload(), pts[i].data(), len);
            ops[i] = pkts[i].op(&sa);
          }
          engine_.encrypt_burst(ops.data(), n);
          for (uint16_t i = 0; i < n; ++i) {
            ASSERT_TRUE(ops[i].ok) << format(s.c) << "/" << format(s.a) << " n=" << n << " i=" << i
                                   << " checked " << checked;
            ossl_verify(sa, k, pkts[i], pts[i]);
            if (::testing::Test::HasFailure()) {
              FAIL() << format(s.c) << "/" << format(s.a) << " path " << int(path) << " n=" << n
                     << " i=" << i << " checked " << checked;
            }
            ops[i] = pkts[i].op(&sa);
          }
          engine_.decrypt_burst(ops.data(), n);
          for (uint16_t i = 0; i < n; ++i) {
            ASSERT_TRUE(ops[i].ok) << format(s.c) << "/" << format(s.a) << " n=" << n << " i=" << i
                                   << " checked " << checked;
            ASSERT_EQ(std::memcmp(pkts[i].payload(), pts[i].data(), pts[i].size()), 0);
            ASSERT_EQ(pkts[i].buf.front(), 0xee);  // nothing written outside the packet
            ASSERT_EQ(pkts[i].buf.back(), 0xee);
          }
        }
      }
    }
  }
}

// In one burst: intact, flipped ICV bit, flipped ciphertext bit, wrong key, a flipped
// SPI bit (covered by the ICV) -- only the damaged ones fail, the rest decrypt. The lengths
// differ, so CBC+HMAC bursts are submitted longest first: each result must still reach its
// own op.
TEST_F(ImbEngineTest, DamagedPacketsFailOthersUnaffected) {
  std::mt19937 rng(2404);
  for (const Suite& s : all_suites()) {
    const Keys k = random_keys(s.c, s.a, rng);
    const Keys wrong = random_keys(s.c, s.a, rng);
    const SaCrypto sa = prepare(s.c, s.a, k.enc, k.auth);
    const SaCrypto sa_wrong = prepare(s.c, s.a, wrong.enc, wrong.auth);
    for (ImbPath path : kPaths) {
      engine_.set_path(path);
      constexpr uint16_t kN = 20;
      std::vector<Packet> pkts(kN);
      std::vector<std::vector<uint8_t>> pts(kN);
      std::vector<CryptoOp> ops(kN);
      const uint32_t lens[] = {64, 1392, 576, 96, 208};
      for (uint16_t i = 0; i < kN; ++i) {
        const uint32_t len = lens[i % 5];
        pkts[i] = make_packet(sa, len);
        pts[i].resize(len);
        for (auto& b : pts[i]) b = static_cast<uint8_t>(rng());
        std::memset(pkts[i].esp(), 0, 8);
        pkts[i].esp()[7] = static_cast<uint8_t>(i + 1);
        std::memcpy(pkts[i].payload(), pts[i].data(), len);
        ops[i] = pkts[i].op(&sa);
      }
      engine_.encrypt_burst(ops.data(), kN);
      for (uint16_t i = 0; i < kN; ++i) {
        ASSERT_TRUE(ops[i].ok);
        ops[i] = pkts[i].op(&sa);
      }
      pkts[1].icv()[0] ^= 0x01;
      pkts[3].icv()[pkts[3].icv_len - 1] ^= 0x80;
      pkts[5].payload()[10] ^= 0x04;
      pkts[7].payload()[63] ^= 0x01;
      ops[9].sa = &sa_wrong.params;
      ops[9].keys = &sa_wrong.keys;
      pkts[11].esp()[0] ^= 0x40;   // SPI
      pkts[13].esp()[8] ^= 0x01;   // IV (in the ICV/nonce)
      ops[15].payload_len = 63;    // not a multiple of the block alignment
      engine_.decrypt_burst(ops.data(), kN);
      for (uint16_t i = 0; i < kN; ++i) {
        const bool damaged = i == 1 || i == 3 || i == 5 || i == 7 || i == 9 || i == 11 ||
                             i == 13 || i == 15;
        EXPECT_EQ(ops[i].ok, !damaged) << format(s.c) << "/" << format(s.a) << " i=" << i;
        if (!damaged) {
          EXPECT_EQ(std::memcmp(pkts[i].payload(), pts[i].data(), pts[i].size()), 0) << " i=" << i;
        }
      }
    }
  }
}

// RFC 3602 §2.1: CBC IVs must be unpredictable; at least they must differ.
TEST_F(ImbEngineTest, CbcIvsAreFreshAcrossPacketsAndBursts) {
  std::mt19937 rng(3602);
  const Keys k = random_keys(EspCipher::AesCbc128, EspAuth::HmacSha1_96, rng);
  const SaCrypto sa = prepare(EspCipher::AesCbc128, EspAuth::HmacSha1_96, k.enc, k.auth);
  std::set<std::string> ivs;
  for (int burst = 0; burst < 10; ++burst) {
    std::vector<Packet> pkts(16);
    std::vector<CryptoOp> ops(16);
    for (int i = 0; i < 16; ++i) {
      pkts[i] = make_packet(sa, 32);
      std::memset(pkts[i].payload(), 0, 32);
      ops[i] = pkts[i].op(&sa);
    }
    engine_.encrypt_burst(ops.data(), 16);
    for (auto& p : pkts) ivs.insert(to_hex(p.esp() + 8, 16));
  }
  EXPECT_EQ(ivs.size(), 160u);
}

TEST_F(ImbEngineTest, RefusesSaPreparedForAnotherArch) {
  std::mt19937 rng(1);
  const Keys k = random_keys(EspCipher::AesGcm128, EspAuth::None, rng);
  SaCrypto sa = prepare(EspCipher::AesGcm128, EspAuth::None, k.enc, k.auth);
  EXPECT_EQ(sa.params.imb_arch, engine_.arch());
  sa.params.imb_arch = IMB_ARCH_SSE == engine_.arch() ? IMB_ARCH_AVX512 : IMB_ARCH_SSE;
  Packet p = make_packet(sa, 32);
  CryptoOp op = p.op(&sa);
  engine_.encrypt_burst(&op, 1);
  EXPECT_FALSE(op.ok);
}

// In one burst, SAs of one algorithm pair prepared for this arch and for another, and an op
// without an SA: the engine classifies ops by the SA's algorithms and arch, so only the
// foreign and the missing ones fail, wherever they sit.
TEST_F(ImbEngineTest, ForeignArchAndMissingSaFailInAMixedBurst) {
  std::mt19937 rng(2);
  for (const Suite& s : {Suite{EspCipher::AesGcm128, EspAuth::None},
                         Suite{EspCipher::AesCbc128, EspAuth::HmacSha1_96}}) {
    const Keys k = random_keys(s.c, s.a, rng);
    const SaCrypto good = prepare(s.c, s.a, k.enc, k.auth);
    SaCrypto foreign = good;
    foreign.params.imb_arch = IMB_ARCH_SSE == engine_.arch() ? IMB_ARCH_AVX512 : IMB_ARCH_SSE;
    constexpr uint16_t kN = 12;
    std::vector<Packet> pkts(kN);
    std::vector<CryptoOp> ops(kN);
    for (uint16_t i = 0; i < kN; ++i) {
      pkts[i] = make_packet(good, 64);
      ops[i] = pkts[i].op(i % 3 == 1 ? &foreign : &good);
    }
    ops[9].sa = nullptr;
    engine_.encrypt_burst(ops.data(), kN);
    for (uint16_t i = 0; i < kN; ++i)
      EXPECT_EQ(ops[i].ok, i % 3 != 1 && i != 9) << format(s.c) << " i=" << i;
  }
}

}  // namespace
}  // namespace l2tpgw::dp
