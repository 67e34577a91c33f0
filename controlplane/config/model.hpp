// SPDX-License-Identifier: Apache-2.0
// The typed configuration model: what the Yamaha RTX commands that l2tpgw implements set.
//
// The model follows the router's own structure, so that a configuration reads the same here as
// on an RTX: `pp select` sections, `tunnel select` sections, IKE settings keyed by security
// gateway id, `ipsec sa policy` keyed by policy id (a tunnel points at one with `ipsec tunnel`),
// and `ipsec transport` keyed by transport id (pointing at a policy id). A loaded Config is
// always the expanded one: `tunnel template` and `ipsec transport template` have been applied.
//
// Thread context: plain values, owned by whoever loaded them (the controlplane loop thread).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/crypto/esp_alg.hpp"
#include "controlplane/config/defaults.hpp"  // and keywords.hpp

namespace l2tpgw::cp::config {

// ---- Values ----

struct Ipv4 {
  uint32_t value = 0;  // host byte order
  auto operator<=>(const Ipv4&) const = default;
};

struct Ipv4Prefix {
  Ipv4 address;
  uint8_t length = 0;  // 0..32
  auto operator<=>(const Ipv4Prefix&) const = default;
};

// An inclusive address range, first <= last.
struct Ipv4Range {
  Ipv4 first, last;
  bool operator==(const Ipv4Range&) const = default;
};

// An inclusive port range; a single port has first == last.
struct PortRange {
  uint16_t first = 0, last = 0;
  bool operator==(const PortRange&) const = default;
};

// A password or key. The bytes leave only through reveal(), so that no printer, log line or
// error message can show one by accident: there is no operator<< and no implicit conversion.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string bytes) : bytes_(std::move(bytes)) {}
  const std::string& reveal() const { return bytes_; }
  bool empty() const { return bytes_.empty(); }
  bool operator==(const Secret&) const = default;

 private:
  std::string bytes_;
};

// What `show config` prints in place of a secret. The parser refuses it as a secret, so that
// masked output fed back as a configuration fails loudly instead of installing this as a key.
inline constexpr std::string_view kSecretMask = "********";

// A setting that a line may or may not set. Until a line sets it, it holds Yamaha's default
// (see defaults.hpp). Two settings compare equal when their values do: where a value came from
// does not change what the appliance does.
template <class T>
struct Setting {
  T value{};
  uint32_t line = 0;  // the line that set it; a template copy carries the template's line; 0: default
  bool is_set() const { return line != 0; }
  void set(T v, uint32_t at) {
    value = std::move(v);
    line = at;
  }
  friend bool operator==(const Setting& a, const Setting& b) { return a.value == b.value; }
};

// ---- PP: one `pp select anonymous|N` section ----

inline constexpr uint16_t kPpAnonymous = 0;  // `pp select anonymous`; numbered pps are 1..kMaxPpId

struct PpAuthRequest {
  std::optional<PpAuthMethod> method;  // nullopt: no authentication is requested (the default)
  bool arrive_only = false;            // `arrive-only`: only on calls the peer makes
  bool operator==(const PpAuthRequest&) const = default;
};

// `pp auth username NAME PASSWORD [ADDRESS]`.
struct PpUser {
  std::string name;
  Secret password;
  std::optional<Ipv4> address;  // a fixed address for this user
  uint32_t line = 0;
  friend bool operator==(const PpUser& a, const PpUser& b) {
    return a.name == b.name && a.password == b.password && a.address == b.address;
  }
};

struct LcpMru {
  bool on = defaults::kLcpMruOn;
  uint16_t mru = defaults::kLcpMru;
  bool operator==(const LcpMru&) const = default;
};

// `ip pp remote address ADDRESS` or `ip pp remote address pool RANGE...`: at most one is set.
struct PpRemoteAddress {
  std::optional<Ipv4> address;
  std::vector<Ipv4Range> pool;
  bool operator==(const PpRemoteAddress&) const = default;
};

