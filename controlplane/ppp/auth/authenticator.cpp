// SPDX-License-Identifier: Apache-2.0
// PAP, CHAP-MD5, MS-CHAP and MS-CHAP-V2, authenticator side.
#include "controlplane/ppp/auth/authenticator.hpp"

#include <openssl/crypto.h>

#include <cstdio>

#include "controlplane/log/log.hpp"
#include "controlplane/ppp/auth/chap_crypto.hpp"

namespace l2tpgw::cp::ppp {

namespace {

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string_view as_text(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string hex_upper(std::span<const uint8_t> b) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s;
  for (uint8_t x : b) {
    s.push_back(kHex[x >> 4]);
    s.push_back(kHex[x & 0xf]);
  }
  return s;
}

// RFC 1994 §2.3 leaves the Challenge Value's length to the authenticator (pppd sends 16 to
// 24 octets); MS-CHAP's is 8 (RFC 2433 §3), MS-CHAP-V2's 16 (RFC 2759 §3).
size_t challenge_size(AuthProtocol p) {
  switch (p) {
    case AuthProtocol::MsChapV1: return 8;
    case AuthProtocol::ChapMd5:
    case AuthProtocol::MsChapV2:
    case AuthProtocol::Pap: break;
  }
  return 16;
}

constexpr std::string_view kSucceeded = "Authentication succeeded";
constexpr std::string_view kFailed = "Authentication failed";

}  // namespace

const config::PpUser* UserTable::find(std::string_view name) const {
  for (const config::PpUser& u : users_) {
    if (u.name == name) return &u;
  }
  return nullptr;
}

std::string_view to_string(AuthFailure f) {
  switch (f) {
    case AuthFailure::UnknownUser: return "unknown user";
    case AuthFailure::BadSecret: return "wrong password";
    case AuthFailure::MalformedResponse: return "malformed response";
    case AuthFailure::MultiConnect: return "already connected (pp auth multi connect prohibit)";
    case AuthFailure::Timeout: return "no response";
  }
  return "?";
}

std::string printable_name(std::span<const uint8_t> name) {
  std::string s;
  for (size_t i = 0; i < name.size() && s.size() < 64; ++i) {
    const uint8_t c = name[i];
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      s.push_back(static_cast<char>(c));
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      s += buf;
    }
  }
  if (s.size() >= 64 && name.size() > 64) s += "...";
  return s;
}

std::string printable_name(std::string_view name) { return printable_name(as_bytes(name)); }

Authenticator::Authenticator(const UserTable& users, const AuthConfig& config, TimerService& timers,
                             Random& random, PppCounters& counters, SendFn send, AuthListener& listener,
                             std::string log_name)
    : users_(users),
      config_(config),
      random_(random),
      counters_(counters),
      send_(std::move(send)),
      listener_(listener),
      log_name_(std::move(log_name)),
      timer_(timers) {}

void Authenticator::start(AuthProtocol protocol) {
  protocol_ = protocol;
  state_ = State::Waiting;
  verdict_.clear();
  if (protocol == AuthProtocol::Pap) {
    // RFC 1334 §2.1: the peer sends Authenticate-Request; the authenticator only waits.
    timer_.arm(config_.pap_timeout, [this] { fail(AuthFailure::Timeout, {}); });
    return;
  }
  uint8_t id[1];
  random_.fill(id);
  id_ = id[0];
  challenge_.assign(challenge_size(protocol), 0);
  random_.fill(challenge_);
  challenges_left_ = config_.max_challenges;
  send_challenge();
}

void Authenticator::stop() {
  timer_.cancel();
  if (state_ == State::Waiting) state_ = State::Idle;
  OPENSSL_cleanse(challenge_.data(), challenge_.size());
}

void Authenticator::send_challenge() {
  --challenges_left_;
  const auto p = build_chap_value_name(ChapCode::Challenge, id_, challenge_, config_.name);
  timer_.arm(config_.restart_timer, [this] { challenge_timeout(); });
  send_(kProtoChap, p);
}

void Authenticator::challenge_timeout() {
  if (state_ != State::Waiting) return;
  if (challenges_left_ <= 0) {
    fail(AuthFailure::Timeout, {});
    return;
  }
  ++counters_.auth_retransmit;
  send_challenge();
}

