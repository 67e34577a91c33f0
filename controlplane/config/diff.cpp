// SPDX-License-Identifier: Apache-2.0
// diff_configs: what a reload changes, per tunnel, per pp and globally.
#include "controlplane/config/diff.hpp"

#include <algorithm>
#include <set>

#include "controlplane/config/values.hpp"

namespace l2tpgw::cp::config {
namespace {

void check(std::vector<std::string>& out, const char* name, bool changed) {
  if (changed) out.emplace_back(name);
}

const SaPolicy* policy_of(const Config& c, const TunnelConfig& t) {
  if (!t.ipsec_policy.value) return nullptr;
  const auto it = c.policies.find(*t.ipsec_policy.value);
  return it == c.policies.end() ? nullptr : &it->second;
}

// An absent gateway behaves as one at its defaults.
IkeGateway gateway_of(const Config& c, const SaPolicy* p) {
  if (p) {
    if (const auto it = c.gateways.find(p->gateway); it != c.gateways.end()) return it->second;
  }
  return IkeGateway{};
}

// The transports that name the tunnel's policy, without their ids (which only number them).
std::vector<IpsecTransport> transports_of(const Config& c, const SaPolicy* p) {
  std::vector<IpsecTransport> out;
  if (!p) return out;
  for (const auto& [id, t] : c.transports) {
    if (t.policy != p->id) continue;
    IpsecTransport copy = t;
    copy.id = 0;
    copy.policy = 0;
    out.push_back(copy);
  }
  return out;
}

void gateway_fields(std::vector<std::string>& f, const IkeGateway& a, const IkeGateway& b) {
  check(f, "ipsec ike encryption", !(a.encryption == b.encryption));
  check(f, "ipsec ike hash", !(a.hash == b.hash));
  check(f, "ipsec ike group", !(a.group == b.group));
  check(f, "ipsec ike local address", !(a.local_address == b.local_address));
  check(f, "ipsec ike remote address", !(a.remote_address == b.remote_address));
  check(f, "ipsec ike local name", !(a.local_name == b.local_name));
  check(f, "ipsec ike remote name", !(a.remote_name == b.remote_name));
  check(f, "ipsec ike pre-shared-key", !(a.pre_shared_key == b.pre_shared_key));
  check(f, "ipsec ike nat-traversal", !(a.nat_traversal == b.nat_traversal));
  check(f, "ipsec ike keepalive use", !(a.keepalive == b.keepalive));
  check(f, "ipsec ike keepalive log", !(a.keepalive_log == b.keepalive_log));
  check(f, "ipsec ike pfs", !(a.pfs == b.pfs));
  check(f, "ipsec ike negotiate-strictly", !(a.negotiate_strictly == b.negotiate_strictly));
  check(f, "ipsec ike duration isakmp-sa",
        !(a.isakmp_sa_lifetime == b.isakmp_sa_lifetime) || !(a.isakmp_sa_rekey == b.isakmp_sa_rekey));
  check(f, "ipsec ike duration ipsec-sa", !(a.ipsec_sa_lifetime == b.ipsec_sa_lifetime) ||
                                              !(a.ipsec_sa_kilobytes == b.ipsec_sa_kilobytes) ||
                                              !(a.ipsec_sa_rekey == b.ipsec_sa_rekey));
  check(f, "ipsec auto refresh", !(a.auto_refresh == b.auto_refresh));
  check(f, "ipsec ike version", !(a.version == b.version));
}

std::vector<std::string> tunnel_fields(const Config& ca, const TunnelConfig& a, const Config& cb, const TunnelConfig& b) {
  std::vector<std::string> f;
  check(f, "tunnel encapsulation", !(a.encapsulation == b.encapsulation));
  check(f, "tunnel endpoint address", !(a.endpoint == b.endpoint));
  check(f, "ipsec tunnel", !(a.ipsec_policy == b.ipsec_policy));
  const SaPolicy* pa = policy_of(ca, a);
  const SaPolicy* pb = policy_of(cb, b);
  const bool policy_changed = (pa == nullptr) != (pb == nullptr) ||
                              (pa && (pa->cipher != pb->cipher || pa->auth != pb->auth ||
                                      pa->anti_replay_check != pb->anti_replay_check));
  check(f, "ipsec sa policy", policy_changed);
  gateway_fields(f, gateway_of(ca, pa), gateway_of(cb, pb));
  check(f, "ipsec transport", transports_of(ca, pa) != transports_of(cb, pb));
  check(f, "l2tp always-on", !(a.l2tp_always_on == b.l2tp_always_on));
  check(f, "l2tp tunnel auth", !(a.l2tp_tunnel_auth == b.l2tp_tunnel_auth));
  check(f, "l2tp tunnel disconnect time", !(a.l2tp_disconnect_time == b.l2tp_disconnect_time));
  check(f, "l2tp keepalive use", !(a.l2tp_keepalive == b.l2tp_keepalive));
  check(f, "l2tp keepalive log", !(a.l2tp_keepalive_log == b.l2tp_keepalive_log));
  check(f, "l2tp syslog", !(a.l2tp_syslog == b.l2tp_syslog));
  check(f, "l2tp local router-id", !(a.l2tp_local_router_id == b.l2tp_local_router_id));
  check(f, "l2tp remote router-id", !(a.l2tp_remote_router_id == b.l2tp_remote_router_id));
  check(f, "l2tp remote end-id", !(a.l2tp_remote_end_id == b.l2tp_remote_end_id));
  check(f, "ip tunnel tcp mss limit", !(a.tcp_mss_limit == b.tcp_mss_limit));
  check(f, "tunnel enable", !(a.enabled == b.enabled));
  return f;
}

PpChange pp_change(const PpConfig& a, const PpConfig& b) {
  PpChange c;
  c.id = a.id;
  auto& f = c.fields;
  check(f, "pp bind", !(a.bind == b.bind));
  check(f, "pp auth request", !(a.auth_request == b.auth_request));
  check(f, "pp auth accept", !(a.auth_accept == b.auth_accept));
  for (const PpUser& u : a.users) {
    const auto it = std::find_if(b.users.begin(), b.users.end(), [&](const PpUser& v) { return v.name == u.name; });
    if (it == b.users.end())
      c.users_removed.push_back(u.name);
    else if (!(*it == u))
      c.users_modified.push_back(u.name);
  }
  for (const PpUser& v : b.users) {
    if (std::none_of(a.users.begin(), a.users.end(), [&](const PpUser& u) { return u.name == v.name; }))
      c.users_added.push_back(v.name);
  }
  check(f, "pp auth username", !c.users_added.empty() || !c.users_removed.empty() || !c.users_modified.empty());
  check(f, "ppp lcp mru", !(a.lcp_mru == b.lcp_mru));
  check(f, "ppp ipcp ipaddress", !(a.ipcp_ipaddress == b.ipcp_ipaddress));
  check(f, "ppp ipcp msext", !(a.ipcp_msext == b.ipcp_msext));
  check(f, "pp auth multi connect prohibit", !(a.auth_multi_connect_prohibit == b.auth_multi_connect_prohibit));
  check(f, "ppp ccp type", !(a.ccp_type == b.ccp_type));
  check(f, "ip pp mtu", !(a.mtu == b.mtu));
  check(f, "ip pp remote address", !(a.remote_address == b.remote_address));
  check(f, "pp enable", !(a.enabled == b.enabled));
  return c;
}

// Walks the union of two maps' keys: fn(key, before or nullptr, after or nullptr).
template <class Map, class Fn>
void for_union(const Map& a, const Map& b, Fn fn) {
  std::set<typename Map::key_type> keys;
  for (const auto& kv : a) keys.insert(kv.first);
  for (const auto& kv : b) keys.insert(kv.first);
  for (const auto& k : keys) {
    const auto ia = a.find(k);
    const auto ib = b.find(k);
    fn(k, ia == a.end() ? nullptr : &ia->second, ib == b.end() ? nullptr : &ib->second);
  }
}

}  // namespace

ConfigDiff diff_configs(const Config& before, const Config& after) {
  ConfigDiff d;
  // ---- global ----
  check(d.global, "l2tp service", !(before.l2tp_service == after.l2tp_service));
  check(d.global, "pptp service", !(before.pptp_service == after.pptp_service));
  check(d.global, "ipsec auto refresh", !(before.ipsec_auto_refresh == after.ipsec_auto_refresh));
  check(d.global, "dns server", !(before.dns_servers == after.dns_servers));
  check(d.global, "wins server", !(before.wins_servers == after.wins_servers));
  for_union(before.interfaces, after.interfaces, [&](const std::string& name, const Interface* a, const Interface* b) {
    const Interface none;
    const Interface& x = a ? *a : none;
    const Interface& y = b ? *b : none;
    if (!(x.address == y.address)) d.global.push_back("ip " + name + " address");
    if (!(x.proxyarp == y.proxyarp)) d.global.push_back("ip " + name + " proxyarp");
  });
  for_union(before.bridges, after.bridges, [&](const std::string& name, const Bridge* a, const Bridge* b) {
    if (!a || !b || !(*a == *b)) d.global.push_back("bridge member " + name);
  });
  for_union(before.routes, after.routes, [&](const Ipv4Prefix& dest, const Route* a, const Route* b) {
    if (!a || !b || !(*a == *b))
      d.global.push_back("ip route " + (dest.length == 0 && dest.address.value == 0 ? "default" : format_prefix(dest)));
  });
  // IPsec objects that no tunnel uses, in either config: changes to them touch no tunnel.
  std::set<uint32_t> used_policies, used_gateways;
  for (const Config* c : {&before, &after}) {
    for (const auto& [id, t] : c->tunnels) {
      if (const SaPolicy* p = policy_of(*c, t)) {
        used_policies.insert(p->id);
        used_gateways.insert(p->gateway);
      } else if (t.ipsec_policy.value) {
        used_policies.insert(*t.ipsec_policy.value);
      }
    }
  }
  for_union(before.policies, after.policies, [&](uint32_t id, const SaPolicy* a, const SaPolicy* b) {
    if (!used_policies.contains(id) && (!a || !b || !(*a == *b)))
      d.global.push_back("ipsec sa policy " + std::to_string(id));
  });
  for_union(before.gateways, after.gateways, [&](uint32_t id, const IkeGateway* a, const IkeGateway* b) {
    if (!used_gateways.contains(id) && (!a || !b || !(*a == *b)))
      d.global.push_back("ipsec ike gateway " + std::to_string(id));
  });
  for_union(before.transports, after.transports, [&](uint32_t id, const IpsecTransport* a, const IpsecTransport* b) {
    const bool used = (a && used_policies.contains(a->policy)) || (b && used_policies.contains(b->policy));
    if (!used && (!a || !b || !(*a == *b))) d.global.push_back("ipsec transport " + std::to_string(id));
  });

  // ---- pps ----
  for_union(before.pps, after.pps, [&](uint16_t id, const PpConfig* a, const PpConfig* b) {
    if (!a || !b) {
      PpChange c;
      c.id = id;
      c.kind = a ? ChangeKind::Removed : ChangeKind::Added;
      d.pps.push_back(c);
      return;
    }
    PpChange c = pp_change(*a, *b);
    if (!c.fields.empty()) d.pps.push_back(std::move(c));
  });

  // ---- tunnels ----
  for_union(before.tunnels, after.tunnels, [&](uint16_t id, const TunnelConfig* a, const TunnelConfig* b) {
    if (!a || !b) {
      d.tunnels.push_back(TunnelChange{id, a ? ChangeKind::Removed : ChangeKind::Added, {}});
      return;
    }
    auto fields = tunnel_fields(before, *a, after, *b);
    if (!fields.empty()) d.tunnels.push_back(TunnelChange{id, ChangeKind::Modified, std::move(fields)});
  });
  return d;
}

namespace {

const char* kind_name(ChangeKind k) {
  switch (k) {
    case ChangeKind::Added: return "added";
    case ChangeKind::Removed: return "removed";
    case ChangeKind::Modified: return "modified";
  }
  return "?";
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::string describe(const ConfigDiff& d) {
  std::string out;
  for (const std::string& g : d.global) out += "global: " + g + "\n";
  for (const PpChange& c : d.pps) {
    out += pp_name(c.id) + ": " + kind_name(c.kind);
    if (!c.fields.empty()) out += ": " + join(c.fields);
    if (!c.users_added.empty()) out += "; users added: " + join(c.users_added);
    if (!c.users_removed.empty()) out += "; users removed: " + join(c.users_removed);
    if (!c.users_modified.empty()) out += "; users modified: " + join(c.users_modified);
    out += "\n";
  }
  for (const TunnelChange& c : d.tunnels) {
    out += "tunnel " + std::to_string(c.id) + ": " + kind_name(c.kind);
    if (!c.fields.empty()) out += ": " + join(c.fields);
    out += "\n";
  }
  return out;
}

}  // namespace l2tpgw::cp::config
