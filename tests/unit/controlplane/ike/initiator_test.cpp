// SPDX-License-Identifier: Apache-2.0
// Exchange tests for the initiator role (controlplane/ike/initiator.cpp): our initiator against
// our responder, both sans-I/O, datagrams shuttled between them one at a time through an
// optional NAT and a filter that loses or duplicates them. The seed's suites (AES-128/256-CBC,
// 3DES x SHA1/SHA256/MD5 x MODP1024/2048; ESP AES-CBC + HMAC-SHA1 and AES-GCM), a wrong key,
// lost and duplicated messages, a NAT in front of the initiator, our rekeys (make-before-break
// checked after every message), Delete and auto refresh.
#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "controlplane/ike/responder.hpp"
#include "exchange_fixture.hpp"

namespace l2tpgw::cp::ike::test {
namespace {

constexpr uint32_t kInitAddr = ip(198, 51, 100, 1);
constexpr uint32_t kInitPrivate = ip(10, 0, 0, 2);  // behind the fake NAT
constexpr uint32_t kNatPublic = ip(203, 0, 113, 7);
constexpr uint32_t kRespAddr = ip(192, 0, 2, 1);

struct Suite {
  CipherSuite cipher;
  HashAlg hash;
  DhGroup group;
  EspCipher esp;
  EspAuth auth;
};

Connection connection(uint32_t local, const Suite& s, bool auto_refresh = true) {
  Connection c;
  c.gateway_id = 1;
  c.local_addr = local;
  c.peer_addr = kRespAddr;
  Phase1Suite p;
  p.cipher = s.cipher;
  p.hash = s.hash;
  p.group = s.group;
  c.ike_offers = {p};
  EspSuite e;
  e.cipher = s.esp;
  e.auth = s.auth;
  c.esp_offers = {e};
  c.auto_refresh = auto_refresh;
  c.rekey_percent = 90;  // the figures below are 90 % of their lifetimes
  c.isakmp_rekey_percent = 90;
  return c;
}

ResponderConfig initiator_config(const Connection& c, std::string psk = kPsk,
                                 uint32_t isakmp_life = 28800, uint32_t ipsec_life = 28800) {
  ResponderConfig cfg;
  PeerPolicy p = PeerPolicy::all_supported();
  p.psk = std::move(psk);
  p.gateway_id = 1;
  p.isakmp_lifetime_max = isakmp_life;
  p.ipsec_lifetime_max = ipsec_life;
  cfg.policies.set(c.peer_addr, p);
  cfg.connections = {c};
  return cfg;
}

ResponderConfig responder_config(uint32_t isakmp_life = 28800, uint32_t ipsec_life = 28800) {
  ResponderConfig cfg = default_config();
  PeerPolicy p = PeerPolicy::all_supported();
  p.psk = kPsk;
  p.gateway_id = 1;
  p.isakmp_lifetime_max = isakmp_life;
  p.ipsec_lifetime_max = ipsec_life;
  cfg.policies.set_any(p);
  return cfg;
}

// One engine with its installer and the ChildSaEvents it reported; `in_use` is the outbound SA
// the protocol above would send on (the newest pair up).
struct Side {
  RecordingInstaller inst;
  IkeResponder eng;
  std::vector<ChildSaEvent> ups, downs;
  std::map<uint64_t, ChildSaEvent> live;

  explicit Side(ResponderConfig cfg) : eng(std::move(cfg), inst) {
    IkeHooks h;
    h.child_up = [this](const ChildSaEvent& e) {
      ups.push_back(e);
      live[e.serial] = e;
    };
    h.child_down = [this](const ChildSaEvent& e) {
      downs.push_back(e);
      live.erase(e.serial);
    };
    eng.set_hooks(h);
  }
  std::optional<ChildSaEvent> in_use() const {
    if (live.empty()) return std::nullopt;
    return live.rbegin()->second;
  }
  bool has_sa(tables::SaDirection d, uint32_t spi) const {
    for (const InstalledSa& s : inst.sas())
      if (s.direction == d && s.spi == spi) return true;
    return false;
  }
  uint64_t c(IkeCounter x) const { return eng.counters()[x]; }
};

// Two engines on a wire. `nat`: the initiator sits at 10.0.0.2 behind a NAT that maps it to
// 203.0.113.7 (port 500 -> 40500, 4500 -> 44500).
struct Wire {
  Side a, b;  // a initiates, b responds
  bool nat = false;
  TimePoint now = TimePoint{} + 100000s;
  // Return false to lose the datagram; `copies` delivers it more than once.
  std::function<bool(const Datagram&, bool from_a)> keep = [](const Datagram&, bool) { return true; };
  int copies = 1;
  std::function<void()> after_each;  // invariant checks after every delivered datagram
  size_t delivered = 0;
  // RFC 3948 NAT-keepalives each side sent (the peer's dataplane drops them: not delivered),
  // as they leave the NAT.
  std::vector<Datagram> keepalives_a, keepalives_b;

  Wire(ResponderConfig ca, ResponderConfig cb, bool nat_ = false)
      : a(std::move(ca)), b(std::move(cb)), nat(nat_) {}

  Endpoint out_nat(Endpoint e) const {
    if (!nat) return e;
    return {kNatPublic, static_cast<uint16_t>(e.port == kNatTPort ? 44500 : 40500)};
  }
  Endpoint in_nat(Endpoint e) const {
    if (!nat) return e;
    return {kInitPrivate, static_cast<uint16_t>(e.port == 44500 ? kNatTPort : kIkePort)};
  }

