// SPDX-License-Identifier: Apache-2.0
// TableWriter: the single writer of the shared tables (the install/remove API).
//
// The controlplane's installer and the static-session tool both go through this class; the
// dataplane never writes records. Not thread-safe: one writer, on one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "common/crypto/esp_alg.hpp"
#include "common/tables/shared_tables.hpp"

namespace l2tpgw::tables {

struct SaParams {
  SaDirection direction = SaDirection::Inbound;
  uint32_t spi = 0;            // outbound: the peer's SPI; inbound: 0 (chosen by add_sa) or
                               // an SPI reserved with alloc_spi
  uint32_t peer_index = 0;     // the IPsec peering (IKE SA); all its SAs/tunnels share an owner
  bool natt = false;
  uint16_t replay_window = 64;
  uint32_t local_addr = 0, peer_addr = 0;  // host order
  uint16_t local_port = 0, peer_port = 0;  // NAT-T ports (4500 and the peer's)
  EspCipher cipher = EspCipher::AesCbc128;
  EspAuth auth = EspAuth::HmacSha1_96;
  std::span<const uint8_t> enc_key;        // GCM: key || 4-byte salt (RFC 4106 §8.1)
  std::span<const uint8_t> auth_key;
};

struct TunnelParams {
  uint16_t id = 0;                // 0: any free id; else one reserved with reserve_tunnel_id
  uint32_t peer_index = 0;
  uint32_t sa_out = 0;            // SA slot for downstream traffic
  uint16_t peer_tunnel_id = 0;
  uint16_t local_port = 1701, peer_port = 1701;
  uint32_t local_addr = 0, peer_addr = 0;
};

struct SessionParams {
  uint16_t id = 0;                // 0: any free id; else one reserved with reserve_session_id
  uint16_t tunnel_id = 0;         // ours, from add_tunnel
  uint16_t peer_session_id = 0;
  uint32_t client_addr = 0;       // host order
  uint16_t mtu = 1400;
  uint16_t tcp_mss = 0;
  uint8_t ppp_tx_flags = 0;
  uint8_t l2tp_tx_flags = 0;
  uint32_t installed_at = 0;      // Unix seconds; 0 = now
};

// One L2TPv3 Ethernet pseudowire (PseudowireRecord).
struct PseudowireParams {
  uint32_t session_id = 0;        // 0: any free slot; else one reserved with reserve_pw_session_id
  uint32_t peer_session_id = 0;
  uint32_t peer_index = 0;        // IPsec peering; 0 with sa_out 0 = plain L2TPv3
  uint32_t sa_out = 0;
  uint32_t local_addr = 0, peer_addr = 0;  // host order
  uint16_t local_port = 1701, peer_port = 1701;
  std::span<const uint8_t> local_cookie;   // 0, 4 or 8 bytes the peer sends us
  std::span<const uint8_t> peer_cookie;    // 0, 4 or 8 bytes we send
  uint8_t bridge = 1;             // at most kMaxBridgePseudowires in bridge 1
  uint8_t flags = 0;              // kPwTxSublayer, kPwRxSublayer (kPwDefaultSublayer: both)
};

class TableWriter {
 public:
  // Attaches as the writer. Rebuilds its free lists from the published state of every slot,
  // so a restarted controlplane knows what is installed. `rng_seed` feeds SPI tags.
  explicit TableWriter(SharedTables tables, uint64_t rng_seed);

  // Reserves an inbound SA slot and returns the SPI that names it (the SPI a Quick Mode
  // responder announces before the SA's keys exist; kernel_ipsec_t's get_spi). The slot stays
  // unpublished until add_sa() with this SPI, or returns to the free list with release_spi().
  // A writer that dies holding reservations loses them harmlessly: the slots are unpublished.
  // Returns 0 with `error` when the table is full.
  uint32_t alloc_spi(std::string* error);
  bool release_spi(uint32_t spi);

  // The same for L2TP ids: an LNS announces its tunnel id in SCCRP and its session id in
  // ICRP (RFC 2661 §6.2, §6.11) before the records can be complete (the session's address
  // comes from IPCP, later). The ids stay unpublished until add_tunnel/add_session names
  // them, or go back with release_*. Return 0 with `error` when the table is full.
  uint16_t reserve_tunnel_id(std::string* error);
  bool release_tunnel_id(uint16_t id);
  uint16_t reserve_session_id(std::string* error);
  bool release_session_id(uint16_t id);

  // The same for L2TPv3: the Local Session ID goes out in ICRQ/ICRP (RFC 3931 §3.4.1) before
  // the pseudowire can be installed. Returns the 32-bit id, or 0 with `error`.
  uint32_t reserve_pw_session_id(std::string* error);
  // Static L2TPv3 (ids configured at both ends, as `ip l2tp add session`): reserves exactly
  // `session_id`, whose slot (its low bits) must be free and whose tag must not be 0.
  uint32_t reserve_pw_session_id(uint32_t session_id, std::string* error);
  bool release_pw_session_id(uint32_t session_id);