void Authenticator::input(uint16_t protocol, std::span<const uint8_t> bytes) {
  if (!protocol_ || state_ == State::Idle) {
    ++counters_.rx_wrong_phase;
    return;
  }
  const bool pap = *protocol_ == AuthProtocol::Pap;
  if (protocol != (pap ? kProtoPap : kProtoChap)) {
    ++counters_.rx_wrong_phase;  // the other protocol than the one LCP negotiated
    return;
  }
  const auto p = decode_cp_packet(bytes);
  if (!p) {
    counters_.parse_error(p.error());
    return;
  }
  if (pap) {
    if (p->code == static_cast<uint8_t>(PapCode::AuthReq)) pap_request(*p);
    return;  // Ack/Nak from a peer: we never asked it anything
  }
  if (p->code == static_cast<uint8_t>(ChapCode::Response)) chap_response(*p);
}

void Authenticator::reply(std::vector<uint8_t> packet) {
  verdict_ = packet;
  send_(*protocol_ == AuthProtocol::Pap ? kProtoPap : kProtoChap, packet);
}

// RFC 1334 §2.2.1.
void Authenticator::pap_request(const CpPacket& p) {
  if (state_ != State::Waiting) {
    // A repeated request (our Ack or Nak was lost): the same verdict, with its Identifier.
    if (!verdict_.empty()) {
      verdict_[1] = p.identifier;
      ++counters_.auth_retransmit;
      send_(kProtoPap, verdict_);
    }
    return;
  }
  const auto req = decode_pap_auth_request(p);
  if (!req) {
    counters_.parse_error(req.error());
    return;
  }
  verdict_id_ = p.identifier;
  const std::string_view name = as_text(req->peer_id);
  const config::PpUser* user = users_.find(name);
  if (!user) {
    fail(AuthFailure::UnknownUser, name);
    return;
  }
  if (!constant_time_equal(req->password, as_bytes(user->password.reveal()))) {
    fail(AuthFailure::BadSecret, name);
    return;
  }
  succeed(*user, name, kSucceeded);
}

// RFC 1994 §4.1 Response, with the Value the negotiated algorithm defines.
void Authenticator::chap_response(const CpPacket& p) {
  if (p.identifier != id_) {
    // RFC 1994 §4.1: a Response carries the Identifier of the Challenge it answers.
    ++counters_.auth_stale;
    return;
  }
  if (state_ != State::Waiting) {
    if (!verdict_.empty()) {
      ++counters_.auth_retransmit;
      send_(kProtoChap, verdict_);
    }
    return;
  }
  const auto vn = decode_chap_value_name(p);
  if (!vn) {
    counters_.parse_error(vn.error());
    return;
  }
  verdict_id_ = p.identifier;
  const std::string_view name = as_text(vn->name);
  const AuthProtocol proto = *protocol_;
  const config::PpUser* user = users_.find(name);
  // MS-CHAP names may carry a Windows domain ("DOMAIN\user", RFC 2759 §4).
  if (!user && proto != AuthProtocol::ChapMd5) user = users_.find(ms_chap_user_name(name));

  switch (proto) {
    case AuthProtocol::ChapMd5: {
      if (vn->value.size() != 16) return fail(AuthFailure::MalformedResponse, name);
      if (!user) return fail(AuthFailure::UnknownUser, name);
      const auto expected = chap_md5_response(id_, user->password.reveal(), challenge_);
      if (!constant_time_equal(vn->value, expected)) return fail(AuthFailure::BadSecret, name);
      return succeed(*user, name, kSucceeded);
    }
    case AuthProtocol::MsChapV1: {
      const auto r = decode_ms_chap_v1_response(vn->value);
      // RFC 2433 §4: flag 1 = "use the Windows NT compatible response"; LAN Manager
      // responses alone are not accepted (§12: the LM hash is broken).
      if (!r || r->use_nt != 1) return fail(AuthFailure::MalformedResponse, name);
      if (!user) return fail(AuthFailure::UnknownUser, name);
      const auto expected =
          nt_challenge_response(std::span<const uint8_t, 8>(challenge_.data(), 8), user->password.reveal());
      if (!constant_time_equal(r->nt_response, expected)) return fail(AuthFailure::BadSecret, name);
      return succeed(*user, name, kSucceeded);
    }
    case AuthProtocol::MsChapV2: {
      const auto r = decode_ms_chap_v2_response(vn->value);
      if (!r) return fail(AuthFailure::MalformedResponse, name);
      if (!user) return fail(AuthFailure::UnknownUser, name);
      const std::string_view hashed_name = ms_chap_user_name(name);
      const std::span<const uint8_t, 16> auth_challenge(challenge_.data(), 16);
      const std::span<const uint8_t, 16> peer_challenge(r->peer_challenge.data(), 16);
      const auto expected =
          generate_nt_response(auth_challenge, peer_challenge, hashed_name, user->password.reveal());
      if (!constant_time_equal(r->nt_response, expected)) return fail(AuthFailure::BadSecret, name);
      // RFC 2759 §5: "S=<auth_string> M=<message>"; the peer checks auth_string, which
      // proves that we know the password too.
      const std::string s = generate_authenticator_response(
          user->password.reveal(), std::span<const uint8_t, 24>(r->nt_response.data(), 24), peer_challenge,
          auth_challenge, hashed_name);
      return succeed(*user, name, s + " M=" + std::string(kSucceeded));
    }
    case AuthProtocol::Pap: break;
  }
}

