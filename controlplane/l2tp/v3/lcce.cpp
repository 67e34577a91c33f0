// SPDX-License-Identifier: Apache-2.0
#include "controlplane/l2tp/v3/lcce.hpp"

#include <openssl/rand.h>

#include <algorithm>

#include "common/ipv4_text.hpp"

namespace l2tpgw::cp::l2tp::v3 {

namespace {

std::string ip(uint32_t host_order) { return format_ipv4(host_order); }

constexpr size_t kNonceLen = 16;   // §5.4.1: at least 16 octets of randomness
constexpr size_t kMaxNonceLen = 256;

uint16_t cdn(CdnResult r) { return static_cast<uint16_t>(r); }
uint16_t stop(StopCcnResult r) { return static_cast<uint16_t>(r); }
uint16_t err(GeneralError e) { return static_cast<uint16_t>(e); }

}  // namespace

void LcceHooks::random_bytes(std::span<uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    // Never expected; zeros would still make a working (if guessable) connection.
    std::fill(out.begin(), out.end(), uint8_t{0});
  }
}

struct Lcce::Session {
  // §3.4.1 incoming call: the initiator waits for ICRP, the responder for ICCN.
  enum class State { WaitReply, WaitConnect, Established } state = State::WaitReply;
  uint32_t id = 0, peer_id = 0;
  Cookie cookie, peer_cookie;
  bool local_up = true, peer_up = true;
  bool announced_up = true;           // the local status the peer was last told
  uint16_t tx_l2_sublayer = kL2SublayerNone, tx_data_sequencing = 0;
  uint64_t tie_breaker = 0;           // §5.4.4 Session Tie Breaker of our ICRQ
  TimePoint deadline{}, since{};

  const char* state_name() const {
    switch (state) {
      case State::WaitReply: return "wait_reply";
      case State::WaitConnect: return "wait_connect";
      case State::Established: return "established";
    }
    return "?";
  }
};

struct Lcce::Connection {
  uint32_t ccid = 0, peer_ccid = 0;
  LcceTunnelConfig cfg;               // the tunnel's settings when the connection began
  L2tpPeer peer;
  bool initiator = false;
  // §7.2: idle is "no Connection"; Closed = StopCCN sent or received (or the connection was
  // dropped), kept to acknowledge retransmissions until linger_until.
  enum class State { WaitCtlReply, WaitCtlConn, Established, Closed } state = State::WaitCtlReply;
  bool attached = false;              // the tunnel's current connection
  bool quiet = false;                 // closed with nothing to deliver: retransmits nothing
  bool announced = false;             // "connected from" or "established" was logged
  uint64_t tie_breaker = 0;           // §5.4.3, in our SCCRQ
  std::optional<uint64_t> peer_tie_breaker;  // in the peer's SCCRQ (responder)
  TimePoint started{};
  ReliableTransport tx;
  std::array<uint8_t, 16> key{};      // §4.3 shared_key (auth)
  std::vector<uint8_t> nonce, peer_nonce;
  std::string peer_hostname, peer_vendor;
  uint32_t peer_router_id = 0;
  TimePoint state_deadline{}, hello_deadline{}, linger_until{};
  std::optional<TimePoint> session_retry;
  uint16_t hello_left = 0;
  bool rx_since_tick = false;
  std::optional<Session> session;

  explicit Connection(ReliableConfig rc) : tx(rc) {}
  const char* state_name() const {
    switch (state) {
      case State::WaitCtlReply: return "wait_ctl_reply";
      case State::WaitCtlConn: return "wait_ctl_conn";
      case State::Established: return "established";
      case State::Closed: return "closed";
    }
    return "?";
  }
};

struct Lcce::Tunnel {
  LcceTunnelConfig cfg;
  uint32_t current = 0;               // CCID of its connection; 0: none
  bool want_up = false;               // always-on, or connect() until disconnect()
  std::optional<TimePoint> retry_at;
  Duration backoff{};
  bool local_up = true;               // the local circuit
};

Lcce::Lcce(LcceHooks& hooks, Config cfg) : hooks_(hooks), cfg_(std::move(cfg)) {
  uint8_t b[4];
  hooks_.random_bytes(b);
  serial_ = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

Lcce::~Lcce() = default;

// ---- helpers ----

uint64_t Lcce::random_u64() {
  uint8_t b[8];
  hooks_.random_bytes(b);
  uint64_t v = 0;
  for (uint8_t x : b) v = (v << 8) | x;
  return v;
}

Duration Lcce::jitter() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.retry_jitter).count();
  if (ms <= 0) return Duration{};
  return std::chrono::milliseconds(static_cast<long>(random_u64() % static_cast<uint64_t>(ms)));
}

uint32_t Lcce::new_ccid() {
  // Random, so that a message for a connection of a previous life misses; in the RTX's
  // range (seed 001 shows 51998 and 27105).
  for (;;) {
    uint8_t b[2];
    hooks_.random_bytes(b);
    const uint32_t id = (uint32_t{b[0]} << 8) | b[1];
    if (id != 0 && !conns_.contains(id)) return id;
  }
}

std::string Lcce::tag(const Connection& c) const {
  return "[L2TP] TUNNEL[" + std::to_string(c.cfg.interface) + "] ";
}

Lcce::Tunnel* Lcce::tunnel_of(const Connection& c) {
  auto it = tunnels_.find(c.cfg.interface);
  return it == tunnels_.end() ? nullptr : &it->second;
}

const Lcce::Tunnel* Lcce::tunnel_of(const Connection& c) const {
  auto it = tunnels_.find(c.cfg.interface);
  return it == tunnels_.end() ? nullptr : &it->second;
}

void Lcce::debug(const Connection& c, const std::string& line) {
  if (c.cfg.syslog) hooks_.log_debug("[L2TP] " + line);
}

void Lcce::debug_avps(const Connection& c, const ControlMessage& m) {
  if (!c.cfg.syslog) return;
  hooks_.log_debug("[L2TP] recv message AVPs :");
  for (const Avp& a : m.avps) hooks_.log_debug("[L2TP] " + describe(a, false));
}

MessageAuth Lcce::send_auth(const Connection& c, bool with_nonces) const {
  MessageAuth a;
  a.type = c.cfg.digest;
  a.shared_key = c.key;
  if (with_nonces) {
    a.sender_nonce = c.nonce;
    a.receiver_nonce = c.peer_nonce;
  }
  return a;
}

MessageAuth Lcce::receive_auth(const Connection& c, std::span<const uint8_t> peer_nonce) const {
  MessageAuth a;
  a.shared_key = c.key;
  if (!peer_nonce.empty()) {
    a.sender_nonce.assign(peer_nonce.begin(), peer_nonce.end());
    a.receiver_nonce = c.nonce;
  }
  return a;
}

