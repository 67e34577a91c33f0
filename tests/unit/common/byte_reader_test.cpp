// SPDX-License-Identifier: Apache-2.0
// Tests for common/byte_reader.hpp and common/byte_writer.hpp: bounds, consumption, round trips.
#include "common/byte_reader.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "common/byte_writer.hpp"

namespace l2tpgw {
namespace {

constexpr std::array<uint8_t, 7> kBytes = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};

TEST(ByteReader, ReadsBigEndianAndConsumes) {
  ByteReader r(kBytes);
  EXPECT_EQ(r.remaining(), 7u);
  EXPECT_EQ(r.read_u8(), 0x01);
  EXPECT_EQ(r.read_be16(), 0x0203);
  EXPECT_EQ(r.read_be32(), 0x04050607u);
  EXPECT_EQ(r.position(), 7u);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.read_u8(), std::nullopt);
}

TEST(ByteReader, HighBitsDoNotSignExtend) {
  const std::array<uint8_t, 6> ff = {0xff, 0xfe, 0x80, 0x00, 0x00, 0x01};
  ByteReader r(ff);
  EXPECT_EQ(r.peek_be16(), 0xfffe);
  EXPECT_EQ(r.read_be32(), 0xfffe8000u);
  EXPECT_EQ(r.read_be16(), 0x0001);
}

TEST(ByteReader, ShortReadFailsWithoutConsuming) {
  // For every length 0..3, each read that needs more fails and leaves the position alone.
  for (size_t n = 0; n <= 3; ++n) {
    SCOPED_TRACE(n);
    ByteReader r(kBytes.data(), n);
    EXPECT_EQ(r.read_be32(), std::nullopt);
    if (n < 2) {
      EXPECT_EQ(r.read_be16(), std::nullopt);
    }
    if (n < 1) {
      EXPECT_EQ(r.read_u8(), std::nullopt);
    }
    EXPECT_EQ(r.position(), 0u);
    EXPECT_EQ(r.remaining(), n);
    EXPECT_FALSE(r.skip(n + 1));
    EXPECT_EQ(r.take(n + 1), std::nullopt);
    EXPECT_EQ(r.position(), 0u);
  }
}

TEST(ByteReader, PeekDoesNotConsume) {
  ByteReader r(kBytes);
  ASSERT_TRUE(r.skip(2));
  EXPECT_EQ(r.peek_u8(), 0x03);
  EXPECT_EQ(r.peek_u8(4), 0x07);
  EXPECT_EQ(r.peek_u8(5), std::nullopt);
  EXPECT_EQ(r.peek_be16(), 0x0304);
  EXPECT_EQ(r.peek_be16(3), 0x0607);
  EXPECT_EQ(r.peek_be16(4), std::nullopt);
  EXPECT_EQ(r.position(), 2u);
}

TEST(ByteReader, PeekFarOffsetsFail) {
  // Offsets near SIZE_MAX must not wrap the bounds check into a read far past the end.
  ByteReader r(kBytes);
  constexpr size_t kMax = std::numeric_limits<size_t>::max();
  for (size_t at : {size_t{7}, size_t{8}, kMax / 2, kMax - 2, kMax - 1, kMax}) {
    SCOPED_TRACE(at);
    EXPECT_EQ(r.peek_u8(at), std::nullopt);
    EXPECT_EQ(r.peek_be16(at), std::nullopt);
  }
  ASSERT_TRUE(r.skip(6));
  EXPECT_EQ(r.peek_be16(0), std::nullopt);
  EXPECT_EQ(r.peek_be16(kMax), std::nullopt);
}

TEST(ByteReader, TakeGivesABoundedSubReader) {
  ByteReader r(kBytes);
  ASSERT_TRUE(r.skip(1));
  auto sub = r.take(3);
  ASSERT_TRUE(sub.has_value());
  EXPECT_EQ(r.position(), 4u);
  EXPECT_EQ(sub->remaining(), 3u);
  EXPECT_EQ(sub->read_be16(), 0x0203);
  // The sub-reader cannot see the parent's next bytes.
  EXPECT_EQ(sub->read_be16(), std::nullopt);
  EXPECT_EQ(sub->read_u8(), 0x04);
  EXPECT_TRUE(sub->empty());
  EXPECT_EQ(r.read_u8(), 0x05);
  // take(0) is an empty reader and consumes nothing; take(remaining) consumes all.
  auto empty = r.take(0);
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(r.take(3), std::nullopt);
  auto all = r.take(2);
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.take(std::numeric_limits<size_t>::max()), std::nullopt);
  EXPECT_FALSE(r.skip(std::numeric_limits<size_t>::max()));
}

