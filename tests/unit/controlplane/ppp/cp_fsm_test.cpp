// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ppp/cp_fsm: the RFC 1661 §4.1 state transition table, cell by cell,
// first as data (against the table as the RFC prints it, tests/vectors/ppp/) and then as
// behaviour (every state reached by real events, every event fired, the state, packets and
// layer actions checked), plus the §4.6 timer and counters.
#include "controlplane/ppp/cp_fsm.hpp"

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "vector_file.hpp"

namespace l2tpgw::cp::ppp {
namespace {

using namespace std::chrono_literals;

// ---- The table as data ----

struct RfcCell {
  bool defined = false;
  CpState next = CpState::Initial;
  std::vector<std::string> actions;  // in the order the RFC lists them
};

const std::map<std::string, CpEvent>& event_names() {
  static const std::map<std::string, CpEvent> m = {
      {"Up", CpEvent::Up},       {"Down", CpEvent::Down},          {"Open", CpEvent::Open},
      {"Close", CpEvent::Close}, {"TO+", CpEvent::TimeoutPlus},    {"TO-", CpEvent::TimeoutMinus},
      {"RCR+", CpEvent::RcrPlus}, {"RCR-", CpEvent::RcrMinus},     {"RCA", CpEvent::Rca},
      {"RCN", CpEvent::Rcn},     {"RTR", CpEvent::Rtr},            {"RTA", CpEvent::Rta},
      {"RUC", CpEvent::Ruc},     {"RXJ+", CpEvent::RxjPlus},       {"RXJ-", CpEvent::RxjMinus},
      {"RXR", CpEvent::Rxr}};
  return m;
}

const std::map<std::string, uint16_t>& action_bits() {
  static const std::map<std::string, uint16_t> m = {
      {"tlu", kActTlu}, {"tld", kActTld}, {"tls", kActTls}, {"tlf", kActTlf}, {"irc", kActIrc},
      {"zrc", kActZrc}, {"scr", kActScr}, {"sca", kActSca}, {"scn", kActScn}, {"str", kActStr},
      {"sta", kActSta}, {"scj", kActScj}, {"ser", kActSer}};
  return m;
}

// Reads the two halves of the RFC table: [event][state].
std::map<CpEvent, std::map<int, RfcCell>> load_rfc_table() {
  std::ifstream in(test::vector_path("ppp/rfc1661_state_table.txt"));
  EXPECT_TRUE(in.good());
  std::map<CpEvent, std::map<int, RfcCell>> table;
  int first_state = -1;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto bar = line.find('|');
    if (bar == std::string::npos) continue;
    std::string label = line.substr(0, bar);
    label.erase(0, label.find_first_not_of(' '));
    label.erase(label.find_last_not_of(' ') + 1);
    std::istringstream cells(line.substr(bar + 1));
    if (label.empty()) {
      std::string tok;
      if (cells >> tok && tok == "0") first_state = 0;
      if (tok == "6") first_state = 6;
      continue;
    }
    const auto ev = event_names().find(label);
    if (ev == event_names().end()) continue;
    int state = first_state;
    std::string tok;
    while (cells >> tok) {
      RfcCell c;
      if (tok != "-") {
        c.defined = true;
        const auto slash = tok.find('/');
        std::string next = slash == std::string::npos ? tok : tok.substr(slash + 1);
        while (!next.empty() && !std::isdigit(static_cast<unsigned char>(next.back()))) next.pop_back();  // r, p, x
        c.next = static_cast<CpState>(std::stoi(next));
        if (slash != std::string::npos) {
          std::istringstream acts(tok.substr(0, slash));
          std::string a;
          while (std::getline(acts, a, ',')) c.actions.push_back(a);
        }
      }
      table[ev->second][state++] = c;
    }
  }
  return table;
}

TEST(CpTransitionTable, MatchesRfc1661CellByCell) {
  const auto rfc = load_rfc_table();
  ASSERT_EQ(rfc.size(), kCpEventCount);
  size_t cells = 0;
  for (const auto& [event, row] : rfc) {
    ASSERT_EQ(row.size(), kCpStateCount) << to_string(event);
    for (const auto& [state, cell] : row) {
      SCOPED_TRACE(std::string(to_string(event)) + " in " + std::string(to_string(static_cast<CpState>(state))));
      const CpTransition t = cp_transition(static_cast<CpState>(state), event);
      ASSERT_EQ(t.defined, cell.defined);
      ++cells;
      if (!cell.defined) continue;
      EXPECT_EQ(t.next, cell.next);
      uint16_t bits = 0;
      uint16_t last = 0;
      for (const std::string& a : cell.actions) {
        ASSERT_TRUE(action_bits().contains(a)) << a;
        const uint16_t b = action_bits().at(a);
        // The automaton runs a cell's actions in bit order: the RFC's order must agree.
        EXPECT_GT(b, last) << "action order " << a;
        last = b;
        bits |= b;
      }
      EXPECT_EQ(t.actions, bits);
    }
  }
  EXPECT_EQ(cells, kCpEventCount * kCpStateCount);
}

// ---- The table as behaviour ----

struct Recorder : CpProtocol {
  std::vector<std::string> log;
  CpCode verdict = CpCode::ConfAck;
  int resets = 0;
  bool last_reject_if_disagree = false;
  std::function<void()> on_up;

