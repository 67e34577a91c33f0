// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ppp/lcp: the LNS's LCP options (RFC 1661 §6), authentication
// protocol negotiation, Magic-Number loops, echo and Protocol-Reject.
#include "controlplane/ppp/lcp.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/wire/wire_test_util.hpp"

namespace l2tpgw::cp::ppp {
namespace {

using namespace std::chrono_literals;
using wire::test::hex;

struct Events : LcpListener {
  std::vector<std::string> log;
  std::vector<uint16_t> rejected;
  std::vector<LcpFailure> failures;
  void lcp_up() override { log.push_back("up"); }
  void lcp_down(CpEvent) override { log.push_back("down"); }
  void lcp_finished(CpEvent) override { log.push_back("finished"); }
  void lcp_protocol_rejected(uint16_t p) override { rejected.push_back(p); }
  void lcp_failure(LcpFailure f) override { failures.push_back(f); }
};

struct Sent {
  uint8_t code = 0, id = 0;
  std::vector<uint8_t> data;  // after the header
};

struct LcpHarness {
  explicit LcpHarness(LcpPolicy p) : policy(std::move(p)), lcp(policy, timers, random, counters, [this](std::span<const uint8_t> b) {
    sent.push_back(Sent{b[0], b[1], std::vector<uint8_t>(b.begin() + 4, b.end())});
  }, events) {}

  void start() {
    lcp.fsm().up();
    lcp.fsm().open();
  }
  void rx(uint8_t code, uint8_t id, const std::vector<uint8_t>& data) {
    std::vector<uint8_t> p = {code, id, static_cast<uint8_t>((data.size() + 4) >> 8), static_cast<uint8_t>(data.size() + 4)};
    p.insert(p.end(), data.begin(), data.end());
    lcp.fsm().receive(p);
  }
  const Sent& last() const { return sent.back(); }
  const Sent* last_request() const {
    for (auto it = sent.rbegin(); it != sent.rend(); ++it)
      if (it->code == 1) return &*it;
    return nullptr;
  }
  // The peer acknowledges our last request.
  void ack_ours() {
    const Sent* r = last_request();
    ASSERT_NE(r, nullptr);
    rx(2, r->id, r->data);
  }
  // Options of our last request, by type.
  std::vector<CpOption> our_options() {
    const auto o = decode_options(last_request()->data);
    EXPECT_TRUE(o.ok());
    return *o;
  }
  bool we_request(uint8_t type) {
    for (const auto& o : our_options())
      if (o.type == type) return true;
    return false;
  }
  std::vector<uint8_t> our_option(uint8_t type) {
    for (const auto& o : our_options())
      if (o.type == type) return {o.raw.begin(), o.raw.end()};
    return {};
  }
  void open_with(const std::vector<uint8_t>& peer_options) {
    start();
    rx(1, 1, peer_options);
    ack_ours();
    ASSERT_TRUE(lcp.fsm().opened());
  }

