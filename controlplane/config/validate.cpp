// SPDX-License-Identifier: Apache-2.0
// Cross-checks of an expanded Config: references between sections, and shapes that cannot work.
#include "controlplane/config/validate.hpp"

#include <map>
#include <set>

#include "controlplane/config/values.hpp"

namespace l2tpgw::cp::config {

namespace {

std::string tunnel_name(uint16_t id) { return "tunnel " + std::to_string(id); }

// The first line that says anything about the tunnel, for messages about the whole tunnel.
uint32_t tunnel_line(const TunnelConfig& t) {
  if (t.select_line) return t.select_line;
  return t.enabled.line;
}

// A tunnel that a line configures (not only selects, and not an empty template copy).
bool tunnel_has_settings(const TunnelConfig& t) {
  return t.encapsulation.is_set() || t.endpoint.is_set() || t.ipsec_policy.is_set() || t.enabled.is_set() ||
         t.l2tp_disconnect_time.is_set() || t.l2tp_tunnel_auth.is_set() || t.l2tp_keepalive.is_set() ||
         t.l2tp_keepalive_log.is_set() || t.l2tp_syslog.is_set() || t.l2tp_always_on.is_set() ||
         t.l2tp_local_router_id.is_set() || t.l2tp_remote_router_id.is_set() || t.l2tp_remote_end_id.is_set() ||
         t.tcp_mss_limit.is_set();
}

class Validator {
 public:
  Validator(const Config& cfg, std::vector<Diagnostic>& diags) : cfg_(cfg), diags_(diags) {}

  void run() {
    policies();
    transports();
    binds();
    bridges();
    pools();
    tunnels();
    pps();
  }

 private:
  void error(uint32_t line, std::string msg) { diags_.push_back({line, Severity::Error, std::move(msg)}); }
  void warn(uint32_t line, std::string msg) { diags_.push_back({line, Severity::Warning, std::move(msg)}); }

  // Which tunnel uses each policy (`ipsec tunnel P`); a policy belongs to one tunnel.
  void policies() {
    for (const auto& [id, t] : cfg_.tunnels) {
      if (!t.ipsec_policy.value) continue;
      const uint32_t p = *t.ipsec_policy.value;
      const uint32_t line = t.ipsec_policy.line;
      if (!cfg_.policies.contains(p)) {
        error(line, tunnel_name(id) + ": ipsec tunnel " + std::to_string(p) + ", but there is no ipsec sa policy " +
                        std::to_string(p));
      }
      if (const auto [it, added] = policy_user_.try_emplace(p, &t); !added) {
        error(line, tunnel_name(id) + ": ipsec sa policy " + std::to_string(p) + " is already used by " +
                        tunnel_name(it->second->id) + " (line " + std::to_string(it->second->ipsec_policy.line) + ")");
      }
    }
  }

  // A transport protects nothing unless a tunnel uses its policy. The copies one `ipsec
  // transport template` line makes are reported together, on that line.
  void transports() {
    std::map<uint32_t, std::vector<const IpsecTransport*>> by_line;
    for (const auto& [id, tr] : cfg_.transports)
      if (!policy_user_.contains(tr.policy)) by_line[tr.line].push_back(&tr);
    for (const auto& [line, trs] : by_line) {
      if (trs.size() == 1) {
        const IpsecTransport& tr = *trs[0];
        error(line, "ipsec transport " + std::to_string(tr.id) + " " + std::to_string(tr.policy) +
                        ": no tunnel uses policy " + std::to_string(tr.policy) + " (ipsec tunnel " +
                        std::to_string(tr.policy) + " in a tunnel select section)");
        continue;
      }
      std::vector<uint32_t> policies;
      for (const IpsecTransport* tr : trs) policies.push_back(tr->policy);
      error(line, "ipsec transport template: no tunnel uses policy " + format_id_ranges(policies) +
                      " (a copy's policy id is its transport id; each needs a tunnel with ipsec tunnel N)");
    }
  }

