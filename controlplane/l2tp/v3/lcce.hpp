// SPDX-License-Identifier: Apache-2.0
// The L2TPv3 control connection endpoint (LCCE, RFC 3931) for Ethernet pseudowires
// (RFC 4719), both roles, one control connection and one session per `tunnel select N`
// with `tunnel encapsulation l2tpv3|l2tpv3-raw` (seed 001):
//   - control connection (§3.3, §7.2 states idle -> wait-ctl-reply -> established as
//     initiator, idle -> wait-ctl-conn -> established as responder): SCCRQ/SCCRP/SCCCN with
//     Host Name, Router ID, Assigned Control Connection ID, Pseudowire Capabilities List;
//     StopCCN; HELLO keepalive (`l2tp keepalive use on 60 3`); reliable delivery (reliable.hpp);
//   - the Control Connection Tie Breaker (§5.4.3) so that two ends that start at once end up
//     with one connection, and a new SCCRQ from a peer that restarted replacing its old one;
//   - `l2tp always-on`: the initiator retries with back-off after a failure or a StopCCN;
//   - control message authentication (§4.3, `l2tp tunnel auth on PASSWORD`): Message Digest
//     and Control Message Authentication Nonce; a wrong password or a missing digest refuses
//     the connection;
//   - sessions (§3.4.1 incoming call: idle -> wait-reply -> established as initiator,
//     idle -> wait-connect -> established as responder): ICRQ/ICRP/ICCN with Local/Remote
//     Session ID, Assigned Cookie, Remote End ID (`l2tp remote end-id`), Pseudowire Type 5,
//     Circuit Status; SLI for circuit status changes; CDN. The end that initiated the control
//     connection initiates the session.
//
// Sans-I/O: datagrams in with the peer they came from and the time; datagrams out, session
// events and log lines through LcceHooks; the owner arms one timer for next_deadline().
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "controlplane/l2tp/lns.hpp"        // L2tpPeer
#include "controlplane/l2tp/v3/message.hpp"

namespace l2tpgw::cp::l2tp::v3 {

// One `tunnel select N` with L2TPv3 encapsulation, as the LCCE needs it.
struct LcceTunnelConfig {
  uint16_t interface = 0;              // N of TUNNEL[N]
  uint32_t local_addr = 0;             // `tunnel endpoint address LOCAL REMOTE` (host order)
  uint32_t remote_addr = 0;
  uint16_t remote_port = 1701;
  bool ipsec = false;                  // `l2tpv3` (not `l2tpv3-raw`): only ESP-protected
                                       // control messages are accepted (peer.sa_slot != 0)
  bool always_on = false;              // `l2tp always-on on`
  uint32_t local_router_id = 0;        // `l2tp local router-id` (0: local_addr)
  std::optional<uint32_t> remote_router_id;  // `l2tp remote router-id`: the peer must send it
  std::string remote_end_id;           // `l2tp remote end-id`
  bool auth = false;                   // `l2tp tunnel auth on PASSWORD`
  std::string secret;                  // the PASSWORD (never logged, never shown)
  DigestType digest = DigestType::HmacMd5;
  bool keepalive = true;               // `l2tp keepalive use on INTERVAL COUNT`
  uint16_t keepalive_interval = 60;
  uint16_t keepalive_count = 3;
  bool keepalive_log = false;          // `l2tp keepalive log on`
  bool syslog = false;                 // `l2tp syslog on`: the DEBUG lines
  uint8_t cookie_len = 8;              // our Assigned Cookie: 0, 4 or 8 octets (§5.4.4)
  bool circuit_up = true;              // the local circuit (the bridged LAN port) at start
  bool operator==(const LcceTunnelConfig&) const = default;
};

// §4.1.2 data message cookie: 0, 32 or 64 bits.
struct Cookie {
  uint8_t len = 0;
  std::array<uint8_t, 8> bytes{};
  std::span<const uint8_t> view() const { return {bytes.data(), len}; }
  bool operator==(const Cookie&) const = default;
};

// What the dataplane needs to carry Ethernet frames over one pseudowire (RFC 4719), and what
// `show` prints of it.
struct PseudowireSession {
  uint16_t interface = 0;              // TUNNEL[N]
  uint32_t ccid = 0, peer_ccid = 0;    // the control connection's ids (ours, theirs)
  // Ours: the Session ID of data messages we receive (from reserve_session_id, so a direct
  // index), and the cookie they must carry.
  uint32_t session_id = 0;
  Cookie cookie;
  // Theirs: what we write into the data messages we send.
  uint32_t peer_session_id = 0;
  Cookie peer_cookie;
  uint32_t local_addr = 0;             // our tunnel endpoint address
  L2tpPeer peer;                       // where data messages go (UDP, port 1701)
  uint16_t pw_type = kPwTypeEthernet;
  // §5.4.4 L2-Specific Sublayer: what we must put in the data messages we send (the peer's
  // AVP) and what we asked the peer to put in the ones we receive (none).
  uint16_t tx_l2_sublayer = kL2SublayerNone;
  uint16_t rx_l2_sublayer = kL2SublayerNone;
  uint16_t tx_data_sequencing = 0;     // §5.4.4 Data Sequencing the peer asked of us
  bool local_up = true, peer_up = true;  // §5.4.5 Circuit Status, ours and theirs
};

// What the LCCE needs from the rest of the controlplane.
class LcceHooks {
 public:
  virtual ~LcceHooks() = default;
  // A control datagram (UDP payload) for `to`, from UDP 1701 of the tunnel's local address;
  // ESP-protected when the tunnel's encapsulation is `l2tpv3`.
  virtual void send(uint16_t interface, const L2tpPeer& to, std::vector<uint8_t> datagram) = 0;
  // Our Local Session ID for a new session: the dataplane's index for the pseudowire
  // (DESIGN.md: identifiers we choose are slot indexes). nullopt: none free.
  virtual std::optional<uint32_t> reserve_session_id(uint16_t interface) = 0;
  virtual void release_session_id(uint32_t id) = 0;
  virtual void log_info(const std::string& line) = 0;
  virtual void log_debug(const std::string& line) = 0;
  // Random octets: tie breakers, nonces, cookies, connection ids, retry jitter. The default
  // draws from OpenSSL's RAND_bytes; tests replace it to be repeatable.
  virtual void random_bytes(std::span<uint8_t> out);

