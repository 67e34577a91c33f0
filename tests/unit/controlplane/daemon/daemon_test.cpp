// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/daemon/daemon: the retry back-off, the punt poll policy and the
// seed's SYSLOG wording for disconnects. (Attaching itself is tested end to end:
// tests/e2e/controlplane_e2e.py.)
#include "controlplane/daemon/daemon.hpp"

#include <gtest/gtest.h>

namespace l2tpgw::cp {
namespace {

using namespace std::chrono_literals;

TEST(Daemon, BackoffDoublesUpToItsCap) {
  Duration d{};
  std::vector<Duration> seen;
  for (int i = 0; i < 8; ++i) {
    d = next_backoff(d, 200ms, 5s);
    seen.push_back(d);
  }
  EXPECT_EQ(seen, (std::vector<Duration>{200ms, 400ms, 800ms, 1600ms, 3200ms, 5s, 5s, 5s}));
}

TEST(Daemon, PuntPollIsFastWhilePacketsFlowAndSlowWhenQuiet) {
  const TimePoint now = TimePoint{} + 1h;
  EXPECT_EQ(punt_poll_delay(now, now, 1ms, 10ms), 1ms);
  EXPECT_EQ(punt_poll_delay(now, now - 99ms, 1ms, 10ms), 1ms);
  EXPECT_EQ(punt_poll_delay(now, now - 100ms, 1ms, 10ms), 10ms);
}

TEST(Daemon, DisconnectLogLinesUseTheSeedsWording) {
  TeardownResult r;
  r.sessions = {{1, 16892}};
  r.tunnels = {1};
  r.sas = {3, 4};
  EXPECT_EQ(teardown_log_lines(r), (std::vector<std::string>{"[L2TP] TUNNEL[1] disconnect session 16892 complete",
                                                              "[L2TP] TUNNEL[1] disconnect tunnel 1 complete"}));
}

}  // namespace
}  // namespace l2tpgw::cp
