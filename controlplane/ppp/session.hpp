// SPDX-License-Identifier: Apache-2.0
// PppSession: one PPP link over one L2TP session, LNS side: LCP, then authentication, then
// IPCP (RFC 1661 §3.2 phases), as the PpContext's policy says.
//
// How it plugs in (the L2TP LNS and the Installer are the caller's):
//   - the L2TP session is established (ICCN)   -> start(): our LCP Configure-Request goes out
//   - a punted PPP frame of this session        -> input_frame(bytes), or input(protocol, packet)
//     (punt: PuntKind::PppControl, PuntInfo::ppp_protocol and payload)
//   - listener.ppp_send(protocol, packet)       -> frame_ppp() it and send it as an L2TP data
//     message of this session (Injector: ESP-encrypted by the SA's owner worker)
//   - listener.ppp_network_up(params)           -> Installer::add_session(client_addr, mtu, the
//     L2TP ids, the SA, tcp_mss from `ip tunnel tcp mss limit`)
//   - listener.ppp_network_down()               -> Installer::del_session
//   - listener.ppp_closed(reason)               -> tear the L2TP session down (CDN); destroy
//     this object afterwards, from the loop, not inside the callback
//   - CDN/StopCCN received, tunnel lost          -> lower_down() (then ppp_closed(LowerLayerDown))
//   - `disconnect`, shutdown                     -> close(): Terminate-Request, then ppp_closed
// Every callback runs on the loop thread, from inside one of these calls or a timer.
//
// Thread context: the controlplane loop.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/ppp/auth/authenticator.hpp"
#include "controlplane/ppp/ipcp.hpp"
#include "controlplane/ppp/lcp.hpp"
#include "controlplane/ppp/policy.hpp"
#include "controlplane/ppp/timers.hpp"

namespace l2tpgw::cp::ppp {

// RFC 1661 §3.2 Link Operation phases.
enum class PppPhase : uint8_t { Dead, Establish, Authenticate, Network, Terminate };
std::string_view to_string(PppPhase p);

enum class PppCloseReason : uint8_t {
  PeerTerminated,        // the peer's LCP Terminate-Request
  AdminClose,            // close()
  LowerLayerDown,        // lower_down(): the L2TP session is gone
  LcpNegotiationFailed,  // no LCP agreement within Max-Configure, or a catastrophic reject
  NoCommonAuth,          // the peer refused every protocol `pp auth request` allows
  AuthFailed,            // unknown user, wrong password, malformed response
  AuthTimeout,           // no Response / Authenticate-Request
  MultiConnect,          // `pp auth multi connect prohibit` and the user is connected
  AddressUnavailable,    // the pool is exhausted, or the fixed address is in use
  IpcpFailed,            // IPCP did not open, or closed (no network protocol left)
  Loopback,              // the link is looped back (Magic-Number)
  EchoTimeout,           // our LCP Echo-Requests went unanswered
};
std::string_view to_string(PppCloseReason r);

// What the dataplane needs when IPCP opens (Installer::add_session), and `show status pp`.
struct PppNetworkParams {
  uint32_t client_address = 0;           // host order: the peer's IPCP address
  std::optional<uint32_t> pool_index;    // its offset in the pool (the dataplane's index)
  uint32_t local_address = 0;            // ours as the peer acknowledged it; 0: not sent
  std::array<uint32_t, 2> dns{};         // what the peer asked for and took; 0: not asked
  std::array<uint32_t, 2> nbns{};
  uint16_t peer_mru = 1500;              // LCP: the largest packet the peer receives
  uint16_t mtu = 1500;                   // min(peer_mru, `ip pp mtu`): SessionRecord::mtu
  bool peer_pfc = false;                 // the peer takes compressed protocol fields
  bool peer_acfc = false;                // ... and frames without FF 03 (kPppTx* flags)
  std::string username;                  // empty when no authentication ran
  std::optional<AuthProtocol> auth;
};

// `show status pp`'s option lines (seed 000):
//   LCP Local: CHAP Magic-Number MRU, Remote: Magic-Number MRU
//   IPCP Local: IP-Address, Remote: IP-Address Primary-DNS(192.168.100.1)
struct PppOptionNames {
  std::vector<std::string> lcp_local, lcp_remote, ipcp_local, ipcp_remote;
};
std::string format_option_line(std::string_view protocol, const std::vector<std::string>& local,
                               const std::vector<std::string>& remote);

class PppSessionListener {
 public:
  virtual ~PppSessionListener() = default;
  // A packet of `protocol` (Code onwards) for the peer.
  virtual void ppp_send(uint16_t protocol, std::span<const uint8_t> packet) = 0;
  virtual void ppp_authenticated(std::string_view /*username*/) {}
  virtual void ppp_network_up(const PppNetworkParams& params) = 0;
  virtual void ppp_network_down() = 0;
  // Once per session; the session does nothing more after it.
  virtual void ppp_closed(PppCloseReason reason) = 0;
};

// A PPP frame as an L2TP data message carries it: no HDLC flags, transparency or FCS
// (RFC 2661), FF 03 (RFC 1662 §3.1), the two-octet Protocol, the packet. Control packets are
// never compressed (RFC 1661 §6.5, §6.6 forbid it for LCP; we do the same for the others).
std::vector<uint8_t> frame_ppp(uint16_t protocol, std::span<const uint8_t> packet);

class PppSession final : private LcpListener, private IpcpListener, private AuthListener {
 public:
  // `log_name` names the session in log lines ("PP[ANONYMOUS] TUNNEL[1] session 3").
  PppSession(PpContext& context, TimerService& timers, Random& random, PppSessionListener& listener,
             std::string log_name);
  // Gives back what the session holds (address, user) without callbacks.
  ~PppSession() override;
  PppSession(const PppSession&) = delete;
  PppSession& operator=(const PppSession&) = delete;

