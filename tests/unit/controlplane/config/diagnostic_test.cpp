// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/config/diagnostic: the FILE:LINE: message format.
#include "controlplane/config/diagnostic.hpp"

#include <gtest/gtest.h>

namespace l2tpgw::cp::config {
namespace {

TEST(Diagnostic, ErrorsAndWarningsFormatAsFileLineMessage) {
  EXPECT_EQ(format_diagnostic({12, Severity::Error, "tunnel select: no"}, "a.conf"), "a.conf:12: tunnel select: no");
  EXPECT_EQ(format_diagnostic({3, Severity::Warning, "not supported by l2tpgw: NAT"}, "a.conf"),
            "a.conf:3: warning: not supported by l2tpgw: NAT");
  EXPECT_EQ(format_diagnostic({0, Severity::Error, "cannot open"}, "a.conf"), "a.conf: cannot open");
}

TEST(Diagnostic, HasErrorsIgnoresWarnings) {
  EXPECT_FALSE(has_errors({}));
  EXPECT_FALSE(has_errors({{1, Severity::Warning, "w"}}));
  EXPECT_TRUE(has_errors({{1, Severity::Warning, "w"}, {2, Severity::Error, "e"}}));
}

}  // namespace
}  // namespace l2tpgw::cp::config
