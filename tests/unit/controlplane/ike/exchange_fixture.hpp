// SPDX-License-Identifier: Apache-2.0
// The exchange-test lab: an IkeResponder over a FakeInstaller that also keeps the keys it was
// given (so tests compare them with the test initiator's KEYMAT), a virtual clock, and helpers
// that run Main Mode and Quick Mode step by step with the NAT translations a test chooses.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "controlplane/ike/responder.hpp"
#include "controlplane/install/fake_installer.hpp"
#include "test_initiator.hpp"

namespace l2tpgw::cp::ike::test {

using namespace std::chrono_literals;

// FakeInstaller plus a copy of each SA's parameters and keys, by slot.
class RecordingInstaller final : public Installer {
 public:
  struct Sa {
    tables::SaParams params;  // spans cleared
    Bytes enc_key, auth_key;
  };
  FakeInstaller fake{256};
  std::map<uint32_t, Sa> added;

  Outcome<uint32_t> alloc_spi() override { return fake.alloc_spi(); }
  bool release_spi(uint32_t spi) override { return fake.release_spi(spi); }
  Outcome<uint32_t> add_sa(const tables::SaParams& p) override {
    auto r = fake.add_sa(p);
    if (r) {
      Sa s;
      s.params = p;
      s.params.enc_key = {};
      s.params.auth_key = {};
      s.enc_key.assign(p.enc_key.begin(), p.enc_key.end());
      s.auth_key.assign(p.auth_key.begin(), p.auth_key.end());
      added[r.value] = s;
    }
    return r;
  }
  bool del_sa(uint32_t slot) override { return fake.del_sa(slot); }
  std::optional<SaUsage> query_sa(uint32_t slot) const override { return fake.query_sa(slot); }
  Outcome<uint16_t> reserve_tunnel_id() override { return fake.reserve_tunnel_id(); }
  bool release_tunnel_id(uint16_t id) override { return fake.release_tunnel_id(id); }
  Outcome<uint16_t> reserve_session_id() override { return fake.reserve_session_id(); }
  bool release_session_id(uint16_t id) override { return fake.release_session_id(id); }
  Outcome<uint16_t> add_tunnel(const tables::TunnelParams& p) override { return fake.add_tunnel(p); }
  bool update_tunnel_sa_out(uint16_t t, uint32_t s) override { return fake.update_tunnel_sa_out(t, s); }
  bool del_tunnel(uint16_t t) override { return fake.del_tunnel(t); }
  bool retire_tunnel(uint16_t t) override { return fake.retire_tunnel(t); }
  Outcome<uint16_t> add_session(const tables::SessionParams& p) override { return fake.add_session(p); }
  bool del_session(uint16_t s) override { return fake.del_session(s); }
  bool retire_session(uint16_t s) override { return fake.retire_session(s); }
  std::optional<SessionUsage> query_session(uint16_t s) const override { return fake.query_session(s); }
  std::vector<InstalledSa> sas() const override { return fake.sas(); }
  std::vector<InstalledTunnel> tunnels() const override { return fake.tunnels(); }
  std::vector<InstalledSession> sessions() const override { return fake.sessions(); }
  void reclaim() override {}
  size_t pending_reclaims() const override { return 0; }

  size_t count(FakeInstaller::Op op) const {
    size_t n = 0;
    for (const auto& c : fake.calls())
      if (c.op == op && c.id != 0) ++n;
    return n;
  }
};

inline constexpr uint32_t ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d;
}

inline const char* kPsk = "l2tp-secret-psk-3f9a";

inline ResponderConfig default_config(std::string psk = kPsk) {
  ResponderConfig cfg;
  PeerPolicy p = PeerPolicy::all_supported();
  p.psk = std::move(psk);
  p.gateway_id = 1;
  cfg.policies.set_any(p);
  return cfg;
}

