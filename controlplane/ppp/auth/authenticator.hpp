// SPDX-License-Identifier: Apache-2.0
// Authenticator: the authenticator side of PAP (RFC 1334 §2), CHAP-MD5 (RFC 1994),
// MS-CHAP (RFC 2433) and MS-CHAP-V2 (RFC 2759), against the `pp auth username` table.
//
// CHAP: we send a Challenge (retransmitted on the restart timer, Max-Configure times), check
// the Response and answer Success or Failure; a Response repeated after the verdict gets the
// same verdict again (a peer repeats its Response when our Success is lost).
// PAP: we wait for the peer's Authenticate-Request (up to `pap_timeout`) and answer Ack or
// Nak; a repeated request after the verdict gets it again.
// One attempt: a wrong user or password gets Failure/Nak and the outcome; the session then
// terminates the link (RFC 1994 §2: on a mismatch the connection should be terminated;
// MS-CHAP's "R=0": no retry).
// Log lines name the user (printable characters only), never a password or a response.
//
// Thread context: the controlplane loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/config/model.hpp"
#include "controlplane/ppp/counters.hpp"
#include "controlplane/ppp/timers.hpp"
#include "controlplane/ppp/wire/auth_packets.hpp"
#include "controlplane/ppp/wire/lcp_options.hpp"

namespace l2tpgw::cp::ppp {

// The `pp auth username NAME PASSWORD [ADDRESS]` lines of one pp, by name.
class UserTable {
 public:
  UserTable() = default;
  explicit UserTable(std::vector<config::PpUser> users) : users_(std::move(users)) {}
  // Exact, case-sensitive match (as the RTX compares user names).
  const config::PpUser* find(std::string_view name) const;
  size_t size() const { return users_.size(); }

 private:
  std::vector<config::PpUser> users_;
};

enum class AuthFailure : uint8_t {
  UnknownUser,        // no such `pp auth username`
  BadSecret,          // wrong password (or response computed from one)
  MalformedResponse,  // a Response Value of the wrong size, or MS-CHAP without the NT response
  MultiConnect,       // the user is already connected (`pp auth multi connect prohibit`)
  Timeout,            // no Response / Authenticate-Request
};
std::string_view to_string(AuthFailure f);

struct AuthOutcome {
  bool ok = false;
  AuthProtocol protocol = AuthProtocol::Pap;
  std::string username;                // as the peer sent it (empty when it sent none)
  const config::PpUser* user = nullptr;  // the matched entry (ok only)
  AuthFailure failure = AuthFailure::BadSecret;
};

class AuthListener {
 public:
  virtual ~AuthListener() = default;
  // Credentials are right; may the user in (`pp auth multi connect prohibit`)? False sends
  // Failure/Nak and an outcome with AuthFailure::MultiConnect.
  virtual bool auth_admit(const config::PpUser& user) = 0;
  virtual void auth_done(const AuthOutcome& outcome) = 0;
};

struct AuthConfig {
  std::string name = "l2tpgw";                  // CHAP Name field (RFC 1994 §4.1)
  std::chrono::milliseconds restart_timer{3000};  // Challenge retransmission interval
  uint8_t max_challenges = 10;                  // Challenges sent before giving up
  std::chrono::milliseconds pap_timeout{30000};   // wait for an Authenticate-Request
};

// Keeps a user name fit for a log line: printable ASCII as is, other octets as \xNN, at
// most 64 characters.
std::string printable_name(std::span<const uint8_t> name);
std::string printable_name(std::string_view name);

class Authenticator {
 public:
  using SendFn = std::function<void(uint16_t protocol, std::span<const uint8_t> packet)>;

  Authenticator(const UserTable& users, const AuthConfig& config, TimerService& timers, Random& random,
                PppCounters& counters, SendFn send, AuthListener& listener, std::string log_name);

  // Starts authenticating with `protocol` (the one LCP negotiated).
  void start(AuthProtocol protocol);
  // A PAP (0xc023) or CHAP (0xc223) packet, Code onwards.
  void input(uint16_t protocol, std::span<const uint8_t> packet);
  // Stops timers; later input is ignored.
  void stop();

  enum class State : uint8_t { Idle, Waiting, Succeeded, Failed };
  State state() const { return state_; }
  std::optional<AuthProtocol> protocol() const { return protocol_; }

 private:
  void send_challenge();
  void challenge_timeout();
  void pap_request(const CpPacket& p);
  void chap_response(const CpPacket& p);
  // Verdict for a Response: a Success/Failure packet and the outcome.
  void succeed(const config::PpUser& user, std::string_view name, std::string_view success_message);
  void fail(AuthFailure why, std::string_view name);
  std::string failure_message();
  void reply(std::vector<uint8_t> packet);

  const UserTable& users_;
  AuthConfig config_;
  Random& random_;
  PppCounters& counters_;
  SendFn send_;
  AuthListener& listener_;
  std::string log_name_;
  PppTimer timer_;

  State state_ = State::Idle;
  std::optional<AuthProtocol> protocol_;
  uint8_t id_ = 0;                    // the Challenge's Identifier (CHAP)
  std::vector<uint8_t> challenge_;    // the Challenge Value (CHAP)
  int challenges_left_ = 0;
  std::vector<uint8_t> verdict_;      // the Success/Failure or Ack/Nak sent, for repeats
  uint8_t verdict_id_ = 0;
};

}  // namespace l2tpgw::cp::ppp
