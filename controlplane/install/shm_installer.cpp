// SPDX-License-Identifier: Apache-2.0
// ShmInstaller: Installer calls mapped onto TableWriter, records copied out for the views.
#include "controlplane/install/shm_installer.hpp"

namespace l2tpgw::cp {

Outcome<uint32_t> ShmInstaller::alloc_spi() {
  std::string err;
  const uint32_t spi = w_.alloc_spi(&err);
  return spi ? Outcome<uint32_t>{spi, {}} : Outcome<uint32_t>::fail(err);
}

Outcome<uint32_t> ShmInstaller::add_sa(const tables::SaParams& p) {
  std::string err;
  const uint32_t slot = w_.add_sa(p, &err);
  return slot ? Outcome<uint32_t>{slot, {}} : Outcome<uint32_t>::fail(err);
}

Outcome<uint16_t> ShmInstaller::reserve_tunnel_id() {
  std::string err;
  const uint16_t id = w_.reserve_tunnel_id(&err);
  return id ? Outcome<uint16_t>{id, {}} : Outcome<uint16_t>::fail(err);
}

Outcome<uint16_t> ShmInstaller::reserve_session_id() {
  std::string err;
  const uint16_t id = w_.reserve_session_id(&err);
  return id ? Outcome<uint16_t>{id, {}} : Outcome<uint16_t>::fail(err);
}

Outcome<uint16_t> ShmInstaller::add_tunnel(const tables::TunnelParams& p) {
  std::string err;
  const uint16_t id = w_.add_tunnel(p, &err);
  return id ? Outcome<uint16_t>{id, {}} : Outcome<uint16_t>::fail(err);
}

Outcome<uint16_t> ShmInstaller::add_session(const tables::SessionParams& p) {
  std::string err;
  const uint16_t id = w_.add_session(p, &err);
  return id ? Outcome<uint16_t>{id, {}} : Outcome<uint16_t>::fail(err);
}

Outcome<uint32_t> ShmInstaller::reserve_pw_session_id() {
  std::string err;
  const uint32_t id = w_.reserve_pw_session_id(&err);
  return id ? Outcome<uint32_t>{id, {}} : Outcome<uint32_t>::fail(err);
}

Outcome<uint32_t> ShmInstaller::add_pseudowire(const tables::PseudowireParams& p) {
  std::string err;
  const uint32_t id = w_.add_pseudowire(p, &err);
  return id ? Outcome<uint32_t>{id, {}} : Outcome<uint32_t>::fail(err);
}

std::optional<SessionUsage> ShmInstaller::query_pseudowire(uint32_t id) const {
  const tables::SharedTables& t = w_.tables();
  const uint32_t slot = tables::pw_slot(id);
  if (slot == 0 || slot >= t.pw_slots()) return std::nullopt;
  const tables::PseudowireRecord& r = t.pseudowire(slot);
  if (!tables::published(r) || r.local_session_id != id) return std::nullopt;
  const tables::SessionCounters& c = t.pw_counters(slot);
  return SessionUsage{c.rx_packets, c.rx_octets, c.tx_packets, c.tx_octets};
}

std::vector<InstalledPseudowire> ShmInstaller::pseudowires() const {
  const tables::SharedTables& t = w_.tables();
  std::vector<InstalledPseudowire> out;
  for (uint32_t id : w_.installed_pseudowires()) {
    const tables::PseudowireRecord& r = t.pseudowire(tables::pw_slot(id));
    InstalledPseudowire x;
    x.session_id = id;
    x.peer_session_id = r.peer_session_id;
    x.peer_index = r.peer_index;
    x.sa_out = r.sa_out.load(std::memory_order_relaxed);
    x.local_addr = r.local_addr;
    x.peer_addr = r.peer_addr;
    x.local_port = r.local_port;
    x.peer_port = r.peer_port;
    x.local_cookie_len = r.local_cookie_len;
    x.peer_cookie_len = r.peer_cookie_len;
    x.bridge = r.bridge;
    x.flags = r.flags;
    x.owner_worker = r.owner_worker;
    out.push_back(x);
  }
  return out;
}

std::optional<SaUsage> ShmInstaller::query_sa(uint32_t slot) const {
  const tables::SharedTables& t = w_.tables();
  if (slot == 0 || slot >= t.sa_slots() || !tables::published(t.sa(slot))) return std::nullopt;
  // Written by the owner worker with plain stores; a torn read of one 64-bit counter cannot
  // happen on x86-64 and a stale one is what a lifetime check tolerates anyway.
  const tables::SaCounters& c = t.sa_counters(slot);
  return SaUsage{c.packets, c.octets};
}

std::optional<SessionUsage> ShmInstaller::query_session(uint16_t id) const {
  const tables::SharedTables& t = w_.tables();
  if (id == 0 || id >= t.session_slots() || !tables::published(t.session(id))) return std::nullopt;
  const tables::SessionCounters& c = t.session_counters(id);
  return SessionUsage{c.rx_packets, c.rx_octets, c.tx_packets, c.tx_octets};
}

std::vector<InstalledSa> ShmInstaller::sas() const {
  const tables::SharedTables& t = w_.tables();
  std::vector<InstalledSa> out;
  for (uint32_t slot : w_.installed_sas()) {
    const tables::SaRecord& r = t.sa(slot);
    InstalledSa s;
    s.slot = slot;
    s.direction = r.direction;
    s.spi = r.spi;
    s.peer_index = r.peer_index;
    s.owner_worker = r.owner_worker;
    s.natt = r.natt != 0;
    s.replay_window = r.replay_window;
    s.local_addr = r.local_addr;
    s.peer_addr = r.peer_addr;
    s.local_port = r.local_port;
    s.peer_port = r.peer_port;
    s.cipher = r.crypto.cipher;
    s.auth = r.crypto.auth;
    out.push_back(s);
  }
  return out;
}

std::vector<InstalledTunnel> ShmInstaller::tunnels() const {
  const tables::SharedTables& t = w_.tables();
  std::vector<InstalledTunnel> out;
  for (uint16_t id : w_.installed_tunnels()) {
    const tables::TunnelRecord& r = t.tunnel(id);
    InstalledTunnel x;
    x.id = id;
    x.peer_index = r.peer_index;
    x.sa_out = r.sa_out.load(std::memory_order_relaxed);
    x.peer_tunnel_id = r.peer_tunnel_id;
    x.local_port = r.local_port;
    x.peer_port = r.peer_port;
    x.local_addr = r.local_addr;
    x.peer_addr = r.peer_addr;
    x.owner_worker = r.owner_worker;
    out.push_back(x);
  }
  return out;
}

std::vector<InstalledSession> ShmInstaller::sessions() const {
  const tables::SharedTables& t = w_.tables();
  std::vector<InstalledSession> out;
  for (uint16_t id : w_.installed_sessions()) {
    const tables::SessionRecord& r = t.session(id);
    InstalledSession x;
    x.id = id;
    x.tunnel_id = r.tunnel_id;
    x.peer_session_id = r.peer_session_id;
    x.client_addr = r.client_addr;
    x.mtu = r.mtu;
    x.tcp_mss = r.tcp_mss;
    x.owner_worker = r.owner_worker;
    x.ppp_tx_flags = r.ppp_tx_flags;
    x.installed_at = t.session_installed_at(id);
    out.push_back(x);
  }
  return out;
}

}  // namespace l2tpgw::cp