  void binds() {
    // Bind lines in file order, so that the second binding of a tunnel is the one reported.
    std::multimap<uint32_t, const PpConfig*> by_line;
    for (const auto& [id, pp] : cfg_.pps)
      if (pp.bind.is_set()) by_line.emplace(pp.bind.line, &pp);
    for (const auto& [line, pp] : by_line) {
      for (uint16_t n : pp->bind.value) {
        if (const auto [it, added] = bound_.try_emplace(n, pp); !added) {
          error(line, pp_name(pp->id) + ": " + tunnel_name(n) + " is already bound to " + pp_name(it->second->id) +
                          " (line " + std::to_string(it->second->bind.line) + ")");
          continue;
        }
        const auto t = cfg_.tunnels.find(n);
        if (t == cfg_.tunnels.end()) {
          warn(line, pp_name(pp->id) + ": binds " + tunnel_name(n) + ", which no tunnel select section configures");
        } else if (t->second.encapsulation.is_set() && carries_ethernet(t->second.encapsulation.value)) {
          error(line, pp_name(pp->id) + ": " + tunnel_name(n) + " is tunnel encapsulation " +
                          std::string(keyword_name(kTunnelEncapsulations, t->second.encapsulation.value)) +
                          ", which carries Ethernet frames, not PPP; it cannot be bound to a pp");
        }
      }
    }
  }

  void bridges() {
    std::map<std::string, std::string> member_of;
    for (const auto& [name, bridge] : cfg_.bridges) {
      for (const std::string& m : bridge.members) {
        if (const auto [it, added] = member_of.try_emplace(m, name); !added) {
          error(bridge.line, "bridge member " + name + ": " + m + " is already a member of " + it->second);
          continue;
        }
        if (m.rfind("tunnel", 0) != 0) continue;
        const auto n = static_cast<uint16_t>(parse_uint(std::string_view(m).substr(6), defaults::kMaxTunnelId).value_or(0));
        const auto t = cfg_.tunnels.find(n);
        if (bound_.contains(n)) {
          error(bridge.line, "bridge member " + name + ": " + m + " is also bound to " + pp_name(bound_.at(n)->id) +
                       " (line " + std::to_string(bound_.at(n)->bind.line) + ")");
        } else if (t != cfg_.tunnels.end() && t->second.encapsulation.is_set() &&
                   carries_ppp(t->second.encapsulation.value)) {
          error(t->second.encapsulation.line,
                tunnel_name(n) + ": tunnel encapsulation " +
                    std::string(keyword_name(kTunnelEncapsulations, t->second.encapsulation.value)) +
                    " carries PPP, but the tunnel is a member of " + name + "; bridges take l2tpv3 or l2tpv3-raw tunnels");
        }
      }
    }
  }

  // Pools and fixed remote addresses must not overlap between pps: two clients would get one
  // address.
  void pools() {
    struct Owner {
      Ipv4Range range;
      uint16_t pp;
      uint32_t line;
    };
    std::vector<Owner> seen;
    for (const auto& [id, pp] : cfg_.pps) {
      if (!pp.remote_address.is_set()) continue;
      std::vector<Ipv4Range> ranges = pp.remote_address.value.pool;
      if (pp.remote_address.value.address)
        ranges.push_back({*pp.remote_address.value.address, *pp.remote_address.value.address});
      for (const Ipv4Range& r : ranges) {
        for (const Owner& o : seen) {
          if (r.first <= o.range.last && o.range.first <= r.last) {
            error(pp.remote_address.line, pp_name(id) + ": ip pp remote address " + format_ipv4(r.first) + "-" +
                                              format_ipv4(r.last) + " overlaps " + pp_name(o.pp) + "'s (line " +
                                              std::to_string(o.line) + ")");
          }
        }
      }
      for (const Ipv4Range& r : ranges) seen.push_back({r, id, pp.remote_address.line});
    }
  }

