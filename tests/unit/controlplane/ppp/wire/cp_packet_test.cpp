// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ppp/wire/cp_packet: RFC 1661 §5 header, §6 option list, the builder.
#include "controlplane/ppp/wire/cp_packet.hpp"

#include <string>

#include <gtest/gtest.h>

#include "common/wire/wire_test_util.hpp"

namespace l2tpgw::cp::ppp {
namespace {

using wire::test::Exact;
using wire::test::hex;

std::span<const uint8_t> span_of(const Exact& e) { return {e.data(), e.size()}; }

TEST(CpPacket, DecodesHeaderAndData) {
  // A Windows LCP Configure-Request: MRU 1400, Magic, PFC, ACFC, Callback 6.
  const auto bytes = hex("01 01 0015 | 01 04 0578 | 05 06 1a2b3c4d | 07 02 | 08 02 | 0d 03 06");
  Exact e(bytes);
  const auto p = decode_cp_packet(span_of(e));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->code, static_cast<uint8_t>(CpCode::ConfReq));
  EXPECT_EQ(p->identifier, 1);
  EXPECT_EQ(p->packet.size(), 21u);
  EXPECT_EQ(p->data.size(), 17u);
  EXPECT_EQ(p->data[0], 0x01);
}

TEST(CpPacket, PaddingAfterLengthIsIgnored) {
  // §5: "Octets outside the range of the Length field are treated as padding".
  const auto bytes = hex("09 07 0008 | 11223344 | 0000 0000");
  Exact e(bytes);
  const auto p = decode_cp_packet(span_of(e));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->packet.size(), 8u);
  EXPECT_EQ(p->data.size(), 4u);
}

TEST(CpPacket, NegativeTable) {
  struct Case {
    std::string name;
    std::vector<uint8_t> bytes;
    PppParseError error;
  };
  const Case cases[] = {
      {"empty", {}, PppParseError::Truncated},
      {"code_only", hex("01"), PppParseError::Truncated},
      {"three_octets", hex("01 01 00"), PppParseError::Truncated},
      {"length_0", hex("01 01 0000"), PppParseError::BadLength},
      {"length_1", hex("01 01 0001"), PppParseError::BadLength},
      {"length_3", hex("01 01 0003 00"), PppParseError::BadLength},
      {"length_past_data", hex("01 01 0009 01 04 05dc"), PppParseError::Truncated},
      {"length_max", hex("01 01 ffff 01 04 05dc"), PppParseError::Truncated},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Exact e(c.bytes);
    const auto p = decode_cp_packet(span_of(e));
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error(), c.error) << to_string(p.error());
  }
}

TEST(CpPacket, EveryTruncationOfAValidPacketFails) {
  const auto bytes = hex("01 05 000e | 01 04 05dc | 03 04 c023 | 07 02");
  for (size_t n = 0; n < bytes.size(); ++n) {
    SCOPED_TRACE(n);
    Exact e(bytes, n);
    EXPECT_FALSE(decode_cp_packet(span_of(e)).ok());
  }
  Exact whole(bytes);
  EXPECT_TRUE(decode_cp_packet(span_of(whole)).ok());
}

TEST(CpOptions, WalksTypeLengthData) {
  const auto data = hex("01 04 05dc | 07 02 | 03 05 c223 81 | fe 03 aa");
  Exact e(data);
  const auto o = decode_options(span_of(e));
  ASSERT_TRUE(o.ok());
  ASSERT_EQ(o->size(), 4u);
  EXPECT_EQ((*o)[0].type, 1);
  EXPECT_EQ((*o)[0].value.size(), 2u);
  EXPECT_EQ((*o)[1].type, 7);
  EXPECT_TRUE((*o)[1].value.empty());
  EXPECT_EQ((*o)[2].raw.size(), 5u);
  EXPECT_EQ((*o)[3].type, 0xfe);
  EXPECT_EQ((*o)[3].value[0], 0xaa);
}

TEST(CpOptions, EmptyListIsValid) {
  const auto o = decode_options({});
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->empty());
}

TEST(CpOptions, NegativeTable) {
  // §6: Length counts Type and Length; 0 and 1 are impossible, and no option may run past the
  // packet (accel-ppp 9554ce05 is the bug these guard against).
  const std::vector<std::vector<uint8_t>> cases = {
      hex("01"),                // Type without Length
      hex("01 00"),             // Length 0
      hex("01 01"),             // Length 1
      hex("01 04 05"),          // Length past the data
      hex("07 02 | 01 ff 00"),  // second option's Length 255 past the data
      hex("07 02 | 08"),        // a lone Type after a good option
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    Exact e(cases[i]);
    const auto o = decode_options(span_of(e));
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.error(), PppParseError::BadOptionLength);
  }
}

TEST(CpPacketBuilder, WritesLengthAndOptions) {
  CpPacketBuilder b(CpCode::ConfReq, 0x42);
  b.option_u16(1, 1500);
  b.option_flag(7);
  b.option_u32(5, 0x01020304);
  const auto bytes = std::move(b).finish();
  EXPECT_EQ(bytes, hex("01 42 0010 | 01 04 05dc | 07 02 | 05 06 01020304"));
  Exact e(bytes);
  const auto p = decode_cp_packet(span_of(e));
  ASSERT_TRUE(p.ok());
  const auto o = decode_options(p->data);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->size(), 3u);
}

TEST(CpPacketBuilder, LongOptionValueIsCutAt253) {
  std::vector<uint8_t> v(300, 0xab);
  CpPacketBuilder b(CpCode::ConfReq, 1);
  b.option(0x80, v);
  const auto bytes = std::move(b).finish();
  ASSERT_EQ(bytes.size(), 4u + 255u);
  EXPECT_EQ(bytes[5], 255);
}

TEST(CpCode, Names) {
  EXPECT_EQ(to_string(CpCode::ConfReq), "Configure-Request");
  EXPECT_EQ(to_string(CpCode::ProtRej), "Protocol-Reject");
  EXPECT_EQ(to_string(static_cast<CpCode>(99)), "?");
}

}  // namespace
}  // namespace l2tpgw::cp::ppp
