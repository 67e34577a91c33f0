// SPDX-License-Identifier: Apache-2.0
// l2tpgw-controlplane: the controlplane process (flags in controlplane/daemon/options.cpp,
// body in controlplane/daemon/daemon.cpp), or `--check-config FILE` (controlplane/config/).
#include <boost/program_options.hpp>
#include <iostream>
#include <string>

#include "controlplane/config/check_config.hpp"
#include "controlplane/daemon/daemon.hpp"
#include "controlplane/daemon/options.hpp"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  po::options_description check("Checking a configuration");
  check.add_options()(
      "check-config", po::value<std::string>()->value_name("FILE"),
      "validate the Yamaha RTX configuration FILE without touching anything running: print the "
      "expanded configuration (secrets masked) and exit 0, or print FILE:LINE: message lines to "
      "stderr and exit 1; warnings for router functions l2tpgw lacks go to stderr either way");
  l2tpgw::cp::DaemonOptions opt;
  po::variables_map vm;
  const int rc = l2tpgw::cp::parse_daemon_options(argc, argv, opt, &check, &vm);
  if (rc >= 0) return rc;
  if (vm.count("check-config"))
    return l2tpgw::cp::config::check_config_main(vm["check-config"].as<std::string>(), std::cout,
                                                 std::cerr);
  return l2tpgw::cp::run_daemon(opt);
}