  // The session is established: install the pseudowire. session_changed: the circuit status
  // of either end moved (SLI, set_circuit_status). session_down: remove it.
  virtual void session_up(const PseudowireSession&) {}
  virtual void session_changed(const PseudowireSession&) {}
  virtual void session_down(const PseudowireSession&) {}
};

#define L2TPGW_LCCE_STATS(X)                                                              \
  X(connections_established) X(sessions_established)                                     \
  X(malformed) X(unknown_connection) X(no_tunnel) X(not_protected) X(unexpected)          \
  X(auth_failed) X(bad_digest) X(unknown_mandatory_avp) X(router_id_mismatch)             \
  X(keepalive_timeouts) X(retransmit_failures) X(state_timeouts)                          \
  X(collisions_won) X(collisions_lost) X(collisions_tied) X(peer_restarts)                \
  X(stopccn_received) X(cdn_received) X(session_refused) X(no_session_id)                 \
  X(too_many_connections) X(connect_attempts)

struct LcceStats {
#define X(n) uint64_t n = 0;
  L2TPGW_LCCE_STATS(X)
#undef X
  // Calls fn(name, value) for every counter (`show counters`).
  template <class Fn>
  void for_each(Fn&& fn) const {
#define X(n) fn(#n, n);
    L2TPGW_LCCE_STATS(X)
#undef X
  }
};

// `show status l2tp`, one L2TPv3 tunnel (seed 001's layout, status.hpp formats it).
struct LcceTunnelStatus {
  uint16_t interface = 0;
  std::string state;                   // idle, wait_ctl_reply, wait_ctl_conn, established
  uint32_t ccid = 0, peer_ccid = 0;
  uint32_t local_addr = 0;
  L2tpPeer peer;
  uint16_t local_port = 1701;
  std::string peer_vendor, peer_hostname;
  uint16_t ns = 0, nr = 0;             // next Ns we send, next Ns we expect (= our Nr)
  struct Session {
    std::string state;                 // wait_reply, wait_connect, established
    uint32_t session_id = 0, peer_session_id = 0;
    bool local_up = true, peer_up = false;
    long seconds = 0;                  // since established
    // From the dataplane's counters; the LCCE leaves them 0 for the owner to fill.
    uint64_t rx_packets = 0, rx_octets = 0, tx_packets = 0, tx_octets = 0;
  };
  std::vector<Session> sessions;
};

class Lcce {
 public:
  struct Config {
    std::string hostname = "l2tpgw";
    std::string vendor = "l2tpgw";
    uint16_t firmware_revision = 0x100;
    uint16_t receive_window = 16;
    ReliableConfig reliable{};                          // retransmission (§4.2)
    Duration state_timeout = std::chrono::seconds(60);  // wait-ctl-*, wait-reply/connect
    Duration linger = std::chrono::seconds(31);         // keep acknowledging after closing
    Duration retry_initial = std::chrono::seconds(5);   // always-on back-off: 5, 10, 20...
    Duration retry_max = std::chrono::seconds(60);
    Duration retry_jitter = std::chrono::seconds(1);    // + [0, jitter): crossing SCCRQs part
    // A SCCRQ from the peer this soon after ours, when ours won the tie breaker, is the
    // losing half of a collision that arrived late, not a restarted peer (see on_sccrq).
    Duration collision_window = std::chrono::seconds(10);
    // Connections held at once, lingering ones included (below the 65,535 ids there are).
    size_t max_connections = 1024;
  };

