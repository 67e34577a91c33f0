// SPDX-License-Identifier: Apache-2.0
// Tests for dataplane/sa/replay_window: RFC 4303 §3.4.3 cases and a std::set model.
#include "dataplane/sa/replay_window.hpp"

#include <random>
#include <utility>
#include <set>

#include <gtest/gtest.h>

namespace l2tpgw::dp {
namespace {

// The trivial oracle: every accepted number, and the highest one.
class Model {
 public:
  explicit Model(uint32_t w) : w_(w) {}
  bool check(uint32_t s) const {
    if (s == 0) return false;
    if (s > hi_) return true;
    if (hi_ - s >= w_) return false;
    return !seen_.contains(s);
  }
  bool update(uint32_t s) {
    if (!check(s)) return false;
    seen_.insert(s);
    if (s > hi_) hi_ = s;
    return true;
  }
  uint32_t highest() const { return hi_; }

 private:
  uint32_t w_;
  uint32_t hi_ = 0;
  std::set<uint32_t> seen_;
};

TEST(ReplayWindow, SequenceZeroIsNeverAccepted) {
  ReplayWindow w;
  EXPECT_FALSE(w.check(0));
  EXPECT_FALSE(w.update(0));
  EXPECT_TRUE(w.update(1));
  EXPECT_FALSE(w.check(0));
  EXPECT_EQ(w.highest(), 1u);
}

TEST(ReplayWindow, DefaultSizeIs64AndResetValidates) {
  ReplayWindow w;
  EXPECT_EQ(w.size(), 64u);
  EXPECT_FALSE(w.reset(0));
  EXPECT_FALSE(w.reset(ReplayWindow::kMaxWindow + 1));
  EXPECT_EQ(w.size(), 64u);
  EXPECT_TRUE(w.reset(2048));
  EXPECT_EQ(w.size(), 2048u);
}

// RFC 4303 §3.4.3: with right edge N and window W, N-W+1 is the oldest acceptable number.
TEST(ReplayWindow, ExactWindowEdge) {
  for (uint32_t size : {32u, 64u, 1024u, 2048u}) {
    ReplayWindow w;
    ASSERT_TRUE(w.reset(size));
    const uint32_t n = 5000;
    ASSERT_TRUE(w.update(n));
    EXPECT_TRUE(w.check(n - size + 1)) << size;   // left edge: inside
    EXPECT_FALSE(w.check(n - size)) << size;      // just outside
    EXPECT_TRUE(w.update(n - size + 1));
    EXPECT_FALSE(w.update(n - size + 1));         // now a replay
    EXPECT_FALSE(w.check(n));                     // right edge already seen
    EXPECT_TRUE(w.update(n + 1));                 // edge moves by one...
    EXPECT_FALSE(w.check(n - size + 1));          // ...and the old left edge falls out
    EXPECT_TRUE(w.check(n - size + 2));
  }
}

TEST(ReplayWindow, CheckThenUpdateSeesInterveningReplay) {
  ReplayWindow w;
  ASSERT_TRUE(w.update(10));
  EXPECT_TRUE(w.check(7));  // two copies pass check() before either's ICV is verified
  EXPECT_TRUE(w.check(7));
  EXPECT_TRUE(w.update(7));
  EXPECT_FALSE(w.update(7));
}

TEST(ReplayWindow, BigJumpClearsEverything) {
  ReplayWindow w;
  ASSERT_TRUE(w.reset(2048));
  for (uint32_t s = 1; s <= 2048; ++s) ASSERT_TRUE(w.update(s));
  ASSERT_TRUE(w.update(1'000'000));
  for (uint32_t s = 1'000'000 - 2047; s < 1'000'000; ++s) ASSERT_TRUE(w.check(s)) << s;
}

TEST(ReplayWindow, TopOfSequenceSpace) {
  ReplayWindow w;
  ASSERT_TRUE(w.update(0xfffffff0u));
  ASSERT_TRUE(w.update(0xffffffffu));
  EXPECT_FALSE(w.check(0xffffffffu));
  EXPECT_TRUE(w.check(0xfffffffeu));
  EXPECT_FALSE(w.check(0xfffffff0u));
  EXPECT_EQ(w.highest(), 0xffffffffu);
}

class ReplayModel : public ::testing::TestWithParam<uint32_t> {};

TEST_P(ReplayModel, MatchesSetModelOnRandomTraffic) {
  const uint32_t size = GetParam();
  std::mt19937 rng(size * 7919u);
  for (int round = 0; round < 20; ++round) {
    ReplayWindow w;
    ASSERT_TRUE(w.reset(size));
    Model m(size);
    uint32_t base = round == 0 ? 1 : rng() % 100000;
    for (int i = 0; i < 20000; ++i) {
      // Mostly near the edge (reordering, duplicates), sometimes jumps and old numbers.
      const uint32_t r = rng() % 100;
      uint32_t s;
      if (r < 60) {
        s = base + rng() % (size + 8);
        if (rng() % 4 == 0) base += rng() % 8;
      } else if (r < 80) {
        s = m.highest() - rng() % (2 * size + 2);
      } else if (r < 95) {
        s = m.highest() + 1;
      } else {
        base += rng() % (3 * ReplayWindow::kMaxWindow);
        s = base;
      }
      ASSERT_EQ(w.check(s), m.check(s)) << "size " << size << " seq " << s;
      ASSERT_EQ(w.update(s), m.update(s)) << "size " << size << " seq " << s;
      ASSERT_EQ(w.highest(), m.highest());
    }
  }
}

// Windows that fill their span and windows that leave part of it unused (65, 100, 257).
INSTANTIATE_TEST_SUITE_P(Sizes, ReplayModel,
                         ::testing::Values(1u, 32u, 64u, 65u, 100u, 256u, 257u, 1024u, 2048u));

TEST(ReplayWindow, SpanIsTheSmallestPowerOfTwoHoldingTheWindowAndAWord) {
  ReplayWindow w;
  for (const auto& [size, span] : {std::pair{1u, 64u}, {64u, 64u}, {65u, 128u}, {256u, 256u},
                                  {257u, 512u}, {2048u, 2048u}}) {
    ASSERT_TRUE(w.reset(size));
    EXPECT_EQ(w.span(), span) << "size " << size;
  }
}

}  // namespace
}  // namespace l2tpgw::dp
