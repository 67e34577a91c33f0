// SPDX-License-Identifier: Apache-2.0
// DaemonOptions: the flags and their checks.
#include "controlplane/daemon/options.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <utility>

namespace l2tpgw::cp {

namespace po = boost::program_options;

int parse_daemon_options(int argc, char** argv, DaemonOptions& opt,
                         const po::options_description* extra, po::variables_map* vm_out) {
  std::string sink = "stderr", level = "info";
  unsigned punt_poll_us = 1000, punt_idle_poll_us = 10000, retry_max_ms = 5000;
  po::options_description desc(
      "Usage: l2tpgw-controlplane [options]\n"
      "The l2tpgw controlplane: attaches to a running l2tpgw-dataplane as a DPDK secondary\n"
      "process (waiting for it when it is not there yet, and again when it goes away), owns\n"
      "the protocol state, installs sessions into the dataplane's tables and serves the\n"
      "operator CLI (l2tpgwctl).\nOptions");
  desc.add_options()
      ("help,h", "show this help")
      ("file-prefix", po::value<std::string>(&opt.file_prefix),
       "the dataplane's EAL --file-prefix: which l2tpgw-dataplane to attach to (default: DPDK's \"rte\")")
      ("socket", po::value<std::string>(&opt.socket_path)->default_value(kDefaultSocket),
       "the operator CLI socket (l2tpgwctl); created with mode 0600, a missing directory with 0700")
      ("log", po::value<std::string>(&sink)->default_value("stderr"), "where log lines go: stderr | syslog")
      ("log-level", po::value<std::string>(&level)->default_value("info"),
       "the least important lines logged: debug | info | notice | warning | error")
      ("config", po::value<std::string>(&opt.config_path),
       "the Yamaha RTX configuration file: loaded at start (a broken one stops the start with FILE:LINE: messages), printed by `show config`, read again by `load config` and SIGHUP")
      ("eal-lcore", po::value<unsigned>(&opt.eal_lcore)->default_value(127),
       "the EAL lcore id of this process (0..127): must differ from every lcore of the dataplane, "
       "since per-lcore mempool caches live in shared memory")
      ("punt-poll-us", po::value<unsigned>(&punt_poll_us)->default_value(1000),
       "punt ring poll interval while control packets arrive, microseconds")
      ("punt-idle-poll-us", po::value<unsigned>(&punt_idle_poll_us)->default_value(10000),
       "punt ring poll interval after 100 ms without any, microseconds")
      ("attach-retry-max-ms", po::value<unsigned>(&retry_max_ms)->default_value(5000),
       "longest wait between attempts to find the dataplane, milliseconds (the wait starts at "
       "200 ms and doubles)");
  if (extra) desc.add(*extra);
  po::variables_map local_vm;
  po::variables_map& vm = vm_out ? *vm_out : local_vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "l2tpgw-controlplane: %s (see --help)\n", e.what());
    return 2;
  }
  if (sink == "stderr") opt.log_sink = LogSink::Stderr;
  else if (sink == "syslog") opt.log_sink = LogSink::Syslog;
  else {
    std::fprintf(stderr, "l2tpgw-controlplane: --log: expected stderr or syslog, got '%s'\n", sink.c_str());
    return 2;
  }
  static const std::pair<const char*, LogLevel> kLevels[] = {
      {"debug", LogLevel::Debug}, {"info", LogLevel::Info}, {"notice", LogLevel::Notice},
      {"warning", LogLevel::Warning}, {"error", LogLevel::Error}};
  bool level_ok = false;
  for (const auto& [name, l] : kLevels)
    if (level == name) {
      opt.log_level = l;
      level_ok = true;
    }
  if (!level_ok) {
    std::fprintf(stderr, "l2tpgw-controlplane: --log-level: unknown level '%s'\n", level.c_str());
    return 2;
  }
  if (opt.eal_lcore >= 128) {
    std::fprintf(stderr, "l2tpgw-controlplane: --eal-lcore must be 0..127\n");
    return 2;
  }
  if (punt_poll_us == 0 || punt_idle_poll_us < punt_poll_us) {
    std::fprintf(stderr, "l2tpgw-controlplane: --punt-poll-us must be > 0 and <= --punt-idle-poll-us\n");
    return 2;
  }
  if (opt.socket_path.empty()) {
    std::fprintf(stderr, "l2tpgw-controlplane: --socket must not be empty\n");
    return 2;
  }
  opt.punt_poll = std::chrono::microseconds(punt_poll_us);
  opt.punt_idle_poll = std::chrono::microseconds(punt_idle_poll_us);
  opt.retry_max = std::chrono::milliseconds(std::max(retry_max_ms, 200u));
  opt.argv.assign(argv, argv + argc);
  return -1;
}

}  // namespace l2tpgw::cp
