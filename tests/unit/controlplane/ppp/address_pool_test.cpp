// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ppp/address_pool: no address held twice, next-fit reuse, exhaustion,
// fixed addresses, and pool indexes numbered as the dataplane's pool-index table numbers them.
#include "controlplane/ppp/address_pool.hpp"

#include <set>

#include <gtest/gtest.h>

namespace l2tpgw::cp::ppp {
namespace {

constexpr uint32_t ip(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return a << 24 | b << 16 | c << 8 | d; }

TEST(AddressPool, SeedPoolHandsOutElevenAddressesThenNone) {
  // `ip pp remote address pool 192.168.100.10-192.168.100.20` (seed 000).
  AddressPool pool({{ip(192, 168, 100, 10), ip(192, 168, 100, 20)}});
  EXPECT_EQ(pool.capacity(), 11u);
  std::set<uint32_t> got;
  for (int i = 0; i < 11; ++i) {
    const auto a = pool.allocate();
    ASSERT_TRUE(a);
    EXPECT_EQ(*a, ip(192, 168, 100, 10 + i));  // the first client gets the first address
    EXPECT_TRUE(got.insert(*a).second);
  }
  EXPECT_FALSE(pool.allocate());
  EXPECT_EQ(pool.in_use(), 11u);
}

TEST(AddressPool, ReleasedAddressIsReusedLast) {
  AddressPool pool({{ip(10, 0, 0, 1), ip(10, 0, 0, 4)}});
  const auto a = *pool.allocate();
  const auto b = *pool.allocate();
  pool.release(a);
  EXPECT_EQ(*pool.allocate(), ip(10, 0, 0, 3));
  EXPECT_EQ(*pool.allocate(), ip(10, 0, 0, 4));
  EXPECT_EQ(*pool.allocate(), a);  // wrapped around to the free one
  EXPECT_FALSE(pool.allocate());
  pool.release(b);
  EXPECT_EQ(*pool.allocate(), b);
  pool.release(ip(10, 9, 9, 9));  // not held: nothing happens
  EXPECT_EQ(pool.in_use(), 4u);
}

TEST(AddressPool, FixedAddressesShareTheBook) {
  AddressPool pool({{ip(10, 0, 0, 1), ip(10, 0, 0, 3)}});
  // Inside a range: the pool will not hand it out any more.
  EXPECT_TRUE(pool.reserve(ip(10, 0, 0, 1)));
  EXPECT_FALSE(pool.reserve(ip(10, 0, 0, 1)));
  EXPECT_EQ(*pool.allocate(), ip(10, 0, 0, 2));
  EXPECT_EQ(*pool.allocate(), ip(10, 0, 0, 3));
  EXPECT_FALSE(pool.allocate());
  // Outside every range: tracked, once.
  EXPECT_TRUE(pool.reserve(ip(172, 16, 0, 5)));
  EXPECT_FALSE(pool.reserve(ip(172, 16, 0, 5)));
  EXPECT_TRUE(pool.held(ip(172, 16, 0, 5)));
  pool.release(ip(172, 16, 0, 5));
  EXPECT_TRUE(pool.reserve(ip(172, 16, 0, 5)));
  pool.release(ip(10, 0, 0, 1));
  EXPECT_EQ(*pool.allocate(), ip(10, 0, 0, 1));
}

TEST(AddressPool, PoolIndexIsTheOffsetAcrossRangesInOrder) {
  // common/tables: PoolRange::first is the running sum of the earlier ranges' sizes.
  AddressPool pool({{ip(10, 0, 0, 10), ip(10, 0, 0, 19)}, {ip(10, 1, 0, 0), ip(10, 1, 0, 255)}});
  EXPECT_EQ(pool.pool_index(ip(10, 0, 0, 10)), 0u);
  EXPECT_EQ(pool.pool_index(ip(10, 0, 0, 19)), 9u);
  EXPECT_EQ(pool.pool_index(ip(10, 1, 0, 0)), 10u);
  EXPECT_EQ(pool.pool_index(ip(10, 1, 0, 255)), 265u);
  EXPECT_FALSE(pool.pool_index(ip(10, 0, 0, 20)));
  EXPECT_EQ(pool.capacity(), 266u);
}

TEST(AddressPool, OverlappingRangesNeverGiveAnAddressTwice) {
  // An address in two ranges belongs to the first (as SharedTables::pool_slot() finds it).
  AddressPool pool({{ip(10, 0, 0, 1), ip(10, 0, 0, 4)}, {ip(10, 0, 0, 3), ip(10, 0, 0, 6)}});
  std::set<uint32_t> got;
  while (const auto a = pool.allocate()) EXPECT_TRUE(got.insert(*a).second) << *a;
  EXPECT_EQ(got.size(), 6u);
  EXPECT_EQ(pool.pool_index(ip(10, 0, 0, 3)), 2u);
}

TEST(AddressPool, ExcludedAddressesAreNeverGiven) {
  // 0.0.0.0 and 255.255.255.255 always; the appliance's own address when asked.
  AddressPool pool({{ip(0, 0, 0, 0), ip(0, 0, 0, 2)}, {ip(192, 168, 0, 1), ip(192, 168, 0, 2)},
                    {ip(255, 255, 255, 254), ip(255, 255, 255, 255)}});
  pool.exclude(ip(192, 168, 0, 1));
  std::set<uint32_t> got;
  while (const auto a = pool.allocate()) got.insert(*a);
  EXPECT_EQ(got, (std::set<uint32_t>{ip(0, 0, 0, 1), ip(0, 0, 0, 2), ip(192, 168, 0, 2), ip(255, 255, 255, 254)}));
  EXPECT_FALSE(pool.reserve(ip(192, 168, 0, 1)));
  pool.release(ip(192, 168, 0, 1));  // an excluded address stays out
  EXPECT_FALSE(pool.allocate());
}

TEST(AddressPool, EmptyAndInvertedRanges) {
  AddressPool none;
  EXPECT_FALSE(none.allocate());
  AddressPool inverted({{ip(10, 0, 0, 9), ip(10, 0, 0, 1)}});
  EXPECT_EQ(inverted.capacity(), 0u);
  EXPECT_FALSE(inverted.allocate());
}

TEST(AddressPool, LargePoolSkipsFullWords) {
  AddressPool pool({{ip(10, 0, 0, 0), ip(10, 0, 255, 255)}});
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(pool.allocate());
  pool.release(ip(10, 0, 0, 5));
  for (int i = 0; i < 64536; ++i) ASSERT_TRUE(pool.allocate());  // up to 10.0.255.255
  const auto last = pool.allocate();
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, ip(10, 0, 0, 5));  // found after the wrap, past 15 full words
  EXPECT_FALSE(pool.allocate());
  EXPECT_EQ(pool.in_use(), 65536u);
}

}  // namespace
}  // namespace l2tpgw::cp::ppp