PseudowireSession Lcce::event(const Connection& c) const {
  PseudowireSession e;
  e.interface = c.cfg.interface;
  e.ccid = c.ccid;
  e.peer_ccid = c.peer_ccid;
  e.local_addr = c.cfg.local_addr;
  e.peer = c.peer;
  if (c.session) {
    const Session& s = *c.session;
    e.session_id = s.id;
    e.cookie = s.cookie;
    e.peer_session_id = s.peer_id;
    e.peer_cookie = s.peer_cookie;
    e.tx_l2_sublayer = s.tx_l2_sublayer;
    e.tx_data_sequencing = s.tx_data_sequencing;
    e.local_up = s.local_up;
    e.peer_up = s.peer_up;
  }
  return e;
}

void Lcce::send(Connection& c, ControlBuilder b, TimePoint now) {
  if (c.cfg.syslog) {
    hooks_.log_debug("[L2TP] send message AVPs :");
    for (const Avp& a : b.avps()) hooks_.log_debug("[L2TP] set " + describe(a, true));
    hooks_.log_debug("[L2TP] send " + std::string(to_string(b.type())) + " to " + ip(c.peer.addr));
  }
  c.tx.send(b, now);
}

void Lcce::flush(Connection& c) {
  c.tx.flush_ack();
  for (auto& d : c.tx.take_output()) {
    if (c.cfg.syslog && d.size() == kHeaderLen) hooks_.log_debug("[L2TP] send ZLB to " + ip(c.peer.addr));
    hooks_.send(c.cfg.interface, c.peer, std::move(d));
  }
}

// ---- tunnels ----

void Lcce::add_tunnel(const LcceTunnelConfig& cfg, TimePoint now) {
  if (auto it = tunnels_.find(cfg.interface); it != tunnels_.end()) {
    if (it->second.cfg == cfg) return;
    remove_tunnel(cfg.interface, now);
  }
  Tunnel& t = tunnels_[cfg.interface];
  t.cfg = cfg;
  t.local_up = cfg.circuit_up;
  t.want_up = cfg.always_on;
  if (t.want_up) start_connection(t, now);
}

bool Lcce::remove_tunnel(uint16_t interface, TimePoint now) {
  if (!disconnect(interface, now, stop(StopCcnResult::GeneralRequest))) return false;
  tunnels_.erase(interface);
  return true;
}

bool Lcce::connect(uint16_t interface, TimePoint now) {
  auto it = tunnels_.find(interface);
  if (it == tunnels_.end()) return false;
  Tunnel& t = it->second;
  t.want_up = true;
  t.backoff = Duration{};
  t.retry_at.reset();
  if (t.current == 0) start_connection(t, now);
  return true;
}

bool Lcce::disconnect(uint16_t interface, TimePoint now, uint16_t result) {
  auto it = tunnels_.find(interface);
  if (it == tunnels_.end()) return false;
  Tunnel& t = it->second;
  t.want_up = false;
  t.retry_at.reset();
  if (t.current != 0) {
    Connection& c = *conns_.at(t.current);
    stop_connection(c, now, result, std::nullopt, "administrative");
    flush(c);
  }
  return true;
}

bool Lcce::disconnect_session(uint16_t interface, TimePoint now, uint16_t result) {
  auto it = tunnels_.find(interface);
  if (it == tunnels_.end() || it->second.current == 0) return false;
  Connection& c = *conns_.at(it->second.current);
  if (!c.session) return false;
  end_session(c, true, result, std::nullopt, now);
  if (c.initiator) c.session_retry = now + cfg_.retry_initial;
  flush(c);
  return true;
}

bool Lcce::path_up(uint16_t interface, TimePoint now) {
  auto it = tunnels_.find(interface);
  if (it == tunnels_.end()) return false;
  Tunnel& t = it->second;
  if (t.current == 0) {
    if (!t.want_up) return true;
    t.backoff = Duration{};
    start_connection(t, now);
    return true;
  }
  Connection& c = *conns_.at(t.current);
  if (c.state != Connection::State::WaitCtlReply) return true;
  c.state_deadline = now + cfg_.state_timeout;
  c.tx.resend_all(now);
  flush(c);
  return true;
}

bool Lcce::set_circuit_status(uint16_t interface, bool up, TimePoint now) {
  auto it = tunnels_.find(interface);
  if (it == tunnels_.end()) return false;
  Tunnel& t = it->second;
  t.local_up = up;
  t.cfg.circuit_up = up;  // a reload with the same settings and this circuit changes nothing
  if (t.current == 0) return true;
  Connection& c = *conns_.at(t.current);
  if (!c.session) return true;
  Session& s = *c.session;
  s.local_up = up;
  if (s.state == Session::State::Established && s.announced_up != up) {
    // §5.4.5: an update (N clear) in SLI.
    ControlBuilder sli(MessageType::SLI, c.peer_ccid);
    sli.u32(AvpType::LocalSessionId, s.id).u32(AvpType::RemoteSessionId, s.peer_id)
        .u16(AvpType::CircuitStatus, up ? kCircuitActive : 0);
    if (c.cfg.auth) sli.authenticate(send_auth(c, true));
    send(c, std::move(sli), now);
    s.announced_up = up;
    hooks_.session_changed(event(c));
    flush(c);
  }
  return true;
}

void Lcce::schedule_retry(Tunnel& t, TimePoint now) {
  if (!t.want_up) return;
  t.backoff = t.backoff == Duration{} ? cfg_.retry_initial : std::min(t.backoff * 2, cfg_.retry_max);
  t.retry_at = now + t.backoff + jitter();
}

// ---- control connection ----

Lcce::Connection& Lcce::new_connection(Tunnel& t, const L2tpPeer& peer, bool initiator,
                                       TimePoint now) {
  ReliableConfig rc = cfg_.reliable;
  rc.our_window = cfg_.receive_window;
  auto c = std::make_unique<Connection>(rc);
  c->ccid = new_ccid();
  c->cfg = t.cfg;
  c->peer = peer;
  c->initiator = initiator;
  c->started = now;
  c->state_deadline = now + cfg_.state_timeout;
  if (c->cfg.auth) {
    c->key = derive_shared_key(c->cfg.secret);
    c->nonce.resize(kNonceLen);
    hooks_.random_bytes(c->nonce);
  }
  Connection& ref = *c;
  conns_.emplace(ref.ccid, std::move(c));
  return ref;
}

