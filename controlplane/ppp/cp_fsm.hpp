// SPDX-License-Identifier: Apache-2.0
// CpFsm: the RFC 1661 §4 option negotiation automaton, one class for LCP and IPCP (accel-ppp's
// ppp_fsm). The protocol plugs in through CpProtocol: its options (what we request, what we
// accept, how a Nak or Reject changes our request) and its layer actions (tlu, tld, tls, tlf).
//
// cp_transition() is the state transition table of §4.1, row by row; CpFsm::dispatch() runs
// the actions of one cell in the table's order. The restart timer and the Max-Terminate,
// Max-Configure and Max-Failure counters follow §4.6.
//
// Thread context: the controlplane loop. Callbacks may call open()/close()/up()/down() on
// the same automaton: those events are queued and run after the current one.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/ppp/counters.hpp"
#include "controlplane/ppp/timers.hpp"
#include "controlplane/ppp/wire/cp_packet.hpp"

namespace l2tpgw::cp::ppp {

// §4.2 States.
enum class CpState : uint8_t {
  Initial,   // 0: lower layer down, no Open
  Starting,  // 1: Open, lower layer down
  Closed,    // 2: lower layer up, no Open
  Stopped,   // 3: lower layer up, waiting (after tlf, or passive)
  Closing,   // 4: Terminate-Request sent after Close
  Stopping,  // 5: Terminate-Request sent, to Stopped
  ReqSent,   // 6: Req-Sent
  AckRcvd,   // 7: Ack-Rcvd
  AckSent,   // 8: Ack-Sent
  Opened,    // 9
};
inline constexpr size_t kCpStateCount = 10;
std::string_view to_string(CpState s);

// §4.3 Events.
enum class CpEvent : uint8_t {
  Up,           // lower layer is Up
  Down,         // lower layer is Down
  Open,         // administrative Open
  Close,        // administrative Close
  TimeoutPlus,  // TO+: Timeout with counter > 0
  TimeoutMinus, // TO-: Timeout with counter expired
  RcrPlus,      // RCR+: Receive-Configure-Request (Good)
  RcrMinus,     // RCR-: Receive-Configure-Request (Bad)
  Rca,          // Receive-Configure-Ack
  Rcn,          // Receive-Configure-Nak/Rej
  Rtr,          // Receive-Terminate-Request
  Rta,          // Receive-Terminate-Ack
  Ruc,          // Receive-Unknown-Code
  RxjPlus,      // RXJ+: Receive-Code-Reject (permitted) or Receive-Protocol-Reject
  RxjMinus,     // RXJ-: Receive-Code-Reject (catastrophic) or Receive-Protocol-Reject
  Rxr,          // Receive-Echo-Request, -Echo-Reply or -Discard-Request
};
inline constexpr size_t kCpEventCount = 16;
std::string_view to_string(CpEvent e);

// §4.4 Actions, as bits. A table cell's actions run in this order, which is the order every
// cell of §4.1 lists them in (tld before irc before scr before sca ... before tlu, tlf).
enum CpAction : uint16_t {
  kActTld = 1u << 0,   // This-Layer-Down
  kActTls = 1u << 1,   // This-Layer-Started
  kActIrc = 1u << 2,   // Initialize-Restart-Count
  kActZrc = 1u << 3,   // Zero-Restart-Count
  kActScr = 1u << 4,   // Send-Configure-Request
  kActSca = 1u << 5,   // Send-Configure-Ack
  kActScn = 1u << 6,   // Send-Configure-Nak/Rej
  kActStr = 1u << 7,   // Send-Terminate-Request
  kActSta = 1u << 8,   // Send-Terminate-Ack
  kActScj = 1u << 9,   // Send-Code-Reject
  kActSer = 1u << 10,  // Send-Echo-Reply
  kActTlu = 1u << 11,  // This-Layer-Up
  kActTlf = 1u << 12,  // This-Layer-Finished
};

// One cell of the §4.1 table. `defined` is false for the cells the RFC marks "-": the event
// cannot occur in that state (a lower-layer event out of order, a packet before Up); the
// automaton ignores it and counts it.
struct CpTransition {
  CpState next = CpState::Initial;
  uint16_t actions = 0;
  bool defined = false;
};

CpTransition cp_transition(CpState state, CpEvent event);

// §4.6 Counters and Timers.
struct CpFsmConfig {
  std::chrono::milliseconds restart_timer{3000};  // Restart timer, default 3 seconds
  uint8_t max_terminate = 2;                       // Max-Terminate, default 2
  uint8_t max_configure = 10;                      // Max-Configure, default 10
  uint8_t max_failure = 5;                         // Max-Failure, default 5
};

// How a protocol answers a Configure-Request (§5.1..§5.4). For ConfNak and ConfRej,
// `options` are the reply's options; for ConfAck the request's options are echoed.
struct ConfReply {
  CpCode code = CpCode::ConfAck;
  std::vector<uint8_t> options;
};

// What an LCP-only code (8..13) means for the automaton.
enum class ExtendedCode : uint8_t { Unknown, Rxr, RxjPlus, RxjMinus };

class CpFsm;

// What LCP and IPCP plug into the automaton.
class CpProtocol {
 public:
  virtual ~CpProtocol() = default;

  // §4.4 layer actions. `cause` is the event whose cell runs the action.
  virtual void this_layer_up() = 0;
  virtual void this_layer_down(CpEvent cause) = 0;
  virtual void this_layer_started() {}
  virtual void this_layer_finished(CpEvent cause) = 0;

