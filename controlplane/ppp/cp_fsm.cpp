// SPDX-License-Identifier: Apache-2.0
// The RFC 1661 §4 automaton: the §4.1 table, the §4.4 actions, the §4.6 timer and counters.
#include "controlplane/ppp/cp_fsm.hpp"

#include <algorithm>
#include <utility>

namespace l2tpgw::cp::ppp {

std::string_view to_string(CpState s) {
  switch (s) {
    case CpState::Initial: return "Initial";
    case CpState::Starting: return "Starting";
    case CpState::Closed: return "Closed";
    case CpState::Stopped: return "Stopped";
    case CpState::Closing: return "Closing";
    case CpState::Stopping: return "Stopping";
    case CpState::ReqSent: return "Req-Sent";
    case CpState::AckRcvd: return "Ack-Rcvd";
    case CpState::AckSent: return "Ack-Sent";
    case CpState::Opened: return "Opened";
  }
  return "?";
}

std::string_view to_string(CpEvent e) {
  switch (e) {
    case CpEvent::Up: return "Up";
    case CpEvent::Down: return "Down";
    case CpEvent::Open: return "Open";
    case CpEvent::Close: return "Close";
    case CpEvent::TimeoutPlus: return "TO+";
    case CpEvent::TimeoutMinus: return "TO-";
    case CpEvent::RcrPlus: return "RCR+";
    case CpEvent::RcrMinus: return "RCR-";
    case CpEvent::Rca: return "RCA";
    case CpEvent::Rcn: return "RCN";
    case CpEvent::Rtr: return "RTR";
    case CpEvent::Rta: return "RTA";
    case CpEvent::Ruc: return "RUC";
    case CpEvent::RxjPlus: return "RXJ+";
    case CpEvent::RxjMinus: return "RXJ-";
    case CpEvent::Rxr: return "RXR";
  }
  return "?";
}

namespace {

using S = CpState;
constexpr uint16_t tlu = kActTlu, tld = kActTld, tls = kActTls, tlf = kActTlf, irc = kActIrc,
                   zrc = kActZrc, scr = kActScr, sca = kActSca, scn = kActScn, str = kActStr,
                   sta = kActSta, scj = kActScj, ser = kActSer;

constexpr CpTransition T(CpState next, uint16_t actions = 0) { return {next, actions, true}; }
constexpr CpTransition X{};  // "-"

// RFC 1661 §4.1 State Transition Table, row by row. The [p] (passive), [r] (restart) and [x]
// (crossed connection) options change no cell here: an LNS is never passive, does not
// restart on Open, and a crossed connection is the same scr/6.
//
//   | Initial  Starting      Closed         Stopped           Closing      Stopping
//   | Req-Sent     Ack-Rcvd      Ack-Sent       Opened
constexpr CpTransition kTable[kCpEventCount][kCpStateCount] = {
    /* Up    */ {T(S::Closed), T(S::ReqSent, irc | scr), X, X, X, X,
                 X, X, X, X},
    /* Down  */ {X, X, T(S::Initial), T(S::Starting, tls), T(S::Initial), T(S::Starting),
                 T(S::Starting), T(S::Starting), T(S::Starting), T(S::Starting, tld)},
    /* Open  */ {T(S::Starting, tls), T(S::Starting), T(S::ReqSent, irc | scr), T(S::Stopped),
                 T(S::Stopping), T(S::Stopping),
                 T(S::ReqSent), T(S::AckRcvd), T(S::AckSent), T(S::Opened)},
    /* Close */ {T(S::Initial), T(S::Initial, tlf), T(S::Closed), T(S::Closed), T(S::Closing),
                 T(S::Closing),
                 T(S::Closing, irc | str), T(S::Closing, irc | str), T(S::Closing, irc | str),
                 T(S::Closing, tld | irc | str)},
    /* TO+   */ {X, X, X, X, T(S::Closing, str), T(S::Stopping, str),
                 T(S::ReqSent, scr), T(S::ReqSent, scr), T(S::AckSent, scr), X},
    /* TO-   */ {X, X, X, X, T(S::Closed, tlf), T(S::Stopped, tlf),
                 T(S::Stopped, tlf), T(S::Stopped, tlf), T(S::Stopped, tlf), X},
    /* RCR+  */ {X, X, T(S::Closed, sta), T(S::AckSent, irc | scr | sca), T(S::Closing),
                 T(S::Stopping),
                 T(S::AckSent, sca), T(S::Opened, sca | tlu), T(S::AckSent, sca),
                 T(S::AckSent, tld | scr | sca)},
    /* RCR-  */ {X, X, T(S::Closed, sta), T(S::ReqSent, irc | scr | scn), T(S::Closing),
                 T(S::Stopping),
                 T(S::ReqSent, scn), T(S::AckRcvd, scn), T(S::ReqSent, scn),
                 T(S::ReqSent, tld | scr | scn)},
    /* RCA   */ {X, X, T(S::Closed, sta), T(S::Stopped, sta), T(S::Closing), T(S::Stopping),
                 T(S::AckRcvd, irc), T(S::ReqSent, scr), T(S::Opened, irc | tlu),
                 T(S::ReqSent, tld | scr)},
    /* RCN   */ {X, X, T(S::Closed, sta), T(S::Stopped, sta), T(S::Closing), T(S::Stopping),
                 T(S::ReqSent, irc | scr), T(S::ReqSent, scr), T(S::AckSent, irc | scr),
                 T(S::ReqSent, tld | scr)},
    /* RTR   */ {X, X, T(S::Closed, sta), T(S::Stopped, sta), T(S::Closing, sta),
                 T(S::Stopping, sta),
                 T(S::ReqSent, sta), T(S::ReqSent, sta), T(S::ReqSent, sta),
                 T(S::Stopping, tld | zrc | sta)},
    /* RTA   */ {X, X, T(S::Closed), T(S::Stopped), T(S::Closed, tlf), T(S::Stopped, tlf),
                 T(S::ReqSent), T(S::ReqSent), T(S::AckSent), T(S::ReqSent, tld | scr)},
    /* RUC   */ {X, X, T(S::Closed, scj), T(S::Stopped, scj), T(S::Closing, scj),
                 T(S::Stopping, scj),
                 T(S::ReqSent, scj), T(S::AckRcvd, scj), T(S::AckSent, scj), T(S::Opened, scj)},
    /* RXJ+  */ {X, X, T(S::Closed), T(S::Stopped), T(S::Closing), T(S::Stopping),
                 T(S::ReqSent), T(S::ReqSent), T(S::AckSent), T(S::Opened)},
    /* RXJ-  */ {X, X, T(S::Closed, tlf), T(S::Stopped, tlf), T(S::Closed, tlf),
                 T(S::Stopped, tlf),
                 T(S::Stopped, tlf), T(S::Stopped, tlf), T(S::Stopped, tlf),
                 T(S::Stopping, tld | irc | str)},
    /* RXR   */ {X, X, T(S::Closed), T(S::Stopped), T(S::Closing), T(S::Stopping),
                 T(S::ReqSent), T(S::AckRcvd), T(S::AckSent), T(S::Opened, ser)},
};

bool negotiating(CpState s) {
  return s == CpState::ReqSent || s == CpState::AckRcvd || s == CpState::AckSent;
}

bool terminal_or_terminating(CpState s) {
  return s == CpState::Closed || s == CpState::Stopped || s == CpState::Closing ||
         s == CpState::Stopping;
}

}  // namespace

CpTransition cp_transition(CpState state, CpEvent event) {
  return kTable[static_cast<size_t>(event)][static_cast<size_t>(state)];
}

CpFsm::CpFsm(std::string_view name, CpProtocol& protocol, const CpFsmConfig& config,
             TimerService& timers, PppCounters& ppp_counters, CpCounters& counters, SendFn send)
    : name_(name),
      protocol_(protocol),
      config_(config),
      ppp_counters_(ppp_counters),
      counters_(counters),
      send_(std::move(send)),
      restart_timer_(timers) {}

// §4.2: the Restart timer runs in the states that wait for a reply.
bool CpFsm::timer_state(CpState s) {
  return s == CpState::Closing || s == CpState::Stopping || negotiating(s);
}

void CpFsm::close(std::string_view reason) { event(CpEvent::Close, reason); }

void CpFsm::event(CpEvent e, std::string_view reason) {
  if (dispatching_) {
    deferred_.push_back(Deferred{false, e, std::string(reason), {}});
    return;
  }
  if (e == CpEvent::Close) term_reason_ = std::string(reason);
  if (e == CpEvent::Up) peer_heard_ = false;  // a new lower layer: nothing heard on it yet
  dispatch(e, nullptr);
  drain_deferred();
}

void CpFsm::receive(std::span<const uint8_t> packet) {
  if (dispatching_) {
    deferred_.push_back(Deferred{true, CpEvent::Up, {}, {packet.begin(), packet.end()}});
    return;
  }
  receive_now(packet);
  drain_deferred();
}

void CpFsm::drain_deferred() {
  while (!deferred_.empty() && !dispatching_) {
    Deferred d = std::move(deferred_.front());
    deferred_.erase(deferred_.begin());
    if (d.is_packet) {
      receive_now(d.packet);
    } else {
      if (d.event == CpEvent::Close) term_reason_ = d.reason;
      dispatch(d.event, nullptr);
    }
  }
}

void CpFsm::receive_now(std::span<const uint8_t> bytes) {
  const auto p = decode_cp_packet(bytes);
  if (!p) {
    ppp_counters_.parse_error(p.error());
    return;
  }
  // §4.2 Initial, Starting: "the lower layer is unavailable (Down)", so no packet can be
  // received; one that arrives anyway (a race with the L2TP session) is dropped.
  if (state_ == CpState::Initial || state_ == CpState::Starting) {
    ++counters_.rx_not_ready;
    return;
  }
  const bool first_from_peer = !std::exchange(peer_heard_, true);
  switch (static_cast<CpCode>(p->code)) {
    case CpCode::ConfReq:
      ++counters_.rx_conf_req;
      rcr(*p, first_from_peer);
      return;
    case CpCode::ConfAck: ++counters_.rx_conf_ack; rca(*p); return;
    case CpCode::ConfNak: ++counters_.rx_conf_nak; rcn(*p, false); return;
    case CpCode::ConfRej: ++counters_.rx_conf_rej; rcn(*p, true); return;
    case CpCode::TermReq: {
      ++counters_.rx_term_req;
      Rx rx{&*p, {}};
      dispatch(CpEvent::Rtr, &rx);
      return;
    }
    case CpCode::TermAck: ++counters_.rx_term_ack; dispatch(CpEvent::Rta, nullptr); return;
    case CpCode::CodeRej: ++counters_.rx_code_rej; rxj(*p); return;
    default: break;
  }
  Rx rx{&*p, {}};
  switch (protocol_.extended_code(*p)) {
    case ExtendedCode::Rxr: dispatch(CpEvent::Rxr, &rx); return;
    case ExtendedCode::RxjPlus: dispatch(CpEvent::RxjPlus, &rx); return;
    case ExtendedCode::RxjMinus: dispatch(CpEvent::RxjMinus, &rx); return;
    case ExtendedCode::Unknown: break;
  }
  // §5.6: an unknown Code is answered with Code-Reject (RUC -> scj).
  ++counters_.rx_unknown_code;
  dispatch(CpEvent::Ruc, &rx);
}

// §5.1 Configure-Request: RCR+ when every option is acceptable, RCR- otherwise.
void CpFsm::rcr(const CpPacket& p, bool first_from_peer) {
  Rx rx{&p, {}};
  // Closed answers with Terminate-Ack, Closing and Stopping ignore it: no verdict is needed,
  // and asking for one would commit peer values nobody negotiated.
  if (state_ == CpState::Closed || state_ == CpState::Closing || state_ == CpState::Stopping) {
    dispatch(CpEvent::RcrPlus, &rx);
    return;
  }
  const auto options = decode_options(p.data);
  if (!options) {
    ppp_counters_.parse_error(options.error());
    return;
  }
  if (first_from_peer) resend_request_to_late_peer();
  const bool reject_if_disagree = failure_count_ >= config_.max_failure;
  rx.reply = protocol_.check_request(*options, reject_if_disagree);
  if (reject_if_disagree && rx.reply.code != CpCode::ConfAck) ++counters_.nak_to_rej;
  dispatch(rx.reply.code == CpCode::ConfAck ? CpEvent::RcrPlus : CpEvent::RcrMinus, &rx);
}

// §5.2 Configure-Ack: "the Identifier field MUST match that of the last transmitted
// Configure-Request ... the Options MUST exactly match"; anything else is silently discarded.
void CpFsm::rca(const CpPacket& p) {
  if (!terminal_or_terminating(state_)) {
    if (p.identifier != request_id_ || reply_seen_) {
      ++counters_.rx_stale_reply;
      return;
    }
    if (!std::equal(p.data.begin(), p.data.end(), request_options_.begin(), request_options_.end())) {
      ++counters_.rx_bad_ack;
      return;
    }
    reply_seen_ = true;
    protocol_.ack_received();
  }
  Rx rx{&p, {}};
  dispatch(CpEvent::Rca, &rx);
}

// §5.3 Configure-Nak, §5.4 Configure-Reject: same Identifier rule; the protocol checks the
// options name what we sent and changes our next request.
void CpFsm::rcn(const CpPacket& p, bool reject) {
  if (!terminal_or_terminating(state_)) {
    if (p.identifier != request_id_ || reply_seen_) {
      ++counters_.rx_stale_reply;
      return;
    }
    const auto options = decode_options(p.data);
    if (!options) {
      ppp_counters_.parse_error(options.error());
      return;
    }
    const bool ok = reject ? protocol_.reject_received(*options) : protocol_.nak_received(*options);
    if (!ok) {
      ++counters_.rx_bad_nak_rej;
      return;
    }
    reply_seen_ = true;
  }
  Rx rx{&p, {}};
  dispatch(CpEvent::Rcn, &rx);
}

// §5.6 Code-Reject: the Rejected-Packet starts with the Code we sent. Rejecting one of the
// codes the automaton needs (1..7) is catastrophic (RXJ-); the LCP-only codes are optional.
void CpFsm::rxj(const CpPacket& p) {
  if (p.data.empty()) {
    ppp_counters_.parse_error(PppParseError::Truncated);
    return;
  }
  const uint8_t code = p.data[0];
  const bool catastrophic = code >= static_cast<uint8_t>(CpCode::ConfReq) &&
                            code <= static_cast<uint8_t>(CpCode::CodeRej);
  Rx rx{&p, {}};
  dispatch(catastrophic ? CpEvent::RxjMinus : CpEvent::RxjPlus, &rx);
}

void CpFsm::dispatch(CpEvent e, Rx* rx) {
  const CpTransition t = cp_transition(state_, e);
  if (!t.defined) return;  // "-": cannot happen in this state (an out-of-order admin event)
  const CpState from = state_;
  state_ = t.next;
  dispatching_ = true;
  run_actions(from, e, t.actions, rx);
  dispatching_ = false;
  if (!timer_state(state_)) restart_timer_.cancel();
}

void CpFsm::run_actions(CpState from, CpEvent e, uint16_t a, Rx* rx) {
  const uint8_t rx_id = rx && rx->packet ? rx->packet->identifier : 0;
  if (a & kActTld) protocol_.this_layer_down(e);
  if (a & kActTls) protocol_.this_layer_started();
  if (a & kActIrc) {
    // §4.6: Max-Terminate for a Terminate-Request, Max-Configure otherwise.
    restart_count_ = (a & kActStr) ? config_.max_terminate : config_.max_configure;
  }
  if (a & kActZrc) {
    // §4.4 Zero-Restart-Count: pause one Restart period before the final state, so that the
    // peer can process our Terminate-Ack.
    restart_count_ = 0;
    arm_restart_timer();
  }
  if (a & kActScr) send_configure_request(from, e);
  if (a & kActSca) {
    CpPacketBuilder b(CpCode::ConfAck, rx_id);
    if (rx && rx->packet) b.bytes(rx->packet->data);
    failure_count_ = 0;
    ++counters_.tx_conf_ack;
    const auto bytes = std::move(b).finish();
    send_(bytes);
  }
  if (a & kActScn) {
    CpPacketBuilder b(rx ? rx->reply.code : CpCode::ConfRej, rx_id);
    if (rx) b.bytes(rx->reply.options);
    if (rx && rx->reply.code == CpCode::ConfNak) {
      ++failure_count_;
      ++counters_.tx_conf_nak;
    } else {
      ++counters_.tx_conf_rej;
    }
    const auto bytes = std::move(b).finish();
    send_(bytes);
  }
  if (a & kActStr) send_terminate_request();
  if (a & kActSta) {
    CpPacketBuilder b(CpCode::TermAck, rx ? rx_id : next_identifier());
    ++counters_.tx_term_ack;
    const auto bytes = std::move(b).finish();
    send_(bytes);
  }
  if ((a & kActScj) && rx && rx->packet) {
    // §5.6: the Rejected-Packet "MUST be truncated to comply with the peer's established MRU".
    const size_t room = protocol_.max_reject_size() > kCpHeaderLen ? protocol_.max_reject_size() - kCpHeaderLen : 0;
    const auto rejected = rx->packet->packet.first(std::min(room, rx->packet->packet.size()));
    CpPacketBuilder b(CpCode::CodeRej, next_identifier());
    b.bytes(rejected);
    ++counters_.tx_code_rej;
    const auto bytes = std::move(b).finish();
    send_(bytes);
  }
  if ((a & kActSer) && rx && rx->packet) protocol_.send_echo_reply(*rx->packet);
  if (a & kActTlu) {
    ++counters_.opened;
    protocol_.this_layer_up();
  }
  if (a & kActTlf) {
    ++counters_.closed;
    protocol_.this_layer_finished(e);
  }
}

void CpFsm::send_configure_request(CpState from, CpEvent e) {
  // A new negotiation (not a retransmission or a reply to a Nak/Reject): our options start
  // again from what we want (pppd's resetci), and Max-Failure counts afresh.
  if (!negotiating(from)) {
    protocol_.reset_options();
    failure_count_ = 0;
  }
  // §5.1: "For retransmissions, the Identifier MAY remain unchanged"; it MUST change when
  // the options change or a valid reply arrived, which every other path here means.
  if (e == CpEvent::TimeoutPlus) {
    ++counters_.retransmits;
  } else {
    request_id_ = next_identifier();
  }
  CpPacketBuilder b(CpCode::ConfReq, request_id_);
  protocol_.add_request_options(b);
  auto bytes = std::move(b).finish();
  request_options_.assign(bytes.begin() + kCpHeaderLen, bytes.end());
  reply_seen_ = false;
  --restart_count_;
  ++counters_.tx_conf_req;
  arm_restart_timer();
  send_(bytes);
}

void CpFsm::send_terminate_request() {
  CpPacketBuilder b(CpCode::TermReq, next_identifier());
  b.text(term_reason_);
  --restart_count_;
  ++counters_.tx_term_req;
  arm_restart_timer();
  const auto bytes = std::move(b).finish();
  send_(bytes);
}

// The peer's first packet is its own Configure-Request while ours is unanswered: the peer
// may have started listening only after ours went out (pppd attaches to the L2TP session a
// moment after ICCN, and a frame sent before that is lost). Rather than leave the link idle
// for a whole Restart timer, our request goes again now, with the same Identifier (§5.1: a
// retransmission) and before our reply to theirs, so the peer sees it before it can reach
// Opened; a peer that did see the first one answers the copy in Req-Sent/Ack-Sent, and its
// second Ack of the same Identifier is dropped here as stale.
void CpFsm::resend_request_to_late_peer() {
  if (state_ != CpState::ReqSent || reply_seen_) return;
  CpPacketBuilder b(CpCode::ConfReq, request_id_);
  b.bytes(request_options_);
  auto bytes = std::move(b).finish();
  ++counters_.early_resends;
  ++counters_.tx_conf_req;
  arm_restart_timer();
  send_(bytes);
}

void CpFsm::arm_restart_timer() {
  restart_timer_.arm(config_.restart_timer, [this] { timeout(); });
}

// §4.6: TO+ while the counter is above zero, TO- once it is spent.
void CpFsm::timeout() {
  if (!timer_state(state_)) return;
  if (restart_count_ > 0) {
    event(CpEvent::TimeoutPlus);
  } else {
    ++counters_.gave_up;
    event(CpEvent::TimeoutMinus);
  }
}

}  // namespace l2tpgw::cp::ppp