  void tunnels() {
    std::vector<uint16_t> l2tpv2, l2tpv3;
    for (const auto& [id, t] : cfg_.tunnels) {
      const uint32_t line = tunnel_line(t);
      const TunnelEncapsulation e = t.encapsulation.value;
      if (!t.encapsulation.is_set()) {
        if (tunnel_has_settings(t))
          warn(line, "not supported by l2tpgw: IPsec tunnel mode (" + tunnel_name(id) +
                         " has no tunnel encapsulation, and Yamaha's default is ipsec); " + tunnel_name(id) +
                         " is ignored");
        continue;
      }
      if (e == TunnelEncapsulation::Ipsec || e == TunnelEncapsulation::Pptp) continue;  // warned when parsed
      const bool over_ipsec = e == TunnelEncapsulation::L2tp || e == TunnelEncapsulation::L2tpv3;
      const std::string encap(keyword_name(kTunnelEncapsulations, e));
      if (over_ipsec && !t.ipsec_policy.value) {
        warn(t.encapsulation.line, tunnel_name(id) + ": tunnel encapsulation " + encap +
                                       " runs over IPsec, but the tunnel has no ipsec tunnel; it will not come up" +
                                       (e == TunnelEncapsulation::L2tpv3 ? " (l2tpv3-raw is L2TPv3 without IPsec)" : ""));
      }
      if (e == TunnelEncapsulation::L2tpv3Raw && t.ipsec_policy.value)
        warn(t.ipsec_policy.line, tunnel_name(id) + ": ipsec tunnel is ignored with tunnel encapsulation l2tpv3-raw");
      if (!t.enabled.value) continue;
      (e == TunnelEncapsulation::L2tp ? l2tpv2 : l2tpv3).push_back(id);
      if (e == TunnelEncapsulation::L2tp && !bound_.contains(id))
        warn(line, tunnel_name(id) + ": no pp binds it (pp bind tunnel" + std::to_string(id) +
                       "); an L2TP call on it finds no pp interface");
      if (!t.ipsec_policy.value) continue;
      const auto p = cfg_.policies.find(*t.ipsec_policy.value);
      if (p == cfg_.policies.end()) continue;
      const auto g = cfg_.gateways.find(p->second.gateway);
      if (g == cfg_.gateways.end() || !g->second.pre_shared_key.value) {
        warn(t.ipsec_policy.line, tunnel_name(id) + ": security gateway " + std::to_string(p->second.gateway) +
                                      " has no ipsec ike pre-shared-key; IKE cannot authenticate");
      }
      // Yamaha logs "can't find tunnel number" in this case (seed 000, SYSLOG table).
      if (e == TunnelEncapsulation::L2tp && g != cfg_.gateways.end() && g->second.remote_address.value &&
          g->second.remote_address.value->kind == IkeRemoteAddress::Kind::Address && !t.endpoint.value) {
        warn(g->second.remote_address.line,
             tunnel_name(id) + ": ipsec ike remote address names a fixed peer but the tunnel has no tunnel endpoint "
                               "address; an L2TP call from that peer finds no tunnel");
      }
    }
    const L2tpService& s = cfg_.l2tp_service.value;
    const uint32_t line = cfg_.l2tp_service.line;
    if (!l2tpv2.empty() && !(s.on && s.l2tpv2))
      warn(line, "l2tp service does not serve L2TPv2, so the enabled l2tp tunnels answer no call");
    if (!l2tpv3.empty() && !(s.on && s.l2tpv3))
      warn(line, "l2tp service does not serve L2TPv3, so the enabled l2tpv3 tunnels do not come up");
  }

  void pps() {
    for (const auto& [id, pp] : cfg_.pps) {
      if (!pp.enabled.value || pp.bind.value.empty()) continue;
      if (!pp.auth_request.value.method) {
        warn(pp.select_line ? pp.select_line : pp.enabled.line,
             pp_name(id) + ": no pp auth request; a client that passes IKE gets PPP without a login");
      } else if (pp.users.empty()) {
        warn(pp.auth_request.line, pp_name(id) + ": pp auth request but no pp auth username; nobody can log in");
      }
    }
  }

  const Config& cfg_;
  std::vector<Diagnostic>& diags_;
  std::map<uint32_t, const TunnelConfig*> policy_user_;
  std::map<uint16_t, const PpConfig*> bound_;
};

}  // namespace

void validate(const Config& cfg, std::vector<Diagnostic>& diags) { Validator(cfg, diags).run(); }

}  // namespace l2tpgw::cp::config