void Lcce::start_connection(Tunnel& t, TimePoint now) {
  if (t.current != 0) return;
  if (conns_.size() >= cfg_.max_connections) {
    ++stats_.too_many_connections;
    schedule_retry(t, now);
    return;
  }
  ++stats_.connect_attempts;
  Connection& c = new_connection(t, L2tpPeer{t.cfg.remote_addr, t.cfg.remote_port, 0}, true, now);
  c.attached = true;
  t.current = c.ccid;
  t.retry_at.reset();
  c.tie_breaker = random_u64();
  c.state = Connection::State::WaitCtlReply;
  // §6.1 SCCRQ (Assigned Control Connection ID tells the peer where to answer; the header's
  // is 0, we know none of its ids yet).
  ControlBuilder b(MessageType::SCCRQ, 0);
  const uint32_t router_id = t.cfg.local_router_id ? t.cfg.local_router_id : t.cfg.local_addr;
  b.text(AvpType::HostName, cfg_.hostname)
      .u32(AvpType::RouterId, router_id)
      .u32(AvpType::AssignedControlConnectionId, c.ccid)
      .u16(AvpType::PseudowireCapabilitiesList, kPwTypeEthernet)
      .u16(AvpType::ReceiveWindowSize, cfg_.receive_window)
      .u64(AvpType::TieBreaker, c.tie_breaker)
      .u16(AvpType::FirmwareRevision, cfg_.firmware_revision, false)
      .text(AvpType::VendorName, cfg_.vendor, false);
  if (c.cfg.auth) {
    b.bytes(AvpType::ControlMessageAuthenticationNonce, c.nonce);
    b.authenticate(send_auth(c, false));  // §4.3: no nonce of the peer yet
  }
  send(c, std::move(b), now);
  flush(c);
}

void Lcce::on_control(std::span<const uint8_t> datagram, const L2tpPeer& from, TimePoint now) {
  DecodeResult r = decode_control(datagram);
  if (!r.msg) {
    ++stats_.malformed;
    return;
  }
  ControlMessage& m = *r.msg;
  if (m.hdr.ccid == 0) {
    // §3.2.1: only a SCCRQ may come before the peer knows our id.
    if (m.zlb || m.type != MessageType::SCCRQ) {
      ++stats_.unknown_connection;
      return;
    }
    on_sccrq(datagram, std::move(m), from, now);
    return;
  }
  auto it = conns_.find(m.hdr.ccid);
  if (it == conns_.end() || it->second->peer.addr != from.addr) {
    ++stats_.unknown_connection;
    return;
  }
  Connection& c = *it->second;
  if (c.cfg.ipsec && from.sa_slot == 0) {
    ++stats_.not_protected;  // `l2tpv3`: never in the clear (seed 001's closing test)
    return;
  }
  c.peer.port = from.port;
  c.peer.sa_slot = from.sa_slot;
  // §4.3: every message but a ZLB carries a digest over itself and both nonces. A closed
  // connection only acknowledges, and may not know the peer's nonce (a SCCRQ that lost the
  // tie breaker): it is not checked. Nor is a StopCCN refusing our SCCRQ: it is digested
  // with the responder's nonce, which no SCCRP has told us; believing it costs at most
  // this attempt, which anyone on the path could spoil anyway.
  const bool refusal = c.state == Connection::State::WaitCtlReply && m.type == MessageType::StopCCN;
  if (c.cfg.auth && !m.zlb && c.state != Connection::State::Closed && !refusal) {
    const MessageType type = m.type;
    const bool sccrp = c.state == Connection::State::WaitCtlReply && m.type == MessageType::SCCRP;
    std::span<const uint8_t> pn = c.peer_nonce;
    if (sccrp) {
      const Avp* n = m.find(AvpType::ControlMessageAuthenticationNonce);
      pn = n ? std::span<const uint8_t>(n->value) : std::span<const uint8_t>{};
    }
    if (pn.empty() || pn.size() > kMaxNonceLen || !verify_digest(datagram, m, receive_auth(c, pn))) {
      const bool handshake =
          sccrp || (c.state == Connection::State::WaitCtlConn && m.type == MessageType::SCCCN);
      if (!handshake) {
        ++stats_.bad_digest;  // discarded: it changes nothing, not even our Nr
        return;
      }
      // The handshake proves the password (§4.3): refuse the connection. The message is taken
      // in first so that our StopCCN acknowledges it.
      if (sccrp) {
        c.peer_ccid = m.u32(AvpType::AssignedControlConnectionId).value_or(0);
        c.tx.set_peer_tunnel_id(c.peer_ccid);
      }
      debug(c, "recv " + std::string(to_string(type)) + " in " + c.state_name() + " from " +
                   ip(c.peer.addr));
      c.tx.receive(std::move(m), now);
      refuse_auth(c, now);
      flush(c);
      return;
    }
  }
  handle(c, std::move(m), now);
}

void Lcce::refuse_auth(Connection& c, TimePoint now) {
  ++stats_.auth_failed;
  hooks_.log_info("[L2TP] authentication error tunnel " + std::to_string(c.ccid));
  stop_connection(c, now, stop(StopCcnResult::NotAuthorized), std::nullopt,
                  "control message authentication");
}

