// SPDX-License-Identifier: Apache-2.0
// MD4 (RFC 1320), for the NT password hash of MS-CHAP (RFC 2433 §A.2) and MS-CHAP-V2
// (RFC 2759 §8.3).
//
// Why our own: OpenSSL 3.0 moved MD4 to its "legacy" provider. Debian 12's libssl3 ships
// legacy.so, but loading it changes what every EVP fetch in the process may return, and a
// box built with a different OpenSSL may not have it at all; the deprecated MD4_* API may go
// in a later release. MD4 is 60 lines and has the RFC's test suite
// (tests/unit/controlplane/ppp/auth/md4_test.cpp). Never use it for anything but MS-CHAP.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace l2tpgw::cp::ppp {

using Md4Digest = std::array<uint8_t, 16>;

Md4Digest md4(std::span<const uint8_t> message);

}  // namespace l2tpgw::cp::ppp