  // A new negotiation starts (Send-Configure-Request from a state other than Req-Sent,
  // Ack-Rcvd or Ack-Sent): our requested options go back to their initial values.
  virtual void reset_options() = 0;
  virtual void add_request_options(CpPacketBuilder& b) = 0;
  // §5.1: judges the peer's Configure-Request. With `reject_if_disagree` (Max-Failure
  // reached, §4.6), options that would be Nak'd are Rejected instead. An Ack commits the
  // peer's values (the automaton sends it in every state where it asks for a verdict).
  virtual ConfReply check_request(std::span<const CpOption> options, bool reject_if_disagree) = 0;
  // §5.2: our request was acknowledged (the automaton checked the options match).
  virtual void ack_received() {}
  // §5.3, §5.4: the peer's Nak or Reject of our last request. False: the packet is invalid
  // (options we did not send, a malformed value) and is discarded.
  virtual bool nak_received(std::span<const CpOption> options) = 0;
  virtual bool reject_received(std::span<const CpOption> options) = 0;

  // Codes 8..13 (LCP only; IPCP returns Unknown, which makes a Code-Reject). Side effects
  // (noting an Echo-Reply, a Protocol-Reject) happen here.
  virtual ExtendedCode extended_code(const CpPacket&) { return ExtendedCode::Unknown; }
  // The Send-Echo-Reply action (LCP).
  virtual void send_echo_reply(const CpPacket&) {}
  // The peer's MRU once negotiated, to truncate a Code-Reject (§5.6); 1500 until then.
  virtual size_t max_reject_size() const { return 1500; }
};

class CpFsm {
 public:
  using SendFn = std::function<void(std::span<const uint8_t> packet)>;

  // `name` ("LCP", "IPCP") prefixes nothing on the wire; it names the automaton in logs.
  // `counters` is the protocol's own set inside `ppp_counters` (parse errors go there).
  CpFsm(std::string_view name, CpProtocol& protocol, const CpFsmConfig& config,
        TimerService& timers, PppCounters& ppp_counters, CpCounters& counters, SendFn send);
  CpFsm(const CpFsm&) = delete;
  CpFsm& operator=(const CpFsm&) = delete;

  // §4.3 administrative and lower-layer events. `reason` becomes the Terminate-Request's
  // data when Close sends one (pppd prints it: "LCP terminated by peer (reason)").
  void up() { event(CpEvent::Up); }
  void down() { event(CpEvent::Down); }
  void open() { event(CpEvent::Open); }
  void close(std::string_view reason = {});

  // A packet of this protocol (Code onwards). Malformed packets are counted and dropped.
  void receive(std::span<const uint8_t> packet);

  CpState state() const { return state_; }
  bool opened() const { return state_ == CpState::Opened; }
  // §4.6 restart counter (irc sets it, scr and str count it down, zrc zeroes it).
  int restart_count() const { return restart_count_; }
  // The Identifier for a packet outside the Configure/Terminate exchange (Echo, Code-Reject,
  // Protocol-Reject): §5 says only that it must change for each new packet.
  uint8_t next_identifier() { return ++id_; }
  void send(std::span<const uint8_t> packet) { send_(packet); }
  std::string_view name() const { return name_; }

 private:
  struct Rx {  // the packet an event came from, for sca/scn/sta/scj/ser
    const CpPacket* packet = nullptr;
    ConfReply reply;
  };
  struct Deferred {
    bool is_packet = false;
    CpEvent event = CpEvent::Up;
    std::string reason;
    std::vector<uint8_t> packet;
  };
  void event(CpEvent e, std::string_view reason = {});
  void receive_now(std::span<const uint8_t> packet);
  void drain_deferred();
  void dispatch(CpEvent e, Rx* rx);
  void run_actions(CpState from, CpEvent e, uint16_t actions, Rx* rx);
  void send_configure_request(CpState from, CpEvent e);
  void send_terminate_request();
  void resend_request_to_late_peer();
  void arm_restart_timer();
  void timeout();
  void rcr(const CpPacket& p, bool first_from_peer);
  void rca(const CpPacket& p);
  void rcn(const CpPacket& p, bool reject);
  void rxj(const CpPacket& p);
  static bool timer_state(CpState s);

  std::string name_;
  CpProtocol& protocol_;
  CpFsmConfig config_;
  PppCounters& ppp_counters_;
  CpCounters& counters_;
  SendFn send_;
  PppTimer restart_timer_;

  CpState state_ = CpState::Initial;
  int restart_count_ = 0;
  int failure_count_ = 0;       // Configure-Naks sent since the last Configure-Ack (§4.6)
  uint8_t id_ = 0;              // the last Identifier we used
  uint8_t request_id_ = 0;      // our outstanding Configure-Request's Identifier
  bool reply_seen_ = true;      // a valid Ack/Nak/Reject already answered request_id_
  bool peer_heard_ = false;     // a packet from the peer has arrived since this layer came up
  std::vector<uint8_t> request_options_;  // our outstanding Configure-Request's options
  std::string term_reason_;

  // Events and packets that arrive while an event runs (from a callback): they run after
  // it, in order, so that no cell's actions interleave with another's.
  bool dispatching_ = false;
  std::vector<Deferred> deferred_;
};

}  // namespace l2tpgw::cp::ppp
