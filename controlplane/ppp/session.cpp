// SPDX-License-Identifier: Apache-2.0
// PppSession: LCP -> authentication -> IPCP for one L2TP session (RFC 1661 §3).
#include "controlplane/ppp/session.hpp"


#include <algorithm>

#include "common/byte_reader.hpp"
#include "common/ipv4_text.hpp"
#include "common/wire/ppp.hpp"
#include "controlplane/log/log.hpp"

namespace l2tpgw::cp::ppp {

namespace {

// The text of our Terminate-Request (RFC 1661 §5.5 "Data ... uninterpreted"): pppd prints it.
std::string_view terminate_text(PppCloseReason r) {
  switch (r) {
    case PppCloseReason::AdminClose: return "Administratively closed";
    case PppCloseReason::NoCommonAuth: return "No acceptable authentication protocol";
    case PppCloseReason::AuthFailed: return "Authentication failed";
    case PppCloseReason::AuthTimeout: return "Authentication timed out";
    case PppCloseReason::MultiConnect: return "User already connected";
    case PppCloseReason::AddressUnavailable: return "No address available";
    case PppCloseReason::IpcpFailed: return "No network protocols running";
    case PppCloseReason::Loopback: return "Link looped back";
    case PppCloseReason::EchoTimeout: return "Peer not responding";
    case PppCloseReason::PeerTerminated:
    case PppCloseReason::LowerLayerDown:
    case PppCloseReason::LcpNegotiationFailed: break;
  }
  return "";
}

}  // namespace

std::string_view to_string(PppPhase p) {
  switch (p) {
    case PppPhase::Dead: return "Dead";
    case PppPhase::Establish: return "Establish";
    case PppPhase::Authenticate: return "Authenticate";
    case PppPhase::Network: return "Network";
    case PppPhase::Terminate: return "Terminate";
  }
  return "?";
}

std::string_view to_string(PppCloseReason r) {
  switch (r) {
    case PppCloseReason::PeerTerminated: return "terminated by the peer";
    case PppCloseReason::AdminClose: return "closed";
    case PppCloseReason::LowerLayerDown: return "L2TP session down";
    case PppCloseReason::LcpNegotiationFailed: return "LCP negotiation failed";
    case PppCloseReason::NoCommonAuth: return "no acceptable authentication protocol";
    case PppCloseReason::AuthFailed: return "authentication failed";
    case PppCloseReason::AuthTimeout: return "authentication timed out";
    case PppCloseReason::MultiConnect: return "user already connected";
    case PppCloseReason::AddressUnavailable: return "no address available";
    case PppCloseReason::IpcpFailed: return "IPCP failed";
    case PppCloseReason::Loopback: return "link looped back";
    case PppCloseReason::EchoTimeout: return "no LCP echo reply";
  }
  return "?";
}

std::vector<uint8_t> frame_ppp(uint16_t protocol, std::span<const uint8_t> packet) {
  std::vector<uint8_t> f;
  f.reserve(packet.size() + 4);
  f.push_back(wire::kPppAddress);
  f.push_back(wire::kPppControl);
  f.push_back(static_cast<uint8_t>(protocol >> 8));
  f.push_back(static_cast<uint8_t>(protocol));
  f.insert(f.end(), packet.begin(), packet.end());
  return f;
}

std::string format_option_line(std::string_view protocol, const std::vector<std::string>& local,
                               const std::vector<std::string>& remote) {
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
    return s;
  };
  return std::string(protocol) + " Local: " + join(local) + ", Remote: " + join(remote);
}

PppSession::PppSession(PpContext& context, TimerService& timers, Random& random,
                       PppSessionListener& listener, std::string log_name)
    : ctx_(context),
      listener_(listener),
      log_name_(std::move(log_name)),
      counters_(context.counters()),
      lcp_(context.policy().lcp, timers, random, counters_,
           [this](std::span<const uint8_t> p) { send(kProtoLcp, p); }, *this),
      ipcp_(context.policy().ipcp, timers, counters_,
            [this](std::span<const uint8_t> p) { send(kProtoIpcp, p); }, *this),
      auth_(context.users(), context.policy().auth, timers, random, counters_,
            [this](uint16_t proto, std::span<const uint8_t> p) { send(proto, p); }, *this, log_name_) {}

PppSession::~PppSession() { release_holdings(); }

PppOptionNames PppSession::option_names() const {
  PppOptionNames n;
  if (lcp_.fsm().opened()) {
    n.lcp_local = lcp_.local_option_names();
    n.lcp_remote = lcp_.remote_option_names();
  }
  if (ipcp_.fsm().opened()) {
    n.ipcp_local = ipcp_.local_option_names();
    n.ipcp_remote = ipcp_.remote_option_names();
  }
  return n;
}

void PppSession::send(uint16_t protocol, std::span<const uint8_t> packet) {
  if (finished_) return;
  listener_.ppp_send(protocol, packet);
}

