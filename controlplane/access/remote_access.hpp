// SPDX-License-Identifier: Apache-2.0
// RemoteAccess: what an RTX does for an L2TP/IPsec client once IKE has its SA pair: the
// L2TPv2 LNS (controlplane/l2tp) answers the control connection on a free tunnel bound to
// `pp select anonymous` (`pp bind tunnel1-tunnelN`), each established L2TP session runs one
// PppSession (controlplane/ppp) with that pp's policy, and when IPCP opens the tunnel and
// session records go into the dataplane's tables (Installer) so the fastpath forwards.
//
//   IKE child SA up/down   -> ipsec_up / ipsec_down (which SA pair speaks for a client; a
//                             rekey moves the tunnels' downstream to the new outbound SA)
//   punted L2TP control    -> on_l2tp_control -> Lns
//   punted PPP (non-IPv4)  -> on_ppp -> the session's PppSession
//   Lns / PppSession out   -> RemoteAccessLink::send_esp (a UDP datagram for the client,
//                             ESP-encrypted by the dataplane with the pair's outbound SA)
//   IPCP opened / closed   -> Installer add_tunnel + add_session / retire_session
//   L2TP session gone      -> PPP lower_down, records removed, ids released
//   L2TP peer unreachable  -> drop_peer (IKE deletes the client's ISAKMP and IPsec SAs)
//   disconnect time        -> the LNS reads the sessions' packet counters (query_session)
//
// Sans-I/O: time comes from `now`, timers from TimerService, packets leave through
// RemoteAccessLink, so the exchange tests drive it with a scripted LAC and a FakeInstaller.
//
// Thread context: the controlplane loop.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "controlplane/config/model.hpp"
#include "controlplane/install/installer.hpp"
#include "controlplane/l2tp/lns.hpp"
#include "controlplane/ppp/policy.hpp"
#include "controlplane/ppp/session.hpp"
#include "controlplane/ppp/timers.hpp"

namespace l2tpgw::cp::access {

// One installed IPsec SA pair (ike::ChildSaEvent, reduced to what L2TP needs).
struct IpsecPair {
  uint32_t peer_index = 0;  // binds the L2TP tunnel record to the client's SAs
  uint32_t slot_in = 0, slot_out = 0;
};

// The way out: `udp` is a whole UDP datagram (header included, from our L2TP port to the
// client's) for the dataplane to carry in transport-mode ESP with outbound SA `slot_out`.
class RemoteAccessLink {
 public:
  virtual ~RemoteAccessLink() = default;
  virtual bool send_esp(uint32_t slot_out, std::vector<uint8_t> udp) = 0;
};

#define L2TPGW_ACCESS_COUNTERS(X)                                                           \
  X(l2tp_received)        /* control messages handed to the LNS */                          \
  X(l2tp_sent) X(ppp_received) X(ppp_sent)                                                   \
  X(send_no_sa)           /* no outbound SA for the client (plain L2TP, or the SA is gone) */ \
  X(send_failed)          /* the inject ring or the mbuf pool refused */                    \
  X(ppp_unknown_session)  /* PPP for a session id the LNS has not established */            \
  X(ppp_wrong_peer)       /* PPP naming another client's session (its SA is not theirs) */  \
  X(no_interface)         /* every tunnel bound to the pp is taken */                       \
  X(install_failed)       /* add_tunnel / add_session refused: the call is ended */         \
  X(peers_dropped)        /* L2TP found the client gone: its IPsec SAs were asked to go */   \
  X(reload_disconnects)   /* calls a reloaded configuration no longer allows, ended */      \
  X(sessions_installed) X(sessions_removed) X(rekeys)

struct RemoteAccessCounters {
#define X(n) uint64_t n = 0;
  L2TPGW_ACCESS_COUNTERS(X)
#undef X
  template <class F>
  void for_each(F&& f) const {
#define X(n) f(#n, n);
    L2TPGW_ACCESS_COUNTERS(X)
#undef X
  }
};

// `show status pp`, per PPP session.
struct PpSessionStatus {
  uint16_t pp = config::kPpAnonymous;  // the `pp select` its tunnel is bound to
  uint16_t interface = 0;              // TUNNEL[N]
  uint16_t tunnel_id = 0, session_id = 0;
  std::string phase;       // RFC 1661 §3.2
  std::string username;
  bool network_up = false;
  ppp::PppNetworkParams network;
  ppp::PppOptionNames options;
};

class RemoteAccess final : private l2tp::LnsHooks {
 public:
  RemoteAccess(Installer& installer, ppp::TimerService& timers, ppp::Random& random,
               RemoteAccessLink& link, std::function<TimePoint()> now);
  ~RemoteAccess() override;
  RemoteAccess(const RemoteAccess&) = delete;
  RemoteAccess& operator=(const RemoteAccess&) = delete;

  // The running configuration. Sessions keep the pp policy they started with; new control
  // connections and calls use the new one.
  void set_config(const config::Config& cfg);

  void ipsec_up(const IpsecPair& p);
  void ipsec_down(const IpsecPair& p);
  // How a client that stopped answering L2TP (HELLO keepalive, retransmission limit) loses
  // its IPsec SAs: IKE deletes the peering `peer_index` (Delete notifications, then
  // ipsec_down). Called from the loop, never inside an Lns or PppSession callback.
  void set_drop_peer(std::function<void(uint32_t peer_index)> drop) { drop_peer_ = std::move(drop); }

