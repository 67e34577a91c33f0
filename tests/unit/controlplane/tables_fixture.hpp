// SPDX-License-Identifier: Apache-2.0
// Fresh shared tables for controlplane tests (inside the test binary's EAL), with helpers to
// install an L2TP/IPsec client the way l2tpgw-sessionctl does.
#pragma once

#include <rte_memzone.h>

#include <array>
#include <string>

#include <gtest/gtest.h>

#include "common/tables/shared_tables.hpp"
#include "common/tables/table_writer.hpp"

namespace l2tpgw::cp::test {

inline constexpr uint32_t kPool = 0xc6336400;  // 198.51.100.0/28
inline constexpr uint32_t kWan = 0xcb007101;   // 203.0.113.1
inline constexpr uint32_t kLan = 0xc0000201;   // 192.0.2.1
inline constexpr uint32_t kClientOuter = 0xcb00710a;
inline const std::array<uint8_t, 16> kEncKey = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
inline const std::array<uint8_t, 20> kAuthKey = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                                 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};

class TablesFixture : public testing::Test {
 protected:
  void make(uint32_t max_sessions = 8, uint32_t workers = 2) {
    tables::TableSizes s;
    s.max_sessions = max_sessions;
    s.n_workers = workers;
    s.n_pools = 1;
    s.pools[0] = tables::PoolRange{kPool, 16, 0};
    std::string err;
    ASSERT_TRUE(tables::SharedTables::create(s, tables_, &err)) << err;
    tables_.header().wan_addr = kWan;
    tables_.header().lan_addr = kLan;
  }
  void SetUp() override { make(); }
  void TearDown() override {
    if (const rte_memzone* mz = rte_memzone_lookup(tables::kShmZoneName)) rte_memzone_free(mz);
  }


 public:
  static tables::SaParams sa(tables::SaDirection d, uint32_t peer, uint32_t spi = 0) {
    tables::SaParams p;
    p.direction = d;
    p.spi = spi;
    p.peer_index = peer;
    p.local_addr = kWan;
    p.peer_addr = kClientOuter;
    p.enc_key = kEncKey;
    p.auth_key = kAuthKey;
    return p;
  }

 protected:
  tables::SharedTables tables_;
};

}  // namespace l2tpgw::cp::test
