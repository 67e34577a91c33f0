// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ppp/auth/md4: the RFC 1320 Appendix A.5 test suite.
#include "controlplane/ppp/auth/md4.hpp"

#include <string>

#include <gtest/gtest.h>

#include "vector_file.hpp"

namespace l2tpgw::cp::ppp {
namespace {

std::string unquote(const std::string& s) {
  EXPECT_GE(s.size(), 2u);
  return s.substr(1, s.size() - 2);
}

TEST(Md4, Rfc1320TestSuite) {
  const auto records = test::load_vectors("rfc1320/md4.txt");
  ASSERT_EQ(records.size(), 7u);
  for (const auto& r : records) {
    const std::string text = unquote(r.at("text"));
    SCOPED_TRACE(text);
    const auto d = md4({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
    EXPECT_EQ(test::to_hex(d.data(), d.size()), r.at("digest"));
  }
}

TEST(Md4, EveryLengthAroundTheBlockBoundaries) {
  // The padding takes one or two blocks: 55, 56 and 63, 64, 65 octets are the edges.
  // Expected values from `openssl dgst -md4 -provider legacy` over "a" repeated n times.
  const struct {
    size_t n;
    const char* digest;
  } cases[] = {
      {55, "c889c81dd86c4d2e025778944ea02881"},
      {56, "d5f9a9e9257077a5f08b0b92f348b0ad"},
      {63, "7ea3da77432d44c323671097d1348fc8"},
      {64, "52f5076fabd22680234a3fa9f9dc5732"},
      {65, "330e377bf231f3cacfecc2c182fe7e5b"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.n);
    const std::string m(c.n, 'a');
    const auto d = md4({reinterpret_cast<const uint8_t*>(m.data()), m.size()});
    EXPECT_EQ(test::to_hex(d.data(), d.size()), c.digest);
  }
}

}  // namespace
}  // namespace l2tpgw::cp::ppp