void Lcce::on_sccrq(std::span<const uint8_t> datagram, ControlMessage m, const L2tpPeer& from,
                    TimePoint now) {
  // §6.1: Host Name, Router ID, Assigned Control Connection ID and Pseudowire Capabilities
  // List are mandatory in SCCRQ.
  const auto peer_ccid = m.u32(AvpType::AssignedControlConnectionId);
  const auto router_id = m.u32(AvpType::RouterId);
  const Avp* host = m.find(AvpType::HostName);
  const Avp* caps = m.find(AvpType::PseudowireCapabilitiesList);
  if (!peer_ccid || *peer_ccid == 0 || !router_id || host == nullptr || caps == nullptr ||
      caps->value.size() % 2 != 0) {
    ++stats_.malformed;
    return;
  }
  // A retransmission (our SCCRP, or the StopCCN refusing it, was lost) belongs to the
  // connection it made: that one acknowledges it again. Once established, only a copy of the
  // same SCCRQ (same tie breaker) is one: a peer that restarts may well pick the same id.
  const auto peer_tb = m.u64(AvpType::TieBreaker);
  for (auto& [id, cp] : conns_) {
    Connection& c = *cp;
    if (c.initiator || c.peer.addr != from.addr || c.peer_ccid != *peer_ccid) continue;
    if (c.state == Connection::State::Established && c.peer_tie_breaker != peer_tb) continue;
    if (c.cfg.ipsec && from.sa_slot == 0) {
      ++stats_.not_protected;
      return;
    }
    if (c.cfg.auth && c.state != Connection::State::Closed &&
        !verify_digest(datagram, m, receive_auth(c, {}))) {
      ++stats_.bad_digest;
      return;
    }
    handle(c, std::move(m), now);
    return;
  }
  // The tunnel whose remote endpoint sent it, and whose `l2tp remote router-id` it carries.
  Tunnel* t = nullptr;
  bool wrong_router_id = false;
  for (auto& [n, tt] : tunnels_) {
    if (tt.cfg.remote_addr != from.addr) continue;
    if (tt.cfg.remote_router_id && *tt.cfg.remote_router_id != *router_id) {
      wrong_router_id = true;
      continue;
    }
    t = &tt;
    break;
  }
  if (t == nullptr) {
    if (wrong_router_id) {
      ++stats_.router_id_mismatch;
      hooks_.log_debug("[L2TP] router id " + ip(*router_id) + " from " + ip(from.addr) +
                       " is not the remote router-id");
    } else {
      ++stats_.no_tunnel;
    }
    hooks_.log_debug("[L2TP] can't find tunnel number");
    return;
  }
  if (t->cfg.ipsec && from.sa_slot == 0) {
    ++stats_.not_protected;
    return;
  }
  // Every SCCRQ may leave a connection behind for a while (a refusal lingers to be
  // acknowledged): a bound, so that a flood of them cannot grow the table without end.
  if (conns_.size() >= cfg_.max_connections) {
    ++stats_.too_many_connections;
    return;
  }
  const auto take_sccrq = [&](Connection& c) {
    c.peer_ccid = *peer_ccid;
    c.tx.set_peer_tunnel_id(c.peer_ccid);
    c.tx.set_peer_window(m.u16(AvpType::ReceiveWindowSize).value_or(4));  // §5.4.3 default 4
    c.peer_hostname.assign(host->text());
    if (const Avp* v = m.find(AvpType::VendorName)) c.peer_vendor.assign(v->text());
    c.peer_router_id = *router_id;
    c.peer_tie_breaker = peer_tb;
    c.state = Connection::State::WaitCtlConn;
    // This SCCRQ takes Ns 0 of the connection: through the transport, so that what we send
    // acknowledges it.
    c.tx.receive(m, now);
    debug_avps(c, m);
    debug(c, "recv SCCRQ in idle from " + ip(from.addr));
  };

  // §4.3: the SCCRQ's digest (over the message alone) and the peer's nonce, checked before
  // the SCCRQ may disturb a connection of ours (tie breaker, restart). A refusal is sent from
  // a connection of its own that is not the tunnel's.
  if (t->cfg.auth) {
    const Avp* n = m.find(AvpType::ControlMessageAuthenticationNonce);
    MessageAuth sccrq_auth;
    sccrq_auth.shared_key = derive_shared_key(t->cfg.secret);
    if (n == nullptr || n->value.empty() || n->value.size() > kMaxNonceLen ||
        !verify_digest(datagram, m, sccrq_auth)) {
      Connection& c = new_connection(*t, from, false, now);
      take_sccrq(c);
      refuse_auth(c, now);
      flush(c);
      return;
    }
  }

  bool reject = false;
  if (t->current != 0) {
    Connection& cur = *conns_.at(t->current);
    // §5.4.3 Control Connection Tie Breaker: the lower value wins; a SCCRQ without one loses
    // to ours (we always send one); equal values: both ends start again.
    const auto theirs = m.u64(AvpType::TieBreaker);
    const bool tie = theirs && *theirs == cur.tie_breaker;
    const bool we_win = !theirs || cur.tie_breaker < *theirs;
    if (cur.initiator && cur.state == Connection::State::WaitCtlReply) {
      if (tie) {
        ++stats_.collisions_tied;
        debug(cur, "tie breaker equal: both control connections discarded");
        cur.quiet = true;
        close_connection(cur, now);
        t->retry_at = now + jitter();
        return;
      }
      if (we_win) {
        ++stats_.collisions_won;
        reject = true;
      } else {
        ++stats_.collisions_lost;
        debug(cur, "tie breaker lost: our SCCRQ is withdrawn");
        cur.quiet = true;
        close_connection(cur, now);
      }
    } else if (cur.initiator && cur.state == Connection::State::Established && !tie && we_win &&
               now - cur.started <= cfg_.collision_window) {
      // The other half of a collision that we won, arriving after our connection came up.
      ++stats_.collisions_won;
      reject = true;
    } else {
      // A new SCCRQ from the peer of a connection we hold: the peer restarted and lost it.
      ++stats_.peer_restarts;
      if (cur.announced) hooks_.log_info(tag(cur) + "disconnecting tunnel " + std::to_string(cur.ccid));
      cur.quiet = true;
      close_connection(cur, now);
      cur.linger_until = now;  // nothing of it can arrive any more
    }
  }

  Connection& c = new_connection(*t, from, false, now);
  if (!reject) {
    c.attached = true;
    t->current = c.ccid;
    t->retry_at.reset();
  }
  take_sccrq(c);
  if (const Avp* nonce = m.find(AvpType::ControlMessageAuthenticationNonce); nonce && c.cfg.auth)
    c.peer_nonce = nonce->value;
  if (reject) {
    stop_connection(c, now, stop(StopCcnResult::AlreadyExists), std::nullopt,
                    "control connection already exists (tie breaker)");
    flush(c);
    return;
  }
  hooks_.log_info(tag(c) + "connected from " + ip(from.addr));
  c.announced = true;
  if (const Avp* u = m.unknown_mandatory()) {
    ++stats_.unknown_mandatory_avp;
    hooks_.log_debug(tag(c) + "unknown mandatory AVP " + std::to_string(u->type) + " in SCCRQ");
    stop_connection(c, now, stop(StopCcnResult::GeneralError), err(GeneralError::UnknownMandatoryAvp),
                    "unknown mandatory AVP");
    flush(c);
    return;
  }
  // §6.2 SCCRP.
  ControlBuilder b(MessageType::SCCRP, c.peer_ccid);
  const uint32_t our_router_id = c.cfg.local_router_id ? c.cfg.local_router_id : c.cfg.local_addr;
  b.text(AvpType::HostName, cfg_.hostname)
      .u32(AvpType::RouterId, our_router_id)
      .u32(AvpType::AssignedControlConnectionId, c.ccid)
      .u16(AvpType::PseudowireCapabilitiesList, kPwTypeEthernet)
      .u16(AvpType::ReceiveWindowSize, cfg_.receive_window)
      .u16(AvpType::FirmwareRevision, cfg_.firmware_revision, false)
      .text(AvpType::VendorName, cfg_.vendor, false);
  if (c.cfg.auth) {
    b.bytes(AvpType::ControlMessageAuthenticationNonce, c.nonce);
    b.authenticate(send_auth(c, true));
    // §6.15: with authentication, acknowledgements are ACK messages with a digest.
    c.tx.set_ack(ControlBuilder(MessageType::ACK, c.peer_ccid).authenticate(send_auth(c, true)));
  }
  send(c, std::move(b), now);
  flush(c);
}

