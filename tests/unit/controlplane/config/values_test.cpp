// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/config/values: numbers, ranges, IPv4 addresses, prefixes and ranges.
#include "controlplane/config/values.hpp"

#include <gtest/gtest.h>

namespace l2tpgw::cp::config {
namespace {

TEST(ParseUint, DecimalWithoutSignOrLeadingZeros) {
  EXPECT_EQ(parse_uint("0", 10), 0u);
  EXPECT_EQ(parse_uint("65535", 65535), 65535u);
  EXPECT_EQ(parse_uint("4294967295", 0xffffffffu), 0xffffffffu);
  for (const char* bad : {"", "01", "+1", "-1", "1a", " 1", "65536", "4294967296", "99999999999"})
    EXPECT_EQ(parse_uint(bad, 65535), std::nullopt) << bad;
}

TEST(ParseIdRange, SingleAndRanges) {
  const auto one = parse_id_range("5", 1, 10);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->first, 5u);
  EXPECT_EQ(one->last, 5u);
  const auto r = parse_id_range("2-10", 1, 10);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 2u);
  EXPECT_EQ(r->last, 10u);
  for (const char* bad : {"0", "5-2", "1-", "-1", "1-11", "1-2-3", "a-b", ""})
    EXPECT_FALSE(parse_id_range(bad, 1, 10)) << bad;
}

TEST(ParseIpv4, DottedQuadOnly) {
  const auto a = parse_ipv4("192.168.100.1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->value, 0xc0a86401u);
  EXPECT_EQ(format_ipv4(*a), "192.168.100.1");
  EXPECT_EQ(parse_ipv4("0.0.0.0")->value, 0u);
  EXPECT_EQ(parse_ipv4("255.255.255.255")->value, 0xffffffffu);
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1..2.3", "1.2.3.", "a.b.c.d", "1.2.3.4/24"})
    EXPECT_FALSE(parse_ipv4(bad)) << bad;
}

TEST(ParseIpv4Prefix, LengthOrNetmask) {
  const auto p = parse_ipv4_prefix("192.168.100.1/24");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->length, 24);
  EXPECT_EQ(format_prefix(*p), "192.168.100.1/24");
  EXPECT_EQ(parse_ipv4_prefix("10.0.0.0/255.0.0.0")->length, 8);
  EXPECT_EQ(parse_ipv4_prefix("10.0.0.1/255.255.255.255")->length, 32);
  EXPECT_EQ(parse_ipv4_prefix("0.0.0.0/0")->length, 0);
  EXPECT_EQ(parse_ipv4_prefix("0.0.0.0/0.0.0.0")->length, 0);
  for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "10.0.0.0/255.0.255.0", "10.0.0.0/", "/8", "10.0.0/8"})
    EXPECT_FALSE(parse_ipv4_prefix(bad)) << bad;
}

TEST(ParseIpv4Range, FirstNotAfterLast) {
  const auto r = parse_ipv4_range("192.168.100.10-192.168.100.20");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->last.value - r->first.value, 10u);
  EXPECT_TRUE(parse_ipv4_range("10.0.0.1-10.0.0.1"));
  EXPECT_FALSE(parse_ipv4_range("10.0.0.2-10.0.0.1"));
  EXPECT_FALSE(parse_ipv4_range("10.0.0.1"));
  EXPECT_FALSE(parse_ipv4_range("10.0.0.1-10.0.0"));
}

TEST(IsNetwork, HostBitsMustBeZero) {
  EXPECT_TRUE(is_network(*parse_ipv4_prefix("10.0.0.0/8")));
  EXPECT_FALSE(is_network(*parse_ipv4_prefix("10.0.0.1/8")));
  EXPECT_TRUE(is_network(*parse_ipv4_prefix("10.0.0.1/32")));
  EXPECT_TRUE(is_network(Ipv4Prefix{}));
}

TEST(IsHostname, LettersDigitsDotsHyphens) {
  EXPECT_TRUE(is_hostname("vpn.example.jp"));
  EXPECT_TRUE(is_hostname("XXXX.aaX.netvolante.jp"));
  EXPECT_FALSE(is_hostname("1.2.3"));  // a broken address, not a name
  EXPECT_FALSE(is_hostname("a_b"));
  EXPECT_FALSE(is_hostname(""));
}

TEST(FormatIdRanges, RunsBecomeRanges) {
  EXPECT_EQ(format_id_ranges({}), "");
  EXPECT_EQ(format_id_ranges({7}), "7");
  EXPECT_EQ(format_id_ranges({1, 2, 3, 5, 7, 8}), "1-3, 5, 7-8");
}

TEST(PpName, AnonymousOrNumber) {
  EXPECT_EQ(pp_name(kPpAnonymous), "pp anonymous");
  EXPECT_EQ(pp_name(2), "pp 2");
}

}  // namespace
}  // namespace l2tpgw::cp::config