void Authenticator::succeed(const config::PpUser& user, std::string_view name,
                            std::string_view success_message) {
  if (!listener_.auth_admit(user)) {
    fail(AuthFailure::MultiConnect, name);
    return;
  }
  timer_.cancel();
  state_ = State::Succeeded;
  ++counters_.auth_success;
  logf(LogLevel::Info, "[PPP] %s: %s login succeeded: user '%s'", log_name_.c_str(),
       std::string(to_string(*protocol_)).c_str(), printable_name(name).c_str());
  if (*protocol_ == AuthProtocol::Pap) {
    reply(build_pap_reply(PapCode::AuthAck, verdict_id_, success_message));
  } else {
    reply(build_chap_message(ChapCode::Success, verdict_id_, success_message));
  }
  AuthOutcome o;
  o.ok = true;
  o.protocol = *protocol_;
  o.username = std::string(name);
  o.user = &user;
  listener_.auth_done(o);
}

// RFC 2433 §5, RFC 2759 §6 Failure: "E=eeeeeeeeee R=r C=cccccccccccccccccccccccccccccccc V=vvvvvvvvvv
// M=<msg>". 691 is ERROR_AUTHENTICATION_FAILURE; R=0: no retry; V=3 (MS-CHAP-V2 only) and a
// new challenge C for a retry the peer may not make.
std::string Authenticator::failure_message() {
  switch (*protocol_) {
    case AuthProtocol::MsChapV1: return "E=691 R=0";
    case AuthProtocol::MsChapV2: {
      uint8_t c[16];
      random_.fill(c);
      return "E=691 R=0 C=" + hex_upper(c) + " V=3 M=" + std::string(kFailed);
    }
    case AuthProtocol::ChapMd5:
    case AuthProtocol::Pap: break;
  }
  return std::string(kFailed);
}

void Authenticator::fail(AuthFailure why, std::string_view name) {
  timer_.cancel();
  state_ = State::Failed;
  ++counters_.auth_failure;
  switch (why) {
    case AuthFailure::UnknownUser: ++counters_.auth_unknown_user; break;
    case AuthFailure::BadSecret: ++counters_.auth_bad_secret; break;
    case AuthFailure::MalformedResponse: ++counters_.auth_malformed_response; break;
    case AuthFailure::MultiConnect: ++counters_.auth_multi_connect; break;
    case AuthFailure::Timeout: ++counters_.auth_timeout; break;
  }
  if (why == AuthFailure::Timeout) {
    logf(LogLevel::Notice, "[PPP] %s: %s login failed: no response from the peer", log_name_.c_str(),
         std::string(to_string(*protocol_)).c_str());
  } else {
    logf(LogLevel::Notice, "[PPP] %s: %s login failed: user '%s': %s", log_name_.c_str(),
         std::string(to_string(*protocol_)).c_str(), printable_name(name).c_str(),
         std::string(to_string(why)).c_str());
    if (*protocol_ == AuthProtocol::Pap) {
      reply(build_pap_reply(PapCode::AuthNak, verdict_id_, kFailed));
    } else {
      reply(build_chap_message(ChapCode::Failure, verdict_id_, failure_message()));
    }
  }
  AuthOutcome o;
  o.ok = false;
  o.protocol = *protocol_;
  o.username = std::string(name);
  o.failure = why;
  listener_.auth_done(o);
}

}  // namespace l2tpgw::cp::ppp
