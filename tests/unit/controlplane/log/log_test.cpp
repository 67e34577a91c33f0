// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/log/log: RTX `show log` style lines, levels, capture.
#include "controlplane/log/log.hpp"

#include <cstdlib>
#include <ctime>

#include <gtest/gtest.h>

namespace l2tpgw::cp {
namespace {

TEST(Log, StderrLinesReadLikeShowLog) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(format_stderr_line(LogLevel::Info, "[L2TP] TUNNEL[1] connected from 203.0.113.1", 1695999142),
            "2023/09/29 14:52:22: [L2TP] TUNNEL[1] connected from 203.0.113.1");
  EXPECT_EQ(format_stderr_line(LogLevel::Error, "[CP] x", 0), "1970/01/01 00:00:00: error: [CP] x");
}

TEST(Log, LevelsFilterAndCaptureCollects) {
  std::vector<std::string> lines;
  log_init(LogSink::Stderr, "test", LogLevel::Notice);
  log_capture(&lines);
  log_line(LogLevel::Info, "dropped");
  log_line(LogLevel::Notice, "kept");
  logf(LogLevel::Warning, "[L2TP] TUNNEL[%u] disconnect session %u complete", 1u, 16892u);
  logf(LogLevel::Debug, "dropped %d", 1);
  log_capture(nullptr);
  log_init(LogSink::Stderr, "test", LogLevel::Info);
  EXPECT_EQ(lines, (std::vector<std::string>{"kept", "[L2TP] TUNNEL[1] disconnect session 16892 complete"}));
}

TEST(Log, LongLinesAreCutNotOverrun) {
  std::vector<std::string> lines;
  log_capture(&lines);
  logf(LogLevel::Info, "%s", std::string(5000, 'x').c_str());
  log_capture(nullptr);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].size(), 1023u);
}

}  // namespace
}  // namespace l2tpgw::cp
