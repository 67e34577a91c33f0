// SPDX-License-Identifier: Apache-2.0
// The initiator role: Main Mode with a pre-shared key (RFC 2409 §5) and Quick Mode for
// transport-mode ESP carrying L2TP (RFC 2409 §5.5, RFC 3193) for peerings this side starts
// (`ipsec ike remote address G ADDRESS`, the LAN-to-LAN L2TPv3/IPsec case), our own rekeys at
// the soft lifetime, and `ipsec auto refresh`:
//
//        Initiator (us)                            Responder
//        HDR, SA                            -->                               MM1  -> Init
//                                           <--  HDR, SA                      MM2  Init -> Sa
//        HDR, KE, Ni, NAT-D, NAT-D          -->                               MM3
//                                           <--  HDR, KE, Nr, NAT-D, NAT-D    MM4  Sa -> Ke
//        HDR*, IDii, HASH_I                 -->                               MM5
//                                           <--  HDR*, IDir, HASH_R           MM6  Ke -> Auth
//        HDR*, HASH(1), SA, Ni [, KE], IDci, IDcr [, NAT-OAi, NAT-OAr]  -->   QM1
//                       <--  HDR*, HASH(2), SA, Nr [, KE], IDci, IDcr [, NAT-OA...]   QM2
//        HDR*, HASH(3)                      -->                               QM3
//
// NAT-T (RFC 3947): we offer its vendor IDs in MM1; when MM4's NAT-D shows a NAT on either
// side, MM5 and everything after go from port 4500 to port 4500 (§4) and Quick Mode asks for
// UDP-encapsulated transport (§5.1) with NAT-OA (§5.2).
//
// Make-before-break: our inbound SA (QM1 announced its SPI) is installed when QM2 verifies,
// before QM3 lets the responder install its outbound one; our outbound SA goes in after QM3
// is sent (the responder installed its inbound before QM2). A rekey's pair comes up beside
// the old one, which is deleted (a Delete informational) once the new one has carried inbound
// traffic, or after kRetireMax.
#include <algorithm>

#include "controlplane/ike/message.hpp"
#include "controlplane/ike/responder.hpp"
#include "controlplane/ike/responder_internal.hpp"
#include "controlplane/log/log.hpp"