  void this_layer_up() override {
    log.push_back("tlu");
    if (on_up) on_up();
  }
  void this_layer_down(CpEvent) override { log.push_back("tld"); }
  void this_layer_started() override { log.push_back("tls"); }
  void this_layer_finished(CpEvent) override { log.push_back("tlf"); }
  void reset_options() override { ++resets; }
  void add_request_options(CpPacketBuilder& b) override { b.option_u16(1, 1500); }
  ConfReply check_request(std::span<const CpOption> options, bool reject_if_disagree) override {
    last_reject_if_disagree = reject_if_disagree;
    ConfReply r{verdict, {}};
    if (verdict != CpCode::ConfAck)
      for (const auto& o : options) r.options.insert(r.options.end(), o.raw.begin(), o.raw.end());
    return r;
  }
  bool nak_received(std::span<const CpOption>) override { return true; }
  bool reject_received(std::span<const CpOption>) override { return true; }
  ExtendedCode extended_code(const CpPacket& p) override {
    return p.code == static_cast<uint8_t>(CpCode::EchoReq) ? ExtendedCode::Rxr : ExtendedCode::Unknown;
  }
  void send_echo_reply(const CpPacket&) override { log.push_back("ser"); }
};

struct Harness {
  explicit Harness(CpFsmConfig cfg = {})
      : fsm("TEST", proto, cfg, timers, counters, counters.lcp, [this](std::span<const uint8_t> p) {
          sent.emplace_back(p.begin(), p.end());
          if (p[0] == 1) request.assign(p.begin(), p.end());
          static const char* names[] = {"?", "scr", "sca", "scn", "scn", "str", "sta", "scj"};
          proto.log.push_back(p[0] < 8 ? names[p[0]] : "?");
        }) {}

  void rx(std::vector<uint8_t> p) { fsm.receive(p); }
  uint8_t last_request_id() const { return request.empty() ? 0 : request[1]; }
  std::vector<uint8_t> last_request() const { return request; }
  // Packets the peer sends.
  void conf_req(CpCode verdict = CpCode::ConfAck) {
    proto.verdict = verdict;
    rx({1, 0x77, 0, 8, 1, 4, 0x05, 0xdc});
  }
  // A reply to our last Configure-Request (or to none: Closed has sent nothing).
  void reply(uint8_t code) {
    auto p = last_request();
    if (p.empty()) p = {1, 1, 0, 4};
    p[0] = code;
    rx(p);
  }
  void conf_ack() { reply(2); }
  void conf_nak() { reply(3); }
  void term_req() { rx({5, 0x55, 0, 4}); }
  void term_ack() { rx({6, 0x56, 0, 4}); }
  void unknown_code() { rx({0x20, 1, 0, 4}); }
  void code_rej(uint8_t code) { rx({7, 9, 0, 8, code, 1, 0, 4}); }
  void echo_req() { rx({9, 3, 0, 8, 0, 0, 0, 0}); }

