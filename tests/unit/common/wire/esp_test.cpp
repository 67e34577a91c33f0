// SPDX-License-Identifier: Apache-2.0
// Tests for common/wire/esp.hpp: RFC 4303 header and trailer, padding, RFC 3948 classification.
#include "common/wire/esp.hpp"

#include <string>

#include <gtest/gtest.h>

#include "wire_test_util.hpp"

namespace l2tpgw::wire {
namespace {

using test::cat;
using test::Exact;
using test::hex;

// RFC 4303 §2: SPI 0x00001000, sequence number 1, then (ciphertext) payload.
const std::vector<uint8_t> kEspHdr = hex("0000 1000 | 0000 0001 | 0102 0304 0506 0708");

TEST(EspHeader, Good) {
  struct Case {
    std::string name;
    std::vector<uint8_t> bytes;
    uint32_t spi, seq;
  };
  const Case cases[] = {
      {"spi_0x1000_seq_1", kEspHdr, 0x1000, 1},
      {"header_only", hex("0000 1000 0000 0001"), 0x1000, 1},
      // SPI 1 is reserved for IANA (§2.1) but structurally an SPI: the SA lookup refuses it.
      {"spi_1", hex("0000 0001 0000 0002"), 1, 2},
      {"spi_max_seq_max", hex("ffff ffff ffff ffff"), 0xffffffff, 0xffffffff},
      // Sequence number 0 is never sent (§3.3.3) but the anti-replay window rejects it, not us.
      {"seq_0", hex("0001 0000 0000 0000"), 0x10000, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Exact buf(c.bytes);
    auto h = decode_esp_header(buf.reader());
    ASSERT_TRUE(h.ok()) << to_string(h.error());
    EXPECT_EQ(h->spi, c.spi);
    EXPECT_EQ(h->seq, c.seq);
  }
}

TEST(EspHeader, ZeroSpi) {
  // RFC 4303 §2.1: SPI 0 is reserved for local use and must not be sent on the wire.
  Exact buf(hex("0000 0000 0000 0001"));
  auto h = decode_esp_header(buf.reader());
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error(), ParseError::ZeroSpi);
}

TEST(EspHeader, TruncationAtEveryByte) {
  for (size_t n = 0; n < kEspHeaderLen; ++n) {
    SCOPED_TRACE(n);
    Exact buf(kEspHdr, n);
    auto h = decode_esp_header(buf.reader());
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error(), ParseError::Truncated);
  }
}

std::vector<uint8_t> default_pad(size_t n) {
  std::vector<uint8_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(i + 1);
  return p;
}

struct TrailerCase {
  std::string name;
  std::vector<uint8_t> plaintext;
  bool ok;
  ParseError error;  // when !ok
  uint8_t pad_length, next_header;
  uint32_t payload_length;
};

TEST(EspTrailer, Table) {
  const auto ip = hex("4500 0014 0000 0000 4011 0000 0a00 0001 0a00 0002");  // 20 bytes, payload
  const TrailerCase cases[] = {
      // RFC 4303 §2.4 default padding 1, 2, 3, ...; Next Header 4 (IPv4) or 17 (UDP, transport).
      {"pad_2", cat(ip, hex("0102 | 02 11")), true, {}, 2, 17, 20},
      {"pad_0", cat(ip, hex("00 04")), true, {}, 0, 4, 20},
      {"pad_1", cat(ip, hex("01 | 01 11")), true, {}, 1, 17, 20},
      {"pad_255_max", cat(cat(ip, default_pad(255)), hex("ff 11")), true, {}, 255, 17, 20},
      // Nothing but the trailer: an empty payload (a dummy packet, next header 59, §2.6).
      {"only_trailer", hex("00 3b"), true, {}, 0, 59, 0},
      // Pad Length equal to every byte before the trailer: payload 0 bytes.
      {"pad_fills_all", cat(default_pad(6), hex("06 3b")), true, {}, 6, 59, 0},
      {"empty", {}, false, ParseError::Truncated, 0, 0, 0},
      {"one_byte", hex("04"), false, ParseError::Truncated, 0, 0, 0},
      // Pad Length one more than there is room for (max+1), and far more.
      {"pad_len_too_large_by_1", cat(default_pad(6), hex("07 3b")), false, ParseError::BadPadding},
      {"pad_len_1_nothing_before", hex("01 3b"), false, ParseError::BadPadding},
      {"pad_len_255_short", cat(ip, hex("ff 11")), false, ParseError::BadPadding},
      // Wrong padding contents: zeros, swapped, off by one, last byte wrong.
      {"pad_zeros", cat(ip, hex("0000 02 11")), false, ParseError::BadPadding},
      {"pad_swapped", cat(ip, hex("0201 02 11")), false, ParseError::BadPadding},
      {"pad_starts_at_0", cat(ip, hex("0001 02 11")), false, ParseError::BadPadding},
      {"pad_last_wrong", cat(cat(ip, hex("0102 0304 0506 0708 0909")), hex("0a 11")), false,
       ParseError::BadPadding},
      {"pad_255_last_wrong",
       [&] {
         auto p = cat(ip, default_pad(255));
         p.back() = 0;
         return cat(p, hex("ff 11"));
       }(),
       false, ParseError::BadPadding},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Exact buf(c.plaintext);
    auto t = decode_esp_trailer(buf.data(), static_cast<uint32_t>(buf.size()));
    ASSERT_EQ(t.ok(), c.ok) << (t.ok() ? "ok" : to_string(t.error()));
    if (!c.ok) {
      EXPECT_EQ(t.error(), c.error) << to_string(t.error());
      continue;
    }
    EXPECT_EQ(t->pad_length, c.pad_length);
    EXPECT_EQ(t->next_header, c.next_header);
    EXPECT_EQ(t->payload_length, c.payload_length);
    EXPECT_EQ(t->payload_length + t->pad_length + kEspTrailerLen, c.plaintext.size());
  }
}

TEST(EspTrailer, EveryPadLength) {
  // For every Pad Length 0..255 with room for it: correct padding decodes, one byte more fails.
  for (uint32_t pad = 0; pad <= 255; ++pad) {
    SCOPED_TRACE(pad);
    const auto good = cat(cat(hex("aabbcc"), default_pad(pad)),
                          {static_cast<uint8_t>(pad), 0x11});
    Exact buf(good);
    auto t = decode_esp_trailer(buf.data(), static_cast<uint32_t>(buf.size()));
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->payload_length, 3u);
    // Any one padding byte wrong, wherever it falls in the word-wide compare: rejected.
    for (uint32_t at = 0; at < pad; ++at) {
      auto wrong = good;
      wrong[3 + at] ^= 0x80;
      Exact wbuf(wrong);
      auto w = decode_esp_trailer(wbuf.data(), static_cast<uint32_t>(wbuf.size()));
      ASSERT_FALSE(w.ok()) << "byte " << at;
      EXPECT_EQ(w.error(), ParseError::BadPadding);
    }
    // The same Pad Length without the bytes before the padding (3) and one more: too large.
    Exact tight(cat(default_pad(pad), {static_cast<uint8_t>(pad + 1), 0x11}));
    if (pad < 255) {
      auto bad = decode_esp_trailer(tight.data(), static_cast<uint32_t>(tight.size()));
      ASSERT_FALSE(bad.ok());
      EXPECT_EQ(bad.error(), ParseError::BadPadding);
    }
  }
}

