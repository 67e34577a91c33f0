// SPDX-License-Identifier: Apache-2.0
// PppPolicy from the configuration model; PpContext.
#include "controlplane/ppp/policy.hpp"

namespace l2tpgw::cp::ppp {

std::vector<AuthProtocol> auth_protocols(const config::PpAuthRequest& request) {
  if (!request.method) return {};
  switch (*request.method) {
    case config::PpAuthMethod::Pap: return {AuthProtocol::Pap};
    case config::PpAuthMethod::Chap: return {AuthProtocol::ChapMd5};
    case config::PpAuthMethod::Mschap: return {AuthProtocol::MsChapV1};
    case config::PpAuthMethod::MschapV2: return {AuthProtocol::MsChapV2};
    case config::PpAuthMethod::ChapPap: return {AuthProtocol::ChapMd5, AuthProtocol::Pap};
  }
  return {};
}

uint32_t lan_address(const config::Config& cfg) {
  if (auto it = cfg.interfaces.find("lan1"); it != cfg.interfaces.end() && it->second.address.value)
    return it->second.address.value->address.value;
  for (const auto& [name, itf] : cfg.interfaces) {
    if (itf.address.value) return itf.address.value->address.value;
  }
  return 0;
}

PppPolicy ppp_policy(const config::Config& cfg, const config::PpConfig& pp, uint32_t local_address) {
  PppPolicy p;
  p.lcp.auth = auth_protocols(pp.auth_request.value);
  const config::LcpMru& mru = pp.lcp_mru.value;
  p.lcp.mru = mru.on ? std::optional<uint16_t>(mru.mru) : std::nullopt;
  p.ipcp.request_local_address = pp.ipcp_ipaddress.value;
  p.ipcp.local_address = local_address;
  if (pp.ipcp_msext.value) {
    const auto& dns = cfg.dns_servers.value;
    for (size_t i = 0; i < dns.size() && i < p.ipcp.dns.size(); ++i) p.ipcp.dns[i] = dns[i].value;
    const auto& wins = cfg.wins_servers.value;
    for (size_t i = 0; i < wins.size() && i < p.ipcp.nbns.size(); ++i) p.ipcp.nbns[i] = wins[i].value;
  }
  const config::PpRemoteAddress& ra = pp.remote_address.value;
  if (ra.address) p.remote_address = ra.address->value;
  for (const config::Ipv4Range& r : ra.pool) p.pool.push_back(AddressRange{r.first.value, r.last.value});
  p.mtu = pp.mtu.value;
  p.ccp_type = pp.ccp_type.value;
  p.multi_connect_prohibit = pp.auth_multi_connect_prohibit.value;
  return p;
}

PpContext::PpContext(PppPolicy policy, std::vector<config::PpUser> users)
    : policy_(std::move(policy)), users_(std::move(users)), pool_(policy_.pool) {
  if (policy_.ipcp.local_address != 0) pool_.exclude(policy_.ipcp.local_address);
}

bool PpContext::claim_user(std::string_view name) {
  auto it = logged_in_.find(name);
  if (it != logged_in_.end() && it->second > 0 && policy_.multi_connect_prohibit) return false;
  if (it == logged_in_.end()) it = logged_in_.emplace(std::string(name), 0).first;
  ++it->second;
  return true;
}

void PpContext::release_user(std::string_view name) {
  auto it = logged_in_.find(name);
  if (it == logged_in_.end()) return;
  if (--it->second == 0) logged_in_.erase(it);
}

uint32_t PpContext::sessions_of(std::string_view name) const {
  auto it = logged_in_.find(name);
  return it == logged_in_.end() ? 0 : it->second;
}

}  // namespace l2tpgw::cp::ppp
