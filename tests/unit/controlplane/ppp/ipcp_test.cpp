// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ppp/ipcp: the LNS's IPCP (RFC 1332) and name servers (RFC 1877).
#include "controlplane/ppp/ipcp.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/wire/wire_test_util.hpp"

namespace l2tpgw::cp::ppp {
namespace {

using wire::test::hex;

constexpr uint32_t kLocal = 0xc0a86401;     // 192.168.100.1
constexpr uint32_t kAssigned = 0xc0a8640a;  // 192.168.100.10
constexpr uint32_t kDns1 = 0xc0000235;      // 192.0.2.53
constexpr uint32_t kDns2 = 0xc0000236;

struct Events : IpcpListener {
  std::vector<std::string> log;
  void ipcp_up() override { log.push_back("up"); }
  void ipcp_down() override { log.push_back("down"); }
  void ipcp_finished(CpEvent) override { log.push_back("finished"); }
};

struct Sent {
  uint8_t code = 0, id = 0;
  std::vector<uint8_t> data;
};

struct IpcpHarness {
  explicit IpcpHarness(IpcpPolicy p) : policy(p), ipcp(policy, timers, counters, [this](std::span<const uint8_t> b) {
    sent.push_back(Sent{b[0], b[1], std::vector<uint8_t>(b.begin() + 4, b.end())});
  }, events) {
    ipcp.set_peer_address(kAssigned);
    ipcp.fsm().up();
    ipcp.fsm().open();
  }
  void rx(uint8_t code, uint8_t id, const std::vector<uint8_t>& data) {
    std::vector<uint8_t> p = {code, id, 0, static_cast<uint8_t>(data.size() + 4)};
    p.insert(p.end(), data.begin(), data.end());
    ipcp.fsm().receive(p);
  }
  const Sent& last() const { return sent.back(); }
  const Sent* last_request() const {
    for (auto it = sent.rbegin(); it != sent.rend(); ++it)
      if (it->code == 1) return &*it;
    return nullptr;
  }
  void ack_ours() { rx(2, last_request()->id, last_request()->data); }

