// SPDX-License-Identifier: Apache-2.0
// Lcp: the LNS side of the Link Control Protocol (RFC 1661 §6), plugged into CpFsm.
//
// What we request: MRU (`ppp lcp mru on N`), the Authentication-Protocol `pp auth request`
// names (the first acceptable one; when the peer Naks it we move to the protocol it suggests
// if `pp auth request` allows it, else to the next one we allow: Windows Naks CHAP-MD5 asking
// for MS-CHAP-V2; a Reject also moves to the next one), and a Magic-Number.
// What we accept: the peer's MRU (at least 128), ACCM, PFC, ACFC and Magic-Number; every other
// option is Rejected (Authentication-Protocol too: an LNS does not authenticate itself to its
// clients). Loops are detected with the Magic-Number (§6.4) and Echo-Request (§5.8).
// Echo-Requests are answered in Opened; our own are sent when `echo_interval` is set.
//
// Thread context: the controlplane loop.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "controlplane/ppp/counters.hpp"
#include "controlplane/ppp/cp_fsm.hpp"
#include "controlplane/ppp/timers.hpp"
#include "controlplane/ppp/wire/lcp_options.hpp"

namespace l2tpgw::cp::ppp {

inline constexpr uint16_t kMinMru = 128;  // below this a peer's MRU is Nak'd (pppd's MINMRU)

struct LcpPolicy {
  std::optional<uint16_t> mru = kDefaultMru;  // nullopt: no MRU option (`ppp lcp mru off`)
  std::vector<AuthProtocol> auth;             // preference order; empty: no authentication
  std::chrono::milliseconds echo_interval{0}; // 0: we send no Echo-Request
  uint8_t echo_failure = 5;                   // unanswered Echo-Requests before giving up
  uint8_t max_loopback = 5;                   // Magic-Number collisions before "looped back"
  CpFsmConfig fsm;
};

enum class LcpFailure : uint8_t {
  Loopback,     // §6.4: our own Magic-Number keeps coming back
  EchoTimeout,  // our Echo-Requests went unanswered
};

class LcpListener {
 public:
  virtual ~LcpListener() = default;
  virtual void lcp_up() = 0;                          // tlu: the link is established
  virtual void lcp_down(CpEvent cause) = 0;           // tld (cause Rtr: the peer's Terminate-Request)
  virtual void lcp_finished(CpEvent cause) = 0;       // tlf: the link is done
  virtual void lcp_protocol_rejected(uint16_t protocol) = 0;  // the peer's Protocol-Reject
  virtual void lcp_failure(LcpFailure why) = 0;       // the link should be closed
};

class Lcp final : public CpProtocol {
 public:
  Lcp(const LcpPolicy& policy, TimerService& timers, Random& random, PppCounters& counters,
      CpFsm::SendFn send, LcpListener& listener);

  CpFsm& fsm() { return fsm_; }
  const CpFsm& fsm() const { return fsm_; }

  // What was negotiated (valid once Opened).
  uint16_t peer_mru() const { return peer_.mru; }  // the most we may send (§6.1)
  bool peer_pfc() const { return peer_.pfc; }      // the peer receives compressed protocols
  bool peer_acfc() const { return peer_.acfc; }
  std::optional<uint32_t> peer_magic() const { return peer_.magic; }
  std::optional<uint16_t> our_mru() const { return acked_.mru; }
  std::optional<uint32_t> our_magic() const { return acked_.magic; }
  // The protocol the peer agreed to authenticate with; nullopt when none was requested or
  // the peer refused all of them (auth_refused()).
  std::optional<AuthProtocol> auth_protocol() const { return acked_.auth; }
  bool auth_refused() const { return auth_refused_; }

  // The options of each side's acknowledged Configure-Request, named as `show status pp`
  // names them (seed 000: "LCP Local: CHAP Magic-Number MRU, Remote: Magic-Number MRU").
  std::vector<std::string> local_option_names() const;
  std::vector<std::string> remote_option_names() const;

  // RFC 1661 §5.7: rejects a packet of an unsupported protocol. Only in Opened ("Protocol-
  // Reject packets can only be sent in the LCP Opened state"); false when not sent.
  bool send_protocol_reject(uint16_t protocol, std::span<const uint8_t> information);

  // CpProtocol.
  void this_layer_up() override;
  void this_layer_down(CpEvent cause) override;
  void this_layer_finished(CpEvent cause) override;
  void reset_options() override;
  void add_request_options(CpPacketBuilder& b) override;
  ConfReply check_request(std::span<const CpOption> options, bool reject_if_disagree) override;
  void ack_received() override { acked_ = want_; }
  bool nak_received(std::span<const CpOption> options) override;
  bool reject_received(std::span<const CpOption> options) override;
  ExtendedCode extended_code(const CpPacket& p) override;
  void send_echo_reply(const CpPacket& request) override;
  // Code-Reject, Protocol-Reject and Echo-Reply are truncated to the peer's MRU (§5.6,
  // §5.7), and to 1500 octets: a control reply never needs more, and over L2TP/IPsec a bigger
  // one would only be fragmented.
  size_t max_reject_size() const override { return std::min<size_t>(peer_.mru, kDefaultMru); }

 private:
  struct Ours {
    std::optional<uint16_t> mru;
    std::optional<AuthProtocol> auth;
    std::optional<uint32_t> magic;
  };
  struct Peer {
    bool mru_present = false, accm_present = false;  // in the acknowledged request
    uint16_t mru = kDefaultMru;
    uint32_t accm = 0xffffffff;
    bool pfc = false, acfc = false;
    std::optional<uint32_t> magic;
  };
  uint32_t new_magic(uint32_t avoid);
  // `pp auth request` allows it and the peer has not declined it in this negotiation.
  bool auth_allowed(AuthProtocol p) const;
  std::optional<AuthProtocol> next_allowed_auth() const;
  void loop_suspected();
  std::vector<uint8_t> request_options() ;
  void echo_tick();

  LcpPolicy policy_;
  Random& random_;
  PppCounters& counters_;
  LcpListener& listener_;
  CpFsm fsm_;
  PppTimer echo_timer_;

  Ours want_, acked_;
  Peer peer_;
  std::vector<AuthProtocol> declined_;  // auth protocols the peer Nak'd in this negotiation
  bool auth_refused_ = false;
  int loops_ = 0;
  int echo_outstanding_ = 0;
  uint8_t echo_id_ = 0;
};

}  // namespace l2tpgw::cp::ppp
