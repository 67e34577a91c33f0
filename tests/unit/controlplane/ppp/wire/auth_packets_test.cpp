// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ppp/wire/auth_packets: PAP (RFC 1334 §2.2), CHAP (RFC 1994 §4),
// MS-CHAP (RFC 2433 §4) and MS-CHAP-V2 (RFC 2759 §4) packets.
#include "controlplane/ppp/wire/auth_packets.hpp"

#include <string>

#include <gtest/gtest.h>

#include "common/wire/wire_test_util.hpp"

namespace l2tpgw::cp::ppp {
namespace {

using wire::test::Exact;
using wire::test::hex;

std::string text(std::span<const uint8_t> b) { return {b.begin(), b.end()}; }

CpPacket packet(const Exact& e) {
  const auto p = decode_cp_packet({e.data(), e.size()});
  EXPECT_TRUE(p.ok());
  return *p;
}

TEST(Pap, AuthenticateRequest) {
  const auto bytes = build_pap_auth_request(7, "l2tp_user1", "l2tp_password1");
  // Code 1, Id 7, Length 4 + 1 + 10 + 1 + 14 = 30.
  EXPECT_EQ(bytes.size(), 30u);
  EXPECT_EQ(bytes[0], 1);
  EXPECT_EQ(bytes[1], 7);
  Exact e(bytes);
  const auto r = decode_pap_auth_request(packet(e));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(text(r->peer_id), "l2tp_user1");
  EXPECT_EQ(text(r->password), "l2tp_password1");
}

TEST(Pap, EmptyFieldsAndTrailingOctets) {
  Exact empty(hex("01 01 0006 00 00"));
  const auto r = decode_pap_auth_request(packet(empty));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->peer_id.empty());
  EXPECT_TRUE(r->password.empty());
  Exact trailing(hex("01 01 0009 01 61 01 62 ff"));
  EXPECT_TRUE(decode_pap_auth_request(packet(trailing)).ok());
}

TEST(Pap, NegativeTable) {
  const std::vector<std::vector<uint8_t>> cases = {
      hex("01 01 0004"),              // no Peer-ID Length
      hex("01 01 0005 03"),           // Peer-ID past the data
      hex("01 01 0007 02 6162"),      // no Passwd-Length
      hex("01 01 0009 02 6162 05 63"),// Password past the data
      hex("01 01 0006 ff 00"),        // Peer-ID Length 255
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    Exact e(cases[i]);
    const auto r = decode_pap_auth_request(packet(e));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), PppParseError::BadFieldLength);
  }
}

TEST(Pap, Replies) {
  const auto ack = build_pap_reply(PapCode::AuthAck, 9, "ok");
  EXPECT_EQ(ack, hex("02 09 0007 02 6f6b"));
  Exact e(ack);
  const auto m = decode_pap_reply(packet(e));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(text(*m), "ok");
  Exact bad(hex("03 09 0006 05 6f"));
  EXPECT_FALSE(decode_pap_reply(packet(bad)).ok());
}

TEST(Chap, ChallengeAndResponse) {
  const std::vector<uint8_t> value(16, 0x5a);
  const auto bytes = build_chap_value_name(ChapCode::Challenge, 0x33, value, "l2tpgw");
  EXPECT_EQ(bytes.size(), 4u + 1u + 16u + 6u);
  Exact e(bytes);
  const auto vn = decode_chap_value_name(packet(e));
  ASSERT_TRUE(vn.ok());
  EXPECT_EQ(vn->value.size(), 16u);
  EXPECT_EQ(text(vn->name), "l2tpgw");
}

TEST(Chap, NegativeTable) {
  struct Case {
    std::vector<uint8_t> bytes;
    PppParseError error;
  };
  const Case cases[] = {
      {hex("02 01 0004"), PppParseError::BadFieldLength},       // no Value-Size
      {hex("02 01 0005 00"), PppParseError::BadValue},          // Value-Size 0
      {hex("02 01 0006 02 aa"), PppParseError::BadFieldLength}, // Value past the data
      {hex("02 01 0005 ff"), PppParseError::BadFieldLength},
  };
  for (const auto& c : cases) {
    Exact e(c.bytes);
    const auto vn = decode_chap_value_name(packet(e));
    ASSERT_FALSE(vn.ok());
    EXPECT_EQ(vn.error(), c.error);
  }
}

TEST(Chap, Messages) {
  EXPECT_EQ(build_chap_message(ChapCode::Success, 4, "S=AB"), hex("03 04 0008 533d4142"));
  EXPECT_EQ(build_chap_message(ChapCode::Failure, 4, ""), hex("04 04 0004"));
}

TEST(MsChap, V1Response) {
  std::vector<uint8_t> v(49, 0);
  for (size_t i = 0; i < 24; ++i) v[i] = 0x11;
  for (size_t i = 24; i < 48; ++i) v[i] = 0x22;
  v[48] = 1;
  const auto r = decode_ms_chap_v1_response(v);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->lm_response[0], 0x11);
  EXPECT_EQ(r->nt_response[0], 0x22);
  EXPECT_EQ(r->nt_response.size(), 24u);
  EXPECT_EQ(r->use_nt, 1);
  v.pop_back();
  EXPECT_FALSE(decode_ms_chap_v1_response(v).ok());
}

TEST(MsChap, V2Response) {
  std::vector<uint8_t> v(49, 0);
  for (size_t i = 0; i < 16; ++i) v[i] = static_cast<uint8_t>(i);
  for (size_t i = 24; i < 48; ++i) v[i] = 0xcc;
  const auto r = decode_ms_chap_v2_response(v);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->peer_challenge[15], 15);
  EXPECT_EQ(r->reserved.size(), 8u);
  EXPECT_EQ(r->nt_response[23], 0xcc);
  EXPECT_EQ(r->flags, 0);
  v.push_back(0);
  EXPECT_FALSE(decode_ms_chap_v2_response(v).ok());
  EXPECT_FALSE(decode_ms_chap_v2_response({}).ok());
}

}  // namespace
}  // namespace l2tpgw::cp::ppp
