// SPDX-License-Identifier: Apache-2.0
// The operator commands: parse a command line, run it against the controlplane's state,
// answer with a Reply. Thread context: the controlplane loop.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "controlplane/cli/protocol.hpp"
#include "controlplane/cli/show.hpp"
#include "controlplane/install/installer.hpp"
#include "controlplane/install/teardown.hpp"

namespace l2tpgw::cp {

// Where `show config` and `load config` go. Empty functions answer "not yet available": the
// configuration parser (controlplane/config/) plugs in here.
struct ConfigHooks {
  std::function<Reply()> show;
  std::function<Reply(const std::string& path)> load;
  std::string path;  // --config, the file `load config` reads without an argument
};

// What the commands see. `installer` is null while the controlplane waits for the dataplane;
// `not_attached` then says why.
struct CliEnv {
  Installer* installer = nullptr;
  std::string not_attached;
  uint32_t wan_addr = 0, lan_addr = 0;
  std::function<CounterSnapshot()> counters;
  std::function<long()> now;              // Unix seconds
  std::function<void(const TeardownResult&)> on_teardown;  // logging, later the protocol machines
  std::function<void(ShowSnapshot&)> annotate;  // what the protocol machines add (L2TP state)
  std::function<void(CounterSnapshot&)> annotate_counters;  // ... and their counters
  ConfigHooks config;
};

// Runs one command line. Unknown commands and bad arguments are Error replies with a hint;
// nothing a client sends can make this throw or change state other than `disconnect`.
Reply run_command(CliEnv& env, std::string_view line);

// The command summary `help` prints.
std::string command_help();

}  // namespace l2tpgw::cp
