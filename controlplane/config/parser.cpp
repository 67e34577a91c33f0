// SPDX-License-Identifier: Apache-2.0
// The command parser: lexed lines -> a typed Config, templates not yet applied.
#include "controlplane/config/parser.hpp"

#include <algorithm>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "controlplane/config/values.hpp"

namespace l2tpgw::cp::config {
namespace {

using namespace std::string_literals;

enum class Ctx : uint8_t { Any, Pp, Tunnel };

struct Cmd {
  uint32_t line = 0;
  bool negate = false;
  std::string_view name;   // the command words, as the messages name the command
  std::string interface;   // the lanN/bridgeN word of `ip IF ...`
  std::span<const Token> args;
  size_t pos = 0;          // the next argument
  int secret_from = -1;    // arguments from this index on are never quoted; -1: none
};

class Parser;
using Handler = void (Parser::*)(Cmd&);

struct Spec {
  std::string_view words;  // "IF" matches lanN or bridgeN
  Ctx ctx = Ctx::Any;
  Handler handler = nullptr;     // nullptr: a router function l2tpgw lacks
  std::string_view unsupported;  // the warning's text after "not supported by l2tpgw: "
  int secret_from = -1;
  bool pp_scoped = false;  // belongs to a pp section (matters for a PPPoE uplink pp)
};

std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const size_t sp = s.find(' ');
    out.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return out;
}

bool is_interface_name(std::string_view s) {
  for (std::string_view prefix : {"lan", "bridge"}) {
    if (s.size() > prefix.size() && s.substr(0, prefix.size()) == prefix &&
        parse_uint(s.substr(prefix.size()), 99).value_or(0) >= 1)
      return true;
  }
  return false;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

class Parser {
 public:
  explicit Parser(std::vector<Diagnostic>& diags) : diags_(diags) {}

  ParsedConfig run(const std::vector<LexedLine>& lines);

  // ---- handlers: one per command ----
  void pp_select(Cmd& c);
  void pp_bind(Cmd& c);
  void pp_auth_request(Cmd& c);
  void pp_auth_accept(Cmd& c);
  void pp_auth_username(Cmd& c);
  void pp_enable(Cmd& c);
  void pp_disable(Cmd& c);
  void ppp_ipcp_ipaddress(Cmd& c);
  void ppp_ipcp_msext(Cmd& c);
  void pp_auth_multi_connect_prohibit(Cmd& c);
  void ppp_lcp_mru(Cmd& c);
  void ppp_ccp_type(Cmd& c);
  void ip_pp_remote_address(Cmd& c);
  void ip_pp_remote_address_pool(Cmd& c);
  void ip_pp_mtu(Cmd& c);
  void tunnel_select(Cmd& c);
  void tunnel_template(Cmd& c);
  void tunnel_encapsulation(Cmd& c);
  void tunnel_endpoint_address(Cmd& c);
  void tunnel_enable(Cmd& c);
  void tunnel_disable(Cmd& c);
  void ipsec_tunnel(Cmd& c);
  void ipsec_sa_policy(Cmd& c);
  void ike_encryption(Cmd& c);
  void ike_hash(Cmd& c);
  void ike_group(Cmd& c);
  void ike_local_address(Cmd& c);
  void ike_remote_address(Cmd& c);
  void ike_name(Cmd& c, Setting<std::optional<IkeName>> IkeGateway::*member);
  void ike_local_name(Cmd& c);
  void ike_remote_name(Cmd& c);
  void ike_pre_shared_key(Cmd& c);
  void ike_nat_traversal(Cmd& c);
  void ike_keepalive_use(Cmd& c);
  void ike_keepalive_log(Cmd& c);
  void ike_pfs(Cmd& c);
  void ike_negotiate_strictly(Cmd& c);
  void ike_duration_isakmp_sa(Cmd& c);
  void ike_duration_ipsec_sa(Cmd& c);
  std::optional<uint32_t> rekey_option(Cmd& c);
  void ike_version(Cmd& c);
  void ipsec_auto_refresh(Cmd& c);
  void ipsec_transport(Cmd& c);
  void ipsec_transport_template(Cmd& c);
  void l2tp_service(Cmd& c);
  void l2tp_tunnel_disconnect_time(Cmd& c);
  void l2tp_tunnel_auth(Cmd& c);
  void l2tp_keepalive_use(Cmd& c);
  void l2tp_keepalive_log(Cmd& c);
  void l2tp_syslog(Cmd& c);
  void l2tp_always_on(Cmd& c);
  void l2tp_local_router_id(Cmd& c);
  void l2tp_remote_router_id(Cmd& c);
  void l2tp_remote_end_id(Cmd& c);
  void ip_tunnel_tcp_mss_limit(Cmd& c);
  void ip_if_address(Cmd& c);
  void ip_if_proxyarp(Cmd& c);
  void ip_route(Cmd& c);
  void bridge_member(Cmd& c);
  void dns_server(Cmd& c);
  void wins_server(Cmd& c);
  void pptp_service(Cmd& c);

 private:
  void prescan_uplinks(const std::vector<LexedLine>& lines);
  void dispatch(const LexedLine& l);
  const Spec* match(std::span<const Token> toks, size_t& nwords, std::string& iface) const;
  std::string unknown_command_message(std::span<const Token> toks) const;

  // ---- messages ----
  void error(const Cmd& c, const std::string& msg) {
    diags_.push_back({c.line, Severity::Error, std::string(c.name) + ": " + msg});
  }
  void warn(const Cmd& c, const std::string& msg) {
    diags_.push_back({c.line, Severity::Warning, msg});
  }
  void unsupported(const Cmd& c, const std::string& what) {
    warn(c, "not supported by l2tpgw: " + what);
  }
  // The argument as a message may show it: quoted, or by position where it may be a secret.
  std::string quote(const Cmd& c, size_t i) const {
    if (c.secret_from >= 0 && i >= static_cast<size_t>(c.secret_from))
      return "argument " + std::to_string(i + 1);
    return "'" + c.args[i].text + "'";
  }

  // ---- arguments ----
  bool more(const Cmd& c) const { return c.pos < c.args.size(); }
  const Token* next(Cmd& c, std::string_view what) {
    if (!more(c)) {
      error(c, "missing " + std::string(what));
      return nullptr;
    }
    return &c.args[c.pos++];
  }
  bool done(Cmd& c) {
    if (!more(c)) return true;
    error(c, "unexpected " + quote(c, c.pos));
    return false;
  }
  std::optional<uint32_t> number(Cmd& c, std::string_view what, uint32_t min, uint32_t max) {
    const Token* t = next(c, what);
    if (!t) return std::nullopt;
    const auto v = parse_uint(t->text, max);
    if (!v || *v < min) {
      error(c, std::string(what) + " must be a number from " + std::to_string(min) + " to " +
                   std::to_string(max) + ", not " + quote(c, c.pos - 1));
      return std::nullopt;
    }
    return v;
  }
  std::optional<bool> on_off(Cmd& c, std::string_view what = "on or off") {
    const Token* t = next(c, what);
    if (!t) return std::nullopt;
    if (t->text == "on") return true;
    if (t->text == "off") return false;
    error(c, "expected on or off, not " + quote(c, c.pos - 1));
    return std::nullopt;
  }
  std::optional<Ipv4> ipv4(Cmd& c, std::string_view what) {
    const Token* t = next(c, what);
    if (!t) return std::nullopt;
    const auto a = parse_ipv4(t->text);
    if (!a) error(c, quote(c, c.pos - 1) + " is not an IPv4 address (" + std::string(what) + ")");
    return a;
  }
  template <class E, size_t N>
  std::optional<E> keyword(Cmd& c, std::string_view what, const std::array<Keyword<E>, N>& table) {
    const Token* t = next(c, what);
    if (!t) return std::nullopt;
    const auto v = find_keyword(table, t->text);
    if (!v) error(c, "unknown " + std::string(what) + " " + quote(c, c.pos - 1) + " (" + keyword_list(table) + ")");
    return v;
  }
  // `NAME=VALUE` options: the value when the argument is one, else nullopt.
  static std::optional<std::string_view> option(const Token& t, std::string_view name) {
    if (t.text.size() > name.size() && t.text.compare(0, name.size(), name) == 0 && t.text[name.size()] == '=')
      return std::string_view(t.text).substr(name.size() + 1);
    return std::nullopt;
  }
  // A list of IDs and ID ranges ("1", "2-5") in [min, max], ascending, without duplicates.
  template <class Id>
  std::optional<std::vector<Id>> id_list(Cmd& c, std::string_view what, uint32_t min, uint32_t max) {
    std::set<Id> ids;
    if (!more(c)) {
      error(c, "missing " + std::string(what));
      return std::nullopt;
    }
    while (more(c)) {
      const auto r = parse_id_range(c.args[c.pos].text, min, max);
      if (!r) {
        error(c, quote(c, c.pos) + " is not a " + std::string(what) + " or range (" + std::to_string(min) +
                     " to " + std::to_string(max) + ")");
        return std::nullopt;
      }
      for (uint32_t i = r->first; i <= r->last; ++i) ids.insert(static_cast<Id>(i));
      ++c.pos;
    }
    return std::vector<Id>(ids.begin(), ids.end());
  }
  std::optional<Secret> secret(Cmd& c, std::string_view what) {
    const Token* t = next(c, what);
    if (!t) return std::nullopt;
    if (t->text.empty()) {
      error(c, "the " + std::string(what) + " is empty");
      return std::nullopt;
    }
    if (t->text == kSecretMask) {
      error(c, "the " + std::string(what) + " is the mask that show config prints; write the real one");
      return std::nullopt;
    }
    return Secret(t->text);
  }

  // ---- sections ----
  PpConfig* pp() { return &cfg().pps[pp_]; }
  TunnelConfig* tunnel() { return &cfg().tunnels[tunnel_]; }
  // The gateway named by the next argument; created unless the command is a `no`.
  IkeGateway* gateway(Cmd& c) {
    const auto id = number(c, "security gateway id", 1, defaults::kMaxGatewayId);
    if (!id) return nullptr;
    auto it = cfg().gateways.find(*id);
    if (it == cfg().gateways.end()) {
      if (c.negate) return nullptr;
      it = cfg().gateways.emplace(*id, IkeGateway{}).first;
      it->second.id = *id;
    }
    return &it->second;
  }
  template <class T>
  void set_switch(Cmd& c, Setting<T>& s, const Setting<T>& def) {
    if (c.negate) {
      s = def;
      return;
    }
    const auto v = on_off(c);
    if (v && done(c)) s.set(*v, c.line);
  }
  template <class T>
  void gateway_switch(Cmd& c, Setting<T> IkeGateway::*field) {
    IkeGateway* g = gateway(c);
    if (!g) return;
    set_switch(c, g->*field, IkeGateway{}.*field);
  }
  std::optional<std::optional<Ipv4>> optional_address(Cmd& c, std::string_view what) {
    const auto a = ipv4(c, what);
    if (!a || !done(c)) return std::nullopt;
    return std::optional<Ipv4>(*a);
  }

  Config& cfg() { return out_.config; }

  std::vector<Diagnostic>& diags_;
  ParsedConfig out_;
  enum class Selected : uint8_t { None, Pp, Tunnel } sel_ = Selected::None;
  uint16_t pp_ = 0;
  uint16_t tunnel_ = 0;
  std::map<uint16_t, uint32_t> uplinks_;  // pp id -> its `pppoe use` line
};

// ---- the command table ----

#define H(f) &Parser::f
const Spec kSpecs[] = {
    // pp sections
    {"pp select", Ctx::Any, H(pp_select)},
    {"pp bind", Ctx::Pp, H(pp_bind)},
    {"pp auth request", Ctx::Pp, H(pp_auth_request)},
    {"pp auth accept", Ctx::Pp, H(pp_auth_accept)},
    {"pp auth username", Ctx::Pp, H(pp_auth_username), "", 1},
    {"pp auth multi connect prohibit", Ctx::Pp, H(pp_auth_multi_connect_prohibit)},
    {"pp enable", Ctx::Any, H(pp_enable)},
    {"pp disable", Ctx::Any, H(pp_disable)},
    {"ppp ipcp ipaddress", Ctx::Pp, H(ppp_ipcp_ipaddress)},
    {"ppp ipcp msext", Ctx::Pp, H(ppp_ipcp_msext)},
    {"ppp lcp mru", Ctx::Pp, H(ppp_lcp_mru)},
    {"ppp ccp type", Ctx::Pp, H(ppp_ccp_type)},
    {"ip pp remote address", Ctx::Pp, H(ip_pp_remote_address)},
    {"ip pp remote address pool", Ctx::Pp, H(ip_pp_remote_address_pool)},
    {"ip pp mtu", Ctx::Pp, H(ip_pp_mtu)},
    // tunnel sections
    {"tunnel select", Ctx::Any, H(tunnel_select)},
    {"tunnel template", Ctx::Tunnel, H(tunnel_template)},
    {"tunnel encapsulation", Ctx::Tunnel, H(tunnel_encapsulation)},
    {"tunnel endpoint address", Ctx::Tunnel, H(tunnel_endpoint_address)},
    {"tunnel enable", Ctx::Any, H(tunnel_enable)},
    {"tunnel disable", Ctx::Any, H(tunnel_disable)},
    {"ipsec tunnel", Ctx::Tunnel, H(ipsec_tunnel)},
    {"l2tp tunnel disconnect time", Ctx::Tunnel, H(l2tp_tunnel_disconnect_time)},
    {"l2tp tunnel auth", Ctx::Tunnel, H(l2tp_tunnel_auth), "", 0},
    {"l2tp keepalive use", Ctx::Tunnel, H(l2tp_keepalive_use)},
    {"l2tp keepalive log", Ctx::Tunnel, H(l2tp_keepalive_log)},
    {"l2tp syslog", Ctx::Tunnel, H(l2tp_syslog)},
    {"l2tp always-on", Ctx::Tunnel, H(l2tp_always_on)},
    {"l2tp local router-id", Ctx::Tunnel, H(l2tp_local_router_id)},
    {"l2tp remote router-id", Ctx::Tunnel, H(l2tp_remote_router_id)},
    {"l2tp remote end-id", Ctx::Tunnel, H(l2tp_remote_end_id)},
    {"ip tunnel tcp mss limit", Ctx::Tunnel, H(ip_tunnel_tcp_mss_limit)},
    // IPsec (global commands keyed by their own ids)
    {"ipsec sa policy", Ctx::Any, H(ipsec_sa_policy)},
    {"ipsec ike encryption", Ctx::Any, H(ike_encryption)},
    {"ipsec ike hash", Ctx::Any, H(ike_hash)},
    {"ipsec ike group", Ctx::Any, H(ike_group)},
    {"ipsec ike local address", Ctx::Any, H(ike_local_address)},
    {"ipsec ike remote address", Ctx::Any, H(ike_remote_address)},
    {"ipsec ike local name", Ctx::Any, H(ike_local_name)},
    {"ipsec ike remote name", Ctx::Any, H(ike_remote_name)},
    // Nothing after the command words is quoted: a missing gateway id would shift the key left.
    {"ipsec ike pre-shared-key", Ctx::Any, H(ike_pre_shared_key), "", 0},
    {"ipsec ike nat-traversal", Ctx::Any, H(ike_nat_traversal)},
    {"ipsec ike keepalive use", Ctx::Any, H(ike_keepalive_use)},
    {"ipsec ike keepalive log", Ctx::Any, H(ike_keepalive_log)},
    {"ipsec ike pfs", Ctx::Any, H(ike_pfs)},
    {"ipsec ike negotiate-strictly", Ctx::Any, H(ike_negotiate_strictly)},
    {"ipsec ike duration isakmp-sa", Ctx::Any, H(ike_duration_isakmp_sa)},
    {"ipsec ike duration ipsec-sa", Ctx::Any, H(ike_duration_ipsec_sa)},
    {"ipsec ike version", Ctx::Any, H(ike_version)},
    {"ipsec auto refresh", Ctx::Any, H(ipsec_auto_refresh)},
    {"ipsec transport", Ctx::Any, H(ipsec_transport)},
    {"ipsec transport template", Ctx::Any, H(ipsec_transport_template)},
    // global
    {"l2tp service", Ctx::Any, H(l2tp_service)},
    {"pptp service", Ctx::Any, H(pptp_service)},
    {"ip IF address", Ctx::Any, H(ip_if_address)},
    {"ip IF proxyarp", Ctx::Any, H(ip_if_proxyarp)},
    {"ip route", Ctx::Any, H(ip_route)},
    {"bridge member", Ctx::Any, H(bridge_member)},
    {"dns server", Ctx::Any, H(dns_server)},
    {"wins server", Ctx::Any, H(wins_server)},

    // Router functions l2tpgw does not have: a warning, and the rest of the file loads.
    {"pppoe", Ctx::Any, nullptr, "PPPoE (pppoe ...)", -1, true},
    {"pp always-on", Ctx::Any, nullptr, "pp always-on (keeping a dial-out PPP link up)", -1, true},
    {"pp auth myname", Ctx::Any, nullptr, "pp auth myname (authenticating to a peer; l2tpgw only answers calls)", 0, true},
    {"pp keepalive", Ctx::Any, nullptr, "pp keepalive (LCP echo on a dial-out link)", -1, true},
    {"ip pp nat descriptor", Ctx::Any, nullptr, "NAT (ip pp nat descriptor)", -1, true},
    {"ip pp secure filter", Ctx::Any, nullptr, "IP filters (ip pp secure filter)", -1, true},
    {"netvolante-dns", Ctx::Any, nullptr, "NetVolante DNS (netvolante-dns)"},
    {"nat descriptor", Ctx::Any, nullptr, "NAT (nat descriptor)"},
    {"ip IF nat descriptor", Ctx::Any, nullptr, "NAT (ip INTERFACE nat descriptor)"},
    {"ip IF secure filter", Ctx::Any, nullptr, "IP filters (ip INTERFACE secure filter)"},
    {"ip filter", Ctx::Any, nullptr, "IP filters (ip filter)"},
    {"dhcp", Ctx::Any, nullptr, "DHCP server (dhcp ...)"},
    {"pptp", Ctx::Any, nullptr, "PPTP (pptp ...)"},
    {"tunnel endpoint name", Ctx::Tunnel, nullptr, "tunnel endpoint name (an endpoint given by name)"},
    {"vrx", Ctx::Any, nullptr, "vRX settings (vrx ...)", 0},
    {"telnetd", Ctx::Any, nullptr, "TELNET server (telnetd): l2tpgw is operated with l2tpgwctl"},
    {"sshd", Ctx::Any, nullptr, "SSH server (sshd): l2tpgw is operated with l2tpgwctl"},
    {"httpd", Ctx::Any, nullptr, "HTTP server (httpd): l2tpgw is operated with l2tpgwctl"},
    {"login", Ctx::Any, nullptr, "console login settings (login ...)", 0},
    {"administrator", Ctx::Any, nullptr, "administrator settings (administrator ...)", 0},
    {"console", Ctx::Any, nullptr, "console settings (console ...)"},
    {"timezone", Ctx::Any, nullptr, "timezone"},
    {"syslog", Ctx::Any, nullptr, "syslog settings (syslog ...): l2tpgw logs as its flags say"},
    {"description", Ctx::Any, nullptr, "description"},
    {"save", Ctx::Any, nullptr, "save (a console command; a file needs no saving)"},
};
#undef H

// Each spec's words, split once.
const std::vector<std::vector<std::string_view>>& spec_words() {
  static const std::vector<std::vector<std::string_view>> words = [] {
    std::vector<std::vector<std::string_view>> w;
    for (const Spec& s : kSpecs) w.push_back(split_words(s.words));
    return w;
  }();
  return words;
}

const Spec* Parser::match(std::span<const Token> toks, size_t& nwords, std::string& iface) const {
  const Spec* best = nullptr;
  size_t best_n = 0;
  for (size_t k = 0; k < std::size(kSpecs); ++k) {
    const Spec& s = kSpecs[k];
    const auto& words = spec_words()[k];
    if (words.size() > toks.size() || words.size() <= best_n) continue;
    std::string captured;
    bool ok = true;
    for (size_t i = 0; i < words.size() && ok; ++i) {
      if (words[i] == "IF") {
        ok = is_interface_name(toks[i].text);
        captured = toks[i].text;
      } else {
        ok = words[i] == toks[i].text;
      }
    }
    if (ok) {
      best = &s;
      best_n = words.size();
      iface = captured;
    }
  }
  nwords = best_n;
  return best;
}

// Names the longest known prefix of the command and suggests the nearest command; the unknown
// words themselves are not repeated, since a line that lost its line break may be a secret.
std::string Parser::unknown_command_message(std::span<const Token> toks) const {
  size_t known = 0;
  for (const auto& words : spec_words()) {
    size_t n = 0;
    while (n < words.size() && n < toks.size() &&
           (words[n] == "IF" ? is_interface_name(toks[n].text) : words[n] == toks[n].text))
      ++n;
    known = std::max(known, n);
  }
  std::string msg = "unknown command";
  if (known > 0) {
    msg += " '";
    for (size_t i = 0; i < known; ++i) msg += toks[i].text + " ";
    msg += "...'";
  }
  const Spec* nearest = nullptr;
  size_t nearest_d = 3;
  for (size_t k = 0; k < std::size(kSpecs); ++k) {
    const Spec& s = kSpecs[k];
    const auto& words = spec_words()[k];
    if (s.words.find("IF") != std::string_view::npos || words.size() > toks.size()) continue;
    std::string typed;
    for (size_t i = 0; i < words.size(); ++i) typed += (i ? " " : "") + toks[i].text;
    // The distance is at least the difference in length: skip the quadratic work when that
    // alone rules the suggestion out (a fuzzed 4095-character word would cost millions).
    const size_t len_diff = typed.size() > s.words.size() ? typed.size() - s.words.size() : s.words.size() - typed.size();
    if (len_diff >= nearest_d) continue;
    const size_t d = edit_distance(typed, s.words);
    if (d > 0 && d < nearest_d && d * 3 < s.words.size()) {
      nearest = &s;
      nearest_d = d;
    }
  }
  if (nearest) msg += "; did you mean '" + std::string(nearest->words) + "'?";
  return msg;
}

void Parser::prescan_uplinks(const std::vector<LexedLine>& lines) {
  uint32_t pp = 0;  // the numbered pp selected; 0: none (anonymous is never an uplink)
  for (const LexedLine& l : lines) {
    const auto& t = l.tokens;
    if (t.size() >= 2 && t[0].text == "tunnel" && t[1].text == "select") pp = 0;
    if (t.size() >= 3 && t[0].text == "pp" && t[1].text == "select")
      pp = parse_uint(t[2].text, defaults::kMaxPpId).value_or(0);
    if (pp != 0 && t.size() >= 2 && t[0].text == "pppoe" && t[1].text == "use")
      uplinks_.try_emplace(static_cast<uint16_t>(pp), l.number);
  }
}

ParsedConfig Parser::run(const std::vector<LexedLine>& lines) {
  prescan_uplinks(lines);
  for (const LexedLine& l : lines) {
    if (!l.error.empty()) {
      diags_.push_back({l.number, Severity::Error, l.error});
      continue;
    }
    if (!l.tokens.empty()) dispatch(l);
  }
  return std::move(out_);
}

void Parser::dispatch(const LexedLine& l) {
  std::span<const Token> toks(l.tokens);
  const bool negate = toks.size() > 1 && toks[0].text == "no";
  if (negate) toks = toks.subspan(1);
  size_t nwords = 0;
  std::string iface;
  const Spec* spec = match(toks, nwords, iface);
  if (!spec) {
    diags_.push_back({l.number, Severity::Error, unknown_command_message(toks)});
    return;
  }
  Cmd c;
  c.line = l.number;
  c.negate = negate;
  c.name = spec->words;
  c.interface = iface;
  c.args = toks.subspan(nwords);
  c.secret_from = spec->secret_from;
  std::string name;
  if (!iface.empty()) {  // "ip IF address" reads as "ip lan1 address"
    name = std::string(spec->words);
    name.replace(name.find("IF"), 2, iface);
  }
  if (!name.empty()) c.name = name;

  for (size_t i = 0; i < c.args.size(); ++i) {
    if (!is_placeholder(c.args[i])) continue;
    if (c.secret_from >= 0 && i >= static_cast<size_t>(c.secret_from))
      error(c, quote(c, i) + " is a placeholder; fill in the value");
    else
      error(c, "placeholder " + quote(c, i) + " in place of a value; fill it in");
    return;
  }

  const bool pp_command = spec->ctx == Ctx::Pp || spec->pp_scoped;
  if (pp_command && sel_ == Selected::Pp) {
    if (const auto up = uplinks_.find(pp_); up != uplinks_.end()) {
      if (spec->words == "pppoe")
        unsupported(c, "PPPoE uplink (pppoe use); pp " + std::to_string(pp_) + " and its commands are ignored");
      else
        unsupported(c, "pp " + std::to_string(pp_) + " is a PPPoE uplink (pppoe use, line " +
                           std::to_string(up->second) + "); this line is ignored");
      return;
    }
  }
  if (!spec->handler) {
    std::string what(spec->unsupported);
    if (const size_t at = what.find("INTERFACE"); at != std::string::npos) what.replace(at, 9, iface);
    unsupported(c, what);
    return;
  }
  if (spec->ctx == Ctx::Pp && sel_ != Selected::Pp) {
    error(c, "no pp selected (pp select N|anonymous first)");
    return;
  }
  if (spec->ctx == Ctx::Tunnel && sel_ != Selected::Tunnel) {
    error(c, "no tunnel selected (tunnel select N first)");
    return;
  }
  (this->*spec->handler)(c);
}

// ---- pp ----

void Parser::pp_select(Cmd& c) {
  if (c.negate) return error(c, "cannot be negated");
  const Token* t = next(c, "peer number (N, anonymous or none)");
  if (!t) return;
  uint16_t id = kPpAnonymous;
  if (t->text == "none") {
    if (done(c)) sel_ = Selected::None;
    return;
  }
  if (t->text != "anonymous") {
    const auto n = parse_uint(t->text, defaults::kMaxPpId);
    if (!n || *n < 1)
      return error(c, "peer number must be anonymous, none or a number from 1 to " +
                          std::to_string(defaults::kMaxPpId) + ", not " + quote(c, c.pos - 1));
    id = static_cast<uint16_t>(*n);
  }
  if (!done(c)) return;
  sel_ = Selected::Pp;
  pp_ = id;
  if (uplinks_.contains(id)) return;  // a PPPoE uplink: its commands are warned about and dropped
  auto [it, added] = cfg().pps.try_emplace(id);
  it->second.id = id;
  if (it->second.select_line == 0) it->second.select_line = c.line;
}

void Parser::pp_bind(Cmd& c) {
  if (c.negate) {
    pp()->bind = PpConfig{}.bind;
    return;
  }
  if (!more(c)) return error(c, "missing tunnelN");
  std::vector<uint16_t> tunnels;
  for (; more(c); ++c.pos) {
    std::string_view s = c.args[c.pos].text;
    // "tunnelN", "tunnelN-tunnelM" or "tunnelN-M"
    std::optional<IdRange> r;
    if (s.substr(0, 6) == "tunnel") {
      std::string spec(s.substr(6));
      if (const size_t dash = spec.find("-tunnel"); dash != std::string::npos) spec.erase(dash + 1, 6);
      r = parse_id_range(spec, 1, defaults::kMaxTunnelId);
    }
    if (!r)
      return error(c, quote(c, c.pos) + " is not tunnelN or tunnelN-tunnelM (N from 1 to " +
                          std::to_string(defaults::kMaxTunnelId) + ")");
    for (uint32_t n = r->first; n <= r->last; ++n) {
      if (std::find(tunnels.begin(), tunnels.end(), n) != tunnels.end())
        return error(c, "tunnel " + std::to_string(n) + " is named twice");
      tunnels.push_back(static_cast<uint16_t>(n));
    }
  }
  pp()->bind.set(std::move(tunnels), c.line);
}

void Parser::pp_auth_request(Cmd& c) {
  if (c.negate) {
    pp()->auth_request = PpConfig{}.auth_request;
    return;
  }
  const auto m = keyword(c, "authentication method", kPpAuthMethods);
  if (!m) return;
  PpAuthRequest r{*m, false};
  if (more(c) && c.args[c.pos].text == "arrive-only") {
    r.arrive_only = true;
    ++c.pos;
  }
  if (done(c)) pp()->auth_request.set(r, c.line);
}

void Parser::pp_auth_accept(Cmd& c) {
  if (c.negate) {
    pp()->auth_accept = PpConfig{}.auth_accept;
    return;
  }
  std::vector<PpAuthMethod> methods;
  do {
    const auto m = keyword(c, "authentication method", kPpAuthMethods);
    if (!m) return;
    if (*m == PpAuthMethod::ChapPap) return error(c, "chap-pap is a pp auth request method; accept lists each method");
    if (std::find(methods.begin(), methods.end(), *m) == methods.end()) methods.push_back(*m);
  } while (more(c));
  pp()->auth_accept.set(std::move(methods), c.line);
}

void Parser::pp_auth_username(Cmd& c) {
  const Token* name = next(c, "user name");
  if (!name) return;
  auto& users = pp()->users;
  auto it = std::find_if(users.begin(), users.end(), [&](const PpUser& u) { return u.name == name->text; });
  if (c.negate) {
    if (it != users.end()) users.erase(it);
    return;
  }
  if (name->text.empty()) return error(c, "the user name is empty");
  auto password = secret(c, "password");
  if (!password) return;
  PpUser u{name->text, std::move(*password), std::nullopt, c.line};
  if (more(c)) {
    const auto a = ipv4(c, "the user's fixed address");
    if (!a) return;
    u.address = *a;
  }
  if (!done(c)) return;
  if (it != users.end())
    *it = std::move(u);
  else
    users.push_back(std::move(u));
}

void Parser::pp_enable(Cmd& c) {
  if (!more(c)) return error(c, "missing peer number (N, N-M, anonymous or all)");
  const bool on = !c.negate;
  std::vector<uint16_t> ids;
  for (; more(c); ++c.pos) {
    const std::string& s = c.args[c.pos].text;
    if (s == "all") {
      out_.all_pps_enabled.set(on, c.line);
      for (auto& [id, p] : cfg().pps) p.enabled.set(on, c.line);
      continue;
    }
    if (s == "anonymous") {
      ids.push_back(kPpAnonymous);
      continue;
    }
    const auto r = parse_id_range(s, 1, defaults::kMaxPpId);
    if (!r) return error(c, quote(c, c.pos) + " is not a peer number, range, anonymous or all");
    for (uint32_t n = r->first; n <= r->last; ++n) ids.push_back(static_cast<uint16_t>(n));
  }
  for (uint16_t id : ids) {
    if (const auto up = uplinks_.find(id); up != uplinks_.end()) {
      unsupported(c, "pp " + std::to_string(id) + " is a PPPoE uplink (pppoe use, line " +
                         std::to_string(up->second) + "); it is not enabled");
      continue;
    }
    auto [it, added] = cfg().pps.try_emplace(id);
    it->second.id = id;
    it->second.enabled.set(on, c.line);
  }
}

void Parser::pp_disable(Cmd& c) {
  if (c.negate) return error(c, "cannot be negated (use pp enable)");
  c.negate = true;
  pp_enable(c);
}

void Parser::ppp_ipcp_ipaddress(Cmd& c) { set_switch(c, pp()->ipcp_ipaddress, PpConfig{}.ipcp_ipaddress); }
void Parser::ppp_ipcp_msext(Cmd& c) { set_switch(c, pp()->ipcp_msext, PpConfig{}.ipcp_msext); }
void Parser::pp_auth_multi_connect_prohibit(Cmd& c) {
  set_switch(c, pp()->auth_multi_connect_prohibit, PpConfig{}.auth_multi_connect_prohibit);
}

void Parser::ppp_lcp_mru(Cmd& c) {
  if (c.negate) {
    pp()->lcp_mru = PpConfig{}.lcp_mru;
    return;
  }
  const auto on = on_off(c);
  if (!on) return;
  LcpMru m;
  m.on = *on;
  if (more(c)) {
    const auto n = number(c, "MRU", 64, 1500);
    if (!n) return;
    m.mru = static_cast<uint16_t>(*n);
  }
  if (done(c)) pp()->lcp_mru.set(m, c.line);
}

void Parser::ppp_ccp_type(Cmd& c) {
  if (c.negate) {
    pp()->ccp_type = PpConfig{}.ccp_type;
    return;
  }
  const auto t = keyword(c, "CCP type", kCcpTypes);
  if (!t || !done(c)) return;
  pp()->ccp_type.set(*t, c.line);
  if (*t != CcpType::None)
    unsupported(c, "CCP compression and MPPE (ppp ccp type " + std::string(keyword_name(kCcpTypes, *t)) +
                       "); l2tpgw refuses CCP and sends PPP uncompressed");
}

void Parser::ip_pp_remote_address(Cmd& c) {
  if (c.negate) {
    pp()->remote_address = PpConfig{}.remote_address;
    return;
  }
  const auto a = ipv4(c, "remote address");
  if (!a || !done(c)) return;
  pp()->remote_address.set(PpRemoteAddress{*a, {}}, c.line);
}

void Parser::ip_pp_remote_address_pool(Cmd& c) {
  if (c.negate) {
    pp()->remote_address = PpConfig{}.remote_address;
    return;
  }
  if (!more(c)) return error(c, "missing address range");
  if (c.args[c.pos].text == "dhcp" || c.args[c.pos].text == "radius")
    return unsupported(c, "addresses from " + c.args[c.pos].text + " (ip pp remote address pool " + c.args[c.pos].text + ")");
  PpRemoteAddress pool;
  for (; more(c); ++c.pos) {
    std::optional<Ipv4Range> r = parse_ipv4_range(c.args[c.pos].text);
    if (!r) {
      if (const auto a = parse_ipv4(c.args[c.pos].text)) r = Ipv4Range{*a, *a};
    }
    if (!r) return error(c, quote(c, c.pos) + " is not an IPv4 address or range A.B.C.D-E.F.G.H");
    for (const Ipv4Range& o : pool.pool)
      if (r->first <= o.last && o.first <= r->last) return error(c, quote(c, c.pos) + " overlaps another range");
    pool.pool.push_back(*r);
  }
  pp()->remote_address.set(std::move(pool), c.line);
}

void Parser::ip_pp_mtu(Cmd& c) {
  if (c.negate) {
    pp()->mtu = PpConfig{}.mtu;
    return;
  }
  const auto n = number(c, "MTU", 64, 1500);
  if (n && done(c)) pp()->mtu.set(static_cast<uint16_t>(*n), c.line);
}

// ---- tunnel ----

void Parser::tunnel_select(Cmd& c) {
  if (c.negate) return error(c, "cannot be negated");
  const Token* t = next(c, "tunnel number (N or none)");
  if (!t) return;
  if (t->text == "none") {
    if (done(c)) sel_ = Selected::None;
    return;
  }
  --c.pos;
  const auto n = number(c, "tunnel number", 1, defaults::kMaxTunnelId);
  if (!n || !done(c)) return;
  sel_ = Selected::Tunnel;
  tunnel_ = static_cast<uint16_t>(*n);
  auto [it, added] = cfg().tunnels.try_emplace(tunnel_);
  it->second.id = tunnel_;
  if (it->second.select_line == 0) it->second.select_line = c.line;
}

void Parser::tunnel_template(Cmd& c) {
  if (c.negate) {
    out_.tunnel_templates.erase(tunnel_);
    return;
  }
  const auto targets = id_list<uint16_t>(c, "tunnel number", 1, defaults::kMaxTunnelId);
  if (!targets) return;
  out_.tunnel_templates[tunnel_] = TunnelTemplate{tunnel_, *targets, c.line};
}

void Parser::tunnel_encapsulation(Cmd& c) {
  if (c.negate) {
    tunnel()->encapsulation = TunnelConfig{}.encapsulation;
    return;
  }
  const auto e = keyword(c, "encapsulation", kTunnelEncapsulations);
  if (!e || !done(c)) return;
  tunnel()->encapsulation.set(*e, c.line);
  if (*e == TunnelEncapsulation::Ipsec)
    unsupported(c, "IPsec tunnel mode (tunnel encapsulation ipsec); tunnel " + std::to_string(tunnel_) + " is ignored");
  else if (*e == TunnelEncapsulation::Pptp)
    unsupported(c, "PPTP (tunnel encapsulation pptp); tunnel " + std::to_string(tunnel_) + " is ignored");
}

void Parser::tunnel_endpoint_address(Cmd& c) {
  if (c.negate) {
    tunnel()->endpoint = TunnelConfig{}.endpoint;
    return;
  }
  const auto first = ipv4(c, "endpoint address");
  if (!first) return;
  TunnelEndpoint e{std::nullopt, *first};
  if (more(c)) {
    const auto remote = ipv4(c, "remote endpoint address");
    if (!remote) return;
    e = TunnelEndpoint{*first, *remote};
  }
  if (done(c)) tunnel()->endpoint.set(e, c.line);
}

void Parser::tunnel_enable(Cmd& c) {
  if (!more(c)) return error(c, "missing tunnel number (N, N-M or all)");
  const bool on = !c.negate;
  for (; more(c); ++c.pos) {
    if (c.args[c.pos].text == "all") {
      out_.all_tunnels_enabled.set(on, c.line);
      for (auto& [id, t] : cfg().tunnels) t.enabled.set(on, c.line);
      continue;
    }
    const auto r = parse_id_range(c.args[c.pos].text, 1, defaults::kMaxTunnelId);
    if (!r) return error(c, quote(c, c.pos) + " is not a tunnel number, range or all");
    for (uint32_t n = r->first; n <= r->last; ++n) {
      auto [it, added] = cfg().tunnels.try_emplace(static_cast<uint16_t>(n));
      it->second.id = static_cast<uint16_t>(n);
      it->second.enabled.set(on, c.line);
    }
  }
}

void Parser::tunnel_disable(Cmd& c) {
  if (c.negate) return error(c, "cannot be negated (use tunnel enable)");
  c.negate = true;
  tunnel_enable(c);
}

void Parser::ipsec_tunnel(Cmd& c) {
  if (c.negate) {
    tunnel()->ipsec_policy = TunnelConfig{}.ipsec_policy;
    return;
  }
  const auto p = number(c, "policy id", 1, defaults::kMaxPolicyId);
  if (p && done(c)) tunnel()->ipsec_policy.set(*p, c.line);
}

void Parser::l2tp_tunnel_disconnect_time(Cmd& c) {
  if (c.negate) {
    tunnel()->l2tp_disconnect_time = TunnelConfig{}.l2tp_disconnect_time;
    return;
  }
  if (more(c) && c.args[c.pos].text == "off") {
    ++c.pos;
    if (done(c)) tunnel()->l2tp_disconnect_time.set(std::nullopt, c.line);
    return;
  }
  const auto n = number(c, "time (seconds, or off)", 1, 21474836);
  if (n && done(c)) tunnel()->l2tp_disconnect_time.set(*n, c.line);
}

void Parser::l2tp_tunnel_auth(Cmd& c) {
  if (c.negate) {
    tunnel()->l2tp_tunnel_auth = TunnelConfig{}.l2tp_tunnel_auth;
    return;
  }
  const auto on = on_off(c);
  if (!on) return;
  L2tpTunnelAuth a;
  a.on = *on;
  if (*on || more(c)) {
    auto pw = secret(c, "password");
    if (!pw) return;
    a.password = std::move(*pw);
  }
  if (done(c)) tunnel()->l2tp_tunnel_auth.set(std::move(a), c.line);
}

void Parser::l2tp_keepalive_use(Cmd& c) {
  if (c.negate) {
    tunnel()->l2tp_keepalive = TunnelConfig{}.l2tp_keepalive;
    return;
  }
  const auto on = on_off(c);
  if (!on) return;
  L2tpKeepalive k;
  k.on = *on;
  if (more(c)) {
    const auto interval = number(c, "interval (seconds)", 1, 600);
    if (!interval) return;
    k.interval = static_cast<uint16_t>(*interval);
    if (more(c)) {
      const auto count = number(c, "count", 1, 50);
      if (!count) return;
      k.count = static_cast<uint16_t>(*count);
    }
  }
  if (done(c)) tunnel()->l2tp_keepalive.set(k, c.line);
}

void Parser::l2tp_keepalive_log(Cmd& c) { set_switch(c, tunnel()->l2tp_keepalive_log, TunnelConfig{}.l2tp_keepalive_log); }
void Parser::l2tp_syslog(Cmd& c) { set_switch(c, tunnel()->l2tp_syslog, TunnelConfig{}.l2tp_syslog); }
void Parser::l2tp_always_on(Cmd& c) { set_switch(c, tunnel()->l2tp_always_on, TunnelConfig{}.l2tp_always_on); }

void Parser::l2tp_local_router_id(Cmd& c) {
  if (c.negate) {
    tunnel()->l2tp_local_router_id = TunnelConfig{}.l2tp_local_router_id;
    return;
  }
  if (const auto a = optional_address(c, "router id")) tunnel()->l2tp_local_router_id.set(*a, c.line);
}

void Parser::l2tp_remote_router_id(Cmd& c) {
  if (c.negate) {
    tunnel()->l2tp_remote_router_id = TunnelConfig{}.l2tp_remote_router_id;
    return;
  }
  if (const auto a = optional_address(c, "router id")) tunnel()->l2tp_remote_router_id.set(*a, c.line);
}

void Parser::l2tp_remote_end_id(Cmd& c) {
  if (c.negate) {
    tunnel()->l2tp_remote_end_id = TunnelConfig{}.l2tp_remote_end_id;
    return;
  }
  const Token* t = next(c, "end id");
  if (!t || !done(c)) return;
  // RFC 3931 §5.4.3 leaves the End Identifier's form to the operator; Yamaha caps it at 32.
  if (t->text.empty() || t->text.size() > 32) return error(c, "the end id must be 1 to 32 characters");
  tunnel()->l2tp_remote_end_id.set(t->text, c.line);
}

void Parser::ip_tunnel_tcp_mss_limit(Cmd& c) {
  if (c.negate) {
    tunnel()->tcp_mss_limit = TunnelConfig{}.tcp_mss_limit;
    return;
  }
  const Token* t = next(c, "auto, off or an MSS");
  if (!t) return;
  TcpMssLimit m;
  if (t->text == "auto") {
    m.mode = TcpMssLimit::Mode::Auto;
  } else if (t->text == "off") {
    m.mode = TcpMssLimit::Mode::Off;
  } else {
    --c.pos;
    const auto n = number(c, "MSS", 536, 1460);
    if (!n) return;
    m = TcpMssLimit{TcpMssLimit::Mode::Fixed, static_cast<uint16_t>(*n)};
  }
  if (done(c)) tunnel()->tcp_mss_limit.set(m, c.line);
}

// ---- IPsec ----

void Parser::ipsec_sa_policy(Cmd& c) {
  const auto id = number(c, "policy id", 1, defaults::kMaxPolicyId);
  if (!id) return;
  if (c.negate) {
    cfg().policies.erase(*id);
    return;
  }
  const auto gw = number(c, "security gateway id", 1, defaults::kMaxGatewayId);
  if (!gw) return;
  const Token* proto = next(c, "esp");
  if (!proto) return;
  if (proto->text == "ah") return error(c, "AH is not supported by l2tpgw (esp only)");
  if (proto->text != "esp") return error(c, "expected esp, not " + quote(c, c.pos - 1));
  const Token* enc = next(c, "ESP encryption algorithm");
  if (!enc) return;
  SaPolicy p;
  p.id = *id;
  p.gateway = *gw;
  p.line = c.line;
  const auto cipher = parse_esp_cipher(enc->text);
  if (!cipher)
    return error(c, "unknown ESP encryption algorithm " + quote(c, c.pos - 1) +
                        " (des-cbc, 3des-cbc, aes-cbc, aes256-cbc, aes-gcm, aes256-gcm)");
  p.cipher = *cipher;
  if (more(c) && c.args[c.pos].text.find('=') == std::string::npos) {
    const auto auth = parse_esp_auth(c.args[c.pos].text);
    if (!auth)
      return error(c, "unknown ESP authentication algorithm " + quote(c, c.pos) + " (md5-hmac, sha-hmac, sha256-hmac)");
    p.auth = *auth;
    ++c.pos;
  }
  bool selectors = false;
  for (; more(c); ++c.pos) {
    const Token& t = c.args[c.pos];
    if (const auto v = option(t, "anti-replay-check")) {
      if (*v != "on" && *v != "off") return error(c, "anti-replay-check must be on or off");
      p.anti_replay_check = *v == "on";
    } else if (option(t, "local-id") || option(t, "remote-id")) {
      selectors = true;
    } else {
      return error(c, "unexpected " + quote(c, c.pos));
    }
  }
  if (!esp_pair_allowed(p.cipher, p.auth)) {
    if (info(p.cipher).combined)
      return error(c, std::string(format(p.cipher)) + " is a combined-mode cipher and takes no authentication algorithm");
    return error(c, std::string(format(p.cipher)) +
                        " needs an authentication algorithm (md5-hmac, sha-hmac or sha256-hmac): l2tpgw never "
                        "runs ESP without integrity");
  }
  if (selectors) unsupported(c, "IPsec tunnel-mode selectors (local-id=, remote-id=); ignored");
  cfg().policies[*id] = p;
}

void Parser::ike_encryption(Cmd& c) {
  IkeGateway* g = gateway(c);
  if (!g) return;
  if (c.negate) {
    g->encryption = IkeGateway{}.encryption;
    return;
  }
  const auto v = keyword(c, "IKE encryption algorithm", kIkeEncryptions);
  if (v && done(c)) g->encryption.set(*v, c.line);
}

void Parser::ike_hash(Cmd& c) {
  IkeGateway* g = gateway(c);
  if (!g) return;
  if (c.negate) {
    g->hash = IkeGateway{}.hash;
    return;
  }
  const auto v = keyword(c, "IKE hash algorithm", kIkeHashes);
  if (v && done(c)) g->hash.set(*v, c.line);
}

void Parser::ike_group(Cmd& c) {
  IkeGateway* g = gateway(c);
  if (!g) return;
  if (c.negate) {
    g->group = IkeGateway{}.group;
    return;
  }
  std::vector<IkeGroup> groups;
  do {
    const auto v = keyword(c, "Diffie-Hellman group", kIkeGroups);
    if (!v) return;
    groups.push_back(*v);
  } while (more(c) && groups.size() < 2);
  if (groups.size() == 2 && groups[0] == groups[1]) return error(c, "the same group is named twice");
  if (done(c)) g->group.set(std::move(groups), c.line);
}

void Parser::ike_local_address(Cmd& c) {
  IkeGateway* g = gateway(c);
  if (!g) return;
  if (c.negate) {
    g->local_address = IkeGateway{}.local_address;
    return;
  }
  if (const auto a = optional_address(c, "local address")) g->local_address.set(*a, c.line);
}

void Parser::ike_remote_address(Cmd& c) {
  IkeGateway* g = gateway(c);
  if (!g) return;
  if (c.negate) {
    g->remote_address = IkeGateway{}.remote_address;
    return;
  }
  const Token* t = next(c, "remote address (any, an address or a hostname)");
  if (!t || !done(c)) return;
  IkeRemoteAddress r;
  if (t->text == "any") {
    r.kind = IkeRemoteAddress::Kind::Any;
  } else if (const auto a = parse_ipv4(t->text)) {
    r.kind = IkeRemoteAddress::Kind::Address;
    r.address = *a;
  } else if (is_hostname(t->text)) {
    r.kind = IkeRemoteAddress::Kind::Hostname;
    r.hostname = t->text;
  } else {
    return error(c, quote(c, c.pos - 1) + " is not any, an IPv4 address or a hostname");
  }
  g->remote_address.set(r, c.line);
}

// `ipsec ike local name` and `ipsec ike remote name`: NAME [TYPE], into `member`.
void Parser::ike_name(Cmd& c, Setting<std::optional<IkeName>> IkeGateway::*member) {
  IkeGateway* g = gateway(c);
  if (!g) return;
  if (c.negate) {
    g->*member = IkeGateway{}.*member;
    return;
  }
  const Token* n = next(c, "name");
  if (!n) return;
  if (n->text.empty()) return error(c, "the name is empty");
  IkeName name{n->text, std::nullopt};
  if (more(c)) {
    const auto t = keyword(c, "identity type", kIkeIdTypes);
    if (!t) return;
    name.type = *t;
  }
  if (done(c)) (g->*member).set(std::move(name), c.line);
}
void Parser::ike_local_name(Cmd& c) { ike_name(c, &IkeGateway::local_name); }
void Parser::ike_remote_name(Cmd& c) { ike_name(c, &IkeGateway::remote_name); }

void Parser::ike_pre_shared_key(Cmd& c) {
  IkeGateway* g = gateway(c);
  if (!g) return;
  if (c.negate) {
    g->pre_shared_key = IkeGateway{}.pre_shared_key;
    return;
  }
  const Token* kind = next(c, "key type (text or hex)");
  if (!kind) return;
  if (kind->text != "text" && kind->text != "hex") return error(c, "the key type must be text or hex");
  auto key = secret(c, "key");
  if (!key) return;
  if (!done(c)) return;
  PreSharedKey psk;
  psk.hex = kind->text == "hex";
  if (psk.hex) {
    // "0x" and an even number of hex digits. The message says what is wrong, never the key.
    const std::string& s = key->reveal();
    if (s.size() < 4 || s.size() % 2 != 0 || (s.compare(0, 2, "0x") != 0 && s.compare(0, 2, "0X") != 0))
      return error(c, "a hex key is 0x followed by an even number of hexadecimal digits");
    std::string bytes;
    for (size_t i = 2; i < s.size(); i += 2) {
      auto nibble = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      const int hi = nibble(s[i]), lo = nibble(s[i + 1]);
      if (hi < 0 || lo < 0) return error(c, "a hex key is 0x followed by an even number of hexadecimal digits");
      bytes += static_cast<char>(hi << 4 | lo);
    }
    psk.key = Secret(std::move(bytes));
  } else {
    for (char ch : key->reveal())
      if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f)
        return error(c, "a text key is printable ASCII");
    psk.key = std::move(*key);
  }
  if (psk.key.reveal().size() > defaults::kMaxPreSharedKey)
    return error(c, "the key is longer than " + std::to_string(defaults::kMaxPreSharedKey) +
                        (psk.hex ? " bytes" : " characters"));
  g->pre_shared_key.set(std::move(psk), c.line);
}

void Parser::ike_nat_traversal(Cmd& c) {
  IkeGateway* g = gateway(c);
  if (!g) return;
  if (c.negate) {
    g->nat_traversal = IkeGateway{}.nat_traversal;
    return;
  }
  const auto on = on_off(c);
  if (!on) return;
  NatTraversal n;
  n.on = *on;
  for (; more(c); ++c.pos) {
    const Token& t = c.args[c.pos];
    if (const auto v = option(t, "keepalive")) {
      const auto s = parse_uint(*v, 65535);
      if (!s || *s < 1) return error(c, "keepalive= must be a number of seconds from 1 to 65535");
      n.keepalive = static_cast<uint16_t>(*s);
    } else if (const auto f = option(t, "force")) {
      if (*f != "on" && *f != "off") return error(c, "force= must be on or off");
      n.force = *f == "on";
    } else {
      return error(c, "unexpected " + quote(c, c.pos));
    }
  }
  g->nat_traversal.set(n, c.line);
}

void Parser::ike_keepalive_use(Cmd& c) {
  IkeGateway* g = gateway(c);
  if (!g) return;
  if (c.negate) {
    g->keepalive = IkeGateway{}.keepalive;
    return;
  }
  const Token* sw = next(c, "on, off or auto");
  if (!sw) return;
  IkeKeepalive k;
  if (sw->text == "on") {
    k.use = IkeKeepalive::Use::On;
  } else if (sw->text == "off") {
    k.use = IkeKeepalive::Use::Off;
  } else if (sw->text == "auto") {
    k.use = IkeKeepalive::Use::Auto;
  } else {
    return error(c, "expected on, off or auto, not " + quote(c, c.pos - 1));
  }
  if (more(c)) {
    const std::string& m = c.args[c.pos].text;
    if (m == "heartbeat") {
      k.method = IkeKeepalive::Method::Heartbeat;
      ++c.pos;
    } else if (m == "dpd") {
      k.method = IkeKeepalive::Method::Dpd;
      ++c.pos;
    } else if (m == "icmp-echo") {
      k.method = IkeKeepalive::Method::IcmpEcho;
      ++c.pos;
      const auto a = ipv4(c, "icmp-echo target");
      if (!a) return;
      k.icmp_echo_target = *a;
    }
  }
  if (more(c)) {
    const auto interval = number(c, "interval (seconds)", 1, 600);
    if (!interval) return;
    const auto count = number(c, "count", 1, 50);
    if (!count) return;
    k.interval = static_cast<uint16_t>(*interval);
    k.count = static_cast<uint16_t>(*count);
  }
  if (done(c)) g->keepalive.set(k, c.line);
}

void Parser::ike_keepalive_log(Cmd& c) { gateway_switch(c, &IkeGateway::keepalive_log); }
void Parser::ike_pfs(Cmd& c) { gateway_switch(c, &IkeGateway::pfs); }
void Parser::ike_negotiate_strictly(Cmd& c) { gateway_switch(c, &IkeGateway::negotiate_strictly); }

// `... rekey REKEY`: 70%-90% (the % may be left out) or off (0).
std::optional<uint32_t> Parser::rekey_option(Cmd& c) {
  if (!more(c)) return defaults::kIkeRekeyPercent;
  const Token* kw = next(c, "rekey");
  if (kw->text != "rekey") {
    error(c, "expected rekey, not " + quote(c, c.pos - 1));
    return std::nullopt;
  }
  const Token* t = next(c, "the rekey point (70%-90% or off)");
  if (!t) return std::nullopt;
  if (t->text == "off") return 0u;
  std::string_view v = t->text;
  if (!v.empty() && v.back() == '%') v.remove_suffix(1);
  const auto p = parse_uint(v, defaults::kIkeRekeyPercentMax);
  if (!p || *p < defaults::kIkeRekeyPercentMin) {
    error(c, "the rekey point must be 70%-90% or off, not " + quote(c, c.pos - 1));
    return std::nullopt;
  }
  return p;
}

// `ipsec ike duration isakmp-sa GATEWAY SECOND [rekey REKEY]`.
void Parser::ike_duration_isakmp_sa(Cmd& c) {
  IkeGateway* g = gateway(c);
  if (!g) return;
  if (c.negate) {
    g->isakmp_sa_lifetime = IkeGateway{}.isakmp_sa_lifetime;
    g->isakmp_sa_rekey = IkeGateway{}.isakmp_sa_rekey;
    return;
  }
  const auto s = number(c, "lifetime (seconds)", 300, 691200);
  if (!s) return;
  const auto rekey = rekey_option(c);
  if (!rekey || !done(c)) return;
  g->isakmp_sa_lifetime.set(*s, c.line);
  g->isakmp_sa_rekey.set(*rekey, c.line);
}

// `ipsec ike duration ipsec-sa GATEWAY SECOND [KBYTES] [rekey REKEY]`.
void Parser::ike_duration_ipsec_sa(Cmd& c) {
  IkeGateway* g = gateway(c);
  if (!g) return;
  if (c.negate) {
    g->ipsec_sa_lifetime = IkeGateway{}.ipsec_sa_lifetime;
    g->ipsec_sa_kilobytes = IkeGateway{}.ipsec_sa_kilobytes;
    g->ipsec_sa_rekey = IkeGateway{}.ipsec_sa_rekey;
    return;
  }
  const auto s = number(c, "lifetime (seconds)", 300, 691200);
  if (!s) return;
  std::optional<uint32_t> kb = 0u;
  if (more(c) && c.args[c.pos].text != "rekey")
    kb = number(c, "lifetime (kilobytes)", defaults::kIkeSaKilobytesMin, defaults::kIkeSaKilobytesMax);
  if (!kb) return;
  const auto rekey = rekey_option(c);
  if (!rekey || !done(c)) return;
  g->ipsec_sa_lifetime.set(*s, c.line);
  g->ipsec_sa_kilobytes.set(*kb, c.line);
  g->ipsec_sa_rekey.set(*rekey, c.line);
}

void Parser::ike_version(Cmd& c) {
  IkeGateway* g = gateway(c);
  if (!g) return;
  if (c.negate) {
    g->version = IkeGateway{}.version;
    return;
  }
  const auto v = number(c, "IKE version", 1, 2);
  if (!v || !done(c)) return;
  if (*v == 2) return error(c, "IKEv2 is not supported by l2tpgw (IKEv1 only)");
  g->version.set(static_cast<uint8_t>(*v), c.line);
}

void Parser::ipsec_auto_refresh(Cmd& c) {
  // `ipsec auto refresh on|off` (global) or `ipsec auto refresh G on|off`.
  if (more(c) && c.args[c.pos].text != "on" && c.args[c.pos].text != "off") {
    gateway_switch(c, &IkeGateway::auto_refresh);
    return;
  }
  set_switch(c, cfg().ipsec_auto_refresh, Config{}.ipsec_auto_refresh);
}

// "*" (any), or a comma-separated list of ports and port ranges.
std::optional<std::vector<PortRange>> parse_ports(std::string_view s) {
  std::vector<PortRange> out;
  if (s == "*") return out;
  while (true) {
    const size_t comma = s.find(',');
    const auto r = parse_id_range(s.substr(0, comma), 0, 65535);
    if (!r) return std::nullopt;
    out.push_back(PortRange{static_cast<uint16_t>(r->first), static_cast<uint16_t>(r->last)});
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

void Parser::ipsec_transport(Cmd& c) {
  const auto id = number(c, "transport id", 1, defaults::kMaxTransportId);
  if (!id) return;
  if (c.negate) {
    cfg().transports.erase(*id);
    return;
  }
  const auto policy = number(c, "policy id", 1, defaults::kMaxPolicyId);
  if (!policy) return;
  IpsecTransport t;
  t.id = *id;
  t.policy = *policy;
  t.line = c.line;
  if (more(c)) {
    const std::string& p = c.args[c.pos].text;
    if (p != "*") {
      t.protocol = find_keyword(kIpProtocols, p);
      if (!t.protocol) {
        const auto n = parse_uint(p, 255);
        if (!n) return error(c, "unknown protocol " + quote(c, c.pos) + " (udp, tcp, icmp, gre, esp, ah, * or 0 to 255)");
        t.protocol = static_cast<uint8_t>(*n);
      }
    }
    ++c.pos;
    for (auto* ports : {&t.src_ports, &t.dst_ports}) {
      if (!more(c)) break;
      const auto list = parse_ports(c.args[c.pos].text);
      if (!list) return error(c, quote(c, c.pos) + " is not *, a port, a port range or a comma-separated list of them");
      if (!list->empty() && t.protocol != 6 && t.protocol != 17)
        return error(c, "ports are only given with tcp or udp");
      *ports = *list;
      ++c.pos;
    }
  }
  if (done(c)) cfg().transports[*id] = std::move(t);
}

void Parser::ipsec_transport_template(Cmd& c) {
  const auto source = number(c, "transport id", 1, defaults::kMaxTransportId);
  if (!source) return;
  if (c.negate) {
    out_.transport_templates.erase(*source);
    return;
  }
  const auto targets = id_list<uint32_t>(c, "transport id", 1, defaults::kMaxTransportId);
  if (!targets) return;
  out_.transport_templates[*source] = TransportTemplate{*source, *targets, c.line};
}

// ---- global ----

void Parser::l2tp_service(Cmd& c) {
  if (c.negate) {
    cfg().l2tp_service = Config{}.l2tp_service;
    return;
  }
  const auto on = on_off(c);
  if (!on) return;
  L2tpService s;
  s.on = *on;
  if (more(c)) {
    s.l2tpv2 = s.l2tpv3 = false;
    for (; more(c); ++c.pos) {
      const std::string& v = c.args[c.pos].text;
      if (v == "l2tpv2")
        s.l2tpv2 = true;
      else if (v == "l2tpv3")
        s.l2tpv3 = true;
      else
        return error(c, "unknown version " + quote(c, c.pos) + " (l2tpv2, l2tpv3)");
    }
  }
  cfg().l2tp_service.set(s, c.line);
}

void Parser::pptp_service(Cmd& c) {
  set_switch(c, cfg().pptp_service, Config{}.pptp_service);
  if (!c.negate && cfg().pptp_service.line == c.line && cfg().pptp_service.value)
    unsupported(c, "PPTP (pptp service on); PPTP calls are not answered");
}

void Parser::ip_if_address(Cmd& c) {
  if (c.negate) {
    if (auto it = cfg().interfaces.find(c.interface); it != cfg().interfaces.end())
      it->second.address = Interface{}.address;
    return;
  }
  auto& ifc = cfg().interfaces[c.interface];
  ifc.name = c.interface;
  const Token* t = next(c, "address (A.B.C.D/LEN)");
  if (!t) return;
  if (t->text == "dhcp") return unsupported(c, "DHCP client (" + std::string(c.name) + " dhcp)");
  const auto p = parse_ipv4_prefix(t->text);
  if (!p) return error(c, quote(c, c.pos - 1) + " is not an address with a prefix length (A.B.C.D/LEN)");
  if (p->length <= 30) {
    const uint32_t host = 0xffffffffu >> p->length;
    const uint32_t bits = p->address.value & host;
    if (bits == 0 || bits == host)
      return error(c, quote(c, c.pos - 1) + " is the network's " + (bits == 0 ? "own" : "broadcast") +
                          " address, not an interface address");
  }
  if (done(c)) ifc.address.set(*p, c.line);
}

void Parser::ip_if_proxyarp(Cmd& c) {
  if (c.negate) {
    if (auto it = cfg().interfaces.find(c.interface); it != cfg().interfaces.end())
      it->second.proxyarp = Interface{}.proxyarp;
    return;
  }
  auto& ifc = cfg().interfaces[c.interface];
  ifc.name = c.interface;
  set_switch(c, ifc.proxyarp, Interface{}.proxyarp);
}

void Parser::ip_route(Cmd& c) {
  const Token* d = next(c, "destination (default or A.B.C.D/LEN)");
  if (!d) return;
  Ipv4Prefix dest;
  if (d->text == "default") {
    dest = Ipv4Prefix{};
  } else if (const auto p = parse_ipv4_prefix(d->text)) {
    if (!is_network(*p)) return error(c, quote(c, c.pos - 1) + " has bits set past its prefix length");
    dest = *p;
  } else if (const auto a = parse_ipv4(d->text)) {
    dest = Ipv4Prefix{*a, 32};
  } else {
    return error(c, quote(c, c.pos - 1) + " is not default, A.B.C.D/LEN or an address");
  }
  if (c.negate) {
    cfg().routes.erase(dest);
    return;
  }
  const Token* kw = next(c, "gateway");
  if (!kw) return;
  if (kw->text != "gateway") return error(c, "expected gateway, not " + quote(c, c.pos - 1));
  const Token* g = next(c, "gateway (an address, tunnel N or pp N)");
  if (!g) return;
  Route r;
  r.destination = dest;
  r.line = c.line;
  if (g->text == "dhcp") {
    return unsupported(c, "a gateway learned by DHCP (ip route ... gateway dhcp)");
  } else if (g->text == "tunnel") {
    const auto n = number(c, "tunnel number", 1, defaults::kMaxTunnelId);
    if (!n) return;
    r.gateway = RouteGateway{RouteGateway::Kind::Tunnel, {}, static_cast<uint16_t>(*n)};
  } else if (g->text == "pp") {
    const Token* p = next(c, "peer number");
    if (!p) return;
    uint16_t id = kPpAnonymous;
    if (p->text != "anonymous") {
      const auto n = parse_uint(p->text, defaults::kMaxPpId);
      if (!n || *n < 1) return error(c, "peer number must be anonymous or a number, not " + quote(c, c.pos - 1));
      id = static_cast<uint16_t>(*n);
    }
    if (const auto up = uplinks_.find(id); up != uplinks_.end())
      return unsupported(c, "a route through pp " + std::to_string(id) + ", a PPPoE uplink (pppoe use, line " +
                                std::to_string(up->second) + "); ignored");
    r.gateway = RouteGateway{RouteGateway::Kind::Pp, {}, id};
  } else if (const auto a = parse_ipv4(g->text)) {
    r.gateway = RouteGateway{RouteGateway::Kind::Address, *a, 0};
  } else {
    return error(c, quote(c, c.pos - 1) + " is not a gateway address, tunnel N or pp N");
  }
  if (done(c)) cfg().routes[dest] = r;
}

void Parser::bridge_member(Cmd& c) {
  const Token* b = next(c, "bridge name (bridgeN)");
  if (!b) return;
  if (b->text.rfind("bridge", 0) != 0 || !is_interface_name(b->text))
    return error(c, quote(c, c.pos - 1) + " is not a bridge name (bridgeN)");
  if (c.negate) {
    cfg().bridges.erase(b->text);
    return;
  }
  std::vector<std::string> members;
  if (!more(c)) return error(c, "missing members (lanN, tunnelN)");
  for (; more(c); ++c.pos) {
    const std::string& m = c.args[c.pos].text;
    const bool lan = m.rfind("lan", 0) == 0 && is_interface_name(m);
    const bool tun = m.rfind("tunnel", 0) == 0 && parse_uint(std::string_view(m).substr(6), defaults::kMaxTunnelId).value_or(0) >= 1;
    if (!lan && !tun) return error(c, quote(c, c.pos) + " is not a bridge member (lanN or tunnelN)");
    if (std::find(members.begin(), members.end(), m) != members.end()) return error(c, quote(c, c.pos) + " is named twice");
    members.push_back(m);
  }
  cfg().bridges[b->text] = Bridge{std::move(members), c.line};
}

void Parser::dns_server(Cmd& c) {
  if (c.negate) {
    cfg().dns_servers = Config{}.dns_servers;
    return;
  }
  if (!more(c)) return error(c, "missing server address");
  const std::string& first = c.args[c.pos].text;
  if (first == "dhcp" || first == "pp")
    return unsupported(c, "DNS servers learned from " + first + " (dns server " + first + " ...)");
  std::vector<Ipv4> servers;
  while (more(c)) {
    const auto a = ipv4(c, "server address");
    if (!a) return;
    servers.push_back(*a);
  }
  cfg().dns_servers.set(std::move(servers), c.line);
}

// `wins server SERVER1 [SERVER2]`: the NBNS addresses IPCP hands out with `ppp ipcp msext on`.
void Parser::wins_server(Cmd& c) {
  if (c.negate) {
    cfg().wins_servers = Config{}.wins_servers;
    return;
  }
  if (!more(c)) return error(c, "missing server address");
  std::vector<Ipv4> servers;
  while (more(c)) {
    if (servers.size() == 2) return error(c, "at most two WINS servers");
    const auto a = ipv4(c, "server address");
    if (!a) return;
    servers.push_back(*a);
  }
  cfg().wins_servers.set(std::move(servers), c.line);
}

}  // namespace

ParsedConfig parse_lines(const std::vector<LexedLine>& lines, std::vector<Diagnostic>& diags) {
  return Parser(diags).run(lines);
}

}  // namespace l2tpgw::cp::config
