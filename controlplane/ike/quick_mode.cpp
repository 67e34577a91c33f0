// SPDX-License-Identifier: Apache-2.0
// Quick Mode, responder side (RFC 2409 §5.5) for transport-mode ESP carrying L2TP (RFC 3193),
// UDP-encapsulated behind a NAT (RFC 3947 §5, RFC 3948):
//
//        Initiator                          Responder
//       -----------                        -----------
//        HDR*, HASH(1), SA, Ni [, KE ] [, IDci, IDcr ] [, NAT-OAi, NAT-OAr ] -->    QM1
//                        <-- HDR*, HASH(2), SA, Nr [, KE ] [, IDci, IDcr ] [, NAT-OA...]   QM2
//        HDR*, HASH(3)                                                      -->    QM3
//
// Make-before-break: our inbound SA is installed (Installer::alloc_spi, add_sa) before QM2
// announces its SPI, the outbound one when HASH(3) proves the initiator has the keys. RFC 2409
// leaves the moment open; the initiator installs both directions as QM2 arrives and sends on
// the new SA at once, so its first packets can overtake QM3 (punted to us, slower than the
// fastpath) and would meet no inbound SA: a rekey would lose them.
#include <algorithm>

#include "controlplane/ike/message.hpp"
#include "controlplane/ike/responder.hpp"
#include "controlplane/ike/responder_internal.hpp"
#include "controlplane/log/log.hpp"

