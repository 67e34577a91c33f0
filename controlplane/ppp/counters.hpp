// SPDX-License-Identifier: Apache-2.0
// PppCounters: every PPP protocol event and failure, by name (STYLE.md rule 8). One set per
// `pp select` section, shared by its sessions (PpContext); `show counters` prints them with
// for_each(), tests assert on them.
//
// Thread context: the controlplane loop (plain integers, one writer).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "controlplane/ppp/wire/parse_error.hpp"

namespace l2tpgw::cp::ppp {

// Per option-negotiation automaton (LCP, IPCP): what cp_fsm.cpp counts.
#define L2TPGW_CP_COUNTERS(X)                                                              \
  X(rx_conf_req) X(rx_conf_ack) X(rx_conf_nak) X(rx_conf_rej) X(rx_term_req) X(rx_term_ack) \
  X(rx_code_rej) X(rx_unknown_code)                                                        \
  X(rx_not_ready)   /* a packet in Initial/Starting: the layer is not up (RFC 1661 §4.2) */ \
  X(rx_stale_reply) /* Ack/Nak/Reject whose Identifier is not our last request's (§5.2) */  \
  X(rx_bad_ack)     /* Ack whose options are not exactly the ones we sent (§5.2) */         \
  X(rx_bad_nak_rej) /* Nak/Reject naming options we did not send, or malformed (§5.3) */    \
  X(tx_conf_req) X(tx_conf_ack) X(tx_conf_nak) X(tx_conf_rej) X(tx_term_req) X(tx_term_ack) \
  X(tx_code_rej)                                                                           \
  X(retransmits)    /* TO+ (§4.6 Restart timer) */                                          \
  X(early_resends)  /* our request sent again when the peer's first request arrives */     \
  X(gave_up)        /* TO- with Max-Configure or Max-Terminate spent */                     \
  X(nak_to_rej)     /* Max-Failure reached: Naks turned into Rejects (§4.6) */              \
  X(opened) X(closed)

struct CpCounters {
#define X(n) uint64_t n = 0;
  L2TPGW_CP_COUNTERS(X)
#undef X
};

#define L2TPGW_PPP_COUNTERS(X)                                                                 \
  X(rx_frames)                                                                                 \
  X(rx_bad_frame)            /* PPP header did not decode (RFC 1661 §2, common/wire/ppp.hpp) */ \
  X(rx_malformed)            /* a control packet that did not decode: see parse_errors */      \
  X(rx_wrong_phase)          /* auth or NCP packet outside its phase, discarded (§3.5, §3.6) */ \
  X(rx_not_running)         /* input before start() or after the session finished */          \
  X(rx_ipv4_data)            /* IPv4 handed to the controlplane: the dataplane forwards it */  \
  X(tx_protocol_reject)      /* RFC 1661 §5.7 */                                               \
  X(protocol_reject_ipv6cp)  /* of which IPV6CP (RFC 5072): IPv6 is not offered */             \
  X(protocol_reject_ccp)     /* of which CCP (RFC 1962): no compression */                     \
  X(rx_protocol_reject)      /* the peer rejected one of ours */                               \
  X(lcp_echo_reply_sent) X(lcp_echo_request_sent) X(lcp_echo_reply_received)                   \
  X(lcp_echo_timeout)        /* our Echo-Requests went unanswered */                           \
  X(lcp_discard_received) X(lcp_identification_received)                                       \
  X(lcp_loopback)            /* Magic-Number loop detected (RFC 1661 §6.4) */                  \
  X(lcp_no_common_auth)      /* the peer refused every protocol `pp auth request` allows */    \
  X(auth_success)                                                                              \
  X(auth_failure)            /* Nak/Failure sent: every cause below */                        \
  X(auth_unknown_user)       /* no `pp auth username` of that name */                          \
  X(auth_bad_secret)         /* the password or response did not match */                     \
  X(auth_malformed_response) /* a Response of the wrong size for its algorithm */              \
  X(auth_multi_connect)      /* refused: `pp auth multi connect prohibit` */                   \
  X(auth_timeout)            /* no Response / Authenticate-Request in time */                  \
  X(auth_stale)              /* a Response whose Identifier is not the challenge's */          \
  X(auth_retransmit)         /* Challenge resent, or Success/Ack resent for a repeated reply */ \
  X(address_assigned)                                                                          \
  X(address_pool_exhausted)  /* no free address: the session was refused */                   \
  X(address_in_use)          /* a fixed address already held by another session */           \
  X(network_up) X(network_down)                                                                \
  X(sessions_started) X(sessions_closed)

struct PppCounters {
#define X(n) uint64_t n = 0;
  L2TPGW_PPP_COUNTERS(X)
#undef X
  CpCounters lcp, ipcp;
  std::array<uint64_t, kPppParseErrorCount> parse_errors{};

  void parse_error(PppParseError e) {
    ++rx_malformed;
    ++parse_errors[static_cast<size_t>(e)];
  }

  // Calls fn(name, value) for every counter: "rx_frames", "lcp.rx_conf_req",
  // "parse_error.Truncated", ...
  template <class Fn>
  void for_each(Fn&& fn) const {
#define X(n) fn(std::string_view(#n), n);
    L2TPGW_PPP_COUNTERS(X)
#undef X
#define X(n) fn(std::string_view("lcp." #n), lcp.n);
    L2TPGW_CP_COUNTERS(X)
#undef X
#define X(n) fn(std::string_view("ipcp." #n), ipcp.n);
    L2TPGW_CP_COUNTERS(X)
#undef X
    for (size_t i = 0; i < kPppParseErrorCount; ++i) {
      const std::string name = "parse_error." + std::string(to_string(static_cast<PppParseError>(i)));
      fn(std::string_view(name), parse_errors[i]);
    }
  }
};

}  // namespace l2tpgw::cp::ppp
