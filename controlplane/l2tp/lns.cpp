// SPDX-License-Identifier: Apache-2.0
#include "controlplane/l2tp/lns.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>

#include "common/ipv4_text.hpp"
#include "controlplane/ppp/auth/chap_crypto.hpp"

namespace l2tpgw::cp::l2tp {

namespace {

std::string ip(uint32_t host_order) { return format_ipv4(host_order); }

constexpr uint16_t kFramingSync = 1;   // §4.4.3 Framing Capabilities: S bit
constexpr uint16_t kChallengeLen = 16;

// How often `l2tp tunnel disconnect time` looks at the data counters: a quarter of the limit,
// within [1 s, 10 s], so a tunnel is cut at most that long after the limit has passed.
Duration data_poll(Duration limit) {
  return std::clamp<Duration>(limit / 4, std::chrono::seconds(1), std::chrono::seconds(10));
}

}  // namespace

std::vector<uint8_t> challenge_response(uint8_t id, std::string_view secret,
                                        std::span<const uint8_t> challenge) {
  const auto r = ppp::chap_md5_response(id, secret, challenge);  // §4.2: CHAP's MD5 response
  return {r.begin(), r.end()};
}

struct Lns::Session {
  uint16_t id = 0, peer_id = 0;
  enum class State { WaitConnect, Established } state = State::WaitConnect;
  TimePoint deadline{};
};

struct Lns::Tunnel {
  uint16_t id = 0, peer_id = 0;
  TunnelPolicy policy;
  L2tpPeer peer;
  // §7.2.1 (LNS side): idle is "no Tunnel object"; Closed = StopCCN sent or received, kept to
  // acknowledge retransmissions until linger_until.
  enum class State { WaitCtlConn, Established, Closed } state = State::WaitCtlConn;
  ReliableTransport tx;
  std::vector<uint8_t> our_challenge;
  std::string peer_hostname, peer_vendor;
  TimePoint state_deadline{};
  TimePoint hello_deadline{};
  uint16_t hello_left = 0;
  bool rx_since_tick = false;
  // `l2tp tunnel disconnect time`: the data counter last looked at, when it last changed and
  // when to look again.
  uint64_t data_mark = 0;
  TimePoint data_seen{};
  TimePoint data_check{};
  TimePoint linger_until{};
  std::map<uint16_t, Session> sessions;  // by our session id

