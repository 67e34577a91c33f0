// SPDX-License-Identifier: Apache-2.0
// The LCCE's settings from the loaded configuration: one LcceTunnelConfig per `tunnel select
// N` section with `tunnel encapsulation l2tpv3|l2tpv3-raw` (seed 001), from `tunnel endpoint
// address`, `l2tp always-on`, `l2tp local|remote router-id`, `l2tp remote end-id`, `l2tp
// tunnel auth on PASSWORD`, `l2tp keepalive use|log` and `l2tp syslog`. `l2tpv3` (not
// `-raw`) makes the tunnel IPsec-only: its control messages count only when ESP carried them.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "controlplane/config/model.hpp"
#include "controlplane/l2tp/v3/lcce.hpp"

namespace l2tpgw::cp::l2tp::v3 {

// nullopt: not an L2TPv3 tunnel, no `tunnel endpoint address`, or not enabled. `wan_addr`
// (host order) stands in for an endpoint line without LOCAL.
std::optional<LcceTunnelConfig> lcce_tunnel_config(const config::TunnelConfig& t, uint32_t wan_addr);

// Every L2TPv3 tunnel of the configuration, by tunnel number; none unless `l2tp service on`
// includes l2tpv3.
std::vector<LcceTunnelConfig> lcce_tunnel_configs(const config::Config& c, uint32_t wan_addr);

}  // namespace l2tpgw::cp::l2tp::v3