class Lab {
 public:
  RecordingInstaller inst;
  IkeResponder r;
  TimePoint now = TimePoint{} + 100000s;
  std::vector<ChildSaEvent> ups, downs;

  explicit Lab(ResponderConfig cfg = default_config()) : Lab(std::move(cfg), [](RecordingInstaller&) {}) {}
  // `before` fills the tables the responder starts over (what a previous process left).
  Lab(ResponderConfig cfg, const std::function<void(RecordingInstaller&)>& before)
      : r((before(inst), std::move(cfg)), inst) {
    IkeHooks h;
    h.child_up = [this](const ChildSaEvent& e) { ups.push_back(e); };
    h.child_down = [this](const ChildSaEvent& e) { downs.push_back(e); };
    r.set_hooks(h);
  }

  // Delivers `m` from `from` to the responder's `to`; returns what it sent.
  std::vector<Datagram> send(const Endpoint& from, const Endpoint& to, const Bytes& m) {
    r.on_datagram(to, from, m, now);
    return r.take_outbox();
  }
  std::vector<Datagram> advance(std::chrono::seconds s) {
    now += s;
    r.on_timer(now);
    return r.take_outbox();
  }
  uint64_t c(IkeCounter x) const { return r.counters()[x]; }
};

// Where a client and the responder are, and what NATs sit between them.
struct Path {
  Endpoint client_self;      // the client's own idea of its address (port 500)
  Endpoint client_seen;      // what the responder sees at port 500
  Endpoint client_seen_4500; // ... after the float to 4500
  Endpoint resp_local;       // the responder's own address (port 500)
  Endpoint resp_public;      // where the client sends (port 500)
};

inline Path direct_path() {
  return {{ip(198, 51, 100, 10), 500}, {ip(198, 51, 100, 10), 500}, {ip(198, 51, 100, 10), 4500},
          {ip(192, 0, 2, 1), 500},     {ip(192, 0, 2, 1), 500}};
}
inline Path client_nat_path() {
  return {{ip(192, 168, 1, 10), 500}, {ip(203, 0, 113, 7), 40500}, {ip(203, 0, 113, 7), 44500},
          {ip(192, 0, 2, 1), 500},    {ip(192, 0, 2, 1), 500}};
}
inline Path responder_nat_path() {
  return {{ip(198, 51, 100, 10), 500}, {ip(198, 51, 100, 10), 500}, {ip(198, 51, 100, 10), 4500},
          {ip(10, 0, 0, 1), 500},      {ip(192, 0, 2, 1), 500}};
}

// A client session over a Path: it tracks where the client is after the NAT-T float.
struct Session {
  Path path;
  TestInitiator ini;
  bool floated = false;

  explicit Session(Path p, std::string psk = kPsk)
      : path(p), ini(p.client_self, p.resp_public, std::move(psk)) {}
  Endpoint seen() const { return floated ? path.client_seen_4500 : path.client_seen; }
  Endpoint local() const {
    return floated ? Endpoint{path.resp_local.addr, kNatTPort} : path.resp_local;
  }
  std::vector<Datagram> send(Lab& lab, const Bytes& m) { return lab.send(seen(), local(), m); }

  // MM1..MM6. Returns false (with failures recorded) when any step goes wrong.
  ::testing::AssertionResult main_mode(Lab& lab, bool initial_contact = false) {
    auto out = send(lab, ini.mm1());
    if (out.size() != 1) return ::testing::AssertionFailure() << "MM2: " << out.size() << " datagrams";
    if (out[0].peer != seen() || out[0].local != local())
      return ::testing::AssertionFailure() << "MM2 addressed wrong";
    auto r = ini.take_mm2(out[0].message);
    if (!r) return r;
    out = send(lab, ini.mm3());
    if (out.size() != 1) return ::testing::AssertionFailure() << "MM4: " << out.size() << " datagrams";
    r = ini.take_mm4(out[0].message);
    if (!r) return r;
    // RFC 3947 §4: with a NAT detected the initiator moves to port 4500.
    if (ini.nat_detected) {
      floated = true;
      ini.self.port = kNatTPort;
      ini.responder.port = kNatTPort;
    }
    out = send(lab, ini.mm5(initial_contact));
    if (out.size() != 1) return ::testing::AssertionFailure() << "MM6: " << out.size() << " datagrams";
    if (out[0].peer != seen() || out[0].local != local())
      return ::testing::AssertionFailure() << "MM6 addressed wrong";
    return ini.take_mm6(out[0].message);
  }