  IpcpPolicy policy;
  ManualTimers timers;
  PppCounters counters;
  Events events;
  std::vector<Sent> sent;
  Ipcp ipcp;
};

IpcpPolicy msext() {
  IpcpPolicy p;
  p.request_local_address = true;
  p.local_address = kLocal;
  p.dns = {kDns1, kDns2};
  return p;
}

TEST(Ipcp, OurRequestCarriesOurAddress) {
  IpcpHarness h(msext());
  EXPECT_EQ(h.last_request()->data, hex("03 06 c0a86401"));
  IpcpPolicy off = msext();
  off.request_local_address = false;
  IpcpHarness h2(off);
  EXPECT_TRUE(h2.last_request()->data.empty());
}

TEST(Ipcp, WindowsExchange) {
  // Windows asks for an address, DNS and NBNS, all 0.0.0.0.
  IpcpHarness h(msext());
  h.ack_ours();
  h.rx(1, 1, hex("03 06 00000000 | 81 06 00000000 | 82 06 00000000 | 83 06 00000000 | 84 06 00000000"));
  ASSERT_EQ(h.last().code, 4);  // no NBNS servers: Reject them first
  EXPECT_EQ(h.last().data, hex("82 06 00000000 | 84 06 00000000"));
  h.rx(1, 2, hex("03 06 00000000 | 81 06 00000000 | 83 06 00000000"));
  ASSERT_EQ(h.last().code, 3);
  EXPECT_EQ(h.last().data, hex("03 06 c0a8640a | 81 06 c0000235 | 83 06 c0000236"));
  h.rx(1, 3, hex("03 06 c0a8640a | 81 06 c0000235 | 83 06 c0000236"));
  ASSERT_EQ(h.last().code, 2);
  ASSERT_TRUE(h.ipcp.fsm().opened());
  EXPECT_EQ(h.events.log, (std::vector<std::string>{"up"}));
  EXPECT_EQ(h.ipcp.peer_address(), kAssigned);
  EXPECT_EQ(h.ipcp.peer_dns()[0], kDns1);
  EXPECT_EQ(h.ipcp.peer_dns()[1], kDns2);
  EXPECT_EQ(h.ipcp.local_address(), kLocal);
  EXPECT_EQ(h.ipcp.local_option_names(), (std::vector<std::string>{"IP-Address"}));
  EXPECT_EQ(h.ipcp.remote_option_names(),
            (std::vector<std::string>{"IP-Address", "Primary-DNS(192.0.2.53)", "Secondary-DNS(192.0.2.54)"}));
}

TEST(Ipcp, RenegotiationKeepsThePeersNewValues) {
  // In Opened a new Configure-Request is judged first, then ours goes out (tld,scr,sca).
  IpcpHarness h(msext());
  h.ack_ours();
  h.rx(1, 1, hex("03 06 c0a8640a | 81 06 c0000235"));
  ASSERT_TRUE(h.ipcp.fsm().opened());
  h.rx(1, 2, hex("03 06 c0a8640a | 81 06 c0000235 | 83 06 c0000236"));
  EXPECT_EQ(h.ipcp.fsm().state(), CpState::AckSent);
  h.ack_ours();
  ASSERT_TRUE(h.ipcp.fsm().opened());
  EXPECT_EQ(h.ipcp.peer_dns()[0], kDns1);
  EXPECT_EQ(h.ipcp.peer_dns()[1], kDns2);
  EXPECT_EQ(h.events.log, (std::vector<std::string>{"up", "down", "up"}));
}

TEST(Ipcp, WithoutMsextNameServersAreRejected) {
  IpcpPolicy p = msext();
  p.dns = {};
  IpcpHarness h(p);
  h.rx(1, 1, hex("03 06 00000000 | 81 06 00000000 | 83 06 00000000"));
  ASSERT_EQ(h.last().code, 4);
  EXPECT_EQ(h.last().data, hex("81 06 00000000 | 83 06 00000000"));
}

TEST(Ipcp, OnlyAPrimaryDnsConfigured) {
  IpcpPolicy p = msext();
  p.dns = {kDns1, 0};
  IpcpHarness h(p);
  h.rx(1, 1, hex("81 06 00000000 | 83 06 00000000"));
  ASSERT_EQ(h.last().code, 4);
  EXPECT_EQ(h.last().data, hex("83 06 00000000"));
}

TEST(Ipcp, OddOptions) {
  struct Case {
    const char* name;
    std::vector<uint8_t> request;
    uint8_t code;
    std::vector<uint8_t> reply;
  };
  const Case cases[] = {
      // macOS and pppd ask for Van Jacobson compression.
      {"vj compression", hex("02 06 002d 0f 01 | 03 06 c0a8640a"), 4, hex("02 06 002d 0f 01")},
      {"ip-addresses (deprecated)", hex("01 0a 00000000 00000000"), 4, hex("01 0a 00000000 00000000")},
      {"address of its own choosing", hex("03 06 0a000001"), 3, hex("03 06 c0a8640a")},
      {"address wrong size", hex("03 05 0a0000"), 4, hex("03 05 0a0000")},
      {"dns wrong size", hex("03 06 c0a8640a | 81 04 0000"), 4, hex("81 04 0000")},
      {"no address at all", hex("81 06 c0000235"), 3, hex("03 06 c0a8640a")},
      {"unknown type", hex("03 06 c0a8640a | 90 02"), 4, hex("90 02")},
      {"the right address", hex("03 06 c0a8640a"), 2, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    IpcpHarness h(msext());
    h.rx(1, 5, c.request);
    EXPECT_EQ(h.last().code, c.code);
    EXPECT_EQ(h.last().id, 5);
    if (c.code != 2) {
      EXPECT_EQ(h.last().data, c.reply);
    }
  }
}

TEST(Ipcp, MaxFailureTurnsNaksIntoRejects) {
  // A peer insisting on its own address: after Max-Failure Naks its option is Rejected.
  IpcpHarness h(msext());
  for (int i = 0; i < 5; ++i) {
    h.rx(1, static_cast<uint8_t>(i), hex("03 06 0a000001"));
    ASSERT_EQ(h.last().code, 3);
  }
  h.rx(1, 9, hex("03 06 0a000001"));
  EXPECT_EQ(h.last().code, 4);
  // ... and a request with no address is then acknowledged as it is.
  h.rx(1, 10, {});
  EXPECT_EQ(h.last().code, 2);
}

TEST(Ipcp, NakOfOurAddressKeepsItRejectDropsIt) {
  IpcpHarness h(msext());
  const uint8_t id = h.last_request()->id;
  h.rx(3, id, hex("03 06 0a000001"));
  EXPECT_EQ(h.last_request()->data, hex("03 06 c0a86401"));
  EXPECT_NE(h.last_request()->id, id);
  // Reject of something we did not send: invalid.
  h.rx(4, h.last_request()->id, hex("81 06 00000000"));
  EXPECT_EQ(h.counters.ipcp.rx_bad_nak_rej, 1u);
  h.rx(4, h.last_request()->id, hex("03 06 c0a86401"));
  EXPECT_TRUE(h.last_request()->data.empty());
  h.ack_ours();
  h.rx(1, 1, hex("03 06 c0a8640a"));
  ASSERT_TRUE(h.ipcp.fsm().opened());
  EXPECT_EQ(h.ipcp.local_address(), 0u);
}

TEST(Ipcp, EchoCodesAreUnknownToIpcp) {
  // RFC 1332 §2: IPCP has codes 1..7 only; anything else is Code-Rejected.
  IpcpHarness h(msext());
  h.rx(9, 1, hex("00000000"));
  EXPECT_EQ(h.last().code, 7);
  EXPECT_EQ(h.counters.ipcp.rx_unknown_code, 1u);
}

}  // namespace
}  // namespace l2tpgw::cp::ppp