void Lcce::handle(Connection& c, ControlMessage m, TimePoint now) {
  c.rx_since_tick = true;
  if (m.zlb) debug(c, "recv ZLB from " + ip(c.peer.addr));
  for (ControlMessage& d : c.tx.receive(std::move(m), now)) {
    if (c.state == Connection::State::Closed) continue;  // only acknowledged
    debug_avps(c, d);
    if (const Avp* u = d.unknown_mandatory()) {
      // §5.2: an AVP with the M bit that we do not understand ends the session it is about,
      // or the control connection.
      ++stats_.unknown_mandatory_avp;
      hooks_.log_debug(tag(c) + "unknown mandatory AVP " + std::to_string(u->type) + " in " +
                       std::string(to_string(d.type)));
      const auto remote_sid = d.u32(AvpType::RemoteSessionId);
      const auto peer_sid = d.u32(AvpType::LocalSessionId);
      if (is_connection_message(d.type)) {
        stop_connection(c, now, stop(StopCcnResult::GeneralError),
                        err(GeneralError::UnknownMandatoryAvp), "unknown mandatory AVP");
      } else if (c.session && remote_sid && *remote_sid == c.session->id) {
        end_session(c, true, cdn(CdnResult::GeneralError), err(GeneralError::UnknownMandatoryAvp), now);
        if (c.initiator) c.session_retry = now + cfg_.retry_initial;
      } else if (peer_sid && *peer_sid != 0 && c.state == Connection::State::Established) {
        // A call that made no session of ours yet (ICRQ): refused alone.
        ++stats_.session_refused;
        send_cdn(c, *peer_sid, 0, cdn(CdnResult::GeneralError), err(GeneralError::UnknownMandatoryAvp), now);
      } else {
        stop_connection(c, now, stop(StopCcnResult::GeneralError),
                        err(GeneralError::UnknownMandatoryAvp), "unknown mandatory AVP");
      }
      continue;
    }
    if (is_connection_message(d.type)) on_connection_message(c, d, now);
    else on_session_message(c, d, now);
  }
  flush(c);
}

void Lcce::on_connection_message(Connection& c, const ControlMessage& m, TimePoint now) {
  debug(c, "recv " + std::string(to_string(m.type)) + " in " + c.state_name() + " from " +
               ip(c.peer.addr));
  switch (m.type) {
    case MessageType::SCCRP:
      if (c.state != Connection::State::WaitCtlReply) {
        ++stats_.unexpected;
        return;
      }
      on_sccrp(c, m, now);
      return;
    case MessageType::SCCCN:
      if (c.state != Connection::State::WaitCtlConn) {
        ++stats_.unexpected;
        return;
      }
      established(c, now);
      return;
    case MessageType::StopCCN:
      ++stats_.stopccn_received;
      if (c.peer_ccid == 0) {
        // A refusal of our SCCRQ names the responder's connection only here: acknowledge
        // it there.
        c.peer_ccid = m.u32(AvpType::AssignedControlConnectionId).value_or(0);
        c.tx.set_peer_tunnel_id(c.peer_ccid);
      }
      close_connection(c, now);
      return;
    case MessageType::HELLO:
      return;  // the transport acknowledges it (§6.5)
    default:
      ++stats_.unexpected;  // SCCRQ with a new Ns on a connection: nothing to do
      return;
  }
}

void Lcce::on_sccrp(Connection& c, const ControlMessage& m, TimePoint now) {
  // §6.2: the same mandatory AVPs as SCCRQ.
  const auto peer_ccid = m.u32(AvpType::AssignedControlConnectionId);
  const auto router_id = m.u32(AvpType::RouterId);
  const Avp* host = m.find(AvpType::HostName);
  const Avp* caps = m.find(AvpType::PseudowireCapabilitiesList);
  if (peer_ccid && *peer_ccid != 0) {
    c.peer_ccid = *peer_ccid;
    c.tx.set_peer_tunnel_id(c.peer_ccid);
  }
  if (!peer_ccid || *peer_ccid == 0 || !router_id || host == nullptr || caps == nullptr ||
      caps->value.size() % 2 != 0) {
    ++stats_.malformed;
    stop_connection(c, now, stop(StopCcnResult::GeneralError), err(GeneralError::BadValue),
                    "SCCRP without its mandatory AVPs");
    return;
  }
  if (c.cfg.remote_router_id && *c.cfg.remote_router_id != *router_id) {
    ++stats_.router_id_mismatch;
    stop_connection(c, now, stop(StopCcnResult::NotAuthorized), std::nullopt,
                    "router id " + ip(*router_id) + " is not the remote router-id");
    return;
  }
  bool ethernet = false;
  for (size_t i = 0; i + 1 < caps->value.size(); i += 2)
    ethernet |= ((caps->value[i] << 8) | caps->value[i + 1]) == kPwTypeEthernet;
  if (!ethernet) {
    stop_connection(c, now, stop(StopCcnResult::GeneralError), err(GeneralError::BadValue),
                    "the peer has no Ethernet pseudowire");
    return;
  }
  c.tx.set_peer_window(m.u16(AvpType::ReceiveWindowSize).value_or(4));
  c.peer_hostname.assign(host->text());
  if (const Avp* v = m.find(AvpType::VendorName)) c.peer_vendor.assign(v->text());
  c.peer_router_id = *router_id;
  // §6.3 SCCCN.
  ControlBuilder b(MessageType::SCCCN, c.peer_ccid);
  if (c.cfg.auth) {
    const Avp* n = m.find(AvpType::ControlMessageAuthenticationNonce);  // on_control checked it
    if (n == nullptr) {
      refuse_auth(c, now);
      return;
    }
    c.peer_nonce = n->value;
    b.authenticate(send_auth(c, true));
    c.tx.set_ack(ControlBuilder(MessageType::ACK, c.peer_ccid).authenticate(send_auth(c, true)));
  }
  send(c, std::move(b), now);
  established(c, now);
}

void Lcce::established(Connection& c, TimePoint now) {
  c.state = Connection::State::Established;
  ++stats_.connections_established;
  c.hello_left = c.cfg.keepalive_count;
  c.hello_deadline = now + std::chrono::seconds(c.cfg.keepalive_interval);
  hooks_.log_info(tag(c) + "tunnel " + std::to_string(c.ccid) + " established");
  c.announced = true;
  if (Tunnel* t = tunnel_of(c); t && c.attached) t->backoff = Duration{};
  if (c.initiator) start_session(c, now);
}

void Lcce::stop_connection(Connection& c, TimePoint now, uint16_t result,
                           std::optional<uint16_t> error, const std::string& why) {
  if (c.state == Connection::State::Closed) return;
  if (c.announced) hooks_.log_info(tag(c) + "disconnecting tunnel " + std::to_string(c.ccid));
  hooks_.log_debug(tag(c) + "StopCCN: " + why);
  if (c.peer_ccid != 0) {
    // §6.4 StopCCN; our Assigned Control Connection ID names the connection even where the
    // peer has not learned it yet.
    ControlBuilder b(MessageType::StopCCN, c.peer_ccid);
    b.result(result, error).u32(AvpType::AssignedControlConnectionId, c.ccid);
    if (c.cfg.auth) b.authenticate(send_auth(c, !c.peer_nonce.empty()));
    send(c, std::move(b), now);
  } else {
    c.quiet = true;  // a SCCRQ not answered yet: nobody to tell
  }
  close_connection(c, now);
}

void Lcce::close_connection(Connection& c, TimePoint now) {
  if (c.state == Connection::State::Closed) return;
  end_session(c, false, 0, std::nullopt, now);
  c.state = Connection::State::Closed;
  c.linger_until = now + cfg_.linger;
  if (c.attached) {
    c.attached = false;
    if (Tunnel* t = tunnel_of(c); t && t->current == c.ccid) {
      t->current = 0;
      schedule_retry(*t, now);
    }
  }
  if (c.announced)
    hooks_.log_info(tag(c) + "disconnect tunnel " + std::to_string(c.ccid) + " complete");
}

