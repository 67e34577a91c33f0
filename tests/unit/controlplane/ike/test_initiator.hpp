// SPDX-License-Identifier: Apache-2.0
// A test-only IKEv1 initiator built from the codec and crypto (never from the responder): it
// writes Main Mode, Quick Mode and Informational messages as an L2TP/IPsec client does, and
// checks what the responder sends back (HASH_R, HASH(2), the chosen transforms, NAT-D,
// informational hashes), deriving its own KEYMAT so tests can compare it with the keys the
// responder installed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "controlplane/ike/crypto.hpp"
#include "controlplane/ike/ike_sa.hpp"
#include "controlplane/ike/message.hpp"
#include "controlplane/ike/proposal.hpp"
#include "controlplane/ike/wire.hpp"

namespace l2tpgw::cp::ike::test {

inline Bytes be32b(uint32_t v) {
  return Bytes{static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
               static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}
inline uint32_t be32v(ByteView b) {
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
}

// One phase-1 transform as a client offers it (RFC 2409 App. A values).
struct P1Offer {
  uint16_t enc = kOakleyAesCbc;
  uint16_t key_bits = 256;  // 0: no Key Length attribute
  uint16_t hash = kOakleySha;
  uint16_t group = 2;
  uint16_t auth = kAuthPreSharedKey;
  uint32_t life = 28800;
};

// One ESP proposal (RFC 2407 §4.4.4/§4.5 values).
struct EspOffer {
  uint8_t id = static_cast<uint8_t>(EspTransformId::Aes);
  uint16_t key_bits = 256;  // 0: none
  uint16_t auth = kAuthHmacSha;  // 0: none (GCM)
  uint16_t encap = kEncapTransport;
  uint16_t group = 0;  // PFS group, 0: none
  uint32_t life = 3600;
  uint32_t life_kb = 0;
};

class TestInitiator {
 public:
  Endpoint self;       // the initiator's own address (a private one behind a NAT)
  Endpoint responder;  // where it sends (the responder's public address)
  std::string psk;
  std::vector<P1Offer> offers;
  NatT natt = NatT::Rfc3947;  // the NAT-T vendor ID it sends; None: none
  bool dpd_vid = true;
  Identification id;  // IDii
  RandomFn rnd = system_random();

  Cookie ci{}, cr{};
  Bytes sai_b;
  Phase1Suite chosen;
  size_t chosen_transform = 0;
  NatT natt_agreed = NatT::None;
  bool responder_dpd = false;
  std::optional<DhKey> dh;
  Bytes gxi, gxr, ni, nr;
  Phase1Keys keys;
  Bytes iv, p1_last;
  bool nat_detected = false;  // by our NAT-D check of MM4
  Bytes idir_b;

  TestInitiator(Endpoint self_, Endpoint responder_, std::string psk_)
      : self(self_), responder(responder_), psk(std::move(psk_)) {
    offers = {P1Offer{}};
    id = ipv4_id(self.addr, 17, 500);
    rnd(std::span<uint8_t>(ci.data(), ci.size()));
  }

  IsakmpHeader header(ExchangeType x, uint32_t mid = 0) const {
    IsakmpHeader h;
    h.icookie = ci;
    h.rcookie = cr;
    h.exchange = x;
    h.message_id = mid;
    return h;
  }

  // ---- Main Mode ----
  Bytes mm1(ExchangeType x = ExchangeType::IdentityProtection) {
    SaPayload sa;
    Proposal p;
    p.number = 1;
    p.protocol = static_cast<uint8_t>(ProtocolId::Isakmp);
    uint8_t n = 1;
    for (const P1Offer& o : offers) {
      Transform t;
      t.number = n++;
      t.id = kKeyIke;
      t.attributes.push_back(tv_attribute(1, o.enc));
      if (o.key_bits) t.attributes.push_back(tv_attribute(14, o.key_bits));
      t.attributes.push_back(tv_attribute(2, o.hash));
      t.attributes.push_back(tv_attribute(4, o.group));
      t.attributes.push_back(tv_attribute(3, o.auth));
      t.attributes.push_back(tv_attribute(11, kLifeSeconds));
      t.attributes.push_back(variable_attribute(12, o.life));
      p.transforms.push_back(t);
    }
    sa.proposals = {p};
    sai_b = encode_sa(sa);
    PayloadChain c;
    c.add(PayloadType::Sa, sai_b);
    if (natt == NatT::Rfc3947) c.add(PayloadType::VendorId, ByteView(kVidRfc3947));
    if (natt == NatT::Draft02n) c.add(PayloadType::VendorId, ByteView(kVidNatTDraft02n));
    if (natt == NatT::Draft02) c.add(PayloadType::VendorId, ByteView(kVidNatTDraft02));
    if (natt == NatT::Draft03) c.add(PayloadType::VendorId, ByteView(kVidNatTDraft03));
    if (dpd_vid) c.add(PayloadType::VendorId, ByteView(kVidDpd));
    return build_plain_message(header(x), c);
  }

  static std::vector<PayloadView> plain_chain(const Bytes& m, IsakmpHeader* h) {
    auto hd = decode_header(m);
    EXPECT_TRUE(hd);
    if (!hd) return {};
    *h = *hd;
    auto chain = walk_payloads(hd->next_payload, ByteView(m).subspan(kHeaderLen), false);
    EXPECT_TRUE(chain);
    return chain ? *chain : std::vector<PayloadView>{};
  }

  ::testing::AssertionResult take_mm2(const Bytes& m) {
    IsakmpHeader h;
    auto chain = plain_chain(m, &h);
    if (h.icookie != ci || h.rcookie == Cookie{} || h.exchange != ExchangeType::IdentityProtection)
      return ::testing::AssertionFailure() << "MM2 header";
    cr = h.rcookie;
    const PayloadView* sap = find_payload(chain, PayloadType::Sa);
    if (!sap) return ::testing::AssertionFailure() << "MM2 without SA";
    auto sa = decode_sa(sap->body);
    if (!sa || sa->proposals.size() != 1 || sa->proposals[0].transforms.size() != 1)
      return ::testing::AssertionFailure() << "MM2 SA must hold one transform";
    auto s = decode_phase1_transform(sa->proposals[0].transforms[0]);
    if (!s) return ::testing::AssertionFailure() << "MM2 transform undecodable";
    chosen = *s;
    chosen_transform = sa->proposals[0].transforms[0].number;
    for (const auto& p : chain) {
      if (p.type != PayloadType::VendorId) continue;
      Bytes v(p.body.begin(), p.body.end());
      if (v == Bytes(kVidRfc3947.begin(), kVidRfc3947.end())) natt_agreed = NatT::Rfc3947;
      if (v == Bytes(kVidNatTDraft02n.begin(), kVidNatTDraft02n.end())) natt_agreed = NatT::Draft02n;
      if (v == Bytes(kVidNatTDraft02.begin(), kVidNatTDraft02.end())) natt_agreed = NatT::Draft02;
      if (v == Bytes(kVidNatTDraft03.begin(), kVidNatTDraft03.end())) natt_agreed = NatT::Draft03;
      if (v == Bytes(kVidDpd.begin(), kVidDpd.end())) responder_dpd = true;
    }
    return ::testing::AssertionSuccess();
  }

  Bytes mm3() {
    dh = DhKey::generate(chosen.group, rnd).value();
    gxi = dh->public_value();
    ni.resize(24);
    rnd(std::span<uint8_t>(ni.data(), ni.size()));
    PayloadChain c;
    c.add(PayloadType::KeyExchange, gxi);
    c.add(PayloadType::Nonce, ni);
    if (natt_agreed != NatT::None) {
      c.add(natd_payload(natt_agreed), nat_d_hash(chosen.hash, ci, cr, responder.addr, responder.port));
      c.add(natd_payload(natt_agreed), nat_d_hash(chosen.hash, ci, cr, self.addr, self.port));
    }
    return build_plain_message(header(ExchangeType::IdentityProtection), c);
  }

  // `seen_from`: the initiator's address as the responder saw it (public, behind a NAT).
  ::testing::AssertionResult take_mm4(const Bytes& m) {
    IsakmpHeader h;
    auto chain = plain_chain(m, &h);
    const PayloadView* kep = find_payload(chain, PayloadType::KeyExchange);
    const PayloadView* np = find_payload(chain, PayloadType::Nonce);
    if (!kep || !np) return ::testing::AssertionFailure() << "MM4 without KE/Nonce";
    gxr.assign(kep->body.begin(), kep->body.end());
    nr.assign(np->body.begin(), np->body.end());
    auto s = dh->shared_secret(gxr);
    if (!s) return ::testing::AssertionFailure() << "MM4 KE: " << to_string(s.error());
    keys = derive_phase1_psk(chosen.hash, chosen.cipher,
                             ByteView(reinterpret_cast<const uint8_t*>(psk.data()), psk.size()),
                             ni, nr, view(*s), ci, cr, gxi, gxr);
    iv = keys.iv;
    if (natt_agreed != NatT::None) {
      std::vector<ByteView> natd;
      for (const auto& p : chain)
        if (p.type == natd_payload(natt_agreed)) natd.push_back(p.body);
      if (natd.size() != 2) return ::testing::AssertionFailure() << "MM4 NAT-D count " << natd.size();
      // The first is us as the responder saw us; the second the responder itself.
      const Bytes me = nat_d_hash(chosen.hash, ci, cr, self.addr, self.port);
      const Bytes them = nat_d_hash(chosen.hash, ci, cr, responder.addr, responder.port);
      nat_detected = Bytes(natd[0].begin(), natd[0].end()) != me ||
                     Bytes(natd[1].begin(), natd[1].end()) != them;
    }
    return ::testing::AssertionSuccess();
  }

  Bytes mm5(bool initial_contact = false) {
    PayloadChain c;
    const Bytes idb = encode_identification(id);
    c.add(PayloadType::Identification, idb);
    c.add(PayloadType::Hash, hash_i(chosen.hash, view(keys.skeyid), gxi, gxr, ci, cr, sai_b, idb));
    if (initial_contact) {
      Notification n;
      n.protocol = static_cast<uint8_t>(ProtocolId::Isakmp);
      n.type = static_cast<uint16_t>(NotifyType::InitialContact);
      n.spi.assign(ci.begin(), ci.end());
      n.spi.insert(n.spi.end(), cr.begin(), cr.end());
      c.add(PayloadType::Notification, encode_notification(n));
    }
    Bytes next;
    auto m = encrypt_message(header(ExchangeType::IdentityProtection), c.first_type(), c.serialize(),
                             chosen.cipher, view(keys.enc_key), iv, next);
    iv = next;
    return *m;
  }

  ::testing::AssertionResult decrypt(const Bytes& m, const Bytes& with_iv, Bytes& plain,
                                     std::vector<PayloadView>& chain, IsakmpHeader& h,
                                     Bytes* next_iv) {
    auto hd = decode_header(m);
    if (!hd || !(hd->flags & kFlagEncryption)) return ::testing::AssertionFailure() << "not encrypted";
    h = *hd;
    auto last = decrypt_body(chosen.cipher, view(keys.enc_key), with_iv, m, plain);
    if (!last) return ::testing::AssertionFailure() << "decrypt: " << to_string(last.error());
    if (next_iv) *next_iv = *last;
    auto c = walk_payloads(h.next_payload, plain, true);
    if (!c) return ::testing::AssertionFailure() << "chain: " << to_string(c.error());
    chain = *c;
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult take_mm6(const Bytes& m) {
    Bytes plain, next;
    std::vector<PayloadView> chain;
    IsakmpHeader h;
    auto r = decrypt(m, iv, plain, chain, h, &next);
    if (!r) return r;
    const PayloadView* idp = find_payload(chain, PayloadType::Identification);
    const PayloadView* hp = find_payload(chain, PayloadType::Hash);
    if (!idp || !hp) return ::testing::AssertionFailure() << "MM6 without ID/HASH";
    idir_b.assign(idp->body.begin(), idp->body.end());
    const Bytes want = hash_r(chosen.hash, view(keys.skeyid), gxi, gxr, ci, cr, sai_b, idir_b);
    if (Bytes(hp->body.begin(), hp->body.end()) != want)
      return ::testing::AssertionFailure() << "HASH_R mismatch";
    iv = next;
    p1_last = next;
    return ::testing::AssertionSuccess();
  }

  // ---- Quick Mode ----
  struct Qm {
    uint32_t mid = 0;
    Bytes iv, ni, nr;
    uint32_t spi_i = 0, spi_r = 0;
    std::optional<DhKey> dh;
    SecretBytes gqm;
    EspSuite chosen;
    uint16_t encap_echo = 0;
    SecretBytes keymat_i, keymat_r;  // keyed by spi_i (SA to us) and spi_r (SA to the responder)
    std::vector<Notification> notifications;
    size_t nat_oa_count = 0;
  };

  Bytes qm1(Qm& q, const std::vector<EspOffer>& offers_esp,
            std::optional<std::pair<Identification, Identification>> ids, bool nat_oa,
            uint32_t mid = 0) {
    q.mid = mid ? mid : 0x1000 + static_cast<uint32_t>(rnd_u8()) * 256 + rnd_u8();
    uint8_t sb[4];
    rnd(std::span<uint8_t>(sb, 4));
    q.spi_i = be32v(sb) | 0x1000;
    q.ni.resize(20);
    rnd(std::span<uint8_t>(q.ni.data(), q.ni.size()));
    SaPayload sa;
    uint8_t num = 1;
    uint16_t pfs = 0;
    for (const EspOffer& o : offers_esp) {
      Proposal p;
      p.number = num++;
      p.protocol = static_cast<uint8_t>(ProtocolId::IpsecEsp);
      p.spi = be32b(q.spi_i);
      Transform t;
      t.number = 1;
      t.id = o.id;
      t.attributes.push_back(tv_attribute(1, kLifeSeconds));
      t.attributes.push_back(variable_attribute(2, o.life));
      if (o.life_kb) {
        t.attributes.push_back(tv_attribute(1, kLifeKilobytes));
        t.attributes.push_back(variable_attribute(2, o.life_kb));
      }
      t.attributes.push_back(tv_attribute(4, o.encap));
      if (o.auth) t.attributes.push_back(tv_attribute(5, o.auth));
      if (o.key_bits) t.attributes.push_back(tv_attribute(6, o.key_bits));
      if (o.group) {
        t.attributes.push_back(tv_attribute(3, o.group));
        pfs = o.group;
      }
      p.transforms = {t};
      sa.proposals.push_back(p);
    }
    PayloadChain rest;
    rest.add(PayloadType::Sa, encode_sa(sa));
    rest.add(PayloadType::Nonce, q.ni);
    if (pfs) {
      q.dh = DhKey::generate(static_cast<DhGroup>(pfs), rnd).value();
      rest.add(PayloadType::KeyExchange, q.dh->public_value());
    }
    if (ids) {
      rest.add(PayloadType::Identification, encode_identification(ids->first));
      rest.add(PayloadType::Identification, encode_identification(ids->second));
    }
    if (nat_oa) {
      NatOa oa;
      oa.address = be32b(self.addr);
      rest.add(natoa_payload(natt_agreed), encode_nat_oa(oa));
      oa.address = be32b(responder.addr);
      rest.add(natoa_payload(natt_agreed), encode_nat_oa(oa));
    }
    const Bytes rest_b = rest.serialize();
    const Bytes h1 = qm_hash1(chosen.hash, view(keys.skeyid_a), q.mid, rest_b);
    const Bytes iv0 = phase2_iv(chosen.hash, p1_last, q.mid, chosen.cipher.block_length());
    auto m = encrypt_message(header(ExchangeType::QuickMode, q.mid),
                             static_cast<uint8_t>(PayloadType::Hash),
                             hash_first_chain(h1, rest_b, rest.first_type()), chosen.cipher,
                             view(keys.enc_key), iv0, q.iv);
    return *m;
  }

  ::testing::AssertionResult take_qm2(Qm& q, const Bytes& m) {
    Bytes plain, next;
    std::vector<PayloadView> chain;
    IsakmpHeader h;
    auto r = decrypt(m, q.iv, plain, chain, h, &next);
    if (!r) return r;
    if (h.message_id != q.mid || h.exchange != ExchangeType::QuickMode)
      return ::testing::AssertionFailure() << "QM2 header";
    if (chain.empty() || chain[0].type != PayloadType::Hash)
      return ::testing::AssertionFailure() << "QM2 must start with HASH(2)";
    const Bytes want = qm_hash2(chosen.hash, view(keys.skeyid_a), q.mid, q.ni,
                                after_first_payload(chain));
    if (Bytes(chain[0].body.begin(), chain[0].body.end()) != want)
      return ::testing::AssertionFailure() << "HASH(2) mismatch";
    const PayloadView* sap = find_payload(chain, PayloadType::Sa);
    const PayloadView* np = find_payload(chain, PayloadType::Nonce);
    if (!sap || !np) return ::testing::AssertionFailure() << "QM2 without SA/Nonce";
    auto sa = decode_sa(sap->body);
    if (!sa || sa->proposals.size() != 1 || sa->proposals[0].transforms.size() != 1 ||
        sa->proposals[0].spi.size() != 4)
      return ::testing::AssertionFailure() << "QM2 SA must hold one proposal, one transform";
    q.spi_r = be32v(sa->proposals[0].spi);
    auto s = decode_esp_transform(sa->proposals[0].transforms[0]);
    if (!s) return ::testing::AssertionFailure() << "QM2 transform undecodable";
    q.chosen = *s;
    q.encap_echo = s->encapsulation;
    q.nr.assign(np->body.begin(), np->body.end());
    if (q.dh) {
      const PayloadView* kep = find_payload(chain, PayloadType::KeyExchange);
      if (!kep) return ::testing::AssertionFailure() << "QM2 without KE under PFS";
      auto g = q.dh->shared_secret(kep->body);
      if (!g) return ::testing::AssertionFailure() << "QM2 KE";
      q.gqm = *g;
    }
    for (const auto& p : chain) {
      if (p.type == PayloadType::Notification) q.notifications.push_back(*decode_notification(p.body));
      if (p.type == PayloadType::NatOa || p.type == PayloadType::NatOaDraft) ++q.nat_oa_count;
    }
    const size_t len = esp_enc_keymat_len(q.chosen.cipher) +
                       (q.chosen.auth == EspAuth::None ? 0 : l2tpgw::info(q.chosen.auth).key_len);
    q.keymat_i = keymat(chosen.hash, view(keys.skeyid_d), view(q.gqm), 3, q.spi_i, q.ni, q.nr, len);
    q.keymat_r = keymat(chosen.hash, view(keys.skeyid_d), view(q.gqm), 3, q.spi_r, q.ni, q.nr, len);
    q.iv = next;
    return ::testing::AssertionSuccess();
  }

  Bytes qm3(Qm& q) {
    const Bytes h3 = qm_hash3(chosen.hash, view(keys.skeyid_a), q.mid, q.ni, q.nr);
    PayloadChain c;
    c.add(PayloadType::Hash, h3);
    Bytes next;
    auto m = encrypt_message(header(ExchangeType::QuickMode, q.mid), c.first_type(), c.serialize(),
                             chosen.cipher, view(keys.enc_key), q.iv, next);
    q.iv = next;
    return *m;
  }

  // ---- Informational ----
  Bytes info(const PayloadChain& payloads, uint32_t mid) {
    const Bytes rest = payloads.serialize();
    const Bytes h1 = info_hash(chosen.hash, view(keys.skeyid_a), mid, rest);
    const Bytes iv0 = phase2_iv(chosen.hash, p1_last, mid, chosen.cipher.block_length());
    Bytes next;
    return *encrypt_message(header(ExchangeType::Informational, mid),
                            static_cast<uint8_t>(PayloadType::Hash),
                            hash_first_chain(h1, rest, payloads.first_type()), chosen.cipher,
                            view(keys.enc_key), iv0, next);
  }

  Bytes cookies_spi() const {
    Bytes s(ci.begin(), ci.end());
    s.insert(s.end(), cr.begin(), cr.end());
    return s;
  }

  Bytes dpd(uint32_t seq, uint32_t mid) {
    Notification n;
    n.protocol = static_cast<uint8_t>(ProtocolId::Isakmp);
    n.type = static_cast<uint16_t>(NotifyType::RUThere);
    n.spi = cookies_spi();
    n.data = be32b(seq);
    PayloadChain c;
    c.add(PayloadType::Notification, encode_notification(n));
    return info(c, mid);
  }

  Bytes dpd_ack(ByteView seq, uint32_t mid) {
    Notification n;
    n.protocol = static_cast<uint8_t>(ProtocolId::Isakmp);
    n.type = static_cast<uint16_t>(NotifyType::RUThereAck);
    n.spi = cookies_spi();
    n.data.assign(seq.begin(), seq.end());
    PayloadChain c;
    c.add(PayloadType::Notification, encode_notification(n));
    return info(c, mid);
  }

  Bytes delete_esp(uint32_t spi, uint32_t mid) {
    Delete d;
    d.protocol = static_cast<uint8_t>(ProtocolId::IpsecEsp);
    d.spi_size = 4;
    d.spis = {be32b(spi)};
    PayloadChain c;
    c.add(PayloadType::Delete, encode_delete(d));
    return info(c, mid);
  }

  Bytes delete_isakmp(uint32_t mid) {
    Delete d;
    d.protocol = static_cast<uint8_t>(ProtocolId::Isakmp);
    d.spi_size = 16;
    d.spis = {cookies_spi()};
    PayloadChain c;
    c.add(PayloadType::Delete, encode_delete(d));
    return info(c, mid);
  }

  struct Info {
    std::vector<Notification> notifications;
    std::vector<Delete> deletes;
  };
  // Decrypts and checks an Informational from the responder (HASH(1) over N/D).
  ::testing::AssertionResult take_info(const Bytes& m, Info& out) {
    auto hd = decode_header(m);
    if (!hd || hd->exchange != ExchangeType::Informational || hd->message_id == 0)
      return ::testing::AssertionFailure() << "not an informational";
    const Bytes iv0 = phase2_iv(chosen.hash, p1_last, hd->message_id, chosen.cipher.block_length());
    Bytes plain;
    std::vector<PayloadView> chain;
    IsakmpHeader h;
    auto r = decrypt(m, iv0, plain, chain, h, nullptr);
    if (!r) return r;
    if (chain.empty() || chain[0].type != PayloadType::Hash)
      return ::testing::AssertionFailure() << "informational without HASH(1)";
    const Bytes want = info_hash(chosen.hash, view(keys.skeyid_a), h.message_id,
                                 after_first_payload(chain));
    if (Bytes(chain[0].body.begin(), chain[0].body.end()) != want)
      return ::testing::AssertionFailure() << "informational HASH(1) mismatch";
    for (const auto& p : chain) {
      if (p.type == PayloadType::Notification) out.notifications.push_back(*decode_notification(p.body));
      if (p.type == PayloadType::Delete) out.deletes.push_back(*decode_delete(p.body));
    }
    return ::testing::AssertionSuccess();
  }

 private:
  uint8_t rnd_u8() {
    uint8_t b;
    rnd(std::span<uint8_t>(&b, 1));
    return b;
  }
};

}  // namespace l2tpgw::cp::ike::test
