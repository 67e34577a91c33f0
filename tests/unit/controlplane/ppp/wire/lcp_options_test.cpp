// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ppp/wire/lcp_options: RFC 1661 §6 option sizes and the CHAP algorithm
// octet of RFC 1994 §3, RFC 2433 §2, RFC 2759 §2.
#include "controlplane/ppp/wire/lcp_options.hpp"

#include <gtest/gtest.h>

#include "common/wire/wire_test_util.hpp"

namespace l2tpgw::cp::ppp {
namespace {

using wire::test::hex;

// One option from its bytes (kept alive by the caller's vector).
CpOption option(const std::vector<uint8_t>& raw) {
  const auto o = decode_options(raw);
  EXPECT_TRUE(o.ok());
  EXPECT_EQ(o->size(), 1u);
  return o->front();
}

TEST(LcpOptions, Mru) {
  const auto good = hex("01 04 0578");
  EXPECT_EQ(*decode_mru(option(good)), 1400);
  for (const auto& bad : {hex("01 02"), hex("01 03 05"), hex("01 05 057800")}) {
    const auto r = decode_mru(option(bad));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), PppParseError::BadOptionSize);
  }
}

TEST(LcpOptions, AccmAndMagic) {
  const auto accm = hex("02 06 00000000");
  EXPECT_EQ(*decode_accm(option(accm)), 0u);
  const auto magic = hex("05 06 deadbeef");
  EXPECT_EQ(*decode_magic_number(option(magic)), 0xdeadbeefu);
  const auto zero = hex("05 06 00000000");
  EXPECT_EQ(*decode_magic_number(option(zero)), 0u);  // decoded; the policy Naks it (§6.4)
  for (const auto& bad : {hex("05 02"), hex("05 05 deadbe"), hex("05 07 deadbeef00")}) {
    EXPECT_FALSE(decode_magic_number(option(bad)).ok());
    EXPECT_FALSE(decode_accm(option(bad)).ok());
  }
}

TEST(LcpOptions, Flags) {
  EXPECT_TRUE(decode_flag_option(option(hex("07 02"))).ok());
  EXPECT_TRUE(decode_flag_option(option(hex("08 02"))).ok());
  EXPECT_FALSE(decode_flag_option(option(hex("07 03 00"))).ok());
}

TEST(LcpOptions, AuthProtocolValues) {
  struct Case {
    std::vector<uint8_t> raw;
    std::optional<AuthProtocol> protocol;
  };
  const Case cases[] = {
      {hex("03 04 c023"), AuthProtocol::Pap},
      {hex("03 05 c223 05"), AuthProtocol::ChapMd5},
      {hex("03 05 c223 80"), AuthProtocol::MsChapV1},
      {hex("03 05 c223 81"), AuthProtocol::MsChapV2},
      {hex("03 05 c223 06"), std::nullopt},      // CHAP with SHA-1: not ours
      {hex("03 04 c223"), std::nullopt},         // CHAP without its algorithm
      {hex("03 06 c223 8100"), std::nullopt},    // an extra octet
      {hex("03 05 c023 00"), std::nullopt},      // PAP with data
      {hex("03 04 c227"), std::nullopt},         // EAP (RFC 3748)
  };
  for (const auto& c : cases) {
    const auto a = decode_auth_protocol(option(c.raw));
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(auth_protocol_of(*a), c.protocol);
  }
  EXPECT_FALSE(decode_auth_protocol(option(hex("03 03 c2"))).ok());
  EXPECT_FALSE(decode_auth_protocol(option(hex("03 02"))).ok());
}

TEST(LcpOptions, PutAuthProtocolRoundTrips) {
  for (AuthProtocol p : {AuthProtocol::Pap, AuthProtocol::ChapMd5, AuthProtocol::MsChapV1, AuthProtocol::MsChapV2}) {
    CpPacketBuilder b(CpCode::ConfReq, 1);
    put_auth_protocol(b, p);
    const auto bytes = std::move(b).finish();
    const auto pkt = decode_cp_packet(bytes);
    ASSERT_TRUE(pkt.ok());
    const auto opts = decode_options(pkt->data);
    ASSERT_TRUE(opts.ok());
    ASSERT_EQ(opts->size(), 1u);
    const auto a = decode_auth_protocol(opts->front());
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(auth_protocol_of(*a), p);
  }
  CpPacketBuilder b(CpCode::ConfReq, 1);
  put_auth_protocol(b, AuthProtocol::MsChapV2);
  EXPECT_EQ(std::move(b).finish(), hex("01 01 0009 03 05 c223 81"));
}

TEST(LcpOptions, SizeCheckCoversEveryFixedSizeType) {
  EXPECT_TRUE(check_lcp_option_size(option(hex("01 04 05dc"))).ok());
  EXPECT_FALSE(check_lcp_option_size(option(hex("01 03 05"))).ok());
  EXPECT_FALSE(check_lcp_option_size(option(hex("02 04 0000"))).ok());
  EXPECT_FALSE(check_lcp_option_size(option(hex("03 03 c0"))).ok());
  EXPECT_FALSE(check_lcp_option_size(option(hex("05 04 0000"))).ok());
  EXPECT_FALSE(check_lcp_option_size(option(hex("07 03 00"))).ok());
  EXPECT_FALSE(check_lcp_option_size(option(hex("08 04 0000"))).ok());
  // Unknown and refused types: their size is the policy's business.
  EXPECT_TRUE(check_lcp_option_size(option(hex("0d 03 06"))).ok());
  EXPECT_TRUE(check_lcp_option_size(option(hex("13 02"))).ok());
}

TEST(LcpOptions, Names) {
  EXPECT_EQ(to_string(AuthProtocol::Pap), "PAP");
  EXPECT_EQ(to_string(AuthProtocol::ChapMd5), "CHAP");
  EXPECT_EQ(to_string(AuthProtocol::MsChapV1), "MSCHAP");
  EXPECT_EQ(to_string(AuthProtocol::MsChapV2), "MSCHAP-V2");
}

}  // namespace
}  // namespace l2tpgw::cp::ppp
