// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ppp/wire/ipcp_options: RFC 1332 §3 and RFC 1877 §1 option sizes.
#include "controlplane/ppp/wire/ipcp_options.hpp"

#include <gtest/gtest.h>

#include "common/wire/wire_test_util.hpp"

namespace l2tpgw::cp::ppp {
namespace {

using wire::test::hex;

CpOption option(const std::vector<uint8_t>& raw) {
  const auto o = decode_options(raw);
  EXPECT_TRUE(o.ok());
  return o->front();
}

TEST(IpcpOptions, Addresses) {
  // Windows' IPCP request: IP-Address, Primary-DNS, Primary-NBNS, Secondary-DNS, Secondary-NBNS,
  // all 0.0.0.0.
  const auto req = hex("03 06 00000000 | 81 06 00000000 | 82 06 00000000 | 83 06 00000000 | 84 06 00000000");
  const auto opts = decode_options(req);
  ASSERT_TRUE(opts.ok());
  ASSERT_EQ(opts->size(), 5u);
  for (const auto& o : *opts) {
    EXPECT_TRUE(check_ipcp_option_size(o).ok());
    EXPECT_EQ(*decode_ipv4_option(o), 0u);
  }
  EXPECT_EQ(*decode_ipv4_option(option(hex("03 06 c0a8640a"))), 0xc0a8640au);
}

TEST(IpcpOptions, BadSizes) {
  for (const auto& raw : {hex("03 02"), hex("03 05 c0a864"), hex("81 07 c0a8640a00"), hex("84 04 0000")}) {
    const auto o = option(raw);
    EXPECT_FALSE(decode_ipv4_option(o).ok());
    EXPECT_FALSE(check_ipcp_option_size(o).ok());
  }
}

TEST(IpcpOptions, Compression) {
  // RFC 1332 §3.2: Van Jacobson, Max-Slot-Id 15, Comp-Slot-Id 1 (macOS and pppd send it).
  const auto vj = decode_ip_compression(option(hex("02 06 002d 0f 01")));
  ASSERT_TRUE(vj.ok());
  EXPECT_EQ(vj->protocol, kIpCompressionVj);
  EXPECT_EQ(vj->data.size(), 2u);
  EXPECT_FALSE(decode_ip_compression(option(hex("02 03 00"))).ok());
  EXPECT_FALSE(check_ipcp_option_size(option(hex("02 02"))).ok());
  EXPECT_TRUE(check_ipcp_option_size(option(hex("01 0a 0000000000000000"))).ok());  // unknown size rules
}

}  // namespace
}  // namespace l2tpgw::cp::ppp