  void pump() {
    for (int round = 0; round < 200; ++round) {
      auto from_a = a.eng.take_outbox();
      auto from_b = b.eng.take_outbox();
      if (from_a.empty() && from_b.empty()) return;
      for (const Datagram& d : from_a) {
        if (d.nat_keepalive) {
          keepalives_a.push_back({out_nat(d.local), d.peer, d.message, true});
          continue;
        }
        if (!keep(d, true)) continue;
        for (int i = 0; i < copies; ++i) {
          b.eng.on_datagram(d.peer, out_nat(d.local), d.message, now);
          ++delivered;
          if (after_each) after_each();
        }
      }
      for (const Datagram& d : from_b) {
        if (d.nat_keepalive) {
          keepalives_b.push_back(d);
          continue;
        }
        if (!keep(d, false)) continue;
        for (int i = 0; i < copies; ++i) {
          a.eng.on_datagram(in_nat(d.peer), d.local, d.message, now);
          ++delivered;
          if (after_each) after_each();
        }
      }
    }
    ADD_FAILURE() << "the engines never went quiet";
  }
  void start() {
    EXPECT_TRUE(a.eng.initiate(kRespAddr, now));
    pump();
  }
  void advance(std::chrono::seconds total, std::chrono::seconds step = 1s) {
    for (auto t = 0s; t < total; t += step) {
      now += step;
      a.eng.on_timer(now);
      b.eng.on_timer(now);
      pump();
    }
  }
};

// The SAs of both sides pair up: every outbound SA of one side is an inbound SA of the other,
// with the same keys.
void expect_matching_keys(const Side& x, const Side& y) {
  size_t outbound = 0;
  for (const auto& [slot, sa] : x.inst.added) {
    if (sa.params.direction != tables::SaDirection::Outbound) continue;
    bool live = false;
    for (const InstalledSa& s : x.inst.sas()) live |= s.slot == slot;
    if (!live) continue;
    ++outbound;
    bool found = false;
    for (const auto& [pslot, psa] : y.inst.added) {
      if (psa.params.direction != tables::SaDirection::Inbound || psa.params.spi != sa.params.spi)
        continue;
      found = true;
      EXPECT_EQ(psa.enc_key, sa.enc_key);
      EXPECT_EQ(psa.auth_key, sa.auth_key);
      EXPECT_EQ(psa.params.cipher, sa.params.cipher);
      EXPECT_EQ(psa.params.auth, sa.params.auth);
    }
    EXPECT_TRUE(found) << "outbound SPI " << std::hex << sa.params.spi << " has no inbound peer";
  }
  EXPECT_GT(outbound, 0u);
}

// ---- The seed's suites ----

class Suites : public ::testing::TestWithParam<std::tuple<int, int, int, int>> {};

TEST_P(Suites, MainModeAndQuickModeAgainstOurResponder) {
  const CipherSuite ciphers[] = {{CipherAlg::AesCbc, 128}, {CipherAlg::AesCbc, 256},
                                 {CipherAlg::TdesCbc, 192}};
  const HashAlg hashes[] = {HashAlg::Sha1, HashAlg::Sha256, HashAlg::Md5};
  const DhGroup groups[] = {DhGroup::Modp1024, DhGroup::Modp2048};
  const std::pair<EspCipher, EspAuth> esps[] = {{EspCipher::AesCbc128, EspAuth::HmacSha1_96},
                                                {EspCipher::AesGcm256, EspAuth::None}};
  const auto [ci, hi, gi, ei] = GetParam();
  const Suite s{ciphers[ci], hashes[hi], groups[gi], esps[ei].first, esps[ei].second};
  Wire w(initiator_config(connection(kInitAddr, s)), responder_config());
  w.start();

  EXPECT_EQ(w.a.c(IkeCounter::InitiatorStarted), 1u);
  EXPECT_EQ(w.a.c(IkeCounter::Phase1Established), 1u);
  EXPECT_EQ(w.b.c(IkeCounter::Phase1Established), 1u);
  EXPECT_EQ(w.a.c(IkeCounter::Phase2Established), 1u);
  EXPECT_EQ(w.b.c(IkeCounter::Phase2Established), 1u);
  ASSERT_EQ(w.a.eng.ike_sas().size(), 1u);
  const IkeSaView v = w.a.eng.ike_sas()[0];
  EXPECT_TRUE(v.initiator);
  EXPECT_EQ(v.suite.cipher, s.cipher);
  EXPECT_EQ(v.suite.hash, s.hash);
  EXPECT_EQ(v.suite.group, s.group);
  EXPECT_EQ(v.natt, NatT::Rfc3947);
  EXPECT_FALSE(v.nat_local || v.nat_peer);
  EXPECT_EQ(w.b.eng.ike_sas()[0].suite, v.suite);
  ASSERT_EQ(w.a.ups.size(), 1u);
  ASSERT_EQ(w.b.ups.size(), 1u);
  EXPECT_TRUE(w.a.ups[0].initiator);
  EXPECT_FALSE(w.b.ups[0].initiator);
  EXPECT_EQ(w.a.ups[0].cipher, s.esp);
  EXPECT_EQ(w.a.ups[0].auth, s.auth);
  EXPECT_EQ(w.a.ups[0].spi_in, w.b.ups[0].spi_out);
  EXPECT_EQ(w.a.ups[0].spi_out, w.b.ups[0].spi_in);
  EXPECT_FALSE(w.a.ups[0].natt);
  EXPECT_EQ(w.a.ups[0].peer, (Endpoint{kRespAddr, kIkePort}));
  EXPECT_EQ(w.a.inst.sas().size(), 2u);
  EXPECT_EQ(w.b.inst.sas().size(), 2u);
  expect_matching_keys(w.a, w.b);
  expect_matching_keys(w.b, w.a);
  for (const Side* x : {&w.a, &w.b}) {
    EXPECT_EQ(x->c(IkeCounter::Malformed), 0u);
    EXPECT_EQ(x->c(IkeCounter::AuthFailed), 0u);
    EXPECT_EQ(x->c(IkeCounter::HashMismatch), 0u);
    EXPECT_EQ(x->c(IkeCounter::ProposalNotOffered), 0u);
  }
  // MM1..MM6 and QM1..QM3: nine datagrams, no retransmission.
  EXPECT_EQ(w.delivered, 9u);
  // Nothing more happens while the SAs live.
  w.advance(60s, 10s);
  EXPECT_EQ(w.a.c(IkeCounter::InitiatorStarted), 1u);
  EXPECT_EQ(w.a.c(IkeCounter::TimerRetransmits), 0u);
}

INSTANTIATE_TEST_SUITE_P(Seed001, Suites,
                         ::testing::Combine(::testing::Range(0, 3), ::testing::Range(0, 3),
                                            ::testing::Range(0, 2), ::testing::Range(0, 2)));

const Suite kSeedSuite{{CipherAlg::AesCbc, 128}, HashAlg::Sha1, DhGroup::Modp1024,
                       EspCipher::AesCbc128, EspAuth::HmacSha1_96};

TEST(Initiator, PfsAndSeveralOffersTakeTheResponderChoice) {
  Connection c = connection(kInitAddr, kSeedSuite);
  Phase1Suite strong{{CipherAlg::AesCbc, 256}, HashAlg::Sha256, DhGroup::Modp2048};
  c.ike_offers.insert(c.ike_offers.begin(), strong);
  EspSuite gcm;
  gcm.cipher = EspCipher::AesGcm128;
  gcm.auth = EspAuth::None;
  c.esp_offers.push_back(gcm);
  c.pfs_group = DhGroup::Modp2048;
  Wire w(initiator_config(c), responder_config());
  w.start();
  ASSERT_EQ(w.a.ups.size(), 1u);
  EXPECT_EQ(w.a.eng.ike_sas()[0].suite.cipher, strong.cipher);  // our first choice
  EXPECT_EQ(w.a.ups[0].cipher, EspCipher::AesCbc128);
  expect_matching_keys(w.a, w.b);
  expect_matching_keys(w.b, w.a);
}

TEST(Initiator, NothingOfferedIsAcceptableToTheResponder) {
  ResponderConfig rc = responder_config();
  PeerPolicy p = PeerPolicy::all_supported();
  p.psk = kPsk;
  p.ike_ciphers = {{CipherAlg::AesCbc, 256}};
  rc.policies.set_any(p);
  Wire w(initiator_config(connection(kInitAddr, kSeedSuite, false)), rc);
  w.start();
  EXPECT_EQ(w.b.c(IkeCounter::NoProposalChosen), 1u);
  EXPECT_EQ(w.a.c(IkeCounter::UnauthenticatedInfo), 1u);  // the plain NO-PROPOSAL-CHOSEN
  w.advance(200s, 4s);
  EXPECT_EQ(w.a.c(IkeCounter::RetransmitLimit), 1u);
  EXPECT_EQ(w.a.eng.ike_sa_count(), 0u);
  EXPECT_EQ(w.a.c(IkeCounter::InitiatorStarted), 1u);  // auto refresh off: one attempt
}

// ---- Failures, losses, duplicates ----

TEST(Initiator, WrongPreSharedKeyFailsOnBothSidesAndRetriesWithBackOff) {
  Wire w(initiator_config(connection(kInitAddr, kSeedSuite), "not-the-key"), responder_config());
  w.start();
  EXPECT_EQ(w.b.c(IkeCounter::AuthFailed), 1u);  // MM5 does not decrypt
  EXPECT_EQ(w.b.eng.ike_sa_count(), 0u);
  EXPECT_EQ(w.a.c(IkeCounter::Phase1Established), 0u);
  // MM5 retransmitted (4+8+16+32 s), then given up; auto refresh tries again after 10 s.
  w.advance(124s, 2s);
  EXPECT_EQ(w.a.c(IkeCounter::RetransmitLimit), 1u);
  w.advance(12s, 2s);
  EXPECT_EQ(w.a.c(IkeCounter::InitiatorStarted), 2u);
  EXPECT_TRUE(w.a.inst.sas().empty());
  EXPECT_TRUE(w.b.inst.sas().empty());
  EXPECT_TRUE(w.a.ups.empty());
}

TEST(Initiator, LostMessagesAreRetransmitted) {
  // Each distinct message is lost the first time it is sent.
  Wire w(initiator_config(connection(kInitAddr, kSeedSuite)), responder_config());
  std::set<std::string> seen;
  w.keep = [&](const Datagram& d, bool) {
    return !seen.insert(std::string(d.message.begin(), d.message.end())).second;
  };
  w.start();
  w.advance(120s, 1s);
  EXPECT_EQ(w.a.c(IkeCounter::Phase1Established), 1u);
  EXPECT_EQ(w.b.c(IkeCounter::Phase2Established), 1u);
  ASSERT_EQ(w.a.ups.size(), 1u);
  ASSERT_EQ(w.b.ups.size(), 1u);
  EXPECT_GT(w.a.c(IkeCounter::TimerRetransmits), 0u);
  EXPECT_EQ(w.a.c(IkeCounter::InitiatorStarted), 1u);
  expect_matching_keys(w.a, w.b);
  expect_matching_keys(w.b, w.a);
}

TEST(Initiator, DuplicatedMessagesMakeOnePair) {
  Wire w(initiator_config(connection(kInitAddr, kSeedSuite)), responder_config());
  w.copies = 2;
  w.start();
  w.advance(30s);
  EXPECT_EQ(w.a.ups.size(), 1u);
  EXPECT_EQ(w.b.ups.size(), 1u);
  EXPECT_EQ(w.a.eng.ike_sa_count(), 1u);
  EXPECT_EQ(w.b.eng.ike_sa_count(), 1u);
  EXPECT_EQ(w.a.inst.sas().size(), 2u);
  EXPECT_EQ(w.b.inst.sas().size(), 2u);
  EXPECT_GT(w.a.c(IkeCounter::Retransmits) + w.a.c(IkeCounter::DuplicateIgnored), 0u);
  expect_matching_keys(w.a, w.b);
}

TEST(Initiator, BehindANatFloatsTo4500AndUsesUdpEncapsulation) {
  Wire w(initiator_config(connection(kInitPrivate, kSeedSuite)), responder_config(), true);
  w.start();
  ASSERT_EQ(w.a.ups.size(), 1u);
  ASSERT_EQ(w.b.ups.size(), 1u);
  EXPECT_EQ(w.a.c(IkeCounter::NatDetected), 1u);
  EXPECT_EQ(w.b.c(IkeCounter::NatDetected), 1u);
  const IkeSaView v = w.a.eng.ike_sas()[0];
  EXPECT_TRUE(v.nat_local);
  EXPECT_FALSE(v.nat_peer);
  EXPECT_EQ(v.local.port, kNatTPort);
  EXPECT_EQ(v.peer, (Endpoint{kRespAddr, kNatTPort}));
  EXPECT_TRUE(w.b.eng.ike_sas()[0].nat_peer);
  EXPECT_EQ(w.b.eng.ike_sas()[0].peer, (Endpoint{kNatPublic, 44500}));
  EXPECT_TRUE(w.a.ups[0].natt);
  EXPECT_TRUE(w.b.ups[0].natt);
  EXPECT_EQ(w.b.ups[0].nat_oa_peer, kInitPrivate);  // our NAT-OAi
  for (const InstalledSa& s : w.a.inst.sas()) {
    EXPECT_TRUE(s.natt);
    EXPECT_EQ(s.local_port, kNatTPort);
    EXPECT_EQ(s.peer_port, kNatTPort);
  }
  for (const InstalledSa& s : w.b.inst.sas()) EXPECT_EQ(s.peer_port, 44500);
  expect_matching_keys(w.a, w.b);
  expect_matching_keys(w.b, w.a);
}

// RFC 3948 §4: the side behind the NAT keeps its mapping with NAT-keepalives (0xFF, 4500 to
// 4500) in intervals in which its outbound SA sent nothing; the side in front sends none.
TEST(Initiator, BehindANatSendsNatKeepalivesWhenIdle) {
  ResponderConfig ca = initiator_config(connection(kInitPrivate, kSeedSuite));
  PeerPolicy p = *ca.policies.find(kRespAddr);
  p.natt_keepalive = 20s;
  ca.policies.set(kRespAddr, p);
  ResponderConfig cb = responder_config();
  PeerPolicy q = *cb.policies.find(kInitAddr);
  q.natt_keepalive = 20s;
  cb.policies.set_any(q);
  Wire w(std::move(ca), std::move(cb), true);
  w.start();
  ASSERT_EQ(w.a.ups.size(), 1u);
  w.advance(19s);
  EXPECT_TRUE(w.keepalives_a.empty());
  w.advance(1s);
  ASSERT_EQ(w.a.c(IkeCounter::NatKeepaliveSent), 1u);
  ASSERT_EQ(w.keepalives_a.size(), 1u);
  EXPECT_EQ(w.keepalives_a[0].local, (Endpoint{kNatPublic, 44500}));  // the mapping kept
  EXPECT_EQ(w.keepalives_a[0].peer, (Endpoint{kRespAddr, kNatTPort}));
  EXPECT_EQ(w.keepalives_a[0].message, Bytes{0xFF});
  // ESP went out in the next interval: no keepalive for it.
  w.a.inst.fake.set_sa_usage(w.a.ups[0].slot_out, SaUsage{5, 500});
  w.advance(20s);
  EXPECT_EQ(w.keepalives_a.size(), 1u);
  w.advance(20s);  // idle again
  EXPECT_EQ(w.keepalives_a.size(), 2u);
  EXPECT_TRUE(w.keepalives_b.empty());
  EXPECT_EQ(w.b.c(IkeCounter::NatKeepaliveSent), 0u);
  // A peer not behind a NAT counts nothing malformed: no keepalive reached IKE.
  EXPECT_EQ(w.b.c(IkeCounter::Malformed), 0u);
}

// `ipsec ike nat-traversal G on force=on` with no NAT at all: our NAT-D for ourselves cannot
// match, so both sides see us behind a NAT, float to 4500 and encapsulate ESP in UDP.
TEST(Initiator, ForcedNatTEncapsulatesWithoutANat) {
  ResponderConfig ca = initiator_config(connection(kInitAddr, kSeedSuite));
  PeerPolicy p = *ca.policies.find(kRespAddr);
  p.natt_force = true;
  ca.policies.set(kRespAddr, p);
  Wire w(std::move(ca), responder_config());
  w.start();
  ASSERT_EQ(w.a.ups.size(), 1u);
  ASSERT_EQ(w.b.ups.size(), 1u);
  EXPECT_TRUE(w.a.eng.ike_sas()[0].nat_local);
  EXPECT_FALSE(w.a.eng.ike_sas()[0].nat_peer);
  EXPECT_TRUE(w.b.eng.ike_sas()[0].nat_peer);
  EXPECT_FALSE(w.b.eng.ike_sas()[0].nat_local);
  EXPECT_EQ(w.b.eng.ike_sas()[0].peer, (Endpoint{kInitAddr, kNatTPort}));
  EXPECT_TRUE(w.a.ups[0].natt);
  EXPECT_TRUE(w.b.ups[0].natt);
  for (const InstalledSa& s : w.a.inst.sas()) EXPECT_EQ(s.peer_port, kNatTPort);
  expect_matching_keys(w.a, w.b);
}

// A NAT that NAT-D cannot show (NAT-T off on both sides, as on seed 001's routers behind NATs
// that forward UDP 500 and ESP): the initiator's Quick Mode IDs name its private address. A
// responder gateway naming this peer accepts them (counted); an `any` one refuses them.
TEST(Initiator, NatWithoutNatTIsAcceptedFromANamedPeerOnly) {
  for (const bool named : {true, false}) {
    SCOPED_TRACE(named ? "named peer" : "any");
    ResponderConfig ca = initiator_config(connection(kInitPrivate, kSeedSuite));
    PeerPolicy p = *ca.policies.find(kRespAddr);
    p.nat_traversal = false;
    ca.policies.set(kRespAddr, p);
    ResponderConfig cb = responder_config();
    PeerPolicy q = *cb.policies.find(kNatPublic);
    q.nat_traversal = false;
    q.named_peer = named;
    if (named)
      cb.policies.set(kNatPublic, q);
    else
      cb.policies.set_any(q);
    Wire w(std::move(ca), std::move(cb), true);
    w.start();
    EXPECT_EQ(w.a.c(IkeCounter::NatDetected) + w.b.c(IkeCounter::NatDetected), 0u);
    if (named) {
      ASSERT_EQ(w.a.ups.size(), 1u);
      ASSERT_EQ(w.b.ups.size(), 1u);
      EXPECT_FALSE(w.a.ups[0].natt);
      EXPECT_EQ(w.b.c(IkeCounter::IdsNatHidden), 1u);
      EXPECT_EQ(w.b.c(IkeCounter::InvalidId), 0u);
      expect_matching_keys(w.a, w.b);
    } else {
      EXPECT_TRUE(w.b.ups.empty());
      EXPECT_EQ(w.b.c(IkeCounter::InvalidId), 1u);
      EXPECT_EQ(w.b.c(IkeCounter::IdsNatHidden), 0u);
    }
  }
}

// ---- Rekeys we start ----

// After every delivered message: the SA each side sends on has its inbound twin at the peer.
void check_no_gap(Wire& w, size_t& checks) {
  for (auto [x, y] : {std::pair<Side*, Side*>{&w.a, &w.b}, {&w.b, &w.a}}) {
    auto e = x->in_use();
    if (!e) continue;
    ++checks;
    EXPECT_TRUE(x->has_sa(tables::SaDirection::Outbound, e->spi_out));
    EXPECT_TRUE(y->has_sa(tables::SaDirection::Inbound, e->spi_out))
        << "SPI " << std::hex << e->spi_out << " in use without the peer's inbound SA";
  }
}

TEST(Initiator, Phase2RekeyMakesBeforeItBreaks) {
  Wire w(initiator_config(connection(kInitAddr, kSeedSuite), kPsk, 28800, 100),
         responder_config(28800, 100));
  size_t checks = 0;
  w.after_each = [&] { check_no_gap(w, checks); };
  w.start();
  ASSERT_EQ(w.a.ups.size(), 1u);
  const ChildSaEvent first = w.a.ups[0];
  EXPECT_EQ(first.lifetime, 100u);
  w.advance(89s);
  EXPECT_EQ(w.a.ups.size(), 1u);
  w.advance(1s);  // 90 %: the soft lifetime
  EXPECT_EQ(w.a.c(IkeCounter::Phase2Rekeys), 1u);
  ASSERT_EQ(w.a.ups.size(), 2u);
  ASSERT_EQ(w.b.ups.size(), 2u);
  EXPECT_EQ(w.a.ups[1].replaces, first.serial);
  EXPECT_EQ(w.a.inst.sas().size(), 4u);  // both pairs, until the new one carries traffic
  // The new inbound SA receives ESP: the old pair goes, with a Delete the responder follows.
  w.a.inst.fake.set_sa_usage(w.a.ups[1].slot_in, SaUsage{1, 100});
  w.advance(2s);
  ASSERT_EQ(w.a.downs.size(), 1u);
  EXPECT_EQ(w.a.downs[0].serial, first.serial);
  ASSERT_EQ(w.b.downs.size(), 1u);
  EXPECT_EQ(w.b.downs[0].spi_in, first.spi_out);
  EXPECT_EQ(w.a.inst.sas().size(), 2u);
  EXPECT_EQ(w.b.inst.sas().size(), 2u);
  expect_matching_keys(w.a, w.b);
  expect_matching_keys(w.b, w.a);
  // The hard lifetime of the first pair passes with nothing left to expire; the second one
  // is rekeyed in turn (no traffic: retired after 20 s).
  w.advance(100s);
  EXPECT_EQ(w.a.c(IkeCounter::Phase2Rekeys), 2u);
  EXPECT_EQ(w.a.c(IkeCounter::Phase2Expired), 0u);
  EXPECT_EQ(w.b.c(IkeCounter::Phase2Expired), 0u);
  EXPECT_EQ(w.a.live.size(), 1u);
  EXPECT_EQ(w.b.live.size(), 1u);
  EXPECT_EQ(w.a.c(IkeCounter::Phase1Established), 1u);
  EXPECT_GT(checks, 10u);
}

TEST(Initiator, KilobyteLifetimeStartsARekey) {
  Connection c = connection(kInitAddr, kSeedSuite);
  c.esp_offers[0].life_kilobytes = 1000;
  Wire w(initiator_config(c), responder_config());
  w.start();
  ASSERT_EQ(w.a.ups.size(), 1u);
  w.advance(30s);
  EXPECT_EQ(w.a.c(IkeCounter::Phase2Rekeys), 0u);
  // 90 % of 1000 KB through the outbound SA (the dataplane's octet counter).
  w.a.inst.fake.set_sa_usage(w.a.ups[0].slot_out, SaUsage{700, 922 * 1024});
  w.advance(10s);
  EXPECT_EQ(w.a.c(IkeCounter::Phase2SoftKilobytes), 1u);
  EXPECT_EQ(w.a.c(IkeCounter::Phase2Rekeys), 1u);
  EXPECT_EQ(w.a.ups.size(), 2u);
  EXPECT_EQ(w.b.ups.size(), 2u);
}

// `ipsec ike duration ipsec-sa G S KBYTES` on the responder: a Quick Mode without a kilobyte
// lifetime is answered with RESPONDER-LIFETIME (RFC 2407 §4.6.3.1) and the initiator rekeys
// at its share of the responder's kilobytes.
TEST(Initiator, ResponderKilobyteCapIsAnnouncedAndFollowed) {
  ResponderConfig rc = responder_config();
  PeerPolicy p = PeerPolicy::all_supported();
  p.psk = kPsk;
  p.ipsec_kilobytes_max = 5000;
  rc.policies.set_any(p);
  Wire w(initiator_config(connection(kInitAddr, kSeedSuite)), rc);
  w.start();
  ASSERT_EQ(w.a.ups.size(), 1u);
  w.a.inst.fake.set_sa_usage(w.a.ups[0].slot_out, SaUsage{3000, 4000 * 1024});
  w.advance(10s);
  EXPECT_EQ(w.a.c(IkeCounter::Phase2SoftKilobytes), 0u) << "80 %: not yet";
  w.a.inst.fake.set_sa_usage(w.a.ups[0].slot_out, SaUsage{3500, 4600 * 1024});
  w.advance(10s);
  EXPECT_EQ(w.a.c(IkeCounter::Phase2SoftKilobytes), 1u) << "92 % of the responder's 5000 KB";
  EXPECT_EQ(w.a.c(IkeCounter::Phase2Rekeys), 1u);
}

// Nobody rekeys: the pair ends when its kilobytes are used up (its hard lifetime), and the
// peer is told with a Delete.
TEST(Initiator, KilobyteHardLifetimeEndsThePairWithoutARekey) {
  Connection c = connection(kInitAddr, kSeedSuite);
  c.rekey_percent = 0;
  c.esp_offers[0].life_kilobytes = 1000;
  Wire w(initiator_config(c), responder_config());
  w.start();
  ASSERT_EQ(w.b.ups.size(), 1u);
  w.b.inst.fake.set_sa_usage(w.b.ups[0].slot_in, SaUsage{700, 999 * 1024});
  w.advance(10s);
  EXPECT_TRUE(w.b.downs.empty());
  w.b.inst.fake.set_sa_usage(w.b.ups[0].slot_in, SaUsage{701, 1000 * 1024});
  w.advance(10s);
  EXPECT_EQ(w.b.c(IkeCounter::Phase2ExpiredKilobytes), 1u);
  ASSERT_EQ(w.b.downs.size(), 1u);
  ASSERT_EQ(w.a.downs.size(), 1u) << "the Delete reached the initiator";
  EXPECT_EQ(w.a.c(IkeCounter::Phase2Rekeys), 0u);
  EXPECT_TRUE(w.b.inst.sas().empty());
}

// The dataplane's sequence-number event for an outbound SA (either side's): its pair is
// rekeyed at once, make-before-break, once however often the event comes.
TEST(Initiator, SequenceNumbersRunningOutRekeyThePair) {
  Wire w(initiator_config(connection(kInitAddr, kSeedSuite)), responder_config());
  size_t checks = 0;
  w.after_each = [&] { check_no_gap(w, checks); };
  w.start();
  ASSERT_EQ(w.b.ups.size(), 1u);
  EXPECT_FALSE(w.b.eng.outbound_expiring(w.b.ups[0].slot_in, w.now)) << "not an outbound slot";
  EXPECT_TRUE(w.b.eng.outbound_expiring(w.b.ups[0].slot_out, w.now));
  EXPECT_TRUE(w.b.eng.outbound_expiring(w.b.ups[0].slot_out, w.now)) << "already under way";
  w.pump();
  EXPECT_EQ(w.b.c(IkeCounter::Phase2SoftPackets), 1u);
  EXPECT_EQ(w.b.c(IkeCounter::Phase2Rekeys), 1u);
  ASSERT_EQ(w.b.ups.size(), 2u);
  EXPECT_EQ(w.b.ups[1].replaces, w.b.ups[0].serial);
  EXPECT_EQ(w.a.ups.size(), 2u);
  EXPECT_GT(checks, 0u);
}

// The responder side refreshes a peer's pair itself when its policy asks for it: a Quick
// Mode from the responder over the peer's ISAKMP SA, answered by the peer's responder code.
TEST(Initiator, ResponderRekeysThePeersPairWithoutAGap) {
  Connection c = connection(kInitAddr, kSeedSuite);
  c.rekey_percent = 0;  // the initiator leaves the rekey to the other side
  ResponderConfig rc = responder_config(28800, 100);
  PeerPolicy p = PeerPolicy::all_supported();
  p.psk = kPsk;
  p.ipsec_lifetime_max = 100;
  p.rekey_peer_children_percent = 80;
  rc.policies.set_any(p);
  Wire w(initiator_config(c, kPsk, 28800, 100), rc);
  size_t checks = 0;
  w.after_each = [&] { check_no_gap(w, checks); };
  w.start();
  ASSERT_EQ(w.b.ups.size(), 1u);
  w.advance(80s);
  EXPECT_EQ(w.b.c(IkeCounter::Phase2Rekeys), 1u);
  ASSERT_EQ(w.b.ups.size(), 2u);
  EXPECT_TRUE(w.b.ups[1].initiator);
  EXPECT_EQ(w.b.ups[1].replaces, w.b.ups[0].serial);
  ASSERT_EQ(w.a.ups.size(), 2u);
  EXPECT_FALSE(w.a.ups[1].initiator);
  w.advance(19s);  // no traffic: the old pair goes before its hard lifetime
  EXPECT_EQ(w.b.downs.size(), 1u);
  EXPECT_EQ(w.a.downs.size(), 1u);
  EXPECT_EQ(w.a.c(IkeCounter::Phase2Expired) + w.b.c(IkeCounter::Phase2Expired), 0u);
  expect_matching_keys(w.a, w.b);
  expect_matching_keys(w.b, w.a);
  EXPECT_GT(checks, 10u);
}

TEST(Initiator, Phase1RekeyReplacesTheIsakmpSaAndKeepsTheIpsecSas) {
  Wire w(initiator_config(connection(kInitAddr, kSeedSuite), kPsk, 200, 28800),
         responder_config(200, 28800));
  w.start();
  ASSERT_EQ(w.a.ups.size(), 1u);
  w.advance(185s);
  EXPECT_EQ(w.a.c(IkeCounter::Phase1Rekeys), 1u);
  EXPECT_EQ(w.a.c(IkeCounter::Phase1Established), 2u);
  EXPECT_EQ(w.b.c(IkeCounter::Phase1Established), 2u);
  EXPECT_EQ(w.a.eng.ike_sa_count(), 1u);
  EXPECT_EQ(w.b.eng.ike_sa_count(), 1u);  // the old one deleted by our Delete
  EXPECT_EQ(w.b.c(IkeCounter::DeleteReceived), 1u);
  EXPECT_EQ(w.a.ups.size(), 1u);  // the IPsec SAs live on
  EXPECT_TRUE(w.a.downs.empty());
  EXPECT_EQ(w.a.eng.ike_sas()[0].peer_index, w.a.ups[0].peer_index);
}

// RFC 2407 §4.5 Life Type kilobytes on the ISAKMP SA: the octets of the Quick Mode and
// Informational messages it protected. The initiator asked for 2 KB: its first Quick Mode
// (three messages) is below 75 %, and the phase-2 rekeys push it over: a successor ISAKMP SA
// before the old one runs out, and the IPsec SAs live on.
TEST(Initiator, Phase1KilobyteLifetimeStartsAPhase1Rekey) {
  Connection c = connection(kInitAddr, kSeedSuite);
  c.ike_offers[0].life_kilobytes = 2;
  Wire w(initiator_config(c, kPsk, 28800, 100), responder_config(28800, 100));
  w.start();
  ASSERT_EQ(w.a.ups.size(), 1u);
  EXPECT_EQ(w.a.c(IkeCounter::Phase1Rekeys), 0u) << "one Quick Mode: below 75 % of 2 KB";
  const auto first = w.a.eng.ike_sas();
  ASSERT_EQ(first.size(), 1u);
  w.advance(300s);  // phase-2 rekeys at 90 s, 180 s, 270 s
  EXPECT_GE(w.a.c(IkeCounter::Phase2Rekeys), 2u);
  EXPECT_GE(w.a.c(IkeCounter::Phase1Rekeys), 1u);
  EXPECT_GE(w.a.c(IkeCounter::Phase1Established), 2u);
  EXPECT_EQ(w.a.c(IkeCounter::Phase1ExpiredKilobytes) + w.b.c(IkeCounter::Phase1ExpiredKilobytes), 0u)
      << "the rekey came before the end";
  ASSERT_EQ(w.a.eng.ike_sa_count(), 1u);
  EXPECT_NE(w.a.eng.ike_sas()[0].serial, first[0].serial);
  EXPECT_EQ(w.a.live.size(), 1u);
  EXPECT_EQ(w.b.live.size(), 1u);
}

// Nobody rekeys phase 1 (`isakmp-sa ... rekey off`): the ISAKMP SA ends when its kilobytes are
// used up, with a Delete, and the IPsec SAs it negotiated stay (RFC 2409 §5.7).
TEST(Initiator, Phase1KilobyteHardLifetimeEndsTheIsakmpSaOnly) {
  Connection c = connection(kInitAddr, kSeedSuite);
  c.ike_offers[0].life_kilobytes = 1;
  c.isakmp_rekey_percent = 0;
  Wire w(initiator_config(c, kPsk, 28800, 100), responder_config(28800, 100));
  w.start();
  ASSERT_EQ(w.a.ups.size(), 1u);
  EXPECT_EQ(w.a.eng.ike_sa_count(), 1u) << "one Quick Mode fits in 1 KB";
  // Each Quick Mode (three messages) and the Delete of the pair it replaced protect about
  // 450 octets: the second phase-2 rekey, at 180 s, pushes the ISAKMP SA past 1 KB.
  w.advance(91s);
  EXPECT_EQ(w.a.eng.ike_sa_count(), 1u);
  w.advance(90s);
  EXPECT_EQ(w.a.c(IkeCounter::Phase2Rekeys), 2u);
  // Both sides counted the same messages: each ends its ISAKMP SA at the same one.
  EXPECT_EQ(w.a.c(IkeCounter::Phase1ExpiredKilobytes), 1u);
  EXPECT_EQ(w.b.c(IkeCounter::Phase1ExpiredKilobytes), 1u);
  EXPECT_EQ(w.a.c(IkeCounter::Phase1Rekeys), 0u);
  EXPECT_EQ(w.a.eng.ike_sa_count(), 0u);
  EXPECT_EQ(w.b.eng.ike_sa_count(), 0u);
  EXPECT_FALSE(w.a.live.empty()) << "the IPsec SAs outlive their ISAKMP SA";
  EXPECT_FALSE(w.b.live.empty());
}

// ---- Delete and auto refresh ----

TEST(Initiator, PeerDeleteIsFollowedAndAutoRefreshBringsTheSasBack) {
  Wire w(initiator_config(connection(kInitAddr, kSeedSuite)), responder_config());
  w.start();
  ASSERT_EQ(w.b.ups.size(), 1u);
  EXPECT_TRUE(w.b.eng.delete_peer(w.b.ups[0].peer_index, w.now, "test"));
  w.pump();
  EXPECT_EQ(w.a.c(IkeCounter::DeleteReceived), 2u);  // the ESP SA and the ISAKMP SA
  ASSERT_EQ(w.a.downs.size(), 1u);
  EXPECT_TRUE(w.a.inst.sas().empty());
  w.advance(3s);
  EXPECT_EQ(w.a.c(IkeCounter::InitiatorStarted), 2u);
  EXPECT_EQ(w.a.ups.size(), 2u);
  EXPECT_EQ(w.b.ups.size(), 2u);
  expect_matching_keys(w.a, w.b);
}

TEST(Initiator, WithoutAutoRefreshADeleteLeavesItDown) {
  Wire w(initiator_config(connection(kInitAddr, kSeedSuite, false)), responder_config());
  w.start();
  ASSERT_EQ(w.a.ups.size(), 1u);
  EXPECT_TRUE(w.a.eng.delete_peer(w.a.ups[0].peer_index, w.now, "test"));
  w.pump();
  EXPECT_EQ(w.b.c(IkeCounter::DeleteReceived), 2u);
  EXPECT_TRUE(w.b.inst.sas().empty());
  EXPECT_EQ(w.b.eng.ike_sa_count(), 0u);
  w.advance(60s, 5s);
  EXPECT_EQ(w.a.c(IkeCounter::InitiatorStarted), 1u);
  EXPECT_EQ(w.a.eng.ike_sa_count(), 0u);
}

TEST(Initiator, DeadPeerIsReinitiatedWithAutoRefresh) {
  Connection c = connection(kInitAddr, kSeedSuite);
  ResponderConfig ic = initiator_config(c);
  PeerPolicy p = PeerPolicy::all_supported();
  p.psk = kPsk;
  p.dpd_interval = 10s;
  p.dpd_tries = 2;
  ic.policies.set(kRespAddr, p);
  Wire w(ic, responder_config());
  w.start();
  ASSERT_EQ(w.a.ups.size(), 1u);
  // The responder vanishes (its datagrams are lost), then comes back.
  bool down = true;
  w.keep = [&](const Datagram&, bool from_a) { return from_a || !down; };
  w.advance(45s);  // idle at 10 s, R-U-THERE at 20 and 30, dead at 40
  EXPECT_EQ(w.a.c(IkeCounter::DpdPeerDead), 1u);
  EXPECT_EQ(w.a.downs.size(), 1u);
  EXPECT_GE(w.a.c(IkeCounter::InitiatorStarted), 2u);
  down = false;
  w.advance(200s, 2s);
  EXPECT_EQ(w.a.live.size(), 1u);
  EXPECT_FALSE(w.a.inst.sas().empty());
}

// Seed 001 between two of ours: both ends name each other and start at once. Each side's
// Main Mode and Quick Mode complete (two peerings' worth of SAs, as two RTX routers make);
// the keys pair up, and nothing churns afterwards.
TEST(Initiator, BothEndsInitiateAtOnce) {
  Connection back = connection(kRespAddr, kSeedSuite);
  back.peer_addr = kInitAddr;
  ResponderConfig bc = initiator_config(back);
  PeerPolicy any = PeerPolicy::all_supported();
  any.psk = kPsk;
  bc.policies.set_any(any);
  ResponderConfig ac = initiator_config(connection(kInitAddr, kSeedSuite));
  ac.policies.set_any(any);
  Wire w(ac, bc);
  EXPECT_TRUE(w.a.eng.initiate(kRespAddr, w.now));
  EXPECT_TRUE(w.b.eng.initiate(kInitAddr, w.now));
  w.pump();
  w.advance(10s);
  EXPECT_EQ(w.a.c(IkeCounter::InitiatorStarted), 1u);
  EXPECT_EQ(w.b.c(IkeCounter::InitiatorStarted), 1u);
  EXPECT_EQ(w.a.c(IkeCounter::Phase1Established), 2u);
  EXPECT_EQ(w.b.c(IkeCounter::Phase1Established), 2u);
  EXPECT_GE(w.a.live.size(), 1u);
  EXPECT_EQ(w.a.live.size(), w.b.live.size());
  expect_matching_keys(w.a, w.b);
  expect_matching_keys(w.b, w.a);
  const size_t ups = w.a.ups.size();
  w.advance(600s, 10s);
  EXPECT_EQ(w.a.ups.size(), ups);
  EXPECT_EQ(w.a.c(IkeCounter::InitiatorStarted), 1u);
  EXPECT_TRUE(w.a.downs.empty());
}

// Our restart: a fresh initiator (no SAs, no memory) meets a responder that still holds the
// old ones; INITIAL-CONTACT in MM5 makes it drop them (RFC 2407 §4.6.3.3).
TEST(Initiator, RestartSendsInitialContactAndThePeerDropsTheOldSas) {
  Wire w(initiator_config(connection(kInitAddr, kSeedSuite)), responder_config());
  w.start();
  ASSERT_EQ(w.b.ups.size(), 1u);
  EXPECT_EQ(w.a.c(IkeCounter::InitialContactSent), 1u);
  EXPECT_EQ(w.b.c(IkeCounter::InitialContact), 0u);  // nothing to drop the first time
  Side fresh(initiator_config(connection(kInitAddr, kSeedSuite)));
  EXPECT_TRUE(fresh.eng.initiate(kRespAddr, w.now));
  for (int round = 0; round < 10; ++round) {
    auto out = fresh.eng.take_outbox();
    if (out.empty()) break;
    for (const Datagram& d : out) {
      w.b.eng.on_datagram(d.peer, d.local, d.message, w.now);
      for (const Datagram& r : w.b.eng.take_outbox())
        fresh.eng.on_datagram(r.peer, r.local, r.message, w.now);
    }
  }
  EXPECT_EQ(fresh.c(IkeCounter::InitialContactSent), 1u);
  EXPECT_EQ(w.b.c(IkeCounter::InitialContact), 1u);
  EXPECT_EQ(w.b.eng.ike_sa_count(), 1u);
  ASSERT_EQ(w.b.downs.size(), 1u);  // the old pair
  EXPECT_EQ(w.b.live.size(), 1u);   // the new one
  expect_matching_keys(fresh, w.b);
}

TEST(Initiator, ShutdownDeletesAndDoesNotComeBack) {
  Wire w(initiator_config(connection(kInitAddr, kSeedSuite)), responder_config());
  w.start();
  ASSERT_EQ(w.a.ups.size(), 1u);
  w.a.eng.shutdown(w.now);
  w.pump();
  EXPECT_TRUE(w.a.inst.sas().empty());
  EXPECT_TRUE(w.b.inst.sas().empty());  // our Deletes reached the peer
  EXPECT_EQ(w.b.eng.ike_sa_count(), 0u);
  w.advance(60s, 5s);
  EXPECT_EQ(w.a.c(IkeCounter::InitiatorStarted), 1u);
  EXPECT_EQ(w.a.eng.ike_sa_count(), 0u);
}

TEST(Initiator, UnknownPeerIsNotInitiated) {
  Wire w(initiator_config(connection(kInitAddr, kSeedSuite)), responder_config());
  EXPECT_FALSE(w.a.eng.initiate(ip(192, 0, 2, 99), w.now));
  EXPECT_TRUE(w.a.eng.take_outbox().empty());
}

}  // namespace
}  // namespace l2tpgw::cp::ike::test