namespace l2tpgw::cp::ike {
namespace {

constexpr uint8_t kIpProtoUdp = 17;
constexpr uint16_t kL2tpPort = 1701;
// A replaced pair is deleted once its successor received ESP, checked this often, and at the
// latest after kRetireMax (the peer may have nothing to send).
constexpr std::chrono::seconds kRetirePoll{1};
constexpr std::chrono::seconds kRetireMax{20};
// How often a pair with a lifetime in kilobytes has its octets looked at.
constexpr std::chrono::seconds kUsagePoll{10};
// The shortest wait before a connection is looked at again (never from inside a handler).
constexpr std::chrono::seconds kRefreshDelay{1};

uint32_t be32(ByteView b) {
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
}

Bytes random_bytes(const RandomFn& random, size_t n) {
  Bytes b(n);
  random(std::span<uint8_t>(b.data(), b.size()));
  return b;
}

}  // namespace

// ---- Connections: what we keep up (auto refresh) ----

IkeResponder::ConnState* IkeResponder::conn_of(uint32_t peer_addr) {
  auto it = conns_.find(peer_addr);
  return it == conns_.end() ? nullptr : &it->second;
}

bool IkeResponder::initiate(uint32_t peer_addr, TimePoint now) {
  now_ = now;
  ConnState* cs = conn_of(peer_addr);
  if (!cs) return false;
  cs->wanted = true;
  ensure_connection(peer_addr);
  return true;
}

void IkeResponder::initiate(const Connection& c, TimePoint now) {
  ConnState& cs = conns_[c.peer_addr];
  cs.cfg = c;
  initiate(c.peer_addr, now);
}

void IkeResponder::initiate_configured(TimePoint now) {
  std::vector<uint32_t> peers;
  for (const auto& [addr, cs] : conns_) peers.push_back(addr);
  for (uint32_t p : peers) initiate(p, now);
}

void IkeResponder::stop_initiating(uint32_t peer_addr) {
  if (ConnState* cs = conn_of(peer_addr)) {
    cs->wanted = false;
    cancel(cs->timer);
  }
}

void IkeResponder::schedule_connection(uint32_t peer_addr, Duration delay) {
  ConnState* cs = conn_of(peer_addr);
  if (!cs || !cs->wanted) return;
  arm(cs->timer, now_ + std::max<Duration>(delay, kRefreshDelay), [this, peer_addr] {
    if (ConnState* c = conn_of(peer_addr)) c->timer = {};
    ensure_connection(peer_addr);
  });
}

void IkeResponder::connection_failed(uint32_t peer_addr) {
  ConnState* cs = conn_of(peer_addr);
  if (!cs || !cs->wanted) return;
  if (!cs->cfg.auto_refresh) {
    cs->wanted = false;  // one attempt per initiate()
    cancel(cs->timer);
    return;
  }
  cs->retry = cs->retry == Duration::zero()
                  ? Duration(cs->cfg.retry_initial)
                  : std::min<Duration>(cs->retry * 2, cs->cfg.retry_max);
  schedule_connection(peer_addr, cs->retry);
}

IkeSa* IkeResponder::ike_sa_for(uint32_t peer_addr, bool established_only) {
  IkeSa* best = nullptr;
  for (auto& [serial, sa] : sas_) {
    if (sa->mm1_peer.addr != peer_addr && sa->peer.addr != peer_addr) continue;
    if (established_only && (sa->state != MainModeState::Auth || sa->rekeying)) continue;
    if (!best || (sa->state == MainModeState::Auth && !sa->rekeying)) best = sa.get();
  }
  return best;
}

// Keeps one ISAKMP SA and one IPsec SA pair up with the peer (ours or the peer's own: a
// peering the peer started needs nothing from us).
void IkeResponder::ensure_connection(uint32_t peer_addr) {
  ConnState* cs = conn_of(peer_addr);
  if (!cs || !cs->wanted) return;
  IkeSa* ike = ike_sa_for(peer_addr, false);
  if (!ike) {
    main_mode_initiate(cs->cfg, now_);
    return;
  }
  if (ike->state != MainModeState::Auth) return;  // Main Mode under way (either side's)
  for (const auto& [serial, c] : children_)
    if (c.peer.addr == peer_addr && !c.replaced_by) return;
  for (const auto& [serial, sa] : sas_)
    for (const auto& [mid, qm] : sa->quick)
      if (qm.initiator && qm.state == QuickModeState::Init && sa->peer.addr == peer_addr) return;
  quick_mode_initiate(*ike, 0, now_);
}

// ---- Main Mode, initiator side (RFC 2409 §5) ----

void IkeResponder::main_mode_initiate(const Connection& c, TimePoint now) {
  auto policy = cfg_.policies.find(c.peer_addr);
  if (!policy || policy->psk.empty() || c.ike_offers.empty() || c.esp_offers.empty() ||
      c.local_addr == 0) {
    ++counters_[IkeCounter::NoPolicy];
    logf(LogLevel::Warning,
         "[IKE] cannot initiate to %s: no pre-shared key, no proposal or no local address",
         addr_str(c.peer_addr).c_str());
    if (ConnState* cs = conn_of(c.peer_addr)) cs->wanted = false;
    return;
  }
  if (sas_.size() >= cfg_.limits.max_ike_sas) {
    ++counters_[IkeCounter::TooManySas];
    connection_failed(c.peer_addr);
    return;
  }
  auto owned = std::make_unique<IkeSa>();
  IkeSa& sa = *owned;
  sa.serial = next_serial();
  sa.initiator = true;
  do {
    random_(std::span<uint8_t>(sa.cky_i.data(), sa.cky_i.size()));
  } while (sa.cky_i == Cookie{} || by_init_cookie_.contains(sa.cky_i));
  sa.policy = policy;
  sa.local = Endpoint{c.local_addr, kIkePort};
  sa.peer = sa.mm1_peer = Endpoint{c.peer_addr, kIkePort};
  sa.created = sa.last_seen = now;

  // MM1: one ISAKMP proposal, one transform per suite we accept (RFC 2409 §5), the lifetime
  // ours; the NAT-T vendor IDs (RFC 3947 §3.1) and DPD's (RFC 3706 §5.1).
  Proposal p;
  p.number = 1;
  p.protocol = static_cast<uint8_t>(ProtocolId::Isakmp);
  uint8_t n = 1;
  for (Phase1Suite s : c.ike_offers) {
    s.life_seconds = policy->isakmp_lifetime_max;
    sa.p1_offered.push_back(s);
    p.transforms.push_back(encode_phase1_transform(s, n++));
  }
  SaPayload offer;
  offer.proposals = {std::move(p)};
  sa.sai_b = encode_sa(offer);
  PayloadChain out;
  out.add(PayloadType::Sa, sa.sai_b);
  if (policy->nat_traversal) {
    out.add(PayloadType::VendorId, vid_of(NatT::Rfc3947));
    out.add(PayloadType::VendorId, vid_of(NatT::Draft02n));
  }
  out.add(PayloadType::VendorId, ByteView(kVidDpd));
  IsakmpHeader h;
  h.icookie = sa.cky_i;
  h.exchange = ExchangeType::IdentityProtection;

  const uint64_t serial = sa.serial;
  sas_[serial] = std::move(owned);
  by_init_cookie_[sa.cky_i] = serial;
  ++half_open_;
  ++counters_[IkeCounter::InitiatorStarted];
  logf(LogLevel::Info, "[IKE] ISAKMP SA[%llu]: Main Mode to %s (initiator)",
       static_cast<unsigned long long>(serial), endpoint_str(sa.peer).c_str());
  initiator_send(sa, build_plain_message(h, out), now);
}

void IkeResponder::initiator_send(IkeSa& sa, Bytes message, TimePoint now) {
  sa.last_reply = std::move(message);
  sa.retransmits = 0;
  sa.duplicate_replies = 0;
  send(sa.local, sa.peer, sa.last_reply);
  arm_initiator_retransmit(sa, now);
}

// Our MM1/MM3/MM5 again when the answer does not come: after retransmit_initial, doubling,
// retransmit_tries times (strongSwan's retransmission_t); then the attempt has failed.
void IkeResponder::arm_initiator_retransmit(IkeSa& sa, TimePoint now) {
  const uint64_t serial = sa.serial;
  const auto delay = cfg_.limits.retransmit_initial * (1 << std::min(sa.retransmits, 16));
  arm(sa.timer, now + delay, [this, serial] {
    IkeSa* s = sa_by_serial(serial);
    if (!s || !s->half_open()) return;
    s->timer = {};
    if (s->retransmits >= cfg_.limits.retransmit_tries) {
      ++counters_[IkeCounter::RetransmitLimit];
      const uint32_t peer = s->mm1_peer.addr;
      const char* step = s->state == MainModeState::Init ? "no MM2"
                         : s->state == MainModeState::Sa ? "no MM4"
                                                         : "no MM6 (wrong pre-shared key?)";
      remove_sa(*s, now_, step);
      connection_failed(peer);
      return;
    }
    ++s->retransmits;
    ++counters_[IkeCounter::TimerRetransmits];
    send(s->local, s->peer, s->last_reply);
    arm_initiator_retransmit(*s, now_);
  });
}

void IkeResponder::main_mode_2(IkeSa& sa, const IsakmpHeader& h, ByteView message, TimePoint now) {
  auto chain = plain_chain(h, message);
  if (!chain) return;
  const PayloadView* sap = find_payload(*chain, PayloadType::Sa);
  if (!sap) {
    ++counters_[IkeCounter::Malformed];
    return;
  }
  auto reply = decode_sa(sap->body);
  if (!reply) return count_malformed(reply.error());
  auto suite = check_phase1_choice(*reply, sa.p1_offered);
  const uint32_t peer_addr = sa.mm1_peer.addr;
  if (!suite) {
    ++counters_[IkeCounter::ProposalNotOffered];
    logf(LogLevel::Notice, "[IKE] ISAKMP SA[%llu]: MM2 from %s chose nothing we offered",
         static_cast<unsigned long long>(sa.serial), endpoint_str(sa.peer).c_str());
    remove_sa(sa, now, "MM2 chose no offered transform");
    connection_failed(peer_addr);
    return;
  }
  NatT natt = NatT::None;
  for (const PayloadView& p : *chain) {
    if (p.type != PayloadType::VendorId) continue;
    const NatT v = natt_of(p.body);
    if (v == NatT::Rfc3947 || v == NatT::Draft02n)  // the ones MM1 offered
      natt = static_cast<uint8_t>(v) > static_cast<uint8_t>(natt) ? v : natt;
    if (p.body.size() == kVidDpd.size() && std::equal(kVidDpd.begin(), kVidDpd.end(), p.body.begin()))
      sa.peer_dpd = true;
  }
  if (!sa.policy->nat_traversal) natt = NatT::None;
  auto dh = DhKey::generate(suite->group, random_);
  if (!dh) {
    logf(LogLevel::Error, "[IKE] ISAKMP SA[%llu]: Diffie-Hellman failed: %s",
         static_cast<unsigned long long>(sa.serial), std::string(to_string(dh.error())).c_str());
    remove_sa(sa, now, "Diffie-Hellman failed");
    connection_failed(peer_addr);
    return;
  }
  sa.suite = *suite;
  sa.natt = natt;
  if (natt != NatT::None) ++counters_[IkeCounter::NatTNegotiated];
  by_init_cookie_.erase(sa.cky_i);
  sa.cky_r = h.rcookie;
  by_cookies_[{sa.cky_i, sa.cky_r}] = sa.serial;
  sa.gxi = dh->public_value();
  sa.dh = std::move(*dh);
  sa.ni = random_bytes(random_, 32);

  // MM3: KE, Ni and RFC 3947 §3.2's NAT-D: first the destination (the responder as we address
  // it), then our own address.
  PayloadChain out;
  out.add(PayloadType::KeyExchange, sa.gxi);
  out.add(PayloadType::Nonce, sa.ni);
  if (natt != NatT::None) add_nat_d(out, sa);
  IsakmpHeader rh;
  rh.icookie = sa.cky_i;
  rh.rcookie = sa.cky_r;
  rh.exchange = ExchangeType::IdentityProtection;
  sa.last_in = message_digest(message);
  set_state(sa, MainModeState::Sa);
  logf(LogLevel::Debug, "[IKE] ISAKMP SA[%llu]: %s chose %s, NAT-T %s%s",
       static_cast<unsigned long long>(sa.serial), endpoint_str(sa.peer).c_str(),
       describe(sa.suite).c_str(), std::string(to_string(natt)).c_str(), sa.peer_dpd ? ", DPD" : "");
  initiator_send(sa, build_plain_message(rh, out), now);
}

void IkeResponder::main_mode_4(IkeSa& sa, const IsakmpHeader& h, ByteView message, TimePoint now) {
  auto chain = plain_chain(h, message);
  if (!chain) return;
  auto ke_nr = key_exchange_nonce(*chain);
  if (!ke_nr) return;
  auto& [ke, nr] = *ke_nr;
  const uint32_t peer_addr = sa.mm1_peer.addr;
  auto gxy = ke.size() == dh_public_length(sa.suite.group) && sa.dh
                 ? sa.dh->shared_secret(ke)
                 : CryptoResult<SecretBytes>(CryptoError::BadPublicValue);
  if (!gxy) {
    ++counters_[IkeCounter::BadKeyExchange];
    remove_sa(sa, now, "the responder's KE is not in the group");
    connection_failed(peer_addr);
    return;
  }
  sa.gxr = std::move(ke);
  sa.nr = std::move(nr);
  const std::string& psk = sa.policy->psk;
  sa.keys = derive_phase1_psk(sa.suite.hash, sa.suite.cipher,
                              ByteView(reinterpret_cast<const uint8_t*>(psk.data()), psk.size()),
                              sa.ni, sa.nr, view(*gxy), sa.cky_i, sa.cky_r, sa.gxi, sa.gxr);
  sa.iv = sa.keys.iv;
  // RFC 3947 §4: behind a NAT (either side), IKE goes from port 4500 to port 4500 from MM5 on.
  if (detect_nat(sa, *chain) && sa.nat()) {
    logf(LogLevel::Info, "[IKE] ISAKMP SA[%llu]: moving to port %u",
         static_cast<unsigned long long>(sa.serial), kNatTPort);
    sa.local.port = kNatTPort;
    sa.peer.port = kNatTPort;
  }

  // MM5: IDii (RFC 2407 §4.6.2: protocol and port 0 in phase 1), HASH_I, and INITIAL-CONTACT
  // (RFC 2407 §4.6.3.3) when we hold nothing at all with the peer: we have just started, and
  // whatever the peer holds with us is stale. Not while the peer's own Main Mode or SAs exist
  // (both ends starting at once must not delete each other's fresh SAs).
  bool alone = std::none_of(children_.begin(), children_.end(),
                            [&](const auto& c) { return c.second.peer.addr == peer_addr; });
  for (const auto& [serial, other] : sas_)
    if (other.get() != &sa && (other->peer.addr == peer_addr || other->mm1_peer.addr == peer_addr))
      alone = false;
  if (alone) ++counters_[IkeCounter::InitialContactSent];
  auto m5 = mm_auth_message(sa, sa.policy->local_id.value_or(ipv4_id(sa.local.addr)), alone);
  if (!m5) {
    remove_sa(sa, now, "cannot encrypt MM5");
    connection_failed(peer_addr);
    return;
  }
  sa.last_in = message_digest(message);
  set_state(sa, MainModeState::Ke);
  initiator_send(sa, std::move(*m5), now);
}

void IkeResponder::main_mode_6(IkeSa& sa, const Endpoint& local, const Endpoint& peer,
                               const IsakmpHeader& h, ByteView message, TimePoint now) {
  MmAuth in;
  if (!open_mm_auth(sa, peer, h, message, in, now)) return;
  authenticated(sa, local, peer, now);
  sa.peer_id = std::move(in.id);
  sa.iv = in.next_iv;
  sa.p1_last_block = std::move(in.next_iv);  // RFC 2409 App. B: phase-2 IVs start from here
  sa.last_in = message_digest(message);
  sa.last_reply.clear();  // nothing more to resend: MM5 was answered
  established(sa, now, false);
}

void IkeResponder::initiator_established(IkeSa& sa, TimePoint now) {
  const uint32_t peer_addr = sa.mm1_peer.addr;
  ConnState* cs = conn_of(peer_addr);
  if (cs) cs->retry = Duration::zero();
  // Our phase-1 rekey: the predecessor goes now (its IPsec SAs live on, RFC 2409 §5.7).
  std::vector<uint64_t> old;
  for (const auto& [serial, other] : sas_)
    if (other.get() != &sa && other->initiator && other->rekeying &&
        other->mm1_peer.addr == peer_addr && other->state == MainModeState::Auth)
      old.push_back(serial);
  for (uint64_t o : old)
    if (IkeSa* s = sa_by_serial(o)) delete_sa(*s, now, "rekeyed");
  // The soft lifetime: a successor ISAKMP SA before this one expires.
  const uint32_t lifetime = std::min(sa.suite.life_seconds, sa.policy->isakmp_lifetime_max);
  if (cs) {
    const uint64_t soft = uint64_t{lifetime} * cs->cfg.isakmp_rekey_percent / 100;
    const uint64_t serial = sa.serial;
    if (soft > 0 && soft < lifetime)
      arm(sa.rekey_timer, now + std::chrono::seconds(soft), [this, serial] { rekey_isakmp(serial); });
  }
  // IPsec SAs waiting for a rekey (their soft lifetime came with no ISAKMP SA), else a first
  // pair.
  std::vector<uint64_t> due;
  for (const auto& [serial, c] : children_)
    if (c.rekey_due && !c.replaced_by && c.peer.addr == peer_addr) due.push_back(serial);
  for (uint64_t c : due) quick_mode_initiate(sa, c, now);
  ensure_connection(peer_addr);  // a first pair
}

void IkeResponder::rekey_isakmp(uint64_t serial) {
  IkeSa* s = sa_by_serial(serial);
  if (!s || s->rekeying || s->state != MainModeState::Auth) return;
  s->rekey_timer = {};
  ConnState* c = conn_of(s->mm1_peer.addr);
  if (!c || !c->wanted) return;
  s->rekeying = true;
  ++counters_[IkeCounter::Phase1Rekeys];
  main_mode_initiate(c->cfg, now_);
}

// ---- Quick Mode, initiator side (RFC 2409 §5.5) ----

bool IkeResponder::quick_mode_initiate(IkeSa& sa, uint64_t replaces, TimePoint now) {
  if (sa.state != MainModeState::Auth) return false;
  if (sa.quick.size() >= cfg_.limits.max_quick_modes_per_sa) {
    ++counters_[IkeCounter::QuickModeLimit];
    return false;
  }
  for (const auto& [mid, q] : sa.quick)
    if (q.initiator && q.state == QuickModeState::Init && q.replaces == replaces) return false;
  // What we offer: the connection's suites; a rekey without one (a peer's pair we refresh)
  // offers the suite it has.
  std::vector<EspSuite> suites;
  std::optional<DhGroup> pfs;
  if (const ConnState* cs = conn_of(sa.mm1_peer.addr)) {
    suites = cs->cfg.esp_offers;
    pfs = cs->cfg.pfs_group;
  } else if (auto it = children_.find(replaces); it != children_.end()) {
    suites = {it->second.suite};
    pfs = it->second.suite.pfs_group;
  }
  if (suites.empty()) return false;
  // RFC 3947 §5.1: behind a NAT, UDP-encapsulated transport (the draft's number with a draft
  // peer).
  const uint16_t encap = !sa.nat()                    ? kEncapTransport
                         : sa.natt == NatT::Rfc3947   ? kEncapUdpTransport
                                                      : kEncapUdpTransportDraft;
  QuickMode qm;
  qm.initiator = true;
  qm.replaces = replaces;
  for (EspSuite s : suites) {
    s.encapsulation = encap;
    s.pfs_group = pfs;
    s.life_seconds = sa.policy->ipsec_lifetime_max;
    qm.offered.push_back(s);
  }
  do {
    qm.message_id = random_u32(random_);
  } while (qm.message_id == 0 || sa.quick.contains(qm.message_id) ||
           std::find(sa.recent_mids.begin(), sa.recent_mids.end(), qm.message_id) !=
               sa.recent_mids.end());
  auto spi = installer_.alloc_spi();
  if (!spi) {
    ++counters_[IkeCounter::SpiAllocFailed];
    logf(LogLevel::Warning, "[IKE] ISAKMP SA[%llu]: no inbound SPI: %s",
         static_cast<unsigned long long>(sa.serial), spi.error.c_str());
    return false;
  }
  qm.spi_in = spi.value;
  qm.ni = random_bytes(random_, 32);
  Bytes our_ke;
  if (pfs) {
    auto dh = DhKey::generate(*pfs, random_);
    if (!dh) {
      installer_.release_spi(qm.spi_in);
      return false;
    }
    our_ke = dh->public_value();
    qm.dh = std::move(*dh);
  }

  // QM1: HASH(1), SA (one proposal per suite, our SPI), Ni [, KE], IDci, IDcr naming UDP/1701
  // on both ends (RFC 3193 §5.2) [, NAT-OAi, NAT-OAr (RFC 3947 §5.2)].
  SaPayload offer;
  uint8_t n = 1;
  for (const EspSuite& s : qm.offered) {
    Proposal p;
    p.number = n++;
    p.protocol = static_cast<uint8_t>(ProtocolId::IpsecEsp);
    p.spi = be32_bytes(qm.spi_in);
    p.transforms = {encode_esp_transform(s, 1)};
    offer.proposals.push_back(std::move(p));
  }
  PayloadChain rest;
  rest.add(PayloadType::Sa, encode_sa(offer));
  rest.add(PayloadType::Nonce, qm.ni);
  if (!our_ke.empty()) rest.add(PayloadType::KeyExchange, our_ke);
  rest.add(PayloadType::Identification,
           encode_identification(ipv4_id(sa.local.addr, kIpProtoUdp, kL2tpPort)));
  rest.add(PayloadType::Identification,
           encode_identification(ipv4_id(sa.mm1_peer.addr, kIpProtoUdp, kL2tpPort)));
  if (sa.nat() && sa.natt == NatT::Rfc3947) add_nat_oa(rest, sa.local.addr, sa.mm1_peer.addr);
  const Bytes rest_b = rest.serialize();
  const Bytes h1 = qm_hash1(sa.suite.hash, view(sa.keys.skeyid_a), qm.message_id, rest_b);
  IsakmpHeader h;
  h.icookie = sa.cky_i;
  h.rcookie = sa.cky_r;
  h.exchange = ExchangeType::QuickMode;
  h.message_id = qm.message_id;
  const Bytes iv0 = phase2_iv(sa.suite.hash, sa.p1_last_block, qm.message_id,
                              sa.suite.cipher.block_length());
  auto m1 = seal(sa, h, static_cast<uint8_t>(PayloadType::Hash),
                 hash_first_chain(h1, rest_b, rest.first_type()), iv0, qm.iv);
  if (!m1) {
    installer_.release_spi(qm.spi_in);
    return false;
  }
  qm.last_reply = std::move(*m1);
  ++counters_[replaces ? IkeCounter::Phase2Rekeys : IkeCounter::QuickModeStarted];
  logf(LogLevel::Info, "[IKE] ISAKMP SA[%llu]: Quick Mode %08x to %s (initiator%s), SPI in %08x",
       static_cast<unsigned long long>(sa.serial), qm.message_id, endpoint_str(sa.peer).c_str(),
       replaces ? ", rekey" : "", qm.spi_in);
  const uint32_t mid = qm.message_id;
  QuickMode& stored = sa.quick[mid] = std::move(qm);
  send(sa.local, sa.peer, stored.last_reply);
  arm_qm2_retransmit(sa, stored, now);
  return true;
}

void IkeResponder::quick_mode_2(IkeSa& sa, QuickMode& qm, const Endpoint& local,
                                const Endpoint& peer, const IsakmpHeader& h, ByteView message,
                                TimePoint now) {
  const HashAlg hash_alg = sa.suite.hash;
  const uint32_t mid = qm.message_id;
  Bytes plain, iv3;  // iv3: QM2's last block, QM3's IV
  auto chain = open_hashed(sa, qm.iv, h, message, plain, &iv3, [&](ByteView rest) {
    return qm_hash2(hash_alg, view(sa.keys.skeyid_a), mid, qm.ni, rest);
  });
  if (!chain) return;
  authenticated(sa, local, peer, now);

  auto qp = quick_mode_payloads(*chain);
  if (!qp) return;
  const PayloadView* kep = qp->ke;
  std::optional<uint32_t> responder_life, responder_kilobytes;
  for (const PayloadView* p : qp->notifications) {
    // RFC 2407 §4.6.3.1: the responder keeps the SA for less than we asked.
    auto nt = decode_notification(p->body);
    if (!nt) return count_malformed(nt.error());
    if (nt->type != static_cast<uint16_t>(NotifyType::ResponderLifetime)) continue;
    auto attrs = decode_attributes(nt->data);
    if (!attrs) return count_malformed(attrs.error());
    uint64_t type = 0;
    for (const Attribute& a : *attrs) {
      auto v = a.integer();
      if (!v) continue;
      if (a.type == static_cast<uint16_t>(IpsecAttr::SaLifeType)) type = *v;
      if (a.type != static_cast<uint16_t>(IpsecAttr::SaLifeDuration) || *v == 0) continue;
      const auto v32 = static_cast<uint32_t>(std::min<uint64_t>(*v, UINT32_MAX));
      if (type == kLifeSeconds) responder_life = v32;
      if (type == kLifeKilobytes) responder_kilobytes = v32;
    }
  }
  auto reply = decode_sa(qp->sa->body);
  if (!reply) return count_malformed(reply.error());
  auto nr = decode_nonce(qp->nonce->body);
  if (!nr) return count_malformed(nr.error());
  const uint32_t peer_addr = sa.mm1_peer.addr;
  auto suite = check_esp_choice(*reply, qm.offered);
  if (!suite) {
    ++counters_[IkeCounter::ProposalNotOffered];
    logf(LogLevel::Notice, "[IKE] ISAKMP SA[%llu]: QM2 from %s chose nothing we offered",
         static_cast<unsigned long long>(sa.serial), endpoint_str(sa.peer).c_str());
    abandon_quick_mode(sa, mid);
    connection_failed(peer_addr);
    return;
  }
  if (suite->pfs_group.has_value() != (kep != nullptr)) {
    ++counters_[IkeCounter::BadKeyExchange];
    abandon_quick_mode(sa, mid);
    connection_failed(peer_addr);
    return;
  }
  if (kep) {
    auto ke = decode_key_exchange(kep->body);
    if (!ke) return count_malformed(ke.error());
    auto secret = qm.dh ? qm.dh->shared_secret(*ke)
                        : CryptoResult<SecretBytes>(CryptoError::BadPublicValue);
    if (!secret) {
      ++counters_[IkeCounter::BadKeyExchange];
      abandon_quick_mode(sa, mid);
      connection_failed(peer_addr);
      return;
    }
    qm.gqm_xy = std::move(*secret);
  }
  // RFC 3947 §5.2: NAT-OAi (us as the responder saw us), then NAT-OAr (its own address).
  if (qp->oas.size() >= 2) {
    auto oa = decode_nat_oa(qp->oas[1]->body);
    if (!oa) return count_malformed(oa.error());
    if (oa->address.size() == 4) qm.nat_oa_peer = be32(oa->address);
  }
  qm.suite = *suite;
  if (responder_life) qm.suite.life_seconds = std::min(qm.suite.life_seconds, *responder_life);
  if (responder_kilobytes)
    qm.suite.life_kilobytes = qm.suite.life_kilobytes
                                  ? std::min(qm.suite.life_kilobytes, *responder_kilobytes)
                                  : *responder_kilobytes;
  qm.spi_out = be32(reply->proposals[0].spi);
  qm.nr = std::move(*nr);

  // Make-before-break (above): the SA we receive on, before QM3 lets the responder send.
  auto slot_in = install_sa(sa, qm, tables::SaDirection::Inbound);
  if (!slot_in) {
    abandon_quick_mode(sa, mid);
    return;
  }
  qm.slot_in = *slot_in;

  // QM3: HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b).
  PayloadChain out;
  out.add(PayloadType::Hash, qm_hash3(hash_alg, view(sa.keys.skeyid_a), mid, qm.ni, qm.nr));
  IsakmpHeader rh;
  rh.icookie = sa.cky_i;
  rh.rcookie = sa.cky_r;
  rh.exchange = ExchangeType::QuickMode;
  rh.message_id = mid;
  auto m3 = seal(sa, rh, out.first_type(), out.serialize(), iv3, qm.iv);
  auto slot_out = m3 ? install_sa(sa, qm, tables::SaDirection::Outbound) : std::nullopt;
  if (!slot_out) {
    installer_.del_sa(qm.slot_in);  // and its SPI
    cancel(qm.timer);
    forget_quick_mode(sa, mid);
    return;
  }
  cancel(qm.timer);
  qm.last_in = message_digest(message);
  qm.last_reply = std::move(*m3);
  qm.duplicate_replies = 0;
  send(sa.local, sa.peer, qm.last_reply);
  add_child(sa, qm, *slot_out, now);
}

// ---- Rekeys we start (soft lifetime, RFC 4301 §4.4.2.1) ----

void IkeResponder::arm_child_rekey(ChildSa& c, uint32_t percent, TimePoint now) {
  if (percent >= 100) percent = 0;
  const uint64_t serial = c.serial;
  const uint64_t soft = uint64_t{c.lifetime} * percent / 100;
  if (soft > 0 && soft < c.lifetime)
    arm(c.soft_timer, now + std::chrono::seconds(soft), [this, serial] { child_rekey(serial); });
  if (c.suite.life_kilobytes)
    arm(c.usage_timer, now + kUsagePoll, [this, serial, percent] { check_child_usage(serial, percent); });
}

// RFC 2407 §4.5 SA Life Type kilobytes: the octets each direction's SA protected, as the
// dataplane counts them (Installer::query_sa).
void IkeResponder::check_child_usage(uint64_t serial, uint32_t percent) {
  auto it = children_.find(serial);
  if (it == children_.end()) return;
  it->second.usage_timer = {};
  uint64_t octets = 0;
  for (uint32_t slot : {it->second.slot_in, it->second.slot_out})
    if (auto u = installer_.query_sa(slot)) octets = std::max(octets, u->octets);
  const uint64_t hard = uint64_t{it->second.suite.life_kilobytes} * 1024;
  if (octets >= hard) {
    ++counters_[IkeCounter::Phase2Expired];
    ++counters_[IkeCounter::Phase2ExpiredKilobytes];
    remove_child(serial, now_, true, "lifetime in kilobytes used up");
    return;
  }
  const ChildSa& c = it->second;
  if (percent && !c.replaced_by && !c.rekey_due && octets >= hard * percent / 100) {
    ++counters_[IkeCounter::Phase2SoftKilobytes];
    child_rekey(serial);
    it = children_.find(serial);
    if (it == children_.end()) return;
  }
  arm(it->second.usage_timer, now_ + kUsagePoll,
      [this, serial, percent] { check_child_usage(serial, percent); });
}

bool IkeResponder::outbound_expiring(uint32_t slot_out, TimePoint now) {
  now_ = now;
  const ChildSa* c = child_in_slot(slot_out, true);
  if (!c) return false;
  if (c->replaced_by || c->rekey_due) return true;
  ++counters_[IkeCounter::Phase2SoftPackets];
  child_rekey(c->serial);
  return true;
}

void IkeResponder::child_rekey(uint64_t serial) {
  auto it = children_.find(serial);
  if (it == children_.end() || it->second.replaced_by) return;
  ChildSa& c = it->second;
  c.soft_timer = {};
  c.rekey_due = true;
  logf(LogLevel::Info, "[IKE] IPsec SA[%llu] with %s: soft lifetime, rekeying",
       static_cast<unsigned long long>(serial), endpoint_str(c.peer).c_str());
  if (IkeSa* ike = ike_sa_for(c.peer.addr, true)) {
    quick_mode_initiate(*ike, serial, now_);
    return;
  }
  // No ISAKMP SA any more (IKEv1 IPsec SAs outlive theirs): a new Main Mode first;
  // initiator_established starts the Quick Mode.
  if (ConnState* cs = conn_of(c.peer.addr); cs && cs->wanted && !ike_sa_for(c.peer.addr, false))
    main_mode_initiate(cs->cfg, now_);
}

void IkeResponder::retire_replaced(uint64_t old_serial) {
  auto it = children_.find(old_serial);
  if (it == children_.end()) return;
  ChildSa& old = it->second;
  // At the latest kRetireMax from now, and before the old pair's hard lifetime.
  if (old.retire_deadline == TimePoint{})
    old.retire_deadline = std::min<TimePoint>(
        now_ + kRetireMax, old.installed + std::chrono::seconds(old.lifetime) - kRetirePoll);
  arm(old.soft_timer, now_ + kRetirePoll, [this, old_serial] {
    auto o = children_.find(old_serial);
    if (o == children_.end()) return;
    o->second.soft_timer = {};
    auto n = children_.find(o->second.replaced_by);
    bool traffic = false;
    if (n != children_.end())
      if (auto u = installer_.query_sa(n->second.slot_in)) traffic = u->packets > 0;
    if (traffic || n == children_.end() || now_ >= o->second.retire_deadline) {
      remove_child(old_serial, now_, true, "rekeyed");
      return;
    }
    retire_replaced(old_serial);
  });
}

}  // namespace l2tpgw::cp::ike
