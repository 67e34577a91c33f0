// SPDX-License-Identifier: Apache-2.0
// Main Mode, responder side (RFC 2409 §5, pre-shared key authentication), with NAT-T detection
// (RFC 3947 §3) and INITIAL-CONTACT (RFC 2407 §4.6.3.3):
//
//        Initiator                          Responder
//       -----------                        -----------
//        HDR, SA                     -->                      MM1   Init -> Sa
//                                    <--    HDR, SA           MM2
//        HDR, KE, Ni [, NAT-D, NAT-D] -->                     MM3   Sa -> Ke
//                                    <--    HDR, KE, Nr [, NAT-D, NAT-D]   MM4
//        HDR*, IDii, HASH_I          -->                      MM5   Ke -> Auth
//                                    <--    HDR*, IDir, HASH_R  MM6
#include <algorithm>

#include "controlplane/ike/message.hpp"
#include "controlplane/ike/responder.hpp"
#include "controlplane/ike/responder_internal.hpp"
#include "controlplane/log/log.hpp"

namespace l2tpgw::cp::ike {
namespace {

// The offer's transforms as text, for the NO-PROPOSAL-CHOSEN log line.
std::string offered(const SaPayload& sa) {
  std::string out;
  for (const auto& p : sa.proposals) {
    for (const auto& t : p.transforms) {
      if (!out.empty()) out += ", ";
      if (out.size() > 200) return out + "...";
      auto s = decode_phase1_transform(t);
      out += s ? describe(*s) : "unsupported transform " + std::to_string(t.number);
    }
  }
  return out;
}

}  // namespace

// RFC 3947 §3.1: the NAT-T vendor IDs, best first.
NatT natt_of(ByteView vid) {
  auto is = [&](const std::array<uint8_t, 16>& v) {
    return vid.size() == v.size() && std::equal(v.begin(), v.end(), vid.begin());
  };
  if (is(kVidRfc3947)) return NatT::Rfc3947;
  if (is(kVidNatTDraft03)) return NatT::Draft03;
  if (is(kVidNatTDraft02n)) return NatT::Draft02n;
  if (is(kVidNatTDraft02)) return NatT::Draft02;
  return NatT::None;
}

ByteView vid_of(NatT v) {
  switch (v) {
    case NatT::Rfc3947: return kVidRfc3947;
    case NatT::Draft03: return kVidNatTDraft03;
    case NatT::Draft02n: return kVidNatTDraft02n;
    case NatT::Draft02: return kVidNatTDraft02;
    case NatT::None: break;
  }
  return {};
}

void IkeResponder::main_mode_1(const Endpoint& local, const Endpoint& peer,
                               const IsakmpHeader& h, ByteView message, TimePoint now) {
  if (h.message_id != 0 || (h.flags & kFlagEncryption)) {
    ++counters_[IkeCounter::UnexpectedMessage];
    return;
  }
  // A retransmitted MM1 (the initiator did not get MM2): answer with the same MM2, never a
  // second SA.
  auto known = by_mm1_.find({peer, h.icookie});
  if (known != by_mm1_.end()) {
    IkeSa* sa = sa_by_serial(known->second);
    if (sa && sa->state == MainModeState::Sa && message_digest(message) == sa->last_in) {
      resend(sa->local, sa->peer, sa->last_reply, sa->duplicate_replies);
    } else {
      ++counters_[IkeCounter::DuplicateIgnored];
    }
    return;
  }
  // Admission before any parsing or state (a flood of spoofed MM1s must stay cheap).
  if (!admit_new_sa(peer, now)) {
    ++counters_[IkeCounter::RateLimited];
    return;
  }
  if (sas_.size() >= cfg_.limits.max_ike_sas) {
    ++counters_[IkeCounter::TooManySas];
    return;
  }
  if (half_open_ >= cfg_.limits.max_half_open) {
    // Drop the oldest SA that only ever saw MM1: its peer never showed it can receive our
    // packets, which is all a spoofed source can do. SAs in Ke (the peer returned our
    // cookie) are kept.
    if (sa_state_by_age_.empty()) {
      ++counters_[IkeCounter::HalfOpenFull];
      return;
    }
    IkeSa* oldest = sa_by_serial(sa_state_by_age_.begin()->second);
    ++counters_[IkeCounter::HalfOpenEvicted];
    if (oldest) remove_sa(*oldest, now, "evicted (half-open table full)");
  }

  auto chain = walk_payloads(h.next_payload, message.subspan(kHeaderLen), false);
  if (!chain) {
    count_malformed(chain.error());
    return;
  }
  const PayloadView* sap = find_payload(*chain, PayloadType::Sa);
  if (!sap || std::count_if(chain->begin(), chain->end(),
                            [](const PayloadView& p) { return p.type == PayloadType::Sa; }) != 1) {
    ++counters_[IkeCounter::Malformed];
    return;
  }
  auto offer = decode_sa(sap->body);
  if (!offer) {
    count_malformed(offer.error());
    return;
  }
  std::shared_ptr<const PeerPolicy> policy = cfg_.policies.find(peer.addr);
  if (!policy) {
    ++counters_[IkeCounter::NoPolicy];
    logf(LogLevel::Notice, "[IKE] Main Mode from %s: no gateway for this peer",
         endpoint_str(peer).c_str());
    return;
  }
  auto choice = choose_phase1(*offer, *policy);
  if (!choice) {
    ++counters_[IkeCounter::NoProposalChosen];
    logf(LogLevel::Notice, "[IKE] Main Mode from %s: no acceptable proposal (offered: %s)",
         endpoint_str(peer).c_str(), offered(*offer).c_str());
    send_plain_notify(local, peer, h.icookie, NotifyType::NoProposalChosen);
    return;
  }

  NatT natt = NatT::None;
  bool dpd = false;
  for (const PayloadView& p : *chain) {
    if (p.type != PayloadType::VendorId) continue;
    const NatT v = natt_of(p.body);
    if (static_cast<uint8_t>(v) > static_cast<uint8_t>(natt)) natt = v;
    if (p.body.size() == kVidDpd.size() && std::equal(kVidDpd.begin(), kVidDpd.end(), p.body.begin()))
      dpd = true;
  }
  if (!policy->nat_traversal) natt = NatT::None;

  auto owned = std::make_unique<IkeSa>();
  IkeSa& sa = *owned;
  sa.serial = next_serial();
  sa.cky_i = h.icookie;
  do {
    random_(std::span<uint8_t>(sa.cky_r.data(), sa.cky_r.size()));
  } while (sa.cky_r == Cookie{} || by_cookies_.contains({sa.cky_i, sa.cky_r}));
  sa.policy = policy;
  sa.local = local;
  sa.peer = peer;
  sa.mm1_peer = peer;
  sa.created = sa.last_seen = now;
  sa.suite = choice->second;
  sa.natt = natt;
  sa.peer_dpd = dpd;
  sa.sai_b.assign(sap->body.begin(), sap->body.end());
  sas_[sa.serial] = std::move(owned);
  by_cookies_[{sa.cky_i, sa.cky_r}] = sa.serial;
  by_mm1_[{peer, sa.cky_i}] = sa.serial;
  ++half_open_;
  set_state(sa, MainModeState::Sa);
  if (natt != NatT::None) ++counters_[IkeCounter::NatTNegotiated];

  // MM2: the chosen transform as offered, our NAT-T choice and DPD support (RFC 3706 §5.1).
  PayloadChain out;
  out.add(PayloadType::Sa, encode_sa(reply_sa(*offer, choice->first, std::nullopt)));
  if (natt != NatT::None) out.add(PayloadType::VendorId, vid_of(natt));
  out.add(PayloadType::VendorId, ByteView(kVidDpd));
  IsakmpHeader rh;
  rh.icookie = sa.cky_i;
  rh.rcookie = sa.cky_r;
  rh.exchange = ExchangeType::IdentityProtection;
  sa.last_in = message_digest(message);
  sa.last_reply = build_plain_message(rh, out);
  const uint64_t serial = sa.serial;
  arm(sa.timer, now + cfg_.limits.half_open_timeout, [this, serial] {
    IkeSa* s = sa_by_serial(serial);
    if (!s || !s->half_open()) return;
    ++counters_[IkeCounter::HalfOpenTimeout];
    remove_sa(*s, now_, "Main Mode not completed in time");
  });
  logf(LogLevel::Debug, "[IKE] ISAKMP SA[%llu]: Main Mode from %s, %s, NAT-T %s%s",
       static_cast<unsigned long long>(serial), endpoint_str(peer).c_str(),
       describe(sa.suite).c_str(), std::string(to_string(natt)).c_str(), dpd ? ", DPD" : "");
  send(sa.local, sa.peer, sa.last_reply);
}

void IkeResponder::main_mode(IkeSa& sa, const Endpoint& local, const Endpoint& peer,
                             const IsakmpHeader& h, ByteView message, TimePoint now) {
  if (h.message_id != 0) {
    ++counters_[IkeCounter::UnexpectedMessage];
    return;
  }
  // A duplicate of the message we answered last (MM3 or MM5): resend our answer, do not run
  // the exchange again.
  if (message_digest(message) == sa.last_in) {
    resend(sa.local, sa.peer, sa.last_reply, sa.duplicate_replies);
    return;
  }
  switch (sa.state) {
    case MainModeState::Init:  // ours: MM2 (a responder's SA starts in Sa)
    case MainModeState::Sa:    // MM3, or ours: MM4
      // MM2, MM3 and MM4 are not authenticated: they must come from MM1's peer.
      if (peer.addr != sa.peer.addr) {
        ++counters_[IkeCounter::PeerMismatch];
        return;
      }
      if (!sa.initiator)
        main_mode_3(sa, h, message, now);
      else if (sa.state == MainModeState::Init)
        main_mode_2(sa, h, message, now);
      else
        main_mode_4(sa, h, message, now);
      return;
    case MainModeState::Ke:  // MM5, or ours: MM6
      if (sa.initiator)
        main_mode_6(sa, local, peer, h, message, now);
      else
        main_mode_5(sa, local, peer, h, message, now);
      return;
    default: ++counters_[IkeCounter::UnexpectedMessage]; return;
  }
}

void IkeResponder::main_mode_3(IkeSa& sa, const IsakmpHeader& h, ByteView message, TimePoint now) {
  auto chain = plain_chain(h, message);
  if (!chain) return;
  auto ke_ni = key_exchange_nonce(*chain);
  if (!ke_ni) return;
  auto& [ke, ni] = *ke_ni;
  const uint64_t serial = sa.serial;
  if (ke.size() != dh_public_length(sa.suite.group)) {
    ++counters_[IkeCounter::BadKeyExchange];
    remove_sa(sa, now, "KE of the wrong length for the group");
    return;
  }
  if (sa.policy->psk.empty()) {
    ++counters_[IkeCounter::NoPsk];
    remove_sa(sa, now, "no pre-shared key for this gateway");
    return;
  }
  auto dh = DhKey::generate(sa.suite.group, random_);
  if (!dh) {
    logf(LogLevel::Error, "[IKE] ISAKMP SA[%llu]: Diffie-Hellman failed: %s",
         static_cast<unsigned long long>(serial), std::string(to_string(dh.error())).c_str());
    remove_sa(sa, now, "Diffie-Hellman failed");
    return;
  }
  auto gxy = dh->shared_secret(ke);
  if (!gxy) {
    ++counters_[IkeCounter::BadKeyExchange];
    remove_sa(sa, now, "the peer's KE is not in the group");
    return;
  }
  sa.gxi = std::move(ke);
  sa.gxr = dh->public_value();
  sa.ni = std::move(ni);
  sa.nr.resize(32);
  random_(std::span<uint8_t>(sa.nr.data(), sa.nr.size()));
  const std::string& psk = sa.policy->psk;
  sa.keys = derive_phase1_psk(sa.suite.hash, sa.suite.cipher,
                              ByteView(reinterpret_cast<const uint8_t*>(psk.data()), psk.size()),
                              sa.ni, sa.nr, view(*gxy), sa.cky_i, sa.cky_r, sa.gxi, sa.gxr);
  sa.iv = sa.keys.iv;

  PayloadChain out;
  out.add(PayloadType::KeyExchange, sa.gxr);
  out.add(PayloadType::Nonce, sa.nr);
  if (detect_nat(sa, *chain)) add_nat_d(out, sa);
  IsakmpHeader rh;
  rh.icookie = sa.cky_i;
  rh.rcookie = sa.cky_r;
  rh.exchange = ExchangeType::IdentityProtection;
  sa.last_in = message_digest(message);
  sa.last_reply = build_plain_message(rh, out);
  sa.duplicate_replies = 0;
  set_state(sa, MainModeState::Ke);
  arm_mm4_retransmit(sa, now);
  send(sa.local, sa.peer, sa.last_reply);
}

void IkeResponder::arm_mm4_retransmit(IkeSa& sa, TimePoint now) {
  const uint64_t serial = sa.serial;
  const auto delay = cfg_.limits.retransmit_initial * (1 << std::min(sa.retransmits, 16));
  arm(sa.timer, now + delay, [this, serial] {
    IkeSa* s = sa_by_serial(serial);
    if (!s || s->state != MainModeState::Ke) return;
    if (s->retransmits >= cfg_.limits.retransmit_tries) {
      ++counters_[IkeCounter::RetransmitLimit];
      remove_sa(*s, now_, "no MM5 after the last MM4 retransmission");
      return;
    }
    ++s->retransmits;
    ++counters_[IkeCounter::TimerRetransmits];
    send(s->local, s->peer, s->last_reply);
    arm_mm4_retransmit(*s, now_);
  });
}

void IkeResponder::main_mode_5(IkeSa& sa, const Endpoint& local, const Endpoint& peer,
                               const IsakmpHeader& h, ByteView message, TimePoint now) {
  MmAuth in;
  if (!open_mm_auth(sa, peer, h, message, in, now)) return;
  // Authenticated: follow the peer where it is now (RFC 3947 §4: it floats to 4500 at MM5).
  authenticated(sa, local, peer, now);
  sa.peer_id = std::move(in.id);
  sa.iv = std::move(in.next_iv);
  bool initial = false;
  for (const PayloadView& p : in.chain) {
    if (p.type != PayloadType::Notification) continue;
    auto n = decode_notification(p.body);
    if (n && n->type == static_cast<uint16_t>(NotifyType::InitialContact)) initial = true;
  }

  // MM6: IDir, HASH_R. Our identity mirrors the protocol and port the peer used (RFC 2407
  // §4.6.2: 0/0 or UDP/500; clients that floated may say 4500).
  auto m6 = mm_auth_message(sa, sa.policy->local_id.value_or(
                                    ipv4_id(sa.local.addr, sa.peer_id.protocol, sa.peer_id.port)));
  if (!m6) {
    remove_sa(sa, now, "internal error");
    return;
  }
  sa.p1_last_block = sa.iv;  // RFC 2409 App. B: phase-2 IVs start from MM6's last block
  sa.last_in = message_digest(message);
  sa.last_reply = std::move(*m6);
  sa.duplicate_replies = 0;
  send(sa.local, sa.peer, sa.last_reply);
  established(sa, now, initial);
}

std::optional<Bytes> IkeResponder::mm_auth_message(IkeSa& sa, const Identification& id,
                                                   bool initial_contact) {
  const Bytes id_b = encode_identification(id);
  const auto hash_x = sa.initiator ? hash_i : hash_r;
  PayloadChain out;
  out.add(PayloadType::Identification, id_b);
  out.add(PayloadType::Hash, hash_x(sa.suite.hash, view(sa.keys.skeyid), sa.gxi, sa.gxr, sa.cky_i,
                                    sa.cky_r, sa.sai_b, id_b));
  if (initial_contact) {
    // RFC 2407 §4.6.3.3: SPI = CKY-I | CKY-R, protected by MM5's encryption.
    Notification n;
    n.protocol = static_cast<uint8_t>(ProtocolId::Isakmp);
    n.type = static_cast<uint16_t>(NotifyType::InitialContact);
    n.spi.assign(sa.cky_i.begin(), sa.cky_i.end());
    n.spi.insert(n.spi.end(), sa.cky_r.begin(), sa.cky_r.end());
    out.add(PayloadType::Notification, encode_notification(n));
  }
  IsakmpHeader h;
  h.icookie = sa.cky_i;
  h.rcookie = sa.cky_r;
  h.exchange = ExchangeType::IdentityProtection;
  Bytes next;
  auto m = encrypt_message(h, out.first_type(), out.serialize(), sa.suite.cipher,
                           view(sa.keys.enc_key), sa.iv, next);
  if (!m) {
    logf(LogLevel::Error, "[IKE] ISAKMP SA[%llu]: cannot encrypt %s: %s",
         static_cast<unsigned long long>(sa.serial), sa.initiator ? "MM5" : "MM6",
         std::string(to_string(m.error())).c_str());
    return std::nullopt;
  }
  sa.iv = std::move(next);
  return std::move(*m);
}

std::optional<std::vector<PayloadView>> IkeResponder::plain_chain(const IsakmpHeader& h,
                                                                  ByteView message) {
  if (h.flags & kFlagEncryption) {
    ++counters_[IkeCounter::UnexpectedMessage];
    return std::nullopt;
  }
  auto chain = walk_payloads(h.next_payload, message.subspan(kHeaderLen), false);
  if (!chain) {
    count_malformed(chain.error());
    return std::nullopt;
  }
  return std::move(*chain);
}

std::optional<std::pair<Bytes, Bytes>> IkeResponder::key_exchange_nonce(
    const std::vector<PayloadView>& chain) {
  const PayloadView* kep = find_payload(chain, PayloadType::KeyExchange);
  const PayloadView* np = find_payload(chain, PayloadType::Nonce);
  if (!kep || !np) {
    ++counters_[IkeCounter::Malformed];
    return std::nullopt;
  }
  auto ke = decode_key_exchange(kep->body);
  auto nonce = decode_nonce(np->body);
  if (!ke || !nonce) {
    count_malformed(!ke ? ke.error() : nonce.error());
    return std::nullopt;
  }
  return std::make_pair(std::move(*ke), std::move(*nonce));
}

void add_nat_d(PayloadChain& chain, const IkeSa& sa) {
  const PayloadType natd = natd_payload(sa.natt);
  chain.add(natd, nat_d_hash(sa.suite.hash, sa.cky_i, sa.cky_r, sa.peer.addr, sa.peer.port));
  // Forced: the hash of an endpoint no packet comes from (address 0, port 0), so the peer
  // finds a NAT in front of us whatever the path.
  const bool force = sa.policy && sa.policy->natt_force;
  chain.add(natd, nat_d_hash(sa.suite.hash, sa.cky_i, sa.cky_r, force ? 0 : sa.local.addr,
                             force ? 0 : sa.local.port));
}

// RFC 3947 §3.2: the first NAT-D hashes the message's destination (us, as the peer addressed
// us), the others the sender's own addresses. A mismatch on the first means we are behind a
// NAT; no match among the others means the peer is. The same rule reads MM3 and MM4.
bool IkeResponder::detect_nat(IkeSa& sa, const std::vector<PayloadView>& chain) {
  if (sa.natt == NatT::None) return false;
  std::vector<ByteView> hashes;
  for (const PayloadView& p : chain)
    if (p.type == natd_payload(sa.natt)) hashes.push_back(p.body);
  if (hashes.size() < 2) {
    if (!hashes.empty()) ++counters_[IkeCounter::Malformed];  // at least two; detect nothing
    return false;
  }
  const Bytes ours = nat_d_hash(sa.suite.hash, sa.cky_i, sa.cky_r, sa.local.addr, sa.local.port);
  const Bytes theirs = nat_d_hash(sa.suite.hash, sa.cky_i, sa.cky_r, sa.peer.addr, sa.peer.port);
  sa.nat_local = !equal_ct(hashes[0], ours) || sa.policy->natt_force;
  sa.nat_peer = std::none_of(hashes.begin() + 1, hashes.end(),
                             [&](ByteView v) { return equal_ct(v, theirs); });
  if (sa.nat()) {
    ++counters_[IkeCounter::NatDetected];
    logf(LogLevel::Info, "[IKE] ISAKMP SA[%llu]: NAT detected (%s%s%s)",
         static_cast<unsigned long long>(sa.serial), sa.nat_peer ? "peer behind NAT" : "",
         sa.nat_local ? (sa.nat_peer ? ", we are behind NAT" : "we are behind NAT") : "",
         sa.policy->natt_force ? ", forced" : "");
  }
  return true;
}

// MM5 (HDR*, IDii, HASH_I) or MM6 (HDR*, IDir, HASH_R), RFC 2409 §5. With a wrong pre-shared
// key the message decrypts to noise, which does not walk as a chain.
bool IkeResponder::open_mm_auth(IkeSa& sa, const Endpoint& peer, const IsakmpHeader& h,
                                ByteView message, MmAuth& out, TimePoint now) {
  if (!(h.flags & kFlagEncryption)) {
    ++counters_[IkeCounter::UnexpectedMessage];
    return false;
  }
  auto next_iv = decrypt_body(sa.suite.cipher, view(sa.keys.enc_key), sa.iv, message, out.plain);
  if (!next_iv) {
    ++counters_[IkeCounter::DecryptFailed];
    return false;
  }
  const char* which = sa.initiator ? "MM6" : "MM5";
  auto fail_auth = [&](const char* why) {
    ++counters_[IkeCounter::AuthFailed];
    logf(LogLevel::Notice,
         "[IKE] ISAKMP SA[%llu] %s %s: authentication failed (%s %s): wrong pre-shared key?",
         static_cast<unsigned long long>(sa.serial), sa.initiator ? "to" : "from",
         endpoint_str(peer).c_str(), which, why);
    const uint32_t peer_addr = sa.mm1_peer.addr;
    remove_sa(sa, now, "authentication failed");
    connection_failed(peer_addr);
    return false;
  };
  auto chain = walk_payloads(h.next_payload, out.plain, true);
  if (!chain) return fail_auth("does not decrypt to ISAKMP payloads");
  const PayloadView* idp = find_payload(*chain, PayloadType::Identification);
  const PayloadView* hp = find_payload(*chain, PayloadType::Hash);
  if (!idp || !hp) {
    ++counters_[IkeCounter::Malformed];
    return false;
  }
  auto id = decode_identification(idp->body);
  auto hash_in = decode_hash(hp->body);
  if (!id || !hash_in) {
    count_malformed(!id ? id.error() : hash_in.error());
    return false;
  }
  const auto expect = sa.initiator ? hash_r : hash_i;
  if (!equal_ct(*hash_in, expect(sa.suite.hash, view(sa.keys.skeyid), sa.gxi, sa.gxr, sa.cky_i,
                                 sa.cky_r, sa.sai_b, idp->body)))
    return fail_auth(sa.initiator ? "HASH_R mismatch" : "HASH_I mismatch");
  out.chain = std::move(*chain);
  out.id = std::move(*id);
  out.next_iv = std::move(*next_iv);
  return true;
}

void IkeResponder::established(IkeSa& sa, TimePoint now, bool initial) {
  set_state(sa, MainModeState::Auth);
  sa.established = now;
  sa.retransmits = 0;
  // The DH secret and nonces of phase 1 are no longer needed; the SKEYIDs are.
  sa.dh.reset();
  if (initial) initial_contact(sa, now);
  // A phase-1 rekey (the same peer and identity again) keeps the peering, so the L2TP tunnel
  // bound to it stays; a new peer gets a new one.
  for (const auto& [serial, other] : sas_) {
    if (other.get() != &sa && other->state == MainModeState::Auth && other->peer == sa.peer &&
        other->peer_id == sa.peer_id && other->peer_index != 0) {
      sa.peer_index = other->peer_index;
      break;
    }
  }
  if (sa.peer_index == 0) {
    sa.peer_index = next_peer_index_++;
    if (next_peer_index_ == 0) next_peer_index_ = 1;
  }
  const uint32_t lifetime = std::min(sa.suite.life_seconds, sa.policy->isakmp_lifetime_max);
  sa.lifetime = lifetime;
  const uint64_t serial = sa.serial;
  arm(sa.timer, now + std::chrono::seconds(lifetime),
      [this, serial] { expire_isakmp(serial, "lifetime expired"); });
  if (sa.policy->dpd_interval.count() > 0 && sa.peer_dpd) {
    sa.dpd_seq = random_u32(random_) & 0x7fffffff;  // room to count up (RFC 3706 §7)
    sa.dpd_heard = sa.heard;
    arm_dpd(sa, now);
  }
  ++counters_[IkeCounter::Phase1Established];
  logf(LogLevel::Info,
       "[IKE] ISAKMP SA[%llu] established with %s (%s, lifetime %us, NAT-T %s%s, peering %u%s)",
       static_cast<unsigned long long>(serial), endpoint_str(sa.peer).c_str(),
       describe(sa.suite).c_str(), lifetime, std::string(to_string(sa.natt)).c_str(),
       sa.nat() ? " behind NAT" : "", sa.peer_index, sa.initiator ? ", initiator" : "");
  if (sa.initiator) initiator_established(sa, now);
}

// RFC 2407 §4.6.3.3: the peer has just rebooted and lost every SA with us: drop the ISAKMP and
// IPsec SAs of the same peer (its address and identity), silently (it has no state to tell).
void IkeResponder::initial_contact(IkeSa& sa, TimePoint now) {
  std::vector<uint64_t> old_sas;
  for (const auto& [serial, other] : sas_)
    if (other.get() != &sa && other->state == MainModeState::Auth &&
        other->peer.addr == sa.peer.addr && other->peer_id == sa.peer_id)
      old_sas.push_back(serial);
  std::vector<uint64_t> old_children;
  for (const auto& [serial, c] : children_)
    if (c.ike_serial != sa.serial && c.peer.addr == sa.peer.addr && c.peer_id == sa.peer_id)
      old_children.push_back(serial);
  if (old_sas.empty() && old_children.empty()) return;
  ++counters_[IkeCounter::InitialContact];
  logf(LogLevel::Info, "[IKE] INITIAL-CONTACT from %s: dropping %zu ISAKMP and %zu IPsec SAs",
       endpoint_str(sa.peer).c_str(), old_sas.size(), old_children.size());
  for (uint64_t c : old_children) remove_child(c, now, false, "INITIAL-CONTACT");
  for (uint64_t s : old_sas) {
    IkeSa* o = sa_by_serial(s);
    if (!o) continue;
    ++counters_[IkeCounter::Phase1Deleted];
    remove_sa(*o, now, "INITIAL-CONTACT");
  }
}

}  // namespace l2tpgw::cp::ike
