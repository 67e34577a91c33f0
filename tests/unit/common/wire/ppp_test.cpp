// SPDX-License-Identifier: Apache-2.0
// Tests for common/wire/ppp.hpp: RFC 1661 §2 protocol field, ACFC/PFC (§6.5, §6.6), RFC 1662 §3.1.
#include "common/wire/ppp.hpp"

#include <string>

#include <gtest/gtest.h>

#include "wire_test_util.hpp"

namespace l2tpgw::wire {
namespace {

using test::Exact;
using test::hex;

struct Case {
  std::string name;
  std::vector<uint8_t> bytes;
  bool ok;
  uint16_t protocol;
  uint8_t header_len;
  ParseError error;
};

TEST(PppDecode, Table) {
  const Case cases[] = {
      // RFC 1662 §3.1 Address 0xFF, Control 0x03, then the two-byte Protocol (RFC 1661 §2).
      {"lcp_full", hex("ff03 c021 | 01 01 0004"), true, kPppLcp, 4, {}},
      {"ipcp_full", hex("ff03 8021 | 01 01 0004"), true, kPppIpcp, 4, {}},
      {"chap_full", hex("ff03 c223 | 01"), true, kPppChap, 4, {}},
      {"ipv4_full", hex("ff03 0021 | 4500"), true, kPppIpv4, 4, {}},
      // ACFC (§6.6): no Address/Control.
      {"lcp_acfc", hex("c021 | 09 01 0008"), true, kPppLcp, 2, {}},
      {"ipv4_acfc", hex("0021 4500"), true, kPppIpv4, 2, {}},
      // PFC (§6.5): one-byte protocol, with and without ACFC.
      {"ipv4_pfc", hex("ff03 21 | 4500"), true, kPppIpv4, 3, {}},
      {"ipv4_acfc_pfc", hex("21 | 4500"), true, kPppIpv4, 1, {}},
      {"ipv6_acfc_pfc", hex("57 | 6000"), true, kPppIpv6, 1, {}},
      // Exactly the header, nothing after it.
      {"lcp_header_only", hex("ff03 c021"), true, kPppLcp, 4, {}},
      {"pfc_header_only", hex("21"), true, kPppIpv4, 1, {}},
      // FF not followed by 03: neither a valid address/control nor a protocol.
      {"ff_02", hex("ff02 c021"), false, 0, 0, ParseError::BadFlags},
      {"ff_ff", hex("ffff c021"), false, 0, 0, ParseError::BadFlags},
      {"ff_00", hex("ff00 21"), false, 0, 0, ParseError::BadFlags},
      // Even low byte: not a valid protocol (RFC 1661 §2).
      {"even_low_full", hex("ff03 c020"), false, 0, 0, ParseError::BadProtocol},
      {"even_low_acfc", hex("c020"), false, 0, 0, ParseError::BadProtocol},
      {"zero_protocol", hex("0000"), false, 0, 0, ParseError::BadProtocol},
      {"even_even", hex("0200"), false, 0, 0, ParseError::BadProtocol},
      {"empty", {}, false, 0, 0, ParseError::Truncated},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Exact buf(c.bytes);
    auto h = decode_ppp(buf.reader());
    ASSERT_EQ(h.ok(), c.ok) << (h.ok() ? "ok" : to_string(h.error()));
    if (!c.ok) {
      EXPECT_EQ(h.error(), c.error) << to_string(h.error());
      continue;
    }
    EXPECT_EQ(h->protocol, c.protocol);
    EXPECT_EQ(h->header_len, c.header_len);
    EXPECT_LE(h->header_len, c.bytes.size());
  }
}

TEST(PppDecode, TruncationAtEveryByte) {
  // Each valid header cut inside itself fails as Truncated.
  for (const char* full : {"ff03 c021", "c021", "ff03 21", "ff03 0021"}) {
    const auto bytes = hex(full);
    for (size_t n = 0; n < bytes.size(); ++n) {
      SCOPED_TRACE(testing::Message() << full << " cut at " << n);
      Exact buf(bytes, n);
      auto h = decode_ppp(buf.reader());
      // "ff03 21" cut at 1 is a lone FF; "ff03 0021" cut at 3 is FF 03 00: both truncated.
      ASSERT_FALSE(h.ok());
      EXPECT_EQ(h.error(), ParseError::Truncated);
    }
  }
}

}  // namespace
}  // namespace l2tpgw::wire