  std::pair<Identification, Identification> l2tp_ids() const {
    return {ipv4_id(path.client_self.addr, 17, 1701), ipv4_id(path.resp_public.addr, 17, 1701)};
  }

  // QM1..QM3 with `offers`; the client's IDs name UDP/1701 as L2TP clients do.
  ::testing::AssertionResult quick_mode(Lab& lab, TestInitiator::Qm& q,
                                        const std::vector<EspOffer>& offers, bool with_ids = true) {
    auto out = send(lab, ini.qm1(q, offers, with_ids ? std::optional(l2tp_ids()) : std::nullopt,
                                 floated && ini.natt_agreed != NatT::None));
    if (out.size() != 1) return ::testing::AssertionFailure() << "QM2: " << out.size() << " datagrams";
    auto r = ini.take_qm2(q, out[0].message);
    if (!r) return r;
    out = send(lab, ini.qm3(q));
    if (!out.empty()) return ::testing::AssertionFailure() << "QM3 answered";
    return ::testing::AssertionSuccess();
  }
};

inline EspOffer esp_aes(uint16_t bits, uint16_t auth, uint16_t encap = kEncapTransport) {
  EspOffer o;
  o.id = static_cast<uint8_t>(EspTransformId::Aes);
  o.key_bits = bits;
  o.auth = auth;
  o.encap = encap;
  return o;
}

inline P1Offer p1(uint16_t enc, uint16_t bits, uint16_t hash, uint16_t group, uint32_t life = 28800) {
  return P1Offer{enc, bits, hash, group, kAuthPreSharedKey, life};
}

inline EspOffer esp(EspTransformId id, uint16_t bits, uint16_t auth, uint16_t group = 0,
                    uint32_t life = 3600, uint32_t kb = 0) {
  EspOffer o;
  o.id = static_cast<uint8_t>(id);
  o.key_bits = bits;
  o.auth = auth;
  o.group = group;
  o.life = life;
  o.life_kb = kb;
  return o;
}

// Establishes a Windows-like client (direct path) with one IPsec SA pair.
struct Established {
  Lab lab;
  Session s{direct_path()};
  TestInitiator::Qm q;
  explicit Established(bool quick = true) {
    EXPECT_TRUE(s.main_mode(lab));
    if (quick) {
      EXPECT_TRUE(s.quick_mode(lab, q, {esp_aes(256, kAuthHmacSha)}));
    }
  }
};

inline ResponderConfig dpd_config(std::chrono::seconds interval, int tries) {
  ResponderConfig cfg = default_config();
  PeerPolicy p = PeerPolicy::all_supported();
  p.psk = kPsk;
  p.dpd_interval = interval;
  p.dpd_tries = tries;
  cfg.policies.set_any(p);
  return cfg;
}

// The R-U-THERE an informational from the responder carries, or nullopt.
inline std::optional<Notification> r_u_there(TestInitiator& ini, const std::vector<Datagram>& out) {
  if (out.size() != 1) return std::nullopt;
  TestInitiator::Info info;
  if (!ini.take_info(out[0].message, info) || info.notifications.size() != 1) return std::nullopt;
  const Notification& n = info.notifications[0];
  if (n.type != static_cast<uint16_t>(NotifyType::RUThere) || n.spi != ini.cookies_spi() ||
      n.data.size() != 4)
    return std::nullopt;
  return n;
}

}  // namespace l2tpgw::cp::ike::test
