// SPDX-License-Identifier: Apache-2.0
// Installer: the seam between the protocol machines and the packet engine, modeled on
// strongSwan's kernel_ipsec_t (get_spi, add_sa, update_sa, query_sa, del_sa) with the L2TP
// tunnel and session records beside the SAs, and InstallerListener for what comes back up
// (kernel_listener_t: expire, mapping, ...). ShmInstaller writes the dataplane's shared
// tables; FakeInstaller records calls for exchange tests.
//
// Thread context: the controlplane loop. Secrets (SA keys) go down through SaParams and never
// come back up: the Installed* views carry no key material.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/crypto/esp_alg.hpp"
#include "common/tables/records.hpp"
#include "common/tables/table_writer.hpp"

namespace l2tpgw::cp {

// A value, or why there is none (STYLE.md: Result at protocol boundaries).
template <class T>
struct Outcome {
  T value{};
  std::string error;  // empty on success
  bool ok() const { return error.empty(); }
  explicit operator bool() const { return ok(); }
  static Outcome fail(std::string e) { return Outcome{T{}, std::move(e)}; }
};

// What the dataplane holds, as copies of the records (no keys).
struct InstalledSa {
  uint32_t slot = 0;
  tables::SaDirection direction = tables::SaDirection::Inbound;
  uint32_t spi = 0;
  uint32_t peer_index = 0;
  uint8_t owner_worker = 0;
  bool natt = false;
  uint16_t replay_window = 0;
  uint32_t local_addr = 0, peer_addr = 0;  // host order
  uint16_t local_port = 0, peer_port = 0;
  EspCipher cipher = EspCipher::AesCbc128;
  EspAuth auth = EspAuth::HmacSha1_96;
};

struct InstalledTunnel {
  uint16_t id = 0;              // our L2TP tunnel id
  uint32_t peer_index = 0;
  uint32_t sa_out = 0;          // 0 = plain L2TP
  uint16_t peer_tunnel_id = 0;
  uint16_t local_port = 0, peer_port = 0;
  uint32_t local_addr = 0, peer_addr = 0;
  uint8_t owner_worker = 0;
};

struct InstalledSession {
  uint16_t id = 0;              // our L2TP session id
  uint16_t tunnel_id = 0;
  uint16_t peer_session_id = 0;
  uint32_t client_addr = 0;
  uint16_t mtu = 0, tcp_mss = 0;
  uint8_t owner_worker = 0;
  uint8_t ppp_tx_flags = 0;
  uint32_t installed_at = 0;    // Unix seconds, 0 = unknown
};

// One L2TPv3 Ethernet pseudowire (RFC 3931, RFC 4719), cookies left out.
struct InstalledPseudowire {
  uint32_t session_id = 0;      // ours (its slot in the low bits)
  uint32_t peer_session_id = 0;
  uint32_t peer_index = 0;      // 0 = plain L2TPv3 (`l2tpv3-raw`)
  uint32_t sa_out = 0;
  uint32_t local_addr = 0, peer_addr = 0;  // host order
  uint16_t local_port = 0, peer_port = 0;
  uint8_t local_cookie_len = 0, peer_cookie_len = 0;
  uint8_t bridge = 0;
  uint8_t flags = 0;            // tables::kPw*Sublayer
  uint8_t owner_worker = 0;
};

// query_sa: what RFC 4301 §4.4.2.1 lifetimes are measured with.
struct SaUsage {
  uint64_t packets = 0, octets = 0;
};

struct SessionUsage {
  uint64_t rx_packets = 0, rx_octets = 0, tx_packets = 0, tx_octets = 0;
};

class Installer {
 public:
  virtual ~Installer() = default;

  // --- ESP SAs
  // Reserves an inbound SPI (a Quick Mode responder announces it before the keys exist).
  virtual Outcome<uint32_t> alloc_spi() = 0;
  virtual bool release_spi(uint32_t spi) = 0;
  // Installs one direction; returns the SA slot. Inbound: p.spi is 0 or from alloc_spi().
  virtual Outcome<uint32_t> add_sa(const tables::SaParams& p) = 0;
  virtual bool del_sa(uint32_t slot) = 0;
  virtual std::optional<SaUsage> query_sa(uint32_t slot) const = 0;

