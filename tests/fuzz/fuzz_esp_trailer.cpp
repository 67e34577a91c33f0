// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: ESP trailer (RFC 4303 §2.4), header (§2) and NAT-T classification (RFC 3948 §2).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "common/wire/esp.hpp"

using namespace l2tpgw;
using namespace l2tpgw::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 0xffff) return 0;
  const uint32_t len = static_cast<uint32_t>(size);

  // Trailer: on success payload + pad + 2 == len and the pad is 1, 2, 3, ...
  if (auto t = decode_esp_trailer(data, len)) {
    if (t->payload_length + t->pad_length + kEspTrailerLen != len) std::abort();
    if (t->pad_length != data[len - 2] || t->next_header != data[len - 1]) std::abort();
    for (uint32_t i = 0; i < t->pad_length; ++i)
      if (data[t->payload_length + i] != i + 1) std::abort();
    // Re-padding the payload for the alignment the input implies keeps the arithmetic sane.
    const uint32_t align = 4u << (data[0] % 3);  // 4, 8 or 16
    const uint32_t pad = esp_pad_length(t->payload_length, align);
    if (pad >= align || (t->payload_length + pad + kEspTrailerLen) % align != 0) std::abort();
  } else if (len >= kEspTrailerLen && t.error() != ParseError::BadPadding) {
    std::abort();
  }

  // NAT-T: a keepalive is exactly one 0xFF; four zero bytes are the non-ESP marker.
  auto k = classify_natt_payload(ByteReader(data, size));
  const bool keepalive = size == 1 && data[0] == 0xff;
  if (keepalive != (k.ok() && *k == NatTKind::Keepalive)) std::abort();
  if (!keepalive && k.ok() != (size >= 4)) std::abort();
  if (k.ok() && size >= 4) {
    const bool zero = (data[0] | data[1] | data[2] | data[3]) == 0;
    if ((*k == NatTKind::NonEspMarker) != zero) std::abort();
  }

  // ESP header: succeeds exactly when there are 8 bytes and the SPI is not zero.
  auto e = decode_esp_header(ByteReader(data, size));
  if (size < kEspHeaderLen) {
    if (e.ok() || e.error() != ParseError::Truncated) std::abort();
  } else {
    const uint32_t spi = uint32_t{data[0]} << 24 | uint32_t{data[1]} << 16 |
                         uint32_t{data[2]} << 8 | data[3];
    if (e.ok() != (spi != 0)) std::abort();
    if (e.ok() && (e->spi != spi || k.ok() != true || *k != NatTKind::Esp)) std::abort();
  }
  return 0;
}
