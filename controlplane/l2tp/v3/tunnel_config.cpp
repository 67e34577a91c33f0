// SPDX-License-Identifier: Apache-2.0
#include "controlplane/l2tp/v3/tunnel_config.hpp"

namespace l2tpgw::cp::l2tp::v3 {

std::optional<LcceTunnelConfig> lcce_tunnel_config(const config::TunnelConfig& t, uint32_t wan_addr) {
  using config::TunnelEncapsulation;
  const TunnelEncapsulation e = t.encapsulation.value;
  if (!config::carries_ethernet(e) || !t.endpoint.value || !t.enabled.value) return std::nullopt;
  const config::TunnelEndpoint& ep = *t.endpoint.value;
  LcceTunnelConfig c;
  c.interface = t.id;
  c.local_addr = ep.local ? ep.local->value : wan_addr;
  c.remote_addr = ep.remote.value;
  c.ipsec = e == TunnelEncapsulation::L2tpv3;
  c.always_on = t.l2tp_always_on.value;
  if (t.l2tp_local_router_id.value) c.local_router_id = t.l2tp_local_router_id.value->value;
  if (t.l2tp_remote_router_id.value) c.remote_router_id = t.l2tp_remote_router_id.value->value;
  c.remote_end_id = t.l2tp_remote_end_id.value;
  c.auth = t.l2tp_tunnel_auth.value.on;
  c.secret = t.l2tp_tunnel_auth.value.password.reveal();
  c.keepalive = t.l2tp_keepalive.value.on;
  c.keepalive_interval = t.l2tp_keepalive.value.interval;
  c.keepalive_count = t.l2tp_keepalive.value.count;
  c.keepalive_log = t.l2tp_keepalive_log.value;
  c.syslog = t.l2tp_syslog.value;
  return c;
}

std::vector<LcceTunnelConfig> lcce_tunnel_configs(const config::Config& c, uint32_t wan_addr) {
  std::vector<LcceTunnelConfig> out;
  const config::L2tpService& s = c.l2tp_service.value;
  if (!s.on || !s.l2tpv3) return out;
  for (const auto& [id, t] : c.tunnels)
    if (auto x = lcce_tunnel_config(t, wan_addr)) out.push_back(std::move(*x));
  return out;
}

}  // namespace l2tpgw::cp::l2tp::v3