// ---- sessions ----

void Lcce::start_session(Connection& c, TimePoint now) {
  if (c.session || c.state != Connection::State::Established) return;
  c.session_retry.reset();
  auto id = hooks_.reserve_session_id(c.cfg.interface);
  if (!id) {
    ++stats_.no_session_id;
    c.session_retry = now + cfg_.retry_initial;
    return;
  }
  Session s;
  s.state = Session::State::WaitReply;
  s.id = *id;
  s.cookie.len = c.cfg.cookie_len == 4 || c.cfg.cookie_len == 8 ? c.cfg.cookie_len : 0;
  hooks_.random_bytes({s.cookie.bytes.data(), s.cookie.len});
  const Tunnel* t = tunnel_of(c);
  s.local_up = s.announced_up = t ? t->local_up : c.cfg.circuit_up;
  s.tie_breaker = random_u64();
  s.deadline = now + cfg_.state_timeout;
  // §6.10 ICRQ for an Ethernet pseudowire (RFC 4719 §2): the Remote End ID names the circuit
  // at the far end (`l2tp remote end-id`), the Circuit Status is a new one (N set).
  ControlBuilder b(MessageType::ICRQ, c.peer_ccid);
  b.u32(AvpType::LocalSessionId, s.id)
      .u32(AvpType::RemoteSessionId, 0)
      .u32(AvpType::SerialNumber, ++serial_)
      .u16(AvpType::PseudowireType, kPwTypeEthernet)
      .text(AvpType::RemoteEndId, c.cfg.remote_end_id)
      .u16(AvpType::CircuitStatus, static_cast<uint16_t>(kCircuitNew | (s.local_up ? kCircuitActive : 0)))
      .u64(AvpType::TieBreaker, s.tie_breaker);
  if (s.cookie.len) b.bytes(AvpType::AssignedCookie, s.cookie.view());
  if (c.cfg.auth) b.authenticate(send_auth(c, true));
  c.session = s;
  send(c, std::move(b), now);
}

void Lcce::send_cdn(Connection& c, uint32_t peer_session_id, uint32_t our_session_id,
                    uint16_t result, std::optional<uint16_t> error, TimePoint now) {
  // §6.13 CDN: Local Session ID is ours (0: we never gave one), Remote Session ID theirs.
  ControlBuilder b(MessageType::CDN, c.peer_ccid);
  b.result(result, error)
      .u32(AvpType::LocalSessionId, our_session_id)
      .u32(AvpType::RemoteSessionId, peer_session_id);
  if (c.cfg.auth) b.authenticate(send_auth(c, true));
  send(c, std::move(b), now);
}

bool Lcce::take_session_avps(Connection& c, const ControlMessage& m, TimePoint) {
  Session& s = *c.session;
  // §5.4.4 Assigned Cookie: 4 or 8 octets; absent: no cookie.
  if (const Avp* ck = m.find(AvpType::AssignedCookie)) {
    if (ck->value.size() != 4 && ck->value.size() != 8) return false;
    s.peer_cookie.len = static_cast<uint8_t>(ck->value.size());
    std::copy(ck->value.begin(), ck->value.end(), s.peer_cookie.bytes.begin());
  }
  // §5.4.4 L2-Specific Sublayer: what the peer wants in the data messages we send; absent:
  // none.
  if (const Avp* l2 = m.find(AvpType::L2SpecificSublayer)) {
    auto v = l2->u16();
    if (!v || (*v != kL2SublayerNone && *v != kL2SublayerDefault)) return false;
    s.tx_l2_sublayer = *v;
  }
  if (const Avp* ds = m.find(AvpType::DataSequencing)) {
    auto v = ds->u16();
    if (!v || *v > 2) return false;
    s.tx_data_sequencing = *v;
  }
  if (auto cs = m.u16(AvpType::CircuitStatus)) s.peer_up = (*cs & kCircuitActive) != 0;
  return true;
}

void Lcce::on_session_message(Connection& c, const ControlMessage& m, TimePoint now) {
  if (c.cfg.syslog) {
    const char* st = c.session ? c.session->state_name() : "idle";
    debug(c, "recv " + std::string(to_string(m.type)) + " in " + st + " from " + ip(c.peer.addr));
  }
  if (c.state != Connection::State::Established) {
    ++stats_.unexpected;
    return;
  }
  const auto remote_sid = m.u32(AvpType::RemoteSessionId);
  const bool ours = c.session && remote_sid && *remote_sid == c.session->id;
  switch (m.type) {
    case MessageType::ICRQ:
      on_icrq(c, m, now);
      return;
    case MessageType::ICRP:
      on_icrp(c, m, now);
      return;
    case MessageType::ICCN: {
      if (!ours || c.session->state != Session::State::WaitConnect) {
        ++stats_.unexpected;
        return;
      }
      if (!take_session_avps(c, m, now)) {
        end_session(c, true, cdn(CdnResult::GeneralError), err(GeneralError::BadValue), now);
        return;
      }
      session_established(c, now);
      return;
    }
    case MessageType::CDN: {
      // Ours by Remote Session ID; a CDN refusing our ICRQ may name us by it too.
      if (!ours) {
        ++stats_.unexpected;
        return;
      }
      ++stats_.cdn_received;
      end_session(c, false, 0, std::nullopt, now);
      if (c.initiator) c.session_retry = now + cfg_.retry_initial;  // always-on: call again
      return;
    }
    case MessageType::SLI: {
      // §5.4.5: the peer's circuit went up or down.
      if (!ours) {
        ++stats_.unexpected;
        return;
      }
      if (auto cs = m.u16(AvpType::CircuitStatus)) {
        const bool up = (*cs & kCircuitActive) != 0;
        if (up != c.session->peer_up) {
          c.session->peer_up = up;
          if (c.session->state == Session::State::Established) hooks_.session_changed(event(c));
        }
      }
      return;
    }
    default:
      ++stats_.unexpected;  // OCRQ, WEN & co: not for an Ethernet pseudowire
      return;
  }
}

