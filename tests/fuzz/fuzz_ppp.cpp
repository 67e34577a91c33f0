// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: decode_ppp (RFC 1661 §2, ACFC/PFC) invariants on every accepted header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "common/wire/ppp.hpp"

using namespace l2tpgw;
using namespace l2tpgw::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto h = decode_ppp(ByteReader(data, size));
  if (!h) return 0;
  if (h->header_len < 1 || h->header_len > 4 || h->header_len > size) std::abort();
  // RFC 1661 §2: low byte odd, high byte even.
  if (!(h->protocol & 0x0001) || (h->protocol & 0x0100)) std::abort();
  // Re-encode what was decoded: the header bytes must be exactly these.
  const bool acf = data[0] == kPppAddress;
  if (acf && data[1] != kPppControl) std::abort();
  const size_t proto_len = h->header_len - (acf ? 2u : 0u);
  if (proto_len == 1) {
    if (h->protocol > 0xff || data[acf ? 2 : 0] != h->protocol) std::abort();
  } else if (proto_len == 2) {
    const size_t at = acf ? 2 : 0;
    if ((uint16_t{data[at]} << 8 | data[at + 1]) != h->protocol) std::abort();
  } else {
    std::abort();
  }
  return 0;
}
