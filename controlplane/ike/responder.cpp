// SPDX-License-Identifier: Apache-2.0
// IkeResponder: dispatch by exchange type and cookies, the IKE SA tables, new-SA admission,
// timers and the way out. The exchanges themselves are in main_mode.cpp, quick_mode.cpp and
// informational.cpp.
#include "controlplane/ike/responder.hpp"

#include <algorithm>
#include <cstdio>

#include "common/ipv4_text.hpp"
#include "controlplane/ike/message.hpp"
#include "controlplane/ike/responder_internal.hpp"
#include "controlplane/log/log.hpp"

namespace l2tpgw::cp::ike {

std::string endpoint_str(const Endpoint& e) {
  return format_ipv4(e.addr) + ":" + std::to_string(e.port);
}

std::string addr_str(uint32_t a) { return format_ipv4(a); }

Bytes message_digest(ByteView message) { return hash(HashAlg::Sha256, {message}); }

uint32_t random_u32(const RandomFn& random) {
  uint8_t b[4];
  random(std::span<uint8_t>(b, 4));
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
}

Bytes be32_bytes(uint32_t v) {
  return Bytes{static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
               static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

IkeResponder::IkeResponder(ResponderConfig cfg, Installer& installer, RandomFn random)
    : cfg_(std::move(cfg)), installer_(installer), random_(std::move(random)) {
  for (const Connection& c : cfg_.connections) conns_[c.peer_addr].cfg = c;
  buckets_.resize(std::max<size_t>(cfg_.limits.rate_buckets, 1));
  uint8_t salt[8];
  random_(std::span<uint8_t>(salt, 8));
  for (uint8_t b : salt) bucket_salt_ = bucket_salt_ << 8 | b;
  // After a controlplane restart the tables still hold the previous process's peerings (their
  // SAs, tunnels and pseudowires keep forwarding): a new peering must not take one of their
  // numbers, or the dataplane would let the new peer's SAs speak for the old peer's sessions.
  for (const InstalledSa& sa : installer_.sas()) next_peer_index_ = std::max(next_peer_index_, sa.peer_index + 1);
  for (const InstalledTunnel& t : installer_.tunnels()) next_peer_index_ = std::max(next_peer_index_, t.peer_index + 1);
  for (const InstalledPseudowire& p : installer_.pseudowires())
    next_peer_index_ = std::max(next_peer_index_, p.peer_index + 1);
  if (next_peer_index_ == 0) next_peer_index_ = 1;
}

IkeResponder::~IkeResponder() = default;

void IkeResponder::set_config(ResponderConfig cfg) {
  cfg_ = std::move(cfg);
  // Connections: a peer that stays keeps its state (wanted, back-off); one gone stops.
  std::map<uint32_t, ConnState> conns;
  for (const Connection& c : cfg_.connections) {
    ConnState& cs = conns[c.peer_addr];
    if (ConnState* old = conn_of(c.peer_addr)) {
      cs.wanted = old->wanted;
      cs.retry = old->retry;
    }
    cs.cfg = c;
  }
  for (auto& [addr, cs] : conns_) cancel(cs.timer);
  conns_ = std::move(conns);
  if (buckets_.size() != std::max<size_t>(cfg_.limits.rate_buckets, 1))
    buckets_.assign(std::max<size_t>(cfg_.limits.rate_buckets, 1), Bucket{});
}

void IkeResponder::count_malformed(WireError e) {
  ++counters_[IkeCounter::Malformed];
  ++counters_.wire_errors[static_cast<size_t>(e)];
}

std::optional<std::vector<PayloadView>> IkeResponder::open_hashed(
    IkeSa& sa, ByteView iv, const IsakmpHeader& h, ByteView message, Bytes& plain,
    Bytes* next_iv, const std::function<Bytes(ByteView)>& expected) {
  auto last = decrypt_body(sa.suite.cipher, view(sa.keys.enc_key), iv, message, plain);
  if (!last) {
    ++counters_[IkeCounter::DecryptFailed];
    return std::nullopt;
  }
  auto chain = walk_payloads(h.next_payload, plain, true);  // padding follows (App. B)
  if (!chain) {
    count_malformed(chain.error());
    return std::nullopt;
  }
  if (chain->empty() || chain->front().type != PayloadType::Hash) {
    ++counters_[IkeCounter::Malformed];
    return std::nullopt;
  }
  auto got = decode_hash(chain->front().body);
  if (!got || !equal_ct(*got, expected(after_first_payload(*chain)))) {
    ++counters_[IkeCounter::HashMismatch];
    logf(LogLevel::Notice, "[IKE] ISAKMP SA[%llu]: %s %08x from %s: HASH mismatch",
         static_cast<unsigned long long>(sa.serial),
         h.exchange == ExchangeType::QuickMode ? "Quick Mode" : "Informational", h.message_id,
         endpoint_str(sa.peer).c_str());
    return std::nullopt;
  }
  if (next_iv) *next_iv = std::move(*last);
  count_protected(sa, message.size());
  return std::move(*chain);
}

CryptoResult<Bytes> IkeResponder::seal(IkeSa& sa, const IsakmpHeader& h, uint8_t first,
                                       ByteView chain, ByteView iv, Bytes& next_iv) {
  auto m = encrypt_message(h, first, chain, sa.suite.cipher, view(sa.keys.enc_key), iv, next_iv);
  if (m) count_protected(sa, m->size());
  return m;
}

void IkeResponder::count_protected(IkeSa& sa, size_t octets) {
  sa.protected_octets += octets;
  if (sa.suite.life_kilobytes == 0 || sa.state != MainModeState::Auth) return;
  const uint64_t hard = uint64_t{sa.suite.life_kilobytes} * 1024;
  const uint64_t serial = sa.serial;
  if (sa.protected_octets >= hard) {
    arm(sa.timer, now_, [this, serial] {
      ++counters_[IkeCounter::Phase1ExpiredKilobytes];
      expire_isakmp(serial, "lifetime in kilobytes used up");
    });
    return;
  }
  // As the initiator of a named peer, a successor at the rekey point (as for seconds).
  if (!sa.initiator || sa.rekeying) return;
  const ConnState* cs = conn_of(sa.mm1_peer.addr);
  if (cs && cs->cfg.isakmp_rekey_percent > 0 &&
      sa.protected_octets >= hard * cs->cfg.isakmp_rekey_percent / 100)
    arm(sa.rekey_timer, now_, [this, serial] { rekey_isakmp(serial); });
}

void IkeResponder::expire_isakmp(uint64_t serial, const char* why) {
  IkeSa* s = sa_by_serial(serial);
  if (!s) return;
  // RFC 2408 §4.9 / RFC 2409 §5.7: tell the peer the ISAKMP SA is gone (its IPsec SAs stay).
  PayloadChain c;
  c.add(PayloadType::Delete, delete_isakmp_payload(*s));
  send_info(*s, c);
  ++counters_[IkeCounter::Phase1Expired];
  remove_sa(*s, now_, why);
}

void IkeResponder::authenticated(IkeSa& sa, const Endpoint& local, const Endpoint& peer,
                                 TimePoint now) {
  sa.local = local;
  sa.peer = peer;
  sa.last_seen = now;
  ++sa.heard;
}

// ---- Dispatch (RFC 2408 §5.2: header checks, then the exchange the SA is in) ----

void IkeResponder::on_datagram(const Endpoint& local, const Endpoint& peer, ByteView message,
                               TimePoint now) {
  now_ = now;
  ++counters_[IkeCounter::MessagesIn];
  auto h = decode_header(message);
  if (!h) {
    count_malformed(h.error());
    return;
  }
  const ByteView msg = message.first(h->length);
  const bool no_rcookie = h->rcookie == Cookie{};
  switch (h->exchange) {
    case ExchangeType::Aggressive:
      // RFC 2409 §5: Aggressive Mode with a pre-shared key sends a hash an eavesdropper can
      // attack offline; we refuse it and say so.
      ++counters_[IkeCounter::AggressiveRefused];
      logf(LogLevel::Notice, "[IKE] Aggressive Mode from %s refused (not supported)",
           endpoint_str(peer).c_str());
      send_plain_notify(local, peer, h->icookie, NotifyType::NoProposalChosen);
      return;
    case ExchangeType::IdentityProtection:
      if (no_rcookie) {
        main_mode_1(local, peer, *h, msg, now);
        return;
      }
      break;
    case ExchangeType::QuickMode:
    case ExchangeType::Informational: break;
    default:
      ++counters_[IkeCounter::UnsupportedExchange];
      logf(LogLevel::Info, "[IKE] exchange type %u from %s not supported",
           static_cast<unsigned>(h->exchange), endpoint_str(peer).c_str());
      return;
  }
  if (no_rcookie) {
    // A plain Informational before any SA (a peer refusing us): nothing to authenticate it.
    ++counters_[h->exchange == ExchangeType::Informational ? IkeCounter::UnauthenticatedInfo
                                                           : IkeCounter::InvalidCookie];
    return;
  }
  IkeSa* sa = find_sa(h->icookie, h->rcookie);
  if (!sa && h->exchange == ExchangeType::IdentityProtection) {
    // MM2 to one of our MM1s: the first message that names CKY-R (main_mode_2 files the SA
    // under both cookies).
    auto it = by_init_cookie_.find(h->icookie);
    IkeSa* ours = it == by_init_cookie_.end() ? nullptr : sa_by_serial(it->second);
    if (ours && ours->state == MainModeState::Init) sa = ours;
  }
  if (!sa) {
    ++counters_[IkeCounter::InvalidCookie];
    return;
  }
  switch (h->exchange) {
    case ExchangeType::IdentityProtection: main_mode(*sa, local, peer, *h, msg, now); break;
    case ExchangeType::QuickMode: quick_mode(*sa, local, peer, *h, msg, now); break;
    default: informational(*sa, local, peer, *h, msg, now); break;
  }
}

void IkeResponder::on_timer(TimePoint now) {
  now_ = now;
  timers_.run_due(now);
}

// ---- Tables ----

IkeSa* IkeResponder::find_sa(const Cookie& ci, const Cookie& cr) {
  auto it = by_cookies_.find({ci, cr});
  return it == by_cookies_.end() ? nullptr : sa_by_serial(it->second);
}

IkeSa* IkeResponder::sa_by_serial(uint64_t serial) {
  auto it = sas_.find(serial);
  return it == sas_.end() ? nullptr : it->second.get();
}

void IkeResponder::set_state(IkeSa& sa, MainModeState s) {
  // Only the responder's MM1-only SAs may be evicted (ours proved nothing either way).
  if (sa.state == MainModeState::Sa && !sa.initiator) sa_state_by_age_.erase({sa.created, sa.serial});
  if (s == MainModeState::Sa && !sa.initiator) sa_state_by_age_.insert({sa.created, sa.serial});
  if (sa.half_open() && s == MainModeState::Auth) --half_open_;
  sa.state = s;
}

void IkeResponder::remove_sa(IkeSa& sa, TimePoint, const char* why) {
  // An SA that only saw MM1 is what a flood of spoofed requests leaves behind: not worth a
  // line each (the counters have them).
  logf(sa.state == MainModeState::Sa ? LogLevel::Debug : LogLevel::Info, "[IKE] ISAKMP SA[%llu] with %s removed: %s",
       static_cast<unsigned long long>(sa.serial), endpoint_str(sa.peer).c_str(), why);
  cancel(sa.timer);
  cancel(sa.dpd_timer);
  cancel(sa.rekey_timer);
  for (auto& [mid, qm] : sa.quick) {
    cancel(qm.timer);
    release_quick_mode(qm);
  }
  if (sa.state == MainModeState::Sa && !sa.initiator) sa_state_by_age_.erase({sa.created, sa.serial});
  if (auto c = by_init_cookie_.find(sa.cky_i); c != by_init_cookie_.end() && c->second == sa.serial)
    by_init_cookie_.erase(c);
  // `ipsec auto refresh`: a peering we keep up is looked at again (ensure_connection).
  if (ConnState* cs = conn_of(sa.mm1_peer.addr); cs && cs->cfg.auto_refresh)
    schedule_connection(sa.mm1_peer.addr, cs->retry);
  if (sa.half_open()) --half_open_;
  by_cookies_.erase({sa.cky_i, sa.cky_r});
  auto m = by_mm1_.find({sa.mm1_peer, sa.cky_i});
  if (m != by_mm1_.end() && m->second == sa.serial) by_mm1_.erase(m);
  sas_.erase(sa.serial);  // `sa` is gone from here on
}

// ---- New-SA admission: a token bucket per source (hashed into a fixed table) ----

bool IkeResponder::admit_new_sa(const Endpoint& peer, TimePoint now) {
  const ResponderLimits& l = cfg_.limits;
  uint64_t x = (uint64_t{peer.addr} ^ bucket_salt_) * 0x9e3779b97f4a7c15ull;
  x ^= x >> 29;
  Bucket& b = buckets_[x % buckets_.size()];
  if (!b.used) {
    b = Bucket{l.new_sa_burst_per_source, now, true};
  } else {
    const double dt = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(l.new_sa_burst_per_source, b.tokens + std::max(0.0, dt) * l.new_sa_rate_per_source);
    b.last = now;
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

// ---- Timers (TimerQueue tokens: a stale firing never runs) ----

void IkeResponder::arm(TimerToken& slot, TimePoint at, std::function<void()> cb) {
  cancel(slot);
  slot = timers_.arm(at, std::move(cb));
}

void IkeResponder::cancel(TimerToken& slot) {
  if (slot) timers_.cancel(slot);
  slot = {};
}

// ---- The way out ----

void IkeResponder::send(const Endpoint& local, const Endpoint& peer, Bytes message) {
  ++counters_[IkeCounter::MessagesOut];
  outbox_.push_back(Datagram{local, peer, std::move(message)});
}

void IkeResponder::resend(const Endpoint& local, const Endpoint& peer, const Bytes& reply,
                          int& duplicates) {
  if (reply.empty() || duplicates >= cfg_.limits.max_duplicate_replies) {
    ++counters_[IkeCounter::DuplicateIgnored];
    return;
  }
  ++duplicates;
  ++counters_[IkeCounter::Retransmits];
  send(local, peer, reply);
}

void IkeResponder::send_plain_notify(const Endpoint& local, const Endpoint& peer,
                                     const Cookie& cky_i, NotifyType type) {
  if (!admit_new_sa(peer, now_)) {
    ++counters_[IkeCounter::RateLimited];
    return;
  }
  Notification n;
  n.doi = kDoiIpsec;
  n.protocol = static_cast<uint8_t>(ProtocolId::Isakmp);
  n.type = static_cast<uint16_t>(type);
  PayloadChain c;
  c.add(PayloadType::Notification, encode_notification(n));
  IsakmpHeader h;
  h.icookie = cky_i;
  h.exchange = ExchangeType::Informational;
  h.message_id = random_u32(random_);
  send(local, peer, build_plain_message(h, c));
}

void IkeResponder::send_info(IkeSa& sa, const PayloadChain& payloads) {
  uint32_t mid = 0;
  while (mid == 0) mid = random_u32(random_);
  const Bytes rest = payloads.serialize();
  const Bytes h1 = info_hash(sa.suite.hash, view(sa.keys.skeyid_a), mid, rest);
  const Bytes chain = hash_first_chain(h1, rest, payloads.first_type());
  IsakmpHeader h;
  h.icookie = sa.cky_i;
  h.rcookie = sa.cky_r;
  h.exchange = ExchangeType::Informational;
  h.message_id = mid;
  const Bytes iv =
      phase2_iv(sa.suite.hash, sa.p1_last_block, mid, sa.suite.cipher.block_length());
  Bytes next;
  auto m = seal(sa, h, static_cast<uint8_t>(PayloadType::Hash), chain, iv, next);
  if (!m) {
    logf(LogLevel::Error, "[IKE] ISAKMP SA[%llu]: cannot encrypt an informational: %s",
         static_cast<unsigned long long>(sa.serial), std::string(to_string(m.error())).c_str());
    return;
  }
  send(sa.local, sa.peer, std::move(*m));
}

Bytes delete_isakmp_payload(const IkeSa& sa) {
  Delete d;
  d.protocol = static_cast<uint8_t>(ProtocolId::Isakmp);
  d.spi_size = kIsakmpSpiSize;
  Bytes spi(sa.cky_i.begin(), sa.cky_i.end());
  spi.insert(spi.end(), sa.cky_r.begin(), sa.cky_r.end());
  d.spis = {spi};
  return encode_delete(d);
}

void IkeResponder::shutdown(TimePoint now) {
  now_ = now;
  for (auto& [addr, cs] : conns_) stop_initiating(addr);  // nothing refreshes what goes now
  std::vector<uint64_t> children;
  for (const auto& [serial, c] : children_) children.push_back(serial);
  for (uint64_t s : children) remove_child(s, now, true, "shutdown");
  std::vector<uint64_t> sas;
  for (const auto& [serial, sa] : sas_) sas.push_back(serial);
  for (uint64_t s : sas) {
    if (IkeSa* sa = sa_by_serial(s)) delete_sa(*sa, now, "shutdown");
  }
}

bool IkeResponder::delete_peer(uint32_t peer_index, TimePoint now, const char* why) {
  now_ = now;
  std::vector<uint64_t> children;
  auto range = children_by_peer_.equal_range(peer_index);
  for (auto it = range.first; it != range.second; ++it) children.push_back(it->second);
  std::vector<uint64_t> sas;
  for (const auto& [serial, sa] : sas_)
    if (sa->peer_index == peer_index) sas.push_back(serial);
  if (children.empty() && sas.empty()) return false;
  ++counters_[IkeCounter::PeerDeleted];
  // The IPsec SAs first: their Delete travels over the ISAKMP SA that goes next.
  for (uint64_t c : children) remove_child(c, now, true, why);
  for (uint64_t s : sas) {
    if (IkeSa* sa = sa_by_serial(s)) delete_sa(*sa, now, why);
  }
  return true;
}

ChildSa* IkeResponder::child_in_slot(uint32_t slot, bool outbound) {
  for (auto& [serial, c] : children_)
    if ((outbound ? c.slot_out : c.slot_in) == slot) return &c;
  return nullptr;
}

bool IkeResponder::nat_peer_seen(uint32_t slot_in, const Endpoint& peer, TimePoint now) {
  now_ = now;
  const ChildSa* seen = child_in_slot(slot_in, false);
  if (!seen || !seen->natt || seen->peer == peer) return false;
  // Only the peering's own endpoint moves: another client behind the same NAT has its own
  // port and its own peering.
  const Endpoint old = seen->peer;
  const uint32_t peer_index = seen->peer_index;
  auto range = children_by_peer_.equal_range(peer_index);
  for (auto c = range.first; c != range.second; ++c) {
    ChildSa& child = children_.at(c->second);
    if (child.natt && child.peer == old) child.peer = peer;
  }
  for (auto& [serial, sa] : sas_)
    if (sa->peer_index == peer_index && sa->peer == old) sa->peer = peer;
  ++counters_[IkeCounter::NatPeerMoved];
  logf(LogLevel::Info, "[IKE] peering %u: NAT mapping changed, %s -> %s: following it", peer_index,
       endpoint_str(old).c_str(), endpoint_str(peer).c_str());
  return true;
}

void IkeResponder::delete_sa(IkeSa& sa, TimePoint now, const char* why) {
  if (sa.state == MainModeState::Auth) {
    PayloadChain c;
    c.add(PayloadType::Delete, delete_isakmp_payload(sa));
    send_info(sa, c);
    ++counters_[IkeCounter::Phase1Deleted];
  }
  remove_sa(sa, now, why);
}

// ---- Views ----

std::vector<IkeSaView> IkeResponder::ike_sas() const {
  std::vector<IkeSaView> out;
  for (const auto& [serial, sa] : sas_) {
    IkeSaView v;
    v.serial = serial;
    v.state = sa->state;
    v.local = sa->local;
    v.peer = sa->peer;
    v.suite = sa->suite;
    v.natt = sa->natt;
    v.nat_local = sa->nat_local;
    v.nat_peer = sa->nat_peer;
    v.peer_index = sa->peer_index;
    v.quick_modes = sa->quick.size();
    v.initiator = sa->initiator;
    v.gateway_id = sa->policy->gateway_id;
    if (sa->state == MainModeState::Auth) {
      v.peer_id = sa->peer_id;
      v.established = sa->established;
      v.expires = sa->established + std::chrono::seconds(sa->lifetime);
    }
    out.push_back(v);
  }
  return out;
}

std::vector<ChildSaEvent> IkeResponder::child_sas() const {
  std::vector<ChildSaEvent> out;
  for (const auto& [serial, c] : children_) out.push_back(event_of(c));
  return out;
}

ChildSaEvent IkeResponder::event_of(const ChildSa& c) const {
  ChildSaEvent e;
  e.serial = c.serial;
  e.peer_index = c.peer_index;
  e.slot_in = c.slot_in;
  e.slot_out = c.slot_out;
  e.spi_in = c.spi_in;
  e.spi_out = c.spi_out;
  e.local = c.local;
  e.peer = c.peer;
  e.natt = c.natt;
  e.nat_oa_peer = c.nat_oa_peer;
  e.peer_id = c.peer_id;
  e.cipher = c.suite.cipher;
  e.auth = c.suite.auth;
  e.lifetime = c.lifetime;
  e.replaces = c.replaces;
  e.initiator = c.initiator;
  e.ike_serial = c.ike_serial;
  e.gateway_id = c.gateway_id;
  e.installed = c.installed;
  return e;
}

}  // namespace l2tpgw::cp::ike
