// SPDX-License-Identifier: Apache-2.0
// Encrypted ISAKMP messages and HASH-first chains (RFC 2409 App. B, §5.5, §5.7).
#include "controlplane/ike/message.hpp"

#include <cstring>

namespace l2tpgw::cp::ike {

CryptoResult<Bytes> decrypt_body(const CipherSuite& c, ByteView key, ByteView iv,
                                 ByteView message, Bytes& plain) {
  if (message.size() <= kHeaderLen) return CryptoError::BadLength;
  const ByteView body = message.subspan(kHeaderLen);
  if (body.size() % c.block_length() != 0) return CryptoError::BadLength;
  auto p = cbc_decrypt(c, key, iv, body);
  if (!p) return p.error();
  plain = std::move(*p);
  const ByteView last = body.last(c.block_length());
  return Bytes(last.begin(), last.end());
}

CryptoResult<Bytes> encrypt_message(IsakmpHeader h, uint8_t first, ByteView chain,
                                    const CipherSuite& c, ByteView key, ByteView iv,
                                    Bytes& next_iv) {
  const size_t block = c.block_length();
  Bytes padded(chain.size() + (block - chain.size() % block) % block, 0);
  if (!chain.empty()) std::memcpy(padded.data(), chain.data(), chain.size());
  auto ct = cbc_encrypt(c, key, iv, padded);
  if (!ct) return ct.error();
  h.next_payload = first;
  h.flags |= kFlagEncryption;
  h.length = static_cast<uint32_t>(kHeaderLen + ct->size());
  Bytes out;
  out.reserve(h.length);
  encode_header(h, out);
  out.insert(out.end(), ct->begin(), ct->end());
  if (ct->size() >= block) {
    next_iv.assign(ct->end() - static_cast<long>(block), ct->end());
  } else {
    next_iv.assign(iv.begin(), iv.end());  // an empty chain leaves the IV as it was
  }
  return out;
}

Bytes hash_first_chain(ByteView hash, ByteView rest, uint8_t rest_first) {
  Bytes out;
  out.reserve(kGenericHeaderLen + hash.size() + rest.size());
  const size_t len = kGenericHeaderLen + hash.size();
  out.push_back(rest_first);
  out.push_back(0);
  out.push_back(static_cast<uint8_t>(len >> 8));
  out.push_back(static_cast<uint8_t>(len));
  out.insert(out.end(), hash.begin(), hash.end());
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

ByteView after_first_payload(const std::vector<PayloadView>& chain) {
  if (chain.size() < 2) return {};
  const uint8_t* begin = chain[1].raw.data();
  const uint8_t* end = chain.back().raw.data() + chain.back().raw.size();
  return ByteView(begin, static_cast<size_t>(end - begin));
}

}  // namespace l2tpgw::cp::ike
