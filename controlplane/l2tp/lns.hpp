// SPDX-License-Identifier: Apache-2.0
// The L2TPv2 LNS (RFC 2661): control connections (§7.2 idle -> wait-ctl-conn -> established),
// incoming calls (§7.4.2 idle -> wait-connect -> established), tunnel authentication (§4.2,
// `l2tp tunnel auth`), HELLO keepalive (`l2tp keepalive use on 10 3`), the idle cut (`l2tp
// tunnel disconnect time`), StopCCN/CDN with result codes, and the seed's SYSLOG lines. PPP
// starts when a session is established (session_up) and is told when it ends (session_down).
//
// Sans-I/O: datagrams in with the peer they came from and the time; datagrams out, events
// and log lines through LnsHooks; the owner arms one timer for next_deadline().
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "controlplane/l2tp/control_message.hpp"
#include "controlplane/l2tp/reliable.hpp"

namespace l2tpgw::cp::l2tp {

// Where a control message came from: the client's current outer address and port, and the
// inbound SA that carried it (0: plain L2TP, no IPsec).
struct L2tpPeer {
  uint32_t addr = 0;       // host order
  uint16_t port = 1701;    // the client's L2TP UDP port
  uint32_t sa_slot = 0;
  bool operator==(const L2tpPeer&) const = default;
};

// The `tunnel select N` interface a client's control connection is bound to (`pp bind`),
// with the settings of that tunnel.
struct TunnelPolicy {
  uint16_t interface = 0;          // N of TUNNEL[N]
  bool auth = false;               // l2tp tunnel auth on
  std::string secret;              // its password (never logged)
  bool keepalive = true;           // l2tp keepalive use
  uint16_t keepalive_interval = 10;
  uint16_t keepalive_count = 3;
  bool keepalive_log = false;
  // l2tp tunnel disconnect time: the tunnel is cut after this long without data (LnsHooks::
  // data_packets); nullopt: never (`off`, and what a policy means unless it says otherwise).
  std::optional<Duration> disconnect_time;
  bool syslog = false;             // l2tp syslog on: the DEBUG lines
};

// What the LNS needs from the rest of the controlplane.
class LnsHooks {
 public:
  virtual ~LnsHooks() = default;
  // A free tunnel interface bound to a pp (anonymous) for this peer; nullopt: none left.
  virtual std::optional<TunnelPolicy> bind_tunnel(const L2tpPeer& peer) = 0;
  virtual void unbind_tunnel(uint16_t interface) = 0;
  // Identifiers we hand out in SCCRP/ICRP (DESIGN.md: slot indexes of the shared tables).
  virtual std::optional<uint16_t> reserve_tunnel_id() = 0;
  virtual void release_tunnel_id(uint16_t id) = 0;
  virtual std::optional<uint16_t> reserve_session_id() = 0;
  virtual void release_session_id(uint16_t id) = 0;
  // A control datagram (UDP payload) for the peer: sent from UDP 1701 to peer.port,
  // ESP-protected with the outbound SA paired with peer.sa_slot when there is one.
  virtual void send(const L2tpPeer& peer, std::vector<uint8_t> datagram) = 0;
  // Whether inbound SAs `a` and `b` belong to one client's IPsec peering: after a rekey its
  // control messages come under the new SA while the tunnel was set up under the old one.
  virtual bool same_ipsec_peer(uint32_t a, uint32_t b) { return a == b; }
  virtual void log_info(const std::string& line) = 0;
  virtual void log_debug(const std::string& line) = 0;

  struct Session {
    uint16_t interface;              // TUNNEL[N]
    uint16_t tunnel_id, session_id;  // ours
    uint16_t peer_tunnel_id, peer_session_id;
    L2tpPeer peer;
  };
  virtual void session_up(const Session&) {}
  virtual void session_down(const Session&) {}
  // The control connection ended (StopCCN either way, or the peer is gone), its sessions
  // first: nothing is carried for it any more. The id stays ours until release_tunnel_id
  // (§5.7: a closed tunnel still acknowledges a retransmitted StopCCN for a while).
  virtual void tunnel_closed(uint16_t /*tunnel_id*/) {}