  ManualTimers timers;
  PppCounters counters;
  Recorder proto;
  CpFsm fsm;
  std::vector<std::vector<uint8_t>> sent;
  std::vector<uint8_t> request;  // our last Configure-Request
};

// Reaches `s` with real events only.
void reach(Harness& h, CpState s) {
  switch (s) {
    case CpState::Initial: break;
    case CpState::Starting: h.fsm.open(); break;
    case CpState::Closed: h.fsm.up(); break;
    case CpState::ReqSent: h.fsm.up(); h.fsm.open(); break;
    case CpState::Stopped: reach(h, CpState::ReqSent); h.code_rej(1); break;  // RXJ-: tlf/3
    case CpState::Closing: reach(h, CpState::ReqSent); h.fsm.close("bye"); break;
    case CpState::AckRcvd: reach(h, CpState::ReqSent); h.conf_ack(); break;
    case CpState::AckSent: reach(h, CpState::ReqSent); h.conf_req(); break;
    case CpState::Opened: reach(h, CpState::AckRcvd); h.conf_req(); break;
    case CpState::Stopping: reach(h, CpState::Opened); h.code_rej(1); break;  // RXJ-: tld,irc,str/5
  }
  ASSERT_EQ(h.fsm.state(), s);
}

// Fires `e`. TO+ and TO- come from the restart timer.
void fire(Harness& h, CpEvent e) {
  switch (e) {
    case CpEvent::Up: h.fsm.up(); break;
    case CpEvent::Down: h.fsm.down(); break;
    case CpEvent::Open: h.fsm.open(); break;
    case CpEvent::Close: h.fsm.close(); break;
    case CpEvent::TimeoutPlus:
    case CpEvent::TimeoutMinus: h.timers.advance(3s); break;
    case CpEvent::RcrPlus: h.conf_req(CpCode::ConfAck); break;
    case CpEvent::RcrMinus: h.conf_req(CpCode::ConfNak); break;
    case CpEvent::Rca: h.conf_ack(); break;
    case CpEvent::Rcn: h.conf_nak(); break;
    case CpEvent::Rtr: h.term_req(); break;
    case CpEvent::Rta: h.term_ack(); break;
    case CpEvent::Ruc: h.unknown_code(); break;
    case CpEvent::RxjPlus: h.code_rej(9); break;   // Echo-Request rejected: permitted
    case CpEvent::RxjMinus: h.code_rej(1); break;  // Configure-Request rejected: catastrophic
    case CpEvent::Rxr: h.echo_req(); break;
  }
}

// Cells the automaton cannot be driven into by the peer because a reply is validated first
// (RFC 1661 §5.2-§5.4: an Ack/Nak/Reject whose Identifier is not that of the outstanding
// request is silently discarded, and after a valid reply none is outstanding; pppd's
// seen_ack does the same). The state stays, nothing is sent, a counter moves.
bool reply_discarded(CpState s, CpEvent e) {
  return (e == CpEvent::Rca || e == CpEvent::Rcn) && (s == CpState::AckRcvd || s == CpState::Opened);
}

TEST(CpFsmBehaviour, EveryCellOfTheTable) {
  size_t checked = 0;
  for (size_t si = 0; si < kCpStateCount; ++si) {
    for (size_t ei = 0; ei < kCpEventCount; ++ei) {
      const auto s = static_cast<CpState>(si);
      const auto e = static_cast<CpEvent>(ei);
      const CpTransition t = cp_transition(s, e);
      if (!t.defined) continue;
      SCOPED_TRACE(std::string(to_string(e)) + " in " + std::string(to_string(s)));
      // TO- needs a spent counter: Max-Configure and Max-Terminate 0 spend it at once.
      CpFsmConfig cfg;
      if (e == CpEvent::TimeoutMinus) cfg.max_configure = cfg.max_terminate = 0;
      Harness h(cfg);
      reach(h, s);
      if (::testing::Test::HasFatalFailure()) return;
      h.proto.log.clear();
      h.sent.clear();
      const uint64_t stale_before = h.counters.lcp.rx_stale_reply;
      fire(h, e);
      ++checked;
      if (reply_discarded(s, e)) {
        EXPECT_EQ(h.fsm.state(), s);
        EXPECT_TRUE(h.proto.log.empty());
        EXPECT_EQ(h.counters.lcp.rx_stale_reply, stale_before + 1);
        continue;
      }
      EXPECT_EQ(h.fsm.state(), t.next);
      std::vector<std::string> expected;
      // The observable actions, in the automaton's order.
      const std::pair<uint16_t, const char*> order[] = {
          {kActTld, "tld"}, {kActTls, "tls"}, {kActScr, "scr"}, {kActSca, "sca"}, {kActScn, "scn"},
          {kActStr, "str"}, {kActSta, "sta"}, {kActScj, "scj"}, {kActSer, "ser"}, {kActTlu, "tlu"},
          {kActTlf, "tlf"}};
      // The peer's first Configure-Request in Req-Sent brings our request again before the
      // cell's own actions (CpFsm::resend_request_to_late_peer); reach() sent it nothing yet.
      if (s == CpState::ReqSent && (e == CpEvent::RcrPlus || e == CpEvent::RcrMinus))
        expected.push_back("scr");
      for (const auto& [bit, name] : order)
        if (t.actions & bit) expected.push_back(name);
      EXPECT_EQ(h.proto.log, expected);
      // irc and zrc show in the restart counter: what irc set, less what scr/str spent.
      if (t.actions & kActZrc) {
        EXPECT_EQ(h.fsm.restart_count(), 0);
      }
      if (t.actions & kActIrc) {
        const int init = (t.actions & kActStr) ? cfg.max_terminate : cfg.max_configure;
        const int spent = (t.actions & (kActScr | kActStr)) ? 1 : 0;
        EXPECT_EQ(h.fsm.restart_count(), init - spent);
      }
    }
  }
  EXPECT_EQ(checked, 120u);  // the cells the RFC defines (160 less its 40 "-")
}

TEST(CpFsmBehaviour, PacketsBeforeUpAreDropped) {
  Harness h;
  h.fsm.open();  // Starting
  h.conf_req();
  h.term_req();
  EXPECT_EQ(h.fsm.state(), CpState::Starting);
  EXPECT_TRUE(h.sent.empty());
  EXPECT_EQ(h.counters.lcp.rx_not_ready, 2u);
}

TEST(CpFsmBehaviour, MalformedPacketsAreCountedNotProcessed) {
  Harness h;
  reach(h, CpState::ReqSent);
  h.sent.clear();
  h.rx({1, 1, 0, 3});                 // Length 3
  h.rx({1, 1, 0, 9, 1, 4, 5});        // Length past the data
  h.rx({1, 1, 0, 6, 1, 4});           // option Length past the packet
  h.rx({7, 1, 0, 4});                 // Code-Reject without the rejected packet
  EXPECT_EQ(h.fsm.state(), CpState::ReqSent);
  EXPECT_TRUE(h.sent.empty());
  EXPECT_EQ(h.counters.rx_malformed, 4u);
  EXPECT_EQ(h.counters.parse_errors[static_cast<size_t>(PppParseError::BadLength)], 1u);
  EXPECT_EQ(h.counters.parse_errors[static_cast<size_t>(PppParseError::Truncated)], 2u);
  EXPECT_EQ(h.counters.parse_errors[static_cast<size_t>(PppParseError::BadOptionLength)], 1u);
}

TEST(CpFsmBehaviour, AckMustMatchIdentifierAndOptions) {
  Harness h;
  reach(h, CpState::ReqSent);
  auto p = h.last_request();
  p[0] = 2;
  p[1] ^= 1;  // another Identifier
  h.rx(p);
  EXPECT_EQ(h.counters.lcp.rx_stale_reply, 1u);
  p = h.last_request();
  ASSERT_EQ(p.size(), 8u);
  p[0] = 2;
  p[7] ^= 1;  // other option bytes
  h.rx(p);
  EXPECT_EQ(h.counters.lcp.rx_bad_ack, 1u);
  EXPECT_EQ(h.fsm.state(), CpState::ReqSent);
  h.conf_ack();
  EXPECT_EQ(h.fsm.state(), CpState::AckRcvd);
  h.conf_ack();  // a duplicate
  EXPECT_EQ(h.fsm.state(), CpState::AckRcvd);
  EXPECT_EQ(h.counters.lcp.rx_stale_reply, 2u);
}

TEST(CpFsmBehaviour, PeersFirstRequestBringsOursAgainOnce) {
  // Our request went out before the peer listened (pppd attaching after ICCN): its first
  // Configure-Request makes us send ours again at once, same Identifier and bytes, before our
  // Ack, instead of a Restart timer of silence.
  Harness h;
  reach(h, CpState::ReqSent);
  const auto first = h.last_request();
  h.sent.clear();
  h.conf_req();
  ASSERT_EQ(h.sent.size(), 2u);
  EXPECT_EQ(h.sent[0], first);
  EXPECT_EQ(h.sent[1][0], 2);  // then the Ack of theirs
  EXPECT_EQ(h.counters.lcp.early_resends, 1u);
  EXPECT_EQ(h.fsm.state(), CpState::AckSent);
  // Not again: a second request from the peer (its retransmission) is only answered.
  h.sent.clear();
  h.conf_req();
  ASSERT_EQ(h.sent.size(), 1u);
  EXPECT_EQ(h.sent[0][0], 2);
  // A peer that saw both copies acks both: the second Ack is stale, the link stays Opened.
  h.conf_ack();
  EXPECT_EQ(h.fsm.state(), CpState::Opened);
  h.conf_ack();
  EXPECT_EQ(h.fsm.state(), CpState::Opened);
  EXPECT_EQ(h.counters.lcp.rx_stale_reply, 1u);
  EXPECT_EQ(h.counters.lcp.early_resends, 1u);
}

TEST(CpFsmBehaviour, NoEarlyResendOnceThePeerWasHeard) {
  // The peer answered ours first (it was listening): its request then needs no copy of ours.
  Harness h;
  reach(h, CpState::ReqSent);
  h.conf_ack();
  h.sent.clear();
  h.conf_req();
  ASSERT_EQ(h.sent.size(), 1u);
  EXPECT_EQ(h.sent[0][0], 2);
  EXPECT_EQ(h.fsm.state(), CpState::Opened);
  EXPECT_EQ(h.counters.lcp.early_resends, 0u);
}

TEST(CpFsmTimer, RetransmitsThenGivesUpAfterMaxConfigure) {
  // §4.6: Max-Configure (10) Configure-Requests, 3 s apart, then TO- -> tlf, Stopped.
  Harness h;
  reach(h, CpState::ReqSent);
  const uint8_t id = h.last_request_id();
  for (int i = 1; i < 10; ++i) {
    h.timers.advance(3s);
    ASSERT_EQ(h.fsm.state(), CpState::ReqSent);
    EXPECT_EQ(h.last_request_id(), id);  // a retransmission keeps its Identifier
  }
  EXPECT_EQ(h.sent.size(), 10u);
  EXPECT_EQ(h.counters.lcp.retransmits, 9u);
  h.timers.advance(2999ms);
  EXPECT_EQ(h.fsm.state(), CpState::ReqSent);
  h.timers.advance(1ms);
  EXPECT_EQ(h.fsm.state(), CpState::Stopped);
  EXPECT_EQ(h.proto.log.back(), "tlf");
  EXPECT_EQ(h.counters.lcp.gave_up, 1u);
  EXPECT_EQ(h.timers.armed(), 0u);
}

TEST(CpFsmTimer, TerminateRequestsThenClosedAfterMaxTerminate) {
  Harness h;
  reach(h, CpState::Opened);
  h.sent.clear();
  h.fsm.close("Administratively closed");
  ASSERT_EQ(h.fsm.state(), CpState::Closing);
  ASSERT_EQ(h.sent.size(), 1u);
  EXPECT_EQ(h.sent[0][0], 5);
  EXPECT_EQ(std::string(h.sent[0].begin() + 4, h.sent[0].end()), "Administratively closed");
  h.timers.advance(3s);
  EXPECT_EQ(h.sent.size(), 2u);  // Max-Terminate = 2
  h.timers.advance(3s);
  EXPECT_EQ(h.fsm.state(), CpState::Closed);
  EXPECT_EQ(h.proto.log.back(), "tlf");
}

TEST(CpFsmTimer, TerminateAckEndsClosingAtOnce) {
  Harness h;
  reach(h, CpState::Opened);
  h.fsm.close();
  h.term_ack();
  EXPECT_EQ(h.fsm.state(), CpState::Closed);
  EXPECT_EQ(h.timers.armed(), 0u);
}

TEST(CpFsmTimer, PeerTerminateWaitsOneRestartPeriod) {
  // §4.4 zrc: "allows at least one Restart period to elapse" before tlf.
  Harness h;
  reach(h, CpState::Opened);
  h.term_req();
  EXPECT_EQ(h.fsm.state(), CpState::Stopping);
  EXPECT_EQ(h.sent.back()[0], 6);
  EXPECT_EQ(h.sent.back()[1], 0x55);  // the Terminate-Ack echoes the request's Identifier
  h.timers.advance(3s);
  EXPECT_EQ(h.fsm.state(), CpState::Stopped);
  EXPECT_EQ(h.proto.log.back(), "tlf");
}

TEST(CpFsmMaxFailure, NaksTurnIntoRejects) {
  // §4.6 Max-Failure (5): after five Naks without an Ack, the protocol is told to reject.
  Harness h;
  reach(h, CpState::ReqSent);
  for (int i = 0; i < 5; ++i) {
    h.conf_req(CpCode::ConfNak);
    EXPECT_FALSE(h.proto.last_reject_if_disagree);
  }
  h.conf_req(CpCode::ConfRej);
  EXPECT_TRUE(h.proto.last_reject_if_disagree);
  EXPECT_EQ(h.counters.lcp.nak_to_rej, 1u);
  // An Ack resets the count.
  h.conf_req(CpCode::ConfAck);
  h.conf_req(CpCode::ConfNak);
  EXPECT_FALSE(h.proto.last_reject_if_disagree);
}

TEST(CpFsmBehaviour, NewNegotiationResetsOptionsRetransmissionDoesNot) {
  Harness h;
  reach(h, CpState::ReqSent);
  EXPECT_EQ(h.proto.resets, 1);
  h.timers.advance(3s);  // TO+
  h.conf_nak();          // RCN: irc,scr
  EXPECT_EQ(h.proto.resets, 1);
  h.conf_ack();
  h.conf_req();
  ASSERT_EQ(h.fsm.state(), CpState::Opened);
  h.conf_req();  // renegotiation from Opened: tld,scr,sca
  EXPECT_EQ(h.proto.resets, 2);
}

TEST(CpFsmBehaviour, IdentifierChangesAfterAValidReply) {
  Harness h;
  reach(h, CpState::ReqSent);
  const uint8_t first = h.last_request_id();
  h.conf_nak();
  EXPECT_NE(h.last_request_id(), first);
}

TEST(CpFsmBehaviour, EventsFromCallbacksRunAfterTheCurrentOne) {
  Harness h;
  h.proto.on_up = [&] { h.fsm.close("from tlu"); };
  reach(h, CpState::AckRcvd);
  h.conf_req();  // sca,tlu/9, then the deferred Close: tld,irc,str/4
  EXPECT_EQ(h.fsm.state(), CpState::Closing);
  const std::vector<std::string> tail(h.proto.log.end() - 4, h.proto.log.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"sca", "tlu", "tld", "str"}));
}

