// SPDX-License-Identifier: Apache-2.0
// Template expansion: `tunnel template` and `ipsec transport template`, as the RTX applies them.
#include "controlplane/config/expand.hpp"

#include <map>
#include <string>

namespace l2tpgw::cp::config {
namespace {

// Copies `from` into `to` unless the target set it itself; the copy carries the template line.
template <class T>
void copy_unset(Setting<T>& to, const Setting<T>& from, uint32_t line) {
  if (from.is_set() && !to.is_set()) to.set(from.value, line);
}

void copy_tunnel(TunnelConfig& t, const TunnelConfig& s, uint32_t line) {
  copy_unset(t.encapsulation, s.encapsulation, line);
  copy_unset(t.endpoint, s.endpoint, line);
  copy_unset(t.l2tp_disconnect_time, s.l2tp_disconnect_time, line);
  copy_unset(t.l2tp_tunnel_auth, s.l2tp_tunnel_auth, line);
  copy_unset(t.l2tp_keepalive, s.l2tp_keepalive, line);
  copy_unset(t.l2tp_keepalive_log, s.l2tp_keepalive_log, line);
  copy_unset(t.l2tp_syslog, s.l2tp_syslog, line);
  copy_unset(t.l2tp_always_on, s.l2tp_always_on, line);
  copy_unset(t.l2tp_local_router_id, s.l2tp_local_router_id, line);
  copy_unset(t.l2tp_remote_router_id, s.l2tp_remote_router_id, line);
  copy_unset(t.l2tp_remote_end_id, s.l2tp_remote_end_id, line);
  copy_unset(t.tcp_mss_limit, s.tcp_mss_limit, line);
  copy_unset(t.enabled, s.enabled, line);  // `tunnel enable SOURCE` -> `tunnel enable N`
}

void copy_gateway(IkeGateway& t, const IkeGateway& s, uint32_t line) {
  copy_unset(t.encryption, s.encryption, line);
  copy_unset(t.hash, s.hash, line);
  copy_unset(t.group, s.group, line);
  copy_unset(t.local_address, s.local_address, line);
  copy_unset(t.remote_address, s.remote_address, line);
  copy_unset(t.local_name, s.local_name, line);
  copy_unset(t.remote_name, s.remote_name, line);
  copy_unset(t.pre_shared_key, s.pre_shared_key, line);
  copy_unset(t.nat_traversal, s.nat_traversal, line);
  copy_unset(t.keepalive, s.keepalive, line);
  copy_unset(t.keepalive_log, s.keepalive_log, line);
  copy_unset(t.pfs, s.pfs, line);
  copy_unset(t.negotiate_strictly, s.negotiate_strictly, line);
  copy_unset(t.isakmp_sa_lifetime, s.isakmp_sa_lifetime, line);
  copy_unset(t.ipsec_sa_lifetime, s.ipsec_sa_lifetime, line);
  copy_unset(t.ipsec_sa_kilobytes, s.ipsec_sa_kilobytes, line);
  copy_unset(t.isakmp_sa_rekey, s.isakmp_sa_rekey, line);
  copy_unset(t.ipsec_sa_rekey, s.ipsec_sa_rekey, line);
  copy_unset(t.auto_refresh, s.auto_refresh, line);
  copy_unset(t.version, s.version, line);
}

bool gateway_is_empty(const IkeGateway& g) {
  return !(g.encryption.is_set() || g.hash.is_set() || g.group.is_set() || g.local_address.is_set() ||
           g.remote_address.is_set() || g.local_name.is_set() || g.remote_name.is_set() ||
           g.pre_shared_key.is_set() || g.nat_traversal.is_set() || g.keepalive.is_set() ||
           g.keepalive_log.is_set() || g.pfs.is_set() || g.isakmp_sa_lifetime.is_set() ||
           g.ipsec_sa_lifetime.is_set() || g.auto_refresh.is_set() || g.version.is_set());
}

void expand_tunnel_templates(ParsedConfig& p, std::vector<Diagnostic>& diags) {
  Config& cfg = p.config;
  // Which template fills each target; refuse the shapes whose meaning would be a guess.
  std::map<uint16_t, const TunnelTemplate*> filled_by;
  bool bad = false;
  for (const auto& [source, tpl] : p.tunnel_templates) {
    for (uint16_t target : tpl.targets) {
      if (target == source) {
        diags.push_back({tpl.line, Severity::Error,
                         "tunnel template: tunnel " + std::to_string(target) + " is this template's own tunnel"});
        bad = true;
      } else if (p.tunnel_templates.contains(target)) {
        diags.push_back({tpl.line, Severity::Error,
                         "tunnel template: tunnel " + std::to_string(target) +
                             " has a tunnel template of its own (line " +
                             std::to_string(p.tunnel_templates.at(target).line) + "); templates do not chain"});
        bad = true;
      } else if (const auto [it, added] = filled_by.try_emplace(target, &tpl); !added) {
        diags.push_back({tpl.line, Severity::Error,
                         "tunnel template: tunnel " + std::to_string(target) + " is also filled by tunnel " +
                             std::to_string(it->second->source) + "'s template (line " +
                             std::to_string(it->second->line) + ")"});
        bad = true;
      }
    }
  }
  if (bad) return;

  for (const auto& [target, tpl] : filled_by) {
    const TunnelConfig source = cfg.tunnels.at(tpl->source);  // a copy: cfg.tunnels may rehash below
    const uint32_t line = tpl->line;
    auto [it, added] = cfg.tunnels.try_emplace(target);
    TunnelConfig& t = it->second;
    t.id = target;
    if (t.select_line == 0) t.select_line = line;
    t.template_source = tpl->source;
    copy_tunnel(t, source, line);

    if (!source.ipsec_policy.is_set() || !source.ipsec_policy.value) continue;
    const uint32_t n = target;
    if (!t.ipsec_policy.is_set()) t.ipsec_policy.set(n, line);  // `ipsec tunnel P` -> `ipsec tunnel N`
    const auto sp = cfg.policies.find(*source.ipsec_policy.value);
    if (sp == cfg.policies.end()) continue;  // validation reports the missing policy on the source
    const SaPolicy source_policy = sp->second;
    // `ipsec sa policy P G ...` -> `ipsec sa policy N N ...` for the target's own policy.
    if (t.ipsec_policy.value == n && !cfg.policies.contains(n)) {
      SaPolicy copy = source_policy;
      copy.id = n;
      copy.gateway = n;
      copy.line = line;
      cfg.policies[n] = copy;
    }
    // `ipsec ike ... G` and `ipsec auto refresh G` -> gateway N.
    if (const auto sg = cfg.gateways.find(source_policy.gateway); sg != cfg.gateways.end() && source_policy.gateway != n) {
      const IkeGateway source_gateway = sg->second;
      auto [gt, gadded] = cfg.gateways.try_emplace(n);
      gt->second.id = n;
      copy_gateway(gt->second, source_gateway, line);
    }
  }
}

void expand_transport_templates(ParsedConfig& p, std::vector<Diagnostic>& diags) {
  Config& cfg = p.config;
  // Transports the file defines itself win over copies, whatever the order of the lines.
  std::map<uint32_t, IpsecTransport> copies;
  std::map<uint32_t, const TransportTemplate*> made_by;
  for (const auto& [source, tpl] : p.transport_templates) {
    const auto s = cfg.transports.find(source);
    if (s == cfg.transports.end()) {
      diags.push_back({tpl.line, Severity::Error,
                       "ipsec transport template: there is no ipsec transport " + std::to_string(source) + " to copy"});
      continue;
    }
    for (uint32_t target : tpl.targets) {
      if (target == source) {
        diags.push_back({tpl.line, Severity::Error,
                         "ipsec transport template: transport " + std::to_string(target) +
                             " is this template's own source"});
        continue;
      }
      if (cfg.transports.contains(target)) continue;
      if (const auto [it, added] = made_by.try_emplace(target, &tpl); !added) {
        diags.push_back({tpl.line, Severity::Error,
                         "ipsec transport template: transport " + std::to_string(target) +
                             " is also made by the template of transport " + std::to_string(it->second->source) +
                             " (line " + std::to_string(it->second->line) + ")"});
        continue;
      }
      IpsecTransport copy = s->second;
      copy.id = target;
      copy.policy = target;
      copy.line = tpl.line;
      copies[target] = copy;
    }
  }
  cfg.transports.merge(copies);
}

template <class Map>
void apply_all(Map& items, const Setting<bool>& all) {
  if (!all.is_set()) return;
  for (auto& [id, item] : items)
    if (!item.enabled.is_set()) item.enabled.set(all.value, all.line);
}

}  // namespace

Config expand(ParsedConfig parsed, std::vector<Diagnostic>& diags) {
  expand_tunnel_templates(parsed, diags);
  expand_transport_templates(parsed, diags);
  Config cfg = std::move(parsed.config);
  apply_all(cfg.tunnels, parsed.all_tunnels_enabled);
  apply_all(cfg.pps, parsed.all_pps_enabled);
  std::erase_if(cfg.gateways, [](const auto& kv) { return gateway_is_empty(kv.second); });
  std::erase_if(cfg.interfaces, [](const auto& kv) {
    return !kv.second.address.is_set() && !kv.second.proxyarp.is_set();
  });
  return cfg;
}

}  // namespace l2tpgw::cp::config
