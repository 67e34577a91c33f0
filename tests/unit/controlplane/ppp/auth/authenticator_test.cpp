// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ppp/auth/authenticator: PAP, CHAP-MD5, MS-CHAP and MS-CHAP-V2 on the
// authenticator side, with the RFC 2759 §9.2 and RFC 2433 B.2 values as whole exchanges.
#include "controlplane/ppp/auth/authenticator.hpp"

#include <deque>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "controlplane/log/log.hpp"
#include "controlplane/ppp/auth/chap_crypto.hpp"
#include "vector_file.hpp"

namespace l2tpgw::cp::ppp {
namespace {

using namespace std::chrono_literals;
using test::from_hex;

// Hands out the bytes it is given, then a fixed sequence.
struct ScriptedRandom : Random {
  std::deque<uint8_t> script;
  SequenceRandom rest{3};
  void fill(std::span<uint8_t> out) override {
    for (uint8_t& b : out) {
      if (script.empty()) {
        rest.fill({&b, 1});
      } else {
        b = script.front();
        script.pop_front();
      }
    }
  }
  void push(const std::vector<uint8_t>& v) { script.insert(script.end(), v.begin(), v.end()); }
};

config::PpUser user(std::string name, std::string password, std::optional<uint32_t> addr = {}) {
  config::PpUser u;
  u.name = std::move(name);
  u.password = config::Secret(std::move(password));
  if (addr) u.address = config::Ipv4{*addr};
  return u;
}

struct Listener : AuthListener {
  bool admit = true;
  std::vector<AuthOutcome> outcomes;
  bool auth_admit(const config::PpUser&) override { return admit; }
  void auth_done(const AuthOutcome& o) override { outcomes.push_back(o); }
};

struct Sent {
  uint16_t protocol;
  std::vector<uint8_t> bytes;
  uint8_t code() const { return bytes[0]; }
  uint8_t id() const { return bytes[1]; }
  std::string message() const { return {bytes.begin() + 4, bytes.end()}; }
};

struct AuthHarness {
  AuthHarness()
      : users({user("User", "clientPass"), user("MyUser", "MyPw"), user("l2tp_user1", "l2tp_password1"),
               user("pässwörd-user", "pässwörd")}),
        auth(users, AuthConfig{}, timers, random, counters,
             [this](uint16_t p, std::span<const uint8_t> b) { sent.push_back({p, {b.begin(), b.end()}}); },
             listener, "PP[ANONYMOUS] TUNNEL[1] session 1") {
    log_capture(&log);
  }
  ~AuthHarness() { log_capture(nullptr); }

  // The Challenge we sent: its Identifier and Value.
  std::pair<uint8_t, std::vector<uint8_t>> challenge() {
    for (const Sent& s : sent) {
      if (s.protocol == kProtoChap && s.code() == 1) {
        const auto p = decode_cp_packet(s.bytes);
        const auto vn = decode_chap_value_name(*p);
        return {s.id(), {vn->value.begin(), vn->value.end()}};
      }
    }
    ADD_FAILURE() << "no challenge";
    return {};
  }
  void chap_response(uint8_t id, std::span<const uint8_t> value, std::string_view name) {
    const auto p = build_chap_value_name(ChapCode::Response, id, value, name);
    auth.input(kProtoChap, p);
  }
  bool logged(std::string_view needle) const {
    for (const auto& l : log)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }
  bool any_log_contains(std::string_view needle) const { return logged(needle); }

