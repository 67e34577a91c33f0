// SPDX-License-Identifier: Apache-2.0
// l2tpgw-controlplane: the controlplane process (flags in controlplane/daemon/options.cpp,
// body in controlplane/daemon/daemon.cpp), or `--check-config FILE` (controlplane/config/).
#include <boost/program_options.hpp>
#include <iostream>
#include <string>

#include "controlplane/config/check_config.hpp"
#include "controlplane/daemon/config_store.hpp"
#include "controlplane/daemon/daemon.hpp"
#include "controlplane/daemon/options.hpp"
#include "controlplane/ike/ike_service.hpp"

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
  // A daemon started with a broken configuration refuses to start (FILE:LINE: message on
  // stderr), as `--check-config` would have told; a good one is the running configuration
  // that `show config` prints and `load config` / SIGHUP diff against.
  l2tpgw::cp::ConfigStore store;
  if (!opt.config_path.empty()) {
    const l2tpgw::cp::Reply r = store.load(opt.config_path);
    std::cerr << r.text;
    if (r.status != l2tpgw::cp::ReplyStatus::Ok) return 1;
  }
  // IKE (issue 4): the responder answers punted UDP 500/4500 once attached; a reloaded
  // configuration gives it new gateways and keys.
  l2tpgw::cp::ike::IkeService ike;
  if (store.running()) ike.set_config(*store.running());
  l2tpgw::cp::DaemonHooks hooks;
  hooks.config = store.hooks(opt.config_path);
  hooks.config.load = [&store, &ike, load = hooks.config.load](const std::string& path) {
    l2tpgw::cp::Reply r = load(path);
    if (r.status == l2tpgw::cp::ReplyStatus::Ok && store.running()) ike.set_config(*store.running());
    return r;
  };
  hooks.punt.ike = ike.punt_handler();
  hooks.on_attach = [&ike](l2tpgw::cp::DaemonServices& s) { ike.attach(s); };
  hooks.on_detach = [&ike] { ike.detach(); };
  return l2tpgw::cp::run_daemon(opt, std::move(hooks));
}