TEST(ByteReader, CursorAndRest) {
  ByteReader r(kBytes);
  ASSERT_TRUE(r.skip(5));
  EXPECT_EQ(r.cursor(), kBytes.data() + 5);
  EXPECT_EQ(r.rest().size(), 2u);
  EXPECT_EQ(r.rest()[0], 0x06);
  ASSERT_TRUE(r.skip(2));
  EXPECT_TRUE(r.rest().empty());
  EXPECT_FALSE(r.skip(1));
  EXPECT_TRUE(r.skip(0));
}

TEST(ByteReader, DefaultIsEmpty) {
  ByteReader r;
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.read_u8(), std::nullopt);
  EXPECT_EQ(r.peek_be16(), std::nullopt);
  EXPECT_TRUE(r.skip(0));
  EXPECT_TRUE(r.take(0).has_value());
}

TEST(ByteWriter, WritesBigEndian) {
  std::array<uint8_t, 7> buf{};
  ByteWriter w(buf);
  w.u8(0x01);
  w.be16(0x0203);
  w.be32(0x04050607);
  EXPECT_TRUE(w.ok());
  EXPECT_EQ(w.size(), 7u);
  EXPECT_EQ(buf, kBytes);
  EXPECT_EQ(w.written().size(), 7u);
}

TEST(ByteWriter, OverflowWritesNothingAndSticks) {
  // be32 into 3 bytes of room: nothing of it is written, and ok() turns false for good.
  std::array<uint8_t, 5> buf{};
  buf.fill(0xee);
  ByteWriter w(buf);
  w.be16(0x1122);
  w.be32(0x33445566);
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 2u);
  EXPECT_EQ(buf[2], 0xee);
  EXPECT_EQ(buf[4], 0xee);
  w.u8(0x77);  // would fit, but the writer has failed: later writes are dropped too
  EXPECT_EQ(w.size(), 2u);
  EXPECT_EQ(buf[2], 0xee);
}

TEST(ByteWriter, ExactFitAndEmpty) {
  std::array<uint8_t, 3> buf{};
  ByteWriter w(buf);
  w.bytes(std::span<const uint8_t>(kBytes).first(3));
  EXPECT_TRUE(w.ok());
  w.bytes({});  // zero bytes into a full buffer is fine
  EXPECT_TRUE(w.ok());
  w.u8(0);
  EXPECT_FALSE(w.ok());

  // A writer over no buffer at all: empty writes succeed, any byte fails. (Under
  // -Db_sanitize=undefined this caught memcpy(nullptr, nullptr, 0).)
  ByteWriter none{std::span<uint8_t>{}};
  none.bytes({});
  EXPECT_TRUE(none.ok());
  EXPECT_EQ(none.size(), 0u);
  none.u8(1);
  EXPECT_FALSE(none.ok());
}

TEST(ByteWriter, RoundTripThroughReader) {
  std::vector<uint8_t> buf(64);
  ByteWriter w(buf);
  for (uint32_t i = 0; i < 8; ++i) {
    w.u8(static_cast<uint8_t>(i));
    w.be16(static_cast<uint16_t>(0xa000 + i));
    w.be32(0xdead0000u + i);
  }
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w.size(), 56u);
  ByteReader r(w.written());
  for (uint32_t i = 0; i < 8; ++i) {
    EXPECT_EQ(r.read_u8(), i);
    EXPECT_EQ(r.read_be16(), 0xa000 + i);
    EXPECT_EQ(r.read_be32(), 0xdead0000u + i);
  }
  EXPECT_TRUE(r.empty());
}

}  // namespace
}  // namespace l2tpgw
