// SPDX-License-Identifier: Apache-2.0
// Tests for the IPv4 fragmenter (RFC 791 §2.3, §3.2): scapy's fragments byte for byte, then
// sizes, offsets, MF/DF, checksums, options and reassembly over many packets and MTUs, and the
// packets it must refuse.
#include "dataplane/stages/ip4_fragment.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/wire/ipv4.hpp"
#include "vector_file.hpp"

namespace l2tpgw::dp {
namespace {

using Bytes = std::vector<uint8_t>;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

void set_checksum(Bytes& p) {
  const size_t hl = (p[0] & 0x0f) * 4u;
  p[10] = p[11] = 0;
  const uint16_t ck = wire::fold_checksum(wire::ones_sum(p.data(), hl));
  p[10] = static_cast<uint8_t>(ck >> 8);
  p[11] = static_cast<uint8_t>(ck);
}

// An IPv4 packet from parts: `options` (a multiple of 4 bytes), `data`, flags+offset word.
Bytes make_packet(const Bytes& options, const Bytes& data, uint16_t flags_frag = 0,
                  uint8_t proto = 17, uint16_t id = 0x5151, uint8_t tos = 0) {
  const size_t hl = 20 + options.size();
  const size_t total = hl + data.size();
  Bytes p = {static_cast<uint8_t>(0x40 | hl / 4), tos,
             static_cast<uint8_t>(total >> 8), static_cast<uint8_t>(total),
             static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id),
             static_cast<uint8_t>(flags_frag >> 8), static_cast<uint8_t>(flags_frag),
             64, proto, 0, 0, 198, 51, 100, 10, 192, 0, 2, 10};
  p.insert(p.end(), options.begin(), options.end());
  p.insert(p.end(), data.begin(), data.end());
  set_checksum(p);
  return p;
}

Bytes pattern(size_t n, uint32_t seed = 1) {
  Bytes d(n);
  for (size_t i = 0; i < n; ++i) d[i] = static_cast<uint8_t>(i * 131 + seed * 17 + (i >> 8));
  return d;
}

std::vector<Bytes> cut(const Bytes& pkt, uint16_t mtu, FragError* err = nullptr) {
  FragPlan plan;
  const FragError e = plan_ipv4_fragments(ByteReader(pkt.data(), pkt.size()), mtu, &plan);
  if (err) *err = e;
  std::vector<Bytes> out;
  if (e != FragError::None) return out;
  for (uint16_t k = 1; k < plan.count; ++k) {
    Bytes f(plan.fragment_len(k));
    EXPECT_EQ(write_ipv4_fragment(plan, k, f), f.size());
    out.push_back(f);
  }
  // Fragment 0 in place, as the dataplane makes it, on a copy.
  Bytes first = pkt;
  make_first_fragment(first.data(), plan);
  first.resize(plan.fragment_len(0));
  out.insert(out.begin(), first);
  EXPECT_EQ(out.size(), plan.count);
  return out;
}

// An independent reassembler (RFC 815's hole idea, by sorting): the data of the fragments
// laid at their offsets must cover [0, end) exactly once and end with MF clear.
struct Reassembled {
  bool ok = false;
  Bytes data;
};
Reassembled reassemble(std::vector<Bytes> frags, uint32_t base = 0) {
  std::sort(frags.begin(), frags.end(), [](const Bytes& a, const Bytes& b) {
    return (be16(&a[6]) & 0x1fff) < (be16(&b[6]) & 0x1fff);
  });
  Reassembled r;
  uint32_t next = base;
  for (size_t i = 0; i < frags.size(); ++i) {
    const Bytes& f = frags[i];
    const size_t hl = (f[0] & 0x0f) * 4u;
    const uint32_t off = (be16(&f[6]) & 0x1fff) * 8u;
    if (off != next) return r;
    r.data.insert(r.data.end(), f.begin() + hl, f.begin() + be16(&f[2]));
    next = off + (be16(&f[2]) - hl);
  }
  r.ok = true;
  return r;
}

// Every property RFC 791 asks of the fragments of `pkt` cut for `mtu`.
void check_fragments(const Bytes& pkt, uint16_t mtu, const std::vector<Bytes>& frags,
                     const Bytes& copied_options) {
  const size_t hl = (pkt[0] & 0x0f) * 4u;
  const uint16_t orig_ff = be16(&pkt[6]);
  ASSERT_GE(frags.size(), 1u);
  for (size_t k = 0; k < frags.size(); ++k) {
    const Bytes& f = frags[k];
    SCOPED_TRACE("fragment " + std::to_string(k));
    auto h = wire::decode_ipv4(ByteReader(f.data(), f.size()));
    ASSERT_TRUE(h) << "bad header or checksum";
    EXPECT_EQ(h->total_length, f.size());
    EXPECT_LE(f.size(), mtu);
    // Identification, protocol, addresses, TOS and TTL are the original's.
    EXPECT_EQ(0, std::memcmp(f.data() + 4, pkt.data() + 4, 2));
    EXPECT_EQ(0, std::memcmp(f.data() + 8, pkt.data() + 8, 2));
    EXPECT_EQ(0, std::memcmp(f.data() + 12, pkt.data() + 12, 8));
    EXPECT_EQ(f[1], pkt[1]);
    // DF kept; MF on all but the last, which has the original's.
    EXPECT_EQ(h->flags_frag & wire::kIpv4FlagDf, orig_ff & wire::kIpv4FlagDf);
    const bool last = k + 1 == frags.size();
    EXPECT_EQ((h->flags_frag & wire::kIpv4FlagMf) != 0,
              last ? (orig_ff & wire::kIpv4FlagMf) != 0 : true);
    // All but the last carry a multiple of 8 data bytes.
    if (!last) {
      EXPECT_EQ((h->total_length - h->ihl_bytes) % 8, 0u);
    }
    EXPECT_GT(h->total_length - h->ihl_bytes, 0u);
    // Options: all of them in the first, the copied ones (padded) in the others.
    if (k == 0) {
      EXPECT_EQ(h->ihl_bytes, hl);
      EXPECT_EQ(0, std::memcmp(f.data() + 20, pkt.data() + 20, hl - 20));
    } else {
      Bytes want = copied_options;
      want.resize((want.size() + 3) & ~size_t{3}, 0);
      EXPECT_EQ(h->ihl_bytes, 20 + want.size());
      EXPECT_EQ(Bytes(f.begin() + 20, f.begin() + h->ihl_bytes), want);
    }
  }
  const Reassembled r = reassemble(frags, (orig_ff & 0x1fff) * 8u);
  ASSERT_TRUE(r.ok) << "fragments leave a hole or overlap";
  EXPECT_EQ(r.data, Bytes(pkt.begin() + hl, pkt.end()));
}

TEST(Ip4Fragment, ScapyVectors) {
  const auto records = test::load_vectors("router/fragments.txt");
  ASSERT_GE(records.size(), 8u);
  for (const auto& rec : records) {
    SCOPED_TRACE(rec.at("name"));
    const Bytes pkt = test::from_hex(rec.at("packet"));
    const auto mtu = static_cast<uint16_t>(std::stoul(rec.at("mtu")));
    FragError e;
    const auto frags = cut(pkt, mtu, &e);
    ASSERT_EQ(e, FragError::None);
    ASSERT_EQ(frags.size(), std::stoul(rec.at("count")));
    for (size_t k = 0; k < frags.size(); ++k)
      EXPECT_EQ(test::to_hex(frags[k].data(), frags[k].size()), rec.at("fragment_" + std::to_string(k)))
          << "fragment " << k;
  }
}

TEST(Ip4Fragment, SizesOffsetsAndMf) {
  // 1500-byte packet, MTU 1400: 1376 + 104 data bytes (1376 = (1400 - 20) rounded down to 8).
  const Bytes pkt = make_packet({}, pattern(1480));
  const auto frags = cut(pkt, 1400);
  ASSERT_EQ(frags.size(), 2u);
  EXPECT_EQ(frags[0].size(), 1396u);
  EXPECT_EQ(be16(&frags[0][6]), wire::kIpv4FlagMf | 0);
  EXPECT_EQ(frags[1].size(), 20u + 104u);
  EXPECT_EQ(be16(&frags[1][6]), 1376 / 8);
  check_fragments(pkt, 1400, frags, {});
}

TEST(Ip4Fragment, MinimumMtu) {
  // RFC 791: 68 octets always pass; a 60-byte header then leaves exactly 8 data bytes.
  const Bytes opts = {0x83, 39, 4};  // LSRR, copied, with 9 empty slots: 40 option bytes
  Bytes options = opts;
  options.resize(39, 0);
  options.push_back(0);  // EOL
  const Bytes pkt = make_packet(options, pattern(100));
  const auto frags = cut(pkt, 68);
  ASSERT_EQ(frags.size(), 13u);  // 100 / 8, rounded up
  Bytes copied(options.begin(), options.begin() + 39);
  check_fragments(pkt, 68, frags, copied);
  FragError e;
  EXPECT_TRUE(cut(pkt, 67, &e).empty());
  EXPECT_EQ(e, FragError::MtuTooSmall);
}

TEST(Ip4Fragment, OnlyCopiedOptionsFollow) {
  // NOP, Record Route (class 0, number 7: not copied), Security (0x82, copied), NOP, LSRR
  // (0x83, copied), EOL: 3 + 1 + 11 + 1 + 7 + ... laid out to 32 bytes.
  Bytes options = {0x01,                                      // NOP
                   0x07, 7, 4, 0, 0, 0, 0,                    // RR, one slot
                   0x82, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0,       // Security
                   0x01,                                      // NOP
                   0x83, 7, 4, 192, 0, 2, 1,                  // LSRR, one hop
                   0x00, 0, 0, 0, 0};                         // EOL + padding
  ASSERT_EQ(options.size() % 4, 0u);
  const Bytes pkt = make_packet(options, pattern(700), 0, 6);
  const auto frags = cut(pkt, 300);
  Bytes copied = {0x82, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x83, 7, 4, 192, 0, 2, 1};
  ASSERT_GE(frags.size(), 3u);
  check_fragments(pkt, 300, frags, copied);
  // Later fragments, with a shorter header, may carry more data than the first.
  EXPECT_GE(frags[1].size() - ((frags[1][0] & 0xf) * 4u), frags[0].size() - ((frags[0][0] & 0xf) * 4u));
}

TEST(Ip4Fragment, NoCopiedOptionsGivesPlainHeader) {
  Bytes options = {0x07, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0x00};  // RR, EOL
  const Bytes pkt = make_packet(options, pattern(200));
  const auto frags = cut(pkt, 100);
  check_fragments(pkt, 100, frags, {});
  for (size_t k = 1; k < frags.size(); ++k) EXPECT_EQ(frags[k][0], 0x45);
}

TEST(Ip4Fragment, DfAndTosAreKept) {
  // The fragmenter cuts what it is given; the DF decision (ICMP instead) is the caller's.
  const Bytes pkt = make_packet({}, pattern(3000), wire::kIpv4FlagDf, 17, 7, 0xb8);
  const auto frags = cut(pkt, 1500);
  check_fragments(pkt, 1500, frags, {});
}

TEST(Ip4Fragment, FragmentCutAgain) {
  // A middle fragment (MF set, offset 100): offsets continue from 800, MF stays on the last.
  const Bytes mid = make_packet({}, pattern(1480), wire::kIpv4FlagMf | 100);
  auto frags = cut(mid, 576);
  check_fragments(mid, 576, frags, {});
  EXPECT_TRUE(be16(&frags.back()[6]) & wire::kIpv4FlagMf);
  EXPECT_EQ(be16(&frags[0][6]) & 0x1fff, 100);
  // The last fragment of a datagram (MF clear, offset 185): the last piece has MF clear.
  const Bytes last = make_packet({}, pattern(1000), 185);
  frags = cut(last, 400);
  check_fragments(last, 400, frags, {});
  EXPECT_FALSE(be16(&frags.back()[6]) & wire::kIpv4FlagMf);
}

TEST(Ip4Fragment, PacketThatFitsIsOneFragment) {
  const Bytes pkt = make_packet({}, pattern(100));
  const auto frags = cut(pkt, 1500);
  ASSERT_EQ(frags.size(), 1u);
  EXPECT_EQ(frags[0], pkt);
}

TEST(Ip4Fragment, ManyPacketsAndMtus) {
  std::mt19937 rng(1191);
  const Bytes option_pool[] = {
      {0x01}, {0x07, 7, 4, 0, 0, 0, 0}, {0x83, 7, 4, 1, 2, 3, 4}, {0x94, 4, 0, 0},  // NOP, RR, LSRR, RTRALT
      {0x44, 8, 5, 0, 0, 0, 0, 0},  // Timestamp (not copied)
      {0x88, 4, 0x12, 0x34},        // Stream ID (copied)
  };
  for (int iter = 0; iter < 3000; ++iter) {
    Bytes options, copied;
    const int n_opts = static_cast<int>(rng() % 4);
    for (int o = 0; o < n_opts; ++o) {
      const Bytes& opt = option_pool[rng() % std::size(option_pool)];
      if (options.size() + opt.size() > 39) break;
      options.insert(options.end(), opt.begin(), opt.end());
      if (opt[0] & 0x80) copied.insert(copied.end(), opt.begin(), opt.end());
    }
    if (!options.empty()) options.push_back(0);  // EOL
    options.resize((options.size() + 3) & ~size_t{3}, 0);
    const size_t data_len = 1 + rng() % 4000;
    const uint16_t ff = rng() % 2 ? wire::kIpv4FlagDf : 0;
    const Bytes pkt = make_packet(options, pattern(data_len, iter), ff);
    const auto mtu = static_cast<uint16_t>(kIpv4MinMtu + rng() % 1500);
    SCOPED_TRACE("iteration " + std::to_string(iter) + " data " + std::to_string(data_len) +
                 " mtu " + std::to_string(mtu) + " ihl " + std::to_string(20 + options.size()));
    FragError e;
    const auto frags = cut(pkt, mtu, &e);
    if (e == FragError::TooManyFragments) {
      EXPECT_GT(data_len, 8u * kMaxFragments);  // at least 8 data bytes in each of 64
      continue;
    }
    ASSERT_EQ(e, FragError::None);
    check_fragments(pkt, mtu, frags, copied);
  }
}

TEST(Ip4Fragment, Refusals) {
  FragPlan plan;
  auto plan_of = [&](const Bytes& p, uint16_t mtu) {
    return plan_ipv4_fragments(ByteReader(p.data(), p.size()), mtu, &plan);
  };
  const Bytes good = make_packet({}, pattern(500));
  // Not IPv4, truncated, bad checksum.
  Bytes v6 = good;
  v6[0] = 0x65;
  EXPECT_EQ(plan_of(v6, 100), FragError::Malformed);
  EXPECT_EQ(plan_of(Bytes(good.begin(), good.begin() + 300), 100), FragError::Malformed);
  Bytes bad_ck = good;
  bad_ck[10] ^= 1;
  EXPECT_EQ(plan_of(bad_ck, 100), FragError::Malformed);
  // Option lengths of 0, 1 and past the header (RFC 791 §3.1: the length counts type and
  // length octets).
  for (uint8_t len : {0, 1, 5}) {
    Bytes opts = {0x83, len, 4, 0};
    Bytes p = make_packet(opts, pattern(500));
    EXPECT_EQ(plan_of(p, 100), FragError::BadOptions) << "length " << int{len};
  }
  Bytes lone_type = {0x01, 0x01, 0x01, 0x83};  // a type octet with no length after it
  EXPECT_EQ(plan_of(make_packet(lone_type, pattern(500)), 100), FragError::BadOptions);
  // The last offset must fit 13 bits: a fragment at 8190 (65520 bytes) with 100 more bytes.
  EXPECT_EQ(plan_of(make_packet({}, pattern(100), 8190), 68), FragError::Malformed);
  // More than kMaxFragments.
  EXPECT_EQ(plan_of(make_packet({}, pattern(48 * 64 + 1)), 68), FragError::TooManyFragments);
  EXPECT_EQ(plan_of(make_packet({}, pattern(48 * 64)), 68), FragError::None);
  // An output buffer one byte short is refused, and so is a fragment index out of range.
  ASSERT_EQ(plan_of(good, 100), FragError::None);
  Bytes small(plan.fragment_len(1) - 1);
  EXPECT_EQ(write_ipv4_fragment(plan, 1, small), 0u);
  Bytes big(2000);
  EXPECT_EQ(write_ipv4_fragment(plan, plan.count, big), 0u);
}

}  // namespace
}  // namespace l2tpgw::dp