  Lcce(LcceHooks& hooks, Config cfg);
  ~Lcce();
  Lcce(const Lcce&) = delete;
  Lcce& operator=(const Lcce&) = delete;

  // Adds (or replaces) a tunnel. With always_on it starts connecting now.
  void add_tunnel(const LcceTunnelConfig& cfg, TimePoint now);
  // StopCCN (result 1) and forget the tunnel.
  bool remove_tunnel(uint16_t interface, TimePoint now);
  // Operator: bring the tunnel up now (and keep it up, as always-on does), or take it down
  // with StopCCN (result `result`) and leave it down until connect().
  bool connect(uint16_t interface, TimePoint now);
  bool disconnect(uint16_t interface, TimePoint now, uint16_t result = 1);
  // Operator: end the tunnel's session with CDN (result `result`, 3: administrative). The
  // control connection stays; its initiator calls again after retry_initial.
  bool disconnect_session(uint16_t interface, TimePoint now, uint16_t result = 3);
  // The way to the tunnel's peer has just opened (`l2tpv3`: the IPsec SA pair it needs came
  // up; until then everything sent was dropped): a connection still waiting for the peer's
  // first answer sends again now with a fresh state timer, and a tunnel waiting to retry
  // starts now.
  bool path_up(uint16_t interface, TimePoint now);
  // The local circuit (the bridged LAN port) went up or down: SLI to the peer (§5.4.5).
  bool set_circuit_status(uint16_t interface, bool up, TimePoint now);

  // An L2TPv3 control message (UDP payload from the L2TP header; is_l2tpv3_control()).
  void on_control(std::span<const uint8_t> datagram, const L2tpPeer& from, TimePoint now);
  void on_timer(TimePoint now);
  std::optional<TimePoint> next_deadline() const;

  std::vector<LcceTunnelStatus> status(TimePoint now) const;
  const LcceStats& stats() const { return stats_; }
  // Control connections and sessions that are not closed.
  size_t connection_count() const;
  size_t session_count() const;
  // The established session of a tunnel, if any.
  std::optional<PseudowireSession> session(uint16_t interface) const;

 private:
  struct Session;
  struct Connection;
  struct Tunnel;

  void start_connection(Tunnel& t, TimePoint now);
  void on_sccrq(std::span<const uint8_t> datagram, ControlMessage m, const L2tpPeer& from,
                TimePoint now);
  Connection& new_connection(Tunnel& t, const L2tpPeer& peer, bool initiator, TimePoint now);
  void handle(Connection& c, ControlMessage m, TimePoint now);
  void on_connection_message(Connection& c, const ControlMessage& m, TimePoint now);
  void on_session_message(Connection& c, const ControlMessage& m, TimePoint now);
  void on_sccrp(Connection& c, const ControlMessage& m, TimePoint now);
  void on_icrq(Connection& c, const ControlMessage& m, TimePoint now);
  void on_icrp(Connection& c, const ControlMessage& m, TimePoint now);
  void established(Connection& c, TimePoint now);
  void start_session(Connection& c, TimePoint now);
  void session_established(Connection& c, TimePoint now);
  bool take_session_avps(Connection& c, const ControlMessage& m, TimePoint now);
  void send(Connection& c, ControlBuilder b, TimePoint now);
  void send_cdn(Connection& c, uint32_t peer_session_id, uint32_t our_session_id,
                uint16_t result, std::optional<uint16_t> error, TimePoint now);
  void flush(Connection& c);
  void stop_connection(Connection& c, TimePoint now, uint16_t result,
                       std::optional<uint16_t> error, const std::string& why);
  void close_connection(Connection& c, TimePoint now);
  void end_session(Connection& c, bool send_cdn, uint16_t result, std::optional<uint16_t> error,
                   TimePoint now);
  void schedule_retry(Tunnel& t, TimePoint now);
  void refuse_auth(Connection& c, TimePoint now);
  MessageAuth send_auth(const Connection& c, bool with_nonces) const;
  MessageAuth receive_auth(const Connection& c, std::span<const uint8_t> peer_nonce) const;
  PseudowireSession event(const Connection& c) const;
  void debug_avps(const Connection& c, const ControlMessage& m);
  void debug(const Connection& c, const std::string& line);
  std::string tag(const Connection& c) const;
  Tunnel* tunnel_of(const Connection& c);
  const Tunnel* tunnel_of(const Connection& c) const;
  uint32_t new_ccid();
  uint64_t random_u64();
  Duration jitter();

  LcceHooks& hooks_;
  Config cfg_;
  std::map<uint16_t, Tunnel> tunnels_;                       // by interface
  std::map<uint32_t, std::unique_ptr<Connection>> conns_;    // by our CCID, closed ones too
  uint32_t serial_ = 0;                                      // §5.4.4 Serial Number
  LcceStats stats_;
};

}  // namespace l2tpgw::cp::l2tp::v3