void Lcce::on_icrq(Connection& c, const ControlMessage& m, TimePoint now) {
  // §6.10: Local Session ID, Serial Number, Pseudowire Type, Remote End ID (and Circuit
  // Status, RFC 4719) are mandatory. We need the first and the third: a missing Serial
  // Number or Circuit Status (taken as up) is let pass, as a router that interoperates would.
  const auto peer_sid = m.u32(AvpType::LocalSessionId);
  const auto pw = m.u16(AvpType::PseudowireType);
  if (!peer_sid || *peer_sid == 0) {
    ++stats_.malformed;
    return;  // no id to send a CDN to
  }
  if (!pw) {
    ++stats_.malformed;
    send_cdn(c, *peer_sid, 0, cdn(CdnResult::GeneralError), err(GeneralError::BadValue), now);
    return;
  }
  if (c.session && c.session->peer_id == *peer_sid) return;  // the same call again
  if (c.session) {
    Session& s = *c.session;
    if (s.state != Session::State::WaitReply) {
      ++stats_.session_refused;
      send_cdn(c, *peer_sid, 0, cdn(CdnResult::NoFacilities), std::nullopt, now);
      return;
    }
    // Both ends called at once: §5.4.4 Session Tie Breaker, the lower value wins (the
    // winner refuses the other ICRQ with CDN result 13); an ICRQ without one loses to ours;
    // equal values: both calls end and the initiator calls again.
    const auto theirs = m.u64(AvpType::TieBreaker);
    if (!theirs || s.tie_breaker < *theirs) {
      ++stats_.session_refused;
      send_cdn(c, *peer_sid, 0, cdn(CdnResult::LostTieBreaker), std::nullopt, now);
      return;
    }
    if (*theirs == s.tie_breaker) {
      ++stats_.session_refused;
      end_session(c, true, cdn(CdnResult::LostTieBreaker), std::nullopt, now);
      send_cdn(c, *peer_sid, 0, cdn(CdnResult::LostTieBreaker), std::nullopt, now);
      if (c.initiator) c.session_retry = now + cfg_.retry_initial + jitter();
      return;
    }
    end_session(c, false, 0, std::nullopt, now);  // ours lost: the peer refuses it
  }
  const auto refuse = [&](CdnResult r, std::optional<GeneralError> e, const std::string& why) {
    ++stats_.session_refused;
    hooks_.log_debug(tag(c) + "ICRQ refused: " + why);
    send_cdn(c, *peer_sid, 0, cdn(r), e ? std::optional<uint16_t>(err(*e)) : std::nullopt, now);
  };
  if (*pw != kPwTypeEthernet) {
    refuse(CdnResult::UnsupportedPwType, std::nullopt, "pseudowire type " + std::to_string(*pw));
    return;
  }
  const Avp* end_id = m.find(AvpType::RemoteEndId);
  if (!c.cfg.remote_end_id.empty() && (end_id == nullptr || end_id->text() != c.cfg.remote_end_id)) {
    refuse(CdnResult::GeneralError, GeneralError::BadValue, "remote end id is not the configured one");
    return;
  }
  Session s;
  s.state = Session::State::WaitConnect;
  s.peer_id = *peer_sid;
  c.session = s;
  if (!take_session_avps(c, m, now)) {
    c.session.reset();
    refuse(CdnResult::GeneralError, GeneralError::BadValue, "cookie, sublayer or sequencing");
    return;
  }
  if (c.session->tx_data_sequencing != 0 && c.session->tx_l2_sublayer == kL2SublayerNone) {
    c.session.reset();
    refuse(CdnResult::SequencingWithoutSublayer, std::nullopt, "sequencing without a sublayer");
    return;
  }
  auto id = hooks_.reserve_session_id(c.cfg.interface);
  if (!id) {
    c.session.reset();
    ++stats_.no_session_id;
    refuse(CdnResult::NoFacilities, std::nullopt, "no free session id");
    return;
  }
  Session& ns = *c.session;
  ns.id = *id;
  ns.cookie.len = c.cfg.cookie_len == 4 || c.cfg.cookie_len == 8 ? c.cfg.cookie_len : 0;
  hooks_.random_bytes({ns.cookie.bytes.data(), ns.cookie.len});
  const Tunnel* t = tunnel_of(c);
  ns.local_up = ns.announced_up = t ? t->local_up : c.cfg.circuit_up;
  ns.deadline = now + cfg_.state_timeout;
  // §6.11 ICRP.
  ControlBuilder b(MessageType::ICRP, c.peer_ccid);
  b.u32(AvpType::LocalSessionId, ns.id)
      .u32(AvpType::RemoteSessionId, ns.peer_id)
      .u16(AvpType::CircuitStatus, static_cast<uint16_t>(kCircuitNew | (ns.local_up ? kCircuitActive : 0)));
  if (ns.cookie.len) b.bytes(AvpType::AssignedCookie, ns.cookie.view());
  if (c.cfg.auth) b.authenticate(send_auth(c, true));
  send(c, std::move(b), now);
}

void Lcce::on_icrp(Connection& c, const ControlMessage& m, TimePoint now) {
  const auto remote_sid = m.u32(AvpType::RemoteSessionId);
  if (!c.session || c.session->state != Session::State::WaitReply || !remote_sid ||
      *remote_sid != c.session->id) {
    ++stats_.unexpected;
    return;
  }
  const auto peer_sid = m.u32(AvpType::LocalSessionId);
  if (!peer_sid || *peer_sid == 0) {
    ++stats_.malformed;
    end_session(c, true, cdn(CdnResult::GeneralError), err(GeneralError::BadValue), now);
    return;
  }
  c.session->peer_id = *peer_sid;
  if (!take_session_avps(c, m, now) ||
      (c.session->tx_data_sequencing != 0 && c.session->tx_l2_sublayer == kL2SublayerNone)) {
    ++stats_.session_refused;
    end_session(c, true, cdn(CdnResult::GeneralError), err(GeneralError::BadValue), now);
    c.session_retry = now + cfg_.retry_initial;
    return;
  }
  // §6.12 ICCN.
  ControlBuilder b(MessageType::ICCN, c.peer_ccid);
  b.u32(AvpType::LocalSessionId, c.session->id).u32(AvpType::RemoteSessionId, c.session->peer_id);
  if (c.cfg.auth) b.authenticate(send_auth(c, true));
  send(c, std::move(b), now);
  session_established(c, now);
}

void Lcce::session_established(Connection& c, TimePoint now) {
  Session& s = *c.session;
  s.state = Session::State::Established;
  s.since = now;
  ++stats_.sessions_established;
  hooks_.log_info(tag(c) + "session " + std::to_string(s.id) + " established");
  hooks_.session_up(event(c));
  if (s.announced_up != s.local_up) set_circuit_status(c.cfg.interface, s.local_up, now);
}

void Lcce::end_session(Connection& c, bool send_cdn_to_peer, uint16_t result,
                       std::optional<uint16_t> error, TimePoint now) {
  if (!c.session) return;
  const PseudowireSession e = event(c);
  const Session s = *c.session;
  c.session.reset();
  if (send_cdn_to_peer && c.state != Connection::State::Closed)
    send_cdn(c, s.peer_id, s.id, result, error, now);
  if (s.state == Session::State::Established) hooks_.session_down(e);
  hooks_.release_session_id(s.id);
  hooks_.log_info(tag(c) + "disconnect session " + std::to_string(s.id) + " complete");
}

// ---- time ----

