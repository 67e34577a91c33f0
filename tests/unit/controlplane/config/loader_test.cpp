// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/config/loader: the lex -> parse -> expand -> validate pipeline and files.
#include "controlplane/config/loader.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/unit/controlplane/config/config_test_util.hpp"

namespace l2tpgw::cp::config {
namespace {

TEST(Loader, DiagnosticsComeInLineOrder) {
  const LoadResult r = load_config("nat descriptor type 1 masquerade\nfoo\ndhcp service server\ntunnel select 0\n");
  ASSERT_EQ(r.diagnostics.size(), 4u);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(r.diagnostics[i].line, i + 1);
  EXPECT_FALSE(r.ok());
}

TEST(Loader, AParseErrorStopsBeforeTheCrossChecks) {
  // The transport's policy is missing because its line is broken: one error, not two.
  const LoadResult r = load_config("tunnel select 1\n ipsec tunnel 101\n  ipsec sa policy 101 1 esp aes-cbc shaa\n"
                                   "ipsec transport 1 101 udp 1701\n");
  EXPECT_EQ(test::lines_of(test::errors(r)), std::vector<uint32_t>{3});
}

TEST(Loader, WarningsAloneLoad) {
  const LoadResult r = load_config("nat descriptor type 1 masquerade\n");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.diagnostics.size(), 1u);
}

TEST(Loader, Files) {
  const LoadResult missing = load_config_file("/nonexistent/l2tpgw.conf");
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.diagnostics, (std::vector<Diagnostic>{{0, Severity::Error, "cannot open: No such file or directory"}}));
  const LoadResult dir = load_config_file("/");
  EXPECT_FALSE(dir.ok());
  EXPECT_EQ(dir.diagnostics.at(0).message, "cannot read: Is a directory");

  const auto path = std::filesystem::temp_directory_path() / ("l2tpgw_loader_test_" + std::to_string(::getpid()));
  {
    std::ofstream f(path);
    f << "l2tp service on\r\n";
  }
  const LoadResult ok = load_config_file(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok.config->l2tp_service.value.on);
}

}  // namespace
}  // namespace l2tpgw::cp::config