struct PpConfig {
  uint16_t id = kPpAnonymous;
  uint32_t select_line = 0;
  Setting<std::vector<uint16_t>> bind;  // `pp bind tunnelN ...`: tunnel numbers in the order given
  Setting<PpAuthRequest> auth_request;
  Setting<std::vector<PpAuthMethod>> auth_accept;
  std::vector<PpUser> users;  // in the order given; a name appears once
  Setting<bool> ipcp_ipaddress{defaults::kIpcpIpaddress};
  Setting<bool> ipcp_msext{defaults::kIpcpMsext};
  Setting<bool> auth_multi_connect_prohibit{defaults::kPpAuthMultiConnectProhibit};
  Setting<LcpMru> lcp_mru{};
  Setting<CcpType> ccp_type{defaults::kCcpType};
  Setting<PpRemoteAddress> remote_address;
  Setting<uint16_t> mtu{defaults::kPpMtu};
  Setting<bool> enabled{defaults::kPpEnabled};

  bool operator==(const PpConfig& o) const {
    return id == o.id && bind == o.bind && auth_request == o.auth_request &&
           auth_accept == o.auth_accept && users == o.users && ipcp_ipaddress == o.ipcp_ipaddress &&
           ipcp_msext == o.ipcp_msext && auth_multi_connect_prohibit == o.auth_multi_connect_prohibit &&
           lcp_mru == o.lcp_mru && ccp_type == o.ccp_type &&
           remote_address == o.remote_address && mtu == o.mtu && enabled == o.enabled;
  }
};

// ---- Tunnel: one `tunnel select N` section ----

// Tunnels that carry PPP (bound to a pp) and tunnels that carry Ethernet (bridge members).
constexpr bool carries_ppp(TunnelEncapsulation e) {
  return e == TunnelEncapsulation::L2tp || e == TunnelEncapsulation::Pptp;
}
constexpr bool carries_ethernet(TunnelEncapsulation e) {
  return e == TunnelEncapsulation::L2tpv3 || e == TunnelEncapsulation::L2tpv3Raw;
}

// `tunnel endpoint address [LOCAL] REMOTE`.
struct TunnelEndpoint {
  std::optional<Ipv4> local;
  Ipv4 remote;
  bool operator==(const TunnelEndpoint&) const = default;
};

struct L2tpKeepalive {
  bool on = defaults::kL2tpKeepaliveOn;
  uint16_t interval = defaults::kL2tpKeepaliveInterval;  // seconds
  uint16_t count = defaults::kL2tpKeepaliveCount;
  bool operator==(const L2tpKeepalive&) const = default;
};

// `l2tp tunnel auth on|off [PASSWORD]`.
struct L2tpTunnelAuth {
  bool on = defaults::kL2tpTunnelAuth;
  Secret password;
  bool operator==(const L2tpTunnelAuth&) const = default;
};

// `ip tunnel tcp mss limit auto|off|MSS`.
struct TcpMssLimit {
  using Mode = TcpMssMode;
  Mode mode = defaults::kTcpMssLimit;
  uint16_t mss = 0;  // Fixed only
  bool operator==(const TcpMssLimit&) const = default;
};

struct TunnelConfig {
  uint16_t id = 0;
  uint32_t select_line = 0;  // the `tunnel select` line, or the `tunnel template` line that made it
  uint16_t template_source = 0;  // the tunnel whose `tunnel template` made or filled this one; 0: none
  Setting<TunnelEncapsulation> encapsulation{defaults::kTunnelEncapsulation};
  Setting<std::optional<TunnelEndpoint>> endpoint;
  Setting<std::optional<uint32_t>> ipsec_policy;  // `ipsec tunnel POLICY_ID`
  Setting<std::optional<uint32_t>> l2tp_disconnect_time{defaults::kL2tpDisconnectTime};  // nullopt: off
  Setting<L2tpTunnelAuth> l2tp_tunnel_auth;
  Setting<L2tpKeepalive> l2tp_keepalive;
  Setting<bool> l2tp_keepalive_log{defaults::kL2tpKeepaliveLog};
  Setting<bool> l2tp_syslog{defaults::kL2tpSyslog};
  Setting<bool> l2tp_always_on{defaults::kL2tpAlwaysOn};
  Setting<std::optional<Ipv4>> l2tp_local_router_id;
  Setting<std::optional<Ipv4>> l2tp_remote_router_id;
  Setting<std::string> l2tp_remote_end_id;  // empty: not set
  Setting<TcpMssLimit> tcp_mss_limit;
  Setting<bool> enabled{defaults::kTunnelEnabled};