void Lcce::on_timer(TimePoint now) {
  for (auto& [n, t] : tunnels_) {
    if (t.want_up && t.current == 0 && t.retry_at && now >= *t.retry_at) start_connection(t, now);
  }
  std::vector<uint32_t> gone;
  for (auto& [id, cp] : conns_) {
    Connection& c = *cp;
    if (c.state == Connection::State::Closed) {
      // A StopCCN is retransmitted until acknowledged; a peer that never acknowledges it is
      // gone, and so is the reason to linger.
      if (now >= c.linger_until || (!c.quiet && !c.tx.on_timer(now))) gone.push_back(id);
      flush(c);
      continue;
    }
    if (!c.tx.on_timer(now)) {
      ++stats_.retransmit_failures;
      if (c.announced) hooks_.log_info(tag(c) + "disconnecting tunnel " + std::to_string(c.ccid));
      else debug(c, std::string(c.initiator ? "SCCRQ" : "SCCRP") + " to " + ip(c.peer.addr) + " not answered");
      c.quiet = true;
      close_connection(c, now);
      gone.push_back(id);  // nobody answers: nothing to linger for
      continue;
    }
    if ((c.state == Connection::State::WaitCtlReply || c.state == Connection::State::WaitCtlConn) &&
        now >= c.state_deadline) {
      ++stats_.state_timeouts;
      hooks_.log_info(std::string("[L2TP] state timer for waiting ") +
                      (c.state == Connection::State::WaitCtlReply ? "SCCRP" : "SCCCN") + " expired");
      stop_connection(c, now, stop(StopCcnResult::FsmError), std::nullopt, "state timer");
      flush(c);
      continue;
    }
    if (c.session && c.session->state != Session::State::Established && now >= c.session->deadline) {
      ++stats_.state_timeouts;
      hooks_.log_info(std::string("[L2TP] state timer for waiting ") +
                      (c.session->state == Session::State::WaitReply ? "ICRP" : "ICCN") + " expired");
      end_session(c, true, cdn(CdnResult::FsmError), std::nullopt, now);
      if (c.initiator) c.session_retry = now + cfg_.retry_initial;
    }
    if (c.state == Connection::State::Established && c.initiator && !c.session && c.session_retry &&
        now >= *c.session_retry) {
      start_session(c, now);
    }
    // `l2tp keepalive use on INTERVAL COUNT`: a HELLO every INTERVAL seconds in which
    // nothing arrived; COUNT such intervals in a row and the peer is gone (§6.5).
    if (c.state == Connection::State::Established && c.cfg.keepalive && now >= c.hello_deadline) {
      c.hello_deadline = now + std::chrono::seconds(c.cfg.keepalive_interval);
      const bool log = c.cfg.keepalive_log || c.cfg.syslog;
      if (c.rx_since_tick) {
        c.hello_left = c.cfg.keepalive_count;
      } else if (c.hello_left == 0) {
        ++stats_.keepalive_timeouts;
        hooks_.log_info("[L2TP] keepalive timer expired tunnel " + std::to_string(c.ccid));
        stop_connection(c, now, stop(StopCcnResult::GeneralError), std::nullopt, "keepalive");
      } else {
        if (log) hooks_.log_debug("[L2TP] keepalive timeout count=" + std::to_string(c.hello_left));
        --c.hello_left;
      }
      c.rx_since_tick = false;
      if (c.state == Connection::State::Established && c.tx.all_acknowledged()) {
        ControlBuilder hello(MessageType::HELLO, c.peer_ccid);
        if (c.cfg.auth) hello.authenticate(send_auth(c, true));
        send(c, std::move(hello), now);
        if (log) hooks_.log_debug("[L2TP] keepalive HELLO send to " + ip(c.peer.addr));
      }
    }
    flush(c);
  }
  for (uint32_t id : gone) conns_.erase(id);
}

std::optional<TimePoint> Lcce::next_deadline() const {
  std::optional<TimePoint> d;
  auto consider = [&d](TimePoint p) {
    if (!d || p < *d) d = p;
  };
  for (const auto& [n, t] : tunnels_)
    if (t.want_up && t.current == 0 && t.retry_at) consider(*t.retry_at);
  for (const auto& [id, cp] : conns_) {
    const Connection& c = *cp;
    if (c.state == Connection::State::Closed) {
      consider(c.linger_until);
      if (!c.quiet)
        if (auto x = c.tx.next_deadline()) consider(*x);
      continue;
    }
    if (auto x = c.tx.next_deadline()) consider(*x);
    if (c.state != Connection::State::Established) consider(c.state_deadline);
    if (c.state == Connection::State::Established && c.cfg.keepalive) consider(c.hello_deadline);
    if (c.session && c.session->state != Session::State::Established) consider(c.session->deadline);
    if (c.state == Connection::State::Established && c.initiator && !c.session && c.session_retry)
      consider(*c.session_retry);
  }
  return d;
}

// ---- views ----

size_t Lcce::connection_count() const {
  return static_cast<size_t>(std::count_if(conns_.begin(), conns_.end(), [](const auto& kv) {
    return kv.second->state != Connection::State::Closed;
  }));
}

size_t Lcce::session_count() const {
  size_t n = 0;
  for (const auto& [id, c] : conns_) n += c->session ? 1 : 0;
  return n;
}

std::optional<PseudowireSession> Lcce::session(uint16_t interface) const {
  auto it = tunnels_.find(interface);
  if (it == tunnels_.end() || it->second.current == 0) return std::nullopt;
  const Connection& c = *conns_.at(it->second.current);
  if (!c.session || c.session->state != Session::State::Established) return std::nullopt;
  return event(c);
}

std::vector<LcceTunnelStatus> Lcce::status(TimePoint now) const {
  std::vector<LcceTunnelStatus> out;
  for (const auto& [n, t] : tunnels_) {
    LcceTunnelStatus s;
    s.interface = n;
    s.local_addr = t.cfg.local_addr;
    s.peer = L2tpPeer{t.cfg.remote_addr, t.cfg.remote_port, 0};
    if (t.current == 0) {
      if (!t.want_up) continue;  // nothing in use for it
      s.state = "idle";          // always-on, waiting to try again
      out.push_back(std::move(s));
      continue;
    }
    const Connection& c = *conns_.at(t.current);
    s.state = c.state_name();
    s.ccid = c.ccid;
    s.peer_ccid = c.peer_ccid;
    s.peer = c.peer;
    s.peer_vendor = c.peer_vendor;
    s.peer_hostname = c.peer_hostname;
    s.ns = c.tx.next_ns();
    s.nr = c.tx.expected_ns();
    if (c.session) {
      LcceTunnelStatus::Session x;
      x.state = c.session->state_name();
      x.session_id = c.session->id;
      x.peer_session_id = c.session->peer_id;
      x.local_up = c.session->local_up;
      x.peer_up = c.session->peer_up;
      if (c.session->state == Session::State::Established)
        x.seconds = static_cast<long>(
            std::chrono::duration_cast<std::chrono::seconds>(now - c.session->since).count());
      s.sessions.push_back(std::move(x));
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace l2tpgw::cp::l2tp::v3