void PppSession::start() {
  if (started_) return;
  started_ = true;
  ++counters_.sessions_started;
  phase_ = PppPhase::Establish;
  // §3.4 Link Establishment Phase: the L2TP session is our lower layer, already Up; Open
  // starts LCP. As the LNS we send our Configure-Request first (pppd does so too).
  lcp_.fsm().up();
  lcp_.fsm().open();
}

void PppSession::input_frame(std::span<const uint8_t> frame) {
  ++counters_.rx_frames;
  const auto h = wire::decode_ppp(ByteReader(frame));
  if (!h) {
    ++counters_.rx_bad_frame;
    return;
  }
  input(h->protocol, frame.subspan(h->header_len));
}

void PppSession::input(uint16_t protocol, std::span<const uint8_t> packet) {
  if (finished_ || !started_) {
    ++counters_.rx_not_running;
    return;
  }
  switch (protocol) {
    case kProtoLcp: lcp_.fsm().receive(packet); return;
    case kProtoPap:
    case kProtoChap:
      // §3.5: authentication packets belong to the Authentication phase; a peer that repeats
      // its Response after our Success (lost) is answered again by the authenticator.
      if (phase_ == PppPhase::Authenticate || (phase_ == PppPhase::Network && auth_protocol_)) {
        auth_.input(protocol, packet);
      } else {
        ++counters_.rx_wrong_phase;
      }
      return;
    case kProtoIpcp:
      // §3.4, §3.5: before the Network-Layer Protocol phase, "All other packets received
      // during this phase MUST be silently discarded"; the peer retransmits.
      if (phase_ == PppPhase::Network) ipcp_.fsm().receive(packet);
      else ++counters_.rx_wrong_phase;
      return;
    case kProtoIpv4: ++counters_.rx_ipv4_data; return;
    default: break;
  }
  // §5.7: any other protocol (IPV6CP, CCP, IPv6, ...) gets Protocol-Reject, once the link
  // is in the Network phase (before it, pppd and this session discard, and the peer retries).
  if (phase_ != PppPhase::Network) {
    ++counters_.rx_wrong_phase;
    return;
  }
  if (!lcp_.send_protocol_reject(protocol, packet)) return;
  if (protocol == kProtoIpv6cp) ++counters_.protocol_reject_ipv6cp;
  if (protocol == kProtoCcp) ++counters_.protocol_reject_ccp;
}

void PppSession::close(PppCloseReason reason) {
  if (finished_ || !started_) return;
  terminate(reason);
}

void PppSession::lower_down() {
  if (finished_ || !started_) return;
  if (!close_reason_) close_reason_ = PppCloseReason::LowerLayerDown;
  // §4.3 Down: no packet can be sent any more; the automaton leaves Opened (tld) and we
  // finish here, since Down runs no tlf.
  lcp_.fsm().down();
  finish(*close_reason_);
}

void PppSession::terminate(PppCloseReason reason) {
  if (!close_reason_) close_reason_ = reason;
  if (phase_ != PppPhase::Dead) phase_ = PppPhase::Terminate;
  lcp_.fsm().close(terminate_text(reason));
}

// --- LCP

void PppSession::lcp_up() {
  // §3.5: authentication, if `pp auth request` asks for it, before any network protocol.
  if (!ctx_.policy().lcp.auth.empty()) {
    const auto proto = lcp_.auth_protocol();
    if (!proto) {
      ++counters_.lcp_no_common_auth;
      logf(LogLevel::Notice, "[PPP] %s: the peer refused every authentication protocol pp auth request allows",
           log_name_.c_str());
      terminate(PppCloseReason::NoCommonAuth);
      return;
    }
    phase_ = PppPhase::Authenticate;
    auth_protocol_ = proto;
    auth_.start(*proto);
    return;
  }
  enter_network();
}

void PppSession::lcp_down(CpEvent cause) {
  if (cause == CpEvent::Rtr && !close_reason_) {
    close_reason_ = PppCloseReason::PeerTerminated;
    phase_ = PppPhase::Terminate;
  }
  // The link left Opened (closing, or the peer renegotiating LCP): the network and the
  // authentication of this link are gone with it (§3.2); a renegotiation starts over.
  auth_.stop();
  auth_protocol_.reset();
  ipcp_.fsm().down();
  ipcp_.fsm().close();
  leave_network();
  release_holdings();
  if (phase_ != PppPhase::Terminate && !close_reason_) phase_ = PppPhase::Establish;
}

void PppSession::lcp_finished(CpEvent cause) {
  // After the peer's Terminate-Request (noted in lcp_down) we wait a restart period in
  // Stopping (zrc) and finish on its TO-; otherwise a TO- or RXJ- means LCP gave up.
  (void)cause;
  finish(close_reason_.value_or(PppCloseReason::LcpNegotiationFailed));
}