  LcpPolicy policy;
  ManualTimers timers;
  SequenceRandom random{42};
  PppCounters counters;
  Events events;
  std::vector<Sent> sent;
  Lcp lcp;
};

LcpPolicy chap_pap() {
  LcpPolicy p;
  p.auth = {AuthProtocol::ChapMd5, AuthProtocol::Pap};
  return p;
}

LcpPolicy mschap_v2() {
  LcpPolicy p;
  p.auth = {AuthProtocol::MsChapV2};
  return p;
}

TEST(Lcp, OurRequestCarriesMruAuthAndMagic) {
  LcpHarness h(mschap_v2());
  h.start();
  const auto opts = h.our_options();
  ASSERT_EQ(opts.size(), 3u);
  EXPECT_EQ(std::vector<uint8_t>(opts[0].raw.begin(), opts[0].raw.end()), hex("01 04 05dc"));
  EXPECT_EQ(std::vector<uint8_t>(opts[1].raw.begin(), opts[1].raw.end()), hex("03 05 c223 81"));
  EXPECT_EQ(opts[2].type, 5);
  EXPECT_NE(*decode_magic_number(opts[2]), 0u);
}

TEST(Lcp, MruOffAndNoAuthLeaveThemOut) {
  LcpPolicy p;
  p.mru.reset();
  LcpHarness h(p);
  h.start();
  const auto opts = h.our_options();
  ASSERT_EQ(opts.size(), 1u);
  EXPECT_EQ(opts[0].type, 5);
}

TEST(Lcp, WindowsRequestCallbackRejectedRestAccepted) {
  LcpHarness h(mschap_v2());
  h.start();
  // Windows: MRU 1400, Magic, PFC, ACFC, Callback (op 6), MRRU 1614, Endpoint Discriminator.
  const auto req = hex("01 04 0578 | 05 06 4d2a1c3b | 07 02 | 08 02 | 0d 03 06 | 11 04 064e | 13 09 01 0102030405 06");
  h.rx(1, 1, req);
  EXPECT_EQ(h.last().code, 4);  // Configure-Reject
  EXPECT_EQ(h.last().id, 1);
  EXPECT_EQ(h.last().data, hex("0d 03 06 | 11 04 064e | 13 09 01 0102030405 06"));
  h.rx(1, 2, hex("01 04 0578 | 05 06 4d2a1c3b | 07 02 | 08 02"));
  EXPECT_EQ(h.last().code, 2);
  EXPECT_EQ(h.last().data, hex("01 04 0578 | 05 06 4d2a1c3b | 07 02 | 08 02"));
  h.ack_ours();
  ASSERT_TRUE(h.lcp.fsm().opened());
  EXPECT_EQ(h.lcp.peer_mru(), 1400);
  EXPECT_TRUE(h.lcp.peer_pfc());
  EXPECT_TRUE(h.lcp.peer_acfc());
  EXPECT_EQ(h.lcp.peer_magic(), 0x4d2a1c3bu);
  EXPECT_EQ(h.lcp.auth_protocol(), AuthProtocol::MsChapV2);
  EXPECT_EQ(h.lcp.our_mru(), 1500);
  EXPECT_EQ(h.events.log, (std::vector<std::string>{"up"}));
  EXPECT_EQ(h.lcp.local_option_names(), (std::vector<std::string>{"MSCHAP-V2", "Magic-Number", "MRU"}));
  EXPECT_EQ(h.lcp.remote_option_names(), (std::vector<std::string>{"Magic-Number", "MRU", "PFC", "ACFC"}));
}

TEST(Lcp, OddOptionsFromThePeer) {
  struct Case {
    const char* name;
    std::vector<uint8_t> request;
    uint8_t code;
    std::vector<uint8_t> reply;  // for Nak/Reject
  };
  const Case cases[] = {
      {"accm any value", hex("02 06 000a0000"), 2, {}},
      {"mru below 128", hex("01 04 0040"), 3, hex("01 04 0080")},
      {"mru wrong size", hex("01 05 05dc00"), 4, hex("01 05 05dc00")},
      {"accm wrong size", hex("02 04 0000"), 4, hex("02 04 0000")},
      {"pfc with data", hex("07 03 00"), 4, hex("07 03 00")},
      {"magic wrong size", hex("05 04 1234"), 4, hex("05 04 1234")},
      {"auth asked of us", hex("03 04 c023"), 4, hex("03 04 c023")},
      {"quality protocol", hex("04 08 c025 000003e8"), 4, hex("04 08 c025 000003e8")},
      {"unknown type", hex("fe 02"), 4, hex("fe 02")},
      {"reject wins over nak", hex("01 04 0040 | fe 02"), 4, hex("fe 02")},
      {"empty request", {}, 2, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    LcpHarness h(mschap_v2());
    h.start();
    h.rx(1, 9, c.request);
    EXPECT_EQ(h.last().code, c.code);
    EXPECT_EQ(h.last().id, 9);
    EXPECT_EQ(h.last().data, c.code == 2 ? c.request : c.reply);
  }
}

TEST(Lcp, MagicZeroIsNakedWithANonZeroNumber) {
  LcpHarness h(mschap_v2());
  h.start();
  h.rx(1, 1, hex("05 06 00000000"));
  ASSERT_EQ(h.last().code, 3);
  const auto o = decode_options(h.last().data);
  ASSERT_TRUE(o.ok());
  EXPECT_NE(*decode_magic_number(o->front()), 0u);
}

TEST(Lcp, LoopedBackLinkIsDetected) {
  // A looped-back link hands us our own Configure-Request: same Magic-Number (§6.4). (With an
  // Authentication-Protocol in it, the loop would first see that Rejected: this policy has
  // none.)
  LcpHarness h(LcpPolicy{});
  h.start();
  for (int i = 0; i < 5; ++i) {
    const Sent* ours = h.last_request();
    h.rx(1, ours->id, ours->data);
    if (i < 4) {
      ASSERT_EQ(h.last().code, 3);  // Nak with another number
      EXPECT_TRUE(h.events.failures.empty());
      // ... which, looped back, is a Nak of our number: we pick a new one.
      const Sent nak = h.last();
      h.rx(3, h.last_request()->id, nak.data);
    }
  }
  ASSERT_EQ(h.events.failures.size(), 1u);
  EXPECT_EQ(h.events.failures[0], LcpFailure::Loopback);
  EXPECT_EQ(h.counters.lcp_loopback, 1u);
}

TEST(Lcp, PeerNaksChapAskingForMsChapV2NotAllowed_NextIsPap) {
  // `pp auth request chap-pap`: Windows Naks CHAP-MD5 asking for MS-CHAP-V2, which chap-pap
  // does not allow: we go on to PAP.
  LcpHarness h(chap_pap());
  h.start();
  EXPECT_EQ(h.our_option(3), hex("03 05 c223 05"));
  h.rx(3, h.last_request()->id, hex("03 05 c223 81"));
  EXPECT_EQ(h.our_option(3), hex("03 04 c023"));
  h.rx(1, 1, hex("05 06 01020304"));
  h.ack_ours();
  EXPECT_EQ(h.lcp.auth_protocol(), AuthProtocol::Pap);
}

TEST(Lcp, PeerNakSuggestionTakenWhenAllowed) {
  LcpPolicy p;
  p.auth = {AuthProtocol::ChapMd5, AuthProtocol::MsChapV2, AuthProtocol::Pap};
  LcpHarness h(p);
  h.start();
  h.rx(3, h.last_request()->id, hex("03 05 c223 81"));
  EXPECT_EQ(h.our_option(3), hex("03 05 c223 81"));
  // Naking MS-CHAP-V2 in turn with CHAP-MD5, declined before: the next allowed is PAP.
  h.rx(3, h.last_request()->id, hex("03 05 c223 05"));
  EXPECT_EQ(h.our_option(3), hex("03 04 c023"));
}

TEST(Lcp, NoCommonAuthProtocolOpensWithoutOne) {
  // `pp auth request mschap-v2` and a peer that only does CHAP-MD5: LCP opens without auth,
  // the session then refuses the link (pppd: "peer refused to authenticate").
  LcpHarness h(mschap_v2());
  h.start();
  h.rx(3, h.last_request()->id, hex("03 05 c223 05"));
  EXPECT_FALSE(h.we_request(3));
  EXPECT_TRUE(h.lcp.auth_refused());
  h.rx(1, 1, hex("05 06 01020304"));
  h.ack_ours();
  ASSERT_TRUE(h.lcp.fsm().opened());
  EXPECT_FALSE(h.lcp.auth_protocol());
}

TEST(Lcp, RejectedAuthMovesOnThenMeansRefused) {
  // chap-pap: CHAP-MD5 Rejected, PAP offered; PAP Rejected too: the peer will not authenticate.
  LcpHarness h(chap_pap());
  h.start();
  h.rx(4, h.last_request()->id, hex("03 05 c223 05"));
  EXPECT_EQ(h.our_option(3), hex("03 04 c023"));
  EXPECT_FALSE(h.lcp.auth_refused());
  h.rx(4, h.last_request()->id, hex("03 04 c023"));
  EXPECT_FALSE(h.we_request(3));
  EXPECT_TRUE(h.lcp.auth_refused());
  LcpHarness v2(mschap_v2());
  v2.start();
  v2.rx(4, v2.last_request()->id, hex("03 05 c223 81"));
  EXPECT_FALSE(v2.we_request(3));
  EXPECT_TRUE(v2.lcp.auth_refused());
}

TEST(Lcp, NakAndRejectOfMruAndMagic) {
  LcpHarness h(mschap_v2());
  h.start();
  const auto magic_before = h.our_option(5);
  h.rx(3, h.last_request()->id, hex("01 04 0578 | 05 06 11111111"));
  EXPECT_EQ(h.our_option(1), hex("01 04 0578"));
  EXPECT_NE(h.our_option(5), magic_before);
  h.rx(4, h.last_request()->id, h.our_option(1));
  EXPECT_FALSE(h.we_request(1));
  h.rx(4, h.last_request()->id, h.our_option(5));
  EXPECT_FALSE(h.we_request(5));
  // A Reject naming an option we did not send is invalid (§5.4): discarded.
  const uint8_t id = h.last_request()->id;
  h.rx(4, id, hex("01 04 05dc"));
  EXPECT_EQ(h.counters.lcp.rx_bad_nak_rej, 1u);
  // A Nak with a malformed known option: discarded too.
  h.rx(3, id, hex("01 03 05"));
  EXPECT_EQ(h.counters.lcp.rx_bad_nak_rej, 2u);
  // A Nak of options we did not send (the peer's wishes) is valid and changes nothing.
  h.rx(3, id, hex("02 06 00000000"));
  EXPECT_FALSE(h.we_request(2));
}

TEST(Lcp, EchoRequestAnsweredInOpenedOnly) {
  LcpHarness h(mschap_v2());
  h.start();
  h.rx(9, 0x10, hex("00000000 cafe"));
  EXPECT_EQ(h.last().code, 1);  // nothing sent but our request
  h.rx(1, 1, hex("05 06 01020304"));
  h.ack_ours();
  const uint32_t magic = *h.lcp.our_magic();
  h.rx(9, 0x11, hex("01020304 cafe"));
  ASSERT_EQ(h.last().code, 10);
  EXPECT_EQ(h.last().id, 0x11);
  const std::vector<uint8_t> want = {static_cast<uint8_t>(magic >> 24), static_cast<uint8_t>(magic >> 16),
                                     static_cast<uint8_t>(magic >> 8), static_cast<uint8_t>(magic), 0xca, 0xfe};
  EXPECT_EQ(h.last().data, want);
  EXPECT_EQ(h.counters.lcp_echo_reply_sent, 1u);
  // Too short for a Magic-Number: counted, not answered.
  h.rx(9, 0x12, hex("0102"));
  EXPECT_EQ(h.last().id, 0x11);
  EXPECT_EQ(h.counters.parse_errors[static_cast<size_t>(PppParseError::Truncated)], 1u);
}

TEST(Lcp, OurEchoRequestsAndTheirTimeout) {
  LcpPolicy p = mschap_v2();
  p.echo_interval = 10s;
  p.echo_failure = 3;
  LcpHarness h(p);
  h.open_with(hex("05 06 01020304"));
  h.sent.clear();
  h.timers.advance(10s);
  ASSERT_EQ(h.sent.size(), 1u);
  EXPECT_EQ(h.last().code, 9);
  // The peer answers: the count of unanswered requests starts again.
  h.rx(10, h.last().id, hex("01020304"));
  EXPECT_EQ(h.counters.lcp_echo_reply_received, 1u);
  h.timers.advance(30s);  // three unanswered
  EXPECT_EQ(h.counters.lcp_echo_request_sent, 4u);
  EXPECT_TRUE(h.events.failures.empty());
  h.timers.advance(10s);
  ASSERT_EQ(h.events.failures.size(), 1u);
  EXPECT_EQ(h.events.failures[0], LcpFailure::EchoTimeout);
  EXPECT_EQ(h.counters.lcp_echo_timeout, 1u);
}

TEST(Lcp, ProtocolRejectSentOnlyInOpenedAndTruncatedToMru) {
  LcpHarness h(mschap_v2());
  h.start();
  const std::vector<uint8_t> info(2000, 0x11);
  EXPECT_FALSE(h.lcp.send_protocol_reject(kProtoIpv6cp, info));
  h.open_with(hex("01 04 0100 | 05 06 01020304"));  // peer MRU 256
  EXPECT_TRUE(h.lcp.send_protocol_reject(kProtoIpv6cp, info));
  EXPECT_EQ(h.last().code, 8);
  EXPECT_EQ(h.last().data.size() + 4, 256u);
  EXPECT_EQ(h.last().data[0], 0x80);
  EXPECT_EQ(h.last().data[1], 0x57);
  EXPECT_EQ(h.counters.tx_protocol_reject, 1u);
}

TEST(Lcp, RejectsAndEchoRepliesNeverExceed1500) {
  LcpHarness h(mschap_v2());
  h.open_with(hex("01 04 0fa0 | 05 06 01020304"));  // peer MRU 4000
  const std::vector<uint8_t> info(5000, 0x22);
  EXPECT_TRUE(h.lcp.send_protocol_reject(kProtoCcp, info));
  EXPECT_EQ(h.last().data.size() + 4, 1500u);
  std::vector<uint8_t> echo = hex("01020304");
  echo.resize(3000, 0x33);
  h.rx(9, 0x61, echo);
  ASSERT_EQ(h.last().code, 10);
  EXPECT_EQ(h.last().data.size() + 4, 1500u);
}

TEST(Lcp, ProtocolRejectReceived) {
  LcpHarness h(mschap_v2());
  h.open_with(hex("05 06 01020304"));
  h.rx(8, 3, hex("8021 01 01 0004"));
  EXPECT_EQ(h.events.rejected, (std::vector<uint16_t>{kProtoIpcp}));
  EXPECT_TRUE(h.lcp.fsm().opened());  // RXJ+
  h.rx(8, 4, hex("c021"));
  EXPECT_EQ(h.lcp.fsm().state(), CpState::Stopping);  // RXJ-: tld,irc,str/5
}

TEST(Lcp, IdentificationIsNotCodeRejectedUnknownCodesAre) {
  LcpHarness h(mschap_v2());
  h.open_with(hex("05 06 01020304"));
  const size_t n = h.sent.size();
  h.rx(12, 1, hex("01020304 4d5352415356352e3230"));  // "MSRASV5.20"
  EXPECT_EQ(h.sent.size(), n);
  EXPECT_EQ(h.counters.lcp_identification_received, 1u);
  h.rx(0x40, 2, hex("00"));
  EXPECT_EQ(h.last().code, 7);
  EXPECT_EQ(h.last().data, hex("40 02 0005 00"));
}

}  // namespace
}  // namespace l2tpgw::cp::ppp