  // --- L2TP tunnels and sessions (STYLE.md's add_session(L2tpSessionKey, PppParams), split
  // as the tables are: a tunnel binds a peering's outbound SA, a session its PPP link)
  // An LNS announces its ids in SCCRP/ICRP before the records are complete: reserve them,
  // then add_* with p.id set, or release them (TableWriter::reserve_tunnel_id).
  virtual Outcome<uint16_t> reserve_tunnel_id() = 0;
  virtual bool release_tunnel_id(uint16_t id) = 0;
  virtual Outcome<uint16_t> reserve_session_id() = 0;
  virtual bool release_session_id(uint16_t id) = 0;
  virtual Outcome<uint16_t> add_tunnel(const tables::TunnelParams& p) = 0;
  // update_sa for a rekey (make-before-break): the tunnel's downstream moves to `sa_slot`.
  virtual bool update_tunnel_sa_out(uint16_t tunnel_id, uint32_t sa_slot) = 0;
  // False while a session of the tunnel is still installed: sessions go first (workers
  // forward a session's packets upstream without reading its tunnel).
  virtual bool del_tunnel(uint16_t tunnel_id) = 0;
  // del_tunnel keeping the id reserved (TableWriter::retire_tunnel): the control connection
  // closed and lingers (RFC 2661 §5.7); release_tunnel_id gives the id back afterwards.
  virtual bool retire_tunnel(uint16_t tunnel_id) = 0;
  virtual Outcome<uint16_t> add_session(const tables::SessionParams& p) = 0;
  virtual bool del_session(uint16_t session_id) = 0;
  // del_session keeping the id reserved (TableWriter::retire_session): IPCP closed, the L2TP
  // session goes on, and add_session with p.id may install it again.
  virtual bool retire_session(uint16_t session_id) = 0;
  virtual std::optional<SessionUsage> query_session(uint16_t session_id) const = 0;

  // --- L2TPv3 Ethernet pseudowires (TableWriter's *_pseudowire, *_pw_session_id). An LCCE
  // announces its Local Session ID in ICRQ/ICRP before the session is up: reserve it, then
  // add_pseudowire with p.session_id set, or release it. The defaults refuse: an installer
  // for tests of other machines need not know pseudowires.
  virtual Outcome<uint32_t> reserve_pw_session_id() { return Outcome<uint32_t>::fail("no pseudowires here"); }
  virtual bool release_pw_session_id(uint32_t /*session_id*/) { return false; }
  virtual Outcome<uint32_t> add_pseudowire(const tables::PseudowireParams&) {
    return Outcome<uint32_t>::fail("no pseudowires here");
  }
  virtual bool del_pseudowire(uint32_t /*session_id*/) { return false; }
  // A pseudowire bound to an IPsec peer (`l2tpv3`) sends through `sa_slot` from now on: an
  // outbound SA of the same peering (a rekey's new pair, make-before-break).
  virtual bool update_pseudowire_sa_out(uint32_t /*session_id*/, uint32_t /*sa_slot*/) { return false; }
  // Frames and octets from the peer (rx) and to it (tx).
  virtual std::optional<SessionUsage> query_pseudowire(uint32_t /*session_id*/) const { return std::nullopt; }
  virtual std::vector<InstalledPseudowire> pseudowires() const { return {}; }

  // --- What is installed now; after a restart, what the previous controlplane left.
  // The client address ranges the dataplane's pool index covers (fixed at its start), as
  // {first, last} in host order: a session's client address must lie in one.
  virtual std::vector<std::pair<uint32_t, uint32_t>> pool_ranges() const { return {}; }
  virtual std::vector<InstalledSa> sas() const = 0;
  virtual std::vector<InstalledTunnel> tunnels() const = 0;
  virtual std::vector<InstalledSession> sessions() const = 0;

  // Frees retired slots whose RCU grace period has ended. Never blocks.
  virtual void reclaim() = 0;
  virtual size_t pending_reclaims() const = 0;
};

// Why an SA stops (kernel_listener_t::expire).
enum class ExpireReason : uint8_t {
  SoftLifetime,   // RFC 4301 §4.4.2.1: rekey now
  HardLifetime,   // the SA must go
  SeqExhausted,   // RFC 4303 §3.3.3: the outbound counter reached 2^32-1; the SA stopped
};

constexpr const char* to_string(ExpireReason r) {
  switch (r) {
    case ExpireReason::SoftLifetime: return "soft lifetime";
    case ExpireReason::HardLifetime: return "hard lifetime";
    case ExpireReason::SeqExhausted: return "sequence number exhausted";
  }
  return "?";
}

// What comes up from the dataplane. The IKE issue implements it (rekey, DPD); the default
// implementations ignore the event.
class InstallerListener {
 public:
  virtual ~InstallerListener() = default;
  virtual void expire(uint32_t /*sa_slot*/, uint32_t /*spi*/, ExpireReason) {}
  virtual void nat_mapping_changed(uint32_t /*sa_slot*/, uint32_t /*addr*/, uint16_t /*port*/) {}
  virtual void peer_idle(uint32_t /*peer_index*/) {}
};

}  // namespace l2tpgw::cp
