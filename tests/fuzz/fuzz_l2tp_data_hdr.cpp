// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: decode_l2tp_v2 (RFC 2661 §3.1) and decode_l2tpv3 (RFC 3931 §4.1.2.1,
// §3.2.1) invariants on every accepted header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "common/wire/l2tp.hpp"

using namespace l2tpgw;
using namespace l2tpgw::wire;

namespace {

void check_v3(const uint8_t* data, size_t size) {
  auto h = decode_l2tpv3(ByteReader(data, size));
  if (!h) return;
  const uint16_t f = static_cast<uint16_t>(data[0] << 8 | data[1]);
  if (l2tp_version(f) != kL2tpVersion3 || h->control != l2tp_is_control(f)) std::abort();
  // The id is the 32 bits at offset 4, and a data message's is never 0.
  if (size < 8) std::abort();
  const uint32_t id = uint32_t{data[4]} << 24 | uint32_t{data[5]} << 16 | uint32_t{data[6]} << 8 | data[7];
  if (h->id != id || (!h->control && (id == 0 || f != kL2tpv3DataFlags))) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_v3(data, size);
  auto h = decode_l2tp_v2(ByteReader(data, size));
  if (!h) return 0;
  const uint16_t f = h->flags;
  if (f != (uint16_t{data[0]} << 8 | data[1])) std::abort();
  if (l2tp_version(f) != kL2tpVersion2 || (f & kL2tpReservedMask)) std::abort();
  if (l2tp_is_control(f) && (!(f & kL2tpFlagL) || !(f & kL2tpFlagS) || (f & kL2tpFlagO)))
    std::abort();
  // The header is at least its fixed fields, and header + payload never exceed the input.
  const size_t min_hdr = 6 + ((f & kL2tpFlagL) ? 2 : 0) + ((f & kL2tpFlagS) ? 4 : 0) +
                         ((f & kL2tpFlagO) ? 2 : 0);
  if (h->header_len < min_hdr) std::abort();
  if (size_t{h->header_len} + h->payload_len > size) std::abort();
  if (f & kL2tpFlagL) {
    if (size_t{h->header_len} + h->payload_len != h->length) std::abort();
  } else if (size_t{h->header_len} + h->payload_len != size) {
    std::abort();
  }
  if (f & kL2tpFlagO) {
    // The offset pad is exactly what Offset Size says.
    const size_t at = min_hdr - 2;
    const size_t off = size_t{data[at]} << 8 | data[at + 1];
    if (h->header_len != min_hdr + off) std::abort();
  } else if (h->header_len != min_hdr) {
    std::abort();
  }
  return 0;
}
