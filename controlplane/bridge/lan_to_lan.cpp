// SPDX-License-Identifier: Apache-2.0
// LanToLan: the LCCE's sessions as pseudowire records, its messages as UDP datagrams.
#include "controlplane/bridge/lan_to_lan.hpp"

#include <algorithm>
#include <charconv>

#include "common/byte_writer.hpp"
#include "common/ipv4_text.hpp"
#include "common/wire/ipv4.hpp"
#include "common/wire/udp.hpp"
#include "controlplane/l2tp/v3/tunnel_config.hpp"
#include "controlplane/log/log.hpp"

namespace l2tpgw::cp::bridge {

namespace {

using l2tp::v3::LcceTunnelConfig;
using l2tp::v3::PseudowireSession;

constexpr const char* kBridge = "bridge1";  // the one bridge the dataplane has (--bridge-lan)
constexpr size_t kUdpHeaderLen = 8;

// "tunnel12" -> 12.
std::optional<uint16_t> tunnel_member(const std::string& m) {
  constexpr std::string_view kPrefix = "tunnel";
  if (m.size() <= kPrefix.size() || m.compare(0, kPrefix.size(), kPrefix) != 0) return std::nullopt;
  uint16_t n = 0;
  const char* end = m.data() + m.size();
  auto [p, ec] = std::from_chars(m.data() + kPrefix.size(), end, n);
  if (ec != std::errc() || p != end) return std::nullopt;
  return n;
}

// RFC 768 over IPv4: source port 1701, the checksum over the pseudo-header (a computed zero
// is sent as all ones), or none (zero) when `checksum` is false.
std::vector<uint8_t> udp_datagram(uint32_t src, uint32_t dst, uint16_t dst_port,
                                  std::span<const uint8_t> payload, bool checksum = true) {
  std::vector<uint8_t> udp(kUdpHeaderLen + payload.size());
  ByteWriter w(udp);
  w.be16(wire::kPortL2tp);
  w.be16(dst_port);
  w.be16(static_cast<uint16_t>(udp.size()));
  w.be16(0);
  w.bytes(payload);
  if (!checksum) return udp;
  uint8_t pseudo[12] = {};
  ByteWriter pw(pseudo);
  pw.be32(src);
  pw.be32(dst);
  pw.be16(wire::kIpProtoUdp);
  pw.be16(static_cast<uint16_t>(udp.size()));
  uint16_t sum = wire::fold_checksum(wire::ones_sum(udp.data(), udp.size(), wire::ones_sum(pseudo, sizeof pseudo)));
  if (sum == 0) sum = 0xffff;
  udp[6] = static_cast<uint8_t>(sum >> 8);
  udp[7] = static_cast<uint8_t>(sum);
  return udp;
}

}  // namespace

LanToLan::LanToLan(Installer& installer, LanToLanLink& link, uint32_t wan_addr, l2tp::v3::Lcce::Config cfg)
    : installer_(installer), link_(link), wan_addr_(wan_addr),
      lcce_(std::make_unique<l2tp::v3::Lcce>(static_cast<l2tp::v3::LcceHooks&>(*this), std::move(cfg))) {}

// The LCCE goes first (the members below it are what its hooks touch). Installed pseudowires
// stay: a controlplane that stops must not stop the bridge (DESIGN.md).
LanToLan::~LanToLan() { lcce_.reset(); }

void LanToLan::set_config(const config::Config& c, TimePoint now) {
  bridged_.clear();
  if (auto b = c.bridges.find(kBridge); b != c.bridges.end())
    for (const std::string& m : b->second.members)
      if (auto n = tunnel_member(m)) bridged_.insert(*n);
  std::map<uint16_t, LcceTunnelConfig> next;
  for (LcceTunnelConfig& t : l2tp::v3::lcce_tunnel_configs(c, wan_addr_)) {
    t.circuit_up = !bridged_.contains(t.interface) || lan_up_;
    next.emplace(t.interface, std::move(t));
  }
  for (const auto& [n, old] : tunnels_) {
    if (next.contains(n)) continue;
    lcce_->remove_tunnel(n, now);  // StopCCN; session_down removes its pseudowire
    if (auto a = adopted_.find(n); a != adopted_.end()) {
      installer_.del_pseudowire(a->second);
      ++counters_.pw_removed;
      adopted_.erase(a);
      adopted_peer_.erase(n);
    }
    ipsec_logged_.erase(n);
    logf(LogLevel::Info, "[L2TP] TUNNEL[%u]: removed from the configuration", n);
  }
  tunnels_ = next;
  for (const auto& [n, t] : tunnels_) lcce_->add_tunnel(t, now);  // unchanged ones are left as they are
  // A tunnel that is now `l2tpv3` to a peer whose pairs are already up finds them.
  for (const auto& [n, t] : tunnels_)
    if (t.ipsec && pairs_.contains(t.remote_addr)) lcce_->path_up(n, now);
}

void LanToLan::set_lan_link(bool up, TimePoint now) {
  if (up == lan_up_) return;
  lan_up_ = up;
  for (uint16_t n : bridged_) {
    if (!lcce_->set_circuit_status(n, up, now)) continue;  // no such tunnel
    logf(LogLevel::Info, "[L2TP] TUNNEL[%u]: lan1 link %s: circuit status %s", n, up ? "up" : "down",
         up ? "active" : "inactive");
  }
}

void LanToLan::adopt_installed(TimePoint now) {
  (void)now;
  for (const InstalledPseudowire& p : installer_.pseudowires()) {
    std::optional<uint16_t> owner;
    for (const auto& [n, t] : tunnels_)
      if (t.ipsec == (p.peer_index != 0) && t.remote_addr == p.peer_addr && !installed_.contains(n) &&
          !adopted_.contains(n))
        owner = n;
    if (!owner) {
      logf(LogLevel::Notice, "[L2TP] pseudowire session %u to %s matches no L2TPv3 tunnel of the configuration: left as it is",
           p.session_id, format_ipv4(p.peer_addr).c_str());
      continue;
    }
    adopted_[*owner] = p.session_id;
    if (p.peer_index != 0) adopted_peer_[*owner] = p.peer_index;
    ++counters_.pw_adopted;
    logf(LogLevel::Info, "[L2TP] TUNNEL[%u]: pseudowire session %u from the previous controlplane keeps forwarding until the tunnel's new session replaces it",
         *owner, p.session_id);
  }
}

void LanToLan::on_control(std::span<const uint8_t> datagram, const l2tp::L2tpPeer& from, TimePoint now) {
  ++counters_.control_received;
  if (from.sa_slot != 0) {
    // Protected: only by an SA of the sender's own peering, not another IPsec peer's (a remote
    // access client) speaking for it.
    auto it = pairs_.find(from.addr);
    const bool ours = it != pairs_.end() && std::any_of(it->second.begin(), it->second.end(),
                                                        [&](const IpsecPair& p) { return p.slot_in == from.sa_slot; });
    if (!ours) {
      ++counters_.control_wrong_sa;
      return;
    }
  }
  lcce_->on_control(datagram, from, now);
}

bool LanToLan::ipsec_up(const IpsecPair& p, TimePoint now) {
  std::vector<uint16_t> users;
  for (const auto& [n, t] : tunnels_)
    if (t.ipsec && t.remote_addr == p.peer_addr) users.push_back(n);
  if (users.empty()) return false;
  std::vector<IpsecPair>& v = pairs_[p.peer_addr];
  if (std::any_of(v.begin(), v.end(), [&](const IpsecPair& q) { return q.serial == p.serial; })) return true;
  v.push_back(p);
  ++counters_.ipsec_up;
  for (uint16_t n : users) {
    ipsec_logged_.erase(n);
    if (v.size() > 1) {
      // A rekey (make-before-break): the pseudowire sends through the new pair from now on.
      if (auto it = installed_.find(n); it != installed_.end()) {
        if (installer_.update_pseudowire_sa_out(it->second, p.slot_out)) {
          ++counters_.pw_sa_switched;
        } else {
          ++counters_.pw_sa_switch_failed;
          logf(LogLevel::Warning, "[L2TP] TUNNEL[%u]: pseudowire session %u cannot move to the new IPsec SA (peering %u)",
               n, it->second, p.peer_index);
        }
      }
      continue;
    }
    logf(LogLevel::Info, "[L2TP] TUNNEL[%u]: IPsec SA to %s is up: the control connection goes through it", n,
         format_ipv4(p.peer_addr).c_str());
    lcce_->path_up(n, now);
  }
  return true;
}

bool LanToLan::ipsec_down(const IpsecPair& p, TimePoint now) {
  auto it = pairs_.find(p.peer_addr);
  if (it == pairs_.end()) return false;
  std::vector<IpsecPair>& v = it->second;
  auto pos = std::find_if(v.begin(), v.end(), [&](const IpsecPair& q) { return q.serial == p.serial; });
  if (pos == v.end()) return false;
  const bool was_current = pos + 1 == v.end();
  v.erase(pos);
  ++counters_.ipsec_down;
  for (const auto& [n, t] : tunnels_) {
    if (!t.ipsec || t.remote_addr != p.peer_addr) continue;
    if (!v.empty()) {
      if (!was_current) continue;
      if (auto pw = installed_.find(n); pw != installed_.end()) {
        if (installer_.update_pseudowire_sa_out(pw->second, v.back().slot_out)) ++counters_.pw_sa_switched;
        else ++counters_.pw_sa_switch_failed;
      }
      continue;
    }
    // No way to the peer is left (it deleted its SAs, restarted, or DPD found it dead): the
    // control connection cannot go on, and its pseudowire goes with it. The StopCCN cannot
    // leave (nothing does in the clear); always-on connects again when a new pair comes up.
    ++counters_.ipsec_path_lost;
    logf(LogLevel::Info, "[L2TP] TUNNEL[%u]: IPsec SA to %s is down: the control connection ends", n,
         format_ipv4(p.peer_addr).c_str());
    lcce_->disconnect(n, now);
    if (t.always_on) lcce_->connect(n, now);
  }
  if (v.empty()) pairs_.erase(it);
  return true;
}

const IpsecPair* LanToLan::current_pair(uint16_t interface) const {
  auto t = tunnels_.find(interface);
  if (t == tunnels_.end() || !t->second.ipsec) return nullptr;
  auto it = pairs_.find(t->second.remote_addr);
  return it == pairs_.end() || it->second.empty() ? nullptr : &it->second.back();
}

void LanToLan::remove_orphan_sas(uint32_t peer_index) {
  for (const auto& [addr, v] : pairs_)
    for (const IpsecPair& p : v)
      if (p.peer_index == peer_index) return;  // IKE's own after all
  for (const InstalledSa& sa : installer_.sas()) {
    if (sa.peer_index != peer_index) continue;
    if (installer_.del_sa(sa.slot)) ++counters_.orphan_sas_removed;
  }
}

void LanToLan::on_timer(TimePoint now) { lcce_->on_timer(now); }

std::optional<TimePoint> LanToLan::next_deadline() const { return lcce_->next_deadline(); }

std::vector<l2tp::v3::LcceTunnelStatus> LanToLan::status(TimePoint now) const {
  std::vector<l2tp::v3::LcceTunnelStatus> out = lcce_->status(now);
  for (l2tp::v3::LcceTunnelStatus& t : out) {
    auto it = installed_.find(t.interface);
    if (it == installed_.end()) continue;
    for (auto& s : t.sessions) {
      if (s.session_id != it->second) continue;
      if (auto u = installer_.query_pseudowire(s.session_id)) {
        s.rx_packets = u->rx_packets;
        s.rx_octets = u->rx_octets;
        s.tx_packets = u->tx_packets;
        s.tx_octets = u->tx_octets;
      }
    }
  }
  return out;
}

std::optional<uint32_t> LanToLan::installed(uint16_t interface) const {
  auto it = installed_.find(interface);
  if (it == installed_.end()) return std::nullopt;
  return it->second;
}

void LanToLan::send(uint16_t interface, const l2tp::L2tpPeer& to, std::vector<uint8_t> datagram) {
  auto t = tunnels_.find(interface);
  if (t != tunnels_.end() && t->second.ipsec) {
    // RFC 3193 / seed 001: `l2tpv3` is L2TPv3 inside IPsec, never beside it.
    const IpsecPair* pair = current_pair(interface);
    if (pair == nullptr) {
      ++counters_.ipsec_unavailable;
      if (ipsec_logged_.insert(interface).second)
        logf(LogLevel::Warning, "[L2TP] TUNNEL[%u]: `tunnel encapsulation l2tpv3` waits for an IPsec SA to %s: the "
             "tunnel stays down and nothing is sent in the clear", interface, format_ipv4(to.addr).c_str());
      return;
    }
    // RFC 3948 §3.1.2: a NAT on the path rewrites the addresses a transport-mode UDP checksum
    // covers, where ESP keeps it from being fixed; the receiver must recompute or ignore it.
    // UDP over IPv4 may carry no checksum at all (RFC 768), as the pseudowire's data does, so
    // over a UDP-encapsulated pair none is sent and no receiver is left to cope (DESIGN.md's
    // open point 3, for what we send).
    if (link_.send_esp(pair->slot_out, udp_datagram(wan_addr_, to.addr, to.port, datagram, !pair->natt)))
      ++counters_.control_sent;
    else ++counters_.send_failed;
    return;
  }
  if (link_.send_udp(wan_addr_, to.addr, udp_datagram(wan_addr_, to.addr, to.port, datagram))) ++counters_.control_sent;
  else ++counters_.send_failed;
}

std::optional<uint32_t> LanToLan::reserve_session_id(uint16_t interface) {
  Outcome<uint32_t> id = installer_.reserve_pw_session_id();
  if (!id) {
    ++counters_.pw_session_id_exhausted;
    logf(LogLevel::Warning, "[L2TP] TUNNEL[%u]: no pseudowire session id: %s", interface, id.error.c_str());
    return std::nullopt;
  }
  return id.value;
}

void LanToLan::release_session_id(uint32_t id) {
  // An id add_pseudowire took went back with del_pseudowire (session_down).
  if (spent_.erase(id)) return;
  installer_.release_pw_session_id(id);
}

void LanToLan::log_info(const std::string& line) { log_line(LogLevel::Info, line); }
void LanToLan::log_debug(const std::string& line) { log_line(LogLevel::Debug, line); }

void LanToLan::session_up(const PseudowireSession& s) {
  if (!bridged_.contains(s.interface)) {
    ++counters_.pw_not_bridged;
    logf(LogLevel::Warning, "[L2TP] TUNNEL[%u]: not a member of %s (`bridge member %s lan1 tunnel%u`): its frames go nowhere, the pseudowire is not installed",
         s.interface, kBridge, kBridge, s.interface);
    return;
  }
  const auto t = tunnels_.find(s.interface);
  const IpsecPair* pair = current_pair(s.interface);
  if (t != tunnels_.end() && t->second.ipsec && pair == nullptr) {
    ++counters_.ipsec_unavailable;  // the pair went down under the session: not installed
    return;
  }
  if (auto a = adopted_.find(s.interface); a != adopted_.end()) {
    installer_.del_pseudowire(a->second);
    ++counters_.pw_replaced;
    adopted_.erase(a);
    if (auto ap = adopted_peer_.find(s.interface); ap != adopted_peer_.end()) {
      remove_orphan_sas(ap->second);
      adopted_peer_.erase(ap);
    }
  }
  remove_pseudowire(s.interface);
  tables::PseudowireParams p;
  if (pair != nullptr) {
    p.peer_index = pair->peer_index;
    p.sa_out = pair->slot_out;
  }
  p.session_id = s.session_id;
  p.peer_session_id = s.peer_session_id;
  p.local_addr = wan_addr_;
  p.peer_addr = s.peer.addr;
  p.local_port = wire::kPortL2tp;
  p.peer_port = s.peer.port;
  p.local_cookie = s.cookie.view();
  p.peer_cookie = s.peer_cookie.view();
  p.bridge = 1;
  // The record keeps the sublayer per direction, as §5.4.4 negotiates it.
  p.flags = static_cast<uint8_t>((s.tx_l2_sublayer == l2tp::v3::kL2SublayerDefault ? tables::kPwTxSublayer : 0) |
                                 (s.rx_l2_sublayer == l2tp::v3::kL2SublayerDefault ? tables::kPwRxSublayer : 0));
  Outcome<uint32_t> id = installer_.add_pseudowire(p);
  if (!id) {
    ++counters_.pw_install_failed;
    logf(LogLevel::Error, "[L2TP] TUNNEL[%u]: cannot install pseudowire session %u: %s", s.interface, s.session_id,
         id.error.c_str());
    return;
  }
  installed_[s.interface] = id.value;
  ++counters_.pw_installed;
  logf(LogLevel::Info, "[L2TP] TUNNEL[%u]: pseudowire session %u (peer session %u, %s) bridged with lan1", s.interface,
       id.value, s.peer_session_id, format_ipv4(s.peer.addr).c_str());
}

void LanToLan::session_down(const PseudowireSession& s) {
  auto it = installed_.find(s.interface);
  if (it == installed_.end() || it->second != s.session_id) return;
  remove_pseudowire(s.interface);
}

void LanToLan::remove_pseudowire(uint16_t interface) {
  auto it = installed_.find(interface);
  if (it == installed_.end()) return;
  installer_.del_pseudowire(it->second);
  spent_.insert(it->second);
  ++counters_.pw_removed;
  installed_.erase(it);
}

}  // namespace l2tpgw::cp::bridge
