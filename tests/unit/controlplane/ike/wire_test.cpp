// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ike/wire: ISAKMP messages built by an independent encoder (scapy and
// struct.pack from the RFC diagrams, tests/vectors/ike/wire.txt) decode to the fields they
// were built with and re-encode to the same bytes; every truncation and every bad length
// field is refused with its named error.
#include "controlplane/ike/wire.hpp"


#include <gtest/gtest.h>

#include "vector_file.hpp"

namespace l2tpgw::cp::ike {
namespace {

using test::from_hex;
using test::load_vectors;

std::string hex(ByteView b) { return test::to_hex(b.data(), b.size()); }

// "7:1/14:256" -> the attributes' (type, integer) pairs in order.
std::string attrs_text(const std::vector<Attribute>& attrs) {
  std::string out;
  for (const auto& a : attrs) {
    if (!out.empty()) out += "/";
    out += std::to_string(a.type) + ":" + std::to_string(a.integer().value_or(~0ull));
  }
  return out;
}

std::string types_text(const std::vector<PayloadView>& chain) {
  std::string out;
  for (const auto& p : chain) {
    if (!out.empty()) out += ",";
    out += std::to_string(static_cast<unsigned>(p.type));
  }
  return out;
}

// Re-encodes one decoded payload body with our encoder (opaque payloads as they are).
Bytes reencode(const PayloadView& p) {
  switch (p.type) {
    case PayloadType::Sa: return encode_sa(*decode_sa(p.body));
    case PayloadType::Identification: return encode_identification(*decode_identification(p.body));
    case PayloadType::Notification: return encode_notification(*decode_notification(p.body));
    case PayloadType::Delete: return encode_delete(*decode_delete(p.body));
    case PayloadType::NatOa:
    case PayloadType::NatOaDraft: return encode_nat_oa(*decode_nat_oa(p.body));
    default: return Bytes(p.body.begin(), p.body.end());
  }
}

TEST(IkeWire, IndependentVectorsDecodeAndReencode) {
  const auto records = load_vectors("ike/wire.txt");
  ASSERT_GE(records.size(), 8u);
  for (const auto& rec : records) {
    SCOPED_TRACE(rec.at("name"));
    const Bytes msg = from_hex(rec.at("msg"));
    auto h = decode_header(msg);
    ASSERT_TRUE(h) << to_string(h.error());
    EXPECT_EQ(static_cast<unsigned>(h->exchange), std::stoul(rec.at("exchange")));
    EXPECT_EQ(h->length, msg.size());
    if (rec.contains("message_id")) {
      EXPECT_EQ(h->message_id, std::stoul(rec.at("message_id")));
    }
    auto chain = walk_payloads(h->next_payload, ByteView(msg).subspan(kHeaderLen), false);
    ASSERT_TRUE(chain) << to_string(chain.error());
    EXPECT_EQ(types_text(*chain), rec.at("payloads"));

    // Every body decodes with its own decoder.
    for (const auto& p : *chain) {
      bool ok = true;
      switch (p.type) {
        case PayloadType::Sa: ok = decode_sa(p.body).ok(); break;
        case PayloadType::KeyExchange: ok = decode_key_exchange(p.body).ok(); break;
        case PayloadType::Nonce: ok = decode_nonce(p.body).ok(); break;
        case PayloadType::Identification: ok = decode_identification(p.body).ok(); break;
        case PayloadType::Hash: ok = decode_hash(p.body).ok(); break;
        case PayloadType::Notification: ok = decode_notification(p.body).ok(); break;
        case PayloadType::Delete: ok = decode_delete(p.body).ok(); break;
        case PayloadType::NatD:
        case PayloadType::NatDDraft: ok = decode_nat_d(p.body).ok(); break;
        case PayloadType::NatOa:
        case PayloadType::NatOaDraft: ok = decode_nat_oa(p.body).ok(); break;
        default: break;
      }
      EXPECT_TRUE(ok) << "payload type " << static_cast<unsigned>(p.type);
    }

    // Our encoder writes the same bytes back (header, chain, every body).
    PayloadChain out;
    for (const auto& p : *chain) out.add(p.type, reencode(p));
    EXPECT_EQ(hex(build_plain_message(*h, out)), rec.at("msg"));

    // Fields the generator wrote down.
    if (rec.contains("transforms")) {
      auto sa = decode_sa(find_payload(*chain, PayloadType::Sa)->body);
      ASSERT_TRUE(sa);
      ASSERT_EQ(sa->proposals.size(), 1u);
      const auto& p = sa->proposals[0];
      EXPECT_EQ(p.protocol, static_cast<uint8_t>(ProtocolId::Isakmp));
      ASSERT_EQ(p.transforms.size(), std::stoul(rec.at("transforms")));
      EXPECT_EQ(p.transforms[0].id, kKeyIke);
      EXPECT_EQ(attrs_text(p.transforms[0].attributes), rec.at("t1_attrs"));
      EXPECT_EQ(attrs_text(p.transforms[2].attributes), rec.at("t3_attrs"));
      EXPECT_EQ(p.transforms[2].number, 3);
    }
    if (rec.contains("proposals")) {
      auto sa = decode_sa(find_payload(*chain, PayloadType::Sa)->body);
      ASSERT_TRUE(sa);
      ASSERT_EQ(sa->proposals.size(), std::stoul(rec.at("proposals")));
      EXPECT_EQ(sa->proposals[0].protocol, static_cast<uint8_t>(ProtocolId::IpsecEsp));
      EXPECT_EQ(hex(sa->proposals[0].spi), rec.at("p1_spi"));
      EXPECT_EQ(attrs_text(sa->proposals[0].transforms[0].attributes), rec.at("p1_attrs"));
      EXPECT_EQ(attrs_text(sa->proposals[1].transforms[0].attributes), rec.at("p2_attrs"));
      EXPECT_EQ(sa->proposals[1].transforms[0].id, static_cast<uint8_t>(EspTransformId::AesGcm16));
    }
    if (rec.contains("ke")) {
      EXPECT_EQ(hex(*decode_key_exchange(find_payload(*chain, PayloadType::KeyExchange)->body)),
                rec.at("ke"));
      EXPECT_EQ(hex(*decode_nonce(find_payload(*chain, PayloadType::Nonce)->body)), rec.at("nonce"));
    }
    if (rec.contains("natd1")) {
      EXPECT_EQ(hex(*decode_nat_d(find_payload(*chain, PayloadType::NatD)->body)), rec.at("natd1"));
    }
    if (rec.contains("id_type")) {
      auto id = decode_identification(find_payload(*chain, PayloadType::Identification)->body);
      ASSERT_TRUE(id);
      EXPECT_EQ(id->type, std::stoul(rec.at("id_type")));
      EXPECT_EQ(id->protocol, std::stoul(rec.at("id_protocol")));
      EXPECT_EQ(id->port, std::stoul(rec.at("id_port")));
      EXPECT_EQ(hex(id->data), rec.at("id_data"));
      EXPECT_EQ(single_ipv4(*id), 0xc000020au);
    }
    if (rec.contains("idcr_data")) {
      const PayloadView* ids[2] = {nullptr, nullptr};
      int n = 0;
      for (const auto& p : *chain)
        if (p.type == PayloadType::Identification && n < 2) ids[n++] = &p;
      ASSERT_EQ(n, 2);
      auto idcr = decode_identification(ids[1]->body);
      ASSERT_TRUE(idcr);
      EXPECT_EQ(idcr->type, static_cast<uint8_t>(IdType::Ipv4AddrSubnet));
      EXPECT_EQ(hex(idcr->data), rec.at("idcr_data"));
      EXPECT_EQ(single_ipv4(*idcr), 0xcb007101u);  // a /32 subnet names one address
    }
    if (rec.contains("notify_type")) {
      auto n = decode_notification(find_payload(*chain, PayloadType::Notification)->body);
      ASSERT_TRUE(n);
      EXPECT_EQ(n->type, std::stoul(rec.at("notify_type")));
      EXPECT_EQ(hex(n->spi), rec.at("notify_spi"));
      if (rec.contains("notify_data")) {
        EXPECT_EQ(hex(n->data), rec.at("notify_data"));
      }
    }
    if (rec.contains("delete2_spis")) {
      auto d = decode_delete(chain->at(2).body);
      ASSERT_TRUE(d);
      EXPECT_EQ(d->protocol, static_cast<uint8_t>(ProtocolId::IpsecEsp));
      ASSERT_EQ(d->spis.size(), 2u);
      EXPECT_EQ(hex(d->spis[0]) + "," + hex(d->spis[1]), rec.at("delete2_spis"));
      auto d1 = decode_delete(chain->at(1).body);
      ASSERT_TRUE(d1);
      EXPECT_EQ(d1->spi_size, kIsakmpSpiSize);
    }
    if (rec.contains("oa1")) {
      const PayloadView* oa = find_payload(*chain, PayloadType::NatOa);
      if (!oa) oa = find_payload(*chain, PayloadType::NatOaDraft);
      ASSERT_NE(oa, nullptr);
      EXPECT_EQ(hex(decode_nat_oa(oa->body)->address), rec.at("oa1"));
    }
  }
}

// STYLE.md "negative table": every prefix of every vector is refused, whether the header's
// Length still claims the whole message (BadLength) or is patched to the prefix (the chain
// then runs past it).
TEST(IkeWire, EveryTruncationIsRefused) {
  for (const auto& rec : load_vectors("ike/wire.txt")) {
    SCOPED_TRACE(rec.at("name"));
    const Bytes msg = from_hex(rec.at("msg"));
    for (size_t n = 0; n < msg.size(); ++n) {
      Bytes cut(msg.begin(), msg.begin() + static_cast<long>(n));
      auto h = decode_header(cut);
      ASSERT_FALSE(h) << n;
      EXPECT_EQ(h.error(), n < kHeaderLen ? WireError::Truncated : WireError::BadLength);
      if (n < kHeaderLen) continue;
      cut[24] = static_cast<uint8_t>(n >> 24);
      cut[25] = static_cast<uint8_t>(n >> 16);
      cut[26] = static_cast<uint8_t>(n >> 8);
      cut[27] = static_cast<uint8_t>(n);
      auto h2 = decode_header(cut);
      ASSERT_TRUE(h2);
      auto chain = walk_payloads(h2->next_payload, ByteView(cut).subspan(kHeaderLen), false);
      bool refused = !chain;
      // A cut inside a payload may leave a chain that walks but a body that no longer decodes.
      if (chain) {
        for (const auto& p : *chain) {
          if (p.type == PayloadType::Sa && !decode_sa(p.body)) refused = true;
          if (p.type == PayloadType::Nonce && !decode_nonce(p.body)) refused = true;
        }
      }
      EXPECT_TRUE(refused) << "prefix of " << n << " bytes accepted";
    }
  }
}

TEST(IkeWire, HeaderChecks) {
  Bytes msg = from_hex(load_vectors("ike/wire.txt").at(2).at("msg"));  // mm3_scapy
  ASSERT_TRUE(decode_header(msg));
  Bytes v = msg;
  v[17] = 0x20;  // MjVer 2: an IKEv2 message
  EXPECT_EQ(decode_header(v).error(), WireError::BadMajorVersion);
  v[17] = 0x11;  // a minor version we do not know is accepted (RFC 2408 §5.1 only for MjVer)
  EXPECT_TRUE(decode_header(v));
  // Length 0, 27, the datagram + 1, 0xffffffff.
  for (uint32_t len : {0u, 27u, static_cast<uint32_t>(msg.size() + 1), 0xffffffffu}) {
    Bytes b = msg;
    b[24] = static_cast<uint8_t>(len >> 24);
    b[25] = static_cast<uint8_t>(len >> 16);
    b[26] = static_cast<uint8_t>(len >> 8);
    b[27] = static_cast<uint8_t>(len);
    EXPECT_EQ(decode_header(b).error(), WireError::BadLength) << len;
  }
  // A datagram longer than Length: the header decodes (the caller walks Length bytes).
  Bytes longer = msg;
  longer.push_back(0);
  EXPECT_TRUE(decode_header(longer));
}

// Payload Length 0, 1, 3 (under the generic header), the bytes present + 1, and 0xffff.
TEST(IkeWire, PayloadLengthClaims) {
  const Bytes msg = from_hex(load_vectors("ike/wire.txt").at(2).at("msg"));
  const ByteView body = ByteView(msg).subspan(kHeaderLen);
  ASSERT_TRUE(walk_payloads(4, body, false));
  for (size_t len : {size_t{0}, size_t{1}, size_t{3}, body.size() + 1, size_t{0xffff}}) {
    Bytes b(body.begin(), body.end());
    b[2] = static_cast<uint8_t>(len >> 8);
    b[3] = static_cast<uint8_t>(len);
    auto chain = walk_payloads(4, b, false);
    ASSERT_FALSE(chain) << len;
    EXPECT_EQ(chain.error(), WireError::BadPayloadLength) << len;
  }
  // An unknown payload type in the chain (RFC 2408 §5.2 INVALID-PAYLOAD-TYPE), and bytes after
  // the last payload of a plain message; allowed as padding in a decrypted one.
  EXPECT_EQ(walk_payloads(99, body, false).error(), WireError::InvalidPayloadType);
  Bytes trailing(body.begin(), body.end());
  trailing.push_back(0);
  EXPECT_EQ(walk_payloads(4, trailing, false).error(), WireError::BadLength);
  EXPECT_TRUE(walk_payloads(4, trailing, true));
  // A chain of more than kMaxPayloads empty Vendor IDs.
  PayloadChain many;
  for (size_t i = 0; i <= kMaxPayloads; ++i) many.add(PayloadType::VendorId, Bytes{});
  EXPECT_EQ(walk_payloads(13, many.serialize(), false).error(), WireError::TooManyPayloads);
}

SaPayload sample_sa() {
  SaPayload sa;
  Proposal p;
  p.number = 1;
  p.protocol = static_cast<uint8_t>(ProtocolId::IpsecEsp);
  p.spi = {0xc0, 0xff, 0xee, 0x01};
  Transform t;
  t.number = 1;
  t.id = static_cast<uint8_t>(EspTransformId::Aes);
  t.attributes = {tv_attribute(1, 1), variable_attribute(2, 28800), variable_attribute(2, 250000),
                  tv_attribute(4, kEncapTransport), tv_attribute(5, kAuthHmacSha)};
  p.transforms = {t, t};
  p.transforms[1].number = 2;
  sa.proposals = {p};
  return sa;
}

TEST(IkeWire, SaRoundTripAndStructureErrors) {
  const SaPayload sa = sample_sa();
  const Bytes good = encode_sa(sa);
  auto back = decode_sa(good);
  ASSERT_TRUE(back) << to_string(back.error());
  EXPECT_EQ(*back, sa);
  EXPECT_FALSE(back->proposals[0].transforms[0].attributes[2].tv);  // 250000 needs a TLV
  EXPECT_EQ(back->proposals[0].transforms[0].attributes[2].integer(), 250000u);

  auto expect = [](Bytes b, WireError e, const char* what) {
    auto r = decode_sa(b);
    ASSERT_FALSE(r) << what;
    EXPECT_EQ(r.error(), e) << what << ": " << to_string(r.error());
  };
  // Offsets: DOI 0, situation 4, proposal header 8 (next 8, len 10..11), proposal # 12,
  // protocol 13, SPI size 14, # transforms 15, SPI 16..19, first transform header 20.
  Bytes b = good;
  b[3] = 2;
  expect(b, WireError::BadDoi, "DOI 2");
  b = good;
  b[7] = 2;
  expect(b, WireError::BadSituation, "SIT_SECRECY");
  b = good;
  b[15] = 3;
  expect(b, WireError::BadProposalSyntax, "# of transforms 3 for 2 present");
  b = good;
  b[15] = 1;
  expect(b, WireError::BadProposalSyntax, "# of transforms 1 for 2 present");
  b = good;
  b[15] = 0;
  expect(b, WireError::BadProposalSyntax, "# of transforms 0");
  b = good;
  b[14] = 200;
  expect(b, WireError::BadProposalSyntax, "SPI size past the proposal");
  b = good;
  b[8] = 7;
  expect(b, WireError::BadProposalSyntax, "proposal Next Payload 7");
  b = good;
  b[20] = 2;
  expect(b, WireError::BadProposalSyntax, "transform Next Payload 2");
  b = good;
  b[11] = static_cast<uint8_t>(b[11] + 1);
  expect(b, WireError::BadProposalSyntax, "proposal length past the SA");
  expect(Bytes(good.begin(), good.begin() + 8), WireError::BadProposalSyntax, "no proposal");
  expect(Bytes(good.begin(), good.begin() + 3), WireError::Truncated, "3 bytes");
  // A TLV attribute whose length runs past its transform: the first attribute of transform 1
  // starts at 28; make it TLV with length 0x4000.
  b = good;
  b[28] = 0x00;
  b[30] = 0x40;
  expect(b, WireError::BadAttribute, "TLV past the transform");
}

TEST(IkeWire, AttributeBoundsAndIntegers) {
  EXPECT_FALSE(decode_attributes(from_hex("8001")));      // half an attribute
  EXPECT_FALSE(decode_attributes(from_hex("0002000501")));  // TLV claims 5, has 1
  auto ok = decode_attributes(from_hex("0002000400015180" "800b0001"));
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)[0].integer(), 86400u);
  EXPECT_EQ((*ok)[1].integer(), 1u);
  auto nine = decode_attributes(from_hex("0002000901020304050607080a"));
  ASSERT_TRUE(nine);
  EXPECT_FALSE((*nine)[0].integer());  // wider than 64 bits
  auto empty = decode_attributes(from_hex("00020000"));
  ASSERT_TRUE(empty);
  EXPECT_FALSE((*empty)[0].integer());
  Bytes many;
  for (size_t i = 0; i <= kMaxAttributes; ++i) {
    auto a = from_hex("800b0001");
    many.insert(many.end(), a.begin(), a.end());
  }
  EXPECT_EQ(decode_attributes(many).error(), WireError::TooManyPayloads);
}