void PppSession::lcp_protocol_rejected(uint16_t protocol) {
  // §5.7: "the implementation MUST stop sending packets of the indicated protocol": IPCP's
  // lower layer is gone for good (a Down, as pppd's protrej does: no Terminate-Request of a
  // rejected protocol). Without IPCP the link carries nothing.
  if (protocol != kProtoIpcp) return;
  ipcp_.fsm().down();
  terminate(PppCloseReason::IpcpFailed);
}

void PppSession::lcp_failure(LcpFailure why) {
  const PppCloseReason r = why == LcpFailure::Loopback ? PppCloseReason::Loopback : PppCloseReason::EchoTimeout;
  logf(LogLevel::Notice, "[PPP] %s: %s", log_name_.c_str(), std::string(to_string(r)).c_str());
  terminate(r);
}

// --- authentication

bool PppSession::auth_admit(const config::PpUser& user) {
  if (!ctx_.claim_user(user.name)) return false;
  claimed_ = user.name;
  return true;
}

void PppSession::auth_done(const AuthOutcome& o) {
  if (!o.ok) {
    terminate(o.failure == AuthFailure::Timeout        ? PppCloseReason::AuthTimeout
              : o.failure == AuthFailure::MultiConnect ? PppCloseReason::MultiConnect
                                                       : PppCloseReason::AuthFailed);
    return;
  }
  username_ = o.username;
  user_ = o.user;
  listener_.ppp_authenticated(username_);
  enter_network();
}

// --- network

void PppSession::enter_network() {
  // The address: the user's own (`pp auth username ... ADDRESS`), else `ip pp remote
  // address`, else one from the pool. Reserving fixed ones in the same pool object keeps any
  // address from being held twice.
  AddressPool& pool = ctx_.pool();
  std::optional<uint32_t> fixed;
  if (user_ && user_->address) fixed = user_->address->value;
  else if (ctx_.policy().remote_address) fixed = ctx_.policy().remote_address;
  if (fixed) {
    if (!pool.reserve(*fixed)) {
      ++counters_.address_in_use;
      logf(LogLevel::Notice, "[PPP] %s: address %s is in use by another session", log_name_.c_str(),
           format_ipv4(*fixed).c_str());
      terminate(PppCloseReason::AddressUnavailable);
      return;
    }
    address_ = *fixed;
  } else {
    address_ = pool.allocate();
    if (!address_) {
      ++counters_.address_pool_exhausted;
      logf(LogLevel::Warning, "[PPP] %s: no free address in ip pp remote address pool", log_name_.c_str());
      terminate(PppCloseReason::AddressUnavailable);
      return;
    }
  }
  ++counters_.address_assigned;
  phase_ = PppPhase::Network;
  ipcp_.set_peer_address(*address_);
  ipcp_.fsm().up();
  ipcp_.fsm().open();
}

void PppSession::ipcp_up() {
  PppNetworkParams& n = network_;
  n = PppNetworkParams{};
  n.client_address = ipcp_.peer_address();
  n.pool_index = ctx_.pool().pool_index(n.client_address);
  n.local_address = ipcp_.local_address();
  n.dns = ipcp_.peer_dns();
  n.nbns = ipcp_.peer_nbns();
  n.peer_mru = lcp_.peer_mru();
  n.mtu = std::min(lcp_.peer_mru(), ctx_.policy().mtu);
  n.peer_pfc = lcp_.peer_pfc();
  n.peer_acfc = lcp_.peer_acfc();
  n.username = username_;
  n.auth = auth_protocol_;
  network_up_ = true;
  ++counters_.network_up;
  logf(LogLevel::Info, "[PPP] %s: IPCP opened: client %s%s%s", log_name_.c_str(),
       format_ipv4(n.client_address).c_str(), username_.empty() ? "" : ", user ",
       username_.empty() ? "" : printable_name(username_).c_str());
  listener_.ppp_network_up(n);
}

void PppSession::ipcp_down() { leave_network(); }

void PppSession::ipcp_finished(CpEvent) {
  // IPCP gave up or the peer closed it: with no network protocol left the link has no
  // purpose (pppd: "No network protocols running").
  if (lcp_.fsm().opened()) terminate(PppCloseReason::IpcpFailed);
}

void PppSession::leave_network() {
  if (!network_up_) return;
  network_up_ = false;
  ++counters_.network_down;
  listener_.ppp_network_down();
}

void PppSession::release_holdings() {
  if (address_) {
    ctx_.pool().release(*address_);
    address_.reset();
  }
  if (claimed_) {
    ctx_.release_user(*claimed_);
    claimed_.reset();
  }
  user_ = nullptr;
}

void PppSession::finish(PppCloseReason reason) {
  if (finished_) return;
  auth_.stop();
  leave_network();
  release_holdings();
  phase_ = PppPhase::Dead;
  close_reason_ = reason;
  finished_ = true;
  ++counters_.sessions_closed;
  logf(LogLevel::Info, "[PPP] %s: PPP closed: %s", log_name_.c_str(), std::string(to_string(reason)).c_str());
  listener_.ppp_closed(reason);
}

}  // namespace l2tpgw::cp::ppp
