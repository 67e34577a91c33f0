// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ike/message: encrypted ISAKMP messages (zero padding to the block, the
// last ciphertext block as the next IV, RFC 2409 App. B) and HASH-first chains (§5.5).
#include "controlplane/ike/message.hpp"

#include <gtest/gtest.h>

namespace l2tpgw::cp::ike {
namespace {

TEST(IkeMessage, EncryptPadsWithZerosAndDecryptsBack) {
  const CipherSuite c{CipherAlg::AesCbc, 128};
  const Bytes key(16, 0x11), iv(16, 0x22);
  for (size_t n : {size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{40}}) {
    PayloadChain chain;
    chain.add(PayloadType::VendorId, Bytes(n - 1 < 4 ? 0 : n - 4, 0xab));
    const Bytes body = chain.serialize();
    IsakmpHeader h;
    h.exchange = ExchangeType::Informational;
    h.message_id = 5;
    Bytes next;
    auto m = encrypt_message(h, chain.first_type(), body, c, key, iv, next);
    ASSERT_TRUE(m);
    auto hd = decode_header(*m);
    ASSERT_TRUE(hd);
    EXPECT_TRUE(hd->flags & kFlagEncryption);
    EXPECT_EQ(hd->length, m->size());
    EXPECT_EQ((m->size() - kHeaderLen) % 16, 0u);
    EXPECT_EQ(m->size() - kHeaderLen, (body.size() + 15) / 16 * 16);  // no block when aligned
    EXPECT_EQ(next, Bytes(m->end() - 16, m->end()));
    Bytes plain;
    auto last = decrypt_body(c, key, iv, *m, plain);
    ASSERT_TRUE(last);
    EXPECT_EQ(*last, next);
    EXPECT_EQ(Bytes(plain.begin(), plain.begin() + static_cast<long>(body.size())), body);
    for (size_t i = body.size(); i < plain.size(); ++i) EXPECT_EQ(plain[i], 0);
    auto walked = walk_payloads(hd->next_payload, plain, true);
    ASSERT_TRUE(walked);
    EXPECT_EQ(walked->size(), 1u);
  }
}

TEST(IkeMessage, DecryptRefusesPartialBlocks) {
  const CipherSuite c{CipherAlg::TdesCbc, 192};
  const Bytes key(24, 1), iv(8, 2);
  Bytes plain;
  Bytes m(kHeaderLen + 12, 0);
  EXPECT_EQ(decrypt_body(c, key, iv, m, plain).error(), CryptoError::BadLength);
  Bytes header_only(kHeaderLen, 0);
  EXPECT_EQ(decrypt_body(c, key, iv, header_only, plain).error(), CryptoError::BadLength);
}

TEST(IkeMessage, HashFirstChainAndWhatTheHashCovers) {
  PayloadChain rest;
  rest.add(PayloadType::Nonce, Bytes(8, 1));
  rest.add(PayloadType::Delete, Bytes(12, 2));
  const Bytes rest_b = rest.serialize();
  const Bytes chain = hash_first_chain(Bytes(20, 7), rest_b, rest.first_type());
  auto walked = walk_payloads(static_cast<uint8_t>(PayloadType::Hash), chain, false);
  ASSERT_TRUE(walked);
  ASSERT_EQ(walked->size(), 3u);
  EXPECT_EQ((*walked)[0].body.size(), 20u);
  const ByteView after = after_first_payload(*walked);
  EXPECT_EQ(Bytes(after.begin(), after.end()), rest_b);
  // With padding behind the chain the covered bytes stop at the last payload.
  Bytes padded = chain;
  padded.insert(padded.end(), 5, 0);
  auto w2 = walk_payloads(static_cast<uint8_t>(PayloadType::Hash), padded, true);
  ASSERT_TRUE(w2);
  EXPECT_EQ(after_first_payload(*w2).size(), rest_b.size());
  EXPECT_TRUE(after_first_payload({(*walked)[0]}).empty());
}

}  // namespace
}  // namespace l2tpgw::cp::ike
