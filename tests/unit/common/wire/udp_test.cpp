// SPDX-License-Identifier: Apache-2.0
// Tests for common/wire/udp.hpp: RFC 768 header decoding and its Length checks.
#include "common/wire/udp.hpp"

#include <string>

#include <gtest/gtest.h>

#include "wire_test_util.hpp"

namespace l2tpgw::wire {
namespace {

using test::cat;
using test::Exact;
using test::hex;

// RFC 768: source 1701, destination 1701 (RFC 2661 §8.1), Length 20 = 8 + 12 bytes (an L2TP
// ZLB), checksum 0 (none, allowed over IPv4).
const std::vector<uint8_t> kL2tpUdp = hex("06a5 06a5 | 0014 0000");
const std::vector<uint8_t> kZlb = hex("c802 000c 0001 0000 0000 0000");

std::vector<uint8_t> with_length(std::vector<uint8_t> h, uint16_t len) {
  h[4] = static_cast<uint8_t>(len >> 8);
  h[5] = static_cast<uint8_t>(len);
  return h;
}

TEST(UdpDecode, GoodHeaders) {
  struct Case {
    std::string name;
    std::vector<uint8_t> bytes;
    UdpHeader want;
  };
  const Case cases[] = {
      {"l2tp_zlb", cat(kL2tpUdp, kZlb), {1701, 1701, 20, 0}},
      // NAT-T keepalive (RFC 3948 §2.3): 4500 -> 4500, one byte 0xFF, a real checksum.
      {"natt_keepalive", hex("1194 1194 | 0009 a1b2 | ff"), {4500, 4500, 9, 0xa1b2}},
      // Length 8: no payload at all.
      {"empty_payload", hex("01f4 01f4 0008 ffff"), {500, 500, 8, 0xffff}},
      // The enclosing payload may be longer than Length (e.g. Ethernet padding).
      {"shorter_than_available", cat(with_length(kL2tpUdp, 9), kZlb), {1701, 1701, 9, 0}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Exact buf(c.bytes);
    auto h = decode_udp(buf.reader());
    ASSERT_TRUE(h.ok()) << to_string(h.error());
    EXPECT_EQ(h->src_port, c.want.src_port);
    EXPECT_EQ(h->dst_port, c.want.dst_port);
    EXPECT_EQ(h->length, c.want.length);
    EXPECT_EQ(h->checksum, c.want.checksum);
  }
}

TEST(UdpDecode, LengthField) {
  const auto bytes = cat(kL2tpUdp, kZlb);  // 20 bytes available
  struct Case {
    uint16_t length;
    bool ok;
  };
  // 0, 1 and 7 are below the header; 20 is the max (all available); 21 is max+1; 65535.
  const Case cases[] = {{0, false},  {1, false},  {7, false},     {8, true},
                        {9, true},   {19, true},  {20, true},     {21, false},
                        {0xffff, false}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.length);
    Exact buf(with_length(bytes, c.length));
    auto h = decode_udp(buf.reader());
    ASSERT_EQ(h.ok(), c.ok);
    if (c.ok)
      EXPECT_EQ(h->length, c.length);
    else
      EXPECT_EQ(h.error(), ParseError::BadLengthField);
  }
}

TEST(UdpDecode, TruncationAtEveryByte) {
  const auto bytes = cat(kL2tpUdp, kZlb);
  for (size_t n = 0; n < 8; ++n) {
    SCOPED_TRACE(n);
    Exact buf(bytes, n);
    auto h = decode_udp(buf.reader());
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error(), ParseError::Truncated);
  }
  // A complete header whose payload is cut: the Length claim fails.
  for (size_t n = 8; n < bytes.size(); ++n) {
    SCOPED_TRACE(n);
    Exact buf(bytes, n);
    auto h = decode_udp(buf.reader());
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error(), ParseError::BadLengthField);
  }
}

}  // namespace
}  // namespace l2tpgw::wire
