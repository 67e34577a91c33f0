// SPDX-License-Identifier: Apache-2.0
// Tests for common/wire/ipv4.hpp: RFC 791 header decoding, RFC 1071 checksum, RFC 1624 update.
#include "common/wire/ipv4.hpp"

#include <vector>
#include <optional>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "wire_test_util.hpp"

namespace l2tpgw::wire {
namespace {

using test::cat;
using test::Exact;
using test::hex;

// The classic RFC 791 §3.1 header example: 192.168.0.1 -> 192.168.0.199, UDP, DF, TTL 64,
// total length 115, checksum 0xb861 (RFC 1071 sum over the ten words).
const std::vector<uint8_t> kUdpHeader =
    hex("4500 0073 | 0000 4000 | 4011 b861 | c0a8 0001 | c0a8 00c7");
// IHL 6: one option word (three NOPs and End of Option List, RFC 791 §3.1 "Options"),
// MF set, fragment offset 0: a first fragment. Total length 32 = header + 8 bytes.
const std::vector<uint8_t> kOptionsHeader =
    hex("4600 0020 | abcd 2000 | 4001 980c | 0a00 0001 | 0a00 0002 | 0101 0100");
// IHL 15 (60 bytes, the maximum), ESP, TTL 255, total length 60: a header and nothing else.
const std::vector<uint8_t> kMaxIhlHeader = cat(
    hex("4f00 003c | 1234 0000 | ff32 7745 | 0a00 0001 | 0a00 0002"), std::vector<uint8_t>(40, 1));

std::vector<uint8_t> with_payload(std::vector<uint8_t> h, size_t n) {
  h.resize(h.size() + n, 0xee);
  return h;
}

struct GoodCase {
  std::string name;
  std::vector<uint8_t> bytes;
  uint8_t ihl_bytes, tos, ttl, protocol;
  uint16_t total_length, id, flags_frag, checksum;
  uint32_t src, dst;
  bool fragment;
};

TEST(Ipv4Decode, GoodHeaders) {
  const GoodCase cases[] = {
      {"rfc791_udp_df", with_payload(kUdpHeader, 95), 20, 0, 0x40, kIpProtoUdp, 115, 0, 0x4000,
       0xb861, 0xc0a80001, 0xc0a800c7, false},
      // Bytes after total_length (Ethernet padding) are allowed and ignored.
      {"rfc791_udp_trailing_bytes", with_payload(kUdpHeader, 200), 20, 0, 0x40, kIpProtoUdp, 115,
       0, 0x4000, 0xb861, 0xc0a80001, 0xc0a800c7, false},
      {"options_first_fragment", with_payload(kOptionsHeader, 8), 24, 0, 0x40, kIpProtoIcmp, 32,
       0xabcd, 0x2000, 0x980c, 0x0a000001, 0x0a000002, true},
      {"max_ihl_no_payload", kMaxIhlHeader, 60, 0, 0xff, kIpProtoEsp, 60, 0x1234, 0, 0x7745,
       0x0a000001, 0x0a000002, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Exact buf(c.bytes);
    auto h = decode_ipv4(buf.reader());
    ASSERT_TRUE(h.ok()) << to_string(h.error());
    EXPECT_EQ(h->ihl_bytes, c.ihl_bytes);
    EXPECT_EQ(h->tos, c.tos);
    EXPECT_EQ(h->total_length, c.total_length);
    EXPECT_EQ(h->id, c.id);
    EXPECT_EQ(h->flags_frag, c.flags_frag);
    EXPECT_EQ(h->ttl, c.ttl);
    EXPECT_EQ(h->protocol, c.protocol);
    EXPECT_EQ(h->checksum, c.checksum);
    EXPECT_EQ(h->src, c.src);
    EXPECT_EQ(h->dst, c.dst);
    EXPECT_EQ(h->is_fragment(), c.fragment);
  }
}

TEST(Ipv4Decode, FragmentFlags) {
  // RFC 791 §3.1: MF or a non-zero offset make a fragment; DF alone does not.
  EXPECT_FALSE((Ipv4Header{.flags_frag = kIpv4FlagDf}).is_fragment());
  EXPECT_FALSE((Ipv4Header{.flags_frag = 0}).is_fragment());
  EXPECT_TRUE((Ipv4Header{.flags_frag = kIpv4FlagMf}).is_fragment());
  EXPECT_TRUE((Ipv4Header{.flags_frag = 1}).is_fragment());
  EXPECT_TRUE((Ipv4Header{.flags_frag = kIpv4FragOffsetMask}).is_fragment());
  EXPECT_TRUE((Ipv4Header{.flags_frag = kIpv4FlagDf | 0x0100}).is_fragment());
}

// Sets a 16-bit word and recomputes the header checksum (an independent RFC 1071 loop).
// The checksum covers the IHL of the header as it was before the patch.
std::vector<uint8_t> patched(std::vector<uint8_t> h, size_t at, uint16_t v) {
  const size_t ihl = (h[0] & 0x0f) * 4u;
  h[at] = static_cast<uint8_t>(v >> 8);
  h[at + 1] = static_cast<uint8_t>(v);
  h[10] = h[11] = 0;
  uint32_t s = 0;
  for (size_t i = 0; i + 1 < ihl && i + 1 < h.size(); i += 2) s += uint32_t{h[i]} << 8 | h[i + 1];
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  h[10] = static_cast<uint8_t>(~s >> 8);
  h[11] = static_cast<uint8_t>(~s);
  return h;
}

std::vector<uint8_t> first(const std::vector<uint8_t>& v, size_t n) {
  return std::vector<uint8_t>(v.begin(), v.begin() + static_cast<ptrdiff_t>(n));
}

struct BadCase {
  std::string name;
  std::vector<uint8_t> bytes;
  ParseError want;
};

TEST(Ipv4Decode, NegativeTable) {
  const auto base = with_payload(kUdpHeader, 95);  // exactly total_length bytes
  const BadCase cases[] = {
      {"empty", {}, ParseError::Truncated},
      {"version_6", patched(base, 0, 0x6500), ParseError::BadVersion},
      {"version_0", patched(base, 0, 0x0500), ParseError::BadVersion},
      {"version_15", patched(base, 0, 0xf500), ParseError::BadVersion},
      {"ihl_0", patched(base, 0, 0x4000), ParseError::BadHeaderLength},
      {"ihl_1", patched(base, 0, 0x4100), ParseError::BadHeaderLength},
      {"ihl_4", patched(base, 0, 0x4400), ParseError::BadHeaderLength},
      // IHL claims more than the 20 bytes there are.
      {"ihl_15_20_bytes", first(patched(base, 0, 0x4f00), 20), ParseError::Truncated},
      {"ihl_6_20_bytes", first(kOptionsHeader, 20), ParseError::Truncated},
      // Total Length: 0, 1, ihl-1 (below the header), available+1, max (65535).
      {"total_0", patched(base, 2, 0), ParseError::BadTotalLength},
      {"total_1", patched(base, 2, 1), ParseError::BadTotalLength},
      {"total_19", patched(base, 2, 19), ParseError::BadTotalLength},
      {"total_available_plus_1", patched(base, 2, 116), ParseError::BadTotalLength},
      {"total_65535", patched(base, 2, 0xffff), ParseError::BadTotalLength},
      {"options_total_23", patched(with_payload(kOptionsHeader, 8), 2, 23),
       ParseError::BadTotalLength},
      {"bad_checksum", [&] { auto b = base; b[11] ^= 1; return b; }(), ParseError::BadChecksum},
      {"bad_checksum_in_option", [&] {
         auto b = with_payload(kOptionsHeader, 8);
         b[23] = 1;  // the option word is covered by the checksum
         return b;
       }(), ParseError::BadChecksum},
      {"zero_checksum", [&] { auto b = base; b[10] = b[11] = 0; return b; }(),
       ParseError::BadChecksum},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Exact buf(c.bytes);
    auto h = decode_ipv4(buf.reader());
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error(), c.want) << to_string(h.error());
  }
}

TEST(Ipv4Decode, TotalLengthBoundaries) {
  const auto base = with_payload(kUdpHeader, 95);
  // total == ihl (no payload) and total == available (max) are both fine.
  for (uint16_t total : {uint16_t{20}, uint16_t{21}, uint16_t{115}}) {
    SCOPED_TRACE(total);
    Exact buf(patched(base, 2, total));
    auto h = decode_ipv4(buf.reader());
    ASSERT_TRUE(h.ok()) << to_string(h.error());
    EXPECT_EQ(h->total_length, total);
  }
}

TEST(Ipv4Decode, TruncationAtEveryByte) {
  for (const auto* full : {&kUdpHeader, &kOptionsHeader, &kMaxIhlHeader}) {
    for (size_t n = 0; n < full->size(); ++n) {
      SCOPED_TRACE(testing::Message() << "ihl " << (((*full)[0] & 0xf) * 4) << " cut at " << n);
      Exact buf(*full, n);
      auto h = decode_ipv4(buf.reader());
      ASSERT_FALSE(h.ok());
      EXPECT_EQ(h.error(), ParseError::Truncated);
    }
  }
  // A whole header whose payload is cut short is a bad total length, never a success.
  for (size_t n = 20; n < 115; ++n) {
    Exact buf(with_payload(kUdpHeader, 95), n);
    auto h = decode_ipv4(buf.reader());
    ASSERT_FALSE(h.ok()) << n;
    EXPECT_EQ(h.error(), ParseError::BadTotalLength);
  }
}

TEST(Ipv4Decode, ReadsAtTheReaderCursor) {
  // The header need not start at byte 0 of the span: the checksum covers the cursor onward.
  auto bytes = cat(hex("dead beef"), with_payload(kUdpHeader, 95));
  Exact buf(bytes);
  ByteReader r = buf.reader();
  ASSERT_TRUE(r.skip(4));
  auto h = decode_ipv4(r);
  ASSERT_TRUE(h.ok()) << to_string(h.error());
  EXPECT_EQ(h->dst, 0xc0a800c7u);
}

// RFC 1071 §3 numerical example: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0x2ddf0, which folds to
// 0xddf2; the checksum is its complement.
TEST(Ipv4Checksum, Rfc1071Example) {
  const auto b = hex("0001 f203 f4f5 f6f7");
  // ones_sum may return the sum folded or not (carries are end-around either way).
  EXPECT_EQ(fold_checksum(ones_sum(b.data(), b.size())), static_cast<uint16_t>(~0xddf2));
  EXPECT_EQ(ones_sum(b.data(), b.size()) % 0xffff, 0x2ddf0u % 0xffff);
  EXPECT_EQ(fold_checksum(0x2ddf0), static_cast<uint16_t>(~0xddf2));
  // Order does not matter (§2 (B)): a sum in two pieces, carried, gives the same result.
  EXPECT_EQ(fold_checksum(ones_sum(b.data() + 4, 4, ones_sum(b.data(), 4))), 0x220d);
}

TEST(Ipv4Checksum, OddLengthPadsWithZero) {
  // RFC 1071 §4.1: a trailing odd byte is added as the high byte of a word.
  const auto odd = hex("0001 f2");
  const auto even = hex("0001 f200");
  EXPECT_EQ(ones_sum(odd.data(), odd.size()), ones_sum(even.data(), even.size()));
  EXPECT_EQ(ones_sum(odd.data(), 0), 0u);
  EXPECT_EQ(ones_sum(odd.data(), 0, 77), 77u);
}

TEST(Ipv4Checksum, FoldCarriesTwice) {
  EXPECT_EQ(fold_checksum(0), 0xffff);
  EXPECT_EQ(fold_checksum(0xffff), 0x0000);
  // 0x1fffe -> 0xffff -> complemented 0; needs the end-around carry once.
  EXPECT_EQ(fold_checksum(0x1fffe), 0x0000);
  // 0xffff0001 + carries: 0x0001 + 0xffff = 0x10000 -> 0x0001 -> ~ = 0xfffe.
  EXPECT_EQ(fold_checksum(0xffff0001u), 0xfffe);
  // A valid header sums to 0xffff, so its folded complement is 0.
  EXPECT_EQ(fold_checksum(ones_sum(kUdpHeader.data(), kUdpHeader.size())), 0);
}

// RFC 1624: updating the checksum for a changed 16-bit word must agree with recomputing it.
TEST(Ipv4Checksum, Update16MatchesRecomputation) {
  std::mt19937 rng(1624);
  std::uniform_int_distribution<uint32_t> u16(0, 0xffff);
  // Words 0..9 except the checksum (word 5), including TTL/protocol (4) and addresses (6..9).
  const size_t words[] = {0, 1, 2, 3, 4, 6, 7, 8, 9};
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> h = kUdpHeader;
    for (size_t i = 4; i < 20; ++i) h[i] = static_cast<uint8_t>(u16(rng));
    h = patched(h, 2, 20);  // a valid checksum for the random header
    const size_t w = words[u16(rng) % std::size(words)];
    const uint16_t old_v = static_cast<uint16_t>(h[2 * w] << 8 | h[2 * w + 1]);
    // Include the RFC 1624 §3 corner values 0x0000 and 0xffff for the new word.
    const uint16_t new_v = iter % 3 == 0 ? 0 : iter % 3 == 1 ? 0xffff : static_cast<uint16_t>(u16(rng));
    const uint16_t hc = static_cast<uint16_t>(h[10] << 8 | h[11]);
    const auto want = patched(h, 2 * w, new_v);
    const uint16_t want_hc = static_cast<uint16_t>(want[10] << 8 | want[11]);
    ASSERT_EQ(checksum_update16(hc, old_v, new_v), want_hc)
        << "iter " << iter << " word " << w << " " << old_v << " -> " << new_v;
  }
}

TEST(Ipv4Checksum, Update16DecrementTtl) {
  // The forwarding case (RFC 1624 §1): TTL 0x40 -> 0x3f in the TTL/protocol word.
  auto h = with_payload(kUdpHeader, 95);
  const uint16_t hc = checksum_update16(0xb861, 0x4011, 0x3f11);
  h[8] = 0x3f;
  h[10] = static_cast<uint8_t>(hc >> 8);
  h[11] = static_cast<uint8_t>(hc);
  EXPECT_EQ(hc, 0xb961);
  Exact buf(h);
  EXPECT_TRUE(decode_ipv4(buf.reader()).ok());
  // Unchanged value: unchanged checksum.
  EXPECT_EQ(checksum_update16(0xb861, 0x4011, 0x4011), 0xb861);
}

// ones_sum sums native words; it must equal the plain big-endian byte-pair sum (RFC 1071 §4.1)
// for every length and alignment.
TEST(Ipv4Checksum, MatchesBytePairReference) {
  std::vector<uint8_t> buf(80);
  uint32_t x = 12345;
  for (auto& v : buf) v = static_cast<uint8_t>((x = x * 1103515245 + 12345) >> 16);
  for (size_t off = 0; off < 4; ++off) {
    for (size_t n = 0; n + off <= buf.size(); ++n) {
      uint32_t ref = 7;
      const uint8_t* p = buf.data() + off;
      size_t k = 0;
      for (; k + 1 < n; k += 2) ref += (uint32_t{p[k]} << 8) | p[k + 1];
      if (k < n) ref += uint32_t{p[k]} << 8;
      EXPECT_EQ(fold_checksum(ones_sum(p, n, 7)), fold_checksum(ref)) << "off " << off << " n " << n;
    }
  }
}

// The 20-byte fast path of ipv4_header_checksum_ok must say what the general sum says: for
// random headers, for each with its checksum made right, and for sums whose carries fold more
// than once (all-ones words) or not at all (all zeros, which is not a valid checksum).
TEST(Ipv4Checksum, HeaderVerifierMatchesGeneralSum) {
  std::mt19937 rng(791);
  auto general = [](const std::vector<uint8_t>& h) { return fold_checksum(ones_sum(h.data(), h.size())) == 0; };
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> h(20);
    for (auto& v : h) v = static_cast<uint8_t>(rng());
    ASSERT_EQ(ipv4_header_checksum_ok(h.data(), 20), general(h)) << "iter " << iter;
    h[10] = h[11] = 0;
    const uint16_t c = fold_checksum(ones_sum(h.data(), 20));
    h[10] = static_cast<uint8_t>(c >> 8);
    h[11] = static_cast<uint8_t>(c);
    ASSERT_TRUE(ipv4_header_checksum_ok(h.data(), 20)) << "iter " << iter;
    h[static_cast<size_t>(rng() % 20)] ^= static_cast<uint8_t>(1u << (rng() % 8));
    ASSERT_FALSE(ipv4_header_checksum_ok(h.data(), 20)) << "iter " << iter;
  }
  const std::vector<uint8_t> ones(20, 0xff), zeros(20, 0);
  EXPECT_EQ(ipv4_header_checksum_ok(ones.data(), 20), general(ones));
  EXPECT_TRUE(ipv4_header_checksum_ok(ones.data(), 20));  // -0 everywhere sums to -0
  EXPECT_FALSE(ipv4_header_checksum_ok(zeros.data(), 20));
  EXPECT_TRUE(ipv4_header_checksum_ok(kUdpHeader.data(), 20));
  EXPECT_TRUE(ipv4_header_checksum_ok(kOptionsHeader.data(), kOptionsHeader.size()));
  EXPECT_TRUE(ipv4_header_checksum_ok(kMaxIhlHeader.data(), kMaxIhlHeader.size()));
}

}  // namespace
}  // namespace l2tpgw::wire
