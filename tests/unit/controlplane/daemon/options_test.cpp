// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/daemon/options: defaults, each flag, refusals, --help.
#include "controlplane/daemon/options.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace l2tpgw::cp {
namespace {

int parse(std::vector<std::string> args, DaemonOptions& opt) {
  args.insert(args.begin(), "l2tpgw-controlplane");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_daemon_options(static_cast<int>(argv.size()), argv.data(), opt);
}

TEST(DaemonOptions, Defaults) {
  DaemonOptions opt;
  ASSERT_EQ(parse({}, opt), -1);
  EXPECT_EQ(opt.socket_path, "/run/l2tpgw/controlplane.sock");
  EXPECT_EQ(opt.file_prefix, "");
  EXPECT_EQ(opt.log_sink, LogSink::Stderr);
  EXPECT_EQ(opt.log_level, LogLevel::Info);
  EXPECT_EQ(opt.eal_lcore, 127u);
  EXPECT_EQ(opt.punt_poll, std::chrono::microseconds(1000));
  EXPECT_EQ(opt.punt_idle_poll, std::chrono::microseconds(10000));
  EXPECT_EQ(opt.argv.size(), 1u);
}

TEST(DaemonOptions, EveryFlag) {
  DaemonOptions opt;
  ASSERT_EQ(parse({"--file-prefix", "l2gw-x", "--socket", "/tmp/s", "--log", "syslog", "--log-level", "debug",
                   "--config", "/etc/l2tpgw.conf", "--eal-lcore", "100", "--punt-poll-us", "500",
                   "--punt-idle-poll-us", "2000", "--attach-retry-max-ms", "1000"},
                  opt),
            -1);
  EXPECT_EQ(opt.file_prefix, "l2gw-x");
  EXPECT_EQ(opt.socket_path, "/tmp/s");
  EXPECT_EQ(opt.log_sink, LogSink::Syslog);
  EXPECT_EQ(opt.log_level, LogLevel::Debug);
  EXPECT_EQ(opt.config_path, "/etc/l2tpgw.conf");
  EXPECT_EQ(opt.eal_lcore, 100u);
  EXPECT_EQ(opt.punt_poll, std::chrono::microseconds(500));
  EXPECT_EQ(opt.punt_idle_poll, std::chrono::microseconds(2000));
  EXPECT_EQ(opt.retry_max, std::chrono::milliseconds(1000));
  EXPECT_EQ(opt.argv.size(), 19u) << "kept whole for re-execution";
}

TEST(DaemonOptions, Refusals) {
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"--log", "file"}, {"--log-level", "loud"}, {"--eal-lcore", "128"}, {"--punt-poll-us", "0"},
           {"--punt-poll-us", "5000", "--punt-idle-poll-us", "1000"}, {"--socket", ""}, {"--bogus"},
           {"--eal-lcore", "x"}}) {
    DaemonOptions opt;
    EXPECT_EQ(parse(bad, opt), 2) << bad[0];
  }
}

TEST(DaemonOptions, HelpDocumentsEveryFlag) {
  DaemonOptions opt;
  testing::internal::CaptureStdout();
  EXPECT_EQ(parse({"--help"}, opt), 0);
  const std::string out = testing::internal::GetCapturedStdout();
  for (const char* flag : {"--file-prefix", "--socket", "--log ", "--log-level", "--config", "--eal-lcore",
                           "--punt-poll-us", "--punt-idle-poll-us", "--attach-retry-max-ms", "--help"})
    EXPECT_NE(out.find(flag), std::string::npos) << flag;
}

TEST(DaemonOptions, ExtraOptionsJoinTheCommandLine) {
  namespace po = boost::program_options;
  po::options_description extra("Configuration");
  std::string check;
  extra.add_options()("check-config", po::value<std::string>(&check), "validate FILE and exit");
  po::variables_map vm;
  DaemonOptions opt;
  std::vector<std::string> args = {"l2tpgw-controlplane", "--check-config", "/tmp/x.conf"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ASSERT_EQ(parse_daemon_options(3, argv.data(), opt, &extra, &vm), -1);
  EXPECT_EQ(check, "/tmp/x.conf");
  EXPECT_TRUE(vm.count("check-config"));
}

}  // namespace
}  // namespace l2tpgw::cp