TEST(IkeWire, BodyLengthRules) {
  // RFC 2409 §5 nonce bounds.
  EXPECT_EQ(decode_nonce(Bytes(7)).error(), WireError::BadNonce);
  EXPECT_TRUE(decode_nonce(Bytes(8)));
  EXPECT_TRUE(decode_nonce(Bytes(256)));
  EXPECT_EQ(decode_nonce(Bytes(257)).error(), WireError::BadNonce);
  EXPECT_EQ(decode_key_exchange(Bytes{}).error(), WireError::BadKeyExchange);
  EXPECT_EQ(decode_hash(Bytes{}).error(), WireError::BadHash);
  EXPECT_EQ(decode_nat_d(Bytes{}).error(), WireError::BadNatD);
  // RFC 2407 §4.6.2.1 address lengths.
  EXPECT_EQ(decode_identification(from_hex("01110000c00002")).error(), WireError::BadIdentification);
  EXPECT_EQ(decode_identification(from_hex("0411000000000000")).error(), WireError::BadIdentification);
  EXPECT_EQ(decode_identification(from_hex("02000000")).error(), WireError::BadIdentification);
  EXPECT_EQ(decode_identification(from_hex("63000000aa")).error(), WireError::BadIdentification);
  EXPECT_EQ(decode_identification(from_hex("011100")).error(), WireError::BadIdentification);
  auto fqdn = decode_identification(from_hex("02000000" "76706e"));  // "vpn"
  ASSERT_TRUE(fqdn);
  EXPECT_FALSE(single_ipv4(*fqdn));
  EXPECT_FALSE(single_ipv4(*decode_identification(from_hex("040000000a000000ffffff00"))));
  EXPECT_EQ(encode_identification(ipv4_id(0xc000020a, 17, 1701)), from_hex("011106a5c000020a"));
  // id_text, what `show ipsec sa` prints: names as text, control bytes masked; not addresses.
  EXPECT_EQ(id_text(ipv4_id(0xc000020a)), "");
  EXPECT_EQ(id_text(*fqdn), "vpn");
  EXPECT_EQ(id_text(*decode_identification(from_hex("03000000" "610a62"))), "a?b");
  EXPECT_EQ(id_text(*decode_identification(from_hex("040000000a000000ffffff00"))), "") << "a subnet";
  Identification long_name{static_cast<uint8_t>(IdType::Fqdn), 0, 0, Bytes(100, 'x')};
  EXPECT_EQ(id_text(long_name), std::string(64, 'x'));
  // Notification: SPI Size past the payload.
  EXPECT_EQ(decode_notification(from_hex("00000001011060020102")).error(), WireError::BadNotification);
  EXPECT_EQ(decode_notification(from_hex("000000010110")).error(), WireError::BadNotification);
  // Delete: the count must describe the bytes exactly.
  EXPECT_EQ(decode_delete(from_hex("0000000103040002c0ffee01")).error(), WireError::BadDelete);
  EXPECT_EQ(decode_delete(from_hex("0000000103040001c0ffee01aa")).error(), WireError::BadDelete);
  EXPECT_EQ(decode_delete(from_hex("0000000103000000")).error(), WireError::BadDelete);
  EXPECT_EQ(decode_delete(from_hex("0000000103040000")).error(), WireError::BadDelete);
  EXPECT_TRUE(decode_delete(from_hex("0000000103040001c0ffee01")));
  // NAT-OA: IPv4 is 4 bytes, IPv6 16, other types refused.
  EXPECT_EQ(decode_nat_oa(from_hex("01000000c00002")).error(), WireError::BadNatOa);
  EXPECT_EQ(decode_nat_oa(from_hex("02000000c000020a")).error(), WireError::BadNatOa);
  EXPECT_EQ(decode_nat_oa(from_hex("010000")).error(), WireError::BadNatOa);
  EXPECT_TRUE(decode_nat_oa(from_hex("05000000" "20010db8000000000000000000000001")));
}

TEST(IkeWire, BuildPlainMessageChainsNextPayloads) {
  IsakmpHeader h;
  h.exchange = ExchangeType::Informational;
  h.flags = kFlagEncryption;  // cleared: a plain message is not encrypted
  h.message_id = 7;
  PayloadChain c;
  c.add(PayloadType::Hash, Bytes(20, 0xaa));
  c.add(PayloadType::Notification, Bytes(12, 0));
  const Bytes m = build_plain_message(h, c);
  auto hd = decode_header(m);
  ASSERT_TRUE(hd);
  EXPECT_EQ(hd->next_payload, 8);
  EXPECT_EQ(hd->flags, 0);
  EXPECT_EQ(hd->length, 28u + 24u + 16u);
  auto chain = walk_payloads(hd->next_payload, ByteView(m).subspan(kHeaderLen), false);
  ASSERT_TRUE(chain);
  EXPECT_EQ(types_text(*chain), "8,11");
  EXPECT_EQ(chain->at(0).raw.size(), 24u);
  EXPECT_EQ(chain->at(0).raw[0], 11);  // the hash's Next Payload names the notification
}

}  // namespace
}  // namespace l2tpgw::cp::ike
