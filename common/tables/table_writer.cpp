// SPDX-License-Identifier: Apache-2.0
// TableWriter: slot allocation, publication and RCU-deferred reclamation of shared records.
#include "common/tables/table_writer.hpp"

#include <rte_rcu_qsbr.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "common/crypto/sa_crypto.hpp"

namespace l2tpgw::tables {

TableWriter::TableWriter(SharedTables tables, uint64_t rng_seed)
    : tables_(tables), rng_(rng_seed | 1) {
  const ShmHeader& h = tables_.header();
  for (uint32_t s = 1; s < h.sa_slots; ++s)
    if (!published(tables_.sa(s))) free_sa_.push_back(s);
  for (uint32_t t = 1; t < h.tunnel_slots; ++t)
    if (!published(tables_.tunnel(t))) free_tunnel_.push_back(t);
  for (uint32_t s = 1; s < h.session_slots; ++s)
    if (!published(tables_.session(s))) free_session_.push_back(s);
  for (uint32_t s = 1; s < h.pw_slots; ++s)
    if (!published(tables_.pseudowire(s))) free_pw_.push_back(s);
  // A previous writer may have unpublished slots just before it died: wait one grace period
  // before any of them is rewritten.
  rte_rcu_qsbr_check(tables_.rcu(), rte_rcu_qsbr_start(tables_.rcu()), true);
}

template <class R>
void TableWriter::publish(R& r) {
  uint32_t gen = state_generation(r.state.load(std::memory_order_relaxed)) + 1;
  r.state.store((gen << 1) | kStatePublished, std::memory_order_release);
}

template <class R>
void TableWriter::unpublish(R& r) {
  uint32_t s = r.state.load(std::memory_order_relaxed);
  r.state.store(s & ~kStatePublished, std::memory_order_release);
}

uint32_t TableWriter::next_tag() {
  // xorshift64*: SPI tags need to be unguessable only in the sense of not repeating soon;
  // the controlplane seeds it from the OS RNG.
  for (;;) {
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    uint32_t tag = static_cast<uint32_t>((rng_ * 0x2545F4914F6CDD1DULL) >> 40) &
                   ((1u << (32 - kSaSlotBits)) - 1);
    if (tag != 0) return tag;
  }
}

template <class R, class Get>
uint32_t TableWriter::take_free(std::deque<uint32_t>& list, Get get) {
  while (!list.empty()) {
    const uint32_t slot = list.front();
    const R& r = get(slot);
    if (!published(r)) return slot;
    list.pop_front();  // installed behind our back: not free, and not ours to reuse
  }
  return 0;
}

uint32_t TableWriter::alloc_spi(std::string* error) {
  const uint32_t slot = take_free<SaRecord>(free_sa_, [&](uint32_t s) -> const SaRecord& { return tables_.sa(s); });
  if (slot == 0) {
    if (error) *error = "SA table full";
    return 0;
  }
  free_sa_.pop_front();
  const uint32_t spi = make_spi(next_tag(), slot);
  reserved_spis_.push_back(spi);
  return spi;
}

bool TableWriter::release_spi(uint32_t spi) {
  auto it = std::find(reserved_spis_.begin(), reserved_spis_.end(), spi);
  if (it == reserved_spis_.end()) return false;
  reserved_spis_.erase(it);
  free_sa_.push_back(spi_slot(spi));
  return true;
}

uint16_t TableWriter::reserve_id(std::deque<uint32_t>& free_list, std::vector<uint16_t>& reserved,
                                 uint32_t id, const char* full, std::string* error) {
  if (id == 0) {
    if (error) *error = full;
    return 0;
  }
  free_list.pop_front();
  reserved.push_back(static_cast<uint16_t>(id));
  return static_cast<uint16_t>(id);
}

bool TableWriter::release_id(std::deque<uint32_t>& free_list, std::vector<uint16_t>& reserved,
                             uint16_t id) {
  auto it = std::find(reserved.begin(), reserved.end(), id);
  if (it == reserved.end()) return false;
  reserved.erase(it);
  free_list.push_back(id);
  return true;
}

uint16_t TableWriter::reserve_tunnel_id(std::string* error) {
  const uint32_t id =
      take_free<TunnelRecord>(free_tunnel_, [&](uint32_t t) -> const TunnelRecord& { return tables_.tunnel(t); });
  return reserve_id(free_tunnel_, reserved_tunnels_, id, "L2TP tunnel table full", error);
}

bool TableWriter::release_retiring(Kind kind, uint16_t id) {
  for (Deferred& d : deferred_) {
    if (d.kind == kind && d.slot == id && d.keep_id) {
      d.keep_id = false;
      return true;
    }
  }
  return false;
}

bool TableWriter::release_tunnel_id(uint16_t id) {
  // A retired tunnel still in its grace period: it goes to the free list when that ends.
  return release_retiring(Kind::Tunnel, id) || release_id(free_tunnel_, reserved_tunnels_, id);
}

uint16_t TableWriter::reserve_session_id(std::string* error) {
  const uint32_t id =
      take_free<SessionRecord>(free_session_, [&](uint32_t t) -> const SessionRecord& { return tables_.session(t); });
  return reserve_id(free_session_, reserved_sessions_, id, "L2TP session table full", error);
}

bool TableWriter::release_session_id(uint16_t id) {
  // A retired session still in its grace period: it goes to the free list when that ends.
  return release_retiring(Kind::Session, id) || release_id(free_session_, reserved_sessions_, id);
}

uint32_t TableWriter::reserve_pw_session_id(std::string* error) {
  const uint32_t slot = take_free<PseudowireRecord>(
      free_pw_, [&](uint32_t s) -> const PseudowireRecord& { return tables_.pseudowire(s); });
  if (slot == 0) {
    if (error) *error = "L2TPv3 session table full";
    return 0;
  }
  free_pw_.pop_front();
  const uint32_t id = make_pw_session_id(next_tag(), slot);  // tags are < 2^14: they fit
  reserved_pw_.push_back(id);
  return id;
}

uint32_t TableWriter::reserve_pw_session_id(uint32_t session_id, std::string* error) {
  const uint32_t slot = pw_slot(session_id);
  if (slot == 0 || slot >= tables_.pw_slots() || (session_id >> kPwSlotBits) == 0) {
    if (error)
      *error = "L2TPv3 session id " + std::to_string(session_id) + " does not name a slot 1.." +
               std::to_string(tables_.pw_slots() - 1) + " under a non-zero tag (tag << " +
               std::to_string(kPwSlotBits) + " | slot)";
    return 0;
  }
  auto it = std::find(free_pw_.begin(), free_pw_.end(), slot);
  if (it == free_pw_.end() || published(tables_.pseudowire(slot))) {
    if (error) *error = "the slot of L2TPv3 session id " + std::to_string(session_id) + " is in use";
    return 0;
  }
  free_pw_.erase(it);
  reserved_pw_.push_back(session_id);
  return session_id;
}

bool TableWriter::release_pw_session_id(uint32_t session_id) {
  auto it = std::find(reserved_pw_.begin(), reserved_pw_.end(), session_id);
  if (it == reserved_pw_.end()) return false;
  reserved_pw_.erase(it);
  free_pw_.push_back(pw_slot(session_id));
  return true;
}

uint32_t TableWriter::add_sa(const SaParams& p, std::string* error) {
  if (p.direction == SaDirection::Outbound && p.spi <= 255) {
    if (error) *error = "outbound SPI must be > 255 (RFC 4303 §2.1)";
    return 0;
  }
  const bool reserved = p.direction == SaDirection::Inbound && p.spi != 0;
  auto reservation = std::find(reserved_spis_.begin(), reserved_spis_.end(), p.spi);
  if (reserved && reservation == reserved_spis_.end()) {
    if (error) *error = "inbound SPI was not reserved with alloc_spi";
    return 0;
  }
  const uint32_t slot =
      reserved ? spi_slot(p.spi)
               : take_free<SaRecord>(free_sa_, [&](uint32_t s) -> const SaRecord& { return tables_.sa(s); });
  if (slot == 0) {
    if (error) *error = "SA table full";
    return 0;
  }
  SaRecord& r = tables_.sa(slot);
  // The slot is unpublished and past its grace period: no reader looks at these bytes.
  if (!sa_crypto_prepare(p.cipher, p.auth, p.enc_key, p.auth_key, r.crypto, r.keys, error)) return 0;
  if (reserved) reserved_spis_.erase(reservation);
  else free_sa_.pop_front();
  r.spi = p.direction == SaDirection::Inbound ? (reserved ? p.spi : make_spi(next_tag(), slot)) : p.spi;
  r.peer_index = p.peer_index;
  r.direction = p.direction;
  r.owner_worker = owner_for(p.peer_index);
  r.natt = p.natt ? 1 : 0;
  r.replay_window = p.replay_window;
  r.local_addr = p.local_addr;
  r.peer_addr = p.peer_addr;
  r.local_port = p.local_port;
  r.peer_port = p.peer_port;
  r.hot = sa_crypto_hot_lines(p.cipher, p.auth, p.direction == SaDirection::Inbound, r.crypto.ghash_layout);
  tables_.sa_counters(slot) = SaCounters{};
  publish(r);
  return slot;
}

uint16_t TableWriter::add_tunnel(const TunnelParams& p, std::string* error) {
  if (p.sa_out != 0 && !is_outbound_sa_of(p.sa_out, p.peer_index)) {
    if (error) *error = "tunnel's outbound SA is not an installed outbound SA of this peer";
    return 0;
  }
  auto reservation = std::find(reserved_tunnels_.begin(), reserved_tunnels_.end(), p.id);
  if (p.id != 0 && reservation == reserved_tunnels_.end()) {
    if (error) *error = "tunnel id was not reserved with reserve_tunnel_id";
    return 0;
  }
  const uint16_t id = p.id != 0 ? p.id : static_cast<uint16_t>(
      take_free<TunnelRecord>(free_tunnel_, [&](uint32_t t) -> const TunnelRecord& { return tables_.tunnel(t); }));
  if (id == 0) {
    if (error) *error = "L2TP tunnel table full";
    return 0;
  }
  if (p.id != 0) reserved_tunnels_.erase(reservation);
  else free_tunnel_.pop_front();
  TunnelRecord& r = tables_.tunnel(id);
  r.peer_index = p.peer_index;
  r.sa_out.store(p.sa_out, std::memory_order_relaxed);
  r.peer_tunnel_id = p.peer_tunnel_id;
  r.local_port = p.local_port;
  r.peer_port = p.peer_port;
  r.owner_worker = owner_for(p.peer_index);
  r.local_addr = p.local_addr;
  r.peer_addr = p.peer_addr;
  r.sessions = 0;
  publish(r);
  return id;
}

uint16_t TableWriter::add_session(const SessionParams& p, std::string* error) {
  if (p.tunnel_id == 0 || p.tunnel_id >= tables_.header().tunnel_slots ||
      !published(tables_.tunnel(p.tunnel_id))) {
    if (error) *error = "session's tunnel is not installed";
    return 0;
  }
  const uint32_t pool_slot = tables_.pool_slot(p.client_addr);
  if (pool_slot == UINT32_MAX) {
    if (error) *error = "client address is in no address pool";
    return 0;
  }
  if (tables_.pool_entry(pool_slot).load(std::memory_order_relaxed) != 0) {
    if (error) *error = "client address already in use by another session";
    return 0;
  }
  if (p.id != 0) reclaim(false);  // a retired id comes back to the reservations here
  auto reservation = std::find(reserved_sessions_.begin(), reserved_sessions_.end(), p.id);
  if (p.id != 0 && reservation == reserved_sessions_.end()) {
    const bool retiring = std::any_of(deferred_.begin(), deferred_.end(), [&](const Deferred& d) {
      return d.kind == Kind::Session && d.slot == p.id && d.keep_id;
    });
    if (error)
      *error = retiring ? "session id is still retiring (RCU grace period): try again"
                        : "session id was not reserved with reserve_session_id";
    return 0;
  }
  const uint16_t id = p.id != 0 ? p.id : static_cast<uint16_t>(take_free<SessionRecord>(
      free_session_, [&](uint32_t t) -> const SessionRecord& { return tables_.session(t); }));
  if (id == 0) {
    if (error) *error = "L2TP session table full";
    return 0;
  }
  if (p.id != 0) reserved_sessions_.erase(reservation);
  else free_session_.pop_front();
  SessionRecord& r = tables_.session(id);
  r.tunnel_id = p.tunnel_id;
  r.peer_session_id = p.peer_session_id;
  r.client_addr = p.client_addr;
  r.mtu = p.mtu;
  r.tcp_mss = p.tcp_mss;
  TunnelRecord& t = tables_.tunnel(p.tunnel_id);
  r.owner_worker = t.owner_worker;
  r.peer_index = t.peer_index;
  r.ppp_tx_flags = p.ppp_tx_flags;
  r.l2tp_tx_flags = p.l2tp_tx_flags;
  // Downstream reads these from the session's line instead of the tunnel's.
  r.sa_out.store(t.sa_out.load(std::memory_order_relaxed), std::memory_order_relaxed);
  r.peer_tunnel_id = t.peer_tunnel_id;
  r.peer_port = t.peer_port;
  tables_.session_installed_at(id) = p.installed_at ? p.installed_at : static_cast<uint32_t>(std::time(nullptr));
  tables_.session_counters(id) = SessionCounters{};
  ++t.sessions;
  publish(r);
  // Downstream lookups find the session only once it is complete.
  tables_.pool_entry(pool_slot).store(id, std::memory_order_release);
  return id;
}

uint32_t TableWriter::add_pseudowire(const PseudowireParams& p, std::string* error) {
  auto bad_cookie = [](size_t n) { return n != 0 && n != 4 && n != 8; };
  if (bad_cookie(p.local_cookie.size()) || bad_cookie(p.peer_cookie.size())) {
    if (error) *error = "cookies are 0, 4 or 8 bytes (RFC 3931 §4.1)";
    return 0;
  }
  if (p.peer_session_id == 0) {
    if (error) *error = "peer session id 0 is reserved (RFC 3931 §4.1)";
    return 0;
  }
  if (p.sa_out != 0) {
    if (!is_outbound_sa_of(p.sa_out, p.peer_index)) {
      if (error) *error = "pseudowire's outbound SA is not an installed outbound SA of this peer";
      return 0;
    }
  } else if (p.peer_index != 0) {
    if (error) *error = "a pseudowire bound to an IPsec peer needs its outbound SA";
    return 0;
  }
  auto reservation = std::find(reserved_pw_.begin(), reserved_pw_.end(), p.session_id);
  if (p.session_id != 0 && reservation == reserved_pw_.end()) {
    if (error) *error = "L2TPv3 session id was not reserved with reserve_pw_session_id";
    return 0;
  }
  if (p.bridge == 1) {
    const BridgeMembership& bm = tables_.header().bridge1;
    if (bm.lists[bm.active.load(std::memory_order_relaxed)].n >= kMaxBridgePseudowires) {
      if (error) *error = "bridge1 has " + std::to_string(kMaxBridgePseudowires) + " pseudowires already";
      return 0;
    }
  }
  // Unnamed: reserved here, the same way a control connection reserves one for ICRQ/ICRP.
  const uint32_t id = p.session_id != 0 ? p.session_id : reserve_pw_session_id(error);
  if (id == 0) return 0;
  reserved_pw_.erase(std::find(reserved_pw_.begin(), reserved_pw_.end(), id));
  const uint32_t slot = pw_slot(id);
  PseudowireRecord& r = tables_.pseudowire(slot);
  r.local_session_id = id;
  r.peer_session_id = p.peer_session_id;
  r.peer_index = p.peer_index;
  r.sa_out.store(p.sa_out, std::memory_order_relaxed);
  r.local_addr = p.local_addr;
  r.peer_addr = p.peer_addr;
  r.local_port = p.local_port;
  r.peer_port = p.peer_port;
  r.local_cookie_len = static_cast<uint8_t>(p.local_cookie.size());
  r.peer_cookie_len = static_cast<uint8_t>(p.peer_cookie.size());
  std::memset(r.local_cookie, 0, sizeof(r.local_cookie));
  std::memset(r.peer_cookie, 0, sizeof(r.peer_cookie));
  std::copy(p.local_cookie.begin(), p.local_cookie.end(), r.local_cookie);
  std::copy(p.peer_cookie.begin(), p.peer_cookie.end(), r.peer_cookie);
  // A plain pseudowire has no peering: its owner follows the peer's address instead.
  r.owner_worker = owner_for(p.peer_index ? p.peer_index : p.peer_addr);
  r.bridge = p.bridge;
  r.flags = p.flags;
  tables_.pw_counters(slot) = SessionCounters{};
  publish(r);
  if (r.bridge == 1) publish_bridge_members();
  return id;
}

void TableWriter::publish_bridge_members() {
  BridgeMembership& bm = tables_.header().bridge1;
  // Readers that took the other list before the last switch must be done with it.
  if (bridge_switched_) rte_rcu_qsbr_check(tables_.rcu(), bridge_switch_token_, true);
  const uint32_t next = bm.active.load(std::memory_order_relaxed) ^ 1u;
  BridgePorts& l = bm.lists[next];
  l.n = 0;
  for (uint32_t s = 1; s < tables_.pw_slots() && l.n < kMaxBridgePseudowires; ++s) {
    const PseudowireRecord& r = tables_.pseudowire(s);
    if (published(r) && r.bridge == 1) l.slots[l.n++] = static_cast<uint16_t>(s);
  }
  bm.active.store(next, std::memory_order_release);
  bridge_switch_token_ = rte_rcu_qsbr_start(tables_.rcu());
  bridge_switched_ = true;
}

bool TableWriter::is_outbound_sa_of(uint32_t slot, uint32_t peer_index) const {
  if (slot == 0 || slot >= tables_.sa_slots()) return false;
  const SaRecord& sa = tables_.sa(slot);
  return published(sa) && sa.direction == SaDirection::Outbound && sa.peer_index == peer_index;
}

PseudowireRecord* TableWriter::pseudowire_for(uint32_t session_id) const {
  const uint32_t slot = pw_slot(session_id);
  if (slot == 0 || slot >= tables_.pw_slots()) return nullptr;
  PseudowireRecord& r = tables_.pseudowire(slot);
  return published(r) && r.local_session_id == session_id ? &r : nullptr;
}

bool TableWriter::set_pseudowire_sa_out(uint32_t session_id, uint32_t sa_slot) {
  PseudowireRecord* r = pseudowire_for(session_id);
  if (!r || r->peer_index == 0 || !is_outbound_sa_of(sa_slot, r->peer_index)) return false;
  r->sa_out.store(sa_slot, std::memory_order_release);
  return true;
}

bool TableWriter::del_pseudowire(uint32_t session_id) {
  PseudowireRecord* r = pseudowire_for(session_id);
  if (!r) return false;
  unpublish(*r);
  if (r->bridge == 1) publish_bridge_members();
  deferred_.push_back({Kind::Pseudowire, pw_slot(session_id), rte_rcu_qsbr_start(tables_.rcu())});
  return true;
}

bool TableWriter::set_tunnel_sa_out(uint16_t tunnel_id, uint32_t sa_slot) {
  if (tunnel_id == 0 || tunnel_id >= tables_.header().tunnel_slots) return false;
  TunnelRecord& t = tables_.tunnel(tunnel_id);
  if (!published(t) || !is_outbound_sa_of(sa_slot, t.peer_index)) return false;
  t.sa_out.store(sa_slot, std::memory_order_release);
  // And its sessions' copies, which downstream reads. Both SAs stay installed until the old
  // one's delete, so a packet sent through either meanwhile is good. (Remote access has one
  // session a tunnel: the scan stops once the tunnel's count is found.)
  uint32_t found = 0;
  for (uint32_t s = 1; s < tables_.session_slots() && found < t.sessions; ++s) {
    SessionRecord& r = tables_.session(s);
    if (!published(r) || r.tunnel_id != tunnel_id) continue;
    r.sa_out.store(sa_slot, std::memory_order_release);
    ++found;
  }
  return true;
}

bool TableWriter::del_sa(uint32_t slot) {
  if (slot == 0 || slot >= tables_.sa_slots() || !published(tables_.sa(slot))) return false;
  unpublish(tables_.sa(slot));
  deferred_.push_back({Kind::Sa, slot, rte_rcu_qsbr_start(tables_.rcu())});
  return true;
}

bool TableWriter::del_tunnel(uint16_t id) { return unpublish_tunnel(id, false); }

bool TableWriter::retire_tunnel(uint16_t id) { return unpublish_tunnel(id, true); }

bool TableWriter::unpublish_tunnel(uint16_t id, bool keep_id) {
  if (id == 0 || id >= tables_.header().tunnel_slots || !published(tables_.tunnel(id))) return false;
  // Its sessions go first (the LNS ends them before it closes the tunnel): workers forward a
  // published session's packets upstream without reading its tunnel.
  if (tables_.tunnel(id).sessions != 0) return false;
  unpublish(tables_.tunnel(id));
  deferred_.push_back({Kind::Tunnel, id, rte_rcu_qsbr_start(tables_.rcu()), keep_id});
  return true;
}

bool TableWriter::del_session(uint16_t id) { return unpublish_session(id, false); }

bool TableWriter::retire_session(uint16_t id) { return unpublish_session(id, true); }

bool TableWriter::unpublish_session(uint16_t id, bool keep_id) {
  if (id == 0 || id >= tables_.header().session_slots || !published(tables_.session(id)))
    return false;
  SessionRecord& r = tables_.session(id);
  const uint32_t pool_slot = tables_.pool_slot(r.client_addr);
  if (pool_slot != UINT32_MAX && tables_.pool_entry(pool_slot).load() == id)
    tables_.pool_entry(pool_slot).store(0, std::memory_order_release);
  unpublish(r);
  --tables_.tunnel(r.tunnel_id).sessions;
  deferred_.push_back({Kind::Session, id, rte_rcu_qsbr_start(tables_.rcu()), keep_id});
  return true;
}

void TableWriter::reclaim(bool wait) {
  while (!deferred_.empty()) {
    const Deferred& d = deferred_.front();
    if (rte_rcu_qsbr_check(tables_.rcu(), d.token, wait) != 1) return;
    switch (d.kind) {
      case Kind::Sa:
        // Keys are wiped as soon as no reader can hold them.
        sa_crypto_wipe(tables_.sa(d.slot).crypto, tables_.sa(d.slot).keys);
        free_sa_.push_back(d.slot);
        break;
      case Kind::Tunnel:
        if (d.keep_id) reserved_tunnels_.push_back(static_cast<uint16_t>(d.slot));
        else free_tunnel_.push_back(d.slot);
        break;
      case Kind::Session:
        if (d.keep_id) reserved_sessions_.push_back(static_cast<uint16_t>(d.slot));
        else free_session_.push_back(d.slot);
        break;
      case Kind::Pseudowire: free_pw_.push_back(d.slot); break;
    }
    deferred_.pop_front();
  }
}

std::vector<uint32_t> TableWriter::installed_sas() const {
  std::vector<uint32_t> out;
  for (uint32_t s = 1; s < tables_.sa_slots(); ++s)
    if (published(tables_.sa(s))) out.push_back(s);
  return out;
}
std::vector<uint16_t> TableWriter::installed_tunnels() const {
  std::vector<uint16_t> out;
  for (uint32_t t = 1; t < tables_.header().tunnel_slots; ++t)
    if (published(tables_.tunnel(t))) out.push_back(static_cast<uint16_t>(t));
  return out;
}
std::vector<uint32_t> TableWriter::installed_pseudowires() const {
  std::vector<uint32_t> out;
  for (uint32_t s = 1; s < tables_.pw_slots(); ++s)
    if (published(tables_.pseudowire(s))) out.push_back(tables_.pseudowire(s).local_session_id);
  return out;
}
std::vector<uint16_t> TableWriter::installed_sessions() const {
  std::vector<uint16_t> out;
  for (uint32_t s = 1; s < tables_.session_slots(); ++s)
    if (published(tables_.session(s))) out.push_back(static_cast<uint16_t>(s));
  return out;
}

}  // namespace l2tpgw::tables
