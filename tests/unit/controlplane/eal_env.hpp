// SPDX-License-Identifier: Apache-2.0
// One in-process primary EAL per test binary, without hugepages, devices or shared config
// (as tests/unit/common/tables does), for tests that need rings, mempools or the tables.
#pragma once

#include <rte_eal.h>

#include <cstdio>
#include <cstdlib>
#include <iterator>

#include <gtest/gtest.h>

namespace l2tpgw::cp::test {

class EalEnvironment : public testing::Environment {
 public:
  void SetUp() override {
    const char* argv[] = {"test", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
                          "--no-telemetry", "--file-prefix=l2tpgw-cp-unit", "-l", "0",
                          "--log-level=lib.eal:error"};
    int argc = static_cast<int>(std::size(argv));
    // A failed EAL would skip every test silently: abort instead.
    if (rte_eal_init(argc, const_cast<char**>(argv)) < 0) {
      std::fprintf(stderr, "rte_eal_init failed\n");
      std::abort();
    }
  }
  void TearDown() override { rte_eal_cleanup(); }
};

// Include from exactly one translation unit of a test binary.
#define L2TPGW_CP_TEST_EAL()                                                       \
  testing::Environment* const kL2tpgwCpEal [[maybe_unused]] =                      \
      testing::AddGlobalTestEnvironment(new ::l2tpgw::cp::test::EalEnvironment)

}  // namespace l2tpgw::cp::test