TEST(CpFsmBehaviour, CodeRejectIsTruncatedToTheMru) {
  struct Small : Recorder {
    size_t max_reject_size() const override { return 64; }
  };
  ManualTimers timers;
  PppCounters counters;
  Small proto;
  std::vector<std::vector<uint8_t>> sent;
  CpFsm fsm("T", proto, {}, timers, counters, counters.ipcp,
            [&](std::span<const uint8_t> p) { sent.emplace_back(p.begin(), p.end()); });
  fsm.up();
  fsm.open();
  std::vector<uint8_t> big(200, 0);
  big[0] = 0x30;
  big[2] = 0;
  big[3] = 200;
  fsm.receive(big);
  ASSERT_EQ(sent.back()[0], 7);
  EXPECT_EQ(sent.back().size(), 64u);
  EXPECT_EQ(sent.back()[4], 0x30);
  EXPECT_EQ(counters.ipcp.rx_unknown_code, 1u);
}

TEST(CpFsmNames, StatesAndEvents) {
  EXPECT_EQ(to_string(CpState::ReqSent), "Req-Sent");
  EXPECT_EQ(to_string(CpState::AckRcvd), "Ack-Rcvd");
  EXPECT_EQ(to_string(CpEvent::TimeoutMinus), "TO-");
  EXPECT_EQ(to_string(CpEvent::RxjPlus), "RXJ+");
}

}  // namespace
}  // namespace l2tpgw::cp::ppp