namespace l2tpgw::cp::ike {
namespace {

constexpr uint8_t kIpProtoUdp = 17;
// How long a finished Quick Mode is remembered, so that a late duplicate of QM3 is ignored
// instead of being taken for a new exchange.
constexpr std::chrono::seconds kQuickModeLinger{60};

uint32_t be32(ByteView b) {
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
}

// RFC 3193 §2 / RFC 2407 §4.6.2: an L2TP client names itself and us as single IPv4 addresses,
// UDP (or any protocol), port 1701 (or any port; macOS says 0 for its own side).
bool id_ok(const Identification& id, uint32_t expect_addr, bool behind_nat, uint16_t l2tp_port) {
  auto addr = single_ipv4(id);
  if (!addr) return false;
  if (id.protocol != 0 && id.protocol != kIpProtoUdp) return false;
  if (id.port != 0 && id.port != l2tp_port) return false;
  // Behind a NAT the ID carries the private address (RFC 3947 §5.2): it cannot match.
  return behind_nat || *addr == expect_addr;
}

}  // namespace

// RFC 2409 §5.5 KEYMAT and the SA parameters for one direction: the SA we receive on is keyed
// with our SPI, the one we send on with the initiator's. Encryption key first, then the
// integrity key (RFC 4106 §8.1: GCM key + salt). The keys point into `km`, which must outlive
// the add_sa call.
void add_nat_oa(PayloadChain& chain, uint32_t initiator_addr, uint32_t responder_addr) {
  NatOa oa;
  oa.address = be32_bytes(initiator_addr);
  chain.add(PayloadType::NatOa, encode_nat_oa(oa));
  oa.address = be32_bytes(responder_addr);
  chain.add(PayloadType::NatOa, encode_nat_oa(oa));
}

tables::SaParams esp_sa_params(const IkeSa& sa, const QuickMode& qm, tables::SaDirection dir,
                               SecretBytes& km) {
  const EspSuite& s = qm.suite;
  const bool inbound = dir == tables::SaDirection::Inbound;
  const size_t enc_len = esp_enc_keymat_len(s.cipher);
  const size_t auth_len = s.auth == EspAuth::None ? 0 : info(s.auth).key_len;
  const uint32_t spi = inbound ? qm.spi_in : qm.spi_out;
  km = keymat(sa.suite.hash, view(sa.keys.skeyid_d), view(qm.gqm_xy),
              static_cast<uint8_t>(ProtocolId::IpsecEsp), spi, qm.ni, qm.nr, enc_len + auth_len);
  const bool natt = s.udp_encapsulated();
  tables::SaParams p;
  p.direction = dir;
  p.spi = spi;
  p.peer_index = sa.peer_index;
  p.natt = natt;
  p.replay_window = inbound && sa.policy->anti_replay ? sa.policy->replay_window : 0;
  p.local_addr = sa.local.addr;
  p.peer_addr = sa.peer.addr;
  p.local_port = natt ? sa.local.port : 0;
  p.peer_port = natt ? sa.peer.port : 0;
  p.cipher = s.cipher;
  p.auth = s.auth;
  p.enc_key = ByteView(km.data(), enc_len);
  p.auth_key = ByteView(km.data() + enc_len, auth_len);
  return p;
}


void IkeResponder::quick_mode(IkeSa& sa, const Endpoint& local, const Endpoint& peer,
                              const IsakmpHeader& h, ByteView message, TimePoint now) {
  if (sa.state != MainModeState::Auth || h.message_id == 0 || !(h.flags & kFlagEncryption)) {
    ++counters_[IkeCounter::UnexpectedMessage];
    return;
  }
  auto it = sa.quick.find(h.message_id);
  if (it != sa.quick.end()) {
    QuickMode& qm = it->second;
    if (qm.initiator) {
      // Ours: QM2, or QM2 again because our QM3 was lost (resend QM3).
      if (message_digest(message) == qm.last_in)
        resend(sa.local, sa.peer, qm.last_reply, qm.duplicate_replies);
      else if (qm.state == QuickModeState::Init)
        quick_mode_2(sa, qm, local, peer, h, message, now);
      else
        ++counters_[IkeCounter::DuplicateIgnored];
      return;
    }
    if (message_digest(message) == qm.last_in) {
      // QM1 again (QM2 was lost): resend QM2. QM3 again: nothing to send.
      if (qm.state == QuickModeState::Init)
        resend(sa.local, sa.peer, qm.last_reply, qm.duplicate_replies);
      else
        ++counters_[IkeCounter::DuplicateIgnored];
      return;
    }
    if (qm.state == QuickModeState::Init) {
      quick_mode_3(sa, qm, local, peer, h, message, now);
    } else {
      ++counters_[IkeCounter::DuplicateIgnored];
    }
    return;
  }
  if (std::find(sa.recent_mids.begin(), sa.recent_mids.end(), h.message_id) !=
      sa.recent_mids.end()) {
    ++counters_[IkeCounter::DuplicateIgnored];
    return;
  }
  if (sa.quick.size() >= cfg_.limits.max_quick_modes_per_sa) {
    ++counters_[IkeCounter::QuickModeLimit];
    return;
  }
  quick_mode_1(sa, local, peer, h, message, now);
}

void IkeResponder::quick_mode_1(IkeSa& sa, const Endpoint& local, const Endpoint& peer,
                                const IsakmpHeader& h, ByteView message, TimePoint now) {
  const HashAlg hash_alg = sa.suite.hash;
  const uint32_t mid = h.message_id;
  const Bytes iv0 = phase2_iv(hash_alg, sa.p1_last_block, mid, sa.suite.cipher.block_length());
  // RFC 2409 §5.5: HASH(1) immediately follows the header and covers everything after it.
  Bytes plain, iv1;  // iv1: QM1's last block, QM2's IV
  auto chain = open_hashed(sa, iv0, h, message, plain, &iv1, [&](ByteView rest) {
    return qm_hash1(hash_alg, view(sa.keys.skeyid_a), mid, rest);
  });
  if (!chain) return;
  // Authenticated: follow the peer's NAT mapping.
  authenticated(sa, local, peer, now);

  auto qp = quick_mode_payloads(*chain);
  if (!qp) return;
  const PayloadView* sap = qp->sa;
  const PayloadView* np = qp->nonce;
  const PayloadView* kep = qp->ke;
  const std::vector<const PayloadView*>& ids = qp->ids;
  const std::vector<const PayloadView*>& oas = qp->oas;
  auto offer = decode_sa(sap->body);
  if (!offer) return count_malformed(offer.error());
  auto ni = decode_nonce(np->body);
  if (!ni) return count_malformed(ni.error());
  std::optional<Identification> idci, idcr;
  if (ids.size() == 2) {
    auto a = decode_identification(ids[0]->body);
    auto b = decode_identification(ids[1]->body);
    if (!a || !b) return count_malformed(!a ? a.error() : b.error());
    idci = std::move(*a);
    idcr = std::move(*b);
  }
  std::optional<uint32_t> nat_oa_peer;
  if (!oas.empty()) {
    auto oa = decode_nat_oa(oas[0]->body);
    if (!oa) return count_malformed(oa.error());
    if (oa->address.size() == 4) nat_oa_peer = be32(oa->address);
  }

  auto choice = choose_esp(*offer, *sa.policy, sa.nat());
  auto notify = [&](NotifyType t) {
    Notification n;
    n.protocol = static_cast<uint8_t>(ProtocolId::IpsecEsp);
    n.type = static_cast<uint16_t>(t);
    PayloadChain c;
    c.add(PayloadType::Notification, encode_notification(n));
    send_info(sa, c);
  };
  if (!choice) {
    ++counters_[IkeCounter::NoProposalChosen];
    logf(LogLevel::Notice, "[IKE] ISAKMP SA[%llu]: no acceptable IPsec proposal from %s%s",
         static_cast<unsigned long long>(sa.serial), endpoint_str(sa.peer).c_str(),
         sa.nat() ? " (behind NAT: UDP-encapsulated transport required)" : "");
    notify(NotifyType::NoProposalChosen);
    return;
  }
  const EspSuite& suite = choice->second;
  // RFC 2409 §5.5: KE goes with PFS, i.e. with a Group Description in the chosen transform.
  if (suite.pfs_group.has_value() != (kep != nullptr)) {
    ++counters_[IkeCounter::BadKeyExchange];
    notify(NotifyType::InvalidKeyInformation);
    return;
  }
  // A NAT that NAT-D did not show (NAT-T off on either side, as on seed 001's routers, whose
  // NAT forwards UDP 500 and ESP statically) leaves IDs naming the private addresses. A named
  // peer (a gateway and key of its own) is taken at its word: its SAs are bound to the ISAKMP
  // SA's addresses whatever the IDs say. From an `any` peer the IDs must match.
  const bool ids_match = !idci || (id_ok(*idci, sa.peer.addr, sa.nat_peer, cfg_.l2tp_port) &&
                                   id_ok(*idcr, sa.local.addr, sa.nat_local, cfg_.l2tp_port));
  const bool ids_natted = !ids_match && sa.policy->named_peer &&
                          id_ok(*idci, 0, true, cfg_.l2tp_port) &&
                          id_ok(*idcr, 0, true, cfg_.l2tp_port);
  if (ids_natted) {
    ++counters_[IkeCounter::IdsNatHidden];
    logf(LogLevel::Notice,
         "[IKE] ISAKMP SA[%llu]: Quick Mode IDs from %s name other addresses than the ISAKMP "
         "SA's: a NAT without NAT-T on the path (`ipsec ike nat-traversal` off on a side?)",
         static_cast<unsigned long long>(sa.serial), endpoint_str(sa.peer).c_str());
  }
  if (!ids_match && !ids_natted) {
    ++counters_[IkeCounter::InvalidId];
    logf(LogLevel::Notice, "[IKE] ISAKMP SA[%llu]: Quick Mode IDs from %s do not name L2TP",
         static_cast<unsigned long long>(sa.serial), endpoint_str(sa.peer).c_str());
    notify(NotifyType::InvalidIdInformation);
    return;
  }
  if (children_by_peer_.count(sa.peer_index) >= cfg_.limits.max_children_per_peer) {
    ++counters_[IkeCounter::ChildLimit];
    return;
  }

  QuickMode qm;
  qm.message_id = mid;
  qm.ni = std::move(*ni);
  qm.nr.resize(32);
  random_(std::span<uint8_t>(qm.nr.data(), qm.nr.size()));
  qm.suite = suite;
  // Our kilobyte cap applies whether the peer proposed a longer one or none.
  const uint32_t kb_max = sa.policy->ipsec_kilobytes_max;
  const bool shorter_kb = kb_max && (suite.life_kilobytes == 0 || suite.life_kilobytes > kb_max);
  if (shorter_kb) qm.suite.life_kilobytes = kb_max;
  qm.spi_out = be32(offer->proposals[choice->first.proposal].spi);
  qm.nat_oa_peer = nat_oa_peer;
  Bytes our_ke;
  if (suite.pfs_group) {
    auto ke = decode_key_exchange(kep->body);
    if (!ke) return count_malformed(ke.error());
    auto dh = DhKey::generate(*suite.pfs_group, random_);
    auto secret = dh ? dh->shared_secret(*ke) : CryptoResult<SecretBytes>(dh.error());
    if (!secret) {
      ++counters_[IkeCounter::BadKeyExchange];
      notify(NotifyType::InvalidKeyInformation);
      return;
    }
    qm.gqm_xy = std::move(*secret);
    our_ke = dh->public_value();
  }
  auto spi = installer_.alloc_spi();
  if (!spi) {
    ++counters_[IkeCounter::SpiAllocFailed];
    logf(LogLevel::Warning, "[IKE] ISAKMP SA[%llu]: no inbound SPI: %s",
         static_cast<unsigned long long>(sa.serial), spi.error.c_str());
    return;
  }
  qm.spi_in = spi.value;
  // Make-before-break (above): the SA we receive on is in place before QM2 names its SPI.
  auto slot_in = install_sa(sa, qm, tables::SaDirection::Inbound);
  if (!slot_in) {
    installer_.release_spi(qm.spi_in);
    return;
  }
  qm.slot_in = *slot_in;

  // QM2: HASH(2), SA (our SPI), Nr [, KE] [, IDci, IDcr as received] [, NAT-OAi, NAT-OAr]
  // [, RESPONDER-LIFETIME].
  PayloadChain rest;
  rest.add(PayloadType::Sa, encode_sa(reply_sa(*offer, choice->first, be32_bytes(qm.spi_in))));
  rest.add(PayloadType::Nonce, qm.nr);
  if (!our_ke.empty()) rest.add(PayloadType::KeyExchange, our_ke);
  if (idci) {
    rest.add(PayloadType::Identification, ids[0]->body);
    rest.add(PayloadType::Identification, ids[1]->body);
  }
  // RFC 3947 §5.2: in transport mode behind a NAT both original addresses are sent; as the
  // responder, the initiator's as we see it and ours.
  if (sa.nat() && sa.natt == NatT::Rfc3947) add_nat_oa(rest, sa.peer.addr, sa.local.addr);
  // RFC 2407 §4.6.3.1: a lifetime longer than ours is accepted and announced shorter.
  const bool shorter_seconds = suite.life_seconds > sa.policy->ipsec_lifetime_max;
  if (shorter_seconds || shorter_kb) {
    Notification n;
    n.protocol = static_cast<uint8_t>(ProtocolId::IpsecEsp);
    n.type = static_cast<uint16_t>(NotifyType::ResponderLifetime);
    n.spi = be32_bytes(qm.spi_in);
    std::vector<Attribute> life;
    auto add = [&](uint16_t type, uint32_t duration) {
      life.push_back(tv_attribute(static_cast<uint16_t>(IpsecAttr::SaLifeType), type));
      life.push_back(variable_attribute(static_cast<uint16_t>(IpsecAttr::SaLifeDuration), duration));
    };
    if (shorter_seconds) add(kLifeSeconds, sa.policy->ipsec_lifetime_max);
    if (shorter_kb) add(kLifeKilobytes, kb_max);
    encode_attributes(life, n.data);
    rest.add(PayloadType::Notification, encode_notification(n));
  }
  const Bytes rest_bytes = rest.serialize();
  const Bytes h2 = qm_hash2(hash_alg, view(sa.keys.skeyid_a), mid, qm.ni, rest_bytes);
  IsakmpHeader rh;
  rh.icookie = sa.cky_i;
  rh.rcookie = sa.cky_r;
  rh.exchange = ExchangeType::QuickMode;
  rh.message_id = mid;
  auto m2 = seal(sa, rh, static_cast<uint8_t>(PayloadType::Hash),
                 hash_first_chain(h2, rest_bytes, rest.first_type()), iv1, qm.iv);
  if (!m2) {
    installer_.del_sa(qm.slot_in);
    logf(LogLevel::Error, "[IKE] ISAKMP SA[%llu]: cannot encrypt QM2",
         static_cast<unsigned long long>(sa.serial));
    return;
  }
  qm.last_in = message_digest(message);
  qm.last_reply = std::move(*m2);
  logf(LogLevel::Info, "[IKE] ISAKMP SA[%llu]: Quick Mode %08x from %s: %s, SPI in %08x out %08x",
       static_cast<unsigned long long>(sa.serial), mid, endpoint_str(sa.peer).c_str(),
       describe(suite).c_str(), qm.spi_in, qm.spi_out);
  QuickMode& stored = sa.quick[mid] = std::move(qm);
  send(sa.local, sa.peer, stored.last_reply);
  arm_qm2_retransmit(sa, stored, now);
}

std::optional<IkeResponder::QmPayloads> IkeResponder::quick_mode_payloads(
    const std::vector<PayloadView>& chain) {
  QmPayloads out;
  for (size_t i = 1; i < chain.size(); ++i) {
    const PayloadView& p = chain[i];
    const PayloadView** one = p.type == PayloadType::Sa             ? &out.sa
                              : p.type == PayloadType::Nonce        ? &out.nonce
                              : p.type == PayloadType::KeyExchange  ? &out.ke
                                                                    : nullptr;
    if (one) {
      if (*one) {
        ++counters_[IkeCounter::Malformed];
        return std::nullopt;
      }
      *one = &p;
    } else if (p.type == PayloadType::Identification) {
      out.ids.push_back(&p);
    } else if (p.type == PayloadType::NatOa || p.type == PayloadType::NatOaDraft) {
      out.oas.push_back(&p);
    } else if (p.type == PayloadType::Notification) {
      out.notifications.push_back(&p);
    }
  }
  if (!out.sa || !out.nonce || (out.ids.size() != 0 && out.ids.size() != 2)) {
    ++counters_[IkeCounter::Malformed];
    return std::nullopt;
  }
  return out;
}

void IkeResponder::arm_qm2_retransmit(IkeSa& sa, QuickMode& qm, TimePoint now) {
  const uint64_t serial = sa.serial;
  const uint32_t mid = qm.message_id;
  const auto delay = cfg_.limits.retransmit_initial * (1 << std::min(qm.retransmits, 16));
  arm(qm.timer, now + delay, [this, serial, mid] {
    IkeSa* s = sa_by_serial(serial);
    if (!s) return;
    auto it = s->quick.find(mid);
    if (it == s->quick.end() || it->second.state != QuickModeState::Init) return;
    QuickMode& q = it->second;
    q.timer = {};
    if (q.retransmits >= cfg_.limits.retransmit_tries) {
      ++counters_[IkeCounter::RetransmitLimit];
      logf(LogLevel::Notice, "[IKE] ISAKMP SA[%llu]: Quick Mode %08x: no %s, abandoned",
           static_cast<unsigned long long>(serial), mid, q.initiator ? "QM2" : "QM3");
      const bool ours = q.initiator;
      const uint32_t peer_addr = s->peer.addr;
      abandon_quick_mode(*s, mid);
      if (ours) connection_failed(peer_addr);
      return;
    }
    ++q.retransmits;
    ++counters_[IkeCounter::TimerRetransmits];
    send(s->local, s->peer, q.last_reply);
    arm_qm2_retransmit(*s, q, now_);
  });
}

void IkeResponder::forget_quick_mode(IkeSa& sa, uint32_t message_id) {
  sa.quick.erase(message_id);
  sa.recent_mids.push_back(message_id);
  if (sa.recent_mids.size() > IkeSa::kRecentMids) sa.recent_mids.pop_front();
}

void IkeResponder::abandon_quick_mode(IkeSa& sa, uint32_t message_id) {
  auto it = sa.quick.find(message_id);
  if (it == sa.quick.end()) return;
  cancel(it->second.timer);
  release_quick_mode(it->second);
  forget_quick_mode(sa, message_id);
}

void IkeResponder::quick_mode_3(IkeSa& sa, QuickMode& qm, const Endpoint& local,
                                const Endpoint& peer, const IsakmpHeader& h, ByteView message,
                                TimePoint now) {
  const HashAlg hash_alg = sa.suite.hash;
  Bytes plain;
  auto chain = open_hashed(sa, qm.iv, h, message, plain, nullptr, [&](ByteView) {
    return qm_hash3(hash_alg, view(sa.keys.skeyid_a), qm.message_id, qm.ni, qm.nr);
  });
  if (!chain) return;
  authenticated(sa, local, peer, now);

  // The inbound SA went in with QM2; now the one we send on.
  const uint32_t mid = qm.message_id;
  auto slot_out = install_sa(sa, qm, tables::SaDirection::Outbound);
  if (!slot_out) {
    abandon_quick_mode(sa, mid);  // and the inbound SA with it
    return;
  }

  qm.last_in = message_digest(message);
  add_child(sa, qm, *slot_out, now);
}

void IkeResponder::add_child(IkeSa& sa, QuickMode& qm, uint32_t slot_out, TimePoint now) {
  const uint32_t mid = qm.message_id;
  ChildSa c;
  c.serial = next_serial();
  c.ike_serial = sa.serial;
  c.gateway_id = sa.policy->gateway_id;
  c.peer_index = sa.peer_index;
  c.local = sa.local;
  c.peer = sa.peer;
  c.peer_id = sa.peer_id;
  c.spi_in = qm.spi_in;
  c.spi_out = qm.spi_out;
  c.slot_in = qm.slot_in;
  c.slot_out = slot_out;
  c.suite = qm.suite;
  c.natt = qm.suite.udp_encapsulated();
  c.nat_oa_peer = qm.nat_oa_peer;
  c.nat_local = sa.nat_local;
  c.keepalive_interval = sa.policy->natt_keepalive;
  c.lifetime = std::min(qm.suite.life_seconds, sa.policy->ipsec_lifetime_max);
  c.installed = now;
  c.replaces = qm.replaces;
  c.initiator = qm.initiator;
  const uint64_t cserial = c.serial;
  arm(c.timer, now + std::chrono::seconds(c.lifetime), [this, cserial] {
    if (!children_.contains(cserial)) return;
    ++counters_[IkeCounter::Phase2Expired];
    remove_child(cserial, now_, true, "lifetime expired");
  });
  children_by_peer_.insert({c.peer_index, cserial});
  ChildSa& stored = children_[cserial] = std::move(c);
  // Our rekeys: pairs we negotiated for a connection we keep up, at its share of the
  // lifetime; the peer's pairs only where the policy asks us to refresh them.
  const ConnState* cs = qm.initiator ? conn_of(sa.mm1_peer.addr) : nullptr;
  arm_child_rekey(stored, cs ? cs->cfg.rekey_percent : sa.policy->rekey_peer_children_percent,
                  now);
  arm_nat_keepalive(stored, now);

  qm.state = QuickModeState::Negotiated;
  qm.gqm_xy.clear();
  qm.dh.reset();
  const uint64_t serial = sa.serial;
  arm(qm.timer, now + kQuickModeLinger, [this, serial, mid] {
    IkeSa* ike = sa_by_serial(serial);
    if (ike) forget_quick_mode(*ike, mid);
  });
  ++counters_[IkeCounter::Phase2Established];
  logf(LogLevel::Info,
       "[IKE] IPsec SA[%llu] established with %s: %s, SPI in %08x out %08x, lifetime %us%s",
       static_cast<unsigned long long>(cserial), endpoint_str(stored.peer).c_str(),
       describe(stored.suite).c_str(), stored.spi_in, stored.spi_out, stored.lifetime,
       stored.natt ? ", UDP-encapsulated" : "");
  const ChildSaEvent e = event_of(stored);
  if (stored.replaces) {
    if (auto old = children_.find(stored.replaces); old != children_.end())
      old->second.replaced_by = cserial;
    retire_replaced(stored.replaces);
  }
  if (hooks_.child_up) hooks_.child_up(e);
}

std::optional<uint32_t> IkeResponder::install_sa(const IkeSa& sa, const QuickMode& qm,
                                                 tables::SaDirection dir) {
  SecretBytes km;
  auto slot = installer_.add_sa(esp_sa_params(sa, qm, dir, km));
  if (!slot) {
    ++counters_[IkeCounter::InstallFailed];
    const bool in = dir == tables::SaDirection::Inbound;
    logf(LogLevel::Warning, "[IKE] ISAKMP SA[%llu]: %s SA %08x not installed: %s",
         static_cast<unsigned long long>(sa.serial), in ? "inbound" : "outbound",
         in ? qm.spi_in : qm.spi_out, slot.error.c_str());
    return std::nullopt;
  }
  return slot.value;
}

void IkeResponder::release_quick_mode(QuickMode& qm) {
  if (qm.state != QuickModeState::Init) return;  // its SAs belong to a ChildSa now
  if (qm.initiator)
    installer_.release_spi(qm.spi_in);  // announced in QM1, never installed
  else
    installer_.del_sa(qm.slot_in);      // and its SPI
}

void IkeResponder::remove_child(uint64_t serial, TimePoint, bool notify_peer, const char* why) {
  auto it = children_.find(serial);
  if (it == children_.end()) return;
  ChildSa c = std::move(it->second);
  children_.erase(it);
  cancel(c.timer);
  cancel(c.soft_timer);
  cancel(c.usage_timer);
  cancel(c.keepalive_timer);
  auto range = children_by_peer_.equal_range(c.peer_index);
  for (auto p = range.first; p != range.second; ++p) {
    if (p->second == serial) {
      children_by_peer_.erase(p);
      break;
    }
  }
  installer_.del_sa(c.slot_in);
  installer_.del_sa(c.slot_out);
  ++counters_[IkeCounter::Phase2Deleted];
  logf(LogLevel::Info, "[IKE] IPsec SA[%llu] with %s removed (SPI in %08x out %08x): %s",
       static_cast<unsigned long long>(serial), endpoint_str(c.peer).c_str(), c.spi_in, c.spi_out,
       why);
  if (notify_peer) {
    // RFC 2408 §3.15: Delete names the SPI we chose (the SA the peer sends on), over an
    // ISAKMP SA of the same peering: the one that made it, else any established one.
    IkeSa* via = sa_by_serial(c.ike_serial);
    if (!via || via->state != MainModeState::Auth) {
      via = nullptr;
      for (auto& [s, sa] : sas_)
        if (sa->state == MainModeState::Auth && sa->peer_index == c.peer_index) via = sa.get();
    }
    if (via) {
      Delete d;
      d.protocol = static_cast<uint8_t>(ProtocolId::IpsecEsp);
      d.spi_size = kEspSpiSize;
      d.spis = {be32_bytes(c.spi_in)};
      PayloadChain chain;
      chain.add(PayloadType::Delete, encode_delete(d));
      send_info(*via, chain);
    }
  }
  if (hooks_.child_down) hooks_.child_down(event_of(c));
  if (ConnState* cs = conn_of(c.peer.addr); cs && cs->cfg.auto_refresh)
    schedule_connection(c.peer.addr, cs->retry);
}

}  // namespace l2tpgw::cp::ike
