// SPDX-License-Identifier: Apache-2.0
// Differential libFuzzer target: the IPv4 fragmenter (RFC 791 §2.3, §3.2) against a trivial
// reassembler. Every accepted packet must come back whole from its fragments, each fragment a
// valid header within the MTU carrying the right options.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/wire/ipv4.hpp"
#include "dataplane/stages/ip4_fragment.hpp"

using namespace l2tpgw;
using namespace l2tpgw::dp;

namespace {

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// The header checksum is made right when the header is there, so that the fuzzer spends its
// time on lengths, flags and options rather than on finding checksums.
void fix_checksum(std::vector<uint8_t>& p) {
  if (p.size() < 20) return;
  const size_t hl = (p[0] & 0x0f) * 4u;
  if (hl < 20 || hl > p.size()) return;
  p[10] = p[11] = 0;
  const uint16_t ck = wire::fold_checksum(wire::ones_sum(p.data(), hl));
  p[10] = static_cast<uint8_t>(ck >> 8);
  p[11] = static_cast<uint8_t>(ck);
}

}  // namespace

// Input: 2 bytes MTU (big endian), then the packet.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint16_t mtu = be16(data);
  std::vector<uint8_t> pkt(data + 2, data + size);
  fix_checksum(pkt);
  FragPlan plan;
  if (plan_ipv4_fragments(ByteReader(pkt.data(), pkt.size()), mtu, &plan) != FragError::None)
    return 0;
  auto h = wire::decode_ipv4(ByteReader(pkt.data(), pkt.size()));
  if (!h) std::abort();  // accepted means a valid header
  if (plan.count < 1 || plan.count > kMaxFragments) std::abort();
  const uint32_t base = (h->flags_frag & wire::kIpv4FragOffsetMask) * 8u;

  std::vector<uint8_t> data_back;
  std::vector<uint8_t> first(pkt.begin(), pkt.begin() + h->total_length);
  make_first_fragment(first.data(), plan);
  first.resize(plan.fragment_len(0));
  for (uint16_t k = 0; k < plan.count; ++k) {
    std::vector<uint8_t> f;
    if (k == 0) {
      f = first;
    } else {
      // Exactly the size needed, so that ASan catches any write past it.
      f.resize(plan.fragment_len(k));
      if (write_ipv4_fragment(plan, k, f) != f.size()) std::abort();
    }
    auto fh = wire::decode_ipv4(ByteReader(f.data(), f.size()));
    if (!fh || fh->total_length != f.size()) std::abort();
    if (plan.count > 1 && f.size() > mtu) std::abort();
    const bool last = k + 1 == plan.count;
    const bool mf = fh->flags_frag & wire::kIpv4FlagMf;
    if (mf != (last ? (h->flags_frag & wire::kIpv4FlagMf) != 0 : true)) std::abort();
    if ((fh->flags_frag & wire::kIpv4FlagDf) != (h->flags_frag & wire::kIpv4FlagDf)) std::abort();
    const uint32_t off = (fh->flags_frag & wire::kIpv4FragOffsetMask) * 8u;
    if (off != base + data_back.size()) std::abort();  // no hole, no overlap, in order
    const uint32_t n = fh->total_length - fh->ihl_bytes;
    if (!last && n % 8) std::abort();
    if (k == 0 && std::memcmp(f.data() + 20, pkt.data() + 20, h->ihl_bytes - 20u)) std::abort();
    if (std::memcmp(f.data() + 12, pkt.data() + 12, 8) || f[9] != pkt[9] ||
        be16(f.data() + 4) != h->id)
      std::abort();
    data_back.insert(data_back.end(), f.begin() + fh->ihl_bytes, f.end());
  }
  // (memcmp is not given an empty vector's null data: a packet may carry no data at all.)
  if (data_back.size() != h->total_length - h->ihl_bytes ||
      (!data_back.empty() &&
       std::memcmp(data_back.data(), pkt.data() + h->ihl_bytes, data_back.size())))
    std::abort();
  return 0;
}