TEST(EspPadLength, EveryLengthModAlign) {
  // RFC 4303 §2.4: payload + padding + 2 must be a multiple of the cipher block (4 at least).
  for (uint32_t align : {1u, 4u, 8u, 16u}) {
    for (uint32_t len = 0; len < 4 * align + 3; ++len) {
      SCOPED_TRACE(testing::Message() << "align " << align << " len " << len);
      const uint32_t pad = esp_pad_length(len, align);
      EXPECT_LT(pad, align);
      EXPECT_EQ((len + pad + kEspTrailerLen) % align, 0u);
    }
  }
  // Written-out values: AES-CBC (16) with a 20-byte IPv4 header payload needs 10 bytes.
  EXPECT_EQ(esp_pad_length(20, 16), 10u);
  EXPECT_EQ(esp_pad_length(14, 16), 0u);
  EXPECT_EQ(esp_pad_length(15, 16), 15u);
  EXPECT_EQ(esp_pad_length(0, 4), 2u);
  EXPECT_EQ(esp_pad_length(2, 4), 0u);
  EXPECT_EQ(esp_pad_length(1, 8), 5u);
  // Large lengths: no overflow surprises near 2^32 for power-of-two alignments.
  EXPECT_EQ((0xfffffff0u + esp_pad_length(0xfffffff0u, 16) + 2) % 16, 0u);
  static_assert(esp_pad_length(100, 8) == 2);
}

TEST(NatTClassify, Table) {
  struct Case {
    std::string name;
    std::vector<uint8_t> bytes;
    bool ok;
    NatTKind kind;
    ParseError error;
  };
  const Case cases[] = {
      // RFC 3948 §2.3: a NAT-keepalive is exactly one octet 0xFF.
      {"keepalive", hex("ff"), true, NatTKind::Keepalive, {}},
      // §2.2: four zero octets then an IKE header.
      {"non_esp_marker_ike",
       cat(hex("0000 0000"), hex("0011 2233 4455 6677 0000 0000 0000 0000 2110 0200 0000 0000 "
                                 "0000 001c")),
       true, NatTKind::NonEspMarker, {}},
      {"non_esp_marker_only", hex("0000 0000"), true, NatTKind::NonEspMarker, {}},
      // §2.1: a non-zero SPI in the first four octets.
      {"esp", kEspHdr, true, NatTKind::Esp, {}},
      {"esp_spi_only", hex("0000 0001"), true, NatTKind::Esp, {}},
      // An 0xFF-first ESP header is ESP, not a keepalive: only the one-byte form is.
      {"esp_spi_ff", hex("ff00 0000 0000 0001"), true, NatTKind::Esp, {}},
      {"empty", {}, false, {}, ParseError::Truncated},
      {"one_byte_not_ff", hex("00"), false, {}, ParseError::Truncated},
      {"one_byte_fe", hex("fe"), false, {}, ParseError::Truncated},
      {"two_bytes", hex("ffff"), false, {}, ParseError::Truncated},
      {"three_bytes", hex("0000 00"), false, {}, ParseError::Truncated},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Exact buf(c.bytes);
    ByteReader r = buf.reader();
    auto k = classify_natt_payload(r);
    ASSERT_EQ(k.ok(), c.ok);
    if (c.ok)
      EXPECT_EQ(*k, c.kind);
    else
      EXPECT_EQ(k.error(), c.error);
    EXPECT_EQ(r.position(), 0u);  // classification consumes nothing
  }
}

}  // namespace
}  // namespace l2tpgw::wire