  void start();
  void input(uint16_t protocol, std::span<const uint8_t> packet);
  // Decodes the PPP header (FF 03 optional, one- or two-octet protocol) and calls input().
  void input_frame(std::span<const uint8_t> frame);
  void close(PppCloseReason reason = PppCloseReason::AdminClose);
  void lower_down();

  PppPhase phase() const { return phase_; }
  bool finished() const { return finished_; }
  CpState lcp_state() const { return lcp_.fsm().state(); }
  CpState ipcp_state() const { return ipcp_.fsm().state(); }
  const std::string& username() const { return username_; }
  // Valid while the network is up (and after, for show status of the last state).
  const PppNetworkParams& network() const { return network_; }
  bool network_up() const { return network_up_; }
  std::optional<PppCloseReason> close_reason() const { return close_reason_; }
  PppOptionNames option_names() const;

 private:
  // LcpListener
  void lcp_up() override;
  void lcp_down(CpEvent cause) override;
  void lcp_finished(CpEvent cause) override;
  void lcp_protocol_rejected(uint16_t protocol) override;
  void lcp_failure(LcpFailure why) override;
  // IpcpListener
  void ipcp_up() override;
  void ipcp_down() override;
  void ipcp_finished(CpEvent cause) override;
  // AuthListener
  bool auth_admit(const config::PpUser& user) override;
  void auth_done(const AuthOutcome& outcome) override;

  void send(uint16_t protocol, std::span<const uint8_t> packet);
  void enter_network();
  void leave_network();
  void release_holdings();
  void terminate(PppCloseReason reason);
  void finish(PppCloseReason reason);

  PpContext& ctx_;
  PppSessionListener& listener_;
  std::string log_name_;
  PppCounters& counters_;
  Lcp lcp_;
  Ipcp ipcp_;
  Authenticator auth_;

  PppPhase phase_ = PppPhase::Dead;
  bool started_ = false;
  bool finished_ = false;
  bool network_up_ = false;
  std::optional<PppCloseReason> close_reason_;
  std::string username_;
  const config::PpUser* user_ = nullptr;
  std::optional<AuthProtocol> auth_protocol_;
  std::optional<uint32_t> address_;     // held in ctx_.pool()
  std::optional<std::string> claimed_;  // held in ctx_'s logged-in users
  PppNetworkParams network_;
};

}  // namespace l2tpgw::cp::ppp
