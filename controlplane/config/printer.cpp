// SPDX-License-Identifier: Apache-2.0
// print_config: a Config as `show config` prints it, expanded (no templates), secrets masked.
#include "controlplane/config/printer.hpp"

#include <set>

#include "controlplane/config/values.hpp"

namespace l2tpgw::cp::config {

std::string quote_word(const std::string& s) {
  bool needs = s.empty() || s.front() == '#' || (s.size() >= 2 && s.front() == '(' && s.back() == ')');
  for (char c : s)
    if (c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '\\') needs = true;
  if (!needs) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

namespace {

std::string on_off(bool v) { return v ? "on" : "off"; }
std::string num(uint32_t v) { return std::to_string(v); }

// "1-3 5": runs of consecutive numbers as ranges, with an optional word before each item.
template <class Id>
std::string id_list(const std::vector<Id>& ids, const std::string& word) {
  std::string out;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (!out.empty()) out += ' ';
    out += word + num(ids[i]);
    if (j > i) out += "-" + word + num(ids[j]);
    i = j + 1;
  }
  return out;
}

std::string ports(const std::vector<PortRange>& ps) {
  if (ps.empty()) return "*";
  std::string out;
  for (const PortRange& p : ps) {
    if (!out.empty()) out += ',';
    out += num(p.first);
    if (p.last != p.first) out += "-" + num(p.last);
  }
  return out;
}

class Printer {
 public:
  Printer(const Config& cfg, const PrintOptions& opts) : cfg_(cfg), opts_(opts) {}

  std::string run() {
    for (const auto& [dest, r] : cfg_.routes) route(r);
    interfaces("lan");
    for (const auto& [name, b] : cfg_.bridges) {
      std::string l = "bridge member " + name;
      for (const std::string& m : b.members) l += " " + m;
      line(0, l);
    }
    interfaces("bridge");
    for (const auto& [id, pp] : cfg_.pps)
      if (id != kPpAnonymous) pp_section(pp);
    if (const auto a = cfg_.pps.find(kPpAnonymous); a != cfg_.pps.end()) pp_section(a->second);
    for (const auto& [id, t] : cfg_.tunnels) tunnel_section(t);
    bool left_tunnel_context = cfg_.tunnels.empty();
    auto leave = [&] {
      if (!left_tunnel_context) line(0, "tunnel select none");
      left_tunnel_context = true;
    };
    // Policies and gateways no tunnel uses are printed on their own.
    for (const auto& [id, p] : cfg_.policies) {
      if (printed_policies_.contains(id)) continue;
      leave();
      policy(0, p);
    }
    for (const auto& [id, g] : cfg_.gateways) {
      if (printed_gateways_.contains(id)) continue;
      leave();
      gateway(0, g);
    }
    if (cfg_.ipsec_auto_refresh.is_set()) line(0, "ipsec auto refresh " + on_off(cfg_.ipsec_auto_refresh.value));
    for (const auto& [id, t] : cfg_.transports) transport(t);
    if (cfg_.l2tp_service.is_set()) {
      const L2tpService& s = cfg_.l2tp_service.value;
      std::string l = "l2tp service " + on_off(s.on);
      if (!(s.l2tpv2 && s.l2tpv3)) {
        if (s.l2tpv2) l += " l2tpv2";
        if (s.l2tpv3) l += " l2tpv3";
      }
      line(0, l);
    }
    if (cfg_.pptp_service.is_set()) line(0, "pptp service " + on_off(cfg_.pptp_service.value));
    if (cfg_.dns_servers.is_set()) {
      std::string l = "dns server";
      for (Ipv4 a : cfg_.dns_servers.value) l += " " + format_ipv4(a);
      line(0, l);
    }
    if (cfg_.wins_servers.is_set()) {
      std::string l = "wins server";
      for (Ipv4 a : cfg_.wins_servers.value) l += " " + format_ipv4(a);
      line(0, l);
    }
    return std::move(out_);
  }

 private:
  void line(int indent, const std::string& text) {
    out_.append(static_cast<size_t>(indent), ' ');
    out_ += text;
    out_ += '\n';
  }
  std::string secret(const Secret& s) const { return opts_.mask_secrets ? std::string(kSecretMask) : quote_word(s.reveal()); }

  void route(const Route& r) {
    std::string l = "ip route ";
    l += r.destination.length == 0 && r.destination.address.value == 0 ? "default" : format_prefix(r.destination);
    l += " gateway ";
    switch (r.gateway.kind) {
      case RouteGateway::Kind::Address: l += format_ipv4(r.gateway.address); break;
      case RouteGateway::Kind::Tunnel: l += "tunnel " + num(r.gateway.id); break;
      case RouteGateway::Kind::Pp: l += r.gateway.id == kPpAnonymous ? "pp anonymous" : "pp " + num(r.gateway.id); break;
    }
    line(0, l);
  }

  // lan1, lan2, ... (or bridge1, ...) in numeric order.
  void interfaces(const std::string& kind) {
    std::map<uint32_t, const Interface*> sorted;
    for (const auto& [name, ifc] : cfg_.interfaces)
      if (name.rfind(kind, 0) == 0) sorted[parse_uint(std::string_view(name).substr(kind.size()), 99).value_or(0)] = &ifc;
    for (const auto& [n, ifc] : sorted) {
      if (ifc->address.is_set() && ifc->address.value)
        line(0, "ip " + ifc->name + " address " + format_prefix(*ifc->address.value));
      if (ifc->proxyarp.is_set()) line(0, "ip " + ifc->name + " proxyarp " + on_off(ifc->proxyarp.value));
    }
  }

  void pp_section(const PpConfig& pp) {
    const std::string id = pp.id == kPpAnonymous ? "anonymous" : num(pp.id);
    line(0, "pp select " + id);
    if (pp.bind.is_set() && !pp.bind.value.empty()) line(1, "pp bind " + id_list(pp.bind.value, "tunnel"));
    if (pp.auth_request.is_set() && pp.auth_request.value.method) {
      std::string l = "pp auth request " + std::string(keyword_name(kPpAuthMethods, *pp.auth_request.value.method));
      if (pp.auth_request.value.arrive_only) l += " arrive-only";
      line(1, l);
    }
    if (pp.auth_accept.is_set() && !pp.auth_accept.value.empty()) {
      std::string l = "pp auth accept";
      for (PpAuthMethod m : pp.auth_accept.value) l += " " + std::string(keyword_name(kPpAuthMethods, m));
      line(1, l);
    }
    for (const PpUser& u : pp.users) {
      std::string l = "pp auth username " + quote_word(u.name) + " " + secret(u.password);
      if (u.address) l += " " + format_ipv4(*u.address);
      line(1, l);
    }
    if (pp.lcp_mru.is_set())
      line(1, "ppp lcp mru " + on_off(pp.lcp_mru.value.on) + " " + num(pp.lcp_mru.value.mru));
    if (pp.ipcp_ipaddress.is_set()) line(1, "ppp ipcp ipaddress " + on_off(pp.ipcp_ipaddress.value));
    if (pp.ipcp_msext.is_set()) line(1, "ppp ipcp msext " + on_off(pp.ipcp_msext.value));
    if (pp.auth_multi_connect_prohibit.is_set())
      line(1, "pp auth multi connect prohibit " + on_off(pp.auth_multi_connect_prohibit.value));
    if (pp.ccp_type.is_set()) line(1, "ppp ccp type " + std::string(keyword_name(kCcpTypes, pp.ccp_type.value)));
    if (pp.mtu.is_set()) line(1, "ip pp mtu " + num(pp.mtu.value));
    if (pp.remote_address.is_set()) {
      const PpRemoteAddress& r = pp.remote_address.value;
      if (r.address) {
        line(1, "ip pp remote address " + format_ipv4(*r.address));
      } else if (!r.pool.empty()) {
        std::string l = "ip pp remote address pool";
        for (const Ipv4Range& p : r.pool)
          l += " " + (p.first == p.last ? format_ipv4(p.first) : format_ipv4(p.first) + "-" + format_ipv4(p.last));
        line(1, l);
      }
    }
    if (pp.enabled.is_set()) line(1, std::string(pp.enabled.value ? "pp enable " : "pp disable ") + id);
  }

  void tunnel_section(const TunnelConfig& t) {
    line(0, "tunnel select " + num(t.id));
    if (t.encapsulation.is_set())
      line(1, "tunnel encapsulation " + std::string(keyword_name(kTunnelEncapsulations, t.encapsulation.value)));
    if (t.endpoint.is_set() && t.endpoint.value) {
      const TunnelEndpoint& e = *t.endpoint.value;
      line(1, "tunnel endpoint address " + (e.local ? format_ipv4(*e.local) + " " : "") + format_ipv4(e.remote));
    }
    if (t.ipsec_policy.is_set() && t.ipsec_policy.value) {
      const uint32_t p = *t.ipsec_policy.value;
      line(1, "ipsec tunnel " + num(p));
      if (const auto it = cfg_.policies.find(p); it != cfg_.policies.end() && !printed_policies_.contains(p)) {
        policy(2, it->second);
        if (const auto g = cfg_.gateways.find(it->second.gateway);
            g != cfg_.gateways.end() && !printed_gateways_.contains(g->first))
          gateway(2, g->second);
      }
    }
    if (t.l2tp_always_on.is_set()) line(1, "l2tp always-on " + on_off(t.l2tp_always_on.value));
    if (t.l2tp_tunnel_auth.is_set()) {
      const L2tpTunnelAuth& a = t.l2tp_tunnel_auth.value;
      line(1, "l2tp tunnel auth " + on_off(a.on) + (a.password.empty() ? "" : " " + secret(a.password)));
    }
    if (t.l2tp_disconnect_time.is_set())
      line(1, "l2tp tunnel disconnect time " +
                  (t.l2tp_disconnect_time.value ? num(*t.l2tp_disconnect_time.value) : std::string("off")));
    if (t.l2tp_keepalive.is_set()) {
      const L2tpKeepalive& k = t.l2tp_keepalive.value;
      line(1, "l2tp keepalive use " + on_off(k.on) + " " + num(k.interval) + " " + num(k.count));
    }
    if (t.l2tp_keepalive_log.is_set()) line(1, "l2tp keepalive log " + on_off(t.l2tp_keepalive_log.value));
    if (t.l2tp_syslog.is_set()) line(1, "l2tp syslog " + on_off(t.l2tp_syslog.value));
    if (t.l2tp_local_router_id.is_set() && t.l2tp_local_router_id.value)
      line(1, "l2tp local router-id " + format_ipv4(*t.l2tp_local_router_id.value));
    if (t.l2tp_remote_router_id.is_set() && t.l2tp_remote_router_id.value)
      line(1, "l2tp remote router-id " + format_ipv4(*t.l2tp_remote_router_id.value));
    if (t.l2tp_remote_end_id.is_set()) line(1, "l2tp remote end-id " + quote_word(t.l2tp_remote_end_id.value));
    if (t.tcp_mss_limit.is_set()) {
      const TcpMssLimit& m = t.tcp_mss_limit.value;
      line(1, "ip tunnel tcp mss limit " + (m.mode == TcpMssLimit::Mode::Auto   ? std::string("auto")
                                            : m.mode == TcpMssLimit::Mode::Off ? std::string("off")
                                                                               : num(m.mss)));
    }
    if (t.enabled.is_set()) line(1, std::string(t.enabled.value ? "tunnel enable " : "tunnel disable ") + num(t.id));
  }

  void policy(int indent, const SaPolicy& p) {
    printed_policies_.insert(p.id);
    std::string l = "ipsec sa policy " + num(p.id) + " " + num(p.gateway) + " esp " + std::string(format(p.cipher));
    if (p.auth != EspAuth::None) l += " " + std::string(format(p.auth));
    if (p.anti_replay_check != defaults::kAntiReplayCheck) l += " anti-replay-check=" + on_off(p.anti_replay_check);
    line(indent, l);
  }

  static std::string ike_name(const IkeName& n) {
    std::string out = quote_word(n.name);
    if (n.type) out += " " + std::string(keyword_name(kIkeIdTypes, *n.type));
    return out;
  }

  void gateway(int indent, const IkeGateway& g) {
    printed_gateways_.insert(g.id);
    const std::string id = " " + num(g.id) + " ";
    auto rekey = [](const Setting<uint32_t>& r) {
      if (r.value == defaults::kIkeRekeyPercent) return std::string();
      return r.value ? " rekey " + num(r.value) + "%" : std::string(" rekey off");
    };
    if (g.ipsec_sa_lifetime.is_set()) {
      std::string l = "ipsec ike duration ipsec-sa" + id + num(g.ipsec_sa_lifetime.value);
      if (g.ipsec_sa_kilobytes.value) l += " " + num(g.ipsec_sa_kilobytes.value);
      line(indent, l + rekey(g.ipsec_sa_rekey));
    }
    if (g.isakmp_sa_lifetime.is_set())
      line(indent, "ipsec ike duration isakmp-sa" + id + num(g.isakmp_sa_lifetime.value) +
                       rekey(g.isakmp_sa_rekey));
    if (g.encryption.is_set())
      line(indent, "ipsec ike encryption" + id + std::string(keyword_name(kIkeEncryptions, g.encryption.value)));
    if (g.group.is_set()) {
      std::string l = "ipsec ike group" + id;
      for (size_t i = 0; i < g.group.value.size(); ++i)
        l += (i ? " " : "") + std::string(keyword_name(kIkeGroups, g.group.value[i]));
      line(indent, l);
    }
    if (g.hash.is_set()) line(indent, "ipsec ike hash" + id + std::string(keyword_name(kIkeHashes, g.hash.value)));
    if (g.keepalive_log.is_set()) line(indent, "ipsec ike keepalive log" + id + on_off(g.keepalive_log.value));
    if (g.keepalive.is_set()) {
      const IkeKeepalive& k = g.keepalive.value;
      std::string l = "ipsec ike keepalive use" + id;
      l += k.use == IkeKeepalive::Use::On ? "on" : k.use == IkeKeepalive::Use::Off ? "off" : "auto";
      switch (k.method) {
        case IkeKeepalive::Method::Default: break;
        case IkeKeepalive::Method::Heartbeat: l += " heartbeat"; break;
        case IkeKeepalive::Method::Dpd: l += " dpd"; break;
        case IkeKeepalive::Method::IcmpEcho: l += " icmp-echo " + format_ipv4(k.icmp_echo_target); break;
      }
      if (k.interval && k.count) l += " " + num(*k.interval) + " " + num(*k.count);
      line(indent, l);
    }
    if (g.local_address.is_set() && g.local_address.value)
      line(indent, "ipsec ike local address" + id + format_ipv4(*g.local_address.value));
    if (g.local_name.is_set() && g.local_name.value) line(indent, "ipsec ike local name" + id + ike_name(*g.local_name.value));
    if (g.nat_traversal.is_set()) {
      const NatTraversal& n = g.nat_traversal.value;
      std::string l = "ipsec ike nat-traversal" + id + on_off(n.on);
      if (n.keepalive) l += " keepalive=" + num(*n.keepalive);
      if (n.force) l += " force=on";
      line(indent, l);
    }
    if (g.pfs.is_set()) line(indent, "ipsec ike pfs" + id + on_off(g.pfs.value));
    if (g.negotiate_strictly.is_set())
      line(indent, "ipsec ike negotiate-strictly" + id + on_off(g.negotiate_strictly.value));
    if (g.pre_shared_key.is_set() && g.pre_shared_key.value) {
      const PreSharedKey& k = *g.pre_shared_key.value;
      std::string key;
      if (opts_.mask_secrets) {
        key = std::string(kSecretMask);
      } else if (k.hex) {
        static constexpr char kHex[] = "0123456789abcdef";
        key = "0x";
        for (unsigned char c : k.key.reveal()) {
          key += kHex[c >> 4];
          key += kHex[c & 15];
        }
      } else {
        key = quote_word(k.key.reveal());
      }
      line(indent, "ipsec ike pre-shared-key" + id + (k.hex ? "hex " : "text ") + key);
    }
    if (g.remote_address.is_set() && g.remote_address.value) {
      const IkeRemoteAddress& r = *g.remote_address.value;
      line(indent, "ipsec ike remote address" + id +
                       (r.kind == IkeRemoteAddress::Kind::Any       ? std::string("any")
                        : r.kind == IkeRemoteAddress::Kind::Address ? format_ipv4(r.address)
                                                                     : r.hostname));
    }
    if (g.remote_name.is_set() && g.remote_name.value)
      line(indent, "ipsec ike remote name" + id + ike_name(*g.remote_name.value));
    if (g.version.is_set()) line(indent, "ipsec ike version" + id + num(g.version.value));
    if (g.auto_refresh.is_set()) line(indent, "ipsec auto refresh" + id + on_off(g.auto_refresh.value));
  }

  void transport(const IpsecTransport& t) {
    std::string l = "ipsec transport " + num(t.id) + " " + num(t.policy);
    if (t.protocol) {
      const std::string_view name = keyword_name(kIpProtocols, *t.protocol);
      l += " " + (name == "?" ? num(*t.protocol) : std::string(name));
      if (!t.src_ports.empty() || !t.dst_ports.empty()) l += " " + ports(t.src_ports);
      if (!t.dst_ports.empty()) l += " " + ports(t.dst_ports);
    }
    line(0, l);
  }

  const Config& cfg_;
  const PrintOptions& opts_;
  std::string out_;
  std::set<uint32_t> printed_policies_;
  std::set<uint32_t> printed_gateways_;
};

}  // namespace

std::string print_config(const Config& cfg, const PrintOptions& opts) { return Printer(cfg, opts).run(); }

}  // namespace l2tpgw::cp::config
