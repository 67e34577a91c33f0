// SPDX-License-Identifier: Apache-2.0
// l2tpgw-controlplane: the control-plane process. For now: --check-config.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "controlplane/config/check_config.hpp"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  po::options_description desc("Usage: l2tpgw-controlplane [options]\nOptions");
  desc.add_options()("help,h", "show this help")(
      "check-config", po::value<std::string>()->value_name("FILE"),
      "validate the Yamaha RTX configuration FILE without touching anything running: print the expanded "
      "configuration (secrets masked) and exit 0, or print FILE:LINE: message lines to stderr and exit 1; "
      "warnings for router functions l2tpgw lacks go to stderr either way");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "l2tpgw-controlplane: %s\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (vm.count("check-config"))
    return l2tpgw::cp::config::check_config_main(vm["check-config"].as<std::string>(), std::cout, std::cerr);
  std::cerr << "l2tpgw-controlplane: nothing to do (see --help)\n";
  return 2;
}
