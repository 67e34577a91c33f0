// SPDX-License-Identifier: Apache-2.0
// Tests for common/wire/l2tp.hpp: the RFC 2661 §3.1 L2TPv2 header, every flag combination.
#include "common/wire/l2tp.hpp"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "wire_test_util.hpp"

namespace l2tpgw::wire {
namespace {

using test::cat;
using test::Exact;
using test::hex;

struct GoodCase {
  std::string name;
  std::vector<uint8_t> bytes;
  uint16_t flags, length, tunnel_id, session_id, ns, nr, header_len, payload_len;
};

// Written-out headers, RFC 2661 §3.1 diagram order: flags/version, [Length], Tunnel ID,
// Session ID, [Ns, Nr], [Offset Size, Offset pad].
TEST(L2tpDecode, GoodHeaders) {
  const auto lcp = hex("ff03 c021 0101 0004");  // an 8-byte PPP payload
  const GoodCase cases[] = {
      // A ZLB acknowledgement (§5.8): T L S, Length 12, tunnel 1, session 0, Ns 0, Nr 1.
      {"control_zlb", hex("c802 000c | 0001 0000 | 0000 0001"), 0xc802, 12, 1, 0, 0, 1, 12, 0},
      // SCCRQ-sized control message with 8 bytes of AVPs (a Message Type AVP).
      {"control_with_avp", hex("c802 0014 | 0000 0000 | 0000 0000 | 8008 0000 0000 0001"), 0xc802,
       20, 0, 0, 0, 0, 12, 8},
      // Data, no options: the usual Windows/xl2tpd data header.
      {"data_plain", cat(hex("0002 | 1234 5678"), lcp), 0x0002, 0, 0x1234, 0x5678, 0, 0, 6, 8},
      {"data_L", cat(hex("4002 000e | 1234 5678"), lcp), 0x4002, 14, 0x1234, 0x5678, 0, 0, 8, 6},
      {"data_S", cat(hex("0802 | 1234 5678 | 0003 0004"), lcp), 0x0802, 0, 0x1234, 0x5678, 3, 4,
       10, 8},
      // O with a 2-byte offset pad: the payload starts after the pad.
      {"data_O_pad2", cat(hex("0202 | 0001 0002 | 0002 | aaaa"), lcp), 0x0202, 0, 1, 2, 0, 0, 10, 8},
      {"data_O_pad0", cat(hex("0202 | 0001 0002 | 0000"), lcp), 0x0202, 0, 1, 2, 0, 0, 8, 8},
      {"data_P", cat(hex("0102 | 0001 0002"), lcp), 0x0102, 0, 1, 2, 0, 0, 6, 8},
      // Everything: L S O P, Length 24 = 16 header (14 + 2 pad) + 8 payload.
      {"data_LSOP", cat(hex("4b02 0018 | 0001 0002 | ffff 0000 | 0002 | 0000"), lcp), 0x4b02, 24, 1,
       2, 0xffff, 0, 16, 8},
      // Length shorter than the datagram: the payload ends at Length (trailing bytes ignored).
      {"data_L_short", cat(hex("4002 000a | 0001 0002"), lcp), 0x4002, 10, 1, 2, 0, 0, 8, 2},
      // Length equal to the header: an empty data message.
      {"data_L_empty", hex("4002 0008 | 0001 0002"), 0x4002, 8, 1, 2, 0, 0, 8, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Exact buf(c.bytes);
    auto h = decode_l2tp_v2(buf.reader());
    ASSERT_TRUE(h.ok()) << to_string(h.error());
    EXPECT_EQ(h->flags, c.flags);
    if (c.flags & kL2tpFlagL) {
      EXPECT_EQ(h->length, c.length);
    }
    EXPECT_EQ(h->tunnel_id, c.tunnel_id);
    EXPECT_EQ(h->session_id, c.session_id);
    if (c.flags & kL2tpFlagS) {
      EXPECT_EQ(h->ns, c.ns);
      EXPECT_EQ(h->nr, c.nr);
    }
    EXPECT_EQ(h->header_len, c.header_len);
    EXPECT_EQ(h->payload_len, c.payload_len);
    EXPECT_LE(size_t{h->header_len} + h->payload_len, c.bytes.size());
  }
}

// Builds a header with the given flags (version 2): Length covers header + payload exactly.
std::vector<uint8_t> build(uint16_t flags, uint16_t pad, size_t payload) {
  std::vector<uint8_t> b;
  auto be16 = [&](uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
  };
  const size_t hdr = 6 + ((flags & kL2tpFlagL) ? 2 : 0) + ((flags & kL2tpFlagS) ? 4 : 0) +
                     ((flags & kL2tpFlagO) ? 2u + pad : 0);
  be16(flags | kL2tpVersion2);
  if (flags & kL2tpFlagL) be16(static_cast<uint16_t>(hdr + payload));
  be16(7);  // tunnel
  be16(9);  // session
  if (flags & kL2tpFlagS) {
    be16(100);
    be16(200);
  }
  if (flags & kL2tpFlagO) {
    be16(pad);
    b.insert(b.end(), pad, 0);
  }
  b.insert(b.end(), payload, 0x5a);
  return b;
}

TEST(L2tpDecode, EveryFlagCombination) {
  const uint16_t bits[] = {kL2tpFlagT, kL2tpFlagL, kL2tpFlagS, kL2tpFlagO, kL2tpFlagP};
  for (uint32_t m = 0; m < 32; ++m) {
    uint16_t flags = 0;
    for (int i = 0; i < 5; ++i)
      if (m & (1u << i)) flags |= bits[i];
    SCOPED_TRACE(testing::Message() << "flags 0x" << std::hex << flags);
    const auto bytes = build(flags, 3, 5);
    Exact buf(bytes);
    auto h = decode_l2tp_v2(buf.reader());
    // RFC 2661 §3.1: control messages MUST have L and S set, O and P clear.
    const bool control = flags & kL2tpFlagT;
    const bool valid = !control || ((flags & kL2tpFlagL) && (flags & kL2tpFlagS) &&
                                    !(flags & kL2tpFlagO) && !(flags & kL2tpFlagP));
    ASSERT_EQ(h.ok(), valid) << (h.ok() ? "ok" : to_string(h.error()));
    if (!valid) {
      EXPECT_EQ(h.error(), ParseError::BadFlags);
      continue;
    }
    EXPECT_EQ(h->header_len + 5u, bytes.size());
    EXPECT_EQ(h->payload_len, 5u);
    EXPECT_EQ(h->tunnel_id, 7);
    EXPECT_EQ(h->session_id, 9);
    if (flags & kL2tpFlagS) {
      EXPECT_EQ(h->ns, 100);
      EXPECT_EQ(h->nr, 200);
    }
    EXPECT_EQ(l2tp_is_control(h->flags), control);
    EXPECT_EQ(l2tp_version(h->flags), kL2tpVersion2);
  }
}

struct BadCase {
  std::string name;
  std::vector<uint8_t> bytes;
  ParseError want;
};

TEST(L2tpDecode, NegativeTable) {
  const BadCase cases[] = {
      {"empty", {}, ParseError::Truncated},
      // L2TPv3 over UDP (RFC 3931 §4.1.2.1) and versions 0, 1 (L2F) and 15.
      {"version_3_control", hex("c803 000c 0000 0001 0000 0000"), ParseError::BadVersion},
      {"version_3_data", hex("0003 0000 0001"), ParseError::BadVersion},
      {"version_1", hex("c801 000c 0000 0001 0000 0000"), ParseError::BadVersion},
      {"version_0", hex("0000 0000 0001"), ParseError::BadVersion},
      {"version_15", hex("000f 0000 0001"), ParseError::BadVersion},
      // Each reserved bit (x in the §3.1 diagram) on its own.
      {"reserved_0x2000", hex("2002 0001 0002"), ParseError::BadFlags},
      {"reserved_0x1000", hex("1002 0001 0002"), ParseError::BadFlags},
      {"reserved_0x0400", hex("0402 0001 0002"), ParseError::BadFlags},
      {"reserved_0x0080", hex("0082 0001 0002"), ParseError::BadFlags},
      {"reserved_0x0040", hex("0042 0001 0002"), ParseError::BadFlags},
      {"reserved_0x0020", hex("0022 0001 0002"), ParseError::BadFlags},
      {"reserved_0x0010", hex("0012 0001 0002"), ParseError::BadFlags},
      {"reserved_on_control", hex("c812 000c 0000 0001 0000 0000"), ParseError::BadFlags},
      // Control without L, without S, with O.
      {"control_no_L", hex("8802 0001 0000 0000 0000"), ParseError::BadFlags},
      {"control_no_S", hex("c002 000a 0001 0000 0000"), ParseError::BadFlags},
      {"control_with_O", hex("ca02 000e 0001 0000 0000 0000 0000"), ParseError::BadFlags},
      {"control_T_only", hex("8002 0001 0000"), ParseError::BadFlags},
      // Length 0, 1, header-1 (below the header), available+1 and 65535.
      {"length_0", hex("c802 0000 0001 0000 0000 0000"), ParseError::BadLengthField},
      {"length_1", hex("c802 0001 0001 0000 0000 0000"), ParseError::BadLengthField},
      {"length_header_minus_1", hex("c802 000b 0001 0000 0000 0000"), ParseError::BadLengthField},
      {"length_available_plus_1", hex("c802 000d 0001 0000 0000 0000"), ParseError::BadLengthField},
      {"length_max", hex("c802 ffff 0001 0000 0000 0000"), ParseError::BadLengthField},
      {"data_length_0", hex("4002 0000 0001 0002"), ParseError::BadLengthField},
      // Length covering the Offset Size but not the pad.
      {"length_inside_pad", hex("4202 000b 0001 0002 0004 0000 0000"), ParseError::BadLengthField},
      // Offset Size larger than what follows (max+1 of the bytes there are), and 65535.
      {"offset_past_end", hex("0202 0001 0002 0003 0000"), ParseError::Truncated},
      {"offset_max", hex("0202 0001 0002 ffff 0000"), ParseError::Truncated},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Exact buf(c.bytes);
    auto h = decode_l2tp_v2(buf.reader());
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error(), c.want) << to_string(h.error());
  }
}

TEST(L2tpDecode, LengthBoundaries) {
  // Data with L|S|O, pad 2: header 16. Length = 16 (min) .. available (max) decode.
  const auto bytes = build(kL2tpFlagL | kL2tpFlagS | kL2tpFlagO, 2, 10);  // 26 bytes
  for (uint16_t len = 0; len <= 28; ++len) {
    SCOPED_TRACE(len);
    auto b = bytes;
    b[2] = static_cast<uint8_t>(len >> 8);
    b[3] = static_cast<uint8_t>(len);
    Exact buf(b);
    auto h = decode_l2tp_v2(buf.reader());
    if (len >= 16 && len <= 26) {
      ASSERT_TRUE(h.ok()) << to_string(h.error());
      EXPECT_EQ(h->header_len, 16);
      EXPECT_EQ(h->payload_len, len - 16);
    } else {
      ASSERT_FALSE(h.ok());
      EXPECT_EQ(h.error(), ParseError::BadLengthField);
    }
  }
}

TEST(L2tpDecode, TruncationAtEveryByte) {
  const uint16_t variants[] = {0, kL2tpFlagL, kL2tpFlagS, kL2tpFlagO, kL2tpFlagL | kL2tpFlagS,
                               kL2tpFlagL | kL2tpFlagS | kL2tpFlagO | kL2tpFlagP,
                               kL2tpFlagT | kL2tpFlagL | kL2tpFlagS};
  for (uint16_t flags : variants) {
    const auto bytes = build(flags, 4, 6);
    const size_t hdr = bytes.size() - 6;
    for (size_t n = 0; n < bytes.size(); ++n) {
      SCOPED_TRACE(testing::Message() << "flags 0x" << std::hex << flags << std::dec << " cut at "
                                      << n);
      Exact buf(bytes, n);
      auto h = decode_l2tp_v2(buf.reader());
      if (n < hdr) {
        // Inside the header: Truncated, whatever the Length field claims.
        ASSERT_FALSE(h.ok());
        EXPECT_EQ(h.error(), ParseError::Truncated) << to_string(h.error());
      } else if (flags & kL2tpFlagL) {
        ASSERT_FALSE(h.ok());  // the payload is shorter than Length says
        EXPECT_EQ(h.error(), ParseError::BadLengthField);
      } else {
        // Without Length the payload is whatever follows: success, but within the input.
        ASSERT_TRUE(h.ok());
        EXPECT_EQ(h->header_len, hdr);
        EXPECT_EQ(h->payload_len, n - hdr);
      }
    }
  }
}

TEST(L2tpDecode, SixteenBitLengthsDoNotWrap) {
  // header_len and payload_len are 16 bits. A reader longer than any UDP payload (e.g. a
  // reassembled buffer) must not make them wrap into small, wrong values.
  std::vector<uint8_t> big(70000, 0);
  // O with Offset Size 65535: the header would be 65543 bytes.
  const auto offset_hdr = hex("0202 0001 0002 ffff");
  std::copy(offset_hdr.begin(), offset_hdr.end(), big.begin());
  {
    Exact buf(big);
    auto h = decode_l2tp_v2(buf.reader());
    ASSERT_FALSE(h.ok()) << "header_len " << h->header_len;
    EXPECT_EQ(h.error(), ParseError::BadLengthField);
  }
  // No L: the payload would be 69994 bytes.
  const auto plain_hdr = hex("0002 0001 0002");
  std::copy(plain_hdr.begin(), plain_hdr.end(), big.begin());
  {
    Exact buf(big);
    auto h = decode_l2tp_v2(buf.reader());
    ASSERT_FALSE(h.ok()) << "payload_len " << h->payload_len;
    EXPECT_EQ(h.error(), ParseError::BadLengthField);
  }
  // The largest that fits: 6-byte header + 65529 bytes of payload = 65535.
  Exact buf(big, 65535);
  auto h = decode_l2tp_v2(buf.reader());
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->payload_len, 65529);
}

TEST(L2tpv3, DataAndControlHeadersOverUdp) {
  // RFC 3931 §4.1.2.1: T=0, Ver=3, reserved, Session ID 0x12345678 (then the cookie).
  {
    const auto d = hex("0003 0000 1234 5678 aabb ccdd");
    Exact buf(d);
    auto h = decode_l2tpv3(buf.reader());
    ASSERT_TRUE(h.ok());
    EXPECT_FALSE(h->control);
    EXPECT_EQ(h->id, 0x12345678u);
  }
  // §3.2.1: a control message, T L S set, Length, Control Connection ID.
  {
    const auto d = hex("c803 0014 0000 0007 0000 0000");
    Exact buf(d);
    auto h = decode_l2tpv3(buf.reader());
    ASSERT_TRUE(h.ok());
    EXPECT_TRUE(h->control);
    EXPECT_EQ(h->id, 7u);
  }
  const struct {
    const char* name;
    const char* bytes;
    ParseError error;
  } bad[] = {
      {"empty", "", ParseError::Truncated},
      {"version 2", "0002 0000 1234 5678", ParseError::BadVersion},
      {"data with an x bit", "0103 0000 1234 5678", ParseError::BadFlags},
      {"Session ID 0 (reserved)", "0003 0000 0000 0000", ParseError::ZeroSessionId},
      {"no Session ID", "0003 0000 1234", ParseError::Truncated},
      {"control without its id", "c803 0014 00", ParseError::Truncated},
  };
  for (const auto& c : bad) {
    const auto d = hex(c.bytes);
    Exact buf(d);
    auto h = decode_l2tpv3(buf.reader());
    ASSERT_FALSE(h.ok()) << c.name;
    EXPECT_EQ(h.error(), c.error) << c.name;
  }
}

}  // namespace
}  // namespace l2tpgw::wire