  // Data packets (both directions) carried for the tunnel's sessions so far: any change
  // between two looks is data (`l2tp tunnel disconnect time`). Control messages and PPP
  // control frames do not count.
  virtual uint64_t data_packets(uint16_t /*tunnel_id*/) { return 0; }
  // The peer stopped answering (HELLO keepalive or retransmission limit): the tunnel is
  // closing, and whatever else carries the peer (its IPsec SAs) can go too.
  virtual void peer_unreachable(uint16_t /*tunnel_id*/, const L2tpPeer&) {}
};

#define L2TPGW_LNS_STATS(X)                                                        \
  X(tunnels_established) X(sessions_established)                                   \
  X(malformed) X(unknown_tunnel) X(unexpected) X(auth_failed)                      \
  X(no_interface) X(no_tunnel_id) X(no_session_id)                                 \
  X(unknown_mandatory_avp) X(keepalive_timeouts) X(retransmit_failures)            \
  X(idle_disconnects)

struct LnsStats {
#define X(n) uint64_t n = 0;
  L2TPGW_LNS_STATS(X)
#undef X
  // Calls fn(name, value) for every counter (`show counters`).
  template <class Fn>
  void for_each(Fn&& fn) const {
#define X(n) fn(#n, n);
    L2TPGW_LNS_STATS(X)
#undef X
  }
};

// `show status l2tp`, per tunnel.
struct L2tpTunnelStatus {
  uint16_t interface;
  std::string state;            // idle, wait-ctl-conn, established
  uint16_t tunnel_id, peer_tunnel_id;
  L2tpPeer peer;
  std::string peer_hostname, peer_vendor;
  uint16_t ns = 0, nr = 0;      // next Ns we send, next Ns we expect (= our Nr)
  struct Session {
    uint16_t session_id, peer_session_id;
    std::string state;          // wait-connect, established
  };
  std::vector<Session> sessions;
};

class Lns {
 public:
  struct Config {
    std::string hostname = "l2tpgw";
    std::string vendor = "l2tpgw";
    uint16_t firmware_revision = 0x100;
    uint16_t receive_window = 16;
    Duration state_timeout = std::chrono::seconds(60);  // wait-ctl-conn / wait-connect
    Duration linger = std::chrono::seconds(31);         // §5.7: keep acking after StopCCN
  };

  Lns(LnsHooks& hooks, Config cfg);
  ~Lns();

  // A control message from `peer` (UDP payload starting at the L2TP header).
  void on_control(std::span<const uint8_t> datagram, const L2tpPeer& peer, TimePoint now);
  void on_timer(TimePoint now);
  std::optional<TimePoint> next_deadline() const;

  // Operator or lower-layer teardown: StopCCN (result 6 / `result`) or CDN.
  bool disconnect_tunnel(uint16_t tunnel_id, TimePoint now, uint16_t result = 6);
  bool disconnect_session(uint16_t session_id, TimePoint now, uint16_t result = 3);
  // The tunnel's transport is gone (its client's IPsec SAs were deleted): its sessions end
  // and it is forgotten at once, without StopCCN, which nothing could carry any more.
  bool drop_tunnel(uint16_t tunnel_id, TimePoint now);
  // The client's IPsec SAs were rekeyed: the tunnel is bound to the newest inbound SA (its
  // older ones are deleted, and their slots may go to another client).
  void peer_rekeyed(uint16_t tunnel_id, uint32_t sa_slot);
  // The peer's address or port changed (NAT-T mapping moved): follow it.
  void peer_moved(uint32_t sa_slot, uint32_t addr, uint16_t port);

  std::vector<L2tpTunnelStatus> status() const;
  const LnsStats& stats() const { return stats_; }
  size_t tunnel_count() const;
  size_t session_count() const;

 private:
  struct Tunnel;
  struct Session;
  Tunnel* find_by_peer(const L2tpPeer& peer, uint16_t peer_tunnel_id);
  void handle(Tunnel& t, ControlMessage m, TimePoint now);
  void on_sccrq(const ControlMessage& m, const L2tpPeer& peer, TimePoint now);
  void on_tunnel_message(Tunnel& t, const ControlMessage& m, TimePoint now);
  void on_session_message(Tunnel& t, const ControlMessage& m, TimePoint now);
  void send(Tunnel& t, ControlBuilder b, TimePoint now);
  void flush(Tunnel& t);
  void stop_tunnel(Tunnel& t, TimePoint now, uint16_t result, std::optional<uint16_t> error,
                   const std::string& why);
  void close_tunnel(Tunnel& t, TimePoint now);  // sessions down, linger, then forget
  void end_session(Tunnel& t, uint16_t session_id, bool send_cdn, uint16_t result,
                   std::optional<uint16_t> error, TimePoint now);
  void forget(uint16_t tunnel_id);
  void keepalive(Tunnel& t, TimePoint now);
  void disconnect_timer(Tunnel& t, TimePoint now);
  static uint16_t keepalive_count(const Tunnel& t);
  void debug_avps(const Tunnel& t, const ControlMessage& m);
  std::string tag(const Tunnel& t) const;

  LnsHooks& hooks_;
  Config cfg_;
  std::map<uint16_t, std::unique_ptr<Tunnel>> tunnels_;  // by our tunnel id
  LnsStats stats_;
};

// §4.2: the Challenge Response for a message of type `id` (SCCRP: 2, SCCCN: 3) =
// MD5(id | secret | challenge).
std::vector<uint8_t> challenge_response(uint8_t id, std::string_view secret,
                                        std::span<const uint8_t> challenge);

}  // namespace l2tpgw::cp::l2tp
