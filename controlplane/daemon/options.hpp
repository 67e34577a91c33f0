// SPDX-License-Identifier: Apache-2.0
// DaemonOptions: l2tpgw-controlplane's flags (Boost.Program_options; --help documents each).
#pragma once

#include <boost/program_options.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "controlplane/cli/protocol.hpp"  // kDefaultSocket
#include "controlplane/log/log.hpp"

namespace l2tpgw::cp {

struct DaemonOptions {
  std::string file_prefix;                  // the dataplane's EAL --file-prefix ("" = "rte")
  std::string socket_path = kDefaultSocket; // the operator CLI socket (mode 0600)
  LogSink log_sink = LogSink::Stderr;
  LogLevel log_level = LogLevel::Info;
  std::string config_path;                  // --config; parsed once the config parser lands
  unsigned eal_lcore = 127;                 // our EAL lcore id: distinct from the dataplane's
  std::chrono::microseconds punt_poll{1000};       // punt ring poll while packets flow
  std::chrono::microseconds punt_idle_poll{10000}; // ... after 100 ms without any
  std::chrono::milliseconds retry_min{200};        // attach retry back-off: first delay
  std::chrono::milliseconds retry_max{5000};       // ... doubling up to this
  std::chrono::milliseconds watch_interval{250};   // how often the dataplane's liveness is checked
  std::vector<std::string> argv;            // the command line, to re-exec with
};

// Parses the command line into `opt`. `extra` (may be null) adds another component's flags to
// the same command line and --help (main.cpp merges the configuration checker's this way);
// their values land in `vm` when it is given. Returns -1 to go on, or the exit status to leave
// with (0 after --help, 2 after a usage error, with the message on stderr).
int parse_daemon_options(int argc, char** argv, DaemonOptions& opt,
                         const boost::program_options::options_description* extra = nullptr,
                         boost::program_options::variables_map* vm = nullptr);

}  // namespace l2tpgw::cp