  // Where the tunnel came from (select_line, template_source) is not compared.
  bool operator==(const TunnelConfig& o) const {
    return id == o.id && encapsulation == o.encapsulation && endpoint == o.endpoint &&
           ipsec_policy == o.ipsec_policy && l2tp_disconnect_time == o.l2tp_disconnect_time &&
           l2tp_tunnel_auth == o.l2tp_tunnel_auth && l2tp_keepalive == o.l2tp_keepalive &&
           l2tp_keepalive_log == o.l2tp_keepalive_log && l2tp_syslog == o.l2tp_syslog &&
           l2tp_always_on == o.l2tp_always_on && l2tp_local_router_id == o.l2tp_local_router_id &&
           l2tp_remote_router_id == o.l2tp_remote_router_id &&
           l2tp_remote_end_id == o.l2tp_remote_end_id && tcp_mss_limit == o.tcp_mss_limit &&
           enabled == o.enabled;
  }
};

// ---- IPsec ----

// `ipsec ike remote address G any|ADDRESS|HOSTNAME`.
struct IkeRemoteAddress {
  enum class Kind : uint8_t { Any, Address, Hostname } kind = Kind::Any;
  Ipv4 address;          // Address
  std::string hostname;  // Hostname
  bool operator==(const IkeRemoteAddress&) const = default;
};

struct IkeName {
  std::string name;
  std::optional<IkeIdType> type;  // nullopt: not given on the line
  bool operator==(const IkeName&) const = default;
};

// `ipsec ike pre-shared-key G text|hex KEY`: the key's bytes (hex is decoded).
struct PreSharedKey {
  bool hex = false;  // how the line spelled it, so that the printer writes it back the same way
  Secret key;
  bool operator==(const PreSharedKey&) const = default;
};

// `ipsec ike nat-traversal G on|off [keepalive=SECONDS] [force=on|off]`.
struct NatTraversal {
  bool on = defaults::kIkeNatTraversal;
  std::optional<uint16_t> keepalive;  // seconds between NAT-keepalives; nullopt: not given
  bool force = false;
  bool operator==(const NatTraversal&) const = default;
};

// `ipsec ike keepalive use G on|off|auto [heartbeat|dpd|icmp-echo ADDRESS] [INTERVAL COUNT]`.
struct IkeKeepalive {
  using Use = IkeKeepaliveUse;
  Use use = defaults::kIkeKeepaliveUse;
  enum class Method : uint8_t { Default, Heartbeat, Dpd, IcmpEcho } method = Method::Default;
  Ipv4 icmp_echo_target;             // IcmpEcho only
  std::optional<uint16_t> interval;  // seconds
  std::optional<uint16_t> count;
  bool operator==(const IkeKeepalive&) const = default;
};

// One security gateway: every `ipsec ike ... G` and `ipsec auto refresh G` setting.
struct IkeGateway {
  uint32_t id = 0;
  Setting<IkeEncryption> encryption{defaults::kIkeEncryption};
  Setting<IkeHash> hash{defaults::kIkeHash};
  Setting<std::vector<IkeGroup>> group{{defaults::kIkeGroup}};  // one or two groups
  Setting<std::optional<Ipv4>> local_address;
  Setting<std::optional<IkeRemoteAddress>> remote_address;
  Setting<std::optional<IkeName>> local_name;
  Setting<std::optional<IkeName>> remote_name;
  Setting<std::optional<PreSharedKey>> pre_shared_key;
  Setting<NatTraversal> nat_traversal;
  Setting<IkeKeepalive> keepalive;
  Setting<bool> keepalive_log{defaults::kIkeKeepaliveLog};
  Setting<bool> pfs{defaults::kIkePfs};
  Setting<bool> negotiate_strictly{defaults::kIkeNegotiateStrictly};
  Setting<uint32_t> isakmp_sa_lifetime{defaults::kIkeIsakmpSaLifetime};
  Setting<uint32_t> ipsec_sa_lifetime{defaults::kIkeIpsecSaLifetime};
  Setting<uint32_t> ipsec_sa_kilobytes{0};  // 0: no lifetime in kilobytes
  // The rekey point, percent of the lifetime; 0: `rekey off`. Set on the duration lines.
  Setting<uint32_t> isakmp_sa_rekey{defaults::kIkeRekeyPercent};
  Setting<uint32_t> ipsec_sa_rekey{defaults::kIkeRekeyPercent};
  Setting<bool> auto_refresh{defaults::kIkeAutoRefresh};
  Setting<uint8_t> version{defaults::kIkeVersion};

