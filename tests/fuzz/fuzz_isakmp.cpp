// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the ISAKMP codec (controlplane/ike/wire). Every accepted chain stays inside
// its message, and every payload body that decodes re-encodes to bytes that decode to the same
// value (decode(encode(x)) == x), for the header, SA/Proposal/Transform/attributes, ID,
// Notification, Delete, NAT-D and NAT-OA.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "controlplane/ike/wire.hpp"

using namespace l2tpgw::cp::ike;

namespace {

template <class T, class Dec, class Enc>
void round_trip(ByteView body, Dec decode, Enc encode) {
  auto v = decode(body);
  if (!v) return;
  const Bytes again = encode(*v);
  auto w = decode(again);
  if (!w || !(*w == *v)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView in(data, size);
  auto h = decode_header(in);
  if (!h) return 0;
  if (h->length < kHeaderLen || h->length > size) std::abort();
  // Header round trip.
  Bytes hb;
  encode_header(*h, hb);
  hb.insert(hb.end(), data + kHeaderLen, data + h->length);
  auto h2 = decode_header(hb);
  if (!h2 || !(*h2 == *h)) std::abort();
  const ByteView body = in.subspan(kHeaderLen, h->length - kHeaderLen);
  for (bool trailing : {false, true}) {
    auto chain = walk_payloads(h->next_payload, body, trailing);
    if (!chain) continue;
    size_t total = 0;
    for (const auto& p : *chain) {
      if (p.raw.data() < body.data() || p.raw.data() + p.raw.size() > body.data() + body.size())
        std::abort();
      if (p.raw.size() != p.body.size() + kGenericHeaderLen) std::abort();
      total += p.raw.size();
      switch (p.type) {
        case PayloadType::Sa: round_trip<SaPayload>(p.body, decode_sa, encode_sa); break;
        case PayloadType::Identification:
          round_trip<Identification>(p.body, decode_identification, encode_identification);
          break;
        case PayloadType::Notification:
          round_trip<Notification>(p.body, decode_notification, encode_notification);
          break;
        case PayloadType::Delete: round_trip<Delete>(p.body, decode_delete, encode_delete); break;
        case PayloadType::NatOa:
        case PayloadType::NatOaDraft:
          round_trip<NatOa>(p.body, decode_nat_oa, encode_nat_oa);
          break;
        case PayloadType::Nonce: (void)decode_nonce(p.body); break;
        case PayloadType::KeyExchange: (void)decode_key_exchange(p.body); break;
        case PayloadType::Hash: (void)decode_hash(p.body); break;
        case PayloadType::NatD:
        case PayloadType::NatDDraft: (void)decode_nat_d(p.body); break;
        default: break;
      }
    }
    if (total > body.size() || (!trailing && total != body.size())) std::abort();
    // The chain rebuilt from its bodies walks to the same types and bodies.
    PayloadChain c;
    for (const auto& p : *chain) c.add(p.type, p.body);
    const Bytes rebuilt = c.serialize();
    auto again = walk_payloads(c.first_type(), rebuilt, false);
    if (!again || again->size() != chain->size()) std::abort();
    for (size_t i = 0; i < chain->size(); ++i) {
      const auto& a = (*again)[i];
      const auto& b = (*chain)[i];
      if (a.type != b.type || a.body.size() != b.body.size()) std::abort();
      if (!std::equal(a.body.begin(), a.body.end(), b.body.begin())) std::abort();
    }
  }
  // Attributes on their own (transform bodies are where they live, but any bytes will do).
  auto attrs = decode_attributes(body);
  if (attrs) {
    Bytes enc;
    encode_attributes(*attrs, enc);
    auto back = decode_attributes(enc);
    if (!back || !(*back == *attrs)) std::abort();
  }
  return 0;
}