  // Each returns the new slot / id, or 0 with `error` set. Nothing is half-installed on error.
  uint32_t add_sa(const SaParams& p, std::string* error);
  uint16_t add_tunnel(const TunnelParams& p, std::string* error);
  uint16_t add_session(const SessionParams& p, std::string* error);

  // Returns our Session ID (its slot in the low bits), or 0 with `error`.
  uint32_t add_pseudowire(const PseudowireParams& p, std::string* error);

  // Rekey (make-before-break): point the tunnel's downstream at another outbound SA (the
  // tunnel's and its sessions' sa_out).
  bool set_tunnel_sa_out(uint16_t tunnel_id, uint32_t sa_slot);
  bool set_pseudowire_sa_out(uint32_t session_id, uint32_t sa_slot);

  // Unpublish now; the slot is reused after an RCU grace period (see reclaim()).
  bool del_sa(uint32_t slot);
  // A tunnel is removed only after its sessions: false while one is still installed.
  bool del_tunnel(uint16_t tunnel_id);
  bool del_session(uint16_t session_id);
  // del_session, but the id stays reserved once the grace period ends: PPP's network layer
  // went down while its L2TP session lives on (the peer still names this id), and IPCP may
  // open again (add_session with p.id), or the LNS ends the session (release_session_id).
  bool retire_session(uint16_t session_id);
  // The same for a tunnel: its control connection ended, but the LNS keeps the id a while
  // (RFC 2661 §5.7: it acknowledges a retransmitted StopCCN) and gives it back with
  // release_tunnel_id; no data is forwarded for it meanwhile.
  bool retire_tunnel(uint16_t tunnel_id);
  bool del_pseudowire(uint32_t session_id);

  // Frees retired slots whose grace period has ended. With `wait`, blocks until all have.
  void reclaim(bool wait);
  size_t pending_reclaims() const { return deferred_.size(); }

  uint8_t owner_for(uint32_t peer_index) const {
    return static_cast<uint8_t>(peer_index % tables_.n_workers());
  }
  const SharedTables& tables() const { return tables_; }

  // What is installed, as seen in the tables (used after a restart).
  std::vector<uint32_t> installed_sas() const;
  std::vector<uint16_t> installed_sessions() const;
  std::vector<uint16_t> installed_tunnels() const;
  std::vector<uint32_t> installed_pseudowires() const;  // their Session IDs

 private:
  enum class Kind : uint8_t { Sa, Tunnel, Session, Pseudowire };
  struct Deferred {
    Kind kind;
    uint32_t slot;
    uint64_t token;
    bool keep_id = false;  // retire_*: back to the reservations, not the free list
  };
  bool unpublish_session(uint16_t id, bool keep_id);
  // Rebuilds bridge 1's published member list from the installed pseudowires.
  void publish_bridge_members();
  bool unpublish_tunnel(uint16_t id, bool keep_id);
  // Clears keep_id of a retired id still in its grace period (it is released meanwhile).
  bool release_retiring(Kind kind, uint16_t id);
  template <class R>
  static void publish(R& r);
  template <class R>
  static void unpublish(R& r);
  uint32_t next_tag();
  // The front of a free list, skipping a slot that is published after all (another writer
  // installed it since this one rebuilt its lists: never overwrite a live record). 0 = none.
  template <class R, class Get>
  uint32_t take_free(std::deque<uint32_t>& list, Get get);
  // Whether SA `slot` is an installed outbound SA of IPsec peering `peer_index` (what a tunnel
  // or pseudowire may send through).
  bool is_outbound_sa_of(uint32_t slot, uint32_t peer_index) const;
  // The published pseudowire our Session ID names, or nullptr.
  PseudowireRecord* pseudowire_for(uint32_t session_id) const;
  // reserve_*_id / release_*_id over one table's free list and reservations.
  static uint16_t reserve_id(std::deque<uint32_t>& free_list, std::vector<uint16_t>& reserved,
                             uint32_t id, const char* full, std::string* error);
  static bool release_id(std::deque<uint32_t>& free_list, std::vector<uint16_t>& reserved,
                         uint16_t id);

  SharedTables tables_;
  std::deque<uint32_t> free_sa_, free_tunnel_, free_session_, free_pw_;  // FIFO: ids reused late
  std::deque<Deferred> deferred_;
  std::vector<uint32_t> reserved_spis_;  // alloc_spi'd, not yet added or released
  std::vector<uint16_t> reserved_tunnels_, reserved_sessions_;  // reserve_*_id'd
  std::vector<uint32_t> reserved_pw_;    // reserve_pw_session_id'd (whole Session IDs)
  uint64_t rng_;
  uint64_t bridge_switch_token_ = 0;  // RCU token of the last switch of bridge1.active
  bool bridge_switched_ = false;
};

}  // namespace l2tpgw::tables