  bool operator==(const IkeGateway&) const = default;
};

// `ipsec sa policy POLICY_ID GATEWAY_ID esp CIPHER [AUTH] [anti-replay-check=on|off]`.
struct SaPolicy {
  uint32_t id = 0;
  uint32_t gateway = 0;
  EspCipher cipher = EspCipher::AesCbc128;
  EspAuth auth = EspAuth::None;
  bool anti_replay_check = defaults::kAntiReplayCheck;
  uint32_t line = 0;
  friend bool operator==(const SaPolicy& a, const SaPolicy& b) {
    return a.id == b.id && a.gateway == b.gateway && a.cipher == b.cipher && a.auth == b.auth &&
           a.anti_replay_check == b.anti_replay_check;
  }
};

// `ipsec transport ID POLICY_ID [PROTOCOL [SRC_PORTS [DST_PORTS]]]`: traffic that IPsec carries
// in transport mode (for L2TP: udp 1701).
struct IpsecTransport {
  uint32_t id = 0;
  uint32_t policy = 0;
  std::optional<uint8_t> protocol;  // nullopt: every protocol
  std::vector<PortRange> src_ports;  // empty: any
  std::vector<PortRange> dst_ports;  // empty: any
  uint32_t line = 0;
  friend bool operator==(const IpsecTransport& a, const IpsecTransport& b) {
    return a.id == b.id && a.policy == b.policy && a.protocol == b.protocol &&
           a.src_ports == b.src_ports && a.dst_ports == b.dst_ports;
  }
};

// ---- Global ----

// `ip lanN ...` and `ip bridgeN ...`.
struct Interface {
  std::string name;  // "lan1", "bridge1"
  Setting<std::optional<Ipv4Prefix>> address;
  Setting<bool> proxyarp{defaults::kProxyArp};
  bool operator==(const Interface&) const = default;
};

// `ip route DESTINATION gateway ADDRESS|tunnel N|pp N`.
struct RouteGateway {
  enum class Kind : uint8_t { Address, Tunnel, Pp } kind = Kind::Address;
  Ipv4 address;     // Address
  uint16_t id = 0;  // Tunnel, Pp (kPpAnonymous for `pp anonymous`)
  bool operator==(const RouteGateway&) const = default;
};

struct Route {
  Ipv4Prefix destination;  // `default` is 0.0.0.0/0
  RouteGateway gateway;
  uint32_t line = 0;
  friend bool operator==(const Route& a, const Route& b) {
    return a.destination == b.destination && a.gateway == b.gateway;
  }
};

// `bridge member bridgeN MEMBER...`: lanN and tunnelN members.
struct Bridge {
  std::vector<std::string> members;
  uint32_t line = 0;
  friend bool operator==(const Bridge& a, const Bridge& b) { return a.members == b.members; }
};

// `l2tp service on|off [l2tpv2] [l2tpv3]`.
struct L2tpService {
  bool on = defaults::kL2tpService;
  bool l2tpv2 = defaults::kL2tpServiceL2tpv2;
  bool l2tpv3 = defaults::kL2tpServiceL2tpv3;
  bool operator==(const L2tpService&) const = default;
};

struct Config {
  std::map<uint16_t, PpConfig> pps;            // kPpAnonymous (0) sorts first
  std::map<uint16_t, TunnelConfig> tunnels;
  std::map<uint32_t, IkeGateway> gateways;
  std::map<uint32_t, SaPolicy> policies;
  std::map<uint32_t, IpsecTransport> transports;
  std::map<std::string, Interface> interfaces;                  // by name
  std::map<std::string, Bridge> bridges;                        // by name ("bridge1")
  std::map<Ipv4Prefix, Route> routes;                           // by destination
  Setting<std::vector<Ipv4>> dns_servers;
  Setting<std::vector<Ipv4>> wins_servers;  // NBNS for `ppp ipcp msext on` (RFC 1877)
  Setting<L2tpService> l2tp_service;
  Setting<bool> pptp_service{defaults::kPptpService};
  Setting<bool> ipsec_auto_refresh{defaults::kIpsecAutoRefresh};

  bool operator==(const Config&) const = default;
};

}  // namespace l2tpgw::cp::config
