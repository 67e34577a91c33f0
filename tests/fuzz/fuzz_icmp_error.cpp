// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the ICMP error rules (RFC 1812 §4.3.2.7) and builder (RFC 792, RFC 1191)
// over arbitrary originals: never a read past the input, and every message built is a valid
// IPv4/ICMP packet quoting exactly the original's header and first 64 bits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/wire/ipv4.hpp"
#include "dataplane/stages/icmp_error.hpp"

using namespace l2tpgw;
using namespace l2tpgw::dp;

// Input: one byte (bit 0: arrived as a link-layer broadcast; bit 1: type 3/4 else 11/0;
// bit 2: fix the header checksum), then the original packet.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t ctl = data[0];
  // A heap copy of exactly the input, so that ASan sees any read past it.
  std::vector<uint8_t> orig(data + 1, data + size);
  if ((ctl & 4) && orig.size() >= 20) {
    const size_t hl = (orig[0] & 0x0f) * 4u;
    if (hl >= 20 && hl <= orig.size()) {
      orig[10] = orig[11] = 0;
      const uint16_t ck = wire::fold_checksum(wire::ones_sum(orig.data(), hl));
      orig[10] = static_cast<uint8_t>(ck >> 8);
      orig[11] = static_cast<uint8_t>(ck);
    }
  }
  const ByteReader r(orig.data(), orig.size());
  const IcmpVerdict v = icmp_error_verdict(r, ctl & 1, 0xc00002ff);
  const IcmpErrorSpec spec = (ctl & 2) ? IcmpErrorSpec{kIcmpDestUnreachable, kIcmpCodeFragNeeded, 1400, 0xc0000201, 7}
                                       : IcmpErrorSpec{kIcmpTimeExceeded, kIcmpCodeTtlExceeded, 0, 0xc0000201, 7};
  std::vector<uint8_t> out(kIcmpErrorMaxLen);
  const size_t n = build_icmp_error(r, spec, out);
  auto h = wire::decode_ipv4(r);
  if (!h) {
    if (n != 0 || v != IcmpVerdict::Malformed) std::abort();
    return 0;
  }
  if (n == 0 || n > kIcmpErrorMaxLen) std::abort();  // any valid header can be quoted
  auto m = wire::decode_ipv4(ByteReader(out.data(), n));
  if (!m || m->total_length != n || m->protocol != wire::kIpProtoIcmp || m->dst != h->src) std::abort();
  if (wire::fold_checksum(wire::ones_sum(out.data() + 20, n - 20)) != 0) std::abort();
  const size_t data_len = h->total_length - h->ihl_bytes;
  const size_t quoted = h->ihl_bytes + (data_len < 8 ? data_len : 8);
  if (n != 28 + quoted || std::memcmp(out.data() + 28, orig.data(), quoted)) std::abort();
  return 0;
}
