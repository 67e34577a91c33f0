// SPDX-License-Identifier: Apache-2.0
// PppPolicy: what one `pp select` section asks of PPP, resolved once from the configuration;
// PpContext: the state its sessions share (users, address pool, logged-in users, counters).
//
// Configuration to policy (Yamaha meanings as this reading takes them; defaults.hpp cites
// where each default comes from):
//   pp auth request pap|chap|mschap|mschap-v2|chap-pap -> LCP Authentication-Protocol:
//       PAP | CHAP-MD5 | MS-CHAP | MS-CHAP-V2 | CHAP-MD5, then PAP. None: no authentication.
//       (`pp auth accept` lists what we answer when the peer asks *us* to authenticate; an LNS
//       is never asked, so it plays no part here.)
//   pp auth username NAME PASSWORD [ADDRESS] -> UserTable; ADDRESS overrides the pool.
//   ppp lcp mru on N | off            -> our MRU option (N), or none.
//   ppp ipcp ipaddress on             -> our IP-Address (the LAN address) in IPCP. Off: we send
//       none. Either way the peer is given the session's address (reading: on an RTX the
//       switch governs the negotiation of the router's own address on the pp; a client still
//       gets its `ip pp remote address` -- unsure, every seed sets it on).
//   ppp ipcp msext on                 -> RFC 1877 DNS from `dns server` and NBNS from
//       `wins server` (the first two of each).
//   ip pp remote address A | pool R.. -> the peer's address.
//   ip pp mtu N                       -> the session MTU is min(N, the peer's MRU).
//   ppp ccp type ...                  -> CCP is never negotiated: Protocol-Reject (defaults.hpp).
//   pp auth multi connect prohibit on -> one session per user name at a time.
//
// Thread context: the controlplane loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/config/model.hpp"
#include "controlplane/ppp/address_pool.hpp"
#include "controlplane/ppp/auth/authenticator.hpp"
#include "controlplane/ppp/counters.hpp"
#include "controlplane/ppp/ipcp.hpp"
#include "controlplane/ppp/lcp.hpp"

namespace l2tpgw::cp::ppp {

struct PppPolicy {
  LcpPolicy lcp;
  IpcpPolicy ipcp;
  AuthConfig auth;
  std::optional<uint32_t> remote_address;  // `ip pp remote address A` (host order)
  std::vector<AddressRange> pool;          // `ip pp remote address pool ...`
  uint16_t mtu = config::defaults::kPpMtu; // `ip pp mtu`
  bool multi_connect_prohibit = false;     // `pp auth multi connect prohibit`
  config::CcpType ccp_type = config::defaults::kCcpType;
};

// `pp auth request` as the LCP preference list.
std::vector<AuthProtocol> auth_protocols(const config::PpAuthRequest& request);

// The appliance's address on the LAN, which the RTX also uses as its own end of every pp
// (`show status pp`: "PP IP Address Local: 192.168.100.1" with lan1 192.168.100.1/24): lan1's
// address, else the first interface with one; 0 when none is configured.
uint32_t lan_address(const config::Config& cfg);

// The policy of `pp` in `cfg`. `local_address` is our IPCP address (lan_address(cfg) unless
// the caller knows better).
PppPolicy ppp_policy(const config::Config& cfg, const config::PpConfig& pp, uint32_t local_address);

class PpContext {
 public:
  // The pool excludes the local address, so that no client is given the appliance's own.
  PpContext(PppPolicy policy, std::vector<config::PpUser> users);
  PpContext(const PpContext&) = delete;
  PpContext& operator=(const PpContext&) = delete;

  const PppPolicy& policy() const { return policy_; }
  const UserTable& users() const { return users_; }
  AddressPool& pool() { return pool_; }
  PppCounters& counters() { return counters_; }
  const PppCounters& counters() const { return counters_; }

  // Notes a logged-in user; false (nothing noted) when the user is already logged in and
  // `pp auth multi connect prohibit` is set.
  bool claim_user(std::string_view name);
  void release_user(std::string_view name);
  uint32_t sessions_of(std::string_view name) const;

 private:
  PppPolicy policy_;
  UserTable users_;
  AddressPool pool_;
  PppCounters counters_;
  std::map<std::string, uint32_t, std::less<>> logged_in_;
};

}  // namespace l2tpgw::cp::ppp
