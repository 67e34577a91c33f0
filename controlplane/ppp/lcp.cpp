// SPDX-License-Identifier: Apache-2.0
// LCP option policy of the LNS (RFC 1661 §5, §6), echo and Protocol-Reject.
#include "controlplane/ppp/lcp.hpp"

#include <algorithm>

#include "common/byte_reader.hpp"

namespace l2tpgw::cp::ppp {

namespace {

constexpr uint8_t type_of(LcpOption o) { return static_cast<uint8_t>(o); }

void append(std::vector<uint8_t>& out, std::span<const uint8_t> raw) {
  out.insert(out.end(), raw.begin(), raw.end());
}

void append_u16_option(std::vector<uint8_t>& out, LcpOption type, uint16_t v) {
  const uint8_t o[4] = {type_of(type), 4, static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  append(out, o);
}

void append_u32_option(std::vector<uint8_t>& out, LcpOption type, uint32_t v) {
  const uint8_t o[6] = {type_of(type), 6, static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                        static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  append(out, o);
}

}  // namespace

Lcp::Lcp(const LcpPolicy& policy, TimerService& timers, Random& random, PppCounters& counters,
         CpFsm::SendFn send, LcpListener& listener)
    : policy_(policy),
      random_(random),
      counters_(counters),
      listener_(listener),
      fsm_("LCP", *this, policy_.fsm, timers, counters, counters.lcp, std::move(send)),
      echo_timer_(timers) {}

uint32_t Lcp::new_magic(uint32_t avoid) {
  // §6.4: a Magic-Number is random and never zero.
  for (;;) {
    const uint32_t m = random_.u32();
    if (m != 0 && m != avoid) return m;
  }
}

void Lcp::loop_suspected() {
  ++loops_;
  if (loops_ == policy_.max_loopback) {
    ++counters_.lcp_loopback;
    listener_.lcp_failure(LcpFailure::Loopback);
  }
}

bool Lcp::auth_allowed(AuthProtocol p) const {
  return std::find(policy_.auth.begin(), policy_.auth.end(), p) != policy_.auth.end() &&
         std::find(declined_.begin(), declined_.end(), p) == declined_.end();
}

std::optional<AuthProtocol> Lcp::next_allowed_auth() const {
  for (AuthProtocol p : policy_.auth) {
    if (auth_allowed(p)) return p;
  }
  return std::nullopt;
}

void Lcp::reset_options() {
  want_ = Ours{};
  want_.mru = policy_.mru;
  if (!policy_.auth.empty()) want_.auth = policy_.auth.front();
  want_.magic = new_magic(0);
  acked_ = Ours{};
  declined_.clear();
  auth_refused_ = false;
  loops_ = 0;
}

// Our Configure-Request: MRU, Authentication-Protocol, Magic-Number (the order pppd uses).
void Lcp::add_request_options(CpPacketBuilder& b) {
  if (want_.mru) b.option_u16(type_of(LcpOption::Mru), *want_.mru);
  if (want_.auth) put_auth_protocol(b, *want_.auth);
  if (want_.magic) b.option_u32(type_of(LcpOption::MagicNumber), *want_.magic);
}

std::vector<uint8_t> Lcp::request_options() {
  CpPacketBuilder b(CpCode::ConfReq, 0);
  add_request_options(b);
  auto bytes = std::move(b).finish();
  return {bytes.begin() + kCpHeaderLen, bytes.end()};
}

// §5.1..§5.4 on the peer's Configure-Request. Options that are refused outright go into a
// Reject; values we would rather see differently into a Nak; a Reject wins over a Nak (§5.4:
// the Nak comes once the peer has dropped what we cannot take).
ConfReply Lcp::check_request(std::span<const CpOption> options, bool reject_if_disagree) {
  std::vector<uint8_t> rej, nak;
  Peer next;  // what an Ack commits: options not present take their defaults again
  auto disagree = [&](const CpOption& o, auto&& write_nak) {
    if (reject_if_disagree) {
      append(rej, o.raw);
    } else {
      write_nak();
    }
  };
  for (const CpOption& o : options) {
    switch (static_cast<LcpOption>(o.type)) {
      case LcpOption::Mru: {
        const auto mru = decode_mru(o);
        if (!mru) {
          append(rej, o.raw);
        } else if (*mru < kMinMru) {
          disagree(o, [&] { append_u16_option(nak, LcpOption::Mru, kMinMru); });
        } else {
          next.mru = *mru;
          next.mru_present = true;
        }
        break;
      }
      case LcpOption::Accm: {
        // RFC 1662 §7.1: meaningful on asynchronous links only; an L2TP session is not one
        // (RFC 2661 §4.4.6), so any map is acceptable and changes nothing.
        const auto accm = decode_accm(o);
        if (!accm) {
          append(rej, o.raw);
        } else {
          next.accm = *accm;
          next.accm_present = true;
        }
        break;
      }
      case LcpOption::MagicNumber: {
        const auto magic = decode_magic_number(o);
        if (!magic) {
          append(rej, o.raw);
        } else if (*magic == 0) {
          // §6.4: "a Magic-Number of zero is illegal and MUST always be Nak'd".
          disagree(o, [&] { append_u32_option(nak, LcpOption::MagicNumber, new_magic(0)); });
        } else if (want_.magic && *magic == *want_.magic) {
          // §6.4: our own number came back: Nak with a different one and count the loop.
          loop_suspected();
          disagree(o, [&] { append_u32_option(nak, LcpOption::MagicNumber, new_magic(*magic)); });
        } else {
          next.magic = *magic;
        }
        break;
      }
      case LcpOption::Pfc:
      case LcpOption::Acfc: {
        if (!decode_flag_option(o)) {
          append(rej, o.raw);
        } else if (o.type == type_of(LcpOption::Pfc)) {
          next.pfc = true;
        } else {
          next.acfc = true;
        }
        break;
      }
      // Authentication-Protocol from the peer asks us to authenticate to it: an LNS has no
      // credentials of its own to give. Quality-Protocol, Callback, the multilink options and
      // anything unknown are not offered either.
      default: append(rej, o.raw); break;
    }
  }
  if (!rej.empty()) return ConfReply{CpCode::ConfRej, std::move(rej)};
  if (!nak.empty()) return ConfReply{CpCode::ConfNak, std::move(nak)};
  peer_ = next;
  return ConfReply{CpCode::ConfAck, {}};
}

// §5.3: the peer suggests other values for our options. Values we cannot use leave the
// option as it was or drop it; options we did not send are the peer's wishes, ignored.
bool Lcp::nak_received(std::span<const CpOption> options) {
  for (const CpOption& o : options) {
    switch (static_cast<LcpOption>(o.type)) {
      case LcpOption::Mru: {
        const auto mru = decode_mru(o);
        if (!mru) return false;
        if (!want_.mru) break;
        if (*mru >= kMinMru) want_.mru = *mru;
        else want_.mru.reset();  // §6.1: the default (1500) applies then
        break;
      }
      case LcpOption::AuthProtocol: {
        const auto a = decode_auth_protocol(o);
        if (!a) return false;
        if (!want_.auth) break;
        declined_.push_back(*want_.auth);
        // The peer's suggestion when `pp auth request` allows it, else our next choice.
        const auto suggested = auth_protocol_of(*a);
        want_.auth = suggested && auth_allowed(*suggested) ? suggested : next_allowed_auth();
        if (!want_.auth) auth_refused_ = true;
        break;
      }
      case LcpOption::MagicNumber: {
        const auto magic = decode_magic_number(o);
        if (!magic) return false;
        if (!want_.magic) break;
        // §6.4: a Nak of our Magic-Number means choosing a new one; a Nak of our number with
        // our number is what a looped-back link produces.
        if (*magic == *want_.magic) loop_suspected();
        want_.magic = new_magic(*want_.magic);
        break;
      }
      default: break;
    }
  }
  return true;
}

// §5.4: the options of a Configure-Reject must be a subset of those of our last
// Configure-Request; a Reject naming anything else is invalid and silently discarded.
bool Lcp::reject_received(std::span<const CpOption> options) {
  const std::vector<uint8_t> sent = request_options();
  const auto ours = decode_options(sent);
  if (!ours) return false;
  for (const CpOption& o : options) {
    const bool known = std::any_of(ours->begin(), ours->end(), [&](const CpOption& s) {
      return std::equal(s.raw.begin(), s.raw.end(), o.raw.begin(), o.raw.end());
    });
    if (!known) return false;
  }
  for (const CpOption& o : options) {
    switch (static_cast<LcpOption>(o.type)) {
      case LcpOption::Mru: want_.mru.reset(); break;
      case LcpOption::MagicNumber: want_.magic.reset(); break;
      case LcpOption::AuthProtocol:
        // Peers that do not know an algorithm (MS-CHAP-V2 to an old CHAP stack) reject the
        // option rather than Nak it: try the next protocol we allow (as pppd does), and when
        // none is left the peer will not authenticate; the session ends when LCP opens.
        declined_.push_back(*want_.auth);
        want_.auth = next_allowed_auth();
        if (!want_.auth) auth_refused_ = true;
        break;
      default: break;
    }
  }
  return true;
}

std::vector<std::string> Lcp::local_option_names() const {
  std::vector<std::string> n;
  if (acked_.auth) n.emplace_back(to_string(*acked_.auth));
  if (acked_.magic) n.emplace_back("Magic-Number");
  if (acked_.mru) n.emplace_back("MRU");
  return n;
}

std::vector<std::string> Lcp::remote_option_names() const {
  std::vector<std::string> n;
  if (peer_.magic) n.emplace_back("Magic-Number");
  if (peer_.mru_present) n.emplace_back("MRU");
  if (peer_.accm_present) n.emplace_back("ACCM");
  if (peer_.pfc) n.emplace_back("PFC");
  if (peer_.acfc) n.emplace_back("ACFC");
  return n;
}

ExtendedCode Lcp::extended_code(const CpPacket& p) {
  const bool opened = fsm_.opened();
  switch (static_cast<CpCode>(p.code)) {
    case CpCode::ProtRej: {
      // §5.7: only meaningful in Opened; "silently discarded" elsewhere (as RXR: no action).
      ByteReader r(p.data);
      const auto proto = r.read_be16();
      if (!proto) {
        counters_.parse_error(PppParseError::Truncated);
        return ExtendedCode::Rxr;
      }
      if (!opened) return ExtendedCode::Rxr;
      ++counters_.rx_protocol_reject;
      if (*proto == kProtoLcp) return ExtendedCode::RxjMinus;
      listener_.lcp_protocol_rejected(*proto);
      return ExtendedCode::RxjPlus;
    }
    case CpCode::EchoReq: return ExtendedCode::Rxr;  // answered by send_echo_reply (ser)
    case CpCode::EchoRep: {
      ByteReader r(p.data);
      const auto magic = r.read_be32();
      if (!magic) {
        counters_.parse_error(PppParseError::Truncated);
        return ExtendedCode::Rxr;
      }
      if (!opened) return ExtendedCode::Rxr;
      if (acked_.magic && *magic == *acked_.magic) loop_suspected();
      if (p.identifier == echo_id_) echo_outstanding_ = 0;
      ++counters_.lcp_echo_reply_received;
      return ExtendedCode::Rxr;
    }
    case CpCode::DiscardReq: ++counters_.lcp_discard_received; return ExtendedCode::Rxr;
    // RFC 1570: Windows announces itself with Identification after LCP opens; nothing to
    // answer, and a Code-Reject would only be logged as an error on the client.
    case CpCode::Identification:
    case CpCode::TimeRemaining: ++counters_.lcp_identification_received; return ExtendedCode::Rxr;
    default: return ExtendedCode::Unknown;
  }
}

// §5.8 Echo-Reply: the Request's Identifier, our Magic-Number (zero when none was
// negotiated), and the Request's data back.
void Lcp::send_echo_reply(const CpPacket& request) {
  // RXR also stands for Echo-Reply, Discard-Request (and here Identification): only an
  // Echo-Request is answered (§4.4 Send-Echo-Reply acknowledges an Echo-Request).
  if (request.code != static_cast<uint8_t>(CpCode::EchoReq)) return;
  ByteReader r(request.data);
  const auto magic = r.read_be32();
  if (!magic) {
    counters_.parse_error(PppParseError::Truncated);
    return;
  }
  if (acked_.magic && *magic == *acked_.magic) loop_suspected();
  CpPacketBuilder b(CpCode::EchoRep, request.identifier);
  b.be32(acked_.magic.value_or(0));
  const size_t room = max_reject_size() - 8u;
  const auto data = r.rest();
  b.bytes(data.first(std::min(room, data.size())));
  ++counters_.lcp_echo_reply_sent;
  const auto bytes = std::move(b).finish();
  fsm_.send(bytes);
}

bool Lcp::send_protocol_reject(uint16_t protocol, std::span<const uint8_t> information) {
  if (!fsm_.opened()) return false;
  //   Code 8 | Identifier | Length | Rejected-Protocol | Rejected-Information ...
  // "truncated to comply with the peer's established MRU" (and to 1500: max_reject_size()).
  CpPacketBuilder b(CpCode::ProtRej, fsm_.next_identifier());
  b.be16(protocol);
  const size_t room = max_reject_size() - 6u;
  b.bytes(information.first(std::min(room, information.size())));
  ++counters_.tx_protocol_reject;
  const auto bytes = std::move(b).finish();
  fsm_.send(bytes);
  return true;
}

void Lcp::this_layer_up() {
  echo_outstanding_ = 0;
  if (policy_.echo_interval.count() > 0) echo_timer_.arm(policy_.echo_interval, [this] { echo_tick(); });
  listener_.lcp_up();
}

void Lcp::this_layer_down(CpEvent cause) {
  echo_timer_.cancel();
  listener_.lcp_down(cause);
}

void Lcp::this_layer_finished(CpEvent cause) {
  echo_timer_.cancel();
  listener_.lcp_finished(cause);
}

void Lcp::echo_tick() {
  if (!fsm_.opened()) return;
  if (echo_outstanding_ >= policy_.echo_failure) {
    ++counters_.lcp_echo_timeout;
    listener_.lcp_failure(LcpFailure::EchoTimeout);
    return;
  }
  echo_id_ = fsm_.next_identifier();
  CpPacketBuilder b(CpCode::EchoReq, echo_id_);
  b.be32(acked_.magic.value_or(0));
  ++echo_outstanding_;
  ++counters_.lcp_echo_request_sent;
  const auto bytes = std::move(b).finish();
  fsm_.send(bytes);
  echo_timer_.arm(policy_.echo_interval, [this] { echo_tick(); });
}

}  // namespace l2tpgw::cp::ppp
