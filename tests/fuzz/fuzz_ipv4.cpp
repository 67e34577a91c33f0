// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: decode_ipv4 (RFC 791) invariants and the RFC 1624 checksum update.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "common/wire/ipv4.hpp"

using namespace l2tpgw;
using namespace l2tpgw::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto h = decode_ipv4(ByteReader(data, size));
  if (!h) return 0;
  // On success the claims were checked: 20 <= IHL <= total length <= input, version 4,
  // and the header sums to zero.
  if (h->ihl_bytes < 20 || h->ihl_bytes > 60) std::abort();
  if (h->total_length < h->ihl_bytes || h->total_length > size) std::abort();
  if ((data[0] >> 4) != 4 || (data[0] & 0x0f) * 4u != h->ihl_bytes) std::abort();
  if (fold_checksum(ones_sum(data, h->ihl_bytes)) != 0) std::abort();
  if (h->src != (uint32_t{data[12]} << 24 | uint32_t{data[13]} << 16 | uint32_t{data[14]} << 8 |
                 data[15]))
    std::abort();

  // Decrement the TTL (RFC 1624 §1), update the checksum incrementally: it must still decode,
  // and agree with a full recomputation.
  std::vector<uint8_t> copy(data, data + h->total_length);
  const uint16_t old_word = static_cast<uint16_t>(copy[8] << 8 | copy[9]);
  copy[8] = static_cast<uint8_t>(copy[8] - 1);
  const uint16_t new_word = static_cast<uint16_t>(copy[8] << 8 | copy[9]);
  const uint16_t hc = checksum_update16(h->checksum, old_word, new_word);
  copy[10] = static_cast<uint8_t>(hc >> 8);
  copy[11] = static_cast<uint8_t>(hc);
  auto again = decode_ipv4(ByteReader(copy.data(), copy.size()));
  if (!again || again->ttl != static_cast<uint8_t>(h->ttl - 1)) std::abort();
  copy[10] = copy[11] = 0;
  if (fold_checksum(ones_sum(copy.data(), h->ihl_bytes)) != hc) std::abort();
  return 0;
}