  UserTable users;
  ManualTimers timers;
  ScriptedRandom random;
  PppCounters counters;
  Listener listener;
  std::vector<Sent> sent;
  std::vector<std::string> log;
  Authenticator auth;
};

TEST(Pap, GoodPasswordIsAckedBadIsNaked) {
  AuthHarness h;
  h.auth.start(AuthProtocol::Pap);
  EXPECT_TRUE(h.sent.empty());  // PAP: the peer speaks first
  h.auth.input(kProtoPap, build_pap_auth_request(1, "l2tp_user1", "l2tp_password1"));
  ASSERT_EQ(h.sent.size(), 1u);
  EXPECT_EQ(h.sent[0].protocol, kProtoPap);
  EXPECT_EQ(h.sent[0].code(), 2);
  EXPECT_EQ(h.sent[0].id(), 1);
  ASSERT_EQ(h.listener.outcomes.size(), 1u);
  EXPECT_TRUE(h.listener.outcomes[0].ok);
  EXPECT_EQ(h.listener.outcomes[0].username, "l2tp_user1");
  EXPECT_EQ(h.counters.auth_success, 1u);
  // Repeated (our Ack was lost): acknowledged again, with the new Identifier.
  h.auth.input(kProtoPap, build_pap_auth_request(2, "l2tp_user1", "l2tp_password1"));
  ASSERT_EQ(h.sent.size(), 2u);
  EXPECT_EQ(h.sent[1].code(), 2);
  EXPECT_EQ(h.sent[1].id(), 2);
  EXPECT_EQ(h.listener.outcomes.size(), 1u);

  AuthHarness bad;
  bad.auth.start(AuthProtocol::Pap);
  bad.auth.input(kProtoPap, build_pap_auth_request(7, "l2tp_user1", "wrong-secret"));
  ASSERT_EQ(bad.sent.size(), 1u);
  EXPECT_EQ(bad.sent[0].code(), 3);
  ASSERT_EQ(bad.listener.outcomes.size(), 1u);
  EXPECT_FALSE(bad.listener.outcomes[0].ok);
  EXPECT_EQ(bad.listener.outcomes[0].failure, AuthFailure::BadSecret);
  EXPECT_EQ(bad.counters.auth_failure, 1u);
  EXPECT_EQ(bad.counters.auth_bad_secret, 1u);
  // The log names the user and never the password, the tried one or the real one.
  EXPECT_TRUE(bad.logged("PAP login failed: user 'l2tp_user1': wrong password"));
  EXPECT_FALSE(bad.any_log_contains("wrong-secret"));
  EXPECT_FALSE(bad.any_log_contains("l2tp_password1"));
}

TEST(Pap, UnknownUserAndTimeout) {
  AuthHarness h;
  h.auth.start(AuthProtocol::Pap);
  h.auth.input(kProtoPap, build_pap_auth_request(1, "nobody\n[forged]", "x"));
  EXPECT_EQ(h.listener.outcomes.at(0).failure, AuthFailure::UnknownUser);
  EXPECT_EQ(h.counters.auth_unknown_user, 1u);
  EXPECT_TRUE(h.logged("user 'nobody\\x0a[forged]'"));  // no line breaks into the log

  AuthHarness t;
  t.auth.start(AuthProtocol::Pap);
  t.timers.advance(29s);
  EXPECT_TRUE(t.listener.outcomes.empty());
  t.timers.advance(1s);
  ASSERT_EQ(t.listener.outcomes.size(), 1u);
  EXPECT_EQ(t.listener.outcomes[0].failure, AuthFailure::Timeout);
  EXPECT_EQ(t.counters.auth_timeout, 1u);
}

TEST(ChapMd5, RightAndWrongResponses) {
  AuthHarness h;
  h.auth.start(AuthProtocol::ChapMd5);
  const auto [id, challenge] = h.challenge();
  EXPECT_EQ(challenge.size(), 16u);
  const auto r = chap_md5_response(id, "l2tp_password1", challenge);
  // A Response to another Challenge is ignored (RFC 1994 §4.1).
  h.chap_response(static_cast<uint8_t>(id + 1), r, "l2tp_user1");
  EXPECT_EQ(h.counters.auth_stale, 1u);
  EXPECT_TRUE(h.listener.outcomes.empty());
  h.chap_response(id, r, "l2tp_user1");
  ASSERT_EQ(h.listener.outcomes.size(), 1u);
  EXPECT_TRUE(h.listener.outcomes[0].ok);
  EXPECT_EQ(h.sent.back().code(), 3);  // Success
  EXPECT_EQ(h.sent.back().id(), id);
  // The peer repeats its Response (our Success was lost): Success again (§4.2).
  h.chap_response(id, r, "l2tp_user1");
  EXPECT_EQ(h.sent.back().code(), 3);
  EXPECT_EQ(h.counters.auth_retransmit, 1u);
  EXPECT_EQ(h.listener.outcomes.size(), 1u);

  AuthHarness bad;
  bad.auth.start(AuthProtocol::ChapMd5);
  const auto [bid, bch] = bad.challenge();
  bad.chap_response(bid, chap_md5_response(bid, "guess", bch), "l2tp_user1");
  EXPECT_EQ(bad.sent.back().code(), 4);  // Failure
  EXPECT_EQ(bad.listener.outcomes.at(0).failure, AuthFailure::BadSecret);
  // A response of the wrong size is malformed.
  AuthHarness odd;
  odd.auth.start(AuthProtocol::ChapMd5);
  const std::vector<uint8_t> short_value(15, 0);
  odd.chap_response(odd.challenge().first, short_value, "l2tp_user1");
  EXPECT_EQ(odd.listener.outcomes.at(0).failure, AuthFailure::MalformedResponse);
}

TEST(Chap, ChallengeRetransmittedThenTimeout) {
  AuthHarness h;
  h.auth.start(AuthProtocol::ChapMd5);
  for (int i = 0; i < 9; ++i) h.timers.advance(3s);
  EXPECT_EQ(h.sent.size(), 10u);
  EXPECT_EQ(h.sent[9].bytes, h.sent[0].bytes);  // the same Challenge, same Identifier
  EXPECT_TRUE(h.listener.outcomes.empty());
  h.timers.advance(3s);
  ASSERT_EQ(h.listener.outcomes.size(), 1u);
  EXPECT_EQ(h.listener.outcomes[0].failure, AuthFailure::Timeout);
}

TEST(MsChapV2, Rfc2759ExampleAsAnExchange) {
  // The RFC's AuthenticatorChallenge as our Challenge, the RFC's Response from user "User":
  // Success carries exactly the RFC's authenticator response.
  const auto v = test::load_vectors("rfc2759/ms_chap_v2.txt").at(0);
  AuthHarness h;
  h.random.push({0x2a});                                  // Identifier
  h.random.push(from_hex(v.at("authenticator_challenge")));  // Challenge Value
  h.auth.start(AuthProtocol::MsChapV2);
  const auto [id, challenge] = h.challenge();
  EXPECT_EQ(id, 0x2a);
  EXPECT_EQ(challenge, from_hex(v.at("authenticator_challenge")));
  std::vector<uint8_t> value = from_hex(v.at("peer_challenge"));
  value.resize(24, 0);  // Reserved
  const auto nt = from_hex(v.at("nt_response"));
  value.insert(value.end(), nt.begin(), nt.end());
  value.push_back(0);  // Flags
  h.chap_response(id, value, "User");
  ASSERT_EQ(h.listener.outcomes.size(), 1u);
  EXPECT_TRUE(h.listener.outcomes[0].ok);
  EXPECT_EQ(h.sent.back().code(), 3);
  EXPECT_EQ(h.sent.back().message(), v.at("authenticator_response") + " M=Authentication succeeded");
  EXPECT_TRUE(h.logged("MSCHAP-V2 login succeeded: user 'User'"));
}

TEST(MsChapV2, DomainPrefixedNameAndWrongPassword) {
  AuthHarness h;
  h.auth.start(AuthProtocol::MsChapV2);
  const auto [id, ch] = h.challenge();
  const std::vector<uint8_t> peer(16, 0x77);
  const std::span<const uint8_t, 16> ac(ch.data(), 16), pc(peer.data(), 16);
  // Windows with a domain: "CORP\User"; only "User" is hashed (RFC 2759 §4).
  const auto nt = generate_nt_response(ac, pc, "User", "clientPass");
  std::vector<uint8_t> value(peer);
  value.resize(24, 0);
  value.insert(value.end(), nt.begin(), nt.end());
  value.push_back(0);
  h.chap_response(id, value, "CORP\\User");
  ASSERT_TRUE(h.listener.outcomes.at(0).ok);
  const std::string expected_s = generate_authenticator_response("clientPass", nt, pc, ac, "User");
  EXPECT_EQ(h.sent.back().message().substr(0, 42), expected_s);

  AuthHarness bad;
  bad.auth.start(AuthProtocol::MsChapV2);
  const auto [bid, bch] = bad.challenge();
  const std::span<const uint8_t, 16> bac(bch.data(), 16);
  const auto bnt = generate_nt_response(bac, pc, "User", "not-the-password");
  std::vector<uint8_t> bvalue(peer);
  bvalue.resize(24, 0);
  bvalue.insert(bvalue.end(), bnt.begin(), bnt.end());
  bvalue.push_back(0);
  bad.chap_response(bid, bvalue, "User");
  ASSERT_EQ(bad.sent.back().code(), 4);
  // RFC 2759 §6: "E=691 R=0 C=<32 hex> V=3 M=<msg>".
  const std::string m = bad.sent.back().message();
  EXPECT_EQ(m.substr(0, 12), "E=691 R=0 C=");
  EXPECT_EQ(m.substr(44, 5), " V=3 ");
  EXPECT_EQ(m.substr(49), "M=Authentication failed");
  for (size_t i = 12; i < 44; ++i) EXPECT_TRUE(std::isxdigit(static_cast<unsigned char>(m[i])));
  EXPECT_EQ(bad.listener.outcomes.at(0).failure, AuthFailure::BadSecret);
  EXPECT_FALSE(bad.any_log_contains("not-the-password"));
  EXPECT_FALSE(bad.any_log_contains("clientPass"));
}

TEST(MsChapV1, Rfc2433SampleAsAnExchange) {
  const auto v = test::load_vectors("rfc2433/ms_chap.txt").at(0);
  AuthHarness h;
  h.random.push({0x05});
  h.random.push(from_hex(v.at("challenge")));
  h.auth.start(AuthProtocol::MsChapV1);
  const auto [id, challenge] = h.challenge();
  EXPECT_EQ(challenge, from_hex(v.at("challenge")));
  std::vector<uint8_t> value(24, 0);  // LM response: ignored
  const auto nt = from_hex(v.at("nt_response"));
  value.insert(value.end(), nt.begin(), nt.end());
  value.push_back(1);  // use the NT response
  h.chap_response(id, value, "MyUser");
  ASSERT_TRUE(h.listener.outcomes.at(0).ok);
  EXPECT_EQ(h.sent.back().code(), 3);

  // LM only (flag 0): not accepted.
  AuthHarness lm;
  lm.random.push({0x05});
  lm.random.push(from_hex(v.at("challenge")));
  lm.auth.start(AuthProtocol::MsChapV1);
  value.back() = 0;
  lm.chap_response(0x05, value, "MyUser");
  EXPECT_EQ(lm.listener.outcomes.at(0).failure, AuthFailure::MalformedResponse);
  EXPECT_EQ(lm.sent.back().message(), "E=691 R=0");

  // A wrong password.
  AuthHarness bad;
  bad.auth.start(AuthProtocol::MsChapV1);
  const auto [bid, bch] = bad.challenge();
  std::vector<uint8_t> bvalue(24, 0);
  const auto bnt = nt_challenge_response(std::span<const uint8_t, 8>(bch.data(), 8), "MyPW");
  bvalue.insert(bvalue.end(), bnt.begin(), bnt.end());
  bvalue.push_back(1);
  bad.chap_response(bid, bvalue, "MyUser");
  EXPECT_EQ(bad.listener.outcomes.at(0).failure, AuthFailure::BadSecret);
}

TEST(Authenticator, MultiConnectRefusalIsAFailure) {
  AuthHarness h;
  h.listener.admit = false;
  h.auth.start(AuthProtocol::Pap);
  h.auth.input(kProtoPap, build_pap_auth_request(1, "l2tp_user1", "l2tp_password1"));
  EXPECT_EQ(h.sent.back().code(), 3);
  EXPECT_EQ(h.listener.outcomes.at(0).failure, AuthFailure::MultiConnect);
  EXPECT_EQ(h.counters.auth_multi_connect, 1u);
}

TEST(Authenticator, WrongProtocolAndMalformedPacketsAreIgnored) {
  AuthHarness h;
  h.auth.start(AuthProtocol::ChapMd5);
  h.auth.input(kProtoPap, build_pap_auth_request(1, "l2tp_user1", "l2tp_password1"));
  EXPECT_EQ(h.counters.rx_wrong_phase, 1u);
  const std::vector<uint8_t> truncated = {2, 1, 0, 9, 5};
  h.auth.input(kProtoChap, truncated);
  const std::vector<uint8_t> zero_size = {2, h.challenge().first, 0, 5, 0};
  h.auth.input(kProtoChap, zero_size);
  EXPECT_EQ(h.counters.rx_malformed, 2u);
  EXPECT_TRUE(h.listener.outcomes.empty());
  h.auth.stop();
  h.timers.advance(60s);
  EXPECT_TRUE(h.listener.outcomes.empty());
}

TEST(PrintableName, EscapesAndCuts) {
  EXPECT_EQ(printable_name(std::string_view("alice")), "alice");
  EXPECT_EQ(printable_name(std::string_view("a'b\\c")), "a\\x27b\\x5cc");
  EXPECT_EQ(printable_name(std::string(100, 'x')), std::string(64, 'x') + "...");
}

}  // namespace
}  // namespace l2tpgw::cp::ppp