  explicit Tunnel(ReliableConfig c) : tx(c) {}
  const char* state_name() const {
    switch (state) {
      case State::WaitCtlConn: return "wait_ctl_conn";
      case State::Established: return "established";
      case State::Closed: return "closed";
    }
    return "?";
  }
};

Lns::Lns(LnsHooks& hooks, Config cfg) : hooks_(hooks), cfg_(std::move(cfg)) {}
Lns::~Lns() = default;

std::string Lns::tag(const Tunnel& t) const {
  return "[L2TP] TUNNEL[" + std::to_string(t.policy.interface) + "] ";
}

size_t Lns::tunnel_count() const {
  return static_cast<size_t>(std::count_if(tunnels_.begin(), tunnels_.end(), [](const auto& kv) {
    return kv.second->state != Tunnel::State::Closed;
  }));
}

size_t Lns::session_count() const {
  size_t n = 0;
  for (const auto& [id, t] : tunnels_) n += t->sessions.size();
  return n;
}

Lns::Tunnel* Lns::find_by_peer(const L2tpPeer& peer, uint16_t peer_tunnel_id) {
  for (auto& [id, t] : tunnels_)
    if (t->peer.addr == peer.addr && t->peer.port == peer.port && t->peer_id == peer_tunnel_id)
      return t.get();
  return nullptr;
}

void Lns::debug_avps(const Tunnel& t, const ControlMessage& m) {
  if (!t.policy.syslog) return;
  hooks_.log_debug("[L2TP] recv message AVPs :");
  for (const Avp& a : m.avps) hooks_.log_debug("[L2TP] " + describe(a, m.type, false));
}

void Lns::send(Tunnel& t, ControlBuilder b, TimePoint now) {
  if (t.policy.syslog) {
    hooks_.log_debug("[L2TP] send message AVPs :");
    for (const Avp& a : b.avps()) hooks_.log_debug("[L2TP] set " + describe(a, b.type(), true));
    hooks_.log_debug("[L2TP] send " + std::string(to_string(b.type())) + " to " + ip(t.peer.addr));
  }
  t.tx.send(b, now);
}

void Lns::flush(Tunnel& t) {
  t.tx.flush_ack();
  for (auto& d : t.tx.take_output()) {
    if (t.policy.syslog && d.size() == 12) hooks_.log_debug("[L2TP] send ZLB to " + ip(t.peer.addr));
    hooks_.send(t.peer, std::move(d));
  }
}

void Lns::on_control(std::span<const uint8_t> datagram, const L2tpPeer& peer, TimePoint now) {
  if (datagram.size() < 12) {
    ++stats_.malformed;
    return;
  }
  const uint16_t tid = static_cast<uint16_t>((datagram[4] << 8) | datagram[5]);
  Tunnel* t = nullptr;
  if (tid != 0) {
    auto it = tunnels_.find(tid);
    if (it == tunnels_.end()) {
      ++stats_.unknown_tunnel;
      return;
    }
    t = it->second.get();
    // Only the peer that owns the tunnel (the same IPsec peering, whichever of its SAs after a
    // rekey, or the same address without IPsec).
    const bool owner = peer.sa_slot == 0
                           ? t->peer.sa_slot == 0 && peer.addr == t->peer.addr
                           : t->peer.sa_slot != 0 && hooks_.same_ipsec_peer(peer.sa_slot, t->peer.sa_slot);
    if (!owner) {
      ++stats_.unknown_tunnel;
      return;
    }
  }
  DecodeResult r = decode_control(datagram, t ? std::string_view(t->policy.secret) : "");
  if (!r.msg) {
    ++stats_.malformed;
    return;
  }
  ControlMessage& m = *r.msg;
  if (t == nullptr) {
    if (m.zlb || m.type != MessageType::SCCRQ) {
      ++stats_.unknown_tunnel;
      return;
    }
    // A retransmitted SCCRQ (our SCCRP was lost) belongs to the tunnel it created.
    const auto assigned = m.u16(AvpType::AssignedTunnelId);
    t = assigned ? find_by_peer(peer, *assigned) : nullptr;
    if (t == nullptr) {
      on_sccrq(m, peer, now);
      return;
    }
  }
  t->peer.port = peer.port;  // a NAT may move it; the SA (checked above) vouches for it
  t->peer.addr = peer.addr;
  handle(*t, std::move(m), now);
}

void Lns::handle(Tunnel& t, ControlMessage m, TimePoint now) {
  t.rx_since_tick = true;
  if (m.zlb && t.policy.syslog) hooks_.log_debug("[L2TP] recv ZLB from " + ip(t.peer.addr));
  for (ControlMessage& d : t.tx.receive(std::move(m), now)) {
    if (t.state == Tunnel::State::Closed) continue;  // only acknowledged
    debug_avps(t, d);
    if (const Avp* u = d.unknown_mandatory()) {
      // §4.1: an unknown mandatory AVP ends the tunnel (tunnel messages) or the session.
      ++stats_.unknown_mandatory_avp;
      hooks_.log_debug(tag(t) + "unknown mandatory AVP " + std::to_string(u->type) + " in " +
                       std::string(to_string(d.type)));
      if (is_tunnel_message(d.type) || d.hdr.session_id == 0) {
        stop_tunnel(t, now, static_cast<uint16_t>(StopCcnResult::GeneralError),
                    static_cast<uint16_t>(GeneralError::UnknownMandatoryAvp), "unknown mandatory AVP");
      } else {
        end_session(t, d.hdr.session_id, true, static_cast<uint16_t>(CdnResult::GeneralError),
                    static_cast<uint16_t>(GeneralError::UnknownMandatoryAvp), now);
      }
      continue;
    }
    if (is_tunnel_message(d.type)) on_tunnel_message(t, d, now);
    else on_session_message(t, d, now);
  }
  flush(t);
}

void Lns::on_sccrq(const ControlMessage& m, const L2tpPeer& peer, TimePoint now) {
  const auto peer_tid = m.u16(AvpType::AssignedTunnelId);
  const Avp* version = m.find(AvpType::ProtocolVersion);
  // §6.1: Protocol Version, Host Name, Framing Capabilities and Assigned Tunnel ID are
  // mandatory in SCCRQ.
  if (!peer_tid || *peer_tid == 0 || version == nullptr || !m.find(AvpType::HostName) ||
      !m.find(AvpType::FramingCapabilities)) {
    ++stats_.malformed;
    return;
  }
  auto policy = hooks_.bind_tunnel(peer);
  if (!policy) {
    ++stats_.no_interface;
    hooks_.log_debug("[L2TP] can't find valid pp interface");
    return;
  }
  auto id = hooks_.reserve_tunnel_id();
  if (!id) {
    ++stats_.no_tunnel_id;
    hooks_.unbind_tunnel(policy->interface);
    hooks_.log_debug("[L2TP] no free tunnel id for " + ip(peer.addr));
    return;
  }
  auto t = std::make_unique<Tunnel>(ReliableConfig{cfg_.receive_window});
  Tunnel& tr = *t;
  tr.id = *id;
  tr.peer_id = *peer_tid;
  tr.policy = std::move(*policy);
  tr.peer = peer;
  tr.tx.set_peer_tunnel_id(tr.peer_id);
  tr.tx.set_peer_window(m.u16(AvpType::ReceiveWindowSize).value_or(4));
  if (const Avp* h = m.find(AvpType::HostName)) tr.peer_hostname.assign(h->text());
  if (const Avp* v = m.find(AvpType::VendorName)) tr.peer_vendor.assign(v->text());
  tr.state_deadline = now + cfg_.state_timeout;
  tunnels_.emplace(tr.id, std::move(t));

  // The SCCRQ takes Ns 0 of this connection: deliver it through the transport so that
  // its acknowledgement state is right, then act on it.
  tr.tx.receive(m, now);
  debug_avps(tr, m);
  if (tr.policy.syslog) hooks_.log_debug("[L2TP] recv SCCRQ in idle from " + ip(peer.addr));
  hooks_.log_info(tag(tr) + "connected from " + ip(peer.addr));

  if (m.unknown_mandatory()) {
    ++stats_.unknown_mandatory_avp;
    stop_tunnel(tr, now, static_cast<uint16_t>(StopCcnResult::GeneralError),
                static_cast<uint16_t>(GeneralError::UnknownMandatoryAvp), "unknown mandatory AVP");
    flush(tr);
    return;
  }
  if (version->value.size() != 2 || version->value[0] != 1 || version->value[1] != 0) {
    stop_tunnel(tr, now, static_cast<uint16_t>(StopCcnResult::UnsupportedVersion), 0x0100,
                "unsupported protocol version");
    flush(tr);
    return;
  }
  // §4.2 tunnel authentication. With `l2tp tunnel auth on` both sides prove the secret;
  // without it a peer's Challenge cannot be answered.
  const Avp* challenge = m.find(AvpType::Challenge);
  if ((tr.policy.auth && challenge == nullptr) || (!tr.policy.auth && challenge != nullptr)) {
    ++stats_.auth_failed;
    hooks_.log_info("[L2TP] authentication error tunnel " + std::to_string(tr.id));
    stop_tunnel(tr, now, static_cast<uint16_t>(StopCcnResult::NotAuthorized), std::nullopt,
                "tunnel authentication");
    flush(tr);
    return;
  }

  ControlBuilder b(MessageType::SCCRP, tr.peer_id, 0);
  const uint8_t ver[2] = {1, 0};
  b.bytes(AvpType::ProtocolVersion, ver)
      .u32(AvpType::FramingCapabilities, kFramingSync)
      .u32(AvpType::BearerCapabilities, 0)
      .u16(AvpType::FirmwareRevision, cfg_.firmware_revision, false)
      .text(AvpType::HostName, cfg_.hostname)
      .text(AvpType::VendorName, cfg_.vendor, false)
      .u16(AvpType::AssignedTunnelId, tr.id)
      .u16(AvpType::ReceiveWindowSize, cfg_.receive_window);
  if (tr.policy.auth) {
    b.bytes(AvpType::ChallengeResponse,
            challenge_response(static_cast<uint8_t>(MessageType::SCCRP), tr.policy.secret,
                               challenge->value));
    tr.our_challenge.resize(kChallengeLen);
    RAND_bytes(tr.our_challenge.data(), kChallengeLen);
    b.bytes(AvpType::Challenge, tr.our_challenge);
  }
  send(tr, std::move(b), now);
  flush(tr);
}

void Lns::on_tunnel_message(Tunnel& t, const ControlMessage& m, TimePoint now) {
  const std::string from = " from " + ip(t.peer.addr);
  if (t.policy.syslog) {
    hooks_.log_debug("[L2TP] recv " + std::string(to_string(m.type)) + " in " + t.state_name() + from);
  }
  switch (m.type) {
    case MessageType::SCCCN: {
      if (t.state != Tunnel::State::WaitCtlConn) {
        ++stats_.unexpected;
        return;
      }
      if (t.policy.auth) {
        const Avp* resp = m.find(AvpType::ChallengeResponse);
        const auto want = challenge_response(static_cast<uint8_t>(MessageType::SCCCN),
                                             t.policy.secret, t.our_challenge);
        if (resp == nullptr || resp->value.size() != want.size() ||
            CRYPTO_memcmp(resp->value.data(), want.data(), want.size()) != 0) {
          ++stats_.auth_failed;
          hooks_.log_info("[L2TP] authentication error tunnel " + std::to_string(t.id));
          stop_tunnel(t, now, static_cast<uint16_t>(StopCcnResult::NotAuthorized), std::nullopt,
                      "tunnel authentication");
          return;
        }
      }
      t.state = Tunnel::State::Established;
      ++stats_.tunnels_established;
      t.hello_left = keepalive_count(t);
      t.hello_deadline = now + std::chrono::seconds(t.policy.keepalive_interval);
      t.data_mark = hooks_.data_packets(t.id);
      t.data_seen = now;
      if (t.policy.disconnect_time) t.data_check = now + data_poll(*t.policy.disconnect_time);
      hooks_.log_info(tag(t) + "tunnel " + std::to_string(t.id) + " established");
      return;
    }
    case MessageType::StopCCN:
      close_tunnel(t, now);
      return;
    case MessageType::HELLO:
      return;  // the transport acknowledges it (§6.5)
    default:
      ++stats_.unexpected;  // SCCRQ/SCCRP on an existing tunnel: nothing to do
      return;
  }
}

void Lns::on_session_message(Tunnel& t, const ControlMessage& m, TimePoint now) {
  if (t.policy.syslog) {
    const char* st = "idle";
    if (auto it = t.sessions.find(m.hdr.session_id); it != t.sessions.end())
      st = it->second.state == Session::State::WaitConnect ? "wait_connect" : "established";
    hooks_.log_debug("[L2TP] recv " + std::string(to_string(m.type)) + " in " + st + " from " +
                     ip(t.peer.addr));
  }
  if (t.state != Tunnel::State::Established) {
    ++stats_.unexpected;
    return;
  }
  switch (m.type) {
    case MessageType::ICRQ: {
      const auto peer_sid = m.u16(AvpType::AssignedSessionId);
      // §6.10: Assigned Session ID and Call Serial Number are mandatory.
      if (!peer_sid || *peer_sid == 0 || !m.find(AvpType::CallSerialNumber)) {
        ++stats_.malformed;
        return;
      }
      for (const auto& [id, s] : t.sessions)
        if (s.peer_id == *peer_sid) return;  // the same call again: already answered
      auto sid = hooks_.reserve_session_id();
      if (!sid) {
        ++stats_.no_session_id;
        ControlBuilder cdn(MessageType::CDN, t.peer_id, *peer_sid);
        cdn.result(static_cast<uint16_t>(CdnResult::NoFacilities))
            .u16(AvpType::AssignedSessionId, 0);
        send(t, std::move(cdn), now);
        return;
      }
      Session s;
      s.id = *sid;
      s.peer_id = *peer_sid;
      s.deadline = now + cfg_.state_timeout;
      t.sessions.emplace(s.id, s);
      ControlBuilder icrp(MessageType::ICRP, t.peer_id, s.peer_id);
      icrp.u16(AvpType::AssignedSessionId, s.id);
      send(t, std::move(icrp), now);
      return;
    }
    case MessageType::ICCN: {
      auto it = t.sessions.find(m.hdr.session_id);
      if (it == t.sessions.end() || it->second.state != Session::State::WaitConnect) {
        ++stats_.unexpected;
        return;
      }
      // §6.12: Tx Connect Speed and Framing Type are mandatory; their values do not matter
      // to an LNS that frames PPP over L2TP.
      it->second.state = Session::State::Established;
      ++stats_.sessions_established;
      hooks_.log_info(tag(t) + "session " + std::to_string(it->first) + " established");
      hooks_.session_up({t.policy.interface, t.id, it->first, t.peer_id, it->second.peer_id, t.peer});
      return;
    }
    case MessageType::CDN:
      if (!t.sessions.contains(m.hdr.session_id)) {
        ++stats_.unexpected;
        return;
      }
      end_session(t, m.hdr.session_id, false, 0, std::nullopt, now);
      return;
    default:
      ++stats_.unexpected;  // OCRQ & co: an LNS takes incoming calls only
      return;
  }
}

void Lns::end_session(Tunnel& t, uint16_t session_id, bool send_cdn, uint16_t result,
                      std::optional<uint16_t> error, TimePoint now) {
  auto it = t.sessions.find(session_id);
  if (it == t.sessions.end()) return;
  const Session s = it->second;
  t.sessions.erase(it);
  if (send_cdn && t.state != Tunnel::State::Closed) {
    ControlBuilder cdn(MessageType::CDN, t.peer_id, s.peer_id);
    cdn.result(result, error).u16(AvpType::AssignedSessionId, s.id);
    send(t, std::move(cdn), now);
  }
  if (s.state == Session::State::Established)
    hooks_.session_down({t.policy.interface, t.id, s.id, t.peer_id, s.peer_id, t.peer});
  hooks_.release_session_id(s.id);
  hooks_.log_info(tag(t) + "disconnect session " + std::to_string(s.id) + " complete");
}

void Lns::stop_tunnel(Tunnel& t, TimePoint now, uint16_t result, std::optional<uint16_t> error,
                      const std::string& why) {
  if (t.state == Tunnel::State::Closed) return;
  hooks_.log_info(tag(t) + "disconnecting tunnel " + std::to_string(t.id));
  hooks_.log_debug(tag(t) + "StopCCN: " + why);
  ControlBuilder stop(MessageType::StopCCN, t.peer_id, 0);
  stop.u16(AvpType::AssignedTunnelId, t.id).result(result, error);
  send(t, std::move(stop), now);
  close_tunnel(t, now);
}

void Lns::close_tunnel(Tunnel& t, TimePoint now) {
  if (t.state == Tunnel::State::Closed) return;
  std::vector<uint16_t> ids;
  for (const auto& [id, s] : t.sessions) ids.push_back(id);
  for (uint16_t id : ids) end_session(t, id, false, 0, std::nullopt, now);
  t.state = Tunnel::State::Closed;
  t.linger_until = now + cfg_.linger;
  hooks_.tunnel_closed(t.id);
  hooks_.unbind_tunnel(t.policy.interface);
  hooks_.log_info(tag(t) + "disconnect tunnel " + std::to_string(t.id) + " complete");
}

void Lns::forget(uint16_t tunnel_id) {
  auto it = tunnels_.find(tunnel_id);
  if (it == tunnels_.end()) return;
  hooks_.release_tunnel_id(tunnel_id);
  tunnels_.erase(it);
}

bool Lns::disconnect_tunnel(uint16_t tunnel_id, TimePoint now, uint16_t result) {
  auto it = tunnels_.find(tunnel_id);
  if (it == tunnels_.end() || it->second->state == Tunnel::State::Closed) return false;
  stop_tunnel(*it->second, now, result, std::nullopt, "administrative");
  flush(*it->second);
  return true;
}

bool Lns::drop_tunnel(uint16_t tunnel_id, TimePoint now) {
  auto it = tunnels_.find(tunnel_id);
  if (it == tunnels_.end()) return false;
  close_tunnel(*it->second, now);
  forget(tunnel_id);
  return true;
}

bool Lns::disconnect_session(uint16_t session_id, TimePoint now, uint16_t result) {
  for (auto& [id, t] : tunnels_) {
    if (!t->sessions.contains(session_id)) continue;
    end_session(*t, session_id, true, result, std::nullopt, now);
    flush(*t);
    return true;
  }
  return false;
}

void Lns::peer_rekeyed(uint16_t tunnel_id, uint32_t sa_slot) {
  auto it = tunnels_.find(tunnel_id);
  if (it != tunnels_.end() && it->second->peer.sa_slot != 0) it->second->peer.sa_slot = sa_slot;
}

void Lns::peer_moved(uint32_t sa_slot, uint32_t addr, uint16_t port) {
  for (auto& [id, t] : tunnels_) {
    if (t->peer.sa_slot == sa_slot && sa_slot != 0) {
      t->peer.addr = addr;
      t->peer.port = port;
    }
  }
}

void Lns::on_timer(TimePoint now) {
  std::vector<uint16_t> gone;
  for (auto& [id, tp] : tunnels_) {
    Tunnel& t = *tp;
    if (t.state == Tunnel::State::Closed) {
      // The StopCCN is retransmitted until acknowledged; a peer that never acknowledges it
      // is gone, and so is the reason to linger.
      if (now >= t.linger_until || !t.tx.on_timer(now)) gone.push_back(id);
      flush(t);
      continue;
    }
    if (!t.tx.on_timer(now)) {
      ++stats_.retransmit_failures;
      hooks_.log_info(tag(t) + "disconnecting tunnel " + std::to_string(t.id));
      close_tunnel(t, now);
      t.linger_until = now;  // nobody answers: nothing to linger for
      gone.push_back(id);
      hooks_.peer_unreachable(t.id, t.peer);
      continue;
    }
    if (t.state == Tunnel::State::WaitCtlConn && now >= t.state_deadline) {
      hooks_.log_info("[L2TP] state timer for waiting SCCCN expired");
      stop_tunnel(t, now, static_cast<uint16_t>(StopCcnResult::GeneralError), std::nullopt,
                  "no SCCCN");
    }
    std::vector<uint16_t> stale;
    for (const auto& [sid, s] : t.sessions)
      if (s.state == Session::State::WaitConnect && now >= s.deadline) stale.push_back(sid);
    for (uint16_t sid : stale) {
      hooks_.log_info("[L2TP] state timer for waiting ICCN expired");
      end_session(t, sid, true, static_cast<uint16_t>(CdnResult::Timeout), std::nullopt, now);
    }
    keepalive(t, now);
    disconnect_timer(t, now);
    flush(t);
  }
  for (uint16_t id : gone) forget(id);
}

uint16_t Lns::keepalive_count(const Tunnel& t) {
  return std::max<uint16_t>(t.policy.keepalive_count, 1);
}

// `l2tp keepalive use on INTERVAL COUNT` (§6.5 HELLO): every INTERVAL seconds a HELLO goes out
// unless one is still unacknowledged; when COUNT intervals in a row pass with nothing at all
// from the peer (not even the ZLB for that HELLO), the peer is gone: a client that vanished
// without StopCCN is cut COUNT x INTERVAL after the first HELLO it left unanswered. The
// debug lines count down as the seed's log does (`keepalive timeout count=3` .. `=1`).
void Lns::keepalive(Tunnel& t, TimePoint now) {
  if (t.state != Tunnel::State::Established || !t.policy.keepalive || now < t.hello_deadline) return;
  t.hello_deadline = now + std::chrono::seconds(t.policy.keepalive_interval);
  const bool verbose = t.policy.keepalive_log || t.policy.syslog;
  if (t.rx_since_tick) {
    t.hello_left = keepalive_count(t);
  } else {
    if (verbose) hooks_.log_debug("[L2TP] keepalive timeout count=" + std::to_string(t.hello_left));
    if (t.hello_left > 0) --t.hello_left;
  }
  t.rx_since_tick = false;
  if (t.hello_left == 0) {
    ++stats_.keepalive_timeouts;
    hooks_.log_info("[L2TP] keepalive timer expired tunnel " + std::to_string(t.id));
    stop_tunnel(t, now, static_cast<uint16_t>(StopCcnResult::GeneralError), std::nullopt,
                "keepalive");
    hooks_.peer_unreachable(t.id, t.peer);
    return;
  }
  if (t.tx.all_acknowledged()) {
    send(t, ControlBuilder(MessageType::HELLO, t.peer_id, 0), now);
    if (verbose) hooks_.log_debug("[L2TP] keepalive HELLO send to " + ip(t.peer.addr));
  }
}

// `l2tp tunnel disconnect time N`: cut the tunnel when its sessions carried no data packet for
// N seconds. The dataplane counts the packets; a change between two looks is data.
void Lns::disconnect_timer(Tunnel& t, TimePoint now) {
  if (t.state != Tunnel::State::Established || !t.policy.disconnect_time || now < t.data_check)
    return;
  const Duration limit = *t.policy.disconnect_time;
  const uint64_t packets = hooks_.data_packets(t.id);
  if (packets != t.data_mark) {
    t.data_mark = packets;
    t.data_seen = now;
  }
  if (now - t.data_seen < limit) {
    t.data_check = std::min(now + data_poll(limit), t.data_seen + limit);
    return;
  }
  ++stats_.idle_disconnects;
  hooks_.log_info("[L2TP] disconnect timer expired tunnel " + std::to_string(t.id));
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(limit).count();
  stop_tunnel(t, now, static_cast<uint16_t>(StopCcnResult::GeneralRequest), std::nullopt,
              "no data for " + std::to_string(secs) + " s");
}

std::optional<TimePoint> Lns::next_deadline() const {
  std::optional<TimePoint> d;
  auto consider = [&d](TimePoint p) {
    if (!d || p < *d) d = p;
  };
  for (const auto& [id, tp] : tunnels_) {
    const Tunnel& t = *tp;
    if (auto x = t.tx.next_deadline()) consider(*x);
    if (t.state == Tunnel::State::Closed) {
      consider(t.linger_until);
      continue;
    }
    if (t.state == Tunnel::State::WaitCtlConn) consider(t.state_deadline);
    if (t.state == Tunnel::State::Established && t.policy.keepalive) consider(t.hello_deadline);
    if (t.state == Tunnel::State::Established && t.policy.disconnect_time) consider(t.data_check);
    for (const auto& [sid, s] : t.sessions)
      if (s.state == Session::State::WaitConnect) consider(s.deadline);
  }
  return d;
}

std::vector<L2tpTunnelStatus> Lns::status() const {
  std::vector<L2tpTunnelStatus> out;
  for (const auto& [id, tp] : tunnels_) {
    const Tunnel& t = *tp;
    if (t.state == Tunnel::State::Closed) continue;
    L2tpTunnelStatus s{t.policy.interface, t.state_name(), t.id, t.peer_id, t.peer,
                       t.peer_hostname, t.peer_vendor, t.tx.next_ns(), t.tx.expected_ns(), {}};
    for (const auto& [sid, ss] : t.sessions)
      s.sessions.push_back({sid, ss.peer_id,
                            ss.state == Session::State::WaitConnect ? "wait_connect" : "established"});
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace l2tpgw::cp::l2tp
