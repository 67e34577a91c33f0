// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ppp/auth/chap_crypto: RFC 2759 §9.2 (MS-CHAP-V2), RFC 2433
// Appendix B.2 (MS-CHAP), RFC 1994 CHAP-MD5 against values computed by Python's hashlib.
#include "controlplane/ppp/auth/chap_crypto.hpp"

#include <string>

#include <gtest/gtest.h>

#include "vector_file.hpp"

namespace l2tpgw::cp::ppp {
namespace {

using test::from_hex;
using test::to_hex;

template <class C>
std::string hex(const C& c) {
  return to_hex(c.data(), c.size());
}

TEST(MsChapV2, Rfc2759HashExample) {
  const auto records = test::load_vectors("rfc2759/ms_chap_v2.txt");
  ASSERT_EQ(records.size(), 1u);
  const auto& r = records[0];
  const std::string user = r.at("username"), password = r.at("password");
  const auto ac = from_hex(r.at("authenticator_challenge"));
  const auto pc = from_hex(r.at("peer_challenge"));
  ASSERT_EQ(ac.size(), 16u);
  ASSERT_EQ(pc.size(), 16u);
  const std::span<const uint8_t, 16> auth_challenge(ac.data(), 16), peer_challenge(pc.data(), 16);

  EXPECT_EQ(hex(utf16le_password(password)), r.at("password_unicode"));
  // §8.2 ChallengeHash
  const auto challenge = challenge_hash(peer_challenge, auth_challenge, user);
  EXPECT_EQ(hex(challenge), r.at("challenge"));
  // §8.3 NtPasswordHash, §8.4 HashNtPasswordHash
  const auto ph = nt_password_hash(password);
  EXPECT_EQ(hex(ph), r.at("password_hash"));
  EXPECT_EQ(hex(hash_nt_password_hash(ph)), r.at("password_hash_hash"));
  // §8.5 ChallengeResponse and §8.1 GenerateNTResponse
  EXPECT_EQ(hex(challenge_response(challenge, ph)), r.at("nt_response"));
  const auto nt = generate_nt_response(auth_challenge, peer_challenge, user, password);
  EXPECT_EQ(hex(nt), r.at("nt_response"));
  // §8.7 GenerateAuthenticatorResponse
  EXPECT_EQ(generate_authenticator_response(password, nt, peer_challenge, auth_challenge, user),
            r.at("authenticator_response"));
}

TEST(MsChapV2, DomainIsNotHashed) {
  // RFC 2759 §4: "only the user name is used, without any associated Windows NT domain name".
  EXPECT_EQ(ms_chap_user_name("BIGCO\\johndoe"), "johndoe");
  EXPECT_EQ(ms_chap_user_name("johndoe"), "johndoe");
  EXPECT_EQ(ms_chap_user_name("A\\B\\c"), "c");
  EXPECT_EQ(ms_chap_user_name("trailing\\"), "");
}

TEST(MsChapV1, Rfc2433SampleData) {
  const auto records = test::load_vectors("rfc2433/ms_chap.txt");
  ASSERT_EQ(records.size(), 1u);
  const auto& r = records[0];
  const std::string password = r.at("password");
  const auto ch = from_hex(r.at("challenge"));
  ASSERT_EQ(ch.size(), 8u);
  EXPECT_EQ(hex(utf16le_password(password)), r.at("password_unicode"));
  EXPECT_EQ(hex(nt_password_hash(password)), r.at("password_hash"));
  EXPECT_EQ(hex(nt_challenge_response(std::span<const uint8_t, 8>(ch.data(), 8), password)), r.at("nt_response"));
}

TEST(ChapMd5, AgainstPythonHashlib) {
  const auto records = test::load_vectors("rfc1994/chap_md5.txt");
  ASSERT_EQ(records.size(), 4u);
  for (const auto& r : records) {
    SCOPED_TRACE(r.at("identifier"));
    const auto id = from_hex(r.at("identifier"));
    const auto ch = from_hex(r.at("challenge"));
    EXPECT_EQ(hex(chap_md5_response(id.at(0), r.at("secret"), ch)), r.at("response"));
  }
}

TEST(NtPasswordHash, Utf8PasswordsAreHashedAsUtf16) {
  // Expected values: Python's str.encode("utf-16-le") and `openssl dgst -md4` (legacy).
  EXPECT_EQ(hex(utf16le_password("pässwörd")), "7000e400730073007700f60072006400");
  EXPECT_EQ(hex(nt_password_hash("pässwörd")), "0553152250ac01adb4213cb9938663e4");
  EXPECT_EQ(hex(utf16le_password("密码")), "c65b0178");
  EXPECT_EQ(hex(nt_password_hash("密码")), "f900556f89880c4084e3c644c6c20b9c");
  // Above the BMP: a surrogate pair.
  EXPECT_EQ(hex(utf16le_password("a\xf0\x9f\x98\x80" "b")), "61003dd800de6200");
  EXPECT_EQ(hex(nt_password_hash("a\xf0\x9f\x98\x80" "b")), "ffdc8b254768fd97bf7c08fcffd66fc1");
}

TEST(NtPasswordHash, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(hex(utf16le_password("\xff")), "fdff");
  EXPECT_EQ(hex(utf16le_password("\xc3")), "fdff");                  // truncated sequence
  EXPECT_EQ(hex(utf16le_password("\xc0\xaf")), "fdfffdff");          // overlong '/'
  EXPECT_EQ(hex(utf16le_password("\xed\xa0\x80")), "fdfffdfffdff");  // a surrogate
  EXPECT_EQ(hex(utf16le_password("")), "");
}

TEST(ConstantTimeEqual, ComparesLengthAndBytes) {
  const uint8_t a[] = {1, 2, 3}, b[] = {1, 2, 3}, c[] = {1, 2, 4};
  EXPECT_TRUE(constant_time_equal(a, b));
  EXPECT_FALSE(constant_time_equal(a, c));
  EXPECT_FALSE(constant_time_equal(std::span<const uint8_t>(a, 2), b));
  EXPECT_TRUE(constant_time_equal({}, {}));
}

}  // namespace
}  // namespace l2tpgw::cp::ppp
