// SPDX-License-Identifier: Apache-2.0
// The CHAP response computations an authenticator checks: CHAP-MD5 (RFC 1994 §2),
// MS-CHAP (RFC 2433 Appendix A) and MS-CHAP-V2 (RFC 2759 §8), named as the RFCs name them.
//
// Pure functions: no state, no logging. Passwords and hashes are secrets: intermediate
// buffers are cleansed before return; callers compare results with constant_time_equal().
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace l2tpgw::cp::ppp {

using NtPasswordHashValue = std::array<uint8_t, 16>;
using ChallengeResponseValue = std::array<uint8_t, 24>;

// RFC 1994 §2: the Response Value is MD5(Identifier || secret || Challenge Value).
std::array<uint8_t, 16> chap_md5_response(uint8_t identifier, std::string_view secret,
                                          std::span<const uint8_t> challenge);

// The password as Windows hashes it: UTF-16LE (RFC 2759 errata 1924). The configured password
// is read as UTF-8; an octet that is not valid UTF-8 becomes U+FFFD.
std::vector<uint8_t> utf16le_password(std::string_view password);

// RFC 2759 §8.3 NtPasswordHash (also RFC 2433 §A.2): MD4 of the UTF-16LE password.
NtPasswordHashValue nt_password_hash(std::string_view password);
// RFC 2759 §8.4 HashNtPasswordHash: MD4 of the hash.
NtPasswordHashValue hash_nt_password_hash(const NtPasswordHashValue& hash);

// RFC 2759 §8.5 ChallengeResponse (RFC 2433 §A.5): the 8-octet challenge DES-encrypted under
// the three 7-octet thirds of the zero-padded 21-octet hash.
ChallengeResponseValue challenge_response(std::span<const uint8_t, 8> challenge,
                                          const NtPasswordHashValue& hash);

// RFC 2433 §A.1 NtChallengeResponse: MS-CHAP's NT-Response for an 8-octet challenge.
ChallengeResponseValue nt_challenge_response(std::span<const uint8_t, 8> challenge,
                                             std::string_view password);

// RFC 2759 §8.2 ChallengeHash: the first 8 octets of
// SHA1(PeerChallenge || AuthenticatorChallenge || UserName). `username` excludes any
// "DOMAIN\" prefix (§4: "only the user name is used").
std::array<uint8_t, 8> challenge_hash(std::span<const uint8_t, 16> peer_challenge,
                                      std::span<const uint8_t, 16> authenticator_challenge,
                                      std::string_view username);

// RFC 2759 §8.1 GenerateNTResponse.
ChallengeResponseValue generate_nt_response(std::span<const uint8_t, 16> authenticator_challenge,
                                            std::span<const uint8_t, 16> peer_challenge,
                                            std::string_view username, std::string_view password);

// RFC 2759 §8.7 GenerateAuthenticatorResponse: "S=" and 40 upper-case hex digits, what the
// Success packet carries and the peer checks (§5).
std::string generate_authenticator_response(std::string_view password,
                                            std::span<const uint8_t, 24> nt_response,
                                            std::span<const uint8_t, 16> peer_challenge,
                                            std::span<const uint8_t, 16> authenticator_challenge,
                                            std::string_view username);

// The user name MS-CHAP-V2 hashes: the Name field after the last '\' (RFC 2759 §4).
std::string_view ms_chap_user_name(std::string_view name);

// Equality without an early exit, for responses and passwords.
bool constant_time_equal(std::span<const uint8_t> a, std::span<const uint8_t> b);

}  // namespace l2tpgw::cp::ppp
