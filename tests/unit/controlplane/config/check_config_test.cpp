// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/config/check_config: exit code, stdout and stderr of --check-config.
#include "controlplane/config/check_config.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "controlplane/config/printer.hpp"
#include "tests/unit/controlplane/config/config_test_util.hpp"

namespace l2tpgw::cp::config {
namespace {

struct CheckRun {
  int rc;
  std::string out, err;
};

CheckRun check(const std::string& path) {
  std::ostringstream out, err;
  const int rc = check_config_main(path, out, err);
  return {rc, out.str(), err.str()};
}

TEST(CheckConfig, CleanFilePrintsTheExpandedConfiguration) {
  const std::string path = test::fixture_path("000_transport_template_example_complete.txt");
  const CheckRun r = check(path);
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, print_config(*load_config_file(path).config));
  EXPECT_NE(r.out.find("tunnel select 12\n"), std::string::npos);  // expanded
  EXPECT_EQ(r.out.find("template"), std::string::npos);
  EXPECT_EQ(r.out.find("yamaha1"), std::string::npos);  // masked
  EXPECT_NE(r.out.find("pre-shared-key 1 text ********"), std::string::npos);
}

TEST(CheckConfig, WarningsGoToStderrAndTheFileLoads) {
  const std::string path = test::fixture_path("001_yamaha01_nat.txt");
  const CheckRun r = check(path);
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, "");  // nothing l2tpgw applies
  EXPECT_EQ(r.err, path + ":2: warning: not supported by l2tpgw: NAT (nat descriptor)\n" +  //
                       path + ":3: warning: not supported by l2tpgw: NAT (nat descriptor)\n" +  //
                       path + ":4: warning: not supported by l2tpgw: NAT (nat descriptor)\n");
}

TEST(CheckConfig, ErrorsGoToStderrWithFileAndLine) {
  const std::string path = test::fixture_path("000_vrx_aws.txt");
  const CheckRun r = check(path);
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(path + ":11: pp auth request: placeholder '(認証方式)' in place of a value; fill it in\n"),
            std::string::npos);
  EXPECT_NE(r.err.find(path + ":21: ipsec sa policy: placeholder '(暗号アルゴリズム)'"), std::string::npos);
  EXPECT_EQ(r.err.find("l2tp_password1"), std::string::npos);
  EXPECT_EQ(r.err.find("yamaha1"), std::string::npos);
}

TEST(CheckConfig, UnreadableFile) {
  const CheckRun r = check("/nonexistent.conf");
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "/nonexistent.conf: cannot open: No such file or directory\n");
}

}  // namespace
}  // namespace l2tpgw::cp::config
