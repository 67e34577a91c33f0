// SPDX-License-Identifier: Apache-2.0
// l2tpgw-controlplane: the controlplane process (flags in controlplane/daemon/options.cpp,
// body in controlplane/daemon/daemon.cpp), or `--check-config FILE` (controlplane/config/).
#include <boost/program_options.hpp>
#include <iostream>
#include <string>

#include "controlplane/access/access_service.hpp"
#include "controlplane/bridge/bridge_service.hpp"
#include "controlplane/config/check_config.hpp"
#include "controlplane/config/dataplane_settings.hpp"
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
  // Remote access (issue 5): L2TP control and PPP on the SA pairs IKE installs.
  l2tpgw::cp::access::AccessService access;
  // LAN-to-LAN (issue 6): the L2TPv3 tunnels of the configuration as bridge1's pseudowires.
  l2tpgw::cp::bridge::BridgeService bridge;
  if (store.running()) {
    ike.set_config(*store.running());
    access.set_config(*store.running());
    bridge.set_config(*store.running());
  }
  // An SA pair with an L2TPv3/IPsec tunnel's peer is the bridge's; any other is a remote-access
  // client's.
  auto pair_of = [](const l2tpgw::cp::ike::ChildSaEvent& e) {
    return l2tpgw::cp::access::IpsecPair{e.peer_index, e.slot_in, e.slot_out};
  };
  auto bridge_pair_of = [](const l2tpgw::cp::ike::ChildSaEvent& e) {
    return l2tpgw::cp::bridge::IpsecPair{e.serial, e.peer_index, e.slot_in, e.slot_out, e.peer.addr,
                                         e.natt};
  };
  ike.set_hooks({.child_up = [&access, &bridge, pair_of, bridge_pair_of](const auto& e) {
                   if (!bridge.ipsec_up(bridge_pair_of(e))) access.ipsec_up(pair_of(e));
                 },
                 .child_down = [&access, &bridge, pair_of, bridge_pair_of](const auto& e) {
                   if (!bridge.ipsec_down(bridge_pair_of(e))) access.ipsec_down(pair_of(e));
                 }});
  // A client that stops answering L2TP (keepalive) loses its IPsec SAs too, so that nothing
  // of it lingers and it can dial in again at once.
  access.set_drop_peer([&ike](uint32_t peer_index) { ike.delete_peer(peer_index, "L2TP peer unreachable"); });
  l2tpgw::cp::DaemonHooks hooks;
  l2tpgw::cp::DaemonServices* attached = nullptr;
  hooks.config = store.hooks(opt.config_path);
  hooks.config.load = [&store, &ike, &access, &bridge, &attached,
                       load = hooks.config.load](const std::string& path) {
    l2tpgw::cp::Reply r = load(path);
    if (r.status == l2tpgw::cp::ReplyStatus::Ok && store.running()) {
      ike.set_config(*store.running());
      access.set_config(*store.running());
      bridge.set_config(*store.running());
      // The dataplane's pool index is sized at its start: say which new addresses it lacks.
      if (attached)
        for (const auto& w : l2tpgw::cp::config::addresses_outside(*store.running(),
                                                                   attached->installer.pool_ranges()))
          r.text += l2tpgw::cp::config::format_diagnostic(w, path) + "\n";
    }
    return r;
  };
  hooks.on_sa_expire = [&ike](uint32_t slot) { ike.sa_expiring(slot); };
  hooks.on_lan_link = [&bridge](bool up) { bridge.set_lan_link(up); };
  hooks.punt.ike = ike.punt_handler();
  // L2TPv3 control to the LCCE, L2TPv2 on to the LNS.
  hooks.punt.l2tp_control = bridge.l2tp_handler(access.l2tp_handler());
  hooks.punt.ppp_control = access.ppp_handler();
  hooks.punt.natt_source = [&ike](uint32_t sa_slot, uint32_t addr, uint16_t port) {
    ike.nat_peer_seen(sa_slot, addr, port);
  };
  hooks.annotate_show = [&ike, &access, &bridge](l2tpgw::cp::ShowSnapshot& s) {
    ike.annotate(s);
    access.annotate(s);
    bridge.annotate(s);
  };
  hooks.annotate_counters = [&ike, &access, &bridge](l2tpgw::cp::CounterSnapshot& c) {
    ike.annotate(c);
    access.annotate(c);
    bridge.annotate(c);
  };
  // IKE first: the SA pairs it already holds are announced to remote access as they come up.
  hooks.on_attach = [&ike, &access, &bridge, &attached](l2tpgw::cp::DaemonServices& s) {
    attached = &s;
    access.attach(s);
    ike.attach(s);
    bridge.attach(s);
  };
  hooks.on_detach = [&ike, &access, &bridge, &attached] {
    attached = nullptr;
    bridge.detach();
    ike.detach();
    access.detach();
  };
  return l2tpgw::cp::run_daemon(opt, std::move(hooks));
}
