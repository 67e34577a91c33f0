// SPDX-License-Identifier: Apache-2.0
// RemoteAccess: the LNS, the PPP sessions and the tables, tied together per client.
#include "controlplane/access/remote_access.hpp"

#include <algorithm>
#include <ctime>

#include "common/byte_writer.hpp"
#include "common/ipv4_text.hpp"
#include "common/tables/records.hpp"
#include "common/wire/udp.hpp"
#include "controlplane/log/log.hpp"

namespace l2tpgw::cp::access {

namespace {

// RFC 2661 §5.4 result codes for the CDN we send when PPP ends the call.
constexpr uint16_t kCdnLostCarrier = 1;   // lower layer gone
constexpr uint16_t kCdnGeneralError = 2;  // see the error code
constexpr uint16_t kCdnAdmin = 3;         // administrative reasons (authentication, policy)
constexpr size_t kUdpHeaderLen = 8;

uint16_t cdn_result(ppp::PppCloseReason r) {
  switch (r) {
    case ppp::PppCloseReason::PeerTerminated:
    case ppp::PppCloseReason::EchoTimeout:
    case ppp::PppCloseReason::LowerLayerDown: return kCdnLostCarrier;
    case ppp::PppCloseReason::LcpNegotiationFailed:
    case ppp::PppCloseReason::IpcpFailed:
    case ppp::PppCloseReason::Loopback: return kCdnGeneralError;
    default: return kCdnAdmin;
  }
}

std::string pp_name(uint16_t pp) {
  return pp == config::kPpAnonymous ? "ANONYMOUS" : std::to_string(pp);
}

}  // namespace

// One L2TP session and the PPP link inside it.
struct RemoteAccess::Call final : ppp::PppSessionListener {
  RemoteAccess& ra;
  uint64_t serial;
  l2tp::LnsHooks::Session l2tp;
  std::shared_ptr<ppp::PpContext> ctx;  // keeps the pp's users and pool while the call lives
  std::unique_ptr<ppp::PppSession> ppp;
  bool installed = false;               // the SessionRecord is published
  bool ending = false;                  // ppp_closed: the CDN is on its way

