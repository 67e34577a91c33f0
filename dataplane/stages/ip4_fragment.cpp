// SPDX-License-Identifier: Apache-2.0
// IPv4 fragmentation (RFC 791 §2.3, §3.2): plan, write each fragment, fix the first in place.
#include "dataplane/stages/ip4_fragment.hpp"

#include <cstring>

#include "common/wire/ipv4.hpp"

namespace l2tpgw::dp {
namespace {

// RFC 791 §3.1 option-type octet: | copied (1) | class (2) | number (5) |.
constexpr uint8_t kOptCopied = 0x80;
constexpr uint8_t kOptEnd = 0;  // End of Option List: single octet, ends the list
constexpr uint8_t kOptNop = 1;  // No Operation: single octet

void put_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// Fragment k's header fields that differ from the original's: total length, flags+offset
// (DF kept, MF set on all but the last, the last inheriting the original's MF) and checksum.
void finish_header(uint8_t* h, const FragPlan& plan, uint16_t k) {
  const uint16_t hl = plan.header_len(k);
  h[0] = static_cast<uint8_t>(0x40 | (hl / 4));
  put_be16(h + 2, plan.fragment_len(k));
  const uint16_t orig_flags = static_cast<uint16_t>((plan.ip[6] << 8) | plan.ip[7]);
  const bool mf = k + 1 < plan.count || plan.last_mf;
  const uint16_t offset = static_cast<uint16_t>(plan.base_offset + plan.data_offset(k) / 8);
  put_be16(h + 6, static_cast<uint16_t>((orig_flags & wire::kIpv4FlagDf) |
                                        (mf ? wire::kIpv4FlagMf : 0) | offset));
  put_be16(h + 10, 0);
  put_be16(h + 10, wire::fold_checksum(wire::ones_sum(h, hl)));
}

}  // namespace

FragError plan_ipv4_fragments(ByteReader packet, uint16_t mtu, FragPlan* plan) {
  const uint8_t* ip = packet.cursor();
  auto h = wire::decode_ipv4(packet);
  if (!h) return FragError::Malformed;
  FragPlan p;
  p.ip = ip;
  p.ihl = h->ihl_bytes;
  p.data_len = static_cast<uint16_t>(h->total_length - h->ihl_bytes);
  p.base_offset = h->flags_frag & wire::kIpv4FragOffsetMask;
  p.last_mf = h->flags_frag & wire::kIpv4FlagMf;

  // Options for fragments 1..: walk the list (RFC 791 §3.1), keep those flagged 'copied'.
  ByteReader opts(ip + 20, p.ihl - 20u);
  uint16_t n_opts = 0;
  while (!opts.empty()) {
    const uint8_t type = *opts.read_u8();
    if (type == kOptEnd) break;
    if (type == kOptNop) continue;
    auto len = opts.peek_u8();
    // The length octet counts the type and length octets themselves.
    if (!len || *len < 2 || !opts.skip(1) || !opts.skip(*len - 2u)) return FragError::BadOptions;
    if (type & kOptCopied) {
      std::memcpy(p.rest_options + n_opts, opts.cursor() - *len, *len);
      n_opts = static_cast<uint16_t>(n_opts + *len);
    }
  }
  // Pad with End of Option List octets (zeros, already there) to a 32-bit boundary.
  p.rest_ihl = static_cast<uint16_t>(20 + ((n_opts + 3u) & ~3u));

  if (mtu < p.ihl + 8u) return FragError::MtuTooSmall;
  p.first_data = static_cast<uint16_t>((mtu - p.ihl) & ~7u);
  p.rest_data = static_cast<uint16_t>((mtu - p.rest_ihl) & ~7u);
  if (p.data_len <= p.first_data) {
    p.first_data = p.data_len;
    p.count = 1;
  } else {
    const uint32_t rest = p.data_len - p.first_data;
    p.count = static_cast<uint16_t>(1 + (rest + p.rest_data - 1) / p.rest_data);
  }
  if (p.count > kMaxFragments) return FragError::TooManyFragments;
  // The last fragment's offset must fit the 13-bit field.
  if (p.base_offset + p.data_offset(static_cast<uint16_t>(p.count - 1)) / 8 >
      wire::kIpv4FragOffsetMask)
    return FragError::Malformed;
  *plan = p;
  return FragError::None;
}

size_t write_ipv4_fragment(const FragPlan& plan, uint16_t k, std::span<uint8_t> out) {
  if (k >= plan.count) return 0;
  const uint16_t len = plan.fragment_len(k);
  if (out.size() < len) return 0;
  uint8_t* h = out.data();
  if (k == 0) {
    std::memcpy(h, plan.ip, plan.ihl);
  } else {
    std::memcpy(h, plan.ip, 20);
    std::memcpy(h + 20, plan.rest_options, plan.rest_ihl - 20u);
  }
  finish_header(h, plan, k);
  std::memcpy(h + plan.header_len(k), plan.ip + plan.ihl + plan.data_offset(k),
              plan.fragment_data(k));
  return len;
}

void make_first_fragment(uint8_t* ip, const FragPlan& plan) { finish_header(ip, plan, 0); }

}  // namespace l2tpgw::dp