  // A control message (the L2TP header onwards) from `peer`.
  void on_l2tp_control(std::span<const uint8_t> message, const l2tp::L2tpPeer& peer);
  // A PPP packet (Code onwards) of `protocol` for our session `session_id` in our tunnel
  // `tunnel_id`, carried by inbound SA `sa_slot`.
  void on_ppp(uint16_t tunnel_id, uint16_t session_id, uint32_t sa_slot, uint16_t protocol,
              std::span<const uint8_t> packet);

  // Every tunnel gets StopCCN (the process stops): PPP is told its lower layer is gone.
  void shutdown();

  std::vector<l2tp::L2tpTunnelStatus> l2tp_status() const { return lns_.status(); }
  std::vector<PpSessionStatus> pp_status() const;
  // Our tunnel ids bound to a numbered pp (a fixed peer's `pp select N`), with that pp;
  // tunnels of `pp select anonymous` are not listed.
  std::map<uint16_t, uint16_t> numbered_pp_tunnels() const;
  const RemoteAccessCounters& counters() const { return counters_; }
  const l2tp::LnsStats& lns_stats() const { return lns_.stats(); }
  size_t call_count() const { return calls_.size(); }
  // Each configured pp's PPP counters (its sessions share them).
  std::vector<std::pair<uint16_t, const ppp::PppCounters*>> ppp_counters() const {
    std::vector<std::pair<uint16_t, const ppp::PppCounters*>> out;
    for (const auto& [id, ctx] : contexts_) out.emplace_back(id, &ctx->counters());
    return out;
  }

 private:
  struct Call;
  struct TunnelState {
    uint16_t interface = 0;
    uint16_t pp = config::kPpAnonymous;
    bool installed = false;     // the dataplane holds the TunnelRecord under our id
    uint32_t peer_index = 0;
    uint16_t peer_tunnel_id = 0;
    l2tp::L2tpPeer peer;
  };

  // LnsHooks
  std::optional<l2tp::TunnelPolicy> bind_tunnel(const l2tp::L2tpPeer& peer) override;
  void unbind_tunnel(uint16_t interface) override;
  std::optional<uint16_t> reserve_tunnel_id() override;
  void release_tunnel_id(uint16_t id) override;
  std::optional<uint16_t> reserve_session_id() override;
  void release_session_id(uint16_t id) override;
  void send(const l2tp::L2tpPeer& peer, std::vector<uint8_t> datagram) override;
  bool same_ipsec_peer(uint32_t a, uint32_t b) override;
  void log_info(const std::string& line) override;
  void log_debug(const std::string& line) override;
  void session_up(const Session& s) override;
  void session_down(const Session& s) override;
  void tunnel_closed(uint16_t tunnel_id) override;
  uint64_t data_packets(uint16_t tunnel_id) override;
  void peer_unreachable(uint16_t tunnel_id, const l2tp::L2tpPeer& peer) override;

  // From a Call's PppSessionListener.
  void ppp_send(Call& c, uint16_t protocol, std::span<const uint8_t> packet);
  void ppp_network_up(Call& c, const ppp::PppNetworkParams& params);
  void ppp_network_down(Call& c);
  void ppp_closed(Call& c, ppp::PppCloseReason reason);

  std::optional<IpsecPair> pair_for(uint32_t slot_in);
  // The peering's tunnels follow its newest pair (a rekey, or an older pair taking over).
  // Returns how many installed tunnels moved to its outbound SA.
  size_t rebind_tunnels(const IpsecPair& p);
  void end_unconfigured_tunnels();
  bool send_udp(const l2tp::L2tpPeer& peer, std::span<const uint8_t> payload);
  uint16_t tcp_mss_for(uint16_t interface, uint16_t mtu) const;
  void rearm();
  // Runs `action` from the loop, after the current callback chain has returned (never inside
  // a PppSession or Lns callback).
  void defer(std::function<void()> action);
  // The tunnel's record, installed on first need (the first session whose IPCP opens).
  bool ensure_tunnel(uint16_t tunnel_id, TunnelState& t);

  Installer& installer_;
  ppp::TimerService& timers_;
  ppp::Random& random_;
  RemoteAccessLink& link_;
  std::function<TimePoint()> now_;
  std::function<void(uint32_t)> drop_peer_;
  l2tp::Lns lns_;
  ppp::PppTimer lns_timer_;
  ppp::PppTimer defer_timer_;
  std::deque<std::function<void()>> deferred_;
  std::optional<TunnelState> pending_tunnel_;    // bind_tunnel -> reserve_tunnel_id

  std::shared_ptr<const config::Config> cfg_;
  std::map<uint16_t, std::shared_ptr<ppp::PpContext>> contexts_;  // by pp id
  std::set<uint16_t> interfaces_in_use_;
  std::map<uint32_t, IpsecPair> pairs_;            // by inbound slot
  std::map<uint32_t, uint32_t> peer_of_slot_;      // inbound slot -> peer_index (kept over rekeys)
  std::map<uint32_t, IpsecPair> latest_;           // by peer_index: the newest pair
  std::map<uint16_t, TunnelState> tunnels_;        // by our tunnel id, from reservation
  std::map<uint16_t, std::unique_ptr<Call>> calls_;  // by our session id, from session_up
  uint64_t next_call_serial_ = 0;
  RemoteAccessCounters counters_;
};

}  // namespace l2tpgw::cp::access
