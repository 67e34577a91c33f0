// SPDX-License-Identifier: Apache-2.0
// FakeInstaller: maps instead of shared memory, the same refusals as TableWriter.
#include "controlplane/install/fake_installer.hpp"

#include <algorithm>

namespace l2tpgw::cp {

bool FakeInstaller::take_failure(Op op, std::string* why) {
  auto it = failures_.find(op);
  if (it == failures_.end()) return false;
  *why = it->second;
  failures_.erase(it);
  calls_.push_back({op, 0});
  return true;
}

uint32_t FakeInstaller::free_id(const std::set<uint32_t>& used) const {
  for (uint32_t id = 1; id <= capacity_; ++id)
    if (!used.contains(id)) return id;
  return 0;
}

Outcome<uint32_t> FakeInstaller::alloc_spi() {
  std::string why;
  if (take_failure(Op::AllocSpi, &why)) return Outcome<uint32_t>::fail(why);
  std::set<uint32_t> used;
  for (const auto& [slot, sa] : sas_) used.insert(slot);
  for (uint32_t spi : reserved_) used.insert(tables::spi_slot(spi));
  const uint32_t slot = free_id(used);
  if (!slot) {
    calls_.push_back({Op::AllocSpi, 0});
    return Outcome<uint32_t>::fail("SA table full");
  }
  const uint32_t spi = tables::make_spi(next_tag_++, slot);
  reserved_.insert(spi);
  calls_.push_back({Op::AllocSpi, spi});
  return {spi, {}};
}

bool FakeInstaller::release_spi(uint32_t spi) {
  std::string why;
  if (take_failure(Op::ReleaseSpi, &why)) return false;
  const bool ok = reserved_.erase(spi) != 0;
  calls_.push_back({Op::ReleaseSpi, ok ? spi : 0});
  return ok;
}

Outcome<uint32_t> FakeInstaller::add_sa(const tables::SaParams& p) {
  std::string why;
  if (take_failure(Op::AddSa, &why)) return Outcome<uint32_t>::fail(why);
  auto refuse = [&](const char* e) {
    calls_.push_back({Op::AddSa, 0});
    return Outcome<uint32_t>::fail(e);
  };
  if (!esp_pair_allowed(p.cipher, p.auth)) return refuse("cipher/integrity pair not allowed");
  if (p.direction == tables::SaDirection::Outbound && p.spi <= 255)
    return refuse("outbound SPI must be > 255 (RFC 4303 §2.1)");
  uint32_t slot = 0, spi = p.spi;
  if (p.direction == tables::SaDirection::Inbound && p.spi != 0) {
    if (!reserved_.erase(p.spi)) return refuse("inbound SPI was not reserved with alloc_spi");
    slot = tables::spi_slot(p.spi);
  } else {
    std::set<uint32_t> used;
    for (const auto& [s, sa] : sas_) used.insert(s);
    for (uint32_t r : reserved_) used.insert(tables::spi_slot(r));
    slot = free_id(used);
    if (!slot) return refuse("SA table full");
    if (p.direction == tables::SaDirection::Inbound) spi = tables::make_spi(next_tag_++, slot);
  }
  InstalledSa s;
  s.slot = slot;
  s.direction = p.direction;
  s.spi = spi;
  s.peer_index = p.peer_index;
  s.natt = p.natt;
  s.replay_window = p.replay_window;
  s.local_addr = p.local_addr;
  s.peer_addr = p.peer_addr;
  s.local_port = p.local_port;
  s.peer_port = p.peer_port;
  s.cipher = p.cipher;
  s.auth = p.auth;
  sas_[slot] = s;
  calls_.push_back({Op::AddSa, slot});
  return {slot, {}};
}

bool FakeInstaller::del_sa(uint32_t slot) {
  std::string why;
  if (take_failure(Op::DelSa, &why)) return false;
  const bool ok = sas_.erase(slot) != 0;
  sa_usage_.erase(slot);
  calls_.push_back({Op::DelSa, ok ? slot : 0});
  return ok;
}

std::optional<SaUsage> FakeInstaller::query_sa(uint32_t slot) const {
  if (!sas_.contains(slot)) return std::nullopt;
  auto it = sa_usage_.find(slot);
  return it == sa_usage_.end() ? SaUsage{} : it->second;
}

Outcome<uint16_t> FakeInstaller::reserve_tunnel_id() {
  std::string why;
  if (take_failure(Op::ReserveTunnelId, &why)) return Outcome<uint16_t>::fail(why);
  std::set<uint32_t> used = reserved_tunnels_;
  for (const auto& [id, t] : tunnels_) used.insert(id);
  const uint16_t id = static_cast<uint16_t>(free_id(used));
  calls_.push_back({Op::ReserveTunnelId, id});
  if (!id) return Outcome<uint16_t>::fail("L2TP tunnel table full");
  reserved_tunnels_.insert(id);
  return {id, {}};
}

bool FakeInstaller::release_tunnel_id(uint16_t id) {
  const bool ok = reserved_tunnels_.erase(id) != 0;
  calls_.push_back({Op::ReleaseTunnelId, ok ? id : 0u});
  return ok;
}

Outcome<uint16_t> FakeInstaller::reserve_session_id() {
  std::string why;
  if (take_failure(Op::ReserveSessionId, &why)) return Outcome<uint16_t>::fail(why);
  std::set<uint32_t> used = reserved_sessions_;
  for (const auto& [id, s] : sessions_) used.insert(id);
  const uint16_t id = static_cast<uint16_t>(free_id(used));
  calls_.push_back({Op::ReserveSessionId, id});
  if (!id) return Outcome<uint16_t>::fail("L2TP session table full");
  reserved_sessions_.insert(id);
  return {id, {}};
}

bool FakeInstaller::release_session_id(uint16_t id) {
  const bool ok = reserved_sessions_.erase(id) != 0;
  calls_.push_back({Op::ReleaseSessionId, ok ? id : 0u});
  return ok;
}

Outcome<uint16_t> FakeInstaller::add_tunnel(const tables::TunnelParams& p) {
  std::string why;
  if (take_failure(Op::AddTunnel, &why)) return Outcome<uint16_t>::fail(why);
  if (p.sa_out != 0) {
    auto it = sas_.find(p.sa_out);
    if (it == sas_.end() || it->second.direction != tables::SaDirection::Outbound ||
        it->second.peer_index != p.peer_index) {
      calls_.push_back({Op::AddTunnel, 0});
      return Outcome<uint16_t>::fail("tunnel's outbound SA is not an installed outbound SA of this peer");
    }
  }
  if (p.id != 0 && !reserved_tunnels_.contains(p.id)) {
    calls_.push_back({Op::AddTunnel, 0});
    return Outcome<uint16_t>::fail("tunnel id was not reserved with reserve_tunnel_id");
  }
  std::set<uint32_t> used = reserved_tunnels_;
  for (const auto& [id, t] : tunnels_) used.insert(id);
  const uint16_t id = p.id != 0 ? p.id : static_cast<uint16_t>(free_id(used));
  if (!id) {
    calls_.push_back({Op::AddTunnel, 0});
    return Outcome<uint16_t>::fail("L2TP tunnel table full");
  }
  reserved_tunnels_.erase(id);
  InstalledTunnel t;
  t.id = id;
  t.peer_index = p.peer_index;
  t.sa_out = p.sa_out;
  t.peer_tunnel_id = p.peer_tunnel_id;
  t.local_port = p.local_port;
  t.peer_port = p.peer_port;
  t.local_addr = p.local_addr;
  t.peer_addr = p.peer_addr;
  tunnels_[id] = t;
  calls_.push_back({Op::AddTunnel, id});
  return {id, {}};
}

bool FakeInstaller::update_tunnel_sa_out(uint16_t tunnel_id, uint32_t sa_slot) {
  std::string why;
  if (take_failure(Op::UpdateTunnelSaOut, &why)) return false;
  auto t = tunnels_.find(tunnel_id);
  auto sa = sas_.find(sa_slot);
  const bool ok = t != tunnels_.end() && sa != sas_.end() &&
                  sa->second.direction == tables::SaDirection::Outbound &&
                  sa->second.peer_index == t->second.peer_index;
  if (ok) t->second.sa_out = sa_slot;
  calls_.push_back({Op::UpdateTunnelSaOut, ok ? tunnel_id : 0u});
  return ok;
}

bool FakeInstaller::tunnel_has_sessions(uint16_t tunnel_id) const {
  return std::any_of(sessions_.begin(), sessions_.end(),
                     [&](const auto& s) { return s.second.tunnel_id == tunnel_id; });
}

bool FakeInstaller::del_tunnel(uint16_t tunnel_id) {
  std::string why;
  if (take_failure(Op::DelTunnel, &why)) return false;
  const bool ok = !tunnel_has_sessions(tunnel_id) && tunnels_.erase(tunnel_id) != 0;
  calls_.push_back({Op::DelTunnel, ok ? tunnel_id : 0u});
  return ok;
}

bool FakeInstaller::retire_tunnel(uint16_t tunnel_id) {
  std::string why;
  if (take_failure(Op::RetireTunnel, &why)) return false;
  const bool ok = !tunnel_has_sessions(tunnel_id) && tunnels_.erase(tunnel_id) != 0;
  if (ok) reserved_tunnels_.insert(tunnel_id);
  calls_.push_back({Op::RetireTunnel, ok ? tunnel_id : 0u});
  return ok;
}

Outcome<uint16_t> FakeInstaller::add_session(const tables::SessionParams& p) {
  std::string why;
  if (take_failure(Op::AddSession, &why)) return Outcome<uint16_t>::fail(why);
  auto refuse = [&](const char* e) {
    calls_.push_back({Op::AddSession, 0});
    return Outcome<uint16_t>::fail(e);
  };
  if (!tunnels_.contains(p.tunnel_id)) return refuse("session's tunnel is not installed");
  if (p.id != 0 && !reserved_sessions_.contains(p.id))
    return refuse("session id was not reserved with reserve_session_id");
  std::set<uint32_t> used = reserved_sessions_;
  for (const auto& [id, s] : sessions_) {
    if (s.client_addr == p.client_addr) return refuse("client address already in use by another session");
    used.insert(id);
  }
  const uint16_t id = p.id != 0 ? p.id : static_cast<uint16_t>(free_id(used));
  if (!id) return refuse("L2TP session table full");
  reserved_sessions_.erase(id);
  InstalledSession s;
  s.id = id;
  s.tunnel_id = p.tunnel_id;
  s.peer_session_id = p.peer_session_id;
  s.client_addr = p.client_addr;
  s.mtu = p.mtu;
  s.tcp_mss = p.tcp_mss;
  s.ppp_tx_flags = p.ppp_tx_flags;
  s.installed_at = p.installed_at;
  sessions_[id] = s;
  calls_.push_back({Op::AddSession, id});
  return {id, {}};
}

bool FakeInstaller::del_session(uint16_t session_id) {
  std::string why;
  if (take_failure(Op::DelSession, &why)) return false;
  const bool ok = sessions_.erase(session_id) != 0;
  session_usage_.erase(session_id);
  calls_.push_back({Op::DelSession, ok ? session_id : 0u});
  return ok;
}

bool FakeInstaller::retire_session(uint16_t session_id) {
  std::string why;
  if (take_failure(Op::RetireSession, &why)) return false;
  const bool ok = sessions_.erase(session_id) != 0;
  session_usage_.erase(session_id);
  if (ok) reserved_sessions_.insert(session_id);
  calls_.push_back({Op::RetireSession, ok ? session_id : 0u});
  return ok;
}

std::optional<SessionUsage> FakeInstaller::query_session(uint16_t session_id) const {
  if (!sessions_.contains(session_id)) return std::nullopt;
  auto it = session_usage_.find(session_id);
  return it == session_usage_.end() ? SessionUsage{} : it->second;
}

std::vector<InstalledSa> FakeInstaller::sas() const {
  std::vector<InstalledSa> out;
  for (const auto& [slot, s] : sas_) out.push_back(s);
  return out;
}
std::vector<InstalledTunnel> FakeInstaller::tunnels() const {
  std::vector<InstalledTunnel> out;
  for (const auto& [id, t] : tunnels_) out.push_back(t);
  return out;
}
std::vector<InstalledSession> FakeInstaller::sessions() const {
  std::vector<InstalledSession> out;
  for (const auto& [id, s] : sessions_) out.push_back(s);
  return out;
}

Outcome<uint32_t> FakeInstaller::reserve_pw_session_id() {
  std::string why;
  if (take_failure(Op::ReservePwSessionId, &why)) return Outcome<uint32_t>::fail(why);
  std::set<uint32_t> used;
  for (const auto& [id, pw] : pws_) used.insert(tables::pw_slot(id));
  for (uint32_t id : reserved_pws_) used.insert(tables::pw_slot(id));
  const uint32_t slot = free_id(used);
  if (!slot) {
    calls_.push_back({Op::ReservePwSessionId, 0});
    return Outcome<uint32_t>::fail("pseudowire table full");
  }
  const uint32_t id = tables::make_pw_session_id(next_tag_++ & 0xffff, slot);
  reserved_pws_.insert(id);
  calls_.push_back({Op::ReservePwSessionId, id});
  return {id, {}};
}

bool FakeInstaller::release_pw_session_id(uint32_t id) {
  std::string why;
  if (take_failure(Op::ReleasePwSessionId, &why)) return false;
  const bool ok = reserved_pws_.erase(id) != 0;
  calls_.push_back({Op::ReleasePwSessionId, ok ? id : 0});
  return ok;
}

Outcome<uint32_t> FakeInstaller::add_pseudowire(const tables::PseudowireParams& p) {
  std::string why;
  if (take_failure(Op::AddPseudowire, &why)) return Outcome<uint32_t>::fail(why);
  auto refuse = [&](const char* e) {
    calls_.push_back({Op::AddPseudowire, 0});
    return Outcome<uint32_t>::fail(e);
  };
  auto bad_cookie = [](size_t n) { return n != 0 && n != 4 && n != 8; };
  if (bad_cookie(p.local_cookie.size()) || bad_cookie(p.peer_cookie.size()))
    return refuse("cookies are 0, 4 or 8 bytes (RFC 3931 §4.1)");
  if (p.peer_session_id == 0) return refuse("peer session id 0 is reserved (RFC 3931 §4.1)");
  if (p.peer_index != 0 && p.sa_out == 0) return refuse("a pseudowire bound to an IPsec peer needs its outbound SA");
  uint32_t id = p.session_id;
  if (id != 0) {
    if (!reserved_pws_.erase(id)) return refuse("L2TPv3 session id was not reserved with reserve_pw_session_id");
  } else {
    auto r = reserve_pw_session_id();
    if (!r) return refuse("pseudowire table full");
    reserved_pws_.erase(r.value);
    id = r.value;
  }
  Pseudowire& pw = pws_[id];
  pw.record = InstalledPseudowire{id, p.peer_session_id, p.peer_index, p.sa_out, p.local_addr, p.peer_addr,
                                  p.local_port, p.peer_port, static_cast<uint8_t>(p.local_cookie.size()),
                                  static_cast<uint8_t>(p.peer_cookie.size()), p.bridge, p.flags, 0};
  pw.local_cookie.assign(p.local_cookie.begin(), p.local_cookie.end());
  pw.peer_cookie.assign(p.peer_cookie.begin(), p.peer_cookie.end());
  calls_.push_back({Op::AddPseudowire, id});
  return {id, {}};
}

bool FakeInstaller::del_pseudowire(uint32_t id) {
  std::string why;
  if (take_failure(Op::DelPseudowire, &why)) return false;
  const bool ok = pws_.erase(id) != 0;
  calls_.push_back({Op::DelPseudowire, ok ? id : 0});
  return ok;
}

bool FakeInstaller::update_pseudowire_sa_out(uint32_t id, uint32_t sa_slot) {
  std::string why;
  if (take_failure(Op::UpdatePseudowireSaOut, &why)) return false;
  auto pw = pws_.find(id);
  auto sa = sas_.find(sa_slot);
  const bool ok = pw != pws_.end() && pw->second.record.peer_index != 0 && sa != sas_.end() &&
                  sa->second.direction == tables::SaDirection::Outbound &&
                  sa->second.peer_index == pw->second.record.peer_index;
  if (ok) pw->second.record.sa_out = sa_slot;
  calls_.push_back({Op::UpdatePseudowireSaOut, ok ? id : 0u});
  return ok;
}

std::optional<SessionUsage> FakeInstaller::query_pseudowire(uint32_t id) const {
  if (!pws_.contains(id)) return std::nullopt;
  auto it = pw_usage_.find(id);
  return it == pw_usage_.end() ? SessionUsage{} : it->second;
}

std::vector<InstalledPseudowire> FakeInstaller::pseudowires() const {
  std::vector<InstalledPseudowire> out;
  for (const auto& [id, pw] : pws_) out.push_back(pw.record);
  return out;
}

}  // namespace l2tpgw::cp