  Call(RemoteAccess& r, uint64_t s, const l2tp::LnsHooks::Session& ls) : ra(r), serial(s), l2tp(ls) {}
  void ppp_send(uint16_t protocol, std::span<const uint8_t> packet) override {
    ra.ppp_send(*this, protocol, packet);
  }
  void ppp_network_up(const ppp::PppNetworkParams& p) override { ra.ppp_network_up(*this, p); }
  void ppp_network_down() override { ra.ppp_network_down(*this); }
  void ppp_closed(ppp::PppCloseReason reason) override { ra.ppp_closed(*this, reason); }
};

RemoteAccess::RemoteAccess(Installer& installer, ppp::TimerService& timers, ppp::Random& random,
                           RemoteAccessLink& link, std::function<TimePoint()> now)
    : installer_(installer),
      timers_(timers),
      random_(random),
      link_(link),
      now_(std::move(now)),
      lns_(*this, l2tp::Lns::Config{}),
      lns_timer_(timers),
      defer_timer_(timers),
      cfg_(std::make_shared<config::Config>()) {}

RemoteAccess::~RemoteAccess() {
  // PppSession's destructor gives its address and user back without callbacks; the records
  // stay in the dataplane (a restarted controlplane finds them).
  calls_.clear();
}

void RemoteAccess::set_config(const config::Config& cfg) {
  // A pp whose section, DNS servers and LAN address are unchanged keeps its context: its
  // pool goes on knowing which addresses the running sessions hold. A changed pp starts a
  // new context; its running sessions keep the old one (and an address the new pool hands
  // out twice is refused by the tables, which end that call cleanly).
  const uint32_t local = ppp::lan_address(cfg);
  std::map<uint16_t, std::shared_ptr<ppp::PpContext>> next;
  for (const auto& [id, pp] : cfg.pps) {
    auto old = cfg_->pps.find(id);
    auto ctx = contexts_.find(id);
    if (ctx != contexts_.end() && old != cfg_->pps.end() && old->second == pp &&
        cfg_->dns_servers.value == cfg.dns_servers.value && ppp::lan_address(*cfg_) == local) {
      next[id] = ctx->second;
    } else {
      next[id] = std::make_shared<ppp::PpContext>(ppp::ppp_policy(cfg, pp, local), pp.users);
    }
  }
  contexts_ = std::move(next);
  cfg_ = std::make_shared<config::Config>(cfg);
  end_unconfigured_tunnels();
}

// A reload applies to the calls it concerns: a tunnel interface that is gone, disabled, no
// longer L2TP or no longer bound to its pp (or that pp disabled, or the L2TP service off)
// ends its call with StopCCN; every other call goes on as it was.
void RemoteAccess::end_unconfigured_tunnels() {
  const config::Config& cfg = *cfg_;
  auto still_configured = [&](const TunnelState& t) {
    if (!cfg.l2tp_service.value.on || !cfg.l2tp_service.value.l2tpv2) return false;
    auto tc = cfg.tunnels.find(t.interface);
    if (tc == cfg.tunnels.end() || !tc->second.enabled.value ||
        tc->second.encapsulation.value != config::TunnelEncapsulation::L2tp)
      return false;
    auto pp = cfg.pps.find(t.pp);
    return pp != cfg.pps.end() && pp->second.enabled.value &&
           std::find(pp->second.bind.value.begin(), pp->second.bind.value.end(), t.interface) !=
               pp->second.bind.value.end();
  };
  std::vector<std::pair<uint16_t, uint16_t>> doomed;  // (tunnel id, interface)
  for (const auto& [id, t] : tunnels_)
    if (!still_configured(t)) doomed.emplace_back(id, t.interface);
  for (const auto& [id, interface] : doomed) {
    if (!lns_.disconnect_tunnel(id, now_())) continue;
    ++counters_.reload_disconnects;
    logf(LogLevel::Info, "[L2TP] TUNNEL[%u] is no longer configured for L2TP: disconnecting tunnel %u",
         interface, id);
  }
  if (!doomed.empty()) rearm();
}

// ---- IPsec pairs

void RemoteAccess::ipsec_up(const IpsecPair& p) {
  pairs_[p.slot_in] = p;
  peer_of_slot_[p.slot_in] = p.peer_index;
  auto prev = latest_.find(p.peer_index);
  const bool rekey = prev != latest_.end() && prev->second.slot_out != p.slot_out;
  latest_[p.peer_index] = p;
  if (!rekey) return;
  // Make-before-break: both outbound SAs are valid now; the tunnels move to the new one.
  counters_.rekeys += rebind_tunnels(p);
}

size_t RemoteAccess::rebind_tunnels(const IpsecPair& p) {
  size_t moved = 0;
  for (auto& [id, t] : tunnels_) {
    if (t.peer_index != p.peer_index) continue;
    t.peer.sa_slot = p.slot_in;
    lns_.peer_rekeyed(id, p.slot_in);
    if (t.installed && installer_.update_tunnel_sa_out(id, p.slot_out)) ++moved;
  }
  return moved;
}

void RemoteAccess::ipsec_down(const IpsecPair& p) {
  pairs_.erase(p.slot_in);
  auto latest = latest_.find(p.peer_index);
  if (latest != latest_.end() && latest->second.slot_in == p.slot_in) {
    // Another pair of the same peering takes over, if there is one.
    auto other = std::find_if(pairs_.begin(), pairs_.end(),
                              [&](const auto& kv) { return kv.second.peer_index == p.peer_index; });
    if (other != pairs_.end()) {
      latest->second = other->second;
      rebind_tunnels(other->second);
      return;
    }
    latest_.erase(latest);
  } else if (latest != latest_.end()) {
    return;  // an older pair went; the newest carries on
  }
  // The client's last SA is gone (Delete, DPD, lifetime): its L2TP and PPP go too, at once:
  // no StopCCN (nothing carries it), and no lingering tunnel whose SA slot another client
  // may be given next.
  std::vector<uint16_t> doomed;
  for (const auto& [id, t] : tunnels_)
    if (t.peer_index == p.peer_index || t.peer.sa_slot == p.slot_in) doomed.push_back(id);
  for (uint16_t id : doomed) lns_.drop_tunnel(id, now_());
  std::erase_if(peer_of_slot_, [&](const auto& kv) { return kv.second == p.peer_index; });
  rearm();
}

bool RemoteAccess::same_ipsec_peer(uint32_t a, uint32_t b) {
  if (a == b) return true;
  // A slot another client's SA took since is that client's (ipsec_up rebinds it).
  auto pa = pair_for(a), pb = pair_for(b);
  return pa && pb && pa->peer_index == pb->peer_index;
}

std::optional<IpsecPair> RemoteAccess::pair_for(uint32_t slot_in) {
  if (slot_in == 0) return std::nullopt;
  auto peer = peer_of_slot_.find(slot_in);
  if (peer != peer_of_slot_.end()) {
    auto it = latest_.find(peer->second);
    if (it != latest_.end()) return it->second;
  }
  // Not told by IKE (the controlplane restarted under established SAs): the tables know
  // which outbound SA shares the inbound one's peering.
  std::optional<uint32_t> peer_index;
  const std::vector<InstalledSa> sas = installer_.sas();
  for (const InstalledSa& sa : sas)
    if (sa.slot == slot_in && sa.direction == tables::SaDirection::Inbound) peer_index = sa.peer_index;
  if (!peer_index) return std::nullopt;
  for (const InstalledSa& sa : sas) {
    if (sa.direction == tables::SaDirection::Outbound && sa.peer_index == *peer_index) {
      IpsecPair p{*peer_index, slot_in, sa.slot};
      pairs_[slot_in] = p;
      peer_of_slot_[slot_in] = p.peer_index;
      latest_.try_emplace(p.peer_index, p);
      return latest_[p.peer_index];
    }
  }
  return std::nullopt;
}

// ---- Input

void RemoteAccess::on_l2tp_control(std::span<const uint8_t> message, const l2tp::L2tpPeer& peer) {
  ++counters_.l2tp_received;
  lns_.on_control(message, peer, now_());
  rearm();
}

void RemoteAccess::on_ppp(uint16_t tunnel_id, uint16_t session_id, uint32_t sa_slot,
                          uint16_t protocol, std::span<const uint8_t> packet) {
  auto it = calls_.find(session_id);
  if (it == calls_.end() || it->second->l2tp.tunnel_id != tunnel_id || !it->second->ppp) {
    ++counters_.ppp_unknown_session;
    return;
  }
  Call& c = *it->second;
  // The dataplane hands up PPP of sessions it has no record for yet by the header's ids:
  // only the client whose SAs carry the tunnel may speak for it.
  if (!same_ipsec_peer(sa_slot, c.l2tp.peer.sa_slot)) {
    ++counters_.ppp_wrong_peer;
    return;
  }
  ++counters_.ppp_received;
  c.ppp->input(protocol, packet);
}

void RemoteAccess::shutdown() {
  std::vector<uint16_t> ids;
  for (const auto& [id, t] : tunnels_) ids.push_back(id);
  for (uint16_t id : ids) lns_.disconnect_tunnel(id, now_());
  rearm();
}

// ---- LnsHooks

std::optional<l2tp::TunnelPolicy> RemoteAccess::bind_tunnel(const l2tp::L2tpPeer& peer) {
  const config::Config& cfg = *cfg_;
  if (!cfg.l2tp_service.value.on || !cfg.l2tp_service.value.l2tpv2) {
    log_info("[L2TP] l2tp service is off: refusing the control connection from " + format_ipv4(peer.addr));
    return std::nullopt;
  }
  // `pp bind tunnelN` of a pp with a fixed peer (tunnel endpoint address) first, then the
  // anonymous pp's free tunnels in the order `pp bind` lists them.
  auto usable = [&](uint16_t n) {
    auto t = cfg.tunnels.find(n);
    return t != cfg.tunnels.end() && t->second.enabled.value &&
           t->second.encapsulation.value == config::TunnelEncapsulation::L2tp &&
           !interfaces_in_use_.contains(n);
  };
  std::optional<std::pair<uint16_t, uint16_t>> chosen;  // (tunnel, pp)
  for (const auto& [id, pp] : cfg.pps) {
    if (id == config::kPpAnonymous || !pp.enabled.value) continue;
    for (uint16_t n : pp.bind.value) {
      const auto& ep = cfg.tunnels.count(n) ? cfg.tunnels.at(n).endpoint.value : std::nullopt;
      if (usable(n) && ep && ep->remote.value == peer.addr) chosen = {n, id};
    }
  }
  auto anon = cfg.pps.find(config::kPpAnonymous);
  if (!chosen && anon != cfg.pps.end() && anon->second.enabled.value) {
    for (uint16_t n : anon->second.bind.value) {
      if (usable(n)) {
        chosen = {n, config::kPpAnonymous};
        break;
      }
    }
  }
  if (!chosen) {
    ++counters_.no_interface;
    log_info("[L2TP] no free tunnel for " + format_ipv4(peer.addr) +
             ": it is no numbered pp's tunnel endpoint address, and no tunnel bound to pp "
             "anonymous is free (pp bind): the control connection is refused");
    return std::nullopt;
  }
  const config::TunnelConfig& tc = cfg.tunnels.at(chosen->first);
  l2tp::TunnelPolicy p;
  p.interface = chosen->first;
  p.auth = tc.l2tp_tunnel_auth.value.on;
  p.secret = tc.l2tp_tunnel_auth.value.password.reveal();
  p.keepalive = tc.l2tp_keepalive.value.on;
  p.keepalive_interval = tc.l2tp_keepalive.value.interval;
  p.keepalive_count = tc.l2tp_keepalive.value.count;
  p.keepalive_log = tc.l2tp_keepalive_log.value;
  if (const auto& idle = tc.l2tp_disconnect_time.value)  // nullopt: `off`
    p.disconnect_time = std::chrono::seconds(*idle);
  p.syslog = tc.l2tp_syslog.value;
  interfaces_in_use_.insert(p.interface);
  // reserve_tunnel_id() follows at once (Lns::on_sccrq) and picks this up.
  TunnelState pending;
  pending.interface = p.interface;
  pending.pp = chosen->second;
  pending.peer = peer;
  if (auto pair = pair_for(peer.sa_slot)) pending.peer_index = pair->peer_index;
  pending_tunnel_ = pending;
  return p;
}

void RemoteAccess::unbind_tunnel(uint16_t interface) { interfaces_in_use_.erase(interface); }

std::optional<uint16_t> RemoteAccess::reserve_tunnel_id() {
  std::optional<TunnelState> pending = std::exchange(pending_tunnel_, std::nullopt);
  Outcome<uint16_t> id = installer_.reserve_tunnel_id();
  if (!id) {
    logf(LogLevel::Warning, "[L2TP] cannot reserve a tunnel id: %s", id.error.c_str());
    return std::nullopt;
  }
  if (pending) tunnels_[id.value] = *pending;
  return id.value;
}

void RemoteAccess::release_tunnel_id(uint16_t id) {
  auto it = tunnels_.find(id);
  const bool installed = it != tunnels_.end() && it->second.installed;
  if (it != tunnels_.end()) tunnels_.erase(it);
  // Installed under its reserved id: deleting the record frees the id after the grace period.
  if (installed) installer_.del_tunnel(id);
  else installer_.release_tunnel_id(id);
}

std::optional<uint16_t> RemoteAccess::reserve_session_id() {
  Outcome<uint16_t> id = installer_.reserve_session_id();
  if (!id) {
    logf(LogLevel::Warning, "[L2TP] cannot reserve a session id: %s", id.error.c_str());
    return std::nullopt;
  }
  return id.value;
}

void RemoteAccess::release_session_id(uint16_t id) {
  auto it = calls_.find(id);
  if (it != calls_.end() && it->second->installed) {
    installer_.del_session(id);
    ++counters_.sessions_removed;
    it->second->installed = false;
  } else {
    installer_.release_session_id(id);
  }
}

void RemoteAccess::send(const l2tp::L2tpPeer& peer, std::vector<uint8_t> datagram) {
  if (send_udp(peer, datagram)) ++counters_.l2tp_sent;
}

bool RemoteAccess::send_udp(const l2tp::L2tpPeer& peer, std::span<const uint8_t> payload) {
  auto pair = pair_for(peer.sa_slot);
  if (!pair) {
    ++counters_.send_no_sa;
    return false;
  }
  // RFC 768 with checksum 0 (none): ESP's ICV protects the datagram, and behind a NAT the
  // client could not verify a checksum over our view of its address anyway (RFC 3948 §3.1.2).
  std::vector<uint8_t> udp(kUdpHeaderLen + payload.size());
  ByteWriter w(udp);
  w.be16(wire::kPortL2tp);
  w.be16(peer.port);
  w.be16(static_cast<uint16_t>(udp.size()));
  w.be16(0);
  w.bytes(payload);
  if (!w.ok() || udp.size() > 0xffff || !link_.send_esp(pair->slot_out, std::move(udp))) {
    ++counters_.send_failed;
    return false;
  }
  return true;
}

void RemoteAccess::log_info(const std::string& line) { log_line(LogLevel::Info, line); }
void RemoteAccess::log_debug(const std::string& line) { log_line(LogLevel::Debug, line); }

void RemoteAccess::session_up(const Session& s) {
  auto t = tunnels_.find(s.tunnel_id);
  if (t == tunnels_.end()) return;  // cannot happen: the tunnel was reserved through us
  t->second.peer_tunnel_id = s.peer_tunnel_id;
  t->second.peer = s.peer;
  auto ctx = contexts_.find(t->second.pp);
  if (ctx == contexts_.end()) {
    log_info("[L2TP] TUNNEL[" + std::to_string(s.interface) + "] pp " + pp_name(t->second.pp) +
             " is no longer configured: session " + std::to_string(s.session_id) + " refused");
    const uint16_t sid = s.session_id;
    defer([this, sid] { lns_.disconnect_session(sid, now_(), kCdnAdmin); });
    return;
  }
  auto call = std::make_unique<Call>(*this, ++next_call_serial_, s);
  call->ctx = ctx->second;
  Call& c = *call;
  calls_[s.session_id] = std::move(call);
  c.ppp = std::make_unique<ppp::PppSession>(
      *c.ctx, timers_, random_, c,
      "PP[" + pp_name(t->second.pp) + "] TUNNEL[" + std::to_string(s.interface) + "] session " +
          std::to_string(s.session_id));
  c.ppp->start();
}

void RemoteAccess::session_down(const Session& s) {
  auto it = calls_.find(s.session_id);
  if (it == calls_.end()) return;
  Call& c = *it->second;
  if (c.ppp && !c.ppp->finished()) {
    c.ending = true;  // lower_down() reports ppp_closed: no CDN of our own any more
    c.ppp->lower_down();
  }
  if (c.installed) {
    installer_.retire_session(s.session_id);  // release_session_id follows and frees the id
    ++counters_.sessions_removed;
    c.installed = false;
  }
  calls_.erase(it);  // not inside a PppSession callback: the Lns called us
}

void RemoteAccess::tunnel_closed(uint16_t tunnel_id) {
  // The record goes now (`show status l2tp` and the tables forget the tunnel with its
  // control connection); the id comes back with release_tunnel_id when the LNS forgets it.
  auto t = tunnels_.find(tunnel_id);
  if (t == tunnels_.end() || !t->second.installed) return;
  installer_.retire_tunnel(tunnel_id);
  t->second.installed = false;
}

uint64_t RemoteAccess::data_packets(uint16_t tunnel_id) {
  // The dataplane's per-session counters (what `show status pp` shows): IPv4 forwarded
  // upstream (ip_forward) and downstream (l2tp_encap). PPP control is punted, never counted.
  uint64_t packets = 0;
  for (const auto& [sid, c] : calls_) {
    if (c->l2tp.tunnel_id != tunnel_id || !c->installed) continue;
    if (auto u = installer_.query_session(sid)) packets += u->rx_packets + u->tx_packets;
  }
  return packets;
}

void RemoteAccess::peer_unreachable(uint16_t tunnel_id, const l2tp::L2tpPeer& peer) {
  std::optional<uint32_t> peer_index;
  if (auto t = tunnels_.find(tunnel_id); t != tunnels_.end() && t->second.peer_index != 0)
    peer_index = t->second.peer_index;
  else if (auto pair = pair_for(peer.sa_slot))
    peer_index = pair->peer_index;
  if (!peer_index) return;  // plain L2TP: nothing else carries the client
  // Another open tunnel of the same client still speaks for its SAs.
  for (const l2tp::L2tpTunnelStatus& s : lns_.status()) {
    auto t = tunnels_.find(s.tunnel_id);
    if (s.tunnel_id != tunnel_id && t != tunnels_.end() && t->second.peer_index == *peer_index) return;
  }
  ++counters_.peers_dropped;
  logf(LogLevel::Info, "[L2TP] %s does not answer: its IPsec SAs go with its tunnel %u",
       format_ipv4(peer.addr).c_str(), tunnel_id);
  const uint32_t index = *peer_index;
  defer([this, index] {
    if (drop_peer_) drop_peer_(index);
  });
}

// ---- PPP

void RemoteAccess::ppp_send(Call& c, uint16_t protocol, std::span<const uint8_t> packet) {
  // RFC 2661 §3.1 data message: T=0, L=0, S=0, O=0, P=0, Ver=2; the peer's ids.
  const std::vector<uint8_t> frame = ppp::frame_ppp(protocol, packet);
  std::vector<uint8_t> msg(6 + frame.size());
  ByteWriter w(msg);
  w.be16(0x0002);
  w.be16(c.l2tp.peer_tunnel_id);
  w.be16(c.l2tp.peer_session_id);
  w.bytes(frame);
  if (send_udp(c.l2tp.peer, msg)) ++counters_.ppp_sent;
}

uint16_t RemoteAccess::tcp_mss_for(uint16_t interface, uint16_t mtu) const {
  auto t = cfg_->tunnels.find(interface);
  if (t == cfg_->tunnels.end()) return 0;
  const config::TcpMssLimit& l = t->second.tcp_mss_limit.value;
  switch (l.mode) {
    case config::TcpMssMode::Off: return 0;
    case config::TcpMssMode::Auto: return mtu > 40 ? static_cast<uint16_t>(mtu - 40) : 0;  // IPv4 + TCP headers
    case config::TcpMssMode::Fixed: return l.mss;
  }
  return 0;
}

bool RemoteAccess::ensure_tunnel(uint16_t tunnel_id, TunnelState& t) {
  if (t.installed) return true;
  auto pair = pair_for(t.peer.sa_slot);
  if (!pair) {
    logf(LogLevel::Warning, "[L2TP] TUNNEL[%u] tunnel %u: no IPsec SA for the client: not installed",
         t.interface, tunnel_id);
    return false;
  }
  t.peer_index = pair->peer_index;
  tables::TunnelParams p;
  p.id = tunnel_id;
  p.peer_index = pair->peer_index;
  p.sa_out = pair->slot_out;
  p.peer_tunnel_id = t.peer_tunnel_id;
  p.local_port = wire::kPortL2tp;
  p.peer_port = t.peer.port;
  p.peer_addr = t.peer.addr;
  Outcome<uint16_t> r = installer_.add_tunnel(p);
  if (!r) {
    logf(LogLevel::Error, "[L2TP] TUNNEL[%u] tunnel %u: cannot install: %s", t.interface, tunnel_id,
         r.error.c_str());
    return false;
  }
  t.installed = true;
  return true;
}

void RemoteAccess::ppp_network_up(Call& c, const ppp::PppNetworkParams& n) {
  auto t = tunnels_.find(c.l2tp.tunnel_id);
  bool ok = t != tunnels_.end() && ensure_tunnel(t->first, t->second);
  if (ok) {
    tables::SessionParams p;
    p.id = c.l2tp.session_id;
    p.tunnel_id = c.l2tp.tunnel_id;
    p.peer_session_id = c.l2tp.peer_session_id;
    p.client_addr = n.client_address;
    p.mtu = n.mtu;
    p.tcp_mss = tcp_mss_for(c.l2tp.interface, n.mtu);
    p.ppp_tx_flags = static_cast<uint8_t>((n.peer_acfc ? tables::kPppTxAcfc : 0) |
                                          (n.peer_pfc ? tables::kPppTxPfc : 0));
    p.installed_at = static_cast<uint32_t>(std::time(nullptr));
    Outcome<uint16_t> r = installer_.add_session(p);
    if (r) {
      c.installed = true;
      ++counters_.sessions_installed;
      return;
    }
    logf(LogLevel::Error, "[L2TP] TUNNEL[%u] session %u: cannot install client %s: %s",
         c.l2tp.interface, c.l2tp.session_id, format_ipv4(n.client_address).c_str(), r.error.c_str());
  }
  // A call that cannot forward is ended, not left half up. Not from inside PPP's callback.
  ++counters_.install_failed;
  const uint64_t serial = c.serial;
  const uint16_t sid = c.l2tp.session_id;
  defer([this, serial, sid] {
    auto it = calls_.find(sid);
    if (it != calls_.end() && it->second->serial == serial && it->second->ppp)
      it->second->ppp->close(ppp::PppCloseReason::AddressUnavailable);
  });
}

void RemoteAccess::ppp_network_down(Call& c) {
  if (!c.installed) return;
  installer_.retire_session(c.l2tp.session_id);  // the peer still names this id
  ++counters_.sessions_removed;
  c.installed = false;
}

void RemoteAccess::ppp_closed(Call& c, ppp::PppCloseReason reason) {
  if (c.ending) return;  // the L2TP session is already going (session_down)
  c.ending = true;
  // PPP is over: end the L2TP session with CDN, from the loop (we are inside PppSession).
  const uint64_t serial = c.serial;
  const uint16_t sid = c.l2tp.session_id;
  const uint16_t result = cdn_result(reason);
  defer([this, serial, sid, result] {
    auto it = calls_.find(sid);
    if (it == calls_.end() || it->second->serial != serial) return;
    lns_.disconnect_session(sid, now_(), result);  // session_down erases the call
  });
}

// ---- Show

std::vector<PpSessionStatus> RemoteAccess::pp_status() const {
  std::vector<PpSessionStatus> out;
  for (const auto& [sid, c] : calls_) {
    if (!c->ppp) continue;
    PpSessionStatus s;
    if (auto t = tunnels_.find(c->l2tp.tunnel_id); t != tunnels_.end()) s.pp = t->second.pp;
    s.interface = c->l2tp.interface;
    s.tunnel_id = c->l2tp.tunnel_id;
    s.session_id = sid;
    s.phase = std::string(ppp::to_string(c->ppp->phase()));
    s.username = c->ppp->username();
    s.network_up = c->ppp->network_up();
    s.network = c->ppp->network();
    s.options = c->ppp->option_names();
    out.push_back(std::move(s));
  }
  return out;
}

std::map<uint16_t, uint16_t> RemoteAccess::numbered_pp_tunnels() const {
  std::map<uint16_t, uint16_t> out;
  for (const auto& [id, t] : tunnels_)
    if (t.pp != config::kPpAnonymous) out[id] = t.pp;
  return out;
}

void RemoteAccess::defer(std::function<void()> action) {
  deferred_.push_back(std::move(action));
  if (defer_timer_.armed()) return;
  defer_timer_.arm(Duration::zero(), [this] {
    while (!deferred_.empty()) {
      std::function<void()> a = std::move(deferred_.front());
      deferred_.pop_front();
      a();
    }
    rearm();
  });
}

void RemoteAccess::rearm() {
  auto next = lns_.next_deadline();
  if (!next) {
    lns_timer_.cancel();
    return;
  }
  lns_timer_.arm(std::max(Duration::zero(), *next - now_()), [this] {
    lns_.on_timer(now_());
    rearm();
  });
}

}  // namespace l2tpgw::cp::access
